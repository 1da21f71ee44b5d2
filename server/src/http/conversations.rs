//! `GET /conversations` (the caller's rooms and DMs with unread counts) and
//! `PUT /conversations/{room}/read` (the `read` frame over REST: the
//! caller's connections all hear the new marker).

use axum::{Json, extract::State, http::StatusCode};
use sapa_protocol::{
    RoomName,
    rest::{Conversation, ErrorBody, MarkRead},
};

use super::{
    bearer::Bearer,
    error::{ApiError, ApiJson, ApiPath},
};
use crate::{persist::markers, state::AppState, store::Marked};

/// The caller's rooms with a read marker and DMs with a message, by
/// name: each with its newest id, the marker (0: none) and the messages
/// by others, not deleted, above it.
#[utoipa::path(get, path = "/conversations", tag = "Messages",
    security(("bearer" = [])),
    responses(
        (status = 200, body = [Conversation]),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Bearer,
) -> Result<Json<Vec<Conversation>>, ApiError> {
    Ok(Json(
        state.store.conversations(caller.identity.user_id).await?,
    ))
}

/// Moves the caller's read marker in a room forward (never back; an id
/// above the newest counts as the newest). The caller's sockets hear it.
#[utoipa::path(put, path = "/conversations/{room}/read", tag = "Messages",
    request_body = MarkRead,
    params(("room" = RoomName, Path, description = "the room or DM")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "stored (or already there)"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "another user's direct room", body = ErrorBody),
        (status = 404, description = "no such room", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Bearer,
    ApiPath(room): ApiPath<String>,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<StatusCode, ApiError> {
    let room = RoomName::parse(room)?;
    caller.may_read(&room)?;
    if body.up_to < 0 {
        return Err(ApiError::validation("up_to must be 0 or more"));
    }
    let marked = markers::mark(
        &state.store,
        &state.hub,
        (caller.identity.user_id, &caller.identity.username),
        &room,
        body.up_to,
        None,
    )
    .await?;
    match marked {
        Marked::UnknownRoom => Err(ApiError::not_found("no such room")),
        Marked::Unchanged | Marked::Moved(_) => Ok(StatusCode::NO_CONTENT),
    }
}
