//! One WebSocket connection: read frames, act on them, write replies and
//! whatever the hub queues for this socket.
//!
//! A single task owns the socket, reading and writing. It waits on, in order of
//! priority: shutdown (close 1001), being kicked as too slow (close 1013),
//! frames queued by the hub (written together with one flush), answers from
//! the writer for messages this socket sent, and the next frame from the
//! client. Sends never block reading: a sent message is handed to the writer
//! and its answer is awaited alongside everything else.
//!
//! Joining a room registers with the hub and, in the same step, takes the
//! history from the room's newest messages in memory when they hold it.
//! Otherwise (the room's first joiner, or a resume from further back) the
//! history is read from the database *after* registering, and each room
//! remembers the newest id its history contained; queued messages at or
//! below it are skipped. Either way a join sees every message exactly once:
//! what committed before is in the history, what committed after arrives
//! live.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    pin::Pin,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt, stream::FuturesUnordered};
use sapa_protocol::{
    ClientId, ClientKind, ClientMessage, ErrorCode, ErrorRef, History, HistoryRequest, Join, Leave,
    MAX_FRAME_BYTES, MAX_RESUME, Pong, PresenceChange, RoomName, Secret, SendMessage,
    ServerMessage, Welcome, decode_client,
};
use time::OffsetDateTime;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use super::{
    hub::{ConnId, HistoryFrame, Mailbox, Membership, Outbound, Replay, Replayed},
    outbox::Outbox,
};
use crate::{
    accounts::{AuthError, Identity},
    persist::writer::{WriteError, WriteResult, outcome},
    state::AppState,
    store::{NewMessage, StoreError},
};

/// Close codes this server sends.
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// What the upgrade request told us before the socket opened.
pub struct Upgrade {
    pub state: AppState,
    /// The room a join that names none enters (`/chat/{room}` sets it).
    pub default_room: RoomName,
    /// A token from `?token=`, used when the first join carries none.
    pub token: Option<Secret>,
    pub peer: SocketAddr,
    /// Held for the connection's life: bounds concurrent connections.
    pub permit: OwnedSemaphorePermit,
}

/// What a connection keeps about a room it is in.
struct Joined {
    room_id: i64,
    /// The newest message id the join's history delivered.
    seen_up_to: i64,
}

type PendingSend = Pin<Box<dyn Future<Output = (Option<ClientId>, WriteResult)> + Send + Sync>>;

