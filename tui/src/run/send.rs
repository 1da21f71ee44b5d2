//! `sapa send`: sends each line and returns once the server has stored
//! every one, in order, exactly once; a message it has not confirmed counts
//! as not sent.
//!
//! It runs on the client the chat screen uses (`headless`): each
//! line is posted to the state machine as if typed ([`Event::Post`]), under
//! its own client_id, and `send` waits for the state machine to report it
//! [`Settled`]. So it logs in, reconnects, resumes and re-sends like the
//! chat screen, and a line the server could not take for now (its rate, a
//! database hiccup) goes out again with the same client_id after the same
//! pause. One line is in flight at a time, so a line sent again can never
//! overtake the next one; lines are also paced under the server's rate.

use std::time::Duration;

use futures_util::StreamExt;
use sapa_protocol::Content;
use time::UtcOffset;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until};

use super::headless::Headless;
use super::{CliError, Target};
use crate::app::{Conn, Event, NetEvent, Settled};

/// How long `send` waits for the server while a line is in flight before
/// giving up.
const SEND_PATIENCE: Duration = Duration::from_secs(30);
/// Lines per second `send` stays under, well below the server's default
/// limit, so a long input is paced rather than refused.
const SEND_RATE: u32 = 100;

/// The lines `send` sends: TEXT joined by spaces, or every non-blank line
/// of `input`. Each is checked before anything is sent.
pub fn lines_to_send(text: &[String], input: Option<&str>) -> Result<Vec<Content>, CliError> {
    let raw: Vec<String> = if text.is_empty() {
        input
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        vec![text.join(" ")]
    };
    if raw.is_empty() {
        return Err(CliError::Usage(
            "nothing to send: give TEXT or pipe lines to standard input".into(),
        ));
    }
    raw.into_iter()
        .enumerate()
        .map(|(i, line)| {
            Content::parse(line).map_err(|e| CliError::Rejected(format!("line {}: {e}", i + 1)))
        })
        .collect()
}

/// `sapa send` as the command line runs it: TEXT as one line, or standard
/// input line by line.
pub async fn main(target: &Target, text: &[String]) -> Result<Vec<i64>, CliError> {
    if text.is_empty() {
        send_stream(target, stdin_lines()).await
    } else {
        send(target, lines_to_send(text, None)?).await
    }
}

/// Sends every line and waits until the server has stored each one.
/// Returns the stored messages' ids, in the order of the lines.
pub async fn send(target: &Target, lines: Vec<Content>) -> Result<Vec<i64>, CliError> {
    if lines.is_empty() {
        return Err(nothing_to_send());
    }
    send_stream(
        target,
        futures_util::stream::iter(lines.into_iter().map(Ok)),
    )
    .await
}

fn nothing_to_send() -> CliError {
    CliError::Usage("nothing to send: give TEXT or pipe lines to standard input".into())
}

/// The non-blank lines of standard input, checked one by one as they come,
/// so `tail -f log | sapa send` sends each line when it is written.
pub fn stdin_lines() -> impl futures_util::Stream<Item = Result<Content, CliError>> + Unpin {
    use tokio::io::AsyncBufReadExt;
    let lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    Box::pin(futures_util::stream::unfold(
        (lines, 0usize),
        |(mut lines, mut n)| async move {
            loop {
                n += 1;
                match lines.next_line().await {
                    Ok(Some(line)) if line.trim().is_empty() => continue,
                    Ok(Some(line)) => {
                        let item = Content::parse(line)
                            .map_err(|e| CliError::Rejected(format!("line {n}: {e}")));
                        return Some((item, (lines, n)));
                    }
                    Ok(None) => return None,
                    Err(e) => {
                        let err = CliError::Usage(format!("cannot read standard input: {e}"));
                        return Some((Err(err), (lines, n)));
                    }
                }
            }
        },
    ))
}

