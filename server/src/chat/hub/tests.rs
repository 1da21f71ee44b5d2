//! Hub tests: presence, fan-out, history from memory, big rooms.

use std::future::Future;

use sapa_protocol::{MessageView, ServerMessage};
use time::OffsetDateTime;
use tungstenite::Utf8Bytes;

use super::*;

fn mailbox(name: &str) -> (Mailbox, Outbox) {
    let outbox = Outbox::new(4);
    let mailbox = Mailbox {
        username: name.parse().unwrap(),
        outbox: outbox.clone(),
        listed: true,
    };
    (mailbox, outbox)
}

fn is_kicked(outbox: &Outbox) -> bool {
    let waker = std::task::Waker::noop();
    let kicked = std::pin::pin!(outbox.kicked());
    kicked
        .poll(&mut std::task::Context::from_waker(waker))
        .is_ready()
}

fn message(room: &RoomName) -> MessageView {
    message_with_id(room, 1)
}

fn message_with_id(room: &RoomName, id: i64) -> MessageView {
    MessageView {
        id,
        room: room.clone(),
        username: "bob".parse().unwrap(),
        content: "hi".parse().unwrap(),
        timestamp: OffsetDateTime::UNIX_EPOCH,
        client_id: None,
        to: None,
        edited_at: None,
        deleted: false,
    }
}

/// What `mailbox` has queued, without waiting.
fn queued(mailbox: &Mailbox) -> Vec<String> {
    let waker = std::task::Waker::noop();
    match mailbox
        .outbox
        .poll_take(&mut std::task::Context::from_waker(waker))
    {
        std::task::Poll::Ready(batch) => batch.into_iter().map(text).collect(),
        std::task::Poll::Pending => Vec::new(),
    }
}

fn text(item: Outbound) -> String {
    match item {
        Outbound::Frame(bytes) => bytes.to_string(),
        Outbound::Message(m) => m.frame.to_string(),
    }
}

#[test]
fn presence_counts_users_not_sockets() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    let (a1, _) = mailbox("alice");
    let (a2, _) = mailbox("Alice");
    let (b, _) = mailbox("bob");
    hub.join(&room, 1, 3, b.clone(), Replay::Latest);
    hub.join(&room, 1, 1, a1, Replay::Latest);
    let presence = hub.join(&room, 1, 2, a2, Replay::Latest).presence;
    let seen = queued(&b);
    assert_eq!(seen.len(), 1, "second socket of alice must not announce");
    assert!(seen[0].contains(r#""type":"joined""#));
    assert_eq!(presence.users.len(), 2);
    hub.leave(&room, 1);
    assert!(queued(&b).is_empty(), "alice still has a socket");
    hub.leave(&room, 2);
    let seen = queued(&b);
    assert!(seen.len() == 1 && seen[0].contains(r#""type":"left""#));
    assert_eq!(hub.online(Some(&room)).len(), 1);
}

#[test]
fn presence_waits_for_the_tick_and_messages_do_not() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    let (a, _) = mailbox("alice");
    let (b, _) = mailbox("bob");
    hub.join(&room, 1, 1, a.clone(), Replay::Latest);
    hub.join(&room, 1, 2, b, Replay::Latest);
    assert_eq!(hub.lock().due.len(), 1, "alice waits for the tick");
    hub.wake_due();
    assert!(hub.lock().due.is_empty());
    let view = message(&room);
    hub.broadcast([&view]);
    assert!(hub.lock().due.is_empty(), "messages wake at once");
    let seen = queued(&a);
    assert!(seen[0].contains(r#""type":"joined""#) && seen[1].contains(r#""content":"hi""#));
}

/// The ids in a served history frame, and its `has_more`.
fn replayed(history: Option<HistoryFrame>) -> Option<(Vec<i64>, bool)> {
    let frame = ServerMessage::decode(&history?.frame).unwrap();
    let ServerMessage::History(history) = frame else {
        panic!("not a history frame: {frame:?}");
    };
    Some((
        history.messages.iter().map(|m| m.id).collect(),
        history.has_more,
    ))
}

#[test]
fn history_comes_from_memory_once_the_first_page_is_offered() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    let (a, _) = mailbox("alice");
    let first = hub.join(&room, 1, 1, a, Replay::Latest);
    assert!(first.history.is_none(), "nothing is known before the offer");
    // Committed after the page was read, broadcast before the offer.
    hub.broadcast([&message_with_id(&room, 9)]);
    let page = [message_with_id(&room, 3), message_with_id(&room, 5)];
    hub.offer_history(&room, &Replayed::encode(&page, false));
    hub.offer_history(&room, &Replayed::encode(&[], false));
    let join = |conn, replay| {
        let (mailbox, _) = mailbox("bob");
        replayed(hub.join(&room, 1, conn, mailbox, replay).history)
    };
    assert_eq!(
        join(2, Replay::Latest),
        Some((vec![5, 9], true)),
        "kept 2 of 3"
    );
    assert_eq!(join(3, Replay::After(5)), Some((vec![9], false)));
    assert_eq!(
        join(4, Replay::After(4)),
        Some((vec![5, 9], false)),
        "4 is just before 5"
    );
    assert_eq!(
        join(5, Replay::After(2)),
        None,
        "3 is not in memory any more"
    );
    hub.broadcast([&message_with_id(&room, 10)]);
    assert_eq!(join(6, Replay::Latest), Some((vec![9, 10], true)));
}

#[test]
fn a_room_emptied_forgets_its_history() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    let (a, _) = mailbox("alice");
    hub.join(&room, 1, 1, a, Replay::Latest);
    hub.offer_history(
        &room,
        &Replayed::encode(&[message_with_id(&room, 3)], false),
    );
    hub.leave(&room, 1);
    let (b, _) = mailbox("bob");
    assert!(hub.join(&room, 1, 2, b, Replay::Latest).history.is_none());
}

#[test]
fn a_full_queue_kicks_the_slow_connection() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    let (slow, outbox) = mailbox("slow");
    hub.join(&room, 1, 1, slow, Replay::Latest);
    let view = message(&room);
    for _ in 0..4 {
        hub.broadcast([&view]);
    }
    assert!(!is_kicked(&outbox));
    hub.broadcast([&view]);
    assert!(is_kicked(&outbox));
}

#[test]
fn a_room_knows_its_id_while_it_has_members() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    assert_eq!(hub.room_id(&room), None);
    let (a, _) = mailbox("alice");
    hub.join(&room, 7, 1, a, Replay::Latest);
    assert_eq!(hub.room_id(&room), Some(7));
    hub.leave(&room, 1);
    assert_eq!(hub.room_id(&room), None);
}

