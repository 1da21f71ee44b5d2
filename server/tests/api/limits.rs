//! The abuse limits against a real server: connections per address, REST
//! requests per address, password guessing, and `X-Forwarded-For` believed
//! only from trusted proxies. Other client addresses are real: loopback
//! has all of 127.0.0.0/8, so a socket bound to 127.0.0.2 is another
//! client.

use std::net::{IpAddr, SocketAddr};

use futures_util::StreamExt;
use reqwest::StatusCode;
use sapa_protocol::{ErrorCode, ServerMessage};
use sapa_server::limits::Cidr;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::TcpSocket;
use tokio_tungstenite::{
    client_async,
    tungstenite::{self, client::IntoClientRequest, http::HeaderValue},
};

use crate::helpers::{Client, PASSWORD, TestApp, spawn_app, spawn_app_with};

/// What an upgrade request got: a socket, or the refusal's status, its
/// `Retry-After` and its JSON body.
enum Upgraded {
    Open(Box<Client>),
    Refused(StatusCode, Option<String>, Value),
}

impl Upgraded {
    fn open(self) -> Client {
        match self {
            Self::Open(client) => *client,
            Self::Refused(status, _, body) => panic!("refused with {status}: {body}"),
        }
    }

    fn refused(self) -> (StatusCode, Option<String>, Value) {
        match self {
            Self::Open(_) => panic!("the upgrade was accepted"),
            Self::Refused(status, retry_after, body) => (status, retry_after, body),
        }
    }
}

/// Opens /ws from the local address `from`, with `X-Forwarded-For` if
/// given.
async fn upgrade_from(app: &TestApp, from: &str, forwarded_for: Option<&str>) -> Upgraded {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    let stream = socket.connect(app.addr).await.unwrap();
    let mut request = format!("ws://{}/ws", app.addr)
        .into_client_request()
        .unwrap();
    if let Some(header) = forwarded_for {
        request
            .headers_mut()
            .insert("x-forwarded-for", HeaderValue::from_str(header).unwrap());
    }
    match client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream)).await {
        Ok((ws, _)) => Upgraded::Open(Box::new(Client { ws })),
        Err(tungstenite::Error::Http(response)) => {
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.body().as_deref().expect("a body");
            let body = serde_json::from_slice(body).expect("a JSON body");
            Upgraded::Refused(
                StatusCode::from_u16(response.status().as_u16()).unwrap(),
                retry_after,
                body,
            )
        }
        Err(error) => panic!("upgrade failed: {error}"),
    }
}

/// An HTTP client whose requests come from the local address `from`.
fn http_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn the_65th_socket_from_one_address_is_refused_until_one_closes(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut open = Vec::new();
    for _ in 0..64 {
        open.push(upgrade_from(&app, "127.0.0.1", None).await.open());
    }
    let (status, retry_after, body) = upgrade_from(&app, "127.0.0.1", None).await.refused();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "rate_limited");
    assert!(body["message"].as_str().unwrap().contains("connections"));
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!(retry_after >= 1);

    upgrade_from(&app, "127.0.0.2", None).await.open();

    let mut closing = open.pop().unwrap();
    closing.ws.close(None).await.unwrap();
    while tokio::time::timeout(crate::helpers::DEADLINE, closing.ws.next())
        .await
        .expect("the server ends the socket")
        .is_some()
    {}
    // The slot is given back when the server's task ends, just after its
    // close reply: wait for it with the deadline, not a guess.
    let deadline = tokio::time::Instant::now() + crate::helpers::DEADLINE;
    loop {
        match upgrade_from(&app, "127.0.0.1", None).await {
            Upgraded::Open(_) => break,
            Upgraded::Refused(..) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the slot never came back"
                );
                tokio::task::yield_now().await;
            }
        }
    }
}

