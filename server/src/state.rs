//! [`AppState`]: the handles every part of the server shares, and nothing
//! else.
//!
//! This is a leaf: it names the handles (configuration, store, accounts,
//! hub, writer, last-seen recorder) and knows nothing of how they are
//! started or served. Building them and the shutdown order live in
//! `app.rs`; request handlers (`http/`) and connection tasks (`realtime/`)
//! take an `AppState` and never import anything from `app.rs`.

use std::sync::{Arc, atomic::AtomicU64};

use tokio::sync::Semaphore;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    accounts::Accounts,
    config::Config,
    persist::{LastSeen, Writer},
    realtime::Hub,
    store::Store,
};

/// Everything a request handler or connection task needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub accounts: Accounts,
    pub hub: Hub,
    pub writer: Writer,
    /// Records when users go offline, in batches.
    pub last_seen: LastSeen,
    /// Cancelled when the server begins to shut down.
    pub shutdown: CancellationToken,
    /// Every WebSocket task, so shutdown can wait for them.
    pub connections: TaskTracker,
    /// Bounds concurrent WebSocket connections.
    pub connection_slots: Arc<Semaphore>,
    /// Source of connection ids.
    pub next_conn: Arc<AtomicU64>,
}
