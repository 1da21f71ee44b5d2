//! Golden frames: every file in `tests/vectors/` is one frame exactly as it
//! travels. Each must decode into the typed enum and re-encode to the same
//! JSON, so any change to the wire format fails here and shows up in review.

use std::{fs, path::Path};

use sapa_protocol::{ClientMessage, ServerMessage, decode_client};
use serde_json::Value;

fn vectors(prefix: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut found: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&path).unwrap())
        })
        .collect();
    found.sort();
    found
}

fn same_json(name: &str, original: &str, encoded: &str) {
    let original: Value = serde_json::from_str(original).unwrap();
    let encoded: Value = serde_json::from_str(encoded).unwrap();
    assert_eq!(original, encoded, "{name} does not survive a round trip");
}

#[test]
fn every_client_frame_round_trips() {
    let files = vectors("client_");
    let mut kinds: Vec<&str> = Vec::new();
    for (name, text) in &files {
        let frame = decode_client(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        same_json(name, text, &frame.to_json());
        kinds.push(frame.kind());
    }
    for kind in ["join", "message", "leave", "history", "ping"] {
        assert!(kinds.contains(&kind), "no golden file for client {kind}");
    }
}

#[test]
fn every_server_frame_round_trips() {
    let files = vectors("server_");
    let mut kinds = Vec::new();
    for (name, text) in &files {
        let frame = ServerMessage::decode(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        same_json(name, text, &frame.to_json());
        let value: Value = serde_json::from_str(text).unwrap();
        kinds.push(value["type"].as_str().unwrap().to_owned());
    }
    for kind in [
        "welcome", "message", "history", "presence", "joined", "left", "system", "error", "pong",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no golden file for server {kind}"
        );
    }
}

#[test]
fn a_client_frame_is_not_a_server_frame() {
    // The two directions share tag names (`message`, `history`) but not
    // shapes: a client's message frame must not pass as a stored message.
    let text = &vectors("client_message")[0].1;
    assert!(ServerMessage::decode(text).is_err());
    let _: ClientMessage = decode_client(text).unwrap();
}
