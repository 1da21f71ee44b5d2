//! The user's own messages that the server has not stored yet, and when
//! each goes out again.
//!
//! Every message gets a client_id when it is queued and keeps it for good:
//! the server stores one (user, client_id) once, so sending it again after
//! a lost answer, a reconnect or a refusal that waiting fixes can never
//! store it twice. A message leaves the [`Outbox`] when the server stores
//! it or refuses it for good. Pure: the state machine decides when to send
//! (`frames` for answers, `sync` for re-joins).

use std::time::Instant;

use sapa_protocol::{ClientId, ClientMessage, Content, RoomName, SendMessage, Username};

/// A message of the user's own that the server has not confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: ClientId,
    pub room: RoomName,
    /// For a DM, the other participant: the message goes out with `to`.
    pub to: Option<Username>,
    pub content: Content,
    /// When to send it again after the server could not store it.
    pub retry_at: Option<Instant>,
}

impl Pending {
    /// The frame that sends it (again).
    pub fn frame(&self) -> ClientMessage {
        ClientMessage::Message(SendMessage {
            content: self.content.clone(),
            room: self.to.is_none().then(|| self.room.clone()),
            to: self.to.clone(),
            client_id: Some(self.client_id.clone()),
            username: None,
        })
    }
}

/// The pending messages, oldest first, and where their client_ids come
/// from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbox {
    pending: Vec<Pending>,
    /// This session's client_id prefix; random in real use so that two
    /// sessions of one user never collide.
    prefix: String,
    next_seq: u64,
}

impl Outbox {
    /// An empty outbox whose client_ids start with `prefix`.
    pub fn new(prefix: String) -> Self {
        Self {
            pending: Vec::new(),
            prefix,
            next_seq: 1,
        }
    }

    /// Queues `content` for `room` (a DM to `to`) under the next
    /// client_id; `None` if that id is not a valid client_id (a prefix too
    /// long).
    pub fn queue(
        &mut self,
        room: RoomName,
        to: Option<Username>,
        content: Content,
    ) -> Option<&Pending> {
        let id = format!("{}-{}", self.prefix, self.next_seq);
        self.next_seq += 1;
        let client_id = ClientId::parse(id).ok()?;
        self.pending.push(Pending {
            client_id,
            room,
            to,
            content,
            retry_at: None,
        });
        self.pending.last()
    }

    /// How many messages wait for the server.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether every message queued so far is settled.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The pending messages of one room, oldest first.
    pub fn in_room<'a>(&'a self, room: &'a RoomName) -> impl Iterator<Item = &'a Pending> {
        self.pending.iter().filter(move |p| &p.room == room)
    }

    /// The server stored the message with this client_id: it is no longer
    /// pending. Whether it was.
    pub fn confirm(&mut self, client_id: &ClientId) -> bool {
        let before = self.pending.len();
        self.pending.retain(|p| &p.client_id != client_id);
        self.pending.len() < before
    }

    /// Where the message with this client_id is, if pending.
    pub fn position(&self, client_id: &str) -> Option<usize> {
        self.pending
            .iter()
            .position(|p| p.client_id.as_str() == client_id)
    }

    /// The message at `at` (from [`Outbox::position`]).
    pub fn get(&self, at: usize) -> &Pending {
        &self.pending[at]
    }

    /// Drops the message at `at` (refused for good).
    pub fn remove(&mut self, at: usize) -> Pending {
        self.pending.remove(at)
    }

    /// Sends the message at `at` again at `when` (nothing was stored).
    pub fn retry_at(&mut self, at: usize, when: Instant) {
        self.pending[at].retry_at = Some(when);
    }

    /// Drops the messages of a room the user left.
    pub fn forget_room(&mut self, room: &RoomName) {
        self.pending.retain(|p| &p.room != room);
    }

    /// The frames of the messages whose retry is due by `now`, in rooms
    /// where `joined` says they would be taken; their timers are cleared.
    pub fn due(&mut self, now: Instant, joined: impl Fn(&RoomName) -> bool) -> Vec<ClientMessage> {
        let mut frames = Vec::new();
        for p in &mut self.pending {
            if joined(&p.room) && p.retry_at.is_some_and(|at| at <= now) {
                p.retry_at = None;
                frames.push(p.frame());
            }
        }
        frames
    }
}
