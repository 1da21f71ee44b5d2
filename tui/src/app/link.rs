//! The connection as the state machine knows it: what the status line
//! shows ([`Conn`], the round-trip time) and what this connection has
//! settled with the server (whether the credential was accepted, which
//! joins are unanswered). The socket itself is [`crate::client::socket`];
//! it reports in [`super::NetEvent`]s.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sapa_protocol::RoomName;

/// The connection as the user sees it in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conn {
    /// Not started (login screen).
    Idle,
    Connecting {
        attempt: u32,
    },
    Online,
    Offline {
        reason: String,
        retry_at: Instant,
        attempt: u32,
    },
}

/// The current connection and what it has settled with the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub conn: Conn,
    /// The last ping's round trip, while online.
    pub rtt: Option<Duration>,
    /// A welcome arrived on this connection: the credential was taken. An
    /// `unauthorized` before that means the token is no good.
    pub(super) authenticated: bool,
    /// The connection was lost since every room was last welcomed: a room
    /// welcomed again says "reconnected".
    pub(super) lost: bool,
    /// Rooms whose join is unanswered, in the order the joins went out,
    /// rooms left meanwhile included. The server answers joins in order,
    /// and an error frame names only "join", so the oldest unanswered join
    /// is the one an error refuses.
    pub(super) joins_in_flight: VecDeque<RoomName>,
}

impl Link {
    /// Not connected, nothing settled.
    pub fn new() -> Self {
        Self {
            conn: Conn::Idle,
            rtt: None,
            authenticated: false,
            lost: false,
            joins_in_flight: VecDeque::new(),
        }
    }

    /// Whether frames sent now reach the server.
    pub fn is_online(&self) -> bool {
        self.conn == Conn::Online
    }
}

impl Default for Link {
    fn default() -> Self {
        Self::new()
    }
}