#[test]
fn a_join_storm_into_a_big_room_costs_each_member_one_count_per_tick() {
    let hub = Hub::new(2, 10);
    let room = RoomName::general();
    let mut outboxes = Vec::new();
    for n in 0..200 {
        let outbox = Outbox::new(1024);
        let mailbox = Mailbox {
            username: format!("u{n}").parse().unwrap(),
            outbox: outbox.clone(),
            listed: true,
        };
        hub.join(&room, 1, n, mailbox, Replay::Latest);
        outboxes.push(outbox);
    }
    let first = Mailbox {
        username: "u0".parse().unwrap(),
        outbox: outboxes[0].clone(),
        listed: true,
    };
    // The first member heard the nine joins that kept the room small, and
    // nothing of the 190 after.
    let seen = queued(&first);
    assert_eq!(seen.len(), 9, "{seen:?}");
    assert!(seen.iter().all(|f| f.contains(r#""type":"joined""#)));
    hub.tell_counts();
    let seen = queued(&first);
    assert_eq!(seen.len(), 1);
    assert!(seen[0].contains(r#""count":200"#), "{seen:?}");
    // Leaving until the room is small again brings the whole list back.
    for n in 10..200 {
        hub.leave(&room, n);
    }
    hub.tell_counts();
    let seen = queued(&first);
    let list = seen
        .iter()
        .find(|f| f.contains(r#""users":["#))
        .expect("the whole list when the room is small again");
    assert!(list.contains(r#""u9""#), "{list}");
}

#[test]
fn a_change_reaches_the_room_and_the_history_served_from_memory() {
    let hub = Hub::new(5, 500);
    let room = RoomName::general();
    let (a, _) = mailbox("alice");
    hub.join(&room, 1, 1, a.clone(), Replay::Latest);
    // Changed before the first page is offered: laid over the page, which
    // may have been read before the change.
    let mut edited = message_with_id(&room, 3);
    edited.content = "fixed".parse().unwrap();
    hub.changed(&edited, 10, Utf8Bytes::from_static(r#"{"type":"edited"}"#));
    let page = [message_with_id(&room, 3), message_with_id(&room, 4)];
    hub.offer_history(&room, &Replayed::encode(&page, false));
    assert_eq!(queued(&a), [r#"{"type":"edited"}"#], "the room hears it");
    // Changed after: the kept copy is replaced.
    let mut gone = message_with_id(&room, 4);
    gone.content = sapa_protocol::MessageText::erased();
    gone.deleted = true;
    hub.changed(&gone, 11, Utf8Bytes::from_static(r#"{"type":"deleted"}"#));
    let (b, _) = mailbox("bob");
    let history = hub.join(&room, 1, 2, b, Replay::Latest).history.unwrap();
    let frame = ServerMessage::decode(&history.frame).unwrap();
    let ServerMessage::History(history) = frame else {
        panic!("{frame:?}")
    };
    let shown: Vec<(&str, bool)> = history
        .messages
        .iter()
        .map(|m| (m.content.as_str(), m.deleted))
        .collect();
    assert_eq!(shown, [("fixed", false), ("", true)]);
}

/// A bus that keeps what the hub publishes.
#[derive(Default)]
struct Kept(std::sync::Mutex<Vec<crate::bus::Body>>);

impl crate::bus::Bus for Kept {
    fn publish(&self, body: crate::bus::Body) {
        self.0.lock().unwrap().push(body);
    }
}

/// (room, user, present) of each presence change published so far.
fn published(bus: &Kept) -> Vec<(String, String, bool)> {
    std::mem::take(&mut *bus.0.lock().unwrap())
        .into_iter()
        .filter_map(|body| match body {
            crate::bus::Body::Presence {
                room,
                username,
                present,
            } => Some((room.to_string(), username.to_string(), present)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_users_first_and_last_socket_here_are_published_and_nothing_once_stopping() {
    let bus = Arc::new(Kept::default());
    let stopping = CancellationToken::new();
    let hub = Hub::new(2, 500).with_bus(bus.clone(), stopping.clone());
    let room = RoomName::general();
    hub.join(&room, 1, 1, mailbox("alice").0, Replay::Latest);
    hub.join(&room, 1, 2, mailbox("Alice").0, Replay::Latest);
    assert_eq!(published(&bus), [("general".into(), "alice".into(), true)]);
    hub.leave(&room, 1);
    assert!(published(&bus).is_empty(), "one socket is still here");
    hub.leave(&room, 2);
    assert_eq!(published(&bus), [("general".into(), "Alice".into(), false)]);
    stopping.cancel();
    hub.join(&room, 1, 3, mailbox("bob").0, Replay::Latest);
    hub.leave(&room, 3);
    assert!(
        published(&bus).is_empty(),
        "a node shutting down stays quiet"
    );
}

#[test]
fn users_elsewhere_are_listed_announced_once_and_leave_with_their_node() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    let name = |text: &str| -> Username { text.parse().unwrap() };
    hub.presence_elsewhere("b", &room, &name("bob"), true);
    let (watcher, _) = mailbox("watcher");
    let presence = hub
        .join(&room, 1, 1, watcher.clone(), Replay::Latest)
        .presence;
    let listed: Vec<&str> = presence.users.iter().map(Username::as_str).collect();
    assert_eq!(listed, ["bob", "watcher"], "a newcomer sees bob on node b");
    hub.presence_elsewhere("c", &room, &name("bob"), true);
    hub.presence_elsewhere("c", &room, &name("carol"), true);
    let seen = queued(&watcher);
    assert_eq!(seen.len(), 1, "bob on a second node is no news: {seen:?}");
    assert!(seen[0].contains(r#""username":"carol""#));
    hub.forget_node("b");
    assert!(queued(&watcher).is_empty(), "bob is still on c");
    assert_eq!(hub.online_counts()[&room], 3);
    hub.forget_node("c");
    let seen = queued(&watcher);
    assert_eq!(seen.len(), 2, "bob and carol leave: {seen:?}");
    assert!(seen.iter().all(|frame| frame.contains(r#""type":"left""#)));
    assert_eq!(hub.online(None), [name("watcher")]);
}

#[test]
fn reconciling_with_the_table_changes_only_what_differs() {
    let hub = Hub::new(2, 500);
    let room = RoomName::general();
    let name = |text: &str| -> Username { text.parse().unwrap() };
    let (watcher, _) = mailbox("watcher");
    hub.join(&room, 1, 1, watcher.clone(), Replay::Latest);
    hub.presence_elsewhere("b", &room, &name("bob"), true);
    hub.presence_elsewhere("b", &room, &name("dave"), true);
    queued(&watcher);
    hub.reconcile(vec![
        ("b".into(), room.clone(), name("bob")),
        ("c".into(), room.clone(), name("erin")),
    ]);
    let seen = queued(&watcher);
    assert_eq!(seen.len(), 2, "dave left and erin joined: {seen:?}");
    assert!(seen[0].contains(r#""type":"left""#) && seen[0].contains("dave"));
    assert!(seen[1].contains(r#""type":"joined""#) && seen[1].contains("erin"));
    let mut nodes = hub.nodes_elsewhere();
    nodes.sort();
    assert_eq!(nodes, ["b", "c"]);
    // With no one here the room is still counted, from the other nodes.
    hub.leave(&room, 1);
    assert_eq!(hub.online_counts()[&room], 2, "bob and erin elsewhere");
    assert_eq!(hub.online(Some(&room)), [name("bob"), name("erin")]);
}
