//! The WebSocket side: each connection's protocol as a pure [`session`]
//! state machine, the [`socket`] pump that does its I/O, the [`tasks`] a
//! session asks for (authentication, room ids, history reads), the
//! per-connection send [`limits`], and the boundary's one [`error`] type.
//! Messages are stored by the writer in [`crate::persist`] before anyone
//! sees them; rooms and fan-out are [`crate::chat`].

pub mod error;
pub mod limits;
pub mod session;
pub mod socket;
pub mod tasks;
