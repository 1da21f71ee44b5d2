//! The OpenAPI schemas of the validated text types. Each states the rules
//! its `parse` enforces (length in characters, the characters allowed, not
//! blank), so a client generated from the document refuses what the server
//! would refuse. The tests check every pattern against its parser, character
//! by character, so the two cannot drift apart.
//!
//! The patterns use only syntax that ECMAScript, Python and Rust's `regex`
//! read alike: classes of `\xHH` and `\uHHHH` escapes, no `\s` (whose
//! meaning differs between them).

use std::borrow::Cow;

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};

use crate::names::{
    CLIENT_ID_MAX, CONTENT_MAX, ClientId, Content, DIRECT_ROOM_MAX, MessageText, NewPassword,
    PASSWORD_MAX, PASSWORD_MIN, RoomName, SEARCH_MAX, SearchQuery, USERNAME_MAX, Username,
};

/// A character of a message: anything but a control character other than
/// newline and tab.
macro_rules! content_char {
    () => {
        r"[^\x00-\x08\x0b-\x1f\x7f-\x9f]"
    };
}

/// A character that is neither white space (Unicode's `White_Space`, as
/// Rust's `trim` reads it) nor a control character.
macro_rules! visible_char {
    () => {
        r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    };
}

/// Any character but a control character.
macro_rules! plain_char {
    () => {
        r"[^\x00-\x1f\x7f-\x9f]"
    };
}

/// ASCII letters, digits, `_`, `-` and `.`.
pub const USERNAME_PATTERN: &str = r"^[A-Za-z0-9_.-]+$";
/// Up to 32 lowercase ASCII letters, digits, `-` and `_`; or `dm:` and
/// two lowercase usernames (in either order: the server sorts them).
pub const ROOM_PATTERN: &str = r"^(?:[a-z0-9_-]{1,32}|dm:[a-z0-9_.-]{1,32}:[a-z0-9_.-]{1,32})$";
/// No control characters but newline and tab, and not only white space.
pub const CONTENT_PATTERN: &str = concat!(
    "^",
    content_char!(),
    "*",
    visible_char!(),
    content_char!(),
    "*$"
);
/// Valid content, or empty (a deleted message).
pub const MESSAGE_TEXT_PATTERN: &str = concat!(
    "^$|^",
    content_char!(),
    "*",
    visible_char!(),
    content_char!(),
    "*$"
);
/// No control characters at all, and not only white space.
pub const SEARCH_PATTERN: &str = concat!(
    "^",
    plain_char!(),
    "*",
    visible_char!(),
    plain_char!(),
    "*$"
);
/// No control characters.
pub const CLIENT_ID_PATTERN: &str = concat!("^", plain_char!(), "+$");

/// A string schema with the given bounds (in characters) and pattern.
fn text(description: &str, min: usize, max: usize, pattern: Option<&str>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(pattern)
        .into()
}

/// Implements `ToSchema` for a validated type from its schema function.
macro_rules! schema {
    ($name:ident, $schema:expr) => {
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                RefOr::T($schema)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

schema!(
    Username,
    text(
        "A user's name: 1 to 32 ASCII letters, digits, `_`, `-` or `.`. Unique \
         case-insensitively; the spelling given at registration is kept.",
        1,
        USERNAME_MAX,
        Some(USERNAME_PATTERN),
    )
);

schema!(
    RoomName,
    text(
        "A room's name: 1 to 32 lowercase ASCII letters, digits, `-` or `_`; or a \
         direct conversation's, `dm:` and the two usernames in lowercase \
         (`dm:alice:bob`, either order).",
        1,
        DIRECT_ROOM_MAX,
        Some(ROOM_PATTERN),
    )
);

schema!(
    Content,
    text(
        "A message's text: 1 to 4000 characters, not blank, no control characters \
         but newline and tab. Stored exactly as sent.",
        1,
        CONTENT_MAX,
        Some(CONTENT_PATTERN),
    )
);

schema!(
    MessageText,
    text(
        "The latest text: valid content, or empty for a deleted message.",
        0,
        CONTENT_MAX,
        Some(MESSAGE_TEXT_PATTERN),
    )
);

schema!(
    SearchQuery,
    text(
        "Words (quotes for a phrase, `-word` to exclude, `or`), or a substring of \
         three or more characters in any script: 1 to 256 characters, not blank, no \
         control characters.",
        1,
        SEARCH_MAX,
        Some(SEARCH_PATTERN),
    )
);

schema!(
    ClientId,
    text(
        "A sender-chosen id that makes a send idempotent: 1 to 64 characters, no \
         control characters. The same (user, client id) is stored once.",
        1,
        CLIENT_ID_MAX,
        Some(CLIENT_ID_PATTERN),
    )
);

schema!(
    NewPassword,
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Password
        )))
        .description(Some("8 to 256 characters, any."))
        .min_length(Some(PASSWORD_MIN))
        .max_length(Some(PASSWORD_MAX))
        .into()
);

