//! [`TlsListener`]: TCP in, TLS streams out, for `axum::serve`.
//!
//! axum's serve loop takes one connection from the listener at a time, so
//! the handshake must not happen inside that call: a client that opens a
//! socket and says nothing would stop everyone else's from being accepted.
//! Each handshake runs as its own task in a [`JoinSet`] the listener owns,
//! with a deadline; `accept` hands over whichever finishes first. When
//! serving stops, the listener is dropped and handshakes still under way
//! are aborted with it.
//!
//! A client that does not speak TLS (plain HTTP to this port) fails its
//! handshake at the first bytes, and its socket is closed: never a hang.

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use tokio::{
    net::{TcpListener, TcpStream},
    task::JoinSet,
};
use tokio_rustls::{TlsAcceptor, rustls::ServerConfig, server::TlsStream};

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes under way at once; past it, new sockets wait in the kernel's
/// backlog until some finish.
const MAX_HANDSHAKES: usize = 1024;

/// A TCP listener whose connections are TLS streams.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    /// TLS over `tcp` with `config` (whose certificate resolver may change
    /// what new handshakes see; see `certs.rs`).
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> Self {
        Self {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: JoinSet::new(),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // Both branches are cancel-safe: axum drops this future when
            // shutdown begins, and nothing accepted is lost in between.
            tokio::select! {
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
                accepted = self.tcp.accept(), if self.handshakes.len() < MAX_HANDSHAKES => {
                    match accepted {
                        Ok((tcp, peer)) => {
                            self.handshakes.spawn(handshake(self.acceptor.clone(), tcp, peer));
                        }
                        Err(error) => accept_failed(error).await,
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// One client's handshake; `None` (and the socket closed) if it fails or
/// takes too long.
async fn handshake(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
) -> Option<(TlsStream<TcpStream>, SocketAddr)> {
    // Before the handshake, whose server flight is several writes.
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY");
    }
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => Some((stream, peer)),
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            None
        }
    }
}

/// As axum's own TCP listener does: a failed connection is the client's
/// problem, anything else (out of file descriptors) waits a moment.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; waiting a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
