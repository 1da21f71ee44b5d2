//! The application: builds the shared state, binds the listener, and shuts
//! down in order. The state itself is [`AppState`], in its own leaf module.
//!
//! [`App::build`] connects to the database, applies migrations, starts the
//! background tasks (the message writer, the last-seen recorder, the token
//! look-ups, the presence ticks) and binds the listener (port 0 allowed, so
//! tests get a free port from [`App::port`]), speaking TLS when the
//! configuration names a certificate (see [`crate::tls`]; SIGHUP reloads
//! it); [`App::run`] serves until the shutdown token fires. Shutdown goes in this order: stop accepting, tell
//! every WebSocket task to close with 1001 and wait for them, then let the
//! writer and the other batchers handle what is queued, then close the
//! pool.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    config::Config,
    http,
    state::AppState,
    store::Store,
    telemetry,
    tls::{self, Certificates, TlsListener},
};

/// A bound, ready-to-run server.
pub struct App {
    listener: TcpListener,
    state: AppState,
    background_stop: CancellationToken,
    background: TaskTracker,
    /// Set when the listener speaks TLS.
    certificates: Option<Arc<Certificates>>,
    /// /metrics's own listener (plain HTTP), when configured.
    metrics_listener: Option<TcpListener>,
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
        telemetry::install();
        let certificates = match config.tls_files() {
            Some((cert, key)) => {
                tls::install_provider();
                Some(Certificates::load(cert, key)?)
            }
            None => None,
        };
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let metrics_listener = match config.metrics_bind {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding {addr} for /metrics"))?,
            ),
            None => None,
        };
        let background = TaskTracker::new();
        let background_stop = CancellationToken::new();
        background.spawn(telemetry::run_upkeep(background_stop.clone()));
        let state = AppState::start(config, store, &background, background_stop.clone());
        Ok(Self {
            listener,
            state,
            background_stop,
            background,
            certificates,
            metrics_listener,
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

    /// The certificates a TLS listener serves (`None` for plain HTTP):
    /// [`Certificates::reload`] is what SIGHUP calls.
    pub fn certificates(&self) -> Option<Arc<Certificates>> {
        self.certificates.clone()
    }

    /// The address /metrics's own listener bound, when it has one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
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
            certificates,
            metrics_listener,
        } = self;
        let shutdown = state.shutdown.clone();
        let connections = state.connections.clone();
        let store = state.store.clone();
        let grace = state.config.shutdown_grace();
        let addr = listener.local_addr()?;
        if let Some(metrics) = metrics_listener {
            tracing::info!(metrics_addr = %metrics.local_addr()?, "/metrics listening (HTTP)");
            let serve = axum::serve(metrics, http::metrics::router(state.clone()))
                .with_graceful_shutdown(shutdown.clone().cancelled_owned());
            background.spawn(async move {
                if let Err(error) = serve.await {
                    tracing::error!(%error, "the /metrics listener failed");
                }
            });
        }
        let router = http::router(state);
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let stopped = shutdown.clone().cancelled_owned();
        match certificates {
            None => {
                tracing::info!(%addr, "sapa-server listening (HTTP, WS)");
                // Frames are already gathered into one write per wake, so
                // Nagle's algorithm would only hold a write back until the
                // client's delayed ACK (up to 40 ms) whenever the previous
                // one is unacknowledged.
                let listener = listener.tap_io(|tcp| {
                    if let Err(error) = tcp.set_nodelay(true) {
                        tracing::debug!(%error, "could not set TCP_NODELAY");
                    }
                });
                axum::serve(listener, service)
                    .with_graceful_shutdown(stopped)
                    .await
            }
            Some(certificates) => {
                tracing::info!(%addr, cert = %certificates.cert_path().display(), "sapa-server listening (HTTPS, WSS)");
                #[cfg(unix)]
                background.spawn(certificates.clone().reload_on_hangup(shutdown.clone()));
                // TCP_NODELAY is set before each handshake (tls/listener.rs);
                // the no-op tap is what gives handlers the peer's address
                // (axum's connect-info for any listener of `SocketAddr`s).
                let listener = TlsListener::new(listener, certificates.server_config()?).tap_io(|_| {});
                axum::serve(listener, service)
                    .with_graceful_shutdown(stopped)
                    .await
            }
        }
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
