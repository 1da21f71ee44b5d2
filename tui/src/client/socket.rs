//! The WebSocket task: connects, reports what happens as [`NetEvent`]s,
//! sends the frames the state machine asks for (adding the token to every
//! `join`), pings on a timer and gives up on a link whose pong does not come
//! back in time (so a silent network is noticed within
//! `ping_every + ping_timeout`), and reconnects with capped exponential
//! backoff and jitter until it is stopped.
//!
//! The task knows nothing of rooms or pending messages: after it reports
//! [`NetEvent::Connected`], the state machine re-joins with `since_id` and
//! re-sends what the server has not confirmed. Frames queued for a socket
//! that died are dropped here for that reason.
//!
//! Queues: the outgoing queue is unbounded because only the state machine
//! fills it, with what the user typed plus a join or history request per
//! room; the event queue is bounded, so a consumer that falls behind slows
//! reading from the socket instead of growing memory.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use sapa_protocol::{ClientMessage, Ping, Secret, ServerMessage};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::tls::{Trust, certificate_problem};
use crate::app::NetEvent;

/// How the connection behaves; [`SocketConfig::new`] has the defaults, and
/// tests shorten them.
#[derive(Debug, Clone)]
pub struct SocketConfig {
    /// `ws://host:port/ws` (or `wss://`).
    pub url: Url,
    /// Whose certificates a `wss://` server may show.
    pub trust: Trust,
    /// Added to every `join` frame.
    pub token: Secret,
    /// How often to ping an open connection.
    pub ping_every: Duration,
    /// How long a ping may go unanswered before the link counts as dead.
    pub ping_timeout: Duration,
    /// How long opening the socket may take.
    pub connect_timeout: Duration,
    /// The first reconnect delay; it doubles per failed try...
    pub backoff_base: Duration,
    /// ...up to this cap.
    pub backoff_max: Duration,
}

