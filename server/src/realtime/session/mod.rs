//! One connection's protocol, as a state machine with no I/O.
//!
//! Everything the connection reacts to comes in as an [`Input`]: a frame's
//! text, the outcome of a task the session asked for, the writer's answer to
//! a message it sent. [`Session::handle`] answers with the frames to send
//! (pushed onto the caller's buffer, in order) and one [`Step`]: nothing
//! more, a [`Task`] to perform (authenticate, find a room, read history)
//! whose outcome comes back as [`Input::Done`], a message to hand to the
//! writer, or a close. The socket pump (`super::socket`) does the I/O; unit
//! tests drive the session with plain function calls.
//!
//! The session does touch the hub, which is memory, not I/O: joining
//! registers with it (and takes the history from memory when it holds it),
//! leaving tells it, and presence frames go to the other members from
//! there.
//!
//! Each command has its own file: [`join`](self::join), [`send`](self::send),
//! [`leave`](self::leave), [`history`](self::history), [`who`](self::who),
//! [`change`](self::change) (edit and delete), [`search`](self::search),
//! [`typing`](self::typing), [`read`](self::read).

mod change;
mod history;
mod join;
mod leave;
mod read;
mod search;
mod send;
#[cfg(test)]
mod tests;
mod typing;
mod who;

use sapa_protocol::{
    ClientId, ClientKind, ClientMessage, ErrorCode, ErrorRef, Limits, MAX_FRAME_BYTES,
    MAX_HISTORY_PAGE, MessageView, Pong, RoomName, SearchQuery, Secret, SendMessage, ServerMessage,
    Username, decode_client, names::CONTENT_MAX,
};
use tungstenite::Utf8Bytes;

use super::{
    error::{Close, WsError},
    limits::SendLimit,
};
use crate::{
    accounts::{AuthError, Identity},
    chat::{ConnId, EncodedMessage, Hub, Membership, Outbox, Replay, Replayed, UserSlot},
    persist::WriteResult,
    persist::changes::{Applied, Change, ChangeError},
    store::{DirectRoom, Marked, NewMessage, StoreError},
};

pub use join::Credential;

/// The server settings a session needs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Messages one connection may send per second (bursts of twice that).
    pub messages_per_second: u32,
}

impl Settings {
    /// The limits a `welcome` announces: the protocol's sizes and this
    /// connection's send rate (0 when turned off, burst included).
    pub fn limits(&self) -> Limits {
        let rate = self.messages_per_second;
        Limits {
            max_content_chars: u32::try_from(CONTENT_MAX).unwrap_or(u32::MAX),
            max_frame_bytes: u32::try_from(MAX_FRAME_BYTES).unwrap_or(u32::MAX),
            messages_per_second: rate,
            burst: rate.saturating_mul(SendLimit::BURST_FACTOR),
            history_page_max: u32::from(MAX_HISTORY_PAGE),
        }
    }
}

/// What the session reacts to.
#[derive(Debug)]
pub enum Input<'a> {
    /// A text frame from the client.
    Text(&'a str),
    /// A binary frame from the client (the protocol is JSON text), of
    /// this many bytes.
    Binary(usize),
    /// A frame too large for the socket to read at all (of this many
    /// bytes, when known).
    TooLarge(Option<usize>),
    /// The outcome of the [`Task`] the last step asked for.
    Done(Done),
    /// The writer's answer to a message this connection sent.
    Stored {
        client_id: Option<ClientId>,
        result: WriteResult,
    },
}

/// Work the session needs done outside itself, one at a time: the caller
/// performs it and hands the outcome back as [`Input::Done`] before reading
/// the client's next frame.
#[derive(Debug)]
pub enum Task {
    /// Check a credential; answered with [`Done::Authenticated`].
    Authenticate(Credential),
    /// The row id of a room, created on first use; [`Done::RoomId`].
    RoomId(RoomName),
    /// A direct room's row and participants, created on first use;
    /// [`Done::DirectRoom`].
    DirectRoom(RoomName),
    /// Every read marker of a user; [`Done::Markers`].
    Markers(i64),
    /// Move `who`'s read marker in `room` forward, telling their other
    /// connections (all but `conn`); [`Done::Marked`].
    MarkRead {
        who: Identity,
        room: RoomName,
        up_to: i64,
        conn: ConnId,
    },
    /// A join's history from the database; [`Done::JoinHistory`].
    JoinHistory { room_id: i64, replay: Replay },
    /// A page of older messages; [`Done::Page`].
    Page {
        room_id: i64,
        before_id: Option<i64>,
        limit: u16,
    },
    /// The changes a resuming join missed: to messages up to `since`, made
    /// after it; [`Done::Changes`].
    Changes { room_id: i64, since: i64 },
    /// Edit or delete message `id` as `user_id`; [`Done::Changed`].
    Change {
        id: i64,
        user_id: i64,
        change: Change,
    },
    /// Messages matching `query` that `reader` may read; [`Done::Found`].
    Search {
        reader: i64,
        query: SearchQuery,
        room: Option<RoomName>,
        before_id: Option<i64>,
        limit: u16,
    },
}

