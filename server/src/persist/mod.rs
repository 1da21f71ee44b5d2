//! Persistence: the one generic batching task ([`batcher`]) and what runs
//! on it: the message [`writer`] (store, then broadcast, then answer), the
//! [`last_seen`] recorder, and (in `accounts/tokens.rs`) the token
//! look-ups; [`markers`], the one path for read markers; [`changes`], the
//! one path for edits and deletes (store, then
//! tell the room); [`gaps`], which keeps delivery in id order across
//! nodes; and the search [`indexer`], behind the message path. The SQL is in [`crate::store`]; what a stored
//! message means to the rooms is the hub's.

pub mod batcher;
pub mod changes;
pub mod gaps;
pub mod indexer;
pub mod last_seen;
pub mod markers;
pub mod writer;

pub use last_seen::LastSeen;
pub use writer::{WriteError, WriteResult, Writer, outcome};
