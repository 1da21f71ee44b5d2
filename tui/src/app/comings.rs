//! Folding runs of joins and leaves, the way WeeChat's smart filter keeps
//! a busy channel readable: two or more `joined`/`left` lines in a row (no
//! message between them, one day) read as one line, per person in the
//! order they first came or went: "carol joined and left 40 times, dave
//! joined". A scripted client that comes and goes forty times is one line,
//! and someone who joins and then speaks still shows as having joined, just
//! above what they said. `/joins` shows every line again.
//!
//! Pure text; the layout decides which runs to fold.

use super::rooms::{Entry, NoticeKind};

/// Whether `entry` is a `joined` or `left` line.
pub fn is_coming(entry: &Entry) -> bool {
    matches!(
        entry,
        Entry::Notice {
            kind: NoticeKind::Joined | NoticeKind::Left,
            ..
        }
    )
}

/// One person's part of a run.
struct Tally<'a> {
    name: &'a str,
    first_joined: bool,
    joins: usize,
    leaves: usize,
}

/// The one line a run of `joined`/`left` entries folds into.
pub fn summary<'a>(run: impl IntoIterator<Item = &'a Entry>) -> String {
    let mut people: Vec<Tally<'a>> = Vec::new();
    for entry in run {
        let Entry::Notice { text, kind, .. } = entry else {
            continue;
        };
        // The notices are written "NAME joined" / "NAME left" (frames.rs).
        let (name, joined) = match kind {
            NoticeKind::Joined => (text.strip_suffix(" joined").unwrap_or(text), true),
            NoticeKind::Left => (text.strip_suffix(" left").unwrap_or(text), false),
            _ => continue,
        };
        let at = match people
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(at) => at,
            None => {
                people.push(Tally {
                    name,
                    first_joined: joined,
                    joins: 0,
                    leaves: 0,
                });
                people.len() - 1
            }
        };
        if joined {
            people[at].joins += 1;
        } else {
            people[at].leaves += 1;
        }
    }
    people.iter().map(describe).collect::<Vec<_>>().join(", ")
}

fn describe(p: &Tally<'_>) -> String {
    let times = |n: usize| {
        if n > 1 {
            format!(" {n} times")
        } else {
            String::new()
        }
    };
    match (p.joins, p.leaves) {
        (j, 0) => format!("{} joined{}", p.name, times(j)),
        (0, l) => format!("{} left{}", p.name, times(l)),
        (j, l) if p.first_joined => format!("{} joined and left{}", p.name, times(j.max(l))),
        (j, l) => format!("{} left and came back{}", p.name, times(j.max(l))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::t0;

    fn notice(text: &str, kind: NoticeKind) -> Entry {
        Entry::Notice {
            time: t0(),
            text: text.to_owned(),
            kind,
        }
    }

    #[test]
    fn a_run_reads_as_one_line_per_person_in_the_order_they_came() {
        let mut run = Vec::new();
        for _ in 0..40 {
            run.push(notice("carol joined", NoticeKind::Joined));
            run.push(notice("carol left", NoticeKind::Left));
        }
        run.insert(3, notice("dave joined", NoticeKind::Joined));
        run.push(notice("erin left", NoticeKind::Left));
        run.push(notice("bob left", NoticeKind::Left));
        run.push(notice("Bob joined", NoticeKind::Joined));
        assert_eq!(
            summary(&run),
            "carol joined and left 40 times, dave joined, erin left, bob left and came back"
        );
        assert!(run.iter().all(is_coming));
        assert!(!is_coming(&notice("hello", NoticeKind::System)));
    }
}
