//! The HTTP surface: the router with CORS, tracing and JSON fallbacks
//! (here), the REST error type and JSON extractors ([`error`]), the bearer
//! token extractor (`bearer.rs`), one file per REST resource, the WebSocket
//! endpoints (`ws.rs`, with the handshake in `upgrade.rs`, handing the
//! socket to [`crate::realtime`]), the tester page, the OpenAPI document
//! with Swagger UI, and /metrics with the request counts behind it
//! ([`metrics`]). [`router`] builds it all
//! from an [`AppState`] without binding anything, so tests can call it
//! directly.
//!
//! Handlers parse, call the accounts, writer, hub or store, and shape the
//! answer; no SQL and no password or token logic lives here.

mod bearer;
mod client_ip;
mod conversations;
pub mod error;
mod health;
mod messages;
pub mod metrics;
pub mod openapi;
mod rooms;
mod search;
mod sessions;
mod tester;
mod upgrade;
mod users;
mod ws;

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, Request, StatusCode},
    response::IntoResponse,
};
use sapa_protocol::ErrorCode;
use tower_http::{
    cors::{AllowOrigin, Any, CorsLayer},
    trace::TraceLayer,
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::SwaggerUi;

pub use bearer::Bearer;
pub use client_ip::ClientIp;
pub use error::{ApiError, ApiJson, ApiQuery};

use crate::state::AppState;

/// Every route, with CORS, request tracing and JSON errors for unknown paths.
pub fn router(state: AppState) -> Router {
    let cors = cors(&state.config.cors_origins);
    // These routes count against the REST limit per address; the health
    // checks are free, and the WebSocket upgrades have limits of their own
    // (connections per address).
    let mut rest = OpenApiRouter::new()
        .routes(routes!(users::register))
        .routes(routes!(users::active))
        .routes(routes!(sessions::login, sessions::logout))
        .routes(routes!(messages::list, messages::post))
        .routes(routes!(messages::edit, messages::delete))
        .routes(routes!(search::search))
        .routes(routes!(conversations::list))
        .routes(routes!(conversations::mark_read))
        .routes(routes!(rooms::list));
    openapi::rate_limited(rest.get_openapi_mut());
    let rest = rest.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        client_ip::rest_limit,
    ));
    let mut api = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi());
    // On its own listener, /metrics is neither here nor in the document.
    if state.config.metrics_bind.is_none() {
        api = api.routes(routes!(metrics::scrape));
    }
    let (api, mut spec) = api
        .merge(rest)
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(ws::info))
        .routes(routes!(ws::upgrade))
        .routes(routes!(ws::upgrade_room))
        .with_state(state.clone())
        .split_for_parts();
    openapi::shared_responses(&mut spec);

    api.merge(tester::router())
        .merge(SwaggerUi::new("/swagger").url("/openapi.json", spec))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(metrics::count_requests))
        .layer(
            // Paths only: query strings may hold a token, and headers the
            // Authorization; neither belongs in a log line.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::debug_span!("http", method = %request.method(), path = %request.uri().path())
            }),
        )
        .layer(cors)
}

fn cors(origins: &[String]) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            axum::http::header::AUTHORIZATION,
            axum::http::header::CONTENT_TYPE,
            HeaderName::from_static("x-requested-with"),
        ]);
    if origins.iter().any(|o| o.trim() == "*") {
        layer.allow_origin(Any)
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
            .collect();
        layer.allow_origin(AllowOrigin::list(list))
    }
}

async fn not_found() -> impl IntoResponse {
    ApiError::not_found("no such route; see /swagger for the API")
}

async fn method_not_allowed() -> impl IntoResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::NotFound,
        "method not allowed on this route; see /swagger for the API",
    )
}