impl SocketConfig {
    /// Defaults: ping every 15 s, dead after 10 s without pong, reconnect
    /// from 0.5 s doubling to 30 s.
    pub fn new(url: Url, token: Secret) -> Self {
        Self {
            url,
            trust: Trust::default(),
            token,
            ping_every: Duration::from_secs(15),
            ping_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// The running connection task and the handle that owns it: frames go out
/// through it, and [`Socket::stop`] closes the socket politely and waits
/// for the task to end, so nothing it started outlives it.
#[derive(Debug)]
pub struct Socket {
    tx: mpsc::UnboundedSender<ClientMessage>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl Socket {
    /// Queues a frame for the open socket (dropped if there is none).
    pub fn send(&self, frame: ClientMessage) {
        let _ = self.tx.send(frame);
    }

    /// Closes the socket politely and waits for the task to end.
    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }
}

/// Starts the connection task; its events go to `events`.
pub fn spawn(config: SocketConfig, events: mpsc::Sender<NetEvent>) -> Socket {
    let (tx, rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(run(config, rx, events, cancel.clone()));
    Socket { tx, cancel, task }
}

/// The delay before reconnect try number `attempt` (1-based): the base
/// doubled per earlier try, capped, then drawn uniformly from its upper half
/// so that many clients dropped at once do not come back in step.
pub fn backoff(attempt: u32, base: Duration, max: Duration, rng: &mut impl Rng) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
        .min(max);
    let low = exp / 2;
    let span = (exp - low).as_millis() as u64;
    low + Duration::from_millis(rng.random_range(0..=span))
}

async fn run(
    config: SocketConfig,
    mut outgoing: mpsc::UnboundedReceiver<ClientMessage>,
    events: mpsc::Sender<NetEvent>,
    cancel: CancellationToken,
) {
    let mut failures = 0u32;
    loop {
        if events
            .send(NetEvent::Connecting {
                attempt: failures + 1,
            })
            .await
            .is_err()
        {
            return;
        }
        let opened = tokio::select! {
            () = cancel.cancelled() => return,
            // No Nagle: a typed line goes out at once, not after the
            // server's delayed ACK of the previous frame.
            r = timeout(
                config.connect_timeout,
                tokio_tungstenite::connect_async_tls_with_config(
                    config.url.as_str(),
                    None,
                    true,
                    config.trust.connector(),
                ),
            ) => r,
        };
        let reason = match opened {
            Ok(Ok((socket, _))) => {
                failures = 0;
                // Frames queued for an earlier socket: the state machine
                // re-sends what matters once it hears of this one.
                while outgoing.try_recv().is_ok() {}
                if events.send(NetEvent::Connected).await.is_err() {
                    return;
                }
                match session(socket, &config, &mut outgoing, &events, &cancel).await {
                    Ended::Stopped => return,
                    Ended::Lost(reason) => reason,
                }
            }
            Ok(Err(e)) => describe(&e),
            Err(_) => format!("no answer within {} s", config.connect_timeout.as_secs()),
        };
        failures += 1;
        let delay = backoff(
            failures,
            config.backoff_base,
            config.backoff_max,
            &mut rand::rng(),
        );
        let retry_at = std::time::Instant::now() + delay;
        let _ = events
            .send(NetEvent::Disconnected {
                reason,
                retry_at,
                attempt: failures + 1,
            })
            .await;
        tokio::select! {
            () = cancel.cancelled() => return,
            () = sleep(delay) => {}
        }
    }
}

enum Ended {
    Stopped,
    Lost(String),
}

type WebSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn session(
    socket: WebSocket,
    config: &SocketConfig,
    outgoing: &mut mpsc::UnboundedReceiver<ClientMessage>,
    events: &mpsc::Sender<NetEvent>,
    cancel: &CancellationToken,
) -> Ended {
    let (mut sink, mut stream) = socket.split();
    let mut next_ping = Instant::now();
    // The ping in flight: its nonce and when it went out.
    let mut waiting: Option<(String, Instant)> = None;
    let mut nonce = 0u64;
    loop {
        let deadline = match &waiting {
            Some((_, sent)) => *sent + config.ping_timeout,
            None => next_ping,
        };
        tokio::select! {
            () = cancel.cancelled() => {
                let _ = sink.send(Message::Close(Some(CloseFrame {
                    code: CloseCode::Normal,
                    reason: "bye".into(),
                }))).await;
                return Ended::Stopped;
            }
            frame = outgoing.recv() => {
                let Some(mut frame) = frame else {
                    let _ = sink.close().await;
                    return Ended::Stopped;
                };
                if let ClientMessage::Join(join) = &mut frame {
                    join.token = Some(config.token.clone());
                }
                if let Err(e) = sink.send(Message::text(frame.to_json())).await {
                    return Ended::Lost(describe(&e));
                }
            }
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => match ServerMessage::decode(&text) {
                    Ok(ServerMessage::Pong(pong)) => {
                        let sent = waiting
                            .as_ref()
                            .filter(|(expected, _)| pong.nonce.as_deref() == Some(expected.as_str()))
                            .map(|(_, sent)| *sent);
                        if let Some(sent) = sent {
                            let rtt = sent.elapsed();
                            waiting = None;
                            next_ping = Instant::now() + config.ping_every;
                            if events.send(NetEvent::Rtt(rtt)).await.is_err() {
                                return Ended::Stopped;
                            }
                        }
                    }
                    Ok(frame) => {
                        if events.send(NetEvent::Frame(frame)).await.is_err() {
                            return Ended::Stopped;
                        }
                    }
                    // A frame this client does not understand (a newer
                    // server): ignore it rather than drop the link.
                    Err(_) => {}
                },
                Some(Ok(Message::Close(frame))) => {
                    return Ended::Lost(match frame {
                        Some(f) if !f.reason.is_empty() => format!("closed by server: {}", f.reason),
                        _ => "closed by server".to_owned(),
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Ended::Lost(describe(&e)),
                None => return Ended::Lost("connection closed".to_owned()),
            },
            () = sleep_until(deadline) => {
                if waiting.is_some() {
                    return Ended::Lost(format!(
                        "no answer to ping for {} s",
                        config.ping_timeout.as_secs()
                    ));
                }
                nonce += 1;
                let text = nonce.to_string();
                let ping = ClientMessage::Ping(Ping { nonce: Some(text.clone()) });
                if let Err(e) = sink.send(Message::text(ping.to_json())).await {
                    return Ended::Lost(describe(&e));
                }
                waiting = Some((text, Instant::now()));
            }
        }
    }
}

/// A short, human description of a connection error (the innermost cause,
/// which is the informative one: "Connection refused (os error 111)").
fn describe(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    if let Some(line) = certificate_problem(e) {
        return line;
    }
    match e {
        Error::Io(io) => io.to_string(),
        Error::Http(resp) => format!("HTTP {}", resp.status()),
        Error::ConnectionClosed | Error::AlreadyClosed => "connection closed".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WebSocket peer that accepts, then reads and never answers: what a
    /// link that went silent looks like from the client.
    async fn silent_server() -> (Url, JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("ws://{}/ws", listener.local_addr().unwrap())).unwrap();
        let task = tokio::spawn(async move {
            let mut sockets = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                    // Kept open, never read from again.
                    sockets.push(ws);
                }
            }
        });
        (url, task)
    }

    async fn next(rx: &mut mpsc::Receiver<NetEvent>) -> NetEvent {
        tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an event within the deadline")
            .expect("the task is running")
    }

    #[tokio::test]
    async fn a_silent_link_is_dropped_after_the_ping_timeout_and_retried() {
        let (url, server) = silent_server().await;
        let mut config = SocketConfig::new(url, Secret::new("t"));
        config.ping_every = Duration::from_millis(50);
        config.ping_timeout = Duration::from_millis(200);
        config.backoff_base = Duration::from_millis(10);
        let (tx, mut rx) = mpsc::channel(16);
        let net = spawn(config, tx);
        assert_eq!(next(&mut rx).await, NetEvent::Connecting { attempt: 1 });
        assert_eq!(next(&mut rx).await, NetEvent::Connected);
        let NetEvent::Disconnected {
            reason, attempt, ..
        } = next(&mut rx).await
        else {
            panic!("expected a disconnect")
        };
        assert!(reason.contains("no answer to ping"), "{reason}");
        assert_eq!(attempt, 2);
        assert_eq!(next(&mut rx).await, NetEvent::Connecting { attempt: 2 });
        assert_eq!(next(&mut rx).await, NetEvent::Connected);
        net.stop().await;
        server.abort();
    }

    #[tokio::test]
    async fn a_refused_connection_backs_off_and_counts_attempts() {
        let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("ws://{}/ws", gone.local_addr().unwrap())).unwrap();
        drop(gone);
        let mut config = SocketConfig::new(url, Secret::new("t"));
        config.backoff_base = Duration::from_millis(10);
        config.backoff_max = Duration::from_millis(40);
        let (tx, mut rx) = mpsc::channel(16);
        let net = spawn(config, tx);
        for attempt in 1..=3 {
            assert_eq!(next(&mut rx).await, NetEvent::Connecting { attempt });
            let NetEvent::Disconnected {
                reason,
                attempt: next_attempt,
                ..
            } = next(&mut rx).await
            else {
                panic!("expected a disconnect")
            };
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
            assert_eq!(next_attempt, attempt + 1);
        }
        net.stop().await;
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let base = Duration::from_millis(500);
        let max = Duration::from_secs(30);
        let mut rng = rand::rng();
        for attempt in 1..=40 {
            let exp = (base * 2u32.pow(attempt.min(20) - 1)).min(max);
            for _ in 0..20 {
                let d = backoff(attempt, base, max, &mut rng);
                assert!(d >= exp / 2 && d <= exp, "attempt {attempt}: {d:?}");
            }
        }
        let draws: std::collections::HashSet<_> =
            (0..50).map(|_| backoff(5, base, max, &mut rng)).collect();
        assert!(draws.len() > 1, "jitter spreads the delays");
    }
}
