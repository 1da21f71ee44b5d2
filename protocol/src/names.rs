//! Validated newtypes for every string that crosses the wire with rules
//! attached. Each type can only be built through `parse`, so a value that
//! exists has passed validation; serde goes through the same `parse`
//! (`try_from = "String"`), so a frame with a bad field never decodes.
//!
//! Secrets (passwords, tokens) live here too, wrapped so that `Debug` never
//! prints them: a stray `tracing::debug!(?frame)` cannot leak a credential.

use std::fmt;

use serde::{Deserialize, Serialize};

mod direct;

/// Why a value was refused. The message is written for the person who typed
/// the value, and becomes the `content` of a `validation` error frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub String);

fn invalid(message: impl Into<String>) -> ValidationError {
    ValidationError(message.into())
}

/// Most characters a username may have.
pub const USERNAME_MAX: usize = 32;
/// Most characters a room name may have.
pub const ROOM_MAX: usize = 32;
/// Most characters a direct conversation's room name may have:
/// `dm:` and two usernames with a `:` between.
pub const DIRECT_ROOM_MAX: usize = DIRECT_PREFIX.len() + 2 * USERNAME_MAX + 1;
/// How a direct conversation's room name begins.
pub const DIRECT_PREFIX: &str = "dm:";
/// Most characters a message may have.
pub const CONTENT_MAX: usize = 4000;
/// Most characters a search query may have.
pub const SEARCH_MAX: usize = 256;
/// Most characters a client id may have.
pub const CLIENT_ID_MAX: usize = 64;
/// Fewest characters a new password may have.
pub const PASSWORD_MIN: usize = 8;
/// Most characters a new password may have.
pub const PASSWORD_MAX: usize = 256;

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

string_newtype!(
    /// A user's name: 1 to 32 ASCII letters, digits, `_`, `-` or `.`.
    /// Unique case-insensitively; the spelling given at registration is kept.
    Username
);