/// The outcome of a [`Task`].
#[derive(Debug)]
pub enum Done {
    Authenticated(Result<Identity, AuthError>),
    /// `None`: a direct room whose participant has no account.
    RoomId(Result<Option<i64>, StoreError>),
    /// `None`: a participant has no account.
    DirectRoom(Result<Option<DirectRoom>, StoreError>),
    Markers(Result<Vec<(RoomName, i64)>, StoreError>),
    Marked(Result<Marked, StoreError>),
    /// The page, each message encoded once.
    JoinHistory(Result<Replayed, StoreError>),
    /// Messages oldest first, and whether older ones exist.
    Page(Result<(Vec<MessageView>, bool), StoreError>),
    /// Changed messages as they now read, with each change's seq, oldest
    /// change first.
    Changes(Result<Vec<(MessageView, i64)>, StoreError>),
    /// The change made (boxed: a view and a frame), or why not.
    Changed(Result<Box<Applied>, ChangeError>),
    /// Matches, newest first, and whether older ones exist.
    Found(Result<(Vec<MessageView>, bool), StoreError>),
}

/// What the caller does after handling an input (and sending the replies).
#[derive(Debug)]
pub enum Step {
    /// Nothing: wait for the next input.
    Idle,
    /// Perform this and hand back its outcome.
    Run(Task),
    /// Hand this message to the writer; its answer comes back as
    /// [`Input::Stored`] whenever it is ready, while other inputs go on.
    Submit(NewMessage),
    /// End the connection with this close frame.
    Close(Close),
}

/// Frames to send, in order.
pub type Replies = Vec<Utf8Bytes>;

/// What a connection keeps about a room it is in.
#[derive(Debug)]
struct Joined {
    room_id: i64,
    /// The newest message id the join's history delivered: queued
    /// broadcasts at or below it are already on the client.
    seen_up_to: i64,
}

/// A task the session waits for, and what it will do with the outcome.
#[derive(Debug)]
enum Awaiting {
    Join(Box<join::Pending>),
    /// A page of older messages for this room.
    Page(RoomName),
    /// An edit or a delete (which of the two, for its errors).
    Change(ClientKind),
    /// A search for this query.
    Search(SearchQuery),
    /// A direct message, for the room's row.
    Direct(Box<SendMessage>),
    /// A read marker's move.
    Read,
}

/// A direct conversation this connection has written to: its row and
/// the recipient's spelling, so later messages need no look-up.
#[derive(Debug)]
struct KnownDirect {
    room: RoomName,
    room_id: i64,
    peer: Username,
}

/// One connection's protocol state.
pub struct Session {
    conn: ConnId,
    settings: Settings,
    identity: Option<Identity>,
    /// The room a join that names none enters (`/chat/{room}` sets it).
    default_room: RoomName,
    /// A token from the upgrade request, used when the first join has none.
    upgrade_token: Option<Secret>,
    /// The rooms joined, left when the session is dropped.
    rooms: Membership<Joined>,
    /// This connection's queue, handed to the hub with each join.
    outbox: Outbox,
    limit: SendLimit,
    awaiting: Option<Awaiting>,
    /// Lists the connection under its user once authenticated, so direct
    /// messages reach it wherever it has joined.
    user_slot: Option<UserSlot>,
    /// The direct rooms written to, with what sending needs.
    direct: Vec<KnownDirect>,
}

impl Session {
    /// A session for connection `conn`, not yet joined anywhere.
    pub fn new(
        conn: ConnId,
        hub: Hub,
        outbox: Outbox,
        default_room: RoomName,
        upgrade_token: Option<Secret>,
        settings: Settings,
    ) -> Self {
        Self {
            conn,
            settings,
            identity: None,
            default_room,
            upgrade_token,
            rooms: Membership::new(hub, conn),
            outbox,
            limit: SendLimit::per_second(settings.messages_per_second),
            awaiting: None,
            user_slot: None,
            direct: Vec::new(),
        }
    }

    /// Who the connection is, once a join has authenticated it.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Whether a broadcast message should reach this client: it is in the
    /// message's room (or in the direct conversation, joined or not), and
    /// the join's history did not already hold it.
    pub fn wants(&self, message: &EncodedMessage) -> bool {
        match self.rooms.get(&message.room) {
            Some(joined) => message.id > joined.seen_up_to,
            None => message.room.is_direct(),
        }
    }

    /// Leaves every room (others hear `left` where this was the user's
    /// last connection).
    pub fn leave_all(&mut self) {
        self.rooms.leave_all();
    }

