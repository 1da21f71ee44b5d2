//! The WebSocket protocol as a client sees it: messages, history, resume,
//! rooms, errors, idempotency and shutdown.

use futures_util::SinkExt;
use sapa_protocol::{ErrorCode, ErrorRef, ServerMessage};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

#[sqlx::test(migrations = false)]
async fn two_clients_in_a_room_receive_the_same_message(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.ws().await;
    bob.send(json!({"type": "join", "username": "bob", "password": PASSWORD}))
        .await;
    let ServerMessage::Welcome(welcome) = bob.recv().await else {
        panic!("no welcome")
    };
    assert_eq!(welcome.content, "Welcome bob!");
    assert!(matches!(bob.recv().await, ServerMessage::History(_)));
    let ServerMessage::Presence(presence) = bob.recv().await else {
        panic!("no presence")
    };
    let names: Vec<&str> = presence.users.iter().map(|u| u.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);

    let ServerMessage::Joined(joined) = alice.recv().await else {
        panic!("alice saw no joined")
    };
    assert_eq!(joined.username.as_str(), "bob");

    let sent = alice.say("hello bob").await;
    let received = bob.next_message().await;
    assert_eq!(received.id, sent.id);
    assert_eq!(received.username.as_str(), "alice");
    assert_eq!(received.content.as_str(), "hello bob");
    assert_eq!(app.message_count().await, 1);
}

#[sqlx::test(migrations = false)]
async fn rejoining_gets_history_oldest_first_and_since_id_gets_exactly_what_was_missed(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let first = alice.say("one").await;
    alice.say("two").await;

    let mut bob = app.ws().await;
    let history = bob.join("bob", "general").await;
    let contents: Vec<&str> = history
        .messages
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(contents, ["one", "two"]);
    assert!(!history.has_more);
    let last_seen = history.messages.last().unwrap().id;
    bob.ws.close(None).await.unwrap();

    alice.say("three").await;
    alice.say("four").await;

    let mut back = app.ws().await;
    let missed = back
        .join_with(
            json!({"type": "join", "username": "bob", "password": PASSWORD, "since_id": last_seen}),
        )
        .await;
    let contents: Vec<&str> = missed.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["three", "four"]);

    let everything = back
        .join_with(json!({"type": "join", "username": "bob", "password": PASSWORD, "since_id": first.id - 1}))
        .await;
    assert_eq!(everything.messages.len(), 4);
    assert!(everything.messages.windows(2).all(|w| w[0].id < w[1].id));
}

#[sqlx::test(migrations = false)]
async fn a_history_many_times_larger_than_a_write_arrives_whole_and_the_socket_goes_on(
    pool: PgPool,
) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    // 50 messages of 300 characters, two bytes and more among them: the
    // history frame is about 30 KiB, sent in pieces of 4 KiB.
    let line = |i: usize| format!("{i:02} {}", "é€😀 chat ".repeat(30));
    for i in 0..50 {
        alice.say(&line(i)).await;
    }

    let mut bob = app.ws().await;
    let history = bob.join("bob", "general").await;
    let contents: Vec<String> = history
        .messages
        .iter()
        .map(|m| m.content.as_str().to_owned())
        .collect();
    assert_eq!(contents, (0..50).map(line).collect::<Vec<_>>());

    alice.say("and one more").await;
    assert_eq!(bob.next_message().await.content.as_str(), "and one more");
}

#[sqlx::test(migrations = false)]
async fn a_resume_older_than_what_the_room_keeps_in_memory_still_gets_everything(pool: PgPool) {
    // Rooms keep as many messages in memory as a join replays: two here.
    let app = spawn_app_with(pool, |config| config.history_size = 2).await;
    let mut alice = app.joined("alice", "general").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(alice.say(&format!("m{n}")).await.id);
    }
    let mut bob = app.ws().await;
    let latest = bob.join("bob", "general").await;
    let contents: Vec<&str> = latest.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["m2", "m3"]);
    assert!(latest.has_more);

    for since in [ids[0] - 1, ids[1]] {
        let resumed = bob
            .join_with(
                json!({"type": "join", "username": "bob", "password": PASSWORD, "since_id": since}),
            )
            .await;
        let got: Vec<i64> = resumed.messages.iter().map(|m| m.id).collect();
        let want: Vec<i64> = ids.iter().copied().filter(|id| *id > since).collect();
        assert_eq!(got, want, "since_id {since}");
        assert!(!resumed.has_more);
    }
}

