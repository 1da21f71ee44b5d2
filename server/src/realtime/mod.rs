//! The WebSocket side: each connection's protocol as a pure [`session`]
//! state machine, the [`socket`] pump that does its I/O, the [`tasks`] a
//! session asks for (authentication, room ids, history reads), the
//! per-connection send [`limits`], and the boundary's one [`error`] type.
//! Also, for now, the batching [`writer`] that stores messages before anyone
//! sees them, and [`seen`], which records when users were last online.

pub mod error;
pub mod limits;
pub mod seen;
pub mod session;
pub mod socket;
pub mod tasks;
pub mod writer;

pub use seen::LastSeen;
pub use writer::{WriteError, Writer};
