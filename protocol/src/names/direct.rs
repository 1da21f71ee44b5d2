//! Direct conversations' room names: `dm:` and the two participants'
//! usernames, lowercase and sorted (`dm:alice:bob`), and who may read one.
//! A public room's name has no `:`, so the two kinds never meet.

use super::{DIRECT_PREFIX, RoomName, Username, ValidationError, invalid};

impl RoomName {
    /// `a:b` of `dm:a:b`: two lowercase usernames.
    pub(super) fn parse_direct(pair: &str) -> Result<Self, ValidationError> {
        let malformed = || {
            invalid(format!(
                "a direct room is {DIRECT_PREFIX}NAME:NAME, two lowercase usernames"
            ))
        };
        let (a, b) = pair.split_once(':').ok_or_else(malformed)?;
        for name in [a, b] {
            Username::parse(name.to_owned()).map_err(|_| malformed())?;
            if name.chars().any(|c| c.is_ascii_uppercase()) {
                return Err(malformed());
            }
        }
        Ok(Self::direct_of(a, b))
    }

    /// The room of the direct conversation between `a` and `b` (the same
    /// name for both orders; a note to oneself is `dm:a:a`).
    pub fn direct(a: &Username, b: &Username) -> Self {
        Self::direct_of(
            &a.as_str().to_ascii_lowercase(),
            &b.as_str().to_ascii_lowercase(),
        )
    }

    fn direct_of(a: &str, b: &str) -> Self {
        let (first, second) = if a <= b { (a, b) } else { (b, a) };
        Self(format!("{DIRECT_PREFIX}{first}:{second}"))
    }

    /// The two participants of a direct room (lowercase, sorted); `None`
    /// for a public room.
    pub fn participants(&self) -> Option<(&str, &str)> {
        self.0.strip_prefix(DIRECT_PREFIX)?.split_once(':')
    }

    /// Whether this is a direct conversation's room.
    pub fn is_direct(&self) -> bool {
        self.participants().is_some()
    }

    /// Whether `user` may read this room: anyone a public one, only its
    /// two participants a direct one.
    pub fn readable_by(&self, user: &Username) -> bool {
        self.participants()
            .is_none_or(|(a, b)| user.same_account(a) || user.same_account(b))
    }

    /// In a direct room, the participant who is not `user` (`user`'s own
    /// name, lowercase, in a note to oneself).
    pub fn peer_of(&self, user: &Username) -> Option<&str> {
        let (a, b) = self.participants()?;
        Some(if user.same_account(a) { b } else { a })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_room_names_are_two_lowercase_usernames_kept_sorted() {
        let room = RoomName::parse("dm:bob:alice".into()).unwrap();
        assert_eq!(room.as_str(), "dm:alice:bob");
        assert_eq!(room.participants(), Some(("alice", "bob")));
        let alice: Username = "Alice".parse().unwrap();
        let bob: Username = "bob".parse().unwrap();
        assert_eq!(RoomName::direct(&bob, &alice), room);
        assert!(room.readable_by(&alice));
        assert!(!room.readable_by(&"carol".parse().unwrap()));
        assert_eq!(room.peer_of(&alice), Some("bob"));
        assert_eq!(RoomName::direct(&alice, &alice).as_str(), "dm:alice:alice");
        assert!(RoomName::parse("dm:a.b:c-d".into()).is_ok());
        for bad in [
            "dm:", "dm:a", "dm:a:", "dm::b", "dm:a:b:c", "dm:A:b", "dm:a b:c",
        ] {
            assert!(RoomName::parse(bad.into()).is_err(), "{bad}");
        }
        assert!(!RoomName::general().is_direct());
        assert!(RoomName::general().readable_by(&alice));
    }
}