#[sqlx::test(migrations = false)]
async fn history_pages_go_backwards_and_stay_chronological(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(alice.say(&format!("m{n}")).await.id);
    }
    alice
        .send(json!({"type": "history", "before_id": ids[4], "limit": 2}))
        .await;
    let ServerMessage::History(page) = alice
        .recv_until(|f| matches!(f, ServerMessage::History(_)))
        .await
    else {
        unreachable!()
    };
    let contents: Vec<&str> = page.messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["m2", "m3"]);
    assert!(page.has_more);
}

#[sqlx::test(migrations = false)]
async fn rooms_are_isolated(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut in_a = app.joined("alice", "room-a").await;
    let mut in_b = app.joined("bob", "room-b").await;
    in_a.say("only for room a").await;
    // Sent after the first one, through the same writer: if the room-a
    // message reached bob it would arrive before this one.
    in_b.say("only for room b").await;
    let history = app.ws().await.join("carol", "room-b").await;
    assert_eq!(history.messages.len(), 1);
    assert_eq!(history.messages[0].content.as_str(), "only for room b");
}

#[sqlx::test(migrations = false)]
async fn one_connection_can_be_in_several_rooms(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "first").await;
    alice.join("alice", "second").await;
    let mut bob = app.joined("bob", "second").await;
    alice
        .send(json!({"type": "message", "content": "to second", "room": "second"}))
        .await;
    let view = bob.next_message().await;
    assert_eq!(view.room.as_str(), "second");
    // A frame naming no room acts on the first joined room.
    alice
        .send(json!({"type": "message", "content": "to first"}))
        .await;
    let view = alice
        .recv_until(|f| matches!(f, ServerMessage::Message(m) if m.content.as_str() == "to first"))
        .await;
    let ServerMessage::Message(view) = view else {
        unreachable!()
    };
    assert_eq!(view.room.as_str(), "first");
}

#[sqlx::test(migrations = false)]
async fn a_wrong_password_is_refused_and_the_socket_closed(pool: PgPool) {
    let app = spawn_app(pool).await;
    app.joined("alice", "general").await;
    let mut intruder = app.ws().await;
    intruder
        .send(json!({"type": "join", "username": "ALICE", "password": "not the password"}))
        .await;
    let error = intruder.next_error().await;
    assert_eq!(error.code, ErrorCode::Unauthorized);
    let close = intruder.closed().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
}

#[sqlx::test(migrations = false)]
async fn sending_as_someone_else_is_forbidden_and_nothing_is_stored(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut mallory = app.joined("mallory", "general").await;
    mallory
        .send(json!({"type": "message", "content": "I am alice", "username": "alice", "client_id": "fake"}))
        .await;
    let error = mallory.next_error().await;
    assert_eq!(error.code, ErrorCode::Forbidden);
    assert_eq!(error.reference, Some(ErrorRef::ClientId("fake".into())));
    // The same connection still works, and the name check ignores case.
    mallory
        .send(json!({"type": "message", "content": "honest", "username": "MALLORY"}))
        .await;
    assert_eq!(mallory.next_message().await.content.as_str(), "honest");
    assert_eq!(app.message_count().await, 1);
}

#[sqlx::test(migrations = false)]
async fn every_bad_frame_gets_its_own_code_and_the_connection_keeps_working(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let cases = [
        ("{not json".to_owned(), ErrorCode::InvalidJson),
        (json!({"type": "dance"}).to_string(), ErrorCode::UnknownType),
        (
            json!({"type": "message", "content": "   "}).to_string(),
            ErrorCode::Validation,
        ),
        (
            json!({"type": "message", "content": "x".repeat(4001)}).to_string(),
            ErrorCode::Validation,
        ),
        (
            json!({"type": "message", "content": "bell\u{7}"}).to_string(),
            ErrorCode::Validation,
        ),
        (
            json!({"type": "history", "limit": 0}).to_string(),
            ErrorCode::Validation,
        ),
        (
            json!({"type": "message", "content": "hi", "room": "elsewhere"}).to_string(),
            ErrorCode::NotJoined,
        ),
    ];
    for (frame, code) in cases {
        alice.send_raw(&frame).await;
        let error = alice.next_error().await;
        assert_eq!(error.code, code, "for {frame:.60}: {}", error.content);
    }
    assert_eq!(alice.say("still here").await.content.as_str(), "still here");
    assert_eq!(app.message_count().await, 1);
}

