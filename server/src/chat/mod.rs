//! Rooms and the people in them, in memory: the [`hub`] (membership and
//! fan-out), the [`presence`] rules, each room's [`recent`] messages (from
//! which joins read their history), the per-connection [`outbox`] the hub
//! fills, and [`membership`], a connection's rooms left automatically.
//!
//! Nothing here does I/O or knows about sockets or the database: the
//! WebSocket layer (`crate::realtime`) and the batching writer
//! (`crate::persist`) call in.

pub mod hub;
pub mod membership;
pub mod outbox;
pub mod presence;
pub mod recent;

pub use hub::{ConnId, Entered, Hub, Mailbox, UserSlot};
pub use membership::Membership;
pub use outbox::{Outbound, Outbox};
pub use recent::{EncodedMessage, HistoryFrame, Replay, Replayed};