#[cfg(test)]
mod tests {
    use regex::Regex;
    use utoipa::openapi::schema::Object;

    use super::*;
    use crate::names::{ROOM_MAX, Secret};

    /// What the document promises about a string: its bounds and pattern.
    fn promise<T: PartialSchema>() -> impl Fn(&str) -> bool {
        let RefOr::T(Schema::Object(Object {
            min_length,
            max_length,
            pattern,
            ..
        })) = T::schema()
        else {
            panic!("a string schema");
        };
        let pattern = pattern.map(|p| Regex::new(&p).expect("the pattern compiles"));
        move |value: &str| {
            let len = value.chars().count();
            min_length.is_none_or(|min| len >= min)
                && max_length.is_none_or(|max| len <= max)
                && pattern.as_ref().is_none_or(|p| p.is_match(value))
        }
    }

    /// Every character alone and between letters, blanks and the edges of
    /// the length bounds: the schema accepts exactly what `parse` accepts.
    fn agrees<T: ToSchema>(parse: impl Fn(String) -> bool, max: usize) {
        let promised = promise::<T>();
        let mut samples: Vec<String> = vec![
            String::new(),
            " ".into(),
            "\t\n".into(),
            "a".repeat(max),
            "a".repeat(max + 1),
            "界".repeat(max),
            format!("{}x", " ".repeat(max - 1)),
            "dm:alice:bob".into(),
            "dm:bob:alice".into(),
            "dm:a.b:c-d".into(),
            "dm:a:".into(),
            "dm::b".into(),
            "dm:a:b:c".into(),
            "dm:A:b".into(),
            format!("dm:{}:{}", "a".repeat(32), "b".repeat(32)),
            format!("dm:{}:b", "a".repeat(33)),
        ];
        // Every character up to U+3100 (all control and white-space
        // characters are below it), and a spread of the rest.
        let chars = (0..=0x3100).chain((0x3101..=0x10FFFF).step_by(61));
        for c in chars.filter_map(char::from_u32) {
            samples.push(c.to_string());
            if c.is_ascii_graphic() || c.is_control() || c.is_whitespace() {
                samples.push(format!("a{c}b"));
                samples.push(format!("{c}{c}"));
            }
        }
        for sample in samples {
            assert_eq!(
                promised(&sample),
                parse(sample.clone()),
                "the schema of {} and its parser disagree on {sample:?}",
                T::name()
            );
        }
    }

    #[test]
    fn each_schema_accepts_exactly_what_its_parser_accepts() {
        agrees::<Username>(|s| Username::parse(s).is_ok(), USERNAME_MAX);
        agrees::<RoomName>(|s| RoomName::parse(s).is_ok(), ROOM_MAX);
        agrees::<Content>(|s| Content::parse(s).is_ok(), CONTENT_MAX);
        agrees::<MessageText>(|s| MessageText::parse(s).is_ok(), CONTENT_MAX);
        agrees::<SearchQuery>(|s| SearchQuery::parse(s).is_ok(), SEARCH_MAX);
        agrees::<ClientId>(|s| ClientId::parse(s).is_ok(), CLIENT_ID_MAX);
        agrees::<NewPassword>(|s| NewPassword::parse(Secret::new(s)).is_ok(), PASSWORD_MAX);
    }
}
