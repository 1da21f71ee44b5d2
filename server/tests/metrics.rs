//! /metrics after real traffic: the messages-stored counter equals what was
//! stored, and deliveries, limits, auth failures and HTTP requests move; and
//! with `SAPA_METRICS_BIND`, /metrics only on its own listener.
//!
//! A test binary of its own: the metrics recorder is one per process, so
//! only here does no other test's traffic add to the counts.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use serde_json::json;
use sqlx::PgPool;

use helpers::{TestApp, spawn_app_with};

/// The value of the series `name` whose labels include every `labels`
/// pair; 0 when there is none.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            let bare = series.split('{').next().unwrap_or_default();
            bare == name
                && labels
                    .iter()
                    .all(|(k, v)| series.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| v.parse::<f64>().unwrap())
        .sum()
}

async fn scrape(app: &TestApp, url: &str) -> String {
    let response = app.http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain"), "{kind}");
    response.text().await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn metrics_count_what_real_traffic_did(pool: PgPool) {
    // The first server closes its pool when it stops; the second gets its own.
    let second_pool = PgPool::connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let app = spawn_app_with(pool, |config| config.limits.ws_per_ip = 3).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    for text in ["one", "two", "three"] {
        alice.say(text).await;
        bob.next_message().await;
    }
    let token = app.register("carol").await;
    for _ in 0..2 {
        // The same client_id twice: stored once.
        let posted = app
            .http
            .post(app.url("/messages"))
            .bearer_auth(&token)
            .json(&json!({"content": "over rest", "client_id": "r-1"}))
            .send()
            .await
            .unwrap();
        assert!(posted.status().is_success());
    }
    bob.next_message().await;
    let wrong = app
        .http
        .post(app.url("/sessions"))
        .json(&json!({"username": "alice", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(app.get("/rooms", "no such token").await.status(), 401);
    let _third = app.ws().await;
    let fourth = tokio_tungstenite::connect_async(format!("ws://{}/ws", app.addr)).await;
    assert!(fourth.is_err(), "the fourth socket from one address got in");

    let text = scrape(&app, &app.url("/metrics")).await;
    let stored = app.message_count().await;
    assert_eq!(stored, 4);
    assert_eq!(
        value(&text, "sapa_messages_stored_total", &[]),
        stored as f64,
        "{text}"
    );
    // Each of the four reached both members.
    assert!(value(&text, "sapa_deliveries_total", &[]) >= 8.0, "{text}");
    assert_eq!(value(&text, "sapa_open_connections", &[]), 3.0, "{text}");
    assert_eq!(value(&text, "sapa_rooms", &[]), 1.0, "{text}");
    assert!(
        value(&text, "sapa_store_batch_size_count", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        value(&text, "sapa_store_commit_seconds_count", &[]) >= 1.0,
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "sapa_rate_limited_total",
            &[("kind", "ws_connections")]
        ),
        1.0
    );
    assert_eq!(
        value(&text, "sapa_auth_failures_total", &[("kind", "password")]),
        1.0
    );
    assert_eq!(
        value(&text, "sapa_auth_failures_total", &[("kind", "token")]),
        1.0
    );
    let requests = |route, status| {
        value(
            &text,
            "sapa_http_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("/users", "201"), 1.0, "{text}");
    assert_eq!(requests("/messages", "201"), 1.0, "{text}");
    assert_eq!(requests("/messages", "200"), 1.0, "{text}");
    assert_eq!(requests("/ws", "429"), 1.0, "{text}");
    // No raw path, user or room name among the labels.
    assert!(
        !text.contains("alice") && !text.contains("general"),
        "{text}"
    );
    drop((alice, bob, _third));
    app.shutdown.cancel();
    app.server.await.unwrap().unwrap();

    // On its own listener, /metrics is served there and nowhere else. (In
    // the same test: the gauges are one per process.)
    let app = spawn_app_with(second_pool, |config| {
        config.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let own = app.metrics_addr.expect("a metrics listener");
    let text = scrape(&app, &format!("http://{own}/metrics")).await;
    assert!(text.contains("sapa_messages_stored_total"), "{text}");
    let main = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(main.status(), 404);
    let spec: serde_json::Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["paths"]["/metrics"].is_null());
}