/// Sends each line of `lines` as it comes, each once the one before is
/// stored, and returns once the server has stored every one (the ids, in
/// line order). A refusal that waiting does not fix, an invalid line, or a
/// server silent for longer than `SEND_PATIENCE` (30 s) ends it with an error
/// (the lines before it were stored).
pub async fn send_stream(
    target: &Target,
    mut lines: impl futures_util::Stream<Item = Result<Content, CliError>> + Unpin,
) -> Result<Vec<i64>, CliError> {
    // Nothing is opened until there is something to send.
    let Some(first) = lines.next().await else {
        return Err(nothing_to_send());
    };
    let first = first?;
    let prefix = format!("send-{:x}", rand::random::<u64>() & 0xffff_ffff_ffff);
    // Posting a line is not joining the conversation: others see the
    // lines, not `joined`/`left` around each run.
    let mut client = Headless::new(target, prefix, UtcOffset::UTC, target.socket()).quiet();
    let result = deliver(&mut client, first, lines).await;
    client.shutdown().await;
    result
}

/// The sending loop: at most one line posted and not yet stored.
async fn deliver(
    client: &mut Headless<'_>,
    first: Content,
    mut lines: impl futures_util::Stream<Item = Result<Content, CliError>> + Unpin,
) -> Result<Vec<i64>, CliError> {
    client.start().await?;
    let mut pace = interval(Duration::from_secs(1) / SEND_RATE);
    pace.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The stored ids, in line order; the last is 0 while its line is out.
    let mut ids: Vec<i64> = Vec::new();
    let mut next = Some(first);
    let mut in_flight = false;
    let mut input_done = false;
    // While a line is in flight, the server must say something by then.
    let mut deadline = Instant::now() + SEND_PATIENCE;
    loop {
        if input_done && next.is_none() && !in_flight {
            return Ok(ids);
        }
        let outcome = tokio::select! {
            _ = pace.tick(), if next.is_some() && !in_flight => {
                let content = next.take().expect("checked by the guard");
                ids.push(0);
                in_flight = true;
                deadline = Instant::now() + SEND_PATIENCE;
                client.step(Event::Post(content)).await?
            }
            line = lines.next(), if !input_done && next.is_none() && !in_flight => {
                match line {
                    Some(line) => next = Some(line?),
                    None => input_done = true,
                }
                continue;
            }
            event = client.next() => {
                let event = event?;
                if let Event::Net(NetEvent::Frame(_)) = event {
                    deadline = Instant::now() + SEND_PATIENCE;
                }
                client.step(event).await?
            }
            () = sleep_until(deadline), if in_flight => return Err(stalled(client)),
        };
        for settled in outcome.settled {
            match settled {
                Settled::Stored { id, .. } => {
                    if let Some(last) = ids.last_mut().filter(|_| in_flight) {
                        *last = id;
                        in_flight = false;
                    }
                }
                Settled::Refused { code, why, .. } => {
                    return Err(CliError::Rejected(format!(
                        "line {}: message refused ({code}): {why}",
                        ids.len()
                    )));
                }
            }
        }
    }
}

/// Why the line in flight did not get through in time.
fn stalled(client: &Headless<'_>) -> CliError {
    CliError::Unreachable(match &client.state().link.conn {
        Conn::Offline { reason, .. } => format!("connection lost: {reason}"),
        _ => format!(
            "the server did not answer within {} s",
            SEND_PATIENCE.as_secs()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::exit;

    #[test]
    fn send_takes_the_arguments_as_one_line_or_stdin_line_by_line() {
        let one = lines_to_send(&["hello".into(), "world".into()], Some("ignored")).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].as_str(), "hello world");
        let many = lines_to_send(&[], Some("a\n\n  \nb\n")).unwrap();
        let texts: Vec<_> = many.iter().map(Content::as_str).collect();
        assert_eq!(texts, vec!["a", "b"]);
    }

    #[test]
    fn send_refuses_nothing_and_invalid_lines_before_sending() {
        assert_eq!(
            lines_to_send(&[], Some("\n \n")).unwrap_err().code(),
            exit::USAGE
        );
        let long = format!("ok\n{}\n", "x".repeat(4001));
        let err = lines_to_send(&[], Some(&long)).unwrap_err();
        assert_eq!(err.code(), exit::REJECTED);
        assert!(err.to_string().starts_with("line 2: "), "{err}");
    }
}
