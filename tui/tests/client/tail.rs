//! `sapa tail` against a real server: recent history, then each new
//! message once, in order, as text or JSON.

use super::*;

#[sqlx::test(migrations = false)]
async fn tail_prints_recent_history_then_each_new_message_once(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("tail");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    sapa_send::send(&alice, lines("one\ntwo\nthree"))
        .await
        .unwrap();

    let (mut child, mut rx) = spawn_tail(&server.url(), &dir, "2");
    assert_eq!(strip(next_line(&mut rx).await), "alice: two");
    assert_eq!(strip(next_line(&mut rx).await), "alice: three");

    sapa_send::send(&alice, lines("four\nmulti\\nline"))
        .await
        .unwrap();
    sapa_send::send(&alice, vec!["real\nbreak".parse().unwrap()])
        .await
        .unwrap();
    // A marker sent last: once it is printed, anything printed twice would
    // have shown up before it.
    sapa_send::send(&alice, lines("end")).await.unwrap();
    assert_eq!(strip(next_line(&mut rx).await), "alice: four");
    assert_eq!(strip(next_line(&mut rx).await), "alice: multi\\\\nline");
    assert_eq!(strip(next_line(&mut rx).await), "alice: real\\nbreak");
    assert_eq!(strip(next_line(&mut rx).await), "alice: end");
    child.kill().await.unwrap();
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn tail_never_prints_older_pages_that_arrive_after_it_started(pool: PgPool) {
    // A join brings only 5 messages: too few to fill a screen, so the
    // client pages back by itself while tail is already printing.
    let server = Server::start_with(&pool, "127.0.0.1:0".parse().unwrap(), |c| {
        c.history_size = 5;
    })
    .await;
    let dir = ConfigDir::new("floor");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    let input: String = (1..=30).map(|i| format!("m{i}\n")).collect();
    sapa_send::send(&alice, lines(&input)).await.unwrap();
    let (mut child, mut rx) = spawn_tail(&server.url(), &dir, "3");
    let text = |l: String| l.split_once(": ").unwrap().1.to_owned();
    for want in ["m28", "m29", "m30"] {
        assert_eq!(text(next_line(&mut rx).await), want);
    }
    sapa_send::send(&alice, lines("m31")).await.unwrap();
    assert_eq!(
        text(next_line(&mut rx).await),
        "m31",
        "nothing older in between"
    );
    child.kill().await.unwrap();
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn tail_json_prints_message_frames(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("json");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    sapa_send::send(&alice, lines("hello")).await.unwrap();
    let printed = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut out = Lines {
        buf: Vec::new(),
        want: 1,
        printed: printed.clone(),
    };
    let mut err = Vec::new();
    // Stop as soon as a line is out: the one message is all we want.
    let stop = async move { printed.notified().await };
    let bob = target(&server.url(), "bob", &dir, Some(PASSWORD));
    let options = TailOptions {
        history: 5,
        json: true,
        utc_offset: time::UtcOffset::UTC,
    };
    sapa_tail::tail(
        &bob,
        options,
        quick_net(&server.url()),
        &mut out,
        &mut err,
        stop,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out.buf).unwrap();
    let frame = sapa_protocol::ServerMessage::decode(text.trim()).expect("one JSON frame");
    let sapa_protocol::ServerMessage::Message(m) = frame else {
        panic!("{text}")
    };
    assert_eq!(
        (m.username.as_str(), m.content.as_str()),
        ("alice", "hello")
    );
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn tail_pages_back_for_more_history_than_a_join_brings(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("deep");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    let input: String = (1..=130).map(|i| format!("m{i}\n")).collect();
    sapa_send::send(&alice, lines(&input)).await.unwrap();
    let printed = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut out = Lines {
        buf: Vec::new(),
        want: 120,
        printed: printed.clone(),
    };
    let stop = async move { printed.notified().await };
    let options = TailOptions {
        history: 120,
        json: false,
        utc_offset: time::UtcOffset::UTC,
    };
    let bob = target(&server.url(), "bob", &dir, Some(PASSWORD));
    let mut err = Vec::new();
    sapa_tail::tail(
        &bob,
        options,
        quick_net(&server.url()),
        &mut out,
        &mut err,
        stop,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out.buf).unwrap();
    let got: Vec<&str> = text
        .lines()
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    let expected: Vec<String> = (11..=130).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected);
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn tail_without_any_credential_says_how_to_log_in(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("nocred");
    let (code, err) = run_sapa(&dir, None, [&server.url(), "bob"], &["tail"], "").await;
    assert_eq!(code, exit::AUTH);
    assert!(err.contains("set SAPA_PASSWORD"), "{err}");
    server.stop().await;
}
