//! sapa-server: a real-time chat server speaking WebSocket and REST over
//! PostgreSQL.
//!
//! Layers, from the wire in:
//!
//! - [`http`]: the router, the REST error type and extractors, one file per
//!   resource, the WebSocket upgrade, OpenAPI and the tester page.
//! - [`realtime`]: per socket, a pure session state machine (JSON text ->
//!   `sapa_protocol::ClientMessage` -> replies and tasks) and the pump that
//!   does its I/O; the WebSocket error type and the send limits.
//! - [`chat`]: rooms in memory: the hub (membership, fan-out), presence
//!   rules, each room's recent messages, each connection's outbox.
//! - [`accounts`]: identities, passwords and login tokens; no HTTP types.
//! - [`limits`]: the abuse limits per client address and account (who the
//!   client is behind trusted proxies, keyed rates, failed-login delays).
//! - [`persist`]: the one generic batcher and what runs on it: the message
//!   writer (store, then broadcast, then answer), the last-seen recorder
//!   (and the token look-ups of `accounts`).
//! - [`store`]: every SQL statement, and nothing else.
//! - [`bus`]: with several nodes, what each hub sends travels to the others
//!   (transport only); [`cluster`] delivers what arrives to this node's
//!   hub and keeps presence true across nodes (heartbeats, dead nodes).
//!
//! Each layer uses only those below it: `http` and `realtime` use
//! `accounts`, `persist`, `chat` and `store`; the writer in `persist`
//! broadcasts through `chat`; `chat` and `store` use nothing above them.
//!
//! Beside them, [`config`] (flags and `SAPA_*` variables) and [`state`]
//! ([`AppState`], the handles every layer shares: a leaf that imports none
//! of the layers that use it). [`App`] builds the state, binds, and shuts
//! down in order; it is what `main` and the tests start. [`tls`] is the
//! listener's TLS (certificates reloaded on SIGHUP), used only by `app.rs`.

pub mod accounts;
pub mod app;
pub mod bus;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod http;
pub mod limits;
pub mod persist;
pub mod realtime;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tls;

pub use app::App;
pub use config::Config;
pub use state::AppState;
