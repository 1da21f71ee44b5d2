//! Golden frames: every file in `tests/vectors/` is one frame or REST body
//! exactly as it travels, followed by a newline. Each must decode into its
//! type and encode back to the same bytes, so any change to the wire format
//! (a renamed field, a new field order, different spacing) fails here and
//! shows up in review.

use std::{fs, path::Path};

use sapa_protocol::{
    ClientKind, ClientMessage, ErrorFrame, ErrorRef, ServerMessage, decode_client, rest,
};
use serde::{Serialize, de::DeserializeOwned};

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
            let text = fs::read_to_string(&path).unwrap();
            let text = text
                .strip_suffix('\n')
                .unwrap_or_else(|| panic!("{name} must end with one newline"))
                .to_owned();
            (name, text)
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no golden files named {prefix}*");
    found
}

fn same_bytes(name: &str, golden: &str, encoded: &str) {
    assert_eq!(
        encoded, golden,
        "{name}: encoding the decoded value gives other bytes"
    );
}

#[test]
fn every_client_frame_encodes_to_its_golden_bytes() {
    let mut kinds = Vec::new();
    for (name, text) in vectors("client_") {
        let frame = decode_client(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        same_bytes(&name, &text, &frame.to_json());
        kinds.push(frame.kind());
    }
    for kind in ClientKind::ALL {
        assert!(kinds.contains(&kind), "no golden file for client {kind}");
    }
}

#[test]
fn every_server_frame_encodes_to_its_golden_bytes() {
    let mut kinds = Vec::new();
    for (name, text) in vectors("server_") {
        let frame = ServerMessage::decode(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        same_bytes(&name, &text, &frame.to_json());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        kinds.push(value["type"].as_str().unwrap().to_owned());
    }
    for kind in [
        "welcome", "message", "history", "presence", "joined", "left", "system", "error", "pong",
        "who", "typing", "read",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no golden file for server {kind}"
        );
    }
}

#[test]
fn error_references_decode_typed() {
    let reference = |file: &str| {
        let (_, text) = &vectors(file)[0];
        let ServerMessage::Error(ErrorFrame { reference, .. }) =
            ServerMessage::decode(text).unwrap()
        else {
            panic!("{file} is not an error frame");
        };
        reference
    };
    assert_eq!(
        reference("server_error.json"),
        Some(ErrorRef::ClientId("c-2".into()))
    );
    assert_eq!(
        reference("server_error_join.json"),
        Some(ErrorRef::Frame(ClientKind::Join))
    );
    assert_eq!(
        reference("server_error_unknown_type.json"),
        Some(ErrorRef::UnknownType("dance".into()))
    );
}

fn round_trip<T: Serialize + DeserializeOwned>(file: &str) {
    let (name, text) = &vectors(file)[0];
    let value: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    same_bytes(name, text, &serde_json::to_string(&value).unwrap());
}

#[test]
fn every_rest_body_encodes_to_its_golden_bytes() {
    round_trip::<rest::Credentials>("rest_credentials.json");
    round_trip::<rest::Registered>("rest_registered.json");
    round_trip::<rest::Session>("rest_session.json");
    round_trip::<rest::ErrorBody>("rest_error.json");
    round_trip::<rest::RoomInfo>("rest_room_info.json");
    round_trip::<rest::PostMessage>("rest_post_message.json");
    round_trip::<rest::PostMessage>("rest_post_message_direct.json");
    round_trip::<rest::MarkRead>("rest_mark_read.json");
    round_trip::<rest::Conversation>("rest_conversation.json");
    assert_eq!(vectors("rest_").len(), 9, "a golden file without a check");
}

#[test]
fn a_client_frame_is_not_a_server_frame() {
    // The two directions share tag names (`message`, `history`) but not
    // shapes: a client's message frame must not pass as a stored message.
    let text = &vectors("client_message")[0].1;
    assert!(ServerMessage::decode(text).is_err());
    let _: ClientMessage = decode_client(text).unwrap();
}
