//! The WebSocket boundary's one error type: an error frame to send (code,
//! message, what it refers to) and whether the connection ends after it.
//! Every failure a session meets (a frame that does not decode, a refused
//! credential, a database that is down, a message the writer could not
//! store) becomes a [`WsError`] through `From`, so each is mapped to a code
//! in exactly one place; [`WsError::to_frame`] is where it becomes a frame.

use std::time::Duration;

use sapa_protocol::{DecodeError, ErrorCode, ErrorRef, ServerMessage};
use tungstenite::Utf8Bytes;

use crate::{
    accounts::AuthError,
    persist::{WriteError, changes::ChangeError},
    store::StoreError,
};

/// How the server ends a connection: the close frame's code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

impl Close {
    /// The server is stopping (1001).
    pub const SHUTDOWN: Self = Self {
        code: 1001,
        reason: "server shutting down",
    };
    /// A first join failed: the connection has no identity (1008).
    pub const AUTH_FAILED: Self = Self {
        code: 1008,
        reason: "authentication failed",
    };
    /// Still sending after many `rate_limited` answers in a row (1008).
    pub const ABUSE: Self = Self {
        code: 1008,
        reason: "rate limit exceeded repeatedly",
    };
    /// A frame over the size limit (1009).
    pub const TOO_LARGE: Self = Self {
        code: 1009,
        reason: "frame too large",
    };
    /// A reader too slow for its queue (1013); it resumes with since_id.
    pub const TOO_SLOW: Self = Self {
        code: 1013,
        reason: "too slow: join again with since_id to catch up",
    };
}

/// Something a client's frame could not do, as the client will hear it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsError {
    pub code: ErrorCode,
    pub message: String,
    /// The frame that caused it: its client_id, else its kind.
    pub reference: Option<ErrorRef>,
    /// Set when the connection ends after the error frame.
    pub close: Option<Close>,
    /// With `rate_limited`: how long until a retry can succeed.
    pub retry_after: Option<Duration>,
}

impl WsError {
    /// An error that leaves the connection open and refers to nothing yet.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            reference: None,
            close: None,
            retry_after: None,
        }
    }

    /// `rate_limited`: refused for rate; a retry after `wait` can succeed.
    pub fn rate_limited(message: impl Into<String>, wait: Duration) -> Self {
        Self {
            retry_after: Some(wait),
            ..Self::new(ErrorCode::RateLimited, message)
        }
    }

    /// The same error, referring to the frame that caused it.
    pub fn about(mut self, reference: ErrorRef) -> Self {
        self.reference = Some(reference);
        self
    }

    /// The same error, after which the connection ends with `close`.
    pub fn closing(mut self, close: Close) -> Self {
        self.close = Some(close);
        self
    }

    /// The `error` frame.
    pub fn to_frame(&self) -> ServerMessage {
        match self.retry_after {
            Some(wait) => {
                ServerMessage::rate_limited(self.message.clone(), self.reference.clone(), wait)
            }
            None => ServerMessage::error(self.code, self.message.clone(), self.reference.clone()),
        }
    }

    /// The `error` frame, encoded.
    pub fn to_text(&self) -> Utf8Bytes {
        Utf8Bytes::from(self.to_frame().to_json())
    }
}

impl From<DecodeError> for WsError {
    fn from(error: DecodeError) -> Self {
        Self {
            code: error.code(),
            message: error.to_string(),
            reference: error.reference(),
            close: None,
            retry_after: None,
        }
    }
}

impl From<StoreError> for WsError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "the database is unavailable; try again",
                )
            }
            StoreError::Other(cause) => {
                tracing::error!(%cause, "database error");
                Self::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}

impl From<AuthError> for WsError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Denied(why) => Self::new(ErrorCode::Unauthorized, why),
            AuthError::Invalid(why) => Self::new(ErrorCode::Validation, why),
            AuthError::Store(error) => error.into(),
            AuthError::Hashing(_) => {
                tracing::error!(%error, "authentication failed");
                Self::new(ErrorCode::Internal, "internal error")
            }
            AuthError::Throttled(limited) => {
                crate::telemetry::rate_limited(limited.kind.as_str());
                Self::rate_limited(limited.message(), limited.wait)
            }
        }
    }
}

impl From<ChangeError> for WsError {
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::NotFound => Self::new(ErrorCode::NotFound, "no such message"),
            ChangeError::NotAuthor => Self::new(
                ErrorCode::Forbidden,
                "only its author may edit or delete a message",
            ),
            ChangeError::Store(error) => error.into(),
        }
    }
}

impl From<WriteError> for WsError {
    fn from(error: WriteError) -> Self {
        let code = match error {
            WriteError::Unavailable => ErrorCode::Unavailable,
            WriteError::Internal => ErrorCode::Internal,
        };
        Self::new(code, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sapa_protocol::ClientKind;

    use super::*;

    #[test]
    fn a_store_error_is_unavailable_or_internal_and_never_shows_its_cause() {
        let down = WsError::from(StoreError::from(sqlx::Error::PoolTimedOut));
        assert_eq!(down.code, ErrorCode::Unavailable);
        let bug = WsError::from(StoreError::Other(Arc::new(sqlx::Error::RowNotFound)));
        assert_eq!(bug.code, ErrorCode::Internal);
        assert_eq!(bug.message, "internal error");
    }

    #[test]
    fn the_frame_carries_code_message_and_reference() {
        let error = WsError::new(ErrorCode::NotJoined, "join first")
            .about(ErrorRef::Frame(ClientKind::History))
            .closing(Close::AUTH_FAILED);
        assert_eq!(
            error.to_text().as_str(),
            r#"{"type":"error","code":"not_joined","content":"join first","ref":"history"}"#
        );
        assert_eq!(error.close, Some(Close::AUTH_FAILED));
    }

    #[test]
    fn auth_errors_map_to_the_codes_a_client_acts_on() {
        let denied = WsError::from(AuthError::Denied("wrong username or password"));
        assert_eq!(denied.code, ErrorCode::Unauthorized);
        assert_eq!(denied.message, "wrong username or password");
        let invalid = WsError::from(AuthError::Invalid("too short".into()));
        assert_eq!(invalid.code, ErrorCode::Validation);
        let down = WsError::from(AuthError::Store(sqlx::Error::PoolClosed.into()));
        assert_eq!(down.code, ErrorCode::Unavailable);
    }
}
