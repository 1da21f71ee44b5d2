//! The REST API: accounts, sessions, messages, rooms, errors, OpenAPI and
//! Swagger UI.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{PASSWORD, spawn_app};

#[sqlx::test(migrations = false)]
async fn registering_answers_201_then_409_and_422_for_bad_input(pool: PgPool) {
    let app = spawn_app(pool).await;
    let post = |body: Value| app.http.post(app.url("/users")).json(&body).send();
    let created = post(json!({"username": "alice", "password": PASSWORD}))
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["username"], "alice");
    assert_eq!(body["token"].as_str().unwrap().len(), 64);

    let taken = post(json!({"username": "ALICE", "password": PASSWORD}))
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(taken.json::<Value>().await.unwrap()["error"], "conflict");

    for bad in [
        json!({"username": "no spaces", "password": PASSWORD}),
        json!({"username": "bob", "password": "short"}),
        json!({"username": "bob"}),
    ] {
        let refused = post(bad.clone()).await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "validation", "{bad}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[sqlx::test(migrations = false)]
async fn axum_rejections_use_the_json_error_body(pool: PgPool) {
    let app = spawn_app(pool).await;
    let not_json = app
        .http
        .post(app.url("/users"))
        .body("{oops")
        .header("content-type", "application/json");
    let response = not_json.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_json"
    );

    let no_type = app
        .http
        .post(app.url("/sessions"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(no_type.json::<Value>().await.unwrap()["message"].is_string());

    let missing = app
        .http
        .get(app.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "not_found");

    for route in ["/ws", "/chat/general"] {
        let plain = app.http.get(app.url(route)).send().await.unwrap();
        assert_eq!(plain.status(), StatusCode::UPGRADE_REQUIRED, "{route}");
        assert_eq!(
            plain.json::<Value>().await.unwrap()["error"],
            "validation",
            "{route}"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn logging_in_answers_a_token_or_401(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.register("alice").await;
    let login = |password: &str| {
        app.http
            .post(app.url("/sessions"))
            .json(&json!({"username": "Alice", "password": password}))
            .send()
    };
    let ok = login(PASSWORD).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let token = ok.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/rooms", &token).await.status(), StatusCode::OK);

    for wrong in ["wrong password", "x"] {
        let denied = login(wrong).await.unwrap();
        assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            denied.json::<Value>().await.unwrap()["error"],
            "unauthorized"
        );
    }

    let logout = app
        .http
        .delete(app.url("/sessions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/rooms", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test(migrations = false)]
async fn protected_routes_need_a_valid_token(pool: PgPool) {
    let app = spawn_app(pool).await;
    for path in ["/messages", "/users/active", "/rooms"] {
        let none = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(none.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(none.json::<Value>().await.unwrap()["error"], "unauthorized");
        let bad = app.get(path, "not-a-token").await;
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(bad.json::<Value>().await.unwrap()["error"], "unauthorized");
    }
}

#[sqlx::test(migrations = false)]
async fn message_pages_check_their_limit(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("alice").await;
    for limit in ["0", "101", "-5", "many"] {
        let response = app.get(&format!("/messages?limit={limit}"), &token).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit={limit}"
        );
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "validation"
        );
    }
    assert_eq!(
        app.get("/messages?limit=100", &token).await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = false)]
async fn posting_over_rest_reaches_websocket_clients_and_the_history(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("poster").await;
    let mut listener = app.joined("listener", "general").await;
    let post = |body: Value| {
        app.http
            .post(app.url("/messages"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    let created = post(json!({"content": "from REST", "client_id": "r-1"}))
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let stored: Value = created.json().await.unwrap();
    assert_eq!(stored["type"], "message");
    let seen = listener.next_message().await;
    assert_eq!(seen.id, stored["id"].as_i64().unwrap());
    assert_eq!(seen.username.as_str(), "poster");

    let retried = post(json!({"content": "from REST", "client_id": "r-1"}))
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(retried.json::<Value>().await.unwrap()["id"], stored["id"]);

    let second = post(json!({"content": "second"})).await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    let invalid = post(json!({"content": ""})).await.unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let page: Value = app
        .get("/messages?room=general&limit=10", &token)
        .await
        .json()
        .await
        .unwrap();
    let contents: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["from REST", "second"], "oldest first");
    assert_eq!(page[0]["type"], "message");

    let rooms: Value = app.get("/rooms", &token).await.json().await.unwrap();
    assert_eq!(rooms, json!([{"name": "general", "online": 1}]));
}

#[sqlx::test(migrations = false)]
async fn the_openapi_document_lists_every_route(pool: PgPool) {
    let app = spawn_app(pool).await;
    let spec: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in [
        ("/ws-info", "get"),
        ("/users", "post"),
        ("/sessions", "post"),
        ("/sessions", "delete"),
        ("/messages", "get"),
        ("/messages", "post"),
        ("/users/active", "get"),
        ("/rooms", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

#[sqlx::test(migrations = false)]
async fn swagger_ui_is_served_from_this_server(pool: PgPool) {
    let app = spawn_app(pool).await;
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/swagger"))
        .send()
        .await
        .unwrap();
    assert!(redirect.status().is_redirection());
    let page = app
        .http
        .get(app.url("/swagger/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("swagger-ui"));
    let scripts: Vec<&str> = page
        .split("<script src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert!(!scripts.is_empty());
    for script in scripts {
        assert!(
            !script.contains("//"),
            "script {script} is loaded from another host"
        );
        let asset = app
            .http
            .get(app.url(&format!("/swagger/{}", script.trim_start_matches("./"))))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), StatusCode::OK, "{script}");
    }
}

#[sqlx::test(migrations = false)]
async fn health_readiness_tester_and_ws_info(pool: PgPool) {
    let app = spawn_app(pool).await;
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let page = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.url().path(), "/test");
    assert!(page.text().await.unwrap().contains("<html"));
    let info: Value = app
        .http
        .get(app.url("/ws-info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["url"], format!("ws://{}/ws", app.addr));
}

#[sqlx::test(migrations = false)]
async fn refusals_keep_their_status_and_wording(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("alice").await;
    let error_of = |response: reqwest::Response| async move {
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        (status, body["error"].clone(), body["message"].clone())
    };

    let wrong = app
        .http
        .post(app.url("/sessions"))
        .json(&json!({"username": "alice", "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(wrong).await,
        (
            StatusCode::UNAUTHORIZED,
            json!("unauthorized"),
            json!("wrong username or password")
        )
    );
    let unknown = app
        .http
        .post(app.url("/sessions"))
        .json(&json!({"username": "nobody", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(unknown).await.2,
        "wrong username or password",
        "which of name and password was wrong is not told"
    );

    let missing = app.http.get(app.url("/rooms")).send().await.unwrap();
    assert_eq!(
        error_of(missing).await,
        (
            StatusCode::UNAUTHORIZED,
            json!("unauthorized"),
            json!("missing bearer token (Authorization: Bearer TOKEN)")
        )
    );
    let bogus = app.get("/rooms", &"0".repeat(64)).await;
    assert_eq!(
        error_of(bogus).await,
        (
            StatusCode::UNAUTHORIZED,
            json!("unauthorized"),
            json!("invalid or expired token")
        )
    );

    // The database goes away after the token and the room are known: the
    // send reaches the writer, which cannot store it.
    let post = |content: &str| {
        app.http
            .post(app.url("/messages"))
            .bearer_auth(&token)
            .json(&json!({"content": content}))
            .send()
    };
    assert_eq!(post("first").await.unwrap().status(), StatusCode::CREATED);
    app.pool.close().await;
    let (status, code, _) = error_of(post("lost").await.unwrap()).await;
    assert_eq!(
        (status, code),
        (StatusCode::SERVICE_UNAVAILABLE, json!("unavailable"))
    );
}
