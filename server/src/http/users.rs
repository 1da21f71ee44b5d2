//! `POST /users` (register) and `GET /users/active` (who is online).

use axum::{Json, extract::State, http::StatusCode};
use sapa_protocol::{
    NewPassword, RoomName, Username,
    rest::{Credentials, ErrorBody, Registered},
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    bearer::Bearer,
    client_ip::ClientIp,
    error::{ApiError, ApiJson, ApiQuery},
};
use crate::state::AppState;

/// Registers a new account.
#[utoipa::path(post, path = "/users", tag = "Users", request_body = Credentials, responses(
    (status = 201, description = "registered", body = Registered),
    (status = 409, description = "the name is taken", body = ErrorBody),
    (status = 422, description = "invalid name or password", body = ErrorBody),
    (status = 429, description = "too many registrations or logins from this address; see Retry-After", body = ErrorBody),
    (status = 503, description = "the database is down: no account was made", body = ErrorBody),
))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let username = Username::parse(body.username)?;
    let password = NewPassword::parse(body.password)?;
    let Some(identity) = state.accounts.register(&username, &password, ip.0).await? else {
        return Err(ApiError::conflict(format!("the name {username} is taken")));
    };
    let issued = state.accounts.issue_token(identity.user_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            id: identity.user_id,
            username: identity.username,
            token: issued.token,
            expires_at: issued.expires_at,
        }),
    ))
}

/// Which room to ask about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoomQuery {
    /// A room name; all rooms when absent.
    #[param(value_type = Option<RoomName>)]
    pub room: Option<String>,
}

/// Users online (in a room, or anywhere), sorted, each once.
#[utoipa::path(get, path = "/users/active", tag = "Users", params(RoomQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = [String], example = json!(["alice", "bob"])),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn active(
    State(state): State<AppState>,
    _caller: Bearer,
    ApiQuery(query): ApiQuery<RoomQuery>,
) -> Result<Json<Vec<Username>>, ApiError> {
    let room = query.room.map(RoomName::parse).transpose()?;
    Ok(Json(state.hub.online(room.as_ref())))
}
