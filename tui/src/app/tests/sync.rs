//! Joining, resuming and re-joining: what the connection's life does to
//! the rooms, exactly once and in order.

use super::*;

#[test]
fn connecting_joins_every_room_and_welcome_marks_it_joined() {
    let mut s = client();
    let fx = s.update(Event::Net(NetEvent::Connected));
    let frames = sent(&fx);
    assert_eq!(frames.len(), 1);
    let ClientMessage::Join(join) = frames[0] else {
        panic!("{frames:?}")
    };
    assert_eq!(join.room.as_ref().unwrap().as_str(), "general");
    assert_eq!(join.since_id, None, "nothing seen yet");
    assert_eq!(join.announce, None, "a person is announced");
    assert!(!s.room().is_joined());
    frame(&mut s, welcome("general"));
    assert!(s.room().is_joined());
    frame(
        &mut s,
        history("general", vec![msg(1, "bob", "earlier")], false),
    );
    assert_eq!(last_notice(&s), "Welcome alice!");
    assert!(
        matches!(s.room().entries.last(), Some(Entry::Notice { .. })),
        "the welcome reads after the history"
    );
}

#[test]
fn messages_typed_while_offline_wait_and_go_out_after_the_resume() {
    let mut s = online(vec![msg(1, "bob", "hi")], &["alice", "bob"]);
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "connection reset".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    let fx = type_line(&mut s, "are you there?");
    assert!(sent(&fx).is_empty(), "nothing goes out while offline");
    assert_eq!(s.outbox.len(), 1);

    let fx = s.update(Event::Net(NetEvent::Connected));
    let ClientMessage::Join(join) = sent(&fx)[0] else {
        panic!()
    };
    assert_eq!(join.since_id, Some(1), "resume after the last seen id");
    frame(&mut s, welcome("general"));
    let fx = frame(
        &mut s,
        history("general", vec![msg(2, "bob", "missed")], false),
    );
    let frames = sent(&fx);
    let ClientMessage::Message(m) = frames[0] else {
        panic!("{frames:?}")
    };
    assert_eq!(m.client_id.as_ref().unwrap().as_str(), "t-1");
    assert_eq!(shown_ids(&s), vec![1, 2]);
}

#[test]
fn a_message_stored_before_the_drop_is_not_resent_and_shown_once() {
    let mut s = online(vec![msg(1, "bob", "hi")], &[]);
    type_line(&mut s, "mine");
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "timeout".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    // The replay holds our message: it was stored, only the answer was lost.
    let mut mine = msg(2, "alice", "mine");
    mine.client_id = Some("t-1".parse().unwrap());
    let fx = frame(
        &mut s,
        history("general", vec![mine.clone(), msg(3, "bob", "ok")], false),
    );
    assert!(sent(&fx).is_empty(), "nothing left to re-send");
    assert!(s.outbox.is_empty());
    // A late duplicate (live frame of the same id) changes nothing.
    frame(&mut s, ServerMessage::Message(mine));
    assert_eq!(shown_ids(&s), vec![1, 2, 3]);
}

#[test]
fn resume_removes_duplicates_and_keeps_order() {
    let mut s = online(vec![msg(1, "bob", "a"), msg(2, "bob", "b")], &[]);
    frame(&mut s, ServerMessage::Message(msg(4, "bob", "d")));
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(
        &mut s,
        history(
            "general",
            vec![msg(3, "carol", "c"), msg(4, "bob", "d"), msg(5, "bob", "e")],
            false,
        ),
    );
    frame(&mut s, ServerMessage::Message(msg(5, "bob", "e")));
    frame(&mut s, ServerMessage::Message(msg(6, "bob", "f")));
    assert_eq!(shown_ids(&s), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(s.room().last_id, Some(6));
}

#[test]
fn a_resume_that_was_cut_short_asks_again_from_where_it_ended() {
    let mut s = online(vec![msg(1, "bob", "a")], &[]);
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    let fx = frame(&mut s, history("general", vec![msg(2, "bob", "b")], true));
    let ClientMessage::Join(again) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(again.since_id, Some(2));
}

#[test]
fn losing_the_connection_says_so_and_counts_down() {
    let mut s = online(vec![], &[]);
    let now = Instant::now();
    tick(&mut s, now);
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "connection refused".into(),
        retry_at: now + Duration::from_secs(4),
        attempt: 2,
    }));
    assert!(matches!(s.link.conn, Conn::Offline { attempt: 2, .. }));
    assert_eq!(last_notice(&s), "connection lost: connection refused");
    assert!(!s.room().is_joined());
    assert_eq!(s.link.rtt, None);
    s.update(Event::Net(NetEvent::Connecting { attempt: 3 }));
    assert_eq!(s.link.conn, Conn::Connecting { attempt: 3 });
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(&mut s, history("general", vec![], false));
    assert_eq!(last_notice(&s), "reconnected");
}

#[test]
fn messages_missed_while_offline_count_as_new_when_scrolled_up() {
    let msgs = (1..=60).map(|i| msg(i, "bob", &format!("m{i}"))).collect();
    let mut s = online(msgs, &[]);
    s.update(key(KeyCode::PageUp));
    s.update(Event::Net(NetEvent::Disconnected {
        reason: "gone".into(),
        retry_at: Instant::now(),
        attempt: 1,
    }));
    let scrolled = s.room().scroll;
    s.update(Event::Net(NetEvent::Connected));
    frame(&mut s, welcome("general"));
    frame(
        &mut s,
        history(
            "general",
            vec![msg(61, "bob", "x"), msg(62, "bob", "y")],
            false,
        ),
    );
    assert_eq!(s.room().unseen, 2);
    // Two message rows plus the "reconnected" line, all below the view.
    assert_eq!(s.room().scroll, scrolled + 3);
}

#[test]
fn a_join_the_server_could_not_take_is_tried_again() {
    let mut s = online(vec![], &[]);
    let start = Instant::now();
    tick(&mut s, start);
    type_line(&mut s, "/join rust");
    frame(
        &mut s,
        ServerMessage::error(
            ErrorCode::Unavailable,
            "database down",
            Some(ErrorRef::Frame(ClientKind::Join)),
        ),
    );
    assert!(
        last_notice(&s).starts_with("cannot join #rust yet (unavailable)"),
        "{}",
        last_notice(&s)
    );
    assert!(!s.room().is_joined());
    let due = tick(&mut s, start + Duration::from_secs(4));
    let ClientMessage::Join(j) = sent(&due)[0] else {
        panic!("{due:?}")
    };
    assert_eq!(j.room.as_ref().unwrap().as_str(), "rust");
    frame(&mut s, welcome("rust"));
    frame(
        &mut s,
        history("rust", vec![msg_in("rust", 1, "bob", "hi")], false),
    );
    assert!(s.room().is_joined());
    assert_eq!(shown_ids(&s), vec![1]);
    // Nothing more is scheduled (but the read marker of what was shown).
    let later = tick(&mut s, start + Duration::from_secs(10));
    assert!(
        sent(&later)
            .iter()
            .all(|m| matches!(m, ClientMessage::Read(r) if r.up_to == 1)),
        "{later:?}"
    );
}

#[test]
fn a_client_that_does_not_announce_says_so_in_every_join() {
    let mut s = client();
    s.announce = false;
    let fx = s.update(Event::Net(NetEvent::Connected));
    let ClientMessage::Join(join) = sent(&fx)[0] else {
        panic!("{fx:?}")
    };
    assert_eq!(join.announce, Some(false));
}
