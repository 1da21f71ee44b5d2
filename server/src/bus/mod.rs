//! The bus between nodes that share one database (DESIGN.md section 6).
//!
//! Whatever the hub sends to its own members it also hands to the bus, so
//! no feature is single-node by accident: each committed batch of messages
//! (once for the whole batch), each edit or delete, each relayed `typing`
//! and each moved read marker. Every other node hands it to its
//! [`Receiver`] (`crate::cluster`, which delivers it to its own members of
//! each room and, for messages and changes, to its in-memory history); a
//! node ignores what it published itself (its hub has delivered it
//! already). One node with no cluster setting has no bus at all: the hub
//! does no extra work.
//!
//! This is transport only: it knows the bodies, not the rooms. The
//! implementations are [`postgres`] (LISTEN/NOTIFY, the default) and
//! [`nats`] (core NATS); both number what they publish and notice gaps
//! the same way ([`sequence`]).

pub mod nats;
pub mod postgres;
pub mod sequence;

use sapa_protocol::{MessageView, RoomName, Username};
use serde::{Deserialize, Serialize};

/// Publishes to the other nodes.
pub trait Bus: Send + Sync {
    /// Publishes one batch or event, in order after the ones before it.
    /// Never waits: the sender's path stays as short as on one node.
    fn publish(&self, body: Body);
}

/// What a node does with what the others publish; the bus's listening
/// half calls it, one body at a time, in the order they were published.
pub trait Receiver: Send + Sync + 'static {
    /// One body node `from` published.
    fn receive(&self, from: &str, body: Body) -> impl Future<Output = ()> + Send;
    /// The bus is listening (at start, or back after a cut): whatever was
    /// published before is not heard, so read it from the table.
    fn catch_up(&self) -> impl Future<Output = ()> + Send;
}

/// What travels on the bus: one per committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The publishing node, so that it can ignore its own.
    pub node: String,
    /// The publishing process (random at its start), so that a restarted
    /// node's numbers are not mistaken for old ones.
    #[serde(default, rename = "bus_incarnation")]
    pub incarnation: u64,
    /// The publisher's number for this envelope, from 1 without a gap (0:
    /// not numbered), so that a listener notices what it missed. (On the
    /// wire `bus_seq`: a body's own fields, such as a change's `seq`, sit
    /// beside it.)
    #[serde(default, rename = "bus_seq")]
    pub seq: u64,
    #[serde(flatten)]
    pub body: Body,
}

/// A batch (inline or by reference) or one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// The messages themselves, when they fit the transport's payload;
    /// `before`: each room's newest id before them (with several writers),
    /// so a receiver that has not delivered up to it reads the rest first.
    Messages {
        messages: Vec<MessageView>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        before: Vec<(RoomName, i64)>,
    },
    /// Too large to send: the ids to read back from the table (and
    /// `before`, as for `Messages`).
    Reference {
        ids: Vec<i64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        before: Vec<(RoomName, i64)>,
    },
    /// Message `id` of `room` was edited or deleted by change `seq`;
    /// receivers that have someone to tell read it back from the table
    /// (which always holds its latest form, however long its text).
    Changed { room: RoomName, id: i64, seq: i64 },
    /// `username` is typing in `room` (already throttled by its node).
    Typing { room: RoomName, username: Username },
    /// `username` became present in `room` through the publishing node
    /// (their first listed connection there), or absent (their last one
    /// left). The node has recorded it in the table first.
    Presence {
        room: RoomName,
        username: Username,
        present: bool,
    },
    /// Forget everything the publishing node was present through: it
    /// started afresh.
    Reset,
    /// `username`'s read marker in `room` moved forward to `up_to`.
    Read {
        username: Username,
        room: RoomName,
        up_to: i64,
    },
}
