//! `POST /sessions` (log in) and `DELETE /sessions` (log out).

use axum::{Json, extract::State, http::StatusCode};
use sapa_protocol::rest::{Credentials, ErrorBody, Session};

use super::{
    bearer::Bearer,
    client_ip::ClientIp,
    error::{ApiError, ApiJson},
};
use crate::state::AppState;

/// Logs in. Never validates the format of what it is given: wrong is 401.
#[utoipa::path(post, path = "/sessions", tag = "Sessions", request_body = Credentials, responses(
    (status = 200, body = Session),
    (status = 401, description = "wrong username or password", body = ErrorBody),
    (status = 429, description = "too many attempts from this address or for this account; see Retry-After", body = ErrorBody),
    (status = 503, description = "the database is down", body = ErrorBody),
))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<Session>, ApiError> {
    let identity = state
        .accounts
        .login(&body.username, body.password.expose(), ip.0)
        .await?;
    let issued = state.accounts.issue_token(identity.user_id).await?;
    Ok(Json(Session {
        token: issued.token,
        expires_at: issued.expires_at,
    }))
}

/// Revokes the token used to call it.
#[utoipa::path(delete, path = "/sessions", tag = "Sessions", security(("bearer" = [])), responses(
    (status = 204, description = "the token no longer works"),
    (status = 401, body = ErrorBody),
))]
pub async fn logout(State(state): State<AppState>, caller: Bearer) -> Result<StatusCode, ApiError> {
    state.accounts.revoke(&caller.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
