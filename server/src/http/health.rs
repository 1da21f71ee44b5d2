//! Liveness and readiness probes.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::state::AppState;

/// A probe's answer.
#[derive(Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "Health", responses((status = 200, body = Status)))]
pub async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// How long readiness waits for its database round trip: a load
/// balancer's probe wants an answer, not a hang while the pool waits for a
/// connection that will not come.
const READY_TIMEOUT: Duration = Duration::from_millis(800);

/// The server can reach its database (answered within a second).
#[utoipa::path(get, path = "/readyz", tag = "Health", responses(
    (status = 200, body = Status),
    (status = 503, description = "the database is unreachable", body = sapa_protocol::rest::ErrorBody),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<(StatusCode, Json<Status>), ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(reached) => reached?,
        Err(_) => return Err(ApiError::unavailable("the database does not answer")),
    }
    Ok((StatusCode::OK, Json(Status { status: "ready" })))
}
