//! Error codes, shared by WebSocket error frames and REST error bodies, and
//! what an error frame refers to ([`ErrorRef`]): typed, so a client asks
//! "was this my join?" with a pattern, not by comparing a string with
//! `"join"`.

use serde::{Deserialize, Serialize};

use crate::client::ClientKind;

/// Every error code, shared by error frames and REST error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    InvalidJson,
    UnknownType,
    Validation,
    Unauthorized,
    Forbidden,
    NotJoined,
    RateLimited,
    TooLarge,
    /// The database is down: nothing was stored.
    Unavailable,
    Internal,
    /// REST only: the name is already registered.
    Conflict,
    /// No such route, resource or user.
    NotFound,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::UnknownType => "unknown_type",
            Self::Validation => "validation",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotJoined => "not_joined",
            Self::RateLimited => "rate_limited",
            Self::TooLarge => "too_large",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::Conflict => "conflict",
            Self::NotFound => "not_found",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an error frame refers to: the frame that caused it.
///
/// On the wire it is one string, the `ref` field: a message's `client_id`
/// when it carried one, else the frame's `type`, or the unknown `type` an
/// `unknown_type` error names. Decoding reads it back with the help of the
/// error code. A client that used a frame type (`"join"`, say) as a
/// client_id would read its message's errors as that frame's: sapa's
/// clients never do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorRef {
    /// A frame of this kind that carried no client_id.
    Frame(ClientKind),
    /// The message with this `client_id` (as sent, even if it was invalid).
    ClientId(String),
    /// A `type` this protocol does not know, as sent.
    UnknownType(String),
}

impl ErrorRef {
    /// The `ref` string on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Frame(kind) => kind.as_str(),
            Self::ClientId(text) | Self::UnknownType(text) => text,
        }
    }

    /// Reads a `ref` string back, knowing the error's code.
    pub fn parse(code: ErrorCode, text: String) -> Self {
        if code == ErrorCode::UnknownType {
            return Self::UnknownType(text);
        }
        match ClientKind::parse(&text) {
            Some(kind) => Self::Frame(kind),
            None => Self::ClientId(text),
        }
    }

    /// The client_id this refers to, if it is one.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::ClientId(id) => Some(id),
            Self::Frame(_) | Self::UnknownType(_) => None,
        }
    }
}

/// `error`: what was refused and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "WireError", into = "WireError")]
pub struct ErrorFrame {
    pub code: ErrorCode,
    pub content: String,
    /// The frame that caused it.
    pub reference: Option<ErrorRef>,
    /// With `rate_limited`: whole seconds until trying again can succeed.
    pub retry_after: Option<u32>,
}

/// [`ErrorFrame`] as it travels: `ref` is a plain string.
#[derive(Serialize, Deserialize)]
struct WireError {
    code: ErrorCode,
    content: String,
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u32>,
}

impl From<WireError> for ErrorFrame {
    fn from(wire: WireError) -> Self {
        Self {
            code: wire.code,
            content: wire.content,
            reference: wire.reference.map(|r| ErrorRef::parse(wire.code, r)),
            retry_after: wire.retry_after,
        }
    }
}

impl From<ErrorFrame> for WireError {
    fn from(frame: ErrorFrame) -> Self {
        Self {
            code: frame.code,
            content: frame.content,
            reference: frame.reference.map(|r| match r {
                ErrorRef::Frame(kind) => kind.as_str().to_owned(),
                ErrorRef::ClientId(text) | ErrorRef::UnknownType(text) => text,
            }),
            retry_after: frame.retry_after,
        }
    }
}

/// A wait as `retry_after` (and HTTP's `Retry-After`) say it: whole
/// seconds, rounded up, at least one, so a client that waits that long is
/// never early.
pub fn retry_secs(wait: std::time::Duration) -> u32 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    u32::try_from(secs.max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_told_in_whole_seconds_rounded_up() {
        use std::time::Duration;
        assert_eq!(retry_secs(Duration::ZERO), 1);
        assert_eq!(retry_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_secs(Duration::from_millis(2001)), 3);
    }

    #[test]
    fn error_codes_display_as_on_the_wire() {
        assert_eq!(ErrorCode::NotJoined.to_string(), "not_joined");
        assert_eq!(
            serde_json::to_string(&ErrorCode::TooLarge).unwrap(),
            "\"too_large\""
        );
    }

    #[test]
    fn a_reference_reads_back_as_what_it_was() {
        let cases = [
            (ErrorCode::Unauthorized, ErrorRef::Frame(ClientKind::Join)),
            (ErrorCode::RateLimited, ErrorRef::ClientId("c-7".into())),
            (
                ErrorCode::UnknownType,
                ErrorRef::UnknownType("dance".into()),
            ),
            // An unknown type that happens to be a known kind's name is
            // still the unknown type: the code decides.
            (ErrorCode::UnknownType, ErrorRef::UnknownType("join".into())),
        ];
        for (code, reference) in cases {
            let frame = ErrorFrame {
                code,
                content: "why".into(),
                reference: Some(reference),
                retry_after: None,
            };
            let json = serde_json::to_string(&frame).unwrap();
            assert_eq!(serde_json::from_str::<ErrorFrame>(&json).unwrap(), frame);
        }
    }
}
