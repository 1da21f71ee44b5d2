//! `sapa-load run --tutorial` end to end against a tiny in-process server
//! that speaks only the tutorial's frames: it accepts
//! `{"type":"join","username","password"}`, greets with a `system` frame, and
//! broadcasts every `{"type":"message","content"}` to everyone as
//! `{"type":"message","username","content","timestamp"}` (no id, no room).
//!
//! This checks the tool's whole path (connect, join, open-loop sends, counting
//! deliveries, the report) without a database. It asserts counts only, never
//! speed.

use futures_util::{SinkExt, StreamExt};
use sapa_bench::cli::{Cli, Command};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

/// Starts the tutorial-style server on a free loopback port; returns its
/// WebSocket URL.
async fn tutorial_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (room, _) = broadcast::channel::<String>(4096);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let room = room.clone();
            tokio::spawn(async move {
                let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let (mut sink, mut stream) = ws.split();
                let mut inbox = room.subscribe();
                let mut username = String::new();
                loop {
                    tokio::select! {
                        frame = stream.next() => {
                            let Some(Ok(Message::Text(text))) = frame else { return };
                            let frame: Value = serde_json::from_str(&text).unwrap();
                            match frame["type"].as_str() {
                                Some("join") => {
                                    username = frame["username"].as_str().unwrap().to_owned();
                                    let hello = json!({"type": "system", "content": format!("{username} joined")});
                                    sink.send(Message::text(hello.to_string())).await.unwrap();
                                }
                                Some("message") => {
                                    let out = json!({
                                        "type": "message",
                                        "username": username,
                                        "content": frame["content"],
                                        "timestamp": "2026-11-23T00:00:00Z",
                                    });
                                    let _ = room.send(out.to_string());
                                }
                                _ => {}
                            }
                        }
                        out = inbox.recv() => {
                            let Ok(out) = out else { return };
                            if sink.send(Message::text(out)).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    format!("ws://{addr}/ws")
}

#[tokio::test(flavor = "current_thread")]
async fn every_message_of_a_tutorial_server_is_counted_once_per_member() {
    let url = tutorial_server().await;
    let cli = <Cli as clap::Parser>::parse_from([
        "sapa-load",
        "run",
        "--url",
        &url,
        "--tutorial",
        "--clients",
        "6",
        "--senders",
        "3",
        "--rate",
        "20",
        "--warmup",
        "0.1",
        "--duration",
        "0.5",
        "--drain",
        "5",
    ]);
    let Command::Run(args) = cli.command else {
        panic!("parsed as another command");
    };
    let report = sapa_bench::load::run(args).await.unwrap();

    assert_eq!(report.joined, 6);
    assert!(
        report.join_failures.is_empty(),
        "{:?}",
        report.join_failures
    );
    assert!(report.sent > 0);
    // Everyone (the sender too) is in the one room.
    assert_eq!(report.expected, report.sent * 6);
    assert_eq!(report.received, report.expected);
    assert_eq!(report.delivery_ratio, 1.0);
    assert_eq!(report.stored, report.sent);
    assert_eq!(report.latency_ms.count, report.received);
    assert_eq!(report.auth, "tutorial");
}
