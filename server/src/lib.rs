//! sapa-server: a real-time chat server speaking WebSocket and REST over
//! PostgreSQL.
//!
//! Layers, from the wire in:
//!
//! - [`http`]: the router, the REST error type and extractors, one file per
//!   resource, the WebSocket upgrade, OpenAPI and the tester page.
//! - [`realtime`]: a connection task per socket (JSON text ->
//!   `sapa_protocol::ClientMessage` -> replies), the hub (rooms, presence,
//!   fan-out) and each socket's outbox.
//! - [`accounts`]: identities, passwords and login tokens; no HTTP types.
//! - [`persist`]: the one generic batcher and what runs on it: the message
//!   writer (store, then broadcast, then answer), the last-seen recorder
//!   (and the token look-ups of `accounts`).
//! - [`store`]: every SQL statement, and nothing else.
//!
//! Each layer uses only those below it, except that the writer broadcasts
//! through the hub, which for now lives in [`realtime`].
//!
//! Beside them, [`config`] (flags and `SAPA_*` variables) and [`state`]
//! ([`AppState`], the handles every layer shares: a leaf that imports none
//! of the layers that use it). [`App`] builds the state, binds, and shuts
//! down in order; it is what `main` and the tests start.

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
