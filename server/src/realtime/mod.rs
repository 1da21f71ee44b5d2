//! Real-time delivery: the [`hub`] (rooms, presence, fan-out), the batching
//! [`writer`] that stores messages before anyone sees them, and the
//! per-socket [`connection`] task that speaks protocol v1, and [`seen`],
//! which records when users were last online.

pub mod connection;
pub mod hub;
pub mod outbox;
pub mod seen;
pub mod writer;

pub use hub::Hub;
pub use seen::LastSeen;
pub use writer::{WriteError, Writer};
