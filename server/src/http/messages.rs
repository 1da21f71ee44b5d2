//! `GET /messages` (a page of history), `POST /messages` (send over REST;
//! delivered to the room's WebSocket clients like any other message), and
//! `PATCH`/`DELETE /messages/{id}` (edit or delete one's own).

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use sapa_protocol::{
    ClientId, Content, MessageView, PageLimit, RoomName, ServerMessage, Username,
    rest::{EditMessage, ErrorBody, PostMessage},
    serialize_message_frames,
};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::{
    bearer::Bearer,
    error::{ApiError, ApiJson, ApiPath, ApiQuery},
};
use crate::{
    persist::changes::{self, Change},
    state::AppState,
    store::NewMessage,
};

/// Which page of history.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The room (default `general`).
    #[param(value_type = Option<RoomName>)]
    pub room: Option<String>,
    /// 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Only messages older than this id (a message id, 1 or more).
    #[param(minimum = 1)]
    pub before_id: Option<i64>,
}

/// `before_id` as the routes take it: a message id, so 1 or more.
pub(super) fn before_id(value: Option<i64>) -> Result<Option<i64>, ApiError> {
    match value {
        Some(id) if id < 1 => Err(ApiError::validation(format!(
            "before_id must be a message id (1 or more), got {id}"
        ))),
        value => Ok(value),
    }
}

/// Message views as `message` frames (each with `"type":"message"`).
pub struct MessageList(Vec<MessageView>);

impl Serialize for MessageList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_message_frames(&self.0, serializer)
    }
}

/// The newest page of a room (or the page before `before_id`), oldest first.
#[utoipa::path(get, path = "/messages", tag = "Messages", params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = [MessageView]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "another user's direct room", body = ErrorBody),
        (status = 422, description = "bad room name or limit", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Bearer,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<MessageList>, ApiError> {
    let before_id = before_id(query.before_id)?;
    let room = query
        .room
        .map(RoomName::parse)
        .transpose()?
        .unwrap_or_default();
    caller.may_read(&room)?;
    let limit = query
        .limit
        .map(PageLimit::parse)
        .transpose()?
        .unwrap_or_default();
    let room_id = match state.hub.room_id(&room) {
        Some(id) => Some(id),
        None => state.store.room_id(&room).await?,
    };
    let Some(room_id) = room_id else {
        return Ok(Json(MessageList(Vec::new())));
    };
    let (messages, _) = state
        .store
        .history_before(room_id, before_id, limit.get())
        .await?;
    Ok(Json(MessageList(messages)))
}

/// Stores a message and delivers it to the room.
#[utoipa::path(post, path = "/messages", tag = "Messages", request_body = PostMessage,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "stored and delivered", body = MessageView),
        (status = 200, description = "this client_id was already used: the stored message", body = MessageView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "another user's direct room", body = ErrorBody),
        (status = 404, description = "`to` names no user", body = ErrorBody),
        (status = 422, description = "invalid, or both `room` and `to`", body = ErrorBody),
        (status = 503, description = "database down: nothing was stored", body = ErrorBody),
    ))]
pub async fn post(
    State(state): State<AppState>,
    caller: Bearer,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<impl IntoResponse, ApiError> {
    let content = Content::parse(body.content)?;
    let me = &caller.identity.username;
    let room = match (body.room, body.to) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "a message goes to a room or to a user (to), not both",
            ));
        }
        (None, Some(to)) => RoomName::direct(me, &Username::parse(to)?),
        (room, None) => room.map(RoomName::parse).transpose()?.unwrap_or_default(),
    };
    let client_id = body.client_id.map(ClientId::parse).transpose()?;
    let (room_id, to) = if room.is_direct() {
        caller.may_read(&room)?;
        let Some(direct) = state.store.direct_room(&room).await? else {
            let peer = room.peer_of(me).unwrap_or("?");
            return Err(ApiError::not_found(format!("no user named {peer}")));
        };
        (direct.id, Some(direct.peer_of(me).clone()))
    } else {
        let id = match state.hub.room_id(&room) {
            Some(id) => id,
            None => state.store.ensure_room(&room).await?,
        };
        (id, None)
    };
    let stored = state
        .writer
        .store(NewMessage {
            room_id,
            room,
            user_id: caller.identity.user_id,
            username: caller.identity.username,
            content,
            client_id,
            to,
        })
        .await?;
    let status = if stored.fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    // The same object as a `message` frame, `type` included.
    Ok((status, Json(ServerMessage::Message(stored.view))))
}

/// Changes the text of one of the caller's messages; the room hears
/// `edited`.
#[utoipa::path(patch, path = "/messages/{id}", tag = "Messages", request_body = EditMessage,
    params(("id" = i64, Path, minimum = 1, description = "the message")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "edited: the message as it now reads", body = MessageView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "someone else's message", body = ErrorBody),
        (status = 404, description = "no such message, or deleted", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 503, description = "database down: nothing changed", body = ErrorBody),
    ))]
pub async fn edit(
    State(state): State<AppState>,
    caller: Bearer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EditMessage>,
) -> Result<Json<ServerMessage>, ApiError> {
    let content = Content::parse(body.content)?;
    let applied = changes::apply(
        &state.store,
        &state.hub,
        id,
        caller.identity.user_id,
        Change::Edit(content),
    )
    .await?;
    Ok(Json(ServerMessage::Message(applied.view)))
}

/// Deletes one of the caller's messages: its text is erased and a
/// tombstone stays; the room hears `deleted`.
#[utoipa::path(delete, path = "/messages/{id}", tag = "Messages",
    params(("id" = i64, Path, minimum = 1, description = "the message")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "someone else's message", body = ErrorBody),
        (status = 404, description = "no such message, or deleted already", body = ErrorBody),
        (status = 422, description = "the id is not a message id", body = ErrorBody),
        (status = 503, description = "database down: nothing changed", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Bearer,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    changes::apply(
        &state.store,
        &state.hub,
        id,
        caller.identity.user_id,
        Change::Delete,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
