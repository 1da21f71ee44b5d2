//! `sapa send` against a real server: every line stored once, in order,
//! through rate limits and a server restart; one clear line and a distinct
//! exit code when it cannot be done.

use super::*;

#[sqlx::test(migrations = false)]
async fn send_stores_every_line_in_order_and_keeps_the_token(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("send");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    let ids = sapa_send::send(&alice, lines("first\nsecond 日本語\n\nthird"))
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
    sapa_send::send(&again, lines("fourth"))
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

#[sqlx::test(migrations = false)]
async fn send_under_a_low_rate_limit_still_stores_every_line_once_in_order(pool: PgPool) {
    let server = Server::start_with(&pool, "127.0.0.1:0".parse().unwrap(), |c| {
        c.messages_per_second = 10;
    })
    .await;
    let dir = ConfigDir::new("rate");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    let input: String = (1..=40).map(|i| format!("line {i}\n")).collect();
    sapa_send::send(&alice, lines(&input))
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
    sapa_send::send(&alice, lines("hello")).await.unwrap();
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

#[sqlx::test(migrations = false)]
async fn send_rides_out_a_server_restart_and_stores_each_line_once(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let first = Server::any_port(&own_pool(&pool_options, &connect).await).await;
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
        tokio::spawn(async move { sapa_send::send_stream(&alice, Box::pin(input)).await })
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
    let back = Server::start(&own_pool(&pool_options, &connect).await, addr).await;
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
