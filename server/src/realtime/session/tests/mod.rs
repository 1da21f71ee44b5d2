//! Session tests: every command and every error path, driven with plain
//! function calls. The outcome of each task is handed in directly (a
//! refused password, a database that is down) the way the socket pump
//! hands in what it got; the hub is real, so presence and fan-out are
//! observed in other connections' outboxes.

mod change;
mod direct;
mod frames;
mod join;
mod read;
mod rooms;
mod send;
mod typing;

use std::task::{Context, Poll, Waker};

use sapa_protocol::{ErrorCode, ErrorFrame, MessageView, RoomName, ServerMessage, Username};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Credential, Done, Input, Replies, Session, Settings, Step, Task};
use crate::{
    accounts::Identity,
    chat::{Hub, Outbound, Outbox, Replayed},
    realtime::error::Close,
    store::StoreError,
};

const SETTINGS: Settings = Settings {
    messages_per_second: 1000,
};

/// A hub keeping 50 messages a room, with rooms big above 500 users.
fn hub() -> Hub {
    Hub::new(50, 500)
}

/// A connection's session and its outbox, on `hub`.
struct Client {
    session: Session,
    outbox: Outbox,
}

fn client(hub: &Hub, conn: u64) -> Client {
    client_with(hub, conn, SETTINGS, None)
}

fn client_with(hub: &Hub, conn: u64, settings: Settings, token: Option<&str>) -> Client {
    let outbox = Outbox::new(64);
    let session = Session::new(
        conn,
        hub.clone(),
        outbox.clone(),
        RoomName::general(),
        token.map(sapa_protocol::Secret::new),
        settings,
    );
    Client { session, outbox }
}

impl Client {
    /// Sends a frame; the replies and the step.
    fn send(&mut self, frame: Value) -> (Vec<ServerMessage>, Step) {
        self.text(&frame.to_string())
    }

    fn text(&mut self, text: &str) -> (Vec<ServerMessage>, Step) {
        self.input(Input::Text(text))
    }

    /// Hands in the outcome of the task the last step asked for.
    fn done(&mut self, done: Done) -> (Vec<ServerMessage>, Step) {
        self.input(Input::Done(done))
    }

    fn input(&mut self, input: Input<'_>) -> (Vec<ServerMessage>, Step) {
        let mut replies = Replies::new();
        let step = self.session.handle(input, &mut replies);
        (decode(replies), step)
    }

    /// A password join of `name` into `room` (row id `room_id`), its tasks
    /// answered as a fresh database would: the password is right, the room
    /// is found, its history is empty. Returns the join's three frames.
    fn join(&mut self, name: &str, room: &str, room_id: i64) -> Vec<ServerMessage> {
        let (replies, step) = self
            .send(json!({"type": "join", "username": name, "password": "secret123", "room": room}));
        if !replies.is_empty() {
            assert!(matches!(step, Step::Idle), "{step:?}");
            return replies;
        }
        self.finish_join(step, room_id)
    }

    /// Answers a join's remaining tasks as a fresh database would (user ids
    /// are 100 times the room id of the first join).
    fn finish_join(&mut self, mut step: Step, room_id: i64) -> Vec<ServerMessage> {
        loop {
            let done = match &step {
                Step::Run(Task::Authenticate(Credential::Password { username, .. })) => {
                    Done::Authenticated(Ok(identity(username.as_str(), room_id * 100)))
                }
                Step::Run(Task::Markers(_)) => Done::Markers(Ok(Vec::new())),
                Step::Run(Task::RoomId(_)) => Done::RoomId(Ok(Some(room_id))),
                Step::Run(Task::JoinHistory { .. }) => {
                    Done::JoinHistory(Ok(Replayed::encode(&[], false)))
                }
                Step::Run(Task::Changes { .. }) => Done::Changes(Ok(Vec::new())),
                other => panic!("unexpected step {other:?}"),
            };
            let (replies, next) = self.done(done);
            if !replies.is_empty() {
                assert!(matches!(next, Step::Idle), "{next:?}");
                return replies;
            }
            step = next;
        }
    }

