//! `sapa tail`: a screenless [`Driver`] that prints the room's messages, one
//! line each: the same state machine as the full client, so it reconnects,
//! resumes with since_id and prints every message exactly once, in order.

use std::collections::HashSet;
use std::io::Write;

use sapa_protocol::ServerMessage;
use time::UtcOffset;
use time::macros::format_description;

use super::{CliError, Target};
use crate::app::{Conn, Event, NetEvent, Options, Screen, State};
use crate::client::driver::Driver;
use crate::client::socket::SocketConfig;
use crate::client::url::server_key;

/// How `tail` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TailOptions {
    /// How many earlier messages to print first.
    pub history: usize,
    /// One JSON `message` frame per line instead of text.
    pub json: bool,
    pub utc_offset: UtcOffset,
}

/// One message as `tail` prints it (newlines shown as `\n`, so one line
/// per message).
pub fn tail_line(m: &sapa_protocol::MessageView, options: &TailOptions) -> String {
    if options.json {
        return ServerMessage::Message(m.clone()).to_json();
    }
    let time = m
        .timestamp
        .to_offset(options.utc_offset)
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default();
    let content = m
        .content
        .as_str()
        .replace('\\', "\\\\")
        .replace('\n', "\\n");
    format!("{time} {}: {content}", m.username)
}

/// Prints the room's messages as they arrive, until `stop` resolves (or the
/// credentials fail). Messages go to `out`, connection notices to `err`.
pub async fn tail(
    target: &Target,
    options: TailOptions,
    net: SocketConfig,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), CliError> {
    let state = State::new(Options {
        server: server_key(&target.server),
        user: target.user.clone(),
        room: target.room.clone(),
        client_prefix: "tail".into(),
        utc_offset: options.utc_offset,
        now: std::time::Instant::now(),
        wall: time::OffsetDateTime::now_utc(),
    });
    let mut driver = Driver::new(
        state,
        &target.server,
        net,
        target.store.clone(),
        target.password.clone(),
    );
    driver.start().await;
    let mut printed: HashSet<i64> = HashSet::new();
    // The first id to print.
    let mut floor: Option<i64> = None;
    let mut started = false;
    let mut ever_online = false;
    tokio::pin!(stop);
    let result = loop {
        if let Screen::Login(form) = &driver.state.screen {
            let why = form.error.clone().unwrap_or_else(|| {
                format!(
                    "no saved session for {} on {}: set SAPA_PASSWORD, or run sapa once to log in",
                    target.user,
                    server_key(&target.server)
                )
            });
            break Err(CliError::Auth(why));
        }
        let event = tokio::select! {
            () = &mut stop => break Ok(()),
            ev = driver.next() => ev,
        };
        if let Event::Net(NetEvent::Disconnected { reason, .. }) = &event {
            if !ever_online {
                break Err(CliError::Unreachable(format!(
                    "cannot reach {}: {reason}",
                    server_key(&target.server)
                )));
            }
            let reason = crate::app::printable(reason);
            let _ = writeln!(err, "sapa: connection lost ({reason}); reconnecting");
        }
        driver.step(event).await;
        if driver.state.link.conn == Conn::Online {
            ever_online = true;
        }
        let room = driver.state.room();
        if !room.loaded() {
            continue;
        }
        if !started {
            // More history wanted than the join brought: page back first,
            // so everything prints in order.
            if room.messages().count() < options.history && room.has_older() {
                if !room.fetching_older() {
                    driver.step(Event::LoadOlder).await;
                }
                continue;
            }
            started = true;
            let room = driver.state.room();
            let all: Vec<i64> = room.messages().map(|m| m.id).collect();
            let skip = all.len().saturating_sub(options.history);
            // Older pages that still arrive (the client fills its screen
            // by itself) stay unprinted: output never goes back in time.
            floor = all.get(skip).copied().or(room.last_id.map(|l| l + 1));
        }
        let mut closed = false;
        for m in room.messages() {
            if floor.is_some_and(|f| m.id < f) {
                continue;
            }
            if printed.insert(m.id) {
                closed |= writeln!(out, "{}", tail_line(m, &options)).is_err();
                let _ = out.flush();
            }
        }
        if closed {
            // Standard output is gone (a closed pipe): stop quietly.
            break Ok(());
        }
    };
    driver.shutdown().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_prints_one_line_per_message() {
        let mut m = crate::app::fixtures::msg(1, "bob", "two\nlines");
        m.timestamp = crate::app::fixtures::t0();
        let text = TailOptions {
            history: 0,
            json: false,
            utc_offset: UtcOffset::UTC,
        };
        assert_eq!(tail_line(&m, &text), "10:00:00 bob: two\\nlines");
        let json = tail_line(&m, &TailOptions { json: true, ..text });
        assert!(json.starts_with(r#"{"type":"message","id":1,"#), "{json}");
    }
}
