//! The OpenAPI document as a contract: it states the rules the server
//! enforces, and the server answers what the document says. (scripts/fuzz
//! checks the same at scale with generated requests.)

use reqwest::StatusCode;
use sapa_protocol::schema;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn_app};

async fn document(app: &TestApp) -> Value {
    let response = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every (path, method, operation) of the document.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    all
}

#[sqlx::test(migrations = false)]
async fn the_document_states_the_rules_of_every_field(pool: PgPool) {
    let app = spawn_app(pool).await;
    let spec = document(&app).await;
    let schemas = &spec["components"]["schemas"];
    for (name, max, pattern) in [
        ("Username", 32, schema::USERNAME_PATTERN),
        ("RoomName", 68, schema::ROOM_PATTERN),
        ("Content", 4000, schema::CONTENT_PATTERN),
        ("SearchQuery", 256, schema::SEARCH_PATTERN),
        ("ClientId", 64, schema::CLIENT_ID_PATTERN),
        ("NewPassword", 256, ""),
    ] {
        let schema = &schemas[name];
        assert_eq!(schema["maxLength"], max, "{name}: {schema}");
        assert!(schema["minLength"].as_u64().unwrap() >= 1, "{name}");
        assert_eq!(schema["pattern"].as_str().unwrap_or(""), pattern, "{name}");
    }
    assert_eq!(schemas["NewPassword"]["minLength"], 8);
    let credentials = &schemas["Credentials"]["properties"];
    assert_eq!(
        credentials["username"]["$ref"],
        "#/components/schemas/Username"
    );
    assert_eq!(
        credentials["password"]["$ref"],
        "#/components/schemas/NewPassword"
    );

    // Query parameters are in the query, optional unless needed, and bounded.
    let list = &spec["paths"]["/messages"]["get"]["parameters"];
    let param = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}"))
            .clone()
    };
    for name in ["room", "limit", "before_id"] {
        assert_eq!(param(name)["in"], "query", "{name}");
        assert_eq!(param(name)["required"], false, "{name}");
    }
    assert_eq!(param("limit")["schema"]["minimum"], 1);
    assert_eq!(param("limit")["schema"]["maximum"], 100);
    assert_eq!(param("before_id")["schema"]["minimum"], 1);
    let q = &spec["paths"]["/search"]["get"]["parameters"][0];
    assert_eq!(
        (&q["name"], &q["in"], &q["required"]),
        (&json!("q"), &json!("query"), &json!(true))
    );
}

#[sqlx::test(migrations = false)]
async fn every_status_a_route_can_answer_is_documented(pool: PgPool) {
    let app = spawn_app(pool).await;
    let spec = document(&app).await;
    let free = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/ws-info",
        "/ws",
        "/chat/{room}",
    ];
    // Prometheus text, not JSON.
    let metrics = &spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    assert!(metrics["text/plain"].is_object(), "/metrics: {metrics}");
    for (path, method, operation) in operations(&spec) {
        let responses = operation["responses"].as_object().unwrap();
        let has = |status: &str| responses.contains_key(status);
        let route = format!("{method} {path}");
        if !free.contains(&path.as_str()) {
            assert!(has("429"), "{route}: 429");
        }
        if has("429") {
            assert!(
                responses["429"]["headers"]["Retry-After"].is_object(),
                "{route}: Retry-After"
            );
        }
        if operation["requestBody"].is_object() {
            for status in ["400", "413", "415", "422"] {
                assert!(has(status), "{route}: {status}");
            }
        }
        if operation["security"].is_array() {
            assert!(has("401") && has("503"), "{route}: 401 and 503");
        }
        if path == "/ws" || path == "/chat/{room}" {
            assert!(has("426"), "{route}: 426 for a plain request");
        }
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{route} {status}: the JSON error body"
                );
            }
        }
    }
}

#[sqlx::test(migrations = false)]
async fn the_server_answers_what_the_document_says(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("alice").await;
    let expect = async |response: reqwest::Response, status: StatusCode, code: &str| {
        assert_eq!(response.status(), status, "{}", response.url());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], code, "{body}");
    };

    for path in ["/messages?before_id=0", "/search?q=hello&before_id=-5"] {
        expect(
            app.get(path, &token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
    }
    let not_an_id = app
        .http
        .delete(app.url("/messages/abc"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect(not_an_id, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let bad_room = app
        .http
        .get(app.url("/chat/No%20Such"))
        .send()
        .await
        .unwrap();
    expect(bad_room, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;

    let post = |body: &'static str, content_type: Option<&'static str>| {
        let request = app
            .http
            .post(app.url("/messages"))
            .bearer_auth(&token)
            .body(body);
        match content_type {
            Some(content_type) => request.header("content-type", content_type),
            None => request,
        }
        .send()
    };
    let no_type = post(r#"{"content":"hi"}"#, None).await.unwrap();
    expect(no_type, StatusCode::UNSUPPORTED_MEDIA_TYPE, "invalid_json").await;
    let not_json = post("{content", Some("application/json")).await.unwrap();
    expect(not_json, StatusCode::BAD_REQUEST, "invalid_json").await;
    let huge = app
        .http
        .post(app.url("/messages"))
        .bearer_auth(&token)
        .json(&json!({"content": "x".repeat(3 * 1024 * 1024)}))
        .send()
        .await
        .unwrap();
    expect(huge, StatusCode::PAYLOAD_TOO_LARGE, "invalid_json").await;

    // And a valid page still works.
    assert_eq!(
        app.get("/messages?before_id=1&limit=1", &token)
            .await
            .status(),
        StatusCode::OK
    );
}
