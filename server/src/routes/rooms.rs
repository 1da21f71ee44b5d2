//! `GET /rooms`: every room with how many users are online in it.

use axum::{Json, extract::State};
use sapa_protocol::RoomName;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    app::AppState,
    auth::Bearer,
    error::{ApiError, ErrorBody},
};

/// A room and its online count.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"name": "general", "online": 3}))]
pub struct RoomInfo {
    #[schema(value_type = String)]
    pub name: RoomName,
    pub online: usize,
}

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
                online: counts.get(&name).copied().unwrap_or(0),
                name,
            })
            .collect(),
    ))
}
