//! One WebSocket connection's I/O: the pump around its [`Session`].
//!
//! A single task owns the socket, reading and writing. It waits on, in order
//! of priority: shutdown (close 1001), being kicked as too slow (close 1013),
//! frames the hub queued for this socket (written together with one flush),
//! the writer's answers to messages this socket sent, and the client's next
//! frame. Each input goes to the session; the tasks it asks for are
//! performed before anything else is taken up, and its replies are written
//! with one flush. Sends never block reading: a message handed to the
//! writer is awaited alongside everything else.
//!
//! A frame over [`PIECE_BYTES`] (a join's history, a long presence list or
//! search page, a long message) goes out as a fragmented message of pieces
//! that size: the library formats each frame whole into a buffer that
//! keeps the capacity of its largest frame for the socket's life. Under the
//! library, [`Gathered`] collects the frames of one flush into one write on
//! the connection, in a buffer that lasts only until the flush.
//!
//! The pump is generic over the socket ([`Socket`]: any `Stream` of frames
//! that is also a `Sink` of them), so tests drive it through channels
//! without a TCP connection.

use std::{
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use futures_util::{Sink, SinkExt, Stream, StreamExt, stream::FuturesUnordered};
use sapa_protocol::{ClientId, RoomName, Secret};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt},
    sync::OwnedSemaphorePermit,
};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use tungstenite::{
    Bytes, Error, Message, Utf8Bytes,
    protocol::{
        CloseFrame,
        frame::{
            Frame,
            coding::{Data, OpCode},
        },
    },
};

use super::{
    error::Close,
    session::{Input, Replies, Session, Settings, Step},
    tasks,
};
use crate::{
    chat::{ConnId, Outbound, Outbox},
    limits::IpPermit,
    persist::{WriteResult, outcome},
    state::AppState,
};

/// What the pump reads frames from and writes frames to: the upgraded
/// connection's WebSocket, or in tests anything of the same shape.
pub trait Socket:
    Stream<Item = Result<Message, Error>> + Sink<Message, Error = Error> + Unpin + Send
{
    /// Sends what the library wrote to the connection without a flush: its
    /// answer to a client's close, written as it lets the socket go.
    fn send_written(&mut self) -> impl Future<Output = ()> + Send;
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Socket for WebSocketStream<Gathered<S>> {
    async fn send_written(&mut self) {
        // The peer may be gone already; there is nothing left to tell it.
        let _ = self.get_mut().flush().await;
    }
}

/// The largest frame written whole, and the size of the pieces a larger one
/// is cut into: most chat frames (a message, a notice) fit whole.
pub const PIECE_BYTES: usize = 1024;

/// What the upgrade request told us before the socket opened.
pub struct Upgrade {
    pub state: AppState,
    /// The room a join that names none enters (`/chat/{room}` sets it).
    pub default_room: RoomName,
    /// A token from `?token=`, used when the first join carries none.
    pub token: Option<Secret>,
    pub peer: SocketAddr,
    /// The client's address, as the limits see it (behind a trusted proxy,
    /// not the peer).
    pub client_ip: IpAddr,
    /// Held for the connection's life: bounds concurrent connections.
    pub permit: OwnedSemaphorePermit,
    /// Held for the connection's life: bounds its address's connections.
    pub ip_permit: IpPermit,
}

type PendingSend = Pin<Box<dyn Future<Output = (Option<ClientId>, WriteResult)> + Send + Sync>>;

/// How the connection goes on after an input.
enum Flow {
    Continue,
    /// The server ends the connection with this close frame.
    Close(Close),
    /// The same, while the client is still sending a frame the server will
    /// not read: it lingers before letting go, so that closing with unread
    /// data (a reset) does not swallow the close frame.
    CloseUnread(Close),
    /// The client sent a close frame; the library has queued the reply.
    ClientClosed,
    /// The socket ended without a close frame.
    PeerGone,
}

struct Connection {
    id: ConnId,
    state: AppState,
    session: Session,
    /// Messages handed to the writer, awaiting its answer.
    pending: FuturesUnordered<PendingSend>,
    started: Instant,
    /// The client's address, for the login guard.
    client_ip: IpAddr,
    /// Held for the connection's life: bound concurrent connections, in
    /// all and per address.
    _permits: (OwnedSemaphorePermit, IpPermit),
}

/// How long a closing socket may take to accept the close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the server holds a socket it stopped reading after sending
/// the close frame, so the client can read it before the connection goes.
const UNREAD_LINGER: Duration = Duration::from_secs(1);

/// Runs one connection to its end.
///
/// Everything the connection keeps lives in one boxed [`Connection`]: the
/// returned future, which every idle socket carries for its whole life,
/// holds little more than that box and the socket.
///
/// `upgrade` comes boxed because it waits, captured, in the upgrade task for
/// as long as the socket lives: a pointer there instead of the whole struct.
#[allow(clippy::boxed_local)]
pub fn serve<S: Socket + 'static>(
    socket: S,
    upgrade: Box<Upgrade>,
) -> impl Future<Output = ()> + Send + 'static {
    let Upgrade {
        state,
        default_room,
        token,
        peer,
        client_ip,
        permit,
        ip_permit,
    } = *upgrade;
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    tracing::info!(conn = id, %peer, client = %client_ip, "connection opened");
    let outbox = Outbox::new(state.config.outbound_queue);
    let settings = Settings {
        messages_per_second: state.config.messages_per_second,
    };
    let session = Session::new(
        id,
        state.hub.clone(),
        outbox.clone(),
        default_room,
        token,
        settings,
    );
    let shutdown = state.shutdown.clone();
    let conn = Box::new(Connection {
        id,
        state,
        session,
        pending: FuturesUnordered::new(),
        started: Instant::now(),
        client_ip,
        _permits: (permit, ip_permit),
    });
    run(conn, socket, outbox, shutdown)
}

