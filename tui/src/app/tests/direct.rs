//! Direct messages: `/msg` and `/query` open the DM view, an arriving DM
//! adds its view to the list, counts as unread and rings the bell when its
//! view is not the one looked at.

use sapa_protocol::SendMessage;

use super::*;

fn dm_room() -> sapa_protocol::RoomName {
    "dm:alice:bob".parse().unwrap()
}

#[test]
fn msg_opens_the_dm_view_and_sends_with_to() {
    let mut s = online(vec![], &[]);
    let fx = type_line(&mut s, "/msg bob are you around?");
    assert_eq!(s.room().name, dm_room());
    assert_eq!(s.room().label(&s.user), "@bob");
    let frames = sent(&fx);
    assert!(
        frames
            .iter()
            .any(|m| matches!(m, ClientMessage::Join(j) if j.room == Some(dm_room()))),
        "the view is joined for its history: {frames:?}"
    );
    let sends: Vec<&SendMessage> = frames
        .iter()
        .filter_map(|m| match m {
            ClientMessage::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(sends.len(), 1, "{frames:?}");
    assert_eq!(sends[0].to.as_ref().map(|u| u.as_str()), Some("bob"));
    assert_eq!(sends[0].room, None, "a DM names its recipient, not a room");
    assert_eq!(sends[0].content.as_str(), "are you around?");
}

#[test]
fn query_opens_the_dm_view_without_sending_and_once_only() {
    let mut s = online(vec![], &[]);
    let fx = type_line(&mut s, "/query @Bob");
    assert_eq!(s.room().name, dm_room());
    assert!(
        !sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMessage::Message(_)))
    );
    type_line(&mut s, "/join general");
    type_line(&mut s, "/query bob");
    assert_eq!(s.rooms.len(), 2, "the same view again, not a second one");
    assert_eq!(s.room().name, dm_room());
}

#[test]
fn a_dm_without_a_name_or_text_says_how_to_write_it() {
    let mut s = online(vec![], &[]);
    type_line(&mut s, "/msg bob");
    assert_eq!(last_notice(&s), "usage: /msg USER TEXT");
    type_line(&mut s, "/query");
    assert_eq!(last_notice(&s), "usage: /query USER");
    assert_eq!(s.rooms.len(), 1);
}

#[test]
fn an_arriving_dm_adds_its_view_counts_unread_and_rings() {
    let mut s = online(vec![], &[]);
    let fx = frame(
        &mut s,
        ServerMessage::Message(dm(5, "bob", "alice", "psst")),
    );
    assert_eq!(s.room().name.as_str(), "general", "the screen stays put");
    assert_eq!(s.rooms[1].name, dm_room());
    assert_eq!(s.rooms[1].unread, 1);
    assert!(fx.contains(&Effect::Bell), "{fx:?}");
    assert!(
        sent(&fx)
            .iter()
            .any(|m| matches!(m, ClientMessage::Join(j) if j.room == Some(dm_room()))),
        "joined for its history: {fx:?}"
    );
    // Ctrl-N reaches it like a room; its messages are read once in.
    s.update(ctrl('n'));
    assert_eq!(s.room().name, dm_room());
    frame(&mut s, welcome("dm:alice:bob"));
    frame(
        &mut s,
        history("dm:alice:bob", vec![dm(5, "bob", "alice", "psst")], false),
    );
    assert_eq!(s.room().unread, 0);
    assert_eq!(shown_ids(&s), vec![5]);
}

#[test]
fn a_dm_in_the_view_being_looked_at_does_not_ring() {
    let mut s = online(vec![], &[]);
    type_line(&mut s, "/query bob");
    frame(&mut s, welcome("dm:alice:bob"));
    frame(&mut s, history("dm:alice:bob", vec![], false));
    let fx = frame(&mut s, ServerMessage::Message(dm(6, "bob", "alice", "hi")));
    assert!(!fx.contains(&Effect::Bell), "{fx:?}");
    assert_eq!(s.room().unread, 0);
    // Looking at another room: the next one rings.
    s.update(ctrl('p'));
    let fx = frame(
        &mut s,
        ServerMessage::Message(dm(7, "bob", "alice", "hello?")),
    );
    assert!(fx.contains(&Effect::Bell), "{fx:?}");
    assert_eq!(s.rooms[1].unread, 1);
}

#[test]
fn ones_own_dm_from_another_device_opens_the_view_without_unread() {
    let mut s = online(vec![], &[]);
    let fx = frame(
        &mut s,
        ServerMessage::Message(dm(8, "alice", "bob", "sent elsewhere")),
    );
    assert_eq!(s.rooms[1].name, dm_room());
    assert_eq!(s.rooms[1].unread, 0);
    assert!(!fx.contains(&Effect::Bell));
}

#[test]
fn a_dm_to_nobody_is_refused_with_the_servers_reason() {
    let mut s = online(vec![], &[]);
    let fx = type_line(&mut s, "/msg nobody hello");
    let client_id = sent(&fx)
        .iter()
        .find_map(|m| match m {
            ClientMessage::Message(m) => m.client_id.clone(),
            _ => None,
        })
        .expect("the DM went out");
    frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::NotFound,
            "no user nobody",
            Some(ErrorRef::ClientId(client_id.to_string())),
        ),
    );
    assert_eq!(
        last_notice(&s),
        "not sent (not_found): hello — no user nobody"
    );
    assert!(s.outbox.is_empty());
}
