//! The [`Bearer`] extractor: `Authorization: Bearer TOKEN` -> the caller's
//! identity, for REST routes that need one.
//!
//! Checking the token is the accounts' business ([`crate::accounts`]); this
//! file only reads the header. How a refusal reads over REST is decided with
//! every other error, in [`super::error`].

use axum::{
    extract::FromRequestParts,
    http::{header::AUTHORIZATION, request::Parts},
};

use super::error::ApiError;
use crate::{
    accounts::{AuthError, Identity},
    state::AppState,
};

/// The caller of a REST route that needs a bearer token.
#[derive(Debug, Clone)]
pub struct Bearer {
    pub identity: Identity,
    /// The token itself, so `DELETE /sessions` can revoke it.
    pub token: String,
}

impl Bearer {
    /// Whether the caller may read `room`: every public room, and only
    /// their own direct rooms (403 for another's).
    pub fn may_read(&self, room: &sapa_protocol::RoomName) -> Result<(), ApiError> {
        if room.readable_by(&self.identity.username) {
            Ok(())
        } else {
            Err(ApiError::not_your_room(room))
        }
    }
}

/// No usable `Authorization` header.
const MISSING: AuthError = AuthError::Denied("missing bearer token (Authorization: Bearer TOKEN)");

/// A token the accounts refused. REST has always worded this differently
/// from the WebSocket's "unknown or expired token"; clients may match on it.
const REFUSED: AuthError = AuthError::Denied("invalid or expired token");

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(MISSING)?;
        let identity = match state.accounts.check_token(token).await {
            Err(AuthError::Denied(_)) => return Err(REFUSED.into()),
            checked => checked?,
        };
        Ok(Self {
            identity,
            token: token.to_owned(),
        })
    }
}
