//! The client against a real server: `sapa send` and `sapa tail` (as
//! library calls and as the built binary), logging in and reusing the saved
//! token, and a client that loses its server and gets it back.
//!
//! Every test gets a fresh database from `#[sqlx::test]` (DATABASE_URL must
//! point at a PostgreSQL the tests may create databases in).

mod helpers;

use std::process::Stdio;

use helpers::*;
use sapa_protocol::Secret;
use sapa_tui::app::keys::{Key, KeyCode};
use sapa_tui::app::{Conn, Event, Screen};
use sapa_tui::client::rest::Rest;
use sapa_tui::client::url::{parse_server, server_key};
use sapa_tui::run::exit;
use sapa_tui::run::send::{self as cli_send, lines_to_send};
use sapa_tui::run::tail::{self as cli_tail, TailOptions};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

const SAPA: &str = env!("CARGO_BIN_EXE_sapa");

fn lines(text: &str) -> Vec<sapa_protocol::Content> {
    lines_to_send(&[], Some(text)).unwrap()
}

/// Starts the built `sapa tail --history N` as bob; returns the child and
/// its standard output, line by line.
fn spawn_tail(
    server: &str,
    dir: &ConfigDir,
    history: &str,
) -> (
    tokio::process::Child,
    tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(SAPA)
        .args([
            "--server",
            server,
            "--user",
            "bob",
            "tail",
            "--history",
            history,
        ])
        .env("SAPA_CONFIG_DIR", &dir.0)
        .env("SAPA_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// Runs the built `sapa --server SERVER --user USER ARGS...` with a private
/// config dir; returns (code, stderr).
async fn run_sapa(
    dir: &ConfigDir,
    password: Option<&str>,
    [server, user]: [&str; 2],
    args: &[&str],
    stdin: &str,
) -> (i32, String) {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(SAPA);
    cmd.args(["--server", server, "--user", user])
        .args(args)
        .env("SAPA_CONFIG_DIR", &dir.0)
        .env_remove("SAPA_PASSWORD")
        .env_remove("SAPA_SERVER")
        .env_remove("SAPA_USER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(p) = password {
        cmd.env("SAPA_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("sapa starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .expect("sapa ends within the deadline")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test(migrations = false)]
async fn send_stores_every_line_in_order_and_keeps_the_token(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("send");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    let ids = cli_send::send(&alice, lines("first\nsecond 日本語\n\nthird"))
        .await
        .expect("sent");
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let token = saved_token(&alice);
    let stored = server.messages("general", token.expose()).await;
    let texts: Vec<_> = stored.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, vec!["first", "second 日本語", "third"]);
    assert!(stored.iter().all(|m| m.username.as_str() == "alice"));

    // Next time the saved token is enough: no password needed.
    let again = target(&server.url(), "alice", &dir, None);
    cli_send::send(&again, lines("fourth"))
        .await
        .expect("sent with the token");
    assert_eq!(server.messages("general", token.expose()).await.len(), 4);
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn send_exits_with_one_clear_line_and_a_distinct_code(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let url = server.url();
    let dir = ConfigDir::new("codes");
    let send = async |password: Option<&str>, user: &str, stdin: &str, extra: &[&str]| {
        let args = [&["send"], extra].concat();
        run_sapa(&dir, password, [&url, user], &args, stdin).await
    };

    let (code, err) = send(
        Some(PASSWORD),
        "alice",
        "",
        &["hello", "from", "the", "binary"],
    )
    .await;
    assert_eq!((code, err.as_str()), (exit::OK, ""));

    let (code, err) = send(Some("not the password"), "alice2", "", &["x"]).await;
    assert_eq!(code, exit::OK, "a new name registers: {err}");
    let (code, err) = send(Some("wrong password"), "ALICE2", "", &["x"]).await;
    // The token saved for alice2 is reused (names are case-insensitive)...
    assert_eq!(code, exit::OK, "{err}");
    let (code, err) = send(Some("wrong password"), "carol", "", &["x"]).await;
    assert_eq!(code, exit::OK, "{err}");
    // ...but without a token, a wrong password is refused.
    let (code, err) = run_sapa(
        &ConfigDir::new("codes2"),
        Some("wrong password"),
        [&url, "alice"],
        &["send", "x"],
        "",
    )
    .await;
    assert_eq!(code, exit::AUTH);
    assert_eq!(err, "sapa: wrong password for alice\n");

    let (code, err) = send(None, "alice", &format!("ok\n{}\n", "y".repeat(4001)), &[]).await;
    assert_eq!(code, exit::REJECTED);
    assert!(
        err.starts_with("sapa: line 2: message content must be at most"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);

    let (code, err) = send(None, "alice", "\n\n", &[]).await;
    assert_eq!(code, exit::USAGE, "{err}");

    // A server that is not there.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", gone.local_addr().unwrap());
    drop(gone);
    let (code, err) = run_sapa(&dir, Some(PASSWORD), [&dead, "alice"], &["send", "x"], "").await;
    assert_eq!(code, exit::UNREACHABLE, "{err}");
    assert!(err.starts_with("sapa: cannot reach"), "{err}");
    assert_eq!(err.lines().count(), 1);

    let token = saved_token(&target(&server.url(), "alice", &dir, None));
    let texts = server.contents("general", token.expose()).await;
    // Standard input is sent line by line as it comes: the line before the
    // refused one went out.
    assert_eq!(texts, vec!["hello from the binary", "x", "x", "x", "ok"]);
    server.stop().await;
}

/// A tail line without its time: `name: text`.
fn strip(line: String) -> String {
    line.split_once(' ')
        .map(|(_, rest)| rest.to_owned())
        .unwrap()
}

async fn next_line(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) -> String {
    tokio::time::timeout(DEADLINE, lines.next_line())
        .await
        .expect("tail printed a line within the deadline")
        .unwrap()
        .expect("tail is still running")
}

#[sqlx::test(migrations = false)]
async fn tail_prints_recent_history_then_each_new_message_once(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("tail");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    cli_send::send(&alice, lines("one\ntwo\nthree"))
        .await
        .unwrap();

    let (mut child, mut rx) = spawn_tail(&server.url(), &dir, "2");
    assert_eq!(strip(next_line(&mut rx).await), "alice: two");
    assert_eq!(strip(next_line(&mut rx).await), "alice: three");

    cli_send::send(&alice, lines("four\nmulti\\nline"))
        .await
        .unwrap();
    cli_send::send(&alice, vec!["real\nbreak".parse().unwrap()])
        .await
        .unwrap();
    // A marker sent last: once it is printed, anything printed twice would
    // have shown up before it.
    cli_send::send(&alice, lines("end")).await.unwrap();
    assert_eq!(strip(next_line(&mut rx).await), "alice: four");
    assert_eq!(strip(next_line(&mut rx).await), "alice: multi\\\\nline");
    assert_eq!(strip(next_line(&mut rx).await), "alice: real\\nbreak");
    assert_eq!(strip(next_line(&mut rx).await), "alice: end");
    child.kill().await.unwrap();
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn send_under_a_low_rate_limit_still_stores_every_line_once_in_order(pool: PgPool) {
    let server = Server::start_with(&pool, "127.0.0.1:0".parse().unwrap(), |c| {
        c.messages_per_second = 10;
    })
    .await;
    let dir = ConfigDir::new("rate");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    let input: String = (1..=40).map(|i| format!("line {i}\n")).collect();
    cli_send::send(&alice, lines(&input))
        .await
        .expect("all sent");
    let token = saved_token(&alice);
    let texts = server.contents("general", token.expose()).await;
    let expected: Vec<_> = (1..=40).map(|i| format!("line {i}")).collect();
    assert_eq!(texts, expected);
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn send_sends_each_line_of_standard_input_as_it_is_written(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("stream");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    cli_send::send(&alice, lines("hello")).await.unwrap();
    // bob tails the room: a line shows up there once the server stored it.
    let (mut tail, mut shown) = spawn_tail(&server.url(), &dir, "1");
    assert_eq!(strip(next_line(&mut shown).await), "alice: hello");

    let mut child = tokio::process::Command::new(SAPA)
        .args(["--server", &server.url(), "--user", "alice", "send"])
        .env("SAPA_CONFIG_DIR", &dir.0)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(b"first, while the pipe stays open\n")
        .await
        .unwrap();
    assert_eq!(
        strip(next_line(&mut shown).await),
        "alice: first, while the pipe stays open"
    );
    input.write_all(b"\nsecond\n").await.unwrap();
    assert_eq!(strip(next_line(&mut shown).await), "alice: second");
    drop(input);
    let out = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tail.kill().await.unwrap();
    server.stop().await;
}

/// Collects output and signals once `want` lines are complete.
struct Lines {
    buf: Vec<u8>,
    want: usize,
    printed: std::sync::Arc<tokio::sync::Notify>,
}

impl std::io::Write for Lines {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.iter().filter(|b| **b == b'\n').count() >= self.want {
            self.printed.notify_one();
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    cli_send::send(&alice, lines(&input)).await.unwrap();
    let (mut child, mut rx) = spawn_tail(&server.url(), &dir, "3");
    let text = |l: String| l.split_once(": ").unwrap().1.to_owned();
    for want in ["m28", "m29", "m30"] {
        assert_eq!(text(next_line(&mut rx).await), want);
    }
    cli_send::send(&alice, lines("m31")).await.unwrap();
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
    cli_send::send(&alice, lines("hello")).await.unwrap();
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
    cli_tail::tail(
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
    cli_send::send(&alice, lines(&input)).await.unwrap();
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
    cli_tail::tail(
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
async fn logout_forgets_the_token_and_the_server_stops_accepting_it(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("logout");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    cli_send::send(&alice, lines("hi")).await.unwrap();
    let key = server_key(&alice.server);
    let token = saved_token(&alice);

    let (code, err) = run_sapa(&dir, None, [&server.url(), "alice"], &["--logout"], "").await;
    assert_eq!((code, err.as_str()), (exit::OK, ""));
    assert!(dir.store().load(&key, &alice.user).is_none(), "forgotten");
    let status = reqwest::Client::new()
        .get(format!("{}/messages?room=general", server.url()))
        .bearer_auth(token.expose())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401, "revoked on the server too");

    // Without a token or a password, sending now asks for one.
    let (code, err) = run_sapa(&dir, None, [&server.url(), "alice"], &["send", "x"], "").await;
    assert_eq!(code, exit::AUTH);
    assert!(err.contains("set SAPA_PASSWORD"), "{err}");
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn the_chat_screen_refuses_to_start_without_a_terminal(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("notty");
    let (code, err) = run_sapa(&dir, Some(PASSWORD), [&server.url(), "bob"], &[], "").await;
    assert_eq!(code, exit::USAGE);
    assert!(err.contains("needs a terminal"), "{err}");
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

#[sqlx::test(migrations = false)]
async fn a_client_that_loses_its_server_shows_what_was_sent_meanwhile_once_in_order(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    // A stopped server closes its pool: each server gets its own.
    let pool = async || {
        pool_options
            .clone()
            .connect_with(connect.clone())
            .await
            .unwrap()
    };
    let first = Server::any_port(&pool().await).await;
    let addr = first.addr;
    let url = first.url();
    let dir = ConfigDir::new("resume");
    let alice_dir = ConfigDir::new("resume-alice");

    let mut bob = client(&url, "bob", &dir, Some(PASSWORD));
    bob.start().await;
    run_until(&mut bob, "bob online", |s| {
        s.link.conn == Conn::Online && s.room().loaded()
    })
    .await;
    cli_send::send(
        &target(&url, "alice", &alice_dir, Some(PASSWORD)),
        lines("before"),
    )
    .await
    .unwrap();
    run_until(&mut bob, "bob sees 'before'", |s| shown(s).len() == 1).await;

    // The server goes away; bob notices and keeps retrying.
    first.stop().await;
    run_until(&mut bob, "bob offline", |s| {
        matches!(s.link.conn, Conn::Offline { .. })
    })
    .await;
    // Bob types while offline: it waits, marked pending.
    for c in "typed offline".chars() {
        bob.step(Event::Key(Key::plain(KeyCode::Char(c)))).await;
    }
    bob.step(Event::Key(Key::plain(KeyCode::Enter))).await;
    assert_eq!(bob.state.outbox.len(), 1);

    // Meanwhile, elsewhere, the same database takes messages bob misses.
    let elsewhere = Server::any_port(&pool().await).await;
    let alice = target(&elsewhere.url(), "alice", &alice_dir, Some(PASSWORD));
    cli_send::send(&alice, lines("missed 1\nmissed 2\nmissed 3"))
        .await
        .unwrap();
    elsewhere.stop().await;

    // The server comes back where bob expects it.
    let back = Server::start(&pool().await, addr).await;
    run_until(&mut bob, "bob resumed and his message stored", |s| {
        s.link.conn == Conn::Online && s.outbox.is_empty() && shown(s).len() == 5
    })
    .await;
    let alice = target(&back.url(), "alice", &alice_dir, None);
    cli_send::send(&alice, lines("after")).await.unwrap();
    run_until(&mut bob, "bob sees 'after'", |s| shown(s).len() == 6).await;
    assert_eq!(
        shown(&bob.state),
        vec![
            "alice: before",
            "alice: missed 1",
            "alice: missed 2",
            "alice: missed 3",
            "bob: typed offline",
            "alice: after",
        ]
    );
    // And the server stored bob's offline line exactly once.
    let token = saved_token(&target(&url, "bob", &dir, None));
    let stored = back.messages("general", token.expose()).await;
    assert_eq!(
        stored
            .iter()
            .filter(|m| m.content.as_str() == "typed offline")
            .count(),
        1
    );
    bob.shutdown().await;
    back.stop().await;
}

#[sqlx::test(migrations = false)]
async fn a_refused_saved_token_falls_back_to_the_password(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("stale");
    let key = server_key(&parse_server(&server.url()).unwrap());
    // Register bob, then leave a token the server never issued.
    Rest::new(parse_server(&server.url()).unwrap())
        .login(&name("bob"), &Secret::new(PASSWORD))
        .await
        .unwrap();
    dir.store()
        .save(&key, &name("bob"), &Secret::new("stale-token"))
        .unwrap();

    let mut bob = client(&server.url(), "bob", &dir, Some(PASSWORD));
    bob.start().await;
    run_until(&mut bob, "bob online with a new token", |s| {
        s.link.conn == Conn::Online && s.room().is_joined()
    })
    .await;
    let saved = dir.store().load(&key, &name("bob")).unwrap();
    assert_ne!(saved.expose(), "stale-token", "the new token replaced it");
    bob.shutdown().await;

    // Without a password the client asks for one on the login screen.
    dir.store()
        .save(&key, &name("bob"), &Secret::new("stale-token"))
        .unwrap();
    let mut bob = client(&server.url(), "bob", &dir, None);
    bob.start().await;
    run_until(&mut bob, "the login screen", |s| {
        matches!(s.screen, Screen::Login(_))
    })
    .await;
    let Screen::Login(form) = &bob.state.screen else {
        unreachable!()
    };
    assert!(form.error.as_deref().unwrap().contains("password"));
    bob.shutdown().await;
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn the_login_screen_registers_a_new_name_and_refuses_a_wrong_password(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("login");
    let mut carol = client(&server.url(), "carol", &dir, None);
    carol.start().await;
    assert!(matches!(carol.state.screen, Screen::Login(_)));
    let type_text = |text: &str| {
        text.chars()
            .map(|c| Event::Key(Key::plain(KeyCode::Char(c))))
            .collect::<Vec<_>>()
    };
    let enter = Event::Key(Key::plain(KeyCode::Enter));
    for ev in type_text("short") {
        carol.step(ev).await;
    }
    carol.step(enter.clone()).await;
    run_until(
        &mut carol,
        "a refusal",
        |s| matches!(&s.screen, Screen::Login(f) if f.error.is_some()),
    )
    .await;
    let Screen::Login(form) = &carol.state.screen else {
        unreachable!()
    };
    assert!(
        form.error.as_deref().unwrap().contains("password"),
        "{:?}",
        form.error
    );
    for ev in type_text(PASSWORD) {
        carol.step(ev).await;
    }
    carol.step(enter).await;
    run_until(&mut carol, "carol online and listed", |s| {
        s.link.conn == Conn::Online && !s.room().users.is_empty()
    })
    .await;
    assert_eq!(
        carol
            .state
            .room()
            .users
            .iter()
            .map(|u| u.as_str())
            .collect::<Vec<_>>(),
        vec!["carol"]
    );
    carol.shutdown().await;
    server.stop().await;
}

#[sqlx::test(migrations = false)]
async fn send_rides_out_a_server_restart_and_stores_each_line_once(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    // A stopped server closes its pool: each server gets its own.
    let pool = async || {
        pool_options
            .clone()
            .connect_with(connect.clone())
            .await
            .unwrap()
    };
    let first = Server::any_port(&pool().await).await;
    let addr = first.addr;
    let dir = ConfigDir::new("restart");
    let alice = target(&first.url(), "alice", &dir, Some(PASSWORD));

    // Lines come from a channel; `send` asks for the next line only once
    // the one before is stored, and each ask is reported.
    let (lines_tx, lines_rx) = tokio::sync::mpsc::unbounded_channel();
    let (asked_tx, mut asked) = tokio::sync::mpsc::unbounded_channel();
    let input = futures_util::stream::unfold(lines_rx, move |mut rx| {
        let asked = asked_tx.clone();
        async move {
            let _ = asked.send(());
            rx.recv().await.map(|line| (Ok(line), rx))
        }
    });
    let sending = {
        let alice = alice.clone();
        tokio::spawn(async move { cli_send::send_stream(&alice, Box::pin(input)).await })
    };
    let next_ask = async |asked: &mut tokio::sync::mpsc::UnboundedReceiver<()>| {
        tokio::time::timeout(DEADLINE, asked.recv())
            .await
            .expect("send asked for the next line within the deadline")
            .unwrap();
    };
    next_ask(&mut asked).await;
    lines_tx.send("before".parse().unwrap()).unwrap();
    next_ask(&mut asked).await; // "before" is stored

    first.stop().await;
    lines_tx.send("during".parse().unwrap()).unwrap();
    let back = Server::start(&pool().await, addr).await;
    next_ask(&mut asked).await; // "during" is stored
    lines_tx.send("after".parse().unwrap()).unwrap();
    drop(lines_tx);

    let ids = tokio::time::timeout(DEADLINE, sending)
        .await
        .expect("send ends within the deadline")
        .unwrap()
        .expect("every line sent");
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let token = saved_token(&alice);
    assert_eq!(
        back.contents("general", token.expose()).await,
        vec!["before", "during", "after"]
    );
    back.stop().await;
}

#[sqlx::test(migrations = false)]
async fn send_with_a_refused_saved_token_and_no_password_says_how_to_log_in_again(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("refused");
    let key = server_key(&parse_server(&server.url()).unwrap());
    dir.store()
        .save(&key, &name("alice"), &Secret::new("not-a-token"))
        .unwrap();
    let (code, err) = run_sapa(&dir, None, [&server.url(), "alice"], &["send", "x"], "").await;
    assert_eq!(code, exit::AUTH, "{err}");
    assert!(err.contains("did not accept the saved session"), "{err}");
    assert!(err.contains("set SAPA_PASSWORD"), "{err}");
    assert_eq!(err.lines().count(), 1);
    server.stop().await;
}
