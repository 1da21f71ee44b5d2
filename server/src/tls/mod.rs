//! TLS for the one listener: with `--tls-cert`/`--tls-key` it speaks only
//! HTTPS and WSS (rustls with ring).
//!
//! - [`certs`]: the certificate and key read from their PEM files, handed
//!   to every new handshake, and read again on SIGHUP without touching
//!   open connections (a bad file leaves the old certificate in force).
//! - [`listener`]: an axum `Listener` that accepts TCP and completes each
//!   handshake in its own task, so a slow or silent client never holds up
//!   the others, and plain HTTP sent to the port is simply closed.
//!
//! `app.rs` chooses between this and plain TCP; nothing above it knows
//! which one a connection came through.

pub mod certs;
pub mod listener;

pub use certs::Certificates;
pub use listener::TlsListener;

/// Makes ring the process's rustls crypto provider, once. Every TLS user in
/// the process (this listener, and in tests the clients) then agrees on one
/// provider; with two compiled in and none chosen, rustls would panic.
pub fn install_provider() {
    // Already installed (by an earlier server in the same process, say): fine.
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
}
