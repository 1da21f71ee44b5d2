//! [`AppState`]: the handles every part of the server shares, and nothing
//! else.
//!
//! This is a leaf: it names the handles (configuration, store, accounts,
//! hub, writer, last-seen recorder) and starts their background tasks
//! ([`AppState::start`]), and imports only the layers below it. Binding,
//! serving and the shutdown order live in `app.rs`; request handlers
//! (`http/`) and connection tasks (`realtime/`) take an `AppState` and
//! never import anything from `app.rs`.

use std::sync::{Arc, atomic::AtomicU64};

use tokio::sync::Semaphore;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    accounts::Accounts,
    chat::Hub,
    cluster,
    config::Config,
    limits::{Limits, LoginGuard},
    persist::{LastSeen, Writer, indexer::Indexer},
    store::Store,
};

/// Everything a request handler or connection task needs: a handle to
/// [`Shared`], one pointer to clone. Every idle connection keeps one, so
/// its size counts in the memory each socket costs.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The handles themselves.
pub struct Shared {
    pub config: Config,
    pub store: Store,
    pub accounts: Accounts,
    pub hub: Hub,
    pub writer: Writer,
    /// Records when users go offline, in batches.
    pub last_seen: LastSeen,
    /// The abuse limits per client address the HTTP layer applies.
    pub limits: Arc<Limits>,
    /// Cancelled when the server begins to shut down.
    pub shutdown: CancellationToken,
    /// Every WebSocket task, so shutdown can wait for them.
    pub connections: TaskTracker,
    /// Bounds concurrent WebSocket connections.
    pub connection_slots: Arc<Semaphore>,
    /// Source of connection ids.
    pub next_conn: AtomicU64,
}

impl AppState {
    /// The shared handles, with their background tasks (the message
    /// writer, the last-seen recorder, the token look-ups, the presence
    /// ticks) started on `background` until `stop`. Binds nothing: tests
    /// build a state this way to drive a connection without a listener.
    pub fn start(
        config: Config,
        store: Store,
        background: &TaskTracker,
        stop: CancellationToken,
    ) -> Self {
        let store = if config.clustered() {
            store.ordered_across_writers()
        } else {
            store
        };
        let hub = Hub::new(usize::from(config.history_size), config.big_room)
            .with_typing_window(config.typing_interval());
        let indexer = Indexer::spawn(store.clone(), background, stop.clone());
        let shutdown = CancellationToken::new();
        let hub = if config.clustered() {
            cluster::start(&config, &store, hub, background, &stop, &shutdown)
        } else {
            hub
        };
        let writer = Writer::spawn(
            store.clone(),
            hub.clone(),
            indexer,
            config.batch_max,
            background,
            stop.clone(),
        );
        let last_seen = LastSeen::spawn(store.clone(), background, stop.clone());
        background.spawn(hub.clone().run_presence_ticks(stop.clone()));
        let limits = Arc::new(Limits::new(&config.limits));
        let guard = LoginGuard::new(&config.limits);
        background.spawn(limits.clone().run_pruning(guard.clone(), stop.clone()));
        Self(Arc::new(Shared {
            last_seen,
            limits,
            accounts: Accounts::new(
                store.clone(),
                config.hash_concurrency,
                config.token_ttl(),
                guard,
                background,
                stop,
            ),
            connection_slots: Arc::new(Semaphore::new(config.max_connections)),
            config,
            store,
            hub,
            writer,
            shutdown,
            connections: TaskTracker::new(),
            next_conn: AtomicU64::new(1),
        }))
    }
}
