//! The application: builds the shared state, binds the listener, and shuts
//! down in order. The state itself is [`AppState`], in its own leaf module.
//!
//! [`App::build`] connects to the database, applies migrations, starts the
//! background tasks (the message writer, the last-seen recorder, the token
//! look-ups, the presence ticks) and binds the listener (port 0 allowed, so
//! tests get a free port from [`App::port`]); [`App::run`] serves until the
//! shutdown token fires. Shutdown goes in this order: stop accepting, tell
//! every WebSocket task to close with 1001 and wait for them, then let the
//! writer and the other batchers handle what is queued, then close the
//! pool.

use std::net::SocketAddr;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{config::Config, http, state::AppState, store::Store};

/// A bound, ready-to-run server.
pub struct App {
    listener: TcpListener,
    state: AppState,
    background_stop: CancellationToken,
    background: TaskTracker,
}

impl App {
    /// Connects to the database named in `config` and binds.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database_url, config.db_pool_size).await?;
        Self::build_with_store(config, store).await
    }

    /// Like [`App::build`] with a pool made elsewhere (tests use a fresh
    /// database per test).
    pub async fn build_with_pool(config: Config, pool: sqlx::PgPool) -> anyhow::Result<Self> {
        Self::build_with_store(config, Store::from_pool(pool)).await
    }

    async fn build_with_store(config: Config, store: Store) -> anyhow::Result<Self> {
        store.migrate().await?;
        warn_unless_trigrams_see_cjk(&store).await;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let background = TaskTracker::new();
        let background_stop = CancellationToken::new();
        let state = AppState::start(config, store, &background, background_stop.clone());
        Ok(Self {
            listener,
            state,
            background_stop,
            background,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Cancelling this token shuts the server down gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled, then shuts down in order.
    pub async fn run(self) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            background_stop,
            background,
        } = self;
        let shutdown = state.shutdown.clone();
        let connections = state.connections.clone();
        let store = state.store.clone();
        let grace = state.config.shutdown_grace();
        tracing::info!(addr = %listener.local_addr()?, "sapa-server listening");

        let router = http::router(state);
        // Frames are already gathered into one write per wake, so Nagle's
        // algorithm would only hold a write back until the client's delayed
        // ACK (up to 40 ms) whenever the previous one is unacknowledged.
        let listener = listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY");
            }
        });
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await
        .context("serving HTTP")?;

        // axum does not wait for upgraded WebSockets; their tasks saw the
        // same token and are closing with 1001.
        connections.close();
        if tokio::time::timeout(grace, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close within the grace period");
        }
        background_stop.cancel();
        background.close();
        if tokio::time::timeout(grace, background.wait())
            .await
            .is_err()
        {
            tracing::warn!("the writer did not finish within the grace period");
        }
        store.close().await;
        tracing::info!("sapa-server stopped");
        Ok(())
    }
}

/// Says so at start when the database's locale keeps substring search in
/// Japanese or Chinese off its index (see `Store::trigrams_see_cjk`): the
/// results are the same, but each such search reads every message.
async fn warn_unless_trigrams_see_cjk(store: &Store) {
    match store.trigrams_see_cjk().await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "this database was created with the C locale: searches for text in scripts \
             without spaces (Japanese, Chinese) will read every message instead of the \
             index; create it with a UTF-8 locale (initdb --locale=C.UTF-8) for speed"
        ),
        Err(error) => tracing::warn!(%error, "could not check the database's locale for search"),
    }
}
