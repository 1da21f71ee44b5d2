//! Liveness and readiness probes.

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

/// The server can reach its database.
#[utoipa::path(get, path = "/readyz", tag = "Health", responses(
    (status = 200, body = Status),
    (status = 503, description = "the database is unreachable", body = sapa_protocol::rest::ErrorBody),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<(StatusCode, Json<Status>), ApiError> {
    state.store.ping().await?;
    Ok((StatusCode::OK, Json(Status { status: "ready" })))
}
