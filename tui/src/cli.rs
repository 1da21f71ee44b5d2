//! `sapa send` and `sapa tail`: the client without a screen, for scripts
//! and smoke tests. Both print one clear line to standard error and exit
//! with a distinct code when something goes wrong (see [`exit`]).
//!
//! `send` opens one WebSocket, joins the room, sends every line with its own
//! client_id (a window of them in flight), and returns once the server has
//! stored each one: a message it has not confirmed counts as not sent.
//! `tail` is a screenless [`Driver`]: the same state machine as the full
//! client, so it reconnects, resumes with since_id and prints every message
//! exactly once, in order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sapa_protocol::{
    ClientId, ClientMessage, Content, ErrorCode, Join, RoomName, Secret, SendMessage,
    ServerMessage, Username,
};
use time::UtcOffset;
use time::macros::format_description;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use url::Url;

use crate::app::{Conn, Event, NetEvent, Options, Screen, State};
use crate::auth::{Rest, TokenStore, server_key, ws_url};
use crate::driver::Driver;
use crate::net::NetConfig;

/// Exit codes of `sapa`, `sapa send` and `sapa tail`.
pub mod exit {
    /// Everything went through.
    pub const OK: i32 = 0;
    /// A message was refused (invalid, too long, rate-limited...).
    pub const REJECTED: i32 = 1;
    /// Bad command line (clap's own code).
    pub const USAGE: i32 = 2;
    /// Wrong password, or no credential at all.
    pub const AUTH: i32 = 3;
    /// The server could not be reached, or went away mid-way.
    pub const UNREACHABLE: i32 = 4;
}

/// A failure with its exit code; `Display` is the one line to print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// The process exit code for this failure.
    pub fn code(&self) -> i32 {
        match self {
            Self::Auth(_) => exit::AUTH,
            Self::Unreachable(_) => exit::UNREACHABLE,
            Self::Rejected(_) => exit::REJECTED,
            Self::Usage(_) => exit::USAGE,
        }
    }
}

impl From<crate::auth::LoginError> for CliError {
    fn from(e: crate::auth::LoginError) -> Self {
        use crate::auth::LoginError as L;
        match e {
            L::Unreachable { .. } => Self::Unreachable(e.to_string()),
            L::WrongPassword(_) | L::Invalid(_) => Self::Auth(e.to_string()),
            L::Server(_) => Self::Unreachable(e.to_string()),
        }
    }
}

/// Who talks to which server, and with what credentials.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://host:port/`.
    pub server: Url,
    pub user: Username,
    pub room: RoomName,
    /// Where tokens are kept; `None` keeps nothing.
    pub store: Option<TokenStore>,
    /// From `SAPA_PASSWORD`.
    pub password: Option<Secret>,
}

impl Target {
    /// The saved token, unless `fresh`; else a new one from the password
    /// (saved for next time).
    async fn token(&self, fresh: bool) -> Result<(Secret, bool), CliError> {
        let key = server_key(&self.server);
        let saved = self.store.as_ref().and_then(|s| s.load(&key, &self.user));
        if let Some(token) = saved.filter(|_| !fresh) {
            return Ok((token, true));
        }
        let Some(password) = &self.password else {
            return Err(CliError::Auth(format!(
                "no saved session for {} on {key}: set SAPA_PASSWORD, or run sapa once to log in",
                self.user
            )));
        };
        let (token, _) = Rest::new(self.server.clone())
            .login(&self.user, password)
            .await?;
        if let Some(store) = &self.store {
            let _ = store.save(&key, &self.user, &token);
        }
        Ok((token, false))
    }
}

/// How long `send` waits for any progress before giving up.
const SEND_PATIENCE: Duration = Duration::from_secs(30);
/// Unconfirmed messages `send` keeps in flight.
const SEND_WINDOW: usize = 32;

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
    let mut ws = open(target).await?;
    let run = format!("send-{:x}", rand::random::<u64>() & 0xffff_ffff_ffff);
    let mut queue: VecDeque<(usize, Content)> = lines.into_iter().enumerate().collect();
    let total = queue.len();
    let mut in_flight: HashMap<String, usize> = HashMap::new();
    let mut ids = vec![0i64; total];
    let mut done = 0;
    while done < total {
        while in_flight.len() < SEND_WINDOW {
            let Some((n, content)) = queue.pop_front() else {
                break;
            };
            let cid = format!("{run}-{n}");
            let frame = ClientMessage::Message(SendMessage {
                content,
                room: Some(target.room.clone()),
                client_id: Some(ClientId::parse(cid.clone()).expect("short and printable")),
                username: None,
            });
            ws.send(Message::text(frame.to_json()))
                .await
                .map_err(|e| CliError::Unreachable(format!("connection lost: {e}")))?;
            in_flight.insert(cid, n);
        }
        match next_frame(&mut ws).await? {
            ServerMessage::Message(m) if target.user.same_account(m.username.as_str()) => {
                let n = m
                    .client_id
                    .as_ref()
                    .and_then(|c| in_flight.remove(c.as_str()));
                if let Some(n) = n {
                    ids[n] = m.id;
                    done += 1;
                }
            }
            ServerMessage::Error(e) => {
                let line = e
                    .reference
                    .as_deref()
                    .and_then(|r| in_flight.get(r))
                    .map(|n| format!("line {}: ", n + 1))
                    .unwrap_or_default();
                return Err(CliError::Rejected(format!(
                    "{line}message refused ({}): {}",
                    e.code, e.content
                )));
            }
            _ => {}
        }
    }
    let _ = ws.close(None).await;
    Ok(ids)
}

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
    net: NetConfig,
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
            let _ = writeln!(err, "sapa: connection lost ({reason}); reconnecting");
        }
        driver.step(event).await;
        if driver.state.conn == Conn::Online {
            ever_online = true;
        }
        let room = driver.state.room();
        if !room.loaded {
            continue;
        }
        if !started {
            started = true;
            let all: Vec<i64> = room.messages().map(|m| m.id).collect();
            let skip = all.len().saturating_sub(options.history);
            printed.extend(&all[..skip]);
        }
        let mut closed = false;
        for m in room.messages() {
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

    #[test]
    fn tail_prints_one_line_per_message() {
        let mut m = crate::fixtures::msg(1, "bob", "two\nlines");
        m.timestamp = crate::fixtures::t0();
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
