//! Real-time delivery: the [`hub`] (rooms, presence, fan-out), the
//! per-socket [`connection`] task that speaks protocol v1, and its
//! [`outbox`]. Messages are stored by the writer in [`crate::persist`]
//! before anyone sees them.

pub mod connection;
pub mod hub;
pub mod outbox;

pub use hub::Hub;