#[sqlx::test(migrations = false)]
async fn frames_before_a_join_are_not_joined_but_ping_works(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut client = app.ws().await;
    client.send(json!({"type": "ping", "nonce": "n-7"})).await;
    let ServerMessage::Pong(pong) = client.recv().await else {
        panic!("no pong")
    };
    assert_eq!(pong.nonce.as_deref(), Some("n-7"));
    client
        .send(json!({"type": "message", "content": "early"}))
        .await;
    assert_eq!(client.next_error().await.code, ErrorCode::NotJoined);
    client.join("alice", "general").await;
}

/// A message frame of about `bytes` bytes.
fn frame_of(bytes: usize) -> String {
    json!({"type": "message", "content": "x".repeat(bytes)}).to_string()
}

#[sqlx::test(migrations = false)]
async fn a_frame_over_64_kib_of_any_size_up_to_16_mib_gets_too_large_and_1009(pool: PgPool) {
    let app = spawn_app(pool).await;
    for size in [
        70 * 1024,
        1024 * 1024,
        4 * 1024 * 1024,
        16 * 1024 * 1024 - 64,
    ] {
        let mut alice = app.joined("alice", "general").await;
        alice.send_raw(&frame_of(size)).await;
        let error = alice.next_error().await;
        assert_eq!(error.code, ErrorCode::TooLarge, "{size} bytes");
        let close = alice.closed().await.expect("a close frame");
        assert_eq!(u16::from(close.code), 1009, "{size} bytes");
    }
    assert_eq!(app.message_count().await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_frame_over_16_mib_still_gets_a_1009_close_frame(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    // The server stops reading partway, so the send itself may fail.
    let _ = alice
        .ws
        .send(tokio_tungstenite::tungstenite::Message::text(frame_of(
            17 * 1024 * 1024,
        )))
        .await;
    let close = alice.closed().await.expect("a close frame, not a reset");
    assert_eq!(u16::from(close.code), 1009);
    // The server is fine.
    app.joined("bob", "general").await.say("still here").await;
}

#[sqlx::test(migrations = false)]
async fn the_same_client_id_twice_stores_one_message(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    let frame = json!({"type": "message", "content": "once", "client_id": "c-42"});
    alice.send(frame.clone()).await;
    let first = alice.next_message().await;
    alice.send(frame).await;
    let again = alice.next_message().await;
    assert_eq!(first.id, again.id);
    assert_eq!(again.client_id.as_ref().map(|c| c.as_str()), Some("c-42"));
    assert_eq!(app.message_count().await, 1);
    // Bob saw it once: the next message he sees is the one sent after.
    assert_eq!(bob.next_message().await.id, first.id);
    alice.say("after").await;
    assert_eq!(bob.next_message().await.content.as_str(), "after");
}

#[sqlx::test(migrations = false)]
async fn a_token_from_rest_logs_in_a_websocket(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("tokyo").await;
    let mut by_field = app.ws().await;
    by_field
        .join_with(json!({"type": "join", "username": "tokyo", "token": token}))
        .await;
    let mut by_query = app.ws_at(&format!("/chat/lobby?token={token}")).await;
    by_query
        .send(json!({"type": "join", "username": "tokyo"}))
        .await;
    let ServerMessage::Welcome(welcome) = by_query.recv().await else {
        panic!("no welcome")
    };
    assert_eq!(
        welcome.room.as_str(),
        "lobby",
        "/chat/{{room}} sets the default room"
    );

    let mut wrong = app.ws().await;
    wrong
        .send(json!({"type": "join", "username": "tokyo", "token": "0".repeat(64)}))
        .await;
    assert_eq!(wrong.next_error().await.code, ErrorCode::Unauthorized);
}

#[sqlx::test(migrations = false)]
async fn a_token_alone_logs_in_and_a_token_naming_another_user_is_unauthorized(pool: PgPool) {
    let app = spawn_app(pool).await;
    let token = app.register("Tokyo").await;
    app.register("osaka").await;
    let mut alone = app.ws().await;
    alone.send(json!({"type": "join", "token": token})).await;
    let ServerMessage::Welcome(welcome) = alone.recv().await else {
        panic!("no welcome")
    };
    assert_eq!(welcome.username.as_str(), "Tokyo");

    let mut other = app.ws().await;
    other
        .send(json!({"type": "join", "username": "osaka", "token": token}))
        .await;
    assert_eq!(other.next_error().await.code, ErrorCode::Unauthorized);
    let close = other.closed().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
}

#[sqlx::test(migrations = false)]
async fn many_first_time_tokens_at_once_each_log_in_their_own_user(pool: PgPool) {
    // Tokens this process has not seen yet are looked up together: every
    // join must still come back as its own user, and a bad token as refused.
    let app = spawn_app(pool).await;
    let mut logins = Vec::new();
    for n in 0..20 {
        let name = format!("crowd{n}");
        logins.push((app.register(&name).await, name));
    }
    logins.insert(7, ("0".repeat(64), "crowd3".to_owned()));
    let app = &app;
    let joins = logins.iter().map(|(token, name)| async move {
        let mut client = app.ws().await;
        client
            .send(json!({"type": "join", "username": name, "token": token}))
            .await;
        client.recv().await
    });
    let answers = futures_util::future::join_all(joins).await;
    for ((token, name), answer) in logins.iter().zip(answers) {
        let bogus = token.starts_with("000");
        match answer {
            ServerMessage::Welcome(welcome) if !bogus => {
                assert_eq!(welcome.username.as_str(), name);
            }
            ServerMessage::Error(error) if bogus => {
                assert_eq!(error.code, ErrorCode::Unauthorized);
            }
            other => panic!("{name} (bogus token: {bogus}): unexpected {other:?}"),
        }
    }
}

#[sqlx::test(migrations = false)]
async fn leaving_confirms_to_the_leaver_and_tells_the_others(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    bob.send(json!({"type": "leave"})).await;
    let ServerMessage::Left(confirmation) = bob.recv().await else {
        panic!("no confirmation")
    };
    assert_eq!(confirmation.username.as_str(), "bob");
    let seen = alice.next_left().await;
    assert_eq!(seen.username.as_str(), "bob");
    bob.send(json!({"type": "message", "content": "anyone?"}))
        .await;
    assert_eq!(bob.next_error().await.code, ErrorCode::NotJoined);
}

#[sqlx::test(migrations = false)]
async fn shutdown_closes_every_socket_with_1001(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    app.shutdown.cancel();
    let close = alice.closed().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1001);
    app.server.await.unwrap().unwrap();
    // Shutdown also recorded when alice was last online (the server closed
    // its pool, so look with a connection of our own).
    let mut db =
        <sqlx::PgConnection as sqlx::Connection>::connect_with(&app.pool.connect_options())
            .await
            .unwrap();
    let seen_after_registering: bool =
        sqlx::query_scalar("SELECT last_seen > created_at FROM users WHERE username = 'alice'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(seen_after_registering);
}

#[sqlx::test(migrations = false)]
async fn a_burst_from_many_senders_reaches_everyone_once_in_id_order(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut listener = app.joined("listener", "general").await;
    let mut senders = Vec::new();
    for n in 0..5 {
        senders.push(app.joined(&format!("sender{n}"), "general").await);
    }
    // Everyone sends without waiting, so the writer sees full queues and
    // stores them in batches.
    for round in 0..20 {
        for (n, sender) in senders.iter_mut().enumerate() {
            sender
                .send(json!({"type": "message", "content": format!("{n}:{round}")}))
                .await;
        }
    }
    let mut ids = Vec::new();
    let mut per_sender = vec![Vec::new(); senders.len()];
    while ids.len() < 100 {
        let view = listener.next_message().await;
        let (n, round) = view.content.as_str().split_once(':').unwrap();
        per_sender[n.parse::<usize>().unwrap()].push(round.parse::<u32>().unwrap());
        ids.push(view.id);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "delivered in id order");
    for rounds in per_sender {
        assert_eq!(
            rounds,
            (0..20).collect::<Vec<_>>(),
            "each sender's messages in the order sent"
        );
    }
    assert_eq!(app.message_count().await, 100);
}

#[sqlx::test(migrations = false)]
async fn with_the_database_gone_a_sender_hears_unavailable_and_nothing_is_broadcast(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    let mut bob = app.joined("bob", "general").await;
    app.pool.close().await;
    alice
        .send(json!({"type": "message", "content": "lost?", "client_id": "c-down"}))
        .await;
    let error = alice.next_error().await;
    assert_eq!(error.code, ErrorCode::Unavailable);
    assert_eq!(error.reference, Some(ErrorRef::ClientId("c-down".into())));
    // Bob got nothing: his next frame is the pong to his own ping.
    bob.send(json!({"type": "ping", "nonce": "after"})).await;
    assert!(matches!(bob.recv().await, ServerMessage::Pong(_)));
}

#[sqlx::test(migrations = false)]
async fn a_first_join_with_an_invalid_name_is_refused_and_closed(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut client = app.ws().await;
    client
        .send(json!({"type": "join", "username": "no spaces allowed", "password": PASSWORD}))
        .await;
    let error = client.next_error().await;
    assert_eq!(error.code, ErrorCode::Validation);
    assert!(error.content.contains("username"), "{}", error.content);
    let close = client.closed().await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
}

#[sqlx::test(migrations = false)]
async fn a_sender_over_the_rate_limit_is_told_and_nothing_extra_is_stored(pool: PgPool) {
    let app = crate::helpers::spawn_app_with(pool, |config| config.messages_per_second = 1).await;
    let mut alice = app.joined("alice", "general").await;
    // One per second with bursts of two: the third at once is refused.
    for n in 0..3 {
        alice.send(json!({"type": "message", "content": format!("m{n}"), "client_id": format!("c{n}")})).await;
    }
    // The refusal is immediate, the two stored messages come back from the
    // writer: their relative order is not fixed.
    let (mut stored, mut refused) = (Vec::new(), Vec::new());
    while stored.len() + refused.len() < 3 {
        match alice.recv().await {
            ServerMessage::Message(m) => stored.push(m.content.as_str().to_owned()),
            ServerMessage::Error(e) => refused.push((e.code, e.reference, e.retry_after)),
            _ => {}
        }
    }
    assert_eq!(stored, ["m0", "m1"]);
    assert_eq!(
        refused,
        [(
            ErrorCode::RateLimited,
            Some(ErrorRef::ClientId("c2".into())),
            Some(1)
        )]
    );
    assert_eq!(app.message_count().await, 2);
}

#[sqlx::test(migrations = false)]
async fn a_client_close_is_answered_with_a_close_frame(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut alice = app.joined("alice", "general").await;
    alice
        .ws
        .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: 1000.into(),
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    let reply = alice.closed().await.expect("the server answers the close");
    assert_eq!(u16::from(reply.code), 1000);
}

#[sqlx::test(migrations = false)]
async fn a_reader_that_cannot_keep_up_is_closed_and_catches_up_with_since_id(pool: PgPool) {
    let app = crate::helpers::spawn_app_with(pool, |config| {
        config.outbound_queue = 16;
        config.messages_per_second = 100_000;
    })
    .await;
    let mut slow = app.ws().await;
    let joined = slow.join("slow", "general").await;
    let since = joined.messages.last().map_or(0, |m| m.id);
    let mut fast = app.joined("fast", "general").await;
    // Up to ~12 MB of frames: more than the kernel's socket buffers hold
    // for a peer that reads nothing, so the server's queue for it fills and
    // it is closed; the room hears `left`. The fast client reads as it goes
    // (its own queue is small too), and sends until it hears that.
    let big = "x".repeat(3990);
    let most = 3000;
    let mut sent = 0;
    let mut last_id = 0;
    let mut cut_off = false;
    while !cut_off {
        assert!(sent < most, "the slow reader was never cut off");
        let client_id = format!("f{sent}");
        fast.send(
            json!({"type": "message", "content": format!("{sent} {big}"), "client_id": client_id}),
        )
        .await;
        sent += 1;
        loop {
            match fast.recv().await {
                ServerMessage::Message(m)
                    if m.client_id.as_ref().map(|c| c.as_str()) == Some(&client_id) =>
                {
                    last_id = m.id;
                    break;
                }
                ServerMessage::Left(left) if left.username.as_str() == "slow" => cut_off = true,
                _ => {}
            }
        }
    }

    // Reading now (well within the server's wait for the close frame to be
    // taken) finds what the kernel buffered, then the close: 1013.
    let mut received = 0;
    let close = loop {
        let next = tokio::time::timeout(
            crate::helpers::DEADLINE,
            futures_util::StreamExt::next(&mut slow.ws),
        )
        .await
        .expect("the slow socket ends");
        match next {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_))) => received += 1,
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("the socket failed before its close frame: {error}"),
            None => panic!("the socket ended without a close frame"),
        }
    };
    let close = close.expect("the close frame carries a code");
    assert_eq!(u16::from(close.code), 1013, "{close:?}");
    assert!(
        received < sent,
        "the slow reader was cut off, not buffered without bound"
    );

    // It catches up by joining again with since_id: every message, once, in order.
    let mut back = app.ws().await;
    let mut ids = Vec::new();
    let mut after = since;
    loop {
        let page = back
            .join_with(json!({"type": "join", "username": "slow", "password": crate::helpers::PASSWORD, "since_id": after}))
            .await;
        ids.extend(page.messages.iter().map(|m| m.id));
        after = *ids.last().unwrap();
        if !page.has_more {
            break;
        }
    }
    assert_eq!(ids.len(), sent);
    assert_eq!(*ids.last().unwrap(), last_id);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}