    /// Hands in a successful authentication, and then the user's read
    /// markers (none) when the session asks for them.
    fn authenticated(&mut self, identity: Identity) -> (Vec<ServerMessage>, Step) {
        let (mut replies, step) = self.done(Done::Authenticated(Ok(identity)));
        match step {
            Step::Run(Task::Markers(_)) => {
                let (more, step) = self.done(Done::Markers(Ok(Vec::new())));
                replies.extend(more);
                (replies, step)
            }
            step => (replies, step),
        }
    }

    /// What the hub queued for this connection, as text.
    fn queued(&self) -> Vec<String> {
        let mut cx = Context::from_waker(Waker::noop());
        match self.outbox.poll_take(&mut cx) {
            Poll::Ready(batch) => batch
                .into_iter()
                .filter_map(|item| match item {
                    Outbound::Frame(frame) => Some(frame.to_string()),
                    Outbound::Message(message) => self
                        .session
                        .wants(&message)
                        .then(|| message.frame.to_string()),
                })
                .collect(),
            Poll::Pending => Vec::new(),
        }
    }
}

/// alice and bob in `general`, with alice's queue (bob's `joined`) emptied.
fn alice_and_bob(hub: &Hub) -> (Client, Client) {
    let mut alice = client(hub, 1);
    let mut bob = client(hub, 2);
    alice.join("alice", "general", 1);
    bob.join("bob", "general", 1);
    alice.queued();
    (alice, bob)
}

fn decode(replies: Replies) -> Vec<ServerMessage> {
    replies
        .iter()
        .map(|text| ServerMessage::decode(text.as_str()).expect("replies are server frames"))
        .collect()
}

fn identity(name: &str, user_id: i64) -> Identity {
    Identity {
        user_id,
        username: name.parse().unwrap(),
    }
}

fn name(text: &str) -> Username {
    text.parse().unwrap()
}

fn database_down() -> StoreError {
    StoreError::from(sqlx::Error::PoolTimedOut)
}

fn view(id: i64, room: &str, text: &str) -> MessageView {
    MessageView {
        id,
        room: room.parse().unwrap(),
        username: name("bob"),
        content: text.parse().unwrap(),
        timestamp: OffsetDateTime::UNIX_EPOCH,
        client_id: None,
        to: None,
        edited_at: None,
        deleted: false,
    }
}

/// The one error frame among `replies`.
fn error(replies: &[ServerMessage]) -> &ErrorFrame {
    match replies {
        [ServerMessage::Error(error)] => error,
        other => panic!("expected one error frame, got {other:?}"),
    }
}

fn kinds(replies: &[ServerMessage]) -> Vec<&'static str> {
    replies
        .iter()
        .map(|frame| match frame {
            ServerMessage::Welcome(_) => "welcome",
            ServerMessage::Message(_) => "message",
            ServerMessage::History(_) => "history",
            ServerMessage::Presence(_) => "presence",
            ServerMessage::Joined(_) => "joined",
            ServerMessage::Left(_) => "left",
            ServerMessage::System(_) => "system",
            ServerMessage::Error(_) => "error",
            ServerMessage::Pong(_) => "pong",
            ServerMessage::Who(_) => "who",
            ServerMessage::Edited(_) => "edited",
            ServerMessage::Deleted(_) => "deleted",
            ServerMessage::SearchResults(_) => "search_results",
            ServerMessage::Typing(_) => "typing",
            ServerMessage::Read(_) => "read",
        })
        .collect()
}

fn is_close(step: &Step, close: Close) -> bool {
    matches!(step, Step::Close(c) if *c == close)
}

fn assert_code(replies: &[ServerMessage], code: ErrorCode) {
    assert_eq!(error(replies).code, code, "{replies:?}");
}
