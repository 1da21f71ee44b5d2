//! The pump driven through channels instead of a TCP socket: what it writes
//! back, how it closes, and that a database it cannot reach is told as
//! `unavailable` (the store points at a port where no PostgreSQL listens,
//! so every task that needs it fails the way it would in production).

use std::{
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::{Sink, Stream};
use sapa_protocol::{ErrorCode, RoomName, ServerMessage};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tungstenite::{Error, Message};

use super::{PIECE_BYTES, Piece, Upgrade, pieces, serve};
use crate::{config::Config, limits::ClientKey, state::AppState, store::Store};

/// A socket made of two channels: what the test sends in, and what the
/// pump writes out.
struct Channels {
    incoming: mpsc::UnboundedReceiver<Message>,
    outgoing: mpsc::UnboundedSender<Message>,
}

impl Stream for Channels {
    type Item = Result<Message, Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx).map(|message| message.map(Ok))
    }
}

impl Sink<Message> for Channels {
    type Error = Error;
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Self::Error> {
        self.outgoing
            .send(item)
            .map_err(|_| Error::ConnectionClosed)
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
}

impl super::Socket for Channels {
    async fn send_written(&mut self) {}
}

/// The test's end of a connection served by the pump.
struct Peer {
    to_server: mpsc::UnboundedSender<Message>,
    from_server: mpsc::UnboundedReceiver<Message>,
    state: AppState,
    pump: tokio::task::JoinHandle<()>,
}

/// A server state whose database is unreachable: nothing listens on the
/// port (it was just bound and released).
fn state_without_database() -> AppState {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://nobody@127.0.0.1:{port}/none");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(2))
        .connect_lazy(&url)
        .unwrap();
    let tracker = TaskTracker::new();
    AppState::start(
        Config::for_tests(&url),
        Store::from_pool(pool),
        &tracker,
        CancellationToken::new(),
    )
}

fn connect(state: &AppState) -> Peer {
    let (to_server, incoming) = mpsc::unbounded_channel();
    let (outgoing, from_server) = mpsc::unbounded_channel();
    let permit = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
    let upgrade = Box::new(Upgrade {
        state: state.clone(),
        default_room: RoomName::general(),
        token: None,
        peer: "127.0.0.1:9".parse().unwrap(),
        client_ip: "127.0.0.1".parse().unwrap(),
        permit,
        ip_permit: state
            .limits
            .ws_open
            .try_open(ClientKey::of("127.0.0.1".parse().unwrap()))
            .unwrap(),
    });
    let pump = tokio::spawn(serve(Channels { incoming, outgoing }, upgrade));
    Peer {
        to_server,
        from_server,
        state: state.clone(),
        pump,
    }
}

impl Peer {
    fn send(&self, frame: serde_json::Value) {
        self.to_server
            .send(Message::Text(frame.to_string().into()))
            .unwrap();
    }

    async fn next(&mut self) -> Message {
        tokio::time::timeout(Duration::from_secs(10), self.from_server.recv())
            .await
            .expect("the pump writes within 10 s")
            .expect("the pump is running")
    }