async fn run<S: Socket>(
    mut conn: Box<Connection>,
    mut socket: S,
    outbox: Outbox,
    shutdown: CancellationToken,
) {
    // Stopping races every step, writes included: a peer that stops reading
    // leaves a flush pending forever, and it must still be closed.
    let shutting_down = shutdown.cancelled();
    tokio::pin!(shutting_down);
    let ended: Result<Flow, Error> = loop {
        let step = tokio::select! {
            biased;
            () = &mut shutting_down => {
                Box::pin(conn.finish_pending(&mut socket)).await;
                Ok(Flow::Close(Close::SHUTDOWN))
            }
            () = outbox.kicked() => Ok(Flow::Close(Close::TOO_SLOW)),
            step = conn.step(&mut socket, &outbox) => step,
        };
        match step {
            Ok(Flow::Continue) => {}
            other => break other,
        }
    };
    Box::pin(conn.end(socket, ended)).await;
}

impl Connection {
    /// Waits for the next thing to do and does it: write what the hub
    /// queued, take the writer's answer, or handle the client's next frame.
    async fn step<S: Socket>(&mut self, socket: &mut S, outbox: &Outbox) -> Result<Flow, Error> {
        tokio::select! {
            biased;
            // Boxed, like the branches below: idle sockets need not carry
            // the space a write takes.
            batch = outbox.take() => {
                Box::pin(self.write_queued(socket, batch)).await.map(|()| Flow::Continue)
            }
            Some((client_id, result)) = self.pending.next(), if !self.pending.is_empty() => {
                Box::pin(self.handle(socket, Input::Stored { client_id, result })).await
            }
            incoming = socket.next() => match incoming {
                // Boxed: handling a frame (a join with its history, say)
                // needs far more state than waiting does, and every idle
                // socket would otherwise carry that space.
                Some(Ok(message)) => Box::pin(self.on_message(socket, message)).await,
                Some(Err(error)) if beyond_read_limit(&error) => {
                    Box::pin(self.too_large_to_read(socket)).await
                }
                Some(Err(error)) => Err(error),
                None => Ok(Flow::PeerGone),
            },
        }
    }

    async fn on_message<S: Socket>(
        &mut self,
        socket: &mut S,
        message: Message,
    ) -> Result<Flow, Error> {
        match message {
            Message::Text(text) => self.handle(socket, Input::Text(text.as_str())).await,
            Message::Binary(bytes) => self.handle(socket, Input::Binary(bytes.len())).await,
            Message::Close(_) => Ok(Flow::ClientClosed),
            // Reading yields whole messages, never a raw frame.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(Flow::Continue),
        }
    }

    /// Feeds one input to the session, performs what it asks, and writes
    /// its replies with one flush.
    async fn handle<S: Socket>(&mut self, socket: &mut S, input: Input<'_>) -> Result<Flow, Error> {
        let mut replies = Replies::new();
        let mut step = self.session.handle(input, &mut replies);
        let flow = loop {
            match step {
                Step::Idle => break Flow::Continue,
                Step::Close(close) => break Flow::Close(close),
                Step::Run(task) => {
                    let done = tasks::perform(&self.state, self.client_ip, task).await;
                    step = self.session.handle(Input::Done(done), &mut replies);
                }
                Step::Submit(message) => {
                    let client_id = message.client_id.clone();
                    let answer = self.state.writer.submit(message).await;
                    self.pending
                        .push(Box::pin(async move { (client_id, outcome(answer.await)) }));
                    break Flow::Continue;
                }
            }
        };
        write(socket, replies).await?;
        Ok(flow)
    }

    /// A frame too large for the library to read: the session's answer to
    /// any frame over the limit (`too_large`, then close 1009). Nothing more
    /// can be read from the socket: the rest of that frame is still coming.
    async fn too_large_to_read<S: Socket>(&mut self, socket: &mut S) -> Result<Flow, Error> {
        let mut replies = Replies::new();
        let step = self.session.handle(Input::TooLarge(None), &mut replies);
        write(socket, replies).await?;
        Ok(match step {
            Step::Close(close) => Flow::CloseUnread(close),
            _ => Flow::CloseUnread(Close::TOO_LARGE),
        })
    }

