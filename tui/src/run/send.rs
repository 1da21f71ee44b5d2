//! `sapa send`: sends each line and returns once the server has stored
//! every one; a message it has not confirmed counts as not sent.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sapa_protocol::{
    ClientId, ClientMessage, Content, ErrorCode, ErrorRef, Join, SendMessage, ServerMessage,
};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

use super::{CliError, Target};
use crate::client::url::{server_key, ws_url};

/// How long `send` waits for any progress before giving up.
const SEND_PATIENCE: Duration = Duration::from_secs(30);
/// Unconfirmed messages `send` keeps in flight. One: a line the server
/// refuses for its rate is sent again, and with nothing else in flight
/// behind it, that cannot reorder the lines.
const SEND_WINDOW: usize = 1;

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

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_frame(ws: &mut Ws) -> Result<ServerMessage, CliError> {
    loop {
        let msg = timeout(SEND_PATIENCE, ws.next()).await.map_err(|_| {
            CliError::Unreachable(format!(
                "the server did not answer within {} s",
                SEND_PATIENCE.as_secs()
            ))
        })?;
        match msg {
            Some(Ok(Message::Text(text))) => {
                if let Ok(frame) = ServerMessage::decode(&text) {
                    return Ok(frame);
                }
            }
            Some(Ok(Message::Close(frame))) => {
                let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                return Err(CliError::Unreachable(format!(
                    "the server closed the connection {why}"
                )));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(CliError::Unreachable(format!("connection lost: {e}"))),
            None => return Err(CliError::Unreachable("connection closed".into())),
        }
    }
}

/// Opens the socket and joins `target.room`, retrying once with the
/// password if the saved token is refused.
async fn open(target: &Target) -> Result<Ws, CliError> {
    let url = ws_url(&target.server).map_err(CliError::Usage)?;
    let mut fresh = false;
    loop {
        let (token, saved) = target.token(fresh).await?;
        let (mut ws, _) = timeout(
            SEND_PATIENCE,
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await
        .map_err(|_| CliError::Unreachable(format!("cannot reach {url}: timed out")))?
        .map_err(|e| CliError::Unreachable(format!("cannot reach {url}: {e}")))?;
        let join = ClientMessage::Join(Join {
            username: target.user.clone(),
            password: None,
            token: Some(token),
            room: Some(target.room.clone()),
            since_id: None,
        });
        ws.send(Message::text(join.to_json()))
            .await
            .map_err(|e| CliError::Unreachable(format!("connection lost: {e}")))?;
        loop {
            match next_frame(&mut ws).await? {
                ServerMessage::Welcome(_) => return Ok(ws),
                ServerMessage::Error(e) if e.code == ErrorCode::Unauthorized => {
                    if saved && target.password.is_some() {
                        if let Some(store) = &target.store {
                            let _ = store.forget(&server_key(&target.server), &target.user);
                        }
                        fresh = true;
                        break;
                    }
                    return Err(CliError::Auth(format!(
                        "{}: {}{}",
                        target.user,
                        e.content,
                        if saved {
                            " (set SAPA_PASSWORD to log in again)"
                        } else {
                            ""
                        }
                    )));
                }
                ServerMessage::Error(e) => {
                    return Err(CliError::Rejected(format!("join refused: {}", e.content)));
                }
                _ => {}
            }
        }
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

/// Lines per second `send` stays under, well below the server's default
/// limit, so a long input is paced rather than refused.
const SEND_RATE: u32 = 100;
/// How long `send` pauses after the server said `rate_limited`.
const RATE_LIMITED_PAUSE: Duration = Duration::from_secs(1);

/// Sends each line of `lines` as it comes, waiting for each to be stored
/// before the next (see [`SEND_WINDOW`]), and returns once the server has stored every one (the ids,
/// in line order). A line the server refuses for its rate is sent again,
/// with the same client_id, after a pause; any other refusal, an invalid
/// line or a lost connection ends it with an error (lines before it were
/// sent).
pub async fn send_stream(
    target: &Target,
    mut lines: impl futures_util::Stream<Item = Result<Content, CliError>> + Unpin,
) -> Result<Vec<i64>, CliError> {
    // Nothing is opened until there is something to send.
    let Some(first) = lines.next().await else {
        return Err(nothing_to_send());
    };
    let first = first?;
    let mut ws = open(target).await?;
    let run = format!("send-{:x}", rand::random::<u64>() & 0xffff_ffff_ffff);
    let mut pace = tokio::time::interval(Duration::from_secs(1) / SEND_RATE);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Lines to (re)send, with their number, and what is in flight.
    let mut ready: VecDeque<(usize, Content)> = VecDeque::from([(0, first)]);
    let mut in_flight: HashMap<String, (usize, Content)> = HashMap::new();
    let mut ids: Vec<i64> = vec![0];
    let mut input_done = false;
    let window = SEND_WINDOW;
    loop {
        if input_done && ready.is_empty() && in_flight.is_empty() {
            break;
        }
        let can_send = !ready.is_empty() && in_flight.len() < window;
        let can_read = !input_done && ready.is_empty() && in_flight.len() < window;
        tokio::select! {
            _ = pace.tick(), if can_send => {
                let (n, content) = ready.pop_front().expect("checked");
                let cid = format!("{run}-{n}");
                let frame = ClientMessage::Message(SendMessage {
                    content: content.clone(),
                    room: Some(target.room.clone()),
                    client_id: Some(ClientId::parse(cid.clone()).expect("short and printable")),
                    username: None,
                });
                ws.send(Message::text(frame.to_json()))
                    .await
                    .map_err(|e| CliError::Unreachable(format!("connection lost: {e}")))?;
                in_flight.insert(cid, (n, content));
            }
            line = lines.next(), if can_read => match line {
                Some(line) => {
                    ready.push_back((ids.len(), line?));
                    ids.push(0);
                }
                None => input_done = true,
            },
            frame = next_frame(&mut ws), if !in_flight.is_empty() => match frame? {
                ServerMessage::Message(m) if target.user.same_account(m.username.as_str()) => {
                    let done = m
                        .client_id
                        .as_ref()
                        .and_then(|c| in_flight.remove(c.as_str()));
                    if let Some((n, _)) = done {
                        ids[n] = m.id;
                    }
                }
                ServerMessage::Error(e) => {
                    let refused = e
                        .reference
                        .as_ref()
                        .and_then(ErrorRef::client_id)
                        .and_then(|r| in_flight.remove(r));
                    match refused {
                        Some((n, content)) if e.code == ErrorCode::RateLimited => {
                            // Not stored: send it again after a pause.
                            ready.push_front((n, content));
                            pace.reset_after(RATE_LIMITED_PAUSE);
                        }
                        Some((n, _)) => {
                            return Err(CliError::Rejected(format!(
                                "line {}: message refused ({}): {}",
                                n + 1,
                                e.code,
                                e.content
                            )));
                        }
                        None => {
                            return Err(CliError::Rejected(format!(
                                "refused ({}): {}",
                                e.code, e.content
                            )));
                        }
                    }
                }
                _ => {}
            },
        }
    }
    let _ = ws.close(None).await;
    Ok(ids)
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