#[sqlx::test(migrations = false)]
async fn forwarded_addresses_count_apart_only_behind_a_trusted_proxy(pool: PgPool) {
    let trusted = spawn_app_with(pool.clone(), |config| {
        config.limits.ws_per_ip = 2;
        config.limits.trusted_proxies = vec!["127.0.0.1".parse::<Cidr>().unwrap()];
    })
    .await;
    let mut held = Vec::new();
    for client in ["198.51.100.1", "198.51.100.2"] {
        for _ in 0..2 {
            held.push(
                upgrade_from(&trusted, "127.0.0.1", Some(client))
                    .await
                    .open(),
            );
        }
        let (status, _, _) = upgrade_from(&trusted, "127.0.0.1", Some(client))
            .await
            .refused();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{client}'s third");
    }
    // The proxy itself (no header) is a client of its own.
    held.push(upgrade_from(&trusted, "127.0.0.1", None).await.open());

    let untrusted = spawn_app_with(pool, |config| config.limits.ws_per_ip = 2).await;
    held.push(
        upgrade_from(&untrusted, "127.0.0.1", Some("198.51.100.1"))
            .await
            .open(),
    );
    held.push(
        upgrade_from(&untrusted, "127.0.0.1", Some("198.51.100.2"))
            .await
            .open(),
    );
    let (status, _, _) = upgrade_from(&untrusted, "127.0.0.1", Some("198.51.100.3"))
        .await
        .refused();
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "without trusted proxies the header changes nothing"
    );
}

#[sqlx::test(migrations = false)]
async fn rest_requests_past_the_burst_get_429_with_retry_after_per_address(pool: PgPool) {
    let app = spawn_app_with(pool, |config| {
        config.limits.rest_per_second = 1;
        config.limits.rest_burst = 5;
    })
    .await;
    let from_one = http_from("127.0.0.1");
    for n in 0..5 {
        let response = from_one.get(app.url("/rooms")).send().await.unwrap();
        assert_eq!(response.status(), 401, "request {n}: counted, not limited");
    }
    let refused = from_one.get(app.url("/rooms")).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");

    let other = http_from("127.0.0.2");
    let response = other.get(app.url("/rooms")).send().await.unwrap();
    assert_eq!(response.status(), 401, "another address has its own budget");
    let health = from_one.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "health checks are not limited");
}

/// A password join of `name` from `from`; the error frame if refused.
async fn password_join(
    app: &TestApp,
    from: &str,
    name: &str,
    password: &str,
) -> Option<ServerMessage> {
    let mut client = upgrade_from(app, from, None).await.open();
    client
        .send(json!({"type": "join", "username": name, "password": password}))
        .await;
    match client.recv().await {
        ServerMessage::Welcome(_) => None,
        error @ ServerMessage::Error(_) => {
            let close = client.closed().await.expect("a close frame");
            assert_eq!(u16::from(close.code), 1008);
            Some(error)
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[sqlx::test(migrations = false)]
async fn wrong_passwords_are_slowed_per_account_while_the_right_one_elsewhere_works(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.register("alice").await;
    let mut refused = None;
    for attempt in 0..10 {
        let Some(ServerMessage::Error(error)) =
            password_join(&app, "127.0.0.1", "alice", "not her password").await
        else {
            panic!("a wrong password got in");
        };
        if error.code == ErrorCode::RateLimited {
            refused = Some((attempt, error));
            break;
        }
        assert_eq!(error.code, ErrorCode::Unauthorized, "attempt {attempt}");
    }
    let (attempt, error) = refused.expect("ten quick wrong passwords are not all checked");
    assert_eq!(
        attempt, 6,
        "five free failures, a sixth that starts the wait"
    );
    assert!(error.retry_after.is_some_and(|secs| secs >= 1), "{error:?}");

    // Even the right password waits here now...
    let Some(ServerMessage::Error(error)) =
        password_join(&app, "127.0.0.1", "alice", PASSWORD).await
    else {
        panic!("the guesser's address got in while throttled");
    };
    assert_eq!(error.code, ErrorCode::RateLimited);
    // ...but the owner, elsewhere, gets in at once, over REST too.
    assert!(
        password_join(&app, "127.0.0.2", "alice", PASSWORD)
            .await
            .is_none()
    );
    let login = http_from("127.0.0.2")
        .post(app.url("/sessions"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    // REST logins from the guesser's address wait the same way.
    let refused = http_from("127.0.0.1")
        .post(app.url("/sessions"))
        .json(&json!({"username": "alice", "password": "still not"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
}

#[sqlx::test(migrations = false)]
async fn limits_off_lets_one_address_do_anything(pool: PgPool) {
    let app = spawn_app_with(pool, |config| {
        config.limits.switch = sapa_server::limits::Switch::Off;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..70 {
        held.push(upgrade_from(&app, "127.0.0.1", None).await.open());
    }
    app.register("alice").await;
    for _ in 0..8 {
        let error = password_join(&app, "127.0.0.1", "alice", "wrong password").await;
        assert!(
            matches!(error, Some(ServerMessage::Error(e)) if e.code == ErrorCode::Unauthorized)
        );
    }
}
