//! Persistence off the request path, all on one generic batching task
//! ([`batcher`]): the message [`writer`] (store, then broadcast, then
//! answer), the [`last_seen`] recorder, and (in `accounts/tokens.rs`) the
//! token look-ups. The SQL each batch runs is in [`crate::store`]; what a
//! stored message means to the rooms is the hub's.

pub mod batcher;
pub mod last_seen;
pub mod writer;

pub use last_seen::LastSeen;
pub use writer::{WriteError, WriteResult, Writer, outcome};