    async fn next_frame(&mut self) -> ServerMessage {
        match self.next().await {
            Message::Text(text) => ServerMessage::decode(text.as_str()).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The close frame's code, once the pump has ended.
    async fn closed_with(mut self) -> u16 {
        let Message::Close(Some(frame)) = self.next().await else {
            panic!("expected a close frame")
        };
        tokio::time::timeout(Duration::from_secs(10), self.pump)
            .await
            .expect("the pump ends after closing")
            .unwrap();
        frame.code.into()
    }
}

#[tokio::test]
async fn frames_are_answered_in_order_and_the_connection_goes_on() {
    let state = state_without_database();
    let mut peer = connect(&state);
    peer.send(json!({"type": "ping", "nonce": "1"}));
    peer.to_server.send(Message::Text("{nope".into())).unwrap();
    peer.send(json!({"type": "ping", "nonce": "2"}));
    assert!(
        matches!(peer.next_frame().await, ServerMessage::Pong(p) if p.nonce.as_deref() == Some("1"))
    );
    assert!(
        matches!(peer.next_frame().await, ServerMessage::Error(e) if e.code == ErrorCode::InvalidJson)
    );
    assert!(
        matches!(peer.next_frame().await, ServerMessage::Pong(p) if p.nonce.as_deref() == Some("2"))
    );
}

#[tokio::test]
async fn a_join_with_the_database_down_is_unavailable_and_closed_with_1008() {
    let state = state_without_database();
    let mut peer = connect(&state);
    peer.send(json!({"type": "join", "username": "alice", "password": "secret123"}));
    let ServerMessage::Error(error) = peer.next_frame().await else {
        panic!("expected an error frame")
    };
    assert_eq!(error.code, ErrorCode::Unavailable);
    assert_eq!(peer.closed_with().await, 1008);
}

#[tokio::test]
async fn an_oversized_frame_is_refused_then_closed_with_1009() {
    let state = state_without_database();
    let mut peer = connect(&state);
    peer.send(json!({"type": "ping", "nonce": "x".repeat(70_000)}));
    let ServerMessage::Error(error) = peer.next_frame().await else {
        panic!("expected an error frame")
    };
    assert_eq!(error.code, ErrorCode::TooLarge);
    assert_eq!(peer.closed_with().await, 1009);
}

#[tokio::test]
async fn shutdown_closes_the_connection_with_1001() {
    let state = state_without_database();
    let mut peer = connect(&state);
    peer.send(json!({"type": "ping"}));
    peer.next_frame().await;
    peer.state.shutdown.cancel();
    assert_eq!(peer.closed_with().await, 1001);
}

#[tokio::test]
async fn a_client_close_ends_the_pump_and_a_vanished_client_too() {
    let state = state_without_database();
    let peer = connect(&state);
    peer.to_server.send(Message::Close(None)).unwrap();
    tokio::time::timeout(Duration::from_secs(10), peer.pump)
        .await
        .expect("the pump ends")
        .unwrap();
    let peer = connect(&state);
    drop(peer.to_server);
    tokio::time::timeout(Duration::from_secs(10), peer.pump)
        .await
        .expect("the pump ends when the stream does")
        .unwrap();
}

#[test]
fn text_is_cut_into_pieces_on_character_boundaries() {
    let piece = |start, end, first, last| Piece {
        start,
        end,
        first,
        last,
    };
    assert_eq!(
        pieces("abcdefghij", 4).collect::<Vec<_>>(),
        [
            piece(0, 4, true, false),
            piece(4, 8, false, false),
            piece(8, 10, false, true)
        ]
    );
    // "a" is 1 byte, "é" 2, "€" 3, "😀" 4: no cut splits one.
    let text = "aé€😀a";
    let cut: Vec<_> = pieces(text, 4).collect();
    assert_eq!(
        cut.iter()
            .map(|p| &text[p.start..p.end])
            .collect::<Vec<_>>(),
        ["aé", "€", "😀", "a"]
    );
    assert_eq!(pieces("abcd", 4).count(), 1);
    assert_eq!(pieces("", 4).count(), 0);
}

#[tokio::test]
async fn a_frame_over_a_piece_goes_out_in_pieces_that_make_it_whole_again() {
    use tungstenite::protocol::frame::coding::{Data, OpCode};

    let state = state_without_database();
    let mut peer = connect(&state);
    let nonce = "é".repeat(3 * PIECE_BYTES / 2) + "!";
    peer.send(json!({"type": "ping", "nonce": nonce}));
    let mut text = Vec::new();
    let mut opcodes = Vec::new();
    loop {
        let Message::Frame(frame) = peer.next().await else {
            panic!("a large reply comes as frames")
        };
        assert!(frame.payload().len() <= PIECE_BYTES);
        // Each piece is text on its own: no character is cut in two.
        assert!(std::str::from_utf8(frame.payload()).is_ok());
        opcodes.push(frame.header().opcode);
        text.extend_from_slice(frame.payload());
        if frame.header().is_final {
            break;
        }
    }
    assert_eq!(opcodes[0], OpCode::Data(Data::Text));
    assert!(
        opcodes[1..]
            .iter()
            .all(|op| *op == OpCode::Data(Data::Continue))
    );
    assert!(
        opcodes.len() >= 3,
        "3 KiB of 'é' in pieces of {PIECE_BYTES} bytes"
    );
    let pong = ServerMessage::decode(std::str::from_utf8(&text).unwrap()).unwrap();
    assert!(matches!(pong, ServerMessage::Pong(p) if p.nonce == Some(nonce)));

    // A small frame after it goes whole.
    peer.send(json!({"type": "ping", "nonce": "1"}));
    assert!(
        matches!(peer.next_frame().await, ServerMessage::Pong(p) if p.nonce.as_deref() == Some("1"))
    );
}