/// How to end the connection after handling a frame.
enum Flow {
    Continue,
    /// The server ends the connection with this code and reason.
    Close(u16, &'static str),
    /// The client sent a close frame; the library has queued the reply.
    ClientClosed,
    /// The socket ended without a close frame.
    PeerGone,
}

/// A simple token bucket: `rate` per second, bursts of twice that.
struct RateLimit {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    fn new(per_second: u32) -> Self {
        let rate = f64::from(per_second.max(1));
        Self {
            rate,
            tokens: rate * 2.0,
            last: Instant::now(),
        }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate * 2.0);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Connection {
    id: ConnId,
    state: AppState,
    upgrade_token: Option<Secret>,
    default_room: RoomName,
    identity: Option<Identity>,
    /// The rooms joined, with their ids and history watermarks.
    membership: Membership<Joined>,
    outbox: Outbox,
    pending: FuturesUnordered<PendingSend>,
    rate: RateLimit,
    /// Messages refused by the rate limit since the last accepted one.
    refused_in_a_row: u32,
    started: Instant,
    /// Held for the connection's life: bounds concurrent connections.
    _permit: OwnedSemaphorePermit,
}

/// Messages refused in a row for rate before the connection counts as
/// abusive and is closed.
const ABUSE_LIMIT: u32 = 100;

/// How long a closing socket may take to accept the close frame.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs one connection to its end.
///
/// Everything the connection keeps lives in one boxed [`Connection`]: the
/// returned future, which every idle socket carries for its whole life,
/// holds little more than that box and the socket.
///
/// `upgrade` comes boxed because it waits, captured, in the upgrade task for
/// as long as the socket lives.
pub fn serve(
    socket: WebSocket,
    upgrade: Box<Upgrade>,
) -> impl Future<Output = ()> + Send + 'static {
    let Upgrade {
        state,
        default_room,
        token,
        peer,
        permit,
    } = *upgrade;
    let id = state.next_conn.fetch_add(1, Ordering::Relaxed);
    tracing::info!(conn = id, %peer, "connection opened");
    let outbox = Outbox::new(state.config.outbound_queue);
    let shutdown = state.shutdown.clone();
    let conn = Box::new(Connection {
        id,
        membership: Membership::new(state.hub.clone(), id),
        rate: RateLimit::new(state.config.messages_per_second),
        state,
        upgrade_token: token,
        default_room,
        identity: None,
        outbox: outbox.clone(),
        pending: FuturesUnordered::new(),
        refused_in_a_row: 0,
        started: Instant::now(),
        _permit: permit,
    });
    run(conn, socket, outbox, shutdown)
}

async fn run(
    mut conn: Box<Connection>,
    mut socket: WebSocket,
    outbox: Outbox,
    shutdown: CancellationToken,
) {
    // Stopping races every step, writes included: a peer that stops reading
    // leaves a flush pending forever, and it must still be closed.
    let shutting_down = shutdown.cancelled();
    tokio::pin!(shutting_down);
    let ended: Result<Flow, axum::Error> = loop {
        let step = tokio::select! {
            biased;
            () = &mut shutting_down => {
                Box::pin(conn.finish_pending(&mut socket)).await;
                Ok(Flow::Close(close::GOING_AWAY, "server shutting down"))
            }
            () = outbox.kicked() => {
                Ok(Flow::Close(close::TRY_AGAIN_LATER, "too slow: join again with since_id to catch up"))
            }
            step = conn.step(&mut socket, &outbox) => step,
        };
        match step {
            Ok(Flow::Continue) => {}
            other => break other,
        }
    };
    Box::pin(conn.end(socket, ended)).await;
}

async fn send(socket: &mut WebSocket, frame: &ServerMessage) -> Result<(), axum::Error> {
    socket.send(Message::Text(frame.to_json().into())).await
}

async fn send_error(
    socket: &mut WebSocket,
    code: ErrorCode,
    content: impl Into<String>,
    reference: Option<ErrorRef>,
) -> Result<(), axum::Error> {
    send(socket, &ServerMessage::error(code, content, reference)).await
}

impl Connection {
    /// Leaves every room and closes the socket as `ended` says.
    async fn end(mut self: Box<Self>, mut socket: WebSocket, ended: Result<Flow, axum::Error>) {
        // Leave before saying goodbye, so whoever sees the close also sees the
        // presence change it caused.
        self.membership.leave_all();
        let how = match ended {
            Ok(Flow::Close(code, reason)) => {
                let frame = CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(reason),
                };
                // A peer that stopped reading cannot take the close frame either.
                let _ =
                    tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame))))
                        .await;
                format!("closed by server ({code}: {reason})")
            }
            Ok(Flow::ClientClosed) => {
                // Flushes the close reply tungstenite queued when it read theirs.
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.close()).await;
                "closed by client".to_owned()
            }
            Ok(Flow::Continue | Flow::PeerGone) => "closed by client".to_owned(),
            Err(error) => format!("ended: {error}"),
        };
        if let Some(identity) = &self.identity {
            self.state.last_seen.record(identity.user_id);
        }
        tracing::info!(
            conn = self.id,
            user = self.identity.as_ref().map(|i| i.username.as_str()),
            secs = self.started.elapsed().as_secs_f32(),
            "connection {how}"
        );
    }

    /// Waits for the next thing to do and does it: write what the hub
    /// queued, answer a stored send, or handle the client's next frame.
    async fn step(&mut self, socket: &mut WebSocket, outbox: &Outbox) -> Result<Flow, axum::Error> {
        tokio::select! {
            biased;
            // Boxed, like the branches below: idle sockets need not carry
            // the space a write takes.
            batch = outbox.take() => Box::pin(self.write_queued(socket, batch)).await.map(|()| Flow::Continue),
            Some((client_id, result)) = self.pending.next(), if !self.pending.is_empty() => {
                Box::pin(self.answer_send(socket, client_id, result)).await.map(|()| Flow::Continue)
            }
            incoming = socket.next() => match incoming {
                // Boxed: handling a frame (a join with its history, say)
                // needs far more state than waiting does, and every idle
                // socket would otherwise carry that space.
                Some(Ok(message)) => Box::pin(self.on_message(socket, message)).await,
                Some(Err(error)) => Err(error),
                None => Ok(Flow::PeerGone),
            },
        }
    }

    /// Writes what the hub queued, then flushes once.
    async fn write_queued(
        &mut self,
        socket: &mut WebSocket,
        batch: VecDeque<Outbound>,
    ) -> Result<(), axum::Error> {
        for item in batch {
            let frame = match item {
                Outbound::Frame(frame) => Some(Utf8Bytes::clone(&frame)),
                Outbound::Message(message) => self
                    .membership
                    .get(&message.room)
                    .filter(|joined| message.id > joined.seen_up_to)
                    .map(|_| message.frame.clone()),
            };
            if let Some(frame) = frame {
                socket.feed(Message::Text(frame)).await?;
            }
        }
        socket.flush().await
    }

    /// On shutdown: wait briefly for the writer to answer what this socket
    /// sent, so its sender learns the outcome before the close.
    async fn finish_pending(&mut self, socket: &mut WebSocket) {
        let deadline = tokio::time::sleep(Duration::from_secs(5));
        tokio::pin!(deadline);
        while !self.pending.is_empty() {
            tokio::select! {
                Some((client_id, result)) = self.pending.next() => {
                    if self.answer_send(socket, client_id, result).await.is_err() {
                        return;
                    }
                }
                () = &mut deadline => return,
            }
        }
    }

    async fn answer_send(
        &mut self,
        socket: &mut WebSocket,
        client_id: Option<ClientId>,
        result: WriteResult,
    ) -> Result<(), axum::Error> {
        let reference = client_id.map(|id| ErrorRef::ClientId(id.into()));
        match result {
            // Fresh messages reach this socket through the room's broadcast.
            Ok(stored) if stored.fresh => Ok(()),
            // A retry: the stored message goes to its sender only.
            Ok(stored) => send(socket, &ServerMessage::Message(stored.view)).await,
            Err(error @ WriteError::Unavailable) => {
                send_error(socket, ErrorCode::Unavailable, error.to_string(), reference).await
            }
            Err(error @ WriteError::Internal) => {
                send_error(socket, ErrorCode::Internal, error.to_string(), reference).await
            }
        }
    }

    async fn on_message(
        &mut self,
        socket: &mut WebSocket,
        message: Message,
    ) -> Result<Flow, axum::Error> {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return Ok(Flow::ClientClosed),
            Message::Ping(_) | Message::Pong(_) => return Ok(Flow::Continue),
            Message::Binary(_) => {
                send_error(
                    socket,
                    ErrorCode::InvalidJson,
                    "binary frames are not supported; send JSON text",
                    None,
                )
                .await?;
                return Ok(Flow::Continue);
            }
        };
        if text.len() > MAX_FRAME_BYTES {
            send_error(
                socket,
                ErrorCode::TooLarge,
                format!(
                    "frames are limited to {MAX_FRAME_BYTES} bytes, got {}",
                    text.len()
                ),
                None,
            )
            .await?;
            return Ok(Flow::Close(close::TOO_BIG, "frame too large"));
        }
        let frame = match decode_client(text.as_str()) {
            Ok(frame) => frame,
            Err(error) => {
                send_error(socket, error.code(), error.to_string(), error.reference()).await?;
                let failed_first_join =
                    self.identity.is_none() && error.kind() == Some(ClientKind::Join);
                if failed_first_join {
                    return Ok(Flow::Close(close::POLICY, "authentication failed"));
                }
                return Ok(Flow::Continue);
            }
        };
        match frame {
            ClientMessage::Ping(ping) => {
                send(socket, &ServerMessage::Pong(Pong { nonce: ping.nonce })).await?;
                Ok(Flow::Continue)
            }
            ClientMessage::Join(join) => self.on_join(socket, join).await,
            other if self.identity.is_none() => {
                send_error(
                    socket,
                    ErrorCode::NotJoined,
                    "join a room first: {\"type\":\"join\",\"username\":...,\"password\":...}",
                    Some(ErrorRef::Frame(other.kind())),
                )
                .await?;
                Ok(Flow::Continue)
            }
            ClientMessage::Message(message) => self.on_send(socket, message).await,
            ClientMessage::Leave(leave) => self.on_leave(socket, leave).await,
            ClientMessage::History(request) => self.on_history(socket, request).await,
        }
    }

    /// The joined room a frame acts on: the one it names, or the first joined.
    fn target(&self, room: Option<&RoomName>) -> Result<(RoomName, i64), String> {
        match room {
            Some(name) => self
                .membership
                .get(name)
                .map(|joined| (name.clone(), joined.room_id))
                .ok_or_else(|| format!("not in room {name}; join it first")),
            None => self
                .membership
                .first()
                .map(|(name, joined)| (name.clone(), joined.room_id))
                .ok_or_else(|| "not in any room; join one first".to_owned()),
        }
    }

    async fn authenticate(&self, join: &Join) -> Result<Identity, (ErrorCode, String)> {
        let auth = &self.state.accounts;
        let result = if let Some(token) = join.token.as_ref().or(self.upgrade_token.as_ref()) {
            auth.check_token(token.expose()).await.and_then(|identity| {
                if identity.username.same_account(join.username.as_str()) {
                    Ok(identity)
                } else {
                    Err(AuthError::Denied("the token belongs to another user"))
                }
            })
        } else if let Some(password) = &join.password {
            auth.login_or_register(&join.username, password.expose())
                .await
        } else {
            return Err((
                ErrorCode::Unauthorized,
                "join needs a password or a token".to_owned(),
            ));
        };
        result.map_err(|error| match error {
            AuthError::Denied(why) => (ErrorCode::Unauthorized, why.to_owned()),
            AuthError::Invalid(why) => (ErrorCode::Validation, why),
            AuthError::Store(StoreError::Unavailable(cause)) => {
                tracing::warn!(%cause, "database unavailable during join");
                (
                    ErrorCode::Unavailable,
                    "the database is unavailable; try again".to_owned(),
                )
            }
            other => {
                tracing::error!(error = %other, "authentication failed");
                (ErrorCode::Internal, "internal error".to_owned())
            }
        })
    }

    async fn on_join(&mut self, socket: &mut WebSocket, join: Join) -> Result<Flow, axum::Error> {
        let identity = match &self.identity {
            Some(identity) => {
                if !identity.username.same_account(join.username.as_str()) {
                    send_error(
                        socket,
                        ErrorCode::Forbidden,
                        format!(
                            "this connection is {}; it cannot join as {}",
                            identity.username, join.username
                        ),
                        Some(ErrorRef::Frame(ClientKind::Join)),
                    )
                    .await?;
                    return Ok(Flow::Continue);
                }
                identity.clone()
            }
            None => match self.authenticate(&join).await {
                Ok(identity) => {
                    self.identity = Some(identity.clone());
                    identity
                }
                Err((code, content)) => {
                    send_error(
                        socket,
                        code,
                        content,
                        Some(ErrorRef::Frame(ClientKind::Join)),
                    )
                    .await?;
                    return Ok(Flow::Close(close::POLICY, "authentication failed"));
                }
            },
        };

        let room = join
            .room
            .clone()
            .unwrap_or_else(|| self.default_room.clone());
        let rejoin = self.membership.get(&room).map(|joined| joined.room_id);
        let room_id = match rejoin {
            Some(id) => id,
            None => match self.state.store.ensure_room(&room).await {
                Ok(id) => id,
                Err(error) => return self.store_failed(socket, error, ClientKind::Join).await,
            },
        };
        // Register first, then read history (from memory, or from the
        // database when memory cannot answer): see the module docs. Nothing
        // drains the queue until the watermark is set below.
        let replay = join.since_id.map_or(Replay::Latest, Replay::After);
        let entered = self.membership.join(
            &room,
            Mailbox {
                username: identity.username.clone(),
                outbox: self.outbox.clone(),
            },
            replay,
            Joined {
                room_id,
                seen_up_to: 0,
            },
        );
        let history = match entered.history {
            Some(history) => history,
            None => match self.read_history(&room, room_id, replay).await {
                Ok(history) => history,
                Err(error) => {
                    if rejoin.is_none() {
                        self.membership.leave(&room);
                    }
                    return self.store_failed(socket, error, ClientKind::Join).await;
                }
            },
        };
        let seen_up_to = history.last_id.or(join.since_id).unwrap_or(0);
        if let Some(joined) = self.membership.get_mut(&room) {
            joined.seen_up_to = joined.seen_up_to.max(seen_up_to);
        }

        let welcome = ServerMessage::Welcome(Welcome {
            username: identity.username.clone(),
            room,
            content: format!("Welcome {}!", identity.username),
            timestamp: OffsetDateTime::now_utc(),
        });
        let presence = ServerMessage::Presence(entered.presence);
        // Three frames, one write.
        for frame in [welcome.to_json(), history.frame, presence.to_json()] {
            socket.feed(Message::Text(frame.into())).await?;
        }
        socket.flush().await?;
        Ok(Flow::Continue)
    }

    /// A join's history from the database. A newest page also goes to the
    /// hub, so later joins of the room are answered from memory.
    async fn read_history(
        &self,
        room: &RoomName,
        room_id: i64,
        replay: Replay,
    ) -> Result<HistoryFrame, StoreError> {
        let store = &self.state.store;
        let replayed = match replay {
            Replay::After(after) => {
                let (page, has_more) = store.history_after(room_id, after, MAX_RESUME).await?;
                Replayed::encode(&page, has_more)
            }
            Replay::Latest => {
                let (page, has_more) = store
                    .history_before(room_id, None, self.state.config.history_size)
                    .await?;
                let replayed = Replayed::encode(&page, has_more);
                self.state.hub.offer_history(room, &replayed);
                replayed
            }
        };
        Ok(replayed.into_frame(room))
    }

    /// Answers a frame of kind `kind` whose database work failed.
    async fn store_failed(
        &mut self,
        socket: &mut WebSocket,
        error: StoreError,
        kind: ClientKind,
    ) -> Result<Flow, axum::Error> {
        let (code, content) = match error {
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, %kind, "database unavailable");
                (
                    ErrorCode::Unavailable,
                    "the database is unavailable; try again",
                )
            }
            StoreError::Other(cause) => {
                tracing::error!(%cause, %kind, "database error");
                (ErrorCode::Internal, "internal error")
            }
        };
        send_error(socket, code, content, Some(ErrorRef::Frame(kind))).await?;
        Ok(Flow::Continue)
    }

    async fn on_send(
        &mut self,
        socket: &mut WebSocket,
        message: SendMessage,
    ) -> Result<Flow, axum::Error> {
        let identity = self.identity.clone().expect("checked by on_message");
        let reference = message
            .client_id
            .as_ref()
            .map(|c| ErrorRef::ClientId(c.to_string()))
            .or(Some(ErrorRef::Frame(ClientKind::Message)));
        if let Some(claimed) = &message.username
            && !identity.username.same_account(claimed)
        {
            send_error(
                socket,
                ErrorCode::Forbidden,
                format!(
                    "you are {}; you cannot send as {claimed}",
                    identity.username
                ),
                reference,
            )
            .await?;
            return Ok(Flow::Continue);
        }
        let (room, room_id) = match self.target(message.room.as_ref()) {
            Ok(target) => target,
            Err(why) => {
                send_error(socket, ErrorCode::NotJoined, why, reference).await?;
                return Ok(Flow::Continue);
            }
        };
        if !self.rate.allow() {
            self.refused_in_a_row += 1;
            if self.refused_in_a_row > ABUSE_LIMIT {
                send_error(
                    socket,
                    ErrorCode::RateLimited,
                    "still sending after repeated rate_limited errors; closing",
                    reference,
                )
                .await?;
                return Ok(Flow::Close(close::POLICY, "rate limit exceeded repeatedly"));
            }
            send_error(
                socket,
                ErrorCode::RateLimited,
                format!(
                    "slow down: at most {} messages per second; this one was not stored",
                    self.state.config.messages_per_second
                ),
                reference,
            )
            .await?;
            return Ok(Flow::Continue);
        }
        self.refused_in_a_row = 0;
        let new = NewMessage {
            room_id,
            room,
            user_id: identity.user_id,
            username: identity.username,
            content: message.content,
            client_id: message.client_id.clone(),
        };
        let answer = self.state.writer.submit(new).await;
        let client_id = message.client_id;
        self.pending
            .push(Box::pin(async move { (client_id, outcome(answer.await)) }));
        Ok(Flow::Continue)
    }

    async fn on_leave(
        &mut self,
        socket: &mut WebSocket,
        leave: Leave,
    ) -> Result<Flow, axum::Error> {
        let rooms: Vec<RoomName> = match &leave.room {
            Some(room) => {
                if let Err(why) = self.target(Some(room)) {
                    send_error(
                        socket,
                        ErrorCode::NotJoined,
                        why,
                        Some(ErrorRef::Frame(ClientKind::Leave)),
                    )
                    .await?;
                    return Ok(Flow::Continue);
                }
                vec![room.clone()]
            }
            None => self.membership.rooms().cloned().collect(),
        };
        let username = self
            .identity
            .as_ref()
            .expect("checked by on_message")
            .username
            .clone();
        for room in rooms {
            self.membership.leave(&room);
            let left = ServerMessage::Left(PresenceChange {
                room,
                username: username.clone(),
                timestamp: OffsetDateTime::now_utc(),
            });
            send(socket, &left).await?;
        }
        Ok(Flow::Continue)
    }

    async fn on_history(
        &mut self,
        socket: &mut WebSocket,
        request: HistoryRequest,
    ) -> Result<Flow, axum::Error> {
        let (room, room_id) = match self.target(request.room.as_ref()) {
            Ok(target) => target,
            Err(why) => {
                send_error(
                    socket,
                    ErrorCode::NotJoined,
                    why,
                    Some(ErrorRef::Frame(ClientKind::History)),
                )
                .await?;
                return Ok(Flow::Continue);
            }
        };
        let limit = request.limit.unwrap_or_default().get();
        match self
            .state
            .store
            .history_before(room_id, request.before_id, limit)
            .await
        {
            Ok((messages, has_more)) => {
                send(
                    socket,
                    &ServerMessage::History(History {
                        room,
                        messages,
                        has_more,
                    }),
                )
                .await?;
            }
            Err(error) => {
                self.store_failed(socket, error, ClientKind::History)
                    .await?;
            }
        }
        Ok(Flow::Continue)
    }
}
