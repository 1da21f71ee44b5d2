//! sapa-server: a real-time chat server speaking WebSocket and REST over
//! PostgreSQL.
//!
//! Layers, from the wire in: JSON text -> `sapa_protocol::ClientMessage` ->
//! connection task ([`realtime`]) -> hub (rooms, presence, fan-out) and the
//! batching writer -> [`store`] (the only SQL). REST handlers live in
//! [`http`] and share the hub, writer and store. [`App`] ties it together
//! and is what `main` and the tests start.

pub mod accounts;
pub mod app;
pub mod config;
pub mod http;
pub mod persist;
pub mod realtime;
pub mod state;
pub mod store;

pub use app::App;
pub use config::Config;
pub use state::AppState;
