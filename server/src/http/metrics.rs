//! `GET /metrics`: the Prometheus text format, on the main listener or,
//! with `SAPA_METRICS_BIND`, only on a listener of its own ([`router`]);
//! and the middleware that counts every HTTP request by method, route
//! template (never the raw path: `/messages/{id}`, not `/messages/42`) and
//! status. The series themselves are `telemetry.rs`.

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{state::AppState, telemetry};

/// The media type of Prometheus' text exposition format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every series in Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "Health", responses(
    (status = 200, description = "the server's metrics, Prometheus text format", content_type = "text/plain", body = String),
))]
pub async fn scrape(State(state): State<AppState>) -> Response {
    telemetry::set_gauges(state.connections.len(), state.hub.room_count());
    let text = telemetry::install().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response()
}

/// `/metrics` alone, for its own listener.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// Middleware: counts the request once answered. Requests no route
/// matched count under the route `unmatched`.
pub async fn count_requests(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let response = next.run(request).await;
    telemetry::http_request(
        method.as_str(),
        route.as_deref().unwrap_or("unmatched"),
        response.status().as_u16(),
    );
    response
}