    /// Writes what the hub queued, then flushes once.
    async fn write_queued<S: Socket>(
        &mut self,
        socket: &mut S,
        batch: impl IntoIterator<Item = Outbound>,
    ) -> Result<(), Error> {
        for item in batch {
            let frame = match item {
                Outbound::Frame(frame) => Some(Utf8Bytes::clone(&frame)),
                Outbound::Message(message) => {
                    self.session.wants(&message).then(|| message.frame.clone())
                }
            };
            if let Some(frame) = frame {
                feed_text(socket, frame).await?;
            }
        }
        socket.flush().await
    }

    /// On shutdown: wait, up to the shutdown grace, for the writer to answer
    /// what this socket sent, so its sender learns the outcome before the
    /// close.
    async fn finish_pending<S: Socket>(&mut self, socket: &mut S) {
        let deadline = tokio::time::sleep(self.state.config.shutdown_grace());
        tokio::pin!(deadline);
        while !self.pending.is_empty() {
            tokio::select! {
                Some((client_id, result)) = self.pending.next() => {
                    let answered = self.handle(socket, Input::Stored { client_id, result }).await;
                    if answered.is_err() {
                        return;
                    }
                }
                () = &mut deadline => return,
            }
        }
    }

    /// Leaves every room and closes the socket as `ended` says.
    async fn end<S: Socket>(mut self: Box<Self>, mut socket: S, ended: Result<Flow, Error>) {
        // Leave before saying goodbye, so whoever sees the close also sees the
        // presence change it caused.
        self.session.leave_all();
        let how = match ended {
            Ok(Flow::Close(close)) => {
                if close == Close::TOO_SLOW {
                    crate::telemetry::slow_reader_closed();
                }
                send_close(&mut socket, close).await;
                format!("closed by server ({}: {})", close.code, close.reason)
            }
            Ok(Flow::CloseUnread(close)) => {
                send_close(&mut socket, close).await;
                tokio::time::sleep(UNREAD_LINGER).await;
                format!("closed by server ({}: {})", close.code, close.reason)
            }
            Ok(Flow::ClientClosed) => {
                // The close reply tungstenite queued when it read theirs: it
                // writes it as it ends the socket, but does not flush.
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
                    let _ = socket.close().await;
                    socket.send_written().await;
                })
                .await;
                "closed by client".to_owned()
            }
            Ok(Flow::Continue | Flow::PeerGone) => "closed by client".to_owned(),
            Err(error) => format!("ended: {error}"),
        };
        let identity = self.session.identity();
        if let Some(identity) = identity {
            self.state.last_seen.record(identity.user_id);
        }
        tracing::info!(
            conn = self.id,
            user = identity.map(|i| i.username.as_str()),
            secs = self.started.elapsed().as_secs_f32(),
            "connection {how}"
        );
    }
}

/// Sends the close frame, giving up on a peer that does not take it.
async fn send_close<S: Socket>(socket: &mut S, Close { code, reason }: Close) {
    let frame = CloseFrame {
        code: code.into(),
        reason: Utf8Bytes::from_static(reason),
    };
    // A peer that stopped reading cannot take the close frame either.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// Whether a read failed because the frame is over the most the library
/// was told to read (`http/ws.rs` sets it).
fn beyond_read_limit(error: &Error) -> bool {
    matches!(error, Error::Capacity(_))
}

/// Writes `replies` and flushes once; nothing at all when there are none.
async fn write<S: Socket>(socket: &mut S, replies: Replies) -> Result<(), Error> {
    if replies.is_empty() {
        return Ok(());
    }
    for frame in replies {
        feed_text(socket, frame).await?;
    }
    socket.flush().await
}

/// Queues `text` on the socket: as one frame up to [`PIECE_BYTES`], as a
/// fragmented message of pieces beyond.
async fn feed_text<S: Socket>(socket: &mut S, text: Utf8Bytes) -> Result<(), Error> {
    if text.len() <= PIECE_BYTES {
        return socket.feed(Message::Text(text)).await;
    }
    for piece in pieces(text.as_str(), PIECE_BYTES) {
        socket.feed(Message::Frame(piece.frame(&text))).await?;
    }
    Ok(())
}

/// One piece of a fragmented text message: a byte range of the text.
#[derive(Debug, PartialEq)]
struct Piece {
    start: usize,
    end: usize,
    first: bool,
    last: bool,
}

impl Piece {
    /// The frame carrying this piece of `text` (shared, not copied).
    fn frame(&self, text: &Utf8Bytes) -> Frame {
        let opcode = if self.first {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let bytes = Bytes::from(text.clone()).slice(self.start..self.end);
        Frame::message(bytes, opcode, self.last)
    }
}

/// `text` cut into pieces of at most `most` bytes (at least 4, the longest
/// character), each ending on a character boundary so that every piece is
/// text on its own; none for an empty text.
fn pieces(text: &str, most: usize) -> impl Iterator<Item = Piece> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        (start < text.len()).then(|| {
            let mut end = (start + most).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let piece = Piece {
                start,
                end,
                first: start == 0,
                last: end == text.len(),
            };
            start = end;
            piece
        })
    })
}

mod writes;

pub use writes::Gathered;

#[cfg(test)]
mod tests;
