//! `GET /rooms`: every room with how many users are online in it.

use axum::{Json, extract::State};
use sapa_protocol::rest::{ErrorBody, RoomInfo};

use super::{bearer::Bearer, error::ApiError};
use crate::state::AppState;

/// Rooms, alphabetically, with online counts.
#[utoipa::path(get, path = "/rooms", tag = "Rooms", security(("bearer" = [])), responses(
    (status = 200, body = [RoomInfo]),
    (status = 401, body = ErrorBody),
))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Bearer,
) -> Result<Json<Vec<RoomInfo>>, ApiError> {
    let counts = state.hub.online_counts();
    let rooms = state.store.room_names().await?;
    Ok(Json(
        rooms
            .into_iter()
            .map(|name| RoomInfo {
                online: counts.get(&name).copied().unwrap_or(0) as u64,
                name,
            })
            .collect(),
    ))
}