impl Username {
    /// Checks `value` against the username rules.
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        let len = value.chars().count();
        if len == 0 || len > USERNAME_MAX {
            return Err(invalid(format!(
                "username must be 1 to {USERNAME_MAX} characters, got {len}"
            )));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(invalid(format!(
                "username may only contain ASCII letters, digits, '_', '-' and '.', not {bad:?}"
            )));
        }
        Ok(Self(value))
    }

    /// Whether two names denote the same account (names are unique
    /// case-insensitively).
    pub fn same_account(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

string_newtype!(
    /// A room's name: 1 to 32 lowercase ASCII letters, digits, `-` or `_`;
    /// or a direct conversation's, `dm:` and the two usernames, lowercase,
    /// sorted and joined by `:` (`dm:alice:bob`). A public name has no `:`,
    /// so the two never meet.
    RoomName
);

impl RoomName {
    /// The room a connection enters when it names none.
    pub const DEFAULT: &'static str = "general";

    /// Checks `value` against the room-name rules. A direct room's two
    /// names may come in either order; the name is kept sorted.
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        if let Some(pair) = value.strip_prefix(DIRECT_PREFIX) {
            return Self::parse_direct(pair);
        }
        let len = value.chars().count();
        if len == 0 || len > ROOM_MAX {
            return Err(invalid(format!(
                "room name must be 1 to {ROOM_MAX} characters, got {len}"
            )));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-')))
        {
            return Err(invalid(format!(
                "room name may only contain lowercase letters, digits, '-' and '_', not {bad:?}"
            )));
        }
        Ok(Self(value))
    }

    /// The default room, `general`.
    pub fn general() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl Default for RoomName {
    fn default() -> Self {
        Self::general()
    }
}

string_newtype!(
    /// A message's text: up to 4000 characters, not blank, and free of
    /// control characters other than newline and tab. Stored exactly as sent:
    /// trimming only decides whether it is blank.
    Content
);

impl Content {
    /// Checks `value` against the content rules.
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        if value.trim().is_empty() {
            return Err(invalid("message content must not be empty"));
        }
        let len = value.chars().count();
        if len > CONTENT_MAX {
            return Err(invalid(format!(
                "message content must be at most {CONTENT_MAX} characters, got {len}"
            )));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(invalid(format!(
                "message content must not contain control characters (found U+{:04X})",
                u32::from(bad)
            )));
        }
        Ok(Self(value))
    }
}

string_newtype!(
    /// A stored message's text as a message view shows it: valid
    /// [`Content`], or empty for a deleted message (its tombstone keeps no
    /// text).
    MessageText
);

impl MessageText {
    /// Checks `value`: empty, or valid content.
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        if value.is_empty() {
            return Ok(Self(value));
        }
        Content::parse(value).map(Self::from)
    }

    /// The text of a deleted message.
    pub fn erased() -> Self {
        Self(String::new())
    }

    /// Whether this is a deleted message's empty text.
    pub fn is_erased(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Content> for MessageText {
    fn from(content: Content) -> Self {
        Self(content.0)
    }
}

string_newtype!(
    /// What a search looks for: 1 to 256 characters, not blank. Whole words
    /// (`websearch` syntax: quotes, `-word`, `or`) and substrings of three
    /// or more characters in any script.
    SearchQuery
);

impl SearchQuery {
    /// Checks `value` against the query rules.
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        if value.trim().is_empty() {
            return Err(invalid("search query must not be empty"));
        }
        let len = value.chars().count();
        if len > SEARCH_MAX {
            return Err(invalid(format!(
                "search query must be at most {SEARCH_MAX} characters, got {len}"
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(invalid("search query must not contain control characters"));
        }
        Ok(Self(value))
    }
}

string_newtype!(
    /// A sender-chosen id that makes a send idempotent: 1 to 64 printable
    /// characters. The same (user, client id) is stored once.
    ClientId
);

impl ClientId {
    /// Checks `value` against the client-id rules.
    pub fn parse(value: String) -> Result<Self, ValidationError> {
        let len = value.chars().count();
        if len == 0 || len > CLIENT_ID_MAX {
            return Err(invalid(format!(
                "client_id must be 1 to {CLIENT_ID_MAX} characters, got {len}"
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(invalid("client_id must not contain control characters"));
        }
        Ok(Self(value))
    }
}

/// A password or token as received: any string, never printed by `Debug`.
/// It is not validated, because logging in with a malformed password is
/// simply a wrong password; [`NewPassword`] holds the rules for new ones.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A password good enough to register with: 8 to 256 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(Secret);

impl NewPassword {
    /// Checks a proposed password against the rules for new accounts.
    pub fn parse(value: Secret) -> Result<Self, ValidationError> {
        let len = value.expose().chars().count();
        if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
            return Err(invalid(format!(
                "password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters, got {len}"
            )));
        }
        Ok(Self(value))
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        for good in ["a", "alice", "Bob_2", "x.y-z", &"a".repeat(32)] {
            assert!(Username::parse(good.into()).is_ok(), "{good}");
        }
        for bad in ["", "al ice", "élodie", "a/b", &"a".repeat(33), "<script>"] {
            assert!(Username::parse(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_compare_case_insensitively_as_accounts() {
        let alice = Username::parse("Alice".into()).unwrap();
        assert!(alice.same_account("alice"));
        assert!(!alice.same_account("alice2"));
    }

    #[test]
    fn room_names_are_lowercase() {
        assert!(RoomName::parse("general".into()).is_ok());
        assert!(RoomName::parse("rust-2024_x".into()).is_ok());
        for bad in ["", "General", "a b", "a.b", &"r".repeat(33)] {
            assert!(RoomName::parse(bad.into()).is_err(), "{bad}");
        }
        assert_eq!(RoomName::default().as_str(), "general");
    }

    #[test]
    fn content_is_kept_as_sent_but_must_not_be_blank() {
        let c = Content::parse("  hi there \n".into()).unwrap();
        assert_eq!(c.as_str(), "  hi there \n");
        assert!(Content::parse("   \n\t".into()).is_err());
        assert!(Content::parse(String::new()).is_err());
    }

    #[test]
    fn content_length_is_counted_in_characters() {
        assert!(Content::parse("é".repeat(4000)).is_ok());
        let err = Content::parse("a".repeat(4001)).unwrap_err();
        assert!(err.0.contains("4001"), "{err}");
    }

    #[test]
    fn content_refuses_control_characters_but_allows_newline_and_tab() {
        assert!(Content::parse("line\nnext\tcol".into()).is_ok());
        assert!(Content::parse("bell\u{7}".into()).is_err());
        assert!(Content::parse("nul\0".into()).is_err());
        assert!(Content::parse("esc\u{1b}[31m".into()).is_err());
    }

    #[test]
    fn message_text_is_content_or_the_empty_text_of_a_deleted_message() {
        assert!(MessageText::parse(String::new()).unwrap().is_erased());
        assert_eq!(
            MessageText::from(Content::parse("hi".into()).unwrap()).as_str(),
            "hi"
        );
        assert!(
            MessageText::parse("   ".into()).is_err(),
            "blank is not empty"
        );
        assert!(MessageText::parse("bell\u{7}".into()).is_err());
    }

    #[test]
    fn client_ids_are_short_and_printable() {
        assert!(ClientId::parse("c-1".into()).is_ok());
        assert!(ClientId::parse("x".repeat(65)).is_err());
        assert!(ClientId::parse(String::new()).is_err());
        assert!(ClientId::parse("a\nb".into()).is_err());
    }

    #[test]
    fn new_passwords_need_eight_characters() {
        assert!(NewPassword::parse(Secret::new("short")).is_err());
        assert!(NewPassword::parse(Secret::new("long enough")).is_ok());
        assert!(NewPassword::parse(Secret::new("p".repeat(257))).is_err());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Secret::new("hunter22");
        assert!(!format!("{s:?}").contains("hunter22"));
        let p = NewPassword::parse(s).unwrap();
        assert!(!format!("{p:?}").contains("hunter22"));
    }

    #[test]
    fn serde_goes_through_validation() {
        assert!(serde_json::from_str::<Username>("\"ok_name\"").is_ok());
        assert!(serde_json::from_str::<Username>("\"bad name\"").is_err());
        assert_eq!(
            serde_json::to_string(&RoomName::general()).unwrap(),
            "\"general\""
        );
    }
}
