//! `sapa tail`: prints the room's messages, one line each, on the client
//! the chat screen uses (`headless`), so it reconnects, resumes
//! with since_id and prints every message exactly once, in order.

use std::collections::HashSet;
use std::io::Write;

use sapa_protocol::ServerMessage;
use time::UtcOffset;
use time::macros::format_description;

use super::headless::Headless;
use super::{CliError, Target, terminated};
use crate::app::{Event, NetEvent, printable};
use crate::client::socket::SocketConfig;

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

/// `sapa tail` as the command line runs it: to standard output, until
/// Ctrl-C, SIGTERM or SIGHUP.
pub async fn main(target: &Target, options: TailOptions) -> Result<(), CliError> {
    let stop = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated() => {}
        }
    };
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    tail(target, options, target.socket(), &mut out, &mut err, stop).await
}

/// Prints the room's messages as they arrive, until `stop` resolves (or the
/// credentials fail). Messages go to `out`, connection notices to `err`.
pub async fn tail(
    target: &Target,
    options: TailOptions,
    socket: SocketConfig,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), CliError> {
    let mut client = Headless::new(target, "tail".into(), options.utc_offset, socket);
    let result = print(&mut client, &options, out, err, stop).await;
    client.shutdown().await;
    result
}

async fn print(
    client: &mut Headless<'_>,
    options: &TailOptions,
    out: &mut (dyn Write + Send),
    err: &mut (dyn Write + Send),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), CliError> {
    client.start().await?;
    let mut printed: HashSet<i64> = HashSet::new();
    // The first id to print.
    let mut floor: Option<i64> = None;
    let mut started = false;
    tokio::pin!(stop);
    loop {
        let event = tokio::select! {
            () = &mut stop => return Ok(()),
            event = client.next() => event?,
        };
        let tick = matches!(event, Event::Tick { .. });
        if let Event::Net(NetEvent::Disconnected { reason, .. }) = &event {
            let reason = printable(reason);
            let _ = writeln!(err, "sapa: connection lost ({reason}); reconnecting");
        }
        client.step(event).await?;
        let room = client.state().room();
        if tick || !room.loaded() {
            continue;
        }
        if !started {
            // More history wanted than the join brought: page back first,
            // so everything prints in order.
            if room.messages().count() < options.history && room.has_older() {
                if !room.fetching_older() {
                    client.step(Event::LoadOlder).await?;
                }
                continue;
            }
            started = true;
            let all: Vec<i64> = room.messages().map(|m| m.id).collect();
            let skip = all.len().saturating_sub(options.history);
            // Older pages that still arrive (the client fills its screen
            // by itself) stay unprinted: output never goes back in time.
            floor = all.get(skip).copied().or(room.last_id.map(|l| l + 1));
        }
        let room = client.state().room();
        let mut closed = false;
        for m in room.messages() {
            if floor.is_some_and(|f| m.id < f) {
                continue;
            }
            if printed.insert(m.id) {
                closed |= writeln!(out, "{}", tail_line(m, options)).is_err();
                let _ = out.flush();
            }
        }
        if closed {
            // Standard output is gone (a closed pipe): stop quietly.
            return Ok(());
        }
    }
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
