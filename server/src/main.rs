//! `sapa-server`: parse the configuration, start the [`App`], and run it
//! until SIGINT or SIGTERM.

use clap::Parser;
use sapa_server::{App, Config};
use tracing_subscriber::EnvFilter;

/// mimalloc returns freed memory to the system (argon2's 19 MiB per hash
/// otherwise stays in glibc's arenas) and keeps per-socket allocations tight.
/// The `system-allocator` feature leaves it out, for profilers that watch
/// malloc (heaptrack: `scripts/heap-profile`).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let app = App::build(Config::parse()).await?;
    let shutdown = app.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown signal received");
        shutdown.cancel();
    });
    app.run().await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