    /// Handles one input: replies go onto `out`, and the step says what the
    /// caller does next.
    pub fn handle(&mut self, input: Input<'_>, out: &mut Replies) -> Step {
        let handled = match input {
            Input::Text(text) => self.on_text(text, out),
            Input::Binary(size) if size > MAX_FRAME_BYTES => Err(too_large(Some(size))),
            Input::Binary(_) => Err(WsError::new(
                ErrorCode::InvalidJson,
                "binary frames are not supported; send JSON text",
            )),
            Input::TooLarge(size) => Err(too_large(size)),
            Input::Done(done) => self.on_done(done, out),
            Input::Stored { client_id, result } => self.on_stored(client_id, result, out),
        };
        handled.unwrap_or_else(|error| {
            out.push(error.to_text());
            error.close.map_or(Step::Idle, Step::Close)
        })
    }

    fn on_text(&mut self, text: &str, out: &mut Replies) -> Result<Step, WsError> {
        if text.len() > MAX_FRAME_BYTES {
            return Err(too_large(Some(text.len())));
        }
        let frame = decode_client(text).map_err(|error| {
            let failed_first_join =
                self.identity.is_none() && error.kind() == Some(ClientKind::Join);
            let error = WsError::from(error);
            if failed_first_join {
                error.closing(Close::AUTH_FAILED)
            } else {
                error
            }
        })?;
        match frame {
            ClientMessage::Ping(ping) => {
                out.push(encode(&ServerMessage::Pong(Pong { nonce: ping.nonce })));
                Ok(Step::Idle)
            }
            ClientMessage::Join(request) => self.on_join(request, out),
            other if self.identity.is_none() => Err(WsError::new(
                ErrorCode::NotJoined,
                "join a room first: {\"type\":\"join\",\"username\":...,\"password\":...}",
            )
            .about(ErrorRef::Frame(other.kind()))),
            ClientMessage::Message(message) => self.on_send(message),
            ClientMessage::Leave(request) => self.on_leave(request, out),
            ClientMessage::History(request) => self.on_history(request),
            ClientMessage::Who(request) => self.on_who(request, out),
            ClientMessage::Edit(request) => {
                Ok(self.on_change(request.id, Change::Edit(request.content)))
            }
            ClientMessage::Delete(request) => Ok(self.on_change(request.id, Change::Delete)),
            ClientMessage::Search(request) => self.on_search(request),
            ClientMessage::Typing(request) => self.on_typing(request),
            ClientMessage::Read(marker) => self.on_read(marker),
        }
    }

    fn on_done(&mut self, done: Done, out: &mut Replies) -> Result<Step, WsError> {
        match (self.awaiting.take(), done) {
            (Some(Awaiting::Join(pending)), done) => self.join_continues(*pending, done, out),
            (Some(Awaiting::Page(room)), Done::Page(page)) => {
                let page = page.map_err(Self::page_failed)?;
                Ok(self.page_read(room, page, out))
            }
            (Some(Awaiting::Change(kind)), Done::Changed(applied)) => {
                self.change_made(kind, applied, out)
            }
            (Some(Awaiting::Search(query)), Done::Found(found)) => self.found(query, found, out),
            (Some(Awaiting::Read), Done::Marked(marked)) => read::marked(marked),
            (Some(Awaiting::Direct(message)), Done::DirectRoom(found)) => {
                let room = match &message.to {
                    Some(to) => RoomName::direct(self.username(), to),
                    None => message.room.clone().unwrap_or_default(),
                };
                self.direct_found(*message, room, found)
            }
            (awaiting, done) => {
                // The pump hands back exactly the outcome of the task asked
                // for; anything else is a bug, refused without a panic.
                tracing::error!(
                    conn = self.conn,
                    ?awaiting,
                    ?done,
                    "an outcome nobody asked for"
                );
                Err(WsError::new(ErrorCode::Internal, "internal error"))
            }
        }
    }

    /// The joined room a frame acts on: the one it names, or the first
    /// joined. The error says why there is none.
    fn target(&self, room: Option<&RoomName>) -> Result<(RoomName, i64), String> {
        match room {
            Some(name) => self
                .rooms
                .get(name)
                .map(|joined| (name.clone(), joined.room_id))
                .ok_or_else(|| format!("not in room {name}; join it first")),
            None => self
                .rooms
                .first()
                .map(|(name, joined)| (name.clone(), joined.room_id))
                .ok_or_else(|| "not in any room; join one first".to_owned()),
        }
    }

    /// The connection's user; only called once a join has set it.
    fn username(&self) -> &Username {
        &self
            .identity
            .as_ref()
            .expect("frames other than join and ping wait for a join")
            .username
    }
}

/// A frame over the size limit: refused, and the connection closed (1009).
fn too_large(size: Option<usize>) -> WsError {
    let got = size.map_or_else(String::new, |size| format!(", got {size}"));
    WsError::new(
        ErrorCode::TooLarge,
        format!("frames are limited to {MAX_FRAME_BYTES} bytes{got}"),
    )
    .closing(Close::TOO_LARGE)
}

/// A frame, encoded for sending.
fn encode(frame: &ServerMessage) -> Utf8Bytes {
    Utf8Bytes::from(frame.to_json())
}
