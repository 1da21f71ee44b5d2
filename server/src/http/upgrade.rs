//! The WebSocket handshake: axum checks the request, and the answer and the
//! socket are ours. axum's `WebSocket` hides the library's frame-level API,
//! which the server needs to send a large frame in pieces (see
//! `realtime/socket`), so the upgraded connection runs on tokio-tungstenite
//! directly, configured here.

use axum::{
    extract::{FromRequestParts, WebSocketUpgrade},
    http::{HeaderValue, StatusCode, Version, header, request::Parts},
    response::{IntoResponse, Response},
};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use sapa_protocol::ErrorCode;
use tokio_tungstenite::WebSocketStream;
use tokio_util::task::TaskTracker;
use tungstenite::{
    handshake::derive_accept_key,
    protocol::{Role, WebSocketConfig},
};

use super::error::ApiError;
use crate::realtime::socket::Gathered;

/// A server-side WebSocket over an upgraded HTTP connection.
pub type WsStream = WebSocketStream<Gathered<TokioIo<Upgraded>>>;

/// The largest frame read (and then refused if over
/// [`sapa_protocol::MAX_FRAME_BYTES`]).
pub const MAX_READ_BYTES: usize = 16 * 1024 * 1024;

/// A WebSocket upgrade request that passed axum's checks (GET, the
/// `Connection`, `Upgrade`, version and key headers); a request that fails
/// them (a plain GET, say) is 426 with the JSON error body.
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    /// `Sec-WebSocket-Key` over HTTP/1.1; none over HTTP/2 (RFC 8441).
    key: Option<HeaderValue>,
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrading {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A handle to the one upgrade hyper completes once the answer is
        // sent, taken before axum's extractor takes its own.
        let on_upgrade = parts.extensions.get::<OnUpgrade>().cloned();
        let checked = WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map_err(|rejection| not_a_websocket(&rejection.body_text()))?;
        drop(checked);
        let on_upgrade = on_upgrade.ok_or_else(|| not_a_websocket("connection not upgradable"))?;
        let key = (parts.version <= Version::HTTP_11)
            .then(|| parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned())
            .flatten();
        Ok(Self { on_upgrade, key })
    }
}

fn not_a_websocket(why: &str) -> ApiError {
    ApiError::new(
        StatusCode::UPGRADE_REQUIRED,
        ErrorCode::Validation,
        format!("{why}; this route speaks only WebSocket (see GET /ws-info)"),
    )
}

impl Upgrading {
    /// Answers the handshake; once the connection is upgraded, runs `serve`
    /// on its socket, on `tracker` (so shutdown waits for it).
    pub fn on_upgrade<F, Fut>(self, tracker: TaskTracker, serve: F) -> Response
    where
        F: FnOnce(WsStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            // An error here is a client gone before the upgrade finished.
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let connection = Gathered::new(TokioIo::new(upgraded));
            let socket =
                WebSocketStream::from_raw_socket(connection, Role::Server, Some(config())).await;
            tracker.track_future(serve(socket)).await;
        });
        match self.key {
            Some(key) => (
                StatusCode::SWITCHING_PROTOCOLS,
                [
                    (header::CONNECTION, "upgrade".to_owned()),
                    (header::UPGRADE, "websocket".to_owned()),
                    (
                        header::SEC_WEBSOCKET_ACCEPT,
                        derive_accept_key(key.as_bytes()),
                    ),
                ],
            )
                .into_response(),
            // HTTP/2's extended CONNECT is answered 200 with an empty body.
            None => StatusCode::OK.into_response(),
        }
    }
}

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        // Idle sockets should be cheap: a small read buffer (tungstenite
        // also zero-fills it before every read attempt).
        .read_buffer_size(512)
        // Each frame goes straight on to `Gathered`, which collects a
        // batch's frames into one write and lets its buffer go at the
        // flush. The library's own buffer keeps the capacity of the largest
        // frame it formats for the socket's life, so it is kept from
        // collecting (and `realtime/socket` writes no frame over a piece):
        // at 32 KiB every member of a busy room kept 32-64 KiB after the
        // first burst; a join's history frame kept its size (20 KiB per
        // connection in rooms of 50 messages).
        .write_buffer_size(0)
        // Frames up to 16 MiB are read so an oversized one gets a proper
        // `too_large` error; beyond that the library refuses to read on and
        // the connection still gets its 1009 close (realtime/socket).
        .max_message_size(Some(MAX_READ_BYTES))
        .max_frame_size(Some(MAX_READ_BYTES))
}
