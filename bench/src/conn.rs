//! One simulated client's socket: open it with small buffers (so ten
//! thousand fit in one process), send the join frame, and wait until the
//! server has accepted it.

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use crate::frames::{Incoming, classify};

/// A client's WebSocket over plain TCP (the benchmark only talks to
/// loopback).
pub type Ws = WebSocketStream<TcpStream>;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Endpoint {
    url: String,
    addr: String,
    config: WebSocketConfig,
    /// Whether the server only speaks the tutorial's frames (so there is no
    /// `welcome`: any frame other than an error means the join succeeded).
    pub tutorial: bool,
}

impl Endpoint {
    /// Checks that `url` is a ws:// URL and sizes each socket's buffers.
    pub fn new(url: &str, read_buffer: usize, tutorial: bool) -> Result<Self> {
        let parsed = url::Url::parse(url).with_context(|| format!("bad URL {url:?}"))?;
        if parsed.scheme() != "ws" {
            bail!("only ws:// URLs are supported, got {url:?}");
        }
        let host = parsed.host_str().context("the URL has no host")?;
        let port = parsed.port_or_known_default().unwrap_or(80);
        // Frames are written and flushed one at a time, so no write buffer
        // is needed; reads need little for small chat frames.
        let config = WebSocketConfig::default()
            .read_buffer_size(read_buffer)
            .write_buffer_size(0);
        Ok(Self {
            url: url.to_owned(),
            addr: format!("{host}:{port}"),
            config,
            tutorial,
        })
    }

    /// The REST base (`http://host:port`) of the same server.
    pub fn http_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Opens the socket and joins with `join_frame`; returns once the
    /// server accepted the join.
    pub async fn open_and_join(&self, join_frame: String) -> Result<Ws> {
        let tcp = TcpStream::connect(&self.addr)
            .await
            .with_context(|| format!("connect to {}", self.addr))?;
        tcp.set_nodelay(true)?;
        let (mut ws, _) =
            tokio_tungstenite::client_async_with_config(self.url.as_str(), tcp, Some(self.config))
                .await
                .context("WebSocket handshake")?;
        ws.send(Message::text(join_frame))
            .await
            .context("send join")?;
        while let Some(frame) = ws.next().await {
            match frame.context("read join answer")? {
                Message::Text(text) => match classify(&text) {
                    Incoming::Welcome => return Ok(ws),
                    Incoming::Error { code, content } => bail!("join refused: {code}: {content}"),
                    _ if self.tutorial => return Ok(ws),
                    _ => {}
                },
                Message::Close(frame) => bail!("closed during join: {}", describe_close(frame)),
                _ => {}
            }
        }
        Err(anyhow!("connection ended during join"))
    }
}

/// A close frame as a short label for the report: the code, and the reason
/// when there is one.
pub fn describe_close(frame: Option<CloseFrame>) -> String {
    match frame {
        None => "close (no code)".to_owned(),
        Some(frame) if frame.reason.is_empty() => format!("close {}", u16::from(frame.code)),
        Some(frame) => format!("close {} {}", u16::from(frame.code), frame.reason),
    }
}
