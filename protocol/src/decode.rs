//! Turning a client's text into a [`ClientMessage`], telling apart the three
//! ways a frame can be wrong (not JSON, an unknown `type`, a bad field) so
//! the server can answer each with its own code and say which frame it was.

use serde::Deserialize;

use crate::client::{ClientKind, ClientMessage};
use crate::errors::{ErrorCode, ErrorRef};

/// Why a client frame could not be decoded; each maps to one error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not a JSON object with a string `type`.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A JSON object whose `type` is not one this protocol knows.
    #[error("unknown frame type {0:?}; expected {list}", list = ClientKind::list())]
    UnknownType(String),
    /// A known frame with a missing or invalid field.
    #[error("invalid {kind} frame: {reason}")]
    Validation {
        kind: ClientKind,
        reason: String,
        /// The frame's `client_id`, when it carried a readable one.
        client_id: Option<String>,
    },
}

impl DecodeError {
    /// The error code the server answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidJson(_) => ErrorCode::InvalidJson,
            Self::UnknownType(_) => ErrorCode::UnknownType,
            Self::Validation { .. } => ErrorCode::Validation,
        }
    }

    /// What the error frame's `ref` names: the client_id, else the type.
    pub fn reference(&self) -> Option<ErrorRef> {
        match self {
            Self::InvalidJson(_) => None,
            Self::UnknownType(kind) => Some(ErrorRef::UnknownType(kind.clone())),
            Self::Validation {
                kind, client_id, ..
            } => Some(match client_id {
                Some(id) => ErrorRef::ClientId(id.clone()),
                None => ErrorRef::Frame(*kind),
            }),
        }
    }

    /// The kind of the frame, when it was a known one.
    pub fn kind(&self) -> Option<ClientKind> {
        match self {
            Self::Validation { kind, .. } => Some(*kind),
            Self::InvalidJson(_) | Self::UnknownType(_) => None,
        }
    }
}

/// The fields read before the full decode, to tell the failures apart.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default)]
    client_id: Option<serde_json::Value>,
}

/// Decodes one client frame, telling apart bad JSON, an unknown `type` and
/// an invalid field, so the server can answer each with its own code.
pub fn decode_client(text: &str) -> Result<ClientMessage, DecodeError> {
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|e| {
        let reason = if e.is_data() {
            "a frame must be a JSON object with a string \"type\" field".to_owned()
        } else {
            strip_position(&e)
        };
        DecodeError::InvalidJson(reason)
    })?;
    let Some(kind) = ClientKind::parse(&envelope.kind) else {
        return Err(DecodeError::UnknownType(envelope.kind.into_owned()));
    };
    serde_json::from_str(text).map_err(|e| DecodeError::Validation {
        kind,
        reason: strip_position(&e),
        client_id: envelope
            .client_id
            .and_then(|v| v.as_str().map(str::to_owned)),
    })
}

/// serde_json appends " at line 1 column 17"; people reading an error frame
/// care about the field, not the column.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorial_join_frame_decodes() {
        let frame =
            decode_client(r#"{"type":"join","username":"alice","password":"secret123","extra":1}"#)
                .unwrap();
        let ClientMessage::Join(join) = frame else {
            panic!("not a join: {frame:?}")
        };
        assert_eq!(join.username.unwrap().as_str(), "alice");
        assert_eq!(join.password.unwrap().expose(), "secret123");
        assert_eq!(join.room, None);
    }

    #[test]
    fn bad_json_unknown_type_and_bad_fields_are_told_apart() {
        assert_eq!(
            decode_client("{nope").unwrap_err().code(),
            ErrorCode::InvalidJson
        );
        assert_eq!(
            decode_client("[1,2]").unwrap_err().code(),
            ErrorCode::InvalidJson
        );
        assert_eq!(
            decode_client(r#"{"content":"x"}"#).unwrap_err().code(),
            ErrorCode::InvalidJson
        );
        let unknown = decode_client(r#"{"type":"dance"}"#).unwrap_err();
        assert_eq!(unknown.code(), ErrorCode::UnknownType);
        assert_eq!(
            unknown.reference(),
            Some(ErrorRef::UnknownType("dance".into()))
        );
        assert!(
            unknown.to_string().ends_with(
                "join, message, leave, history, ping, who, edit, delete, search, typing or read"
            ),
            "{unknown}"
        );
        let empty =
            decode_client(r#"{"type":"message","content":"  ","client_id":"c9"}"#).unwrap_err();
        assert_eq!(empty.code(), ErrorCode::Validation);
        assert_eq!(empty.reference(), Some(ErrorRef::ClientId("c9".into())));
        assert!(empty.to_string().contains("must not be empty"), "{empty}");
        let missing = decode_client(r#"{"type":"message"}"#).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::Validation);
        assert_eq!(
            missing.reference(),
            Some(ErrorRef::Frame(ClientKind::Message))
        );
        assert!(missing.to_string().contains("content"), "{missing}");
        let join = decode_client(r#"{"type":"join","username":"a b"}"#).unwrap_err();
        assert_eq!(join.kind(), Some(ClientKind::Join));
    }

    #[test]
    fn history_limit_is_bounded() {
        assert!(decode_client(r#"{"type":"history","limit":100}"#).is_ok());
        for bad in ["0", "101", "-1", "1.5", "\"ten\""] {
            let text = format!(r#"{{"type":"history","limit":{bad}}}"#);
            assert_eq!(
                decode_client(&text).unwrap_err().code(),
                ErrorCode::Validation,
                "{bad}"
            );
        }
    }
}
