//! The client's session against a real server: logging in (saved token,
//! password, login screen), logging out, and a client that loses its server
//! and gets it back.

use super::*;

#[sqlx::test(migrations = false)]
async fn logout_forgets_the_token_and_the_server_stops_accepting_it(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let dir = ConfigDir::new("logout");
    let alice = target(&server.url(), "alice", &dir, Some(PASSWORD));
    sapa_send::send(&alice, lines("hi")).await.unwrap();
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
async fn a_client_that_loses_its_server_shows_what_was_sent_meanwhile_once_in_order(
    pool_options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let first = Server::any_port(&own_pool(&pool_options, &connect).await).await;
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
    sapa_send::send(
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
    let elsewhere = Server::any_port(&own_pool(&pool_options, &connect).await).await;
    let alice = target(&elsewhere.url(), "alice", &alice_dir, Some(PASSWORD));
    sapa_send::send(&alice, lines("missed 1\nmissed 2\nmissed 3"))
        .await
        .unwrap();
    elsewhere.stop().await;

    // The server comes back where bob expects it.
    let back = Server::start(&own_pool(&pool_options, &connect).await, addr).await;
    run_until(&mut bob, "bob resumed and his message stored", |s| {
        s.link.conn == Conn::Online && s.outbox.is_empty() && shown(s).len() == 5
    })
    .await;
    let alice = target(&back.url(), "alice", &alice_dir, None);
    sapa_send::send(&alice, lines("after")).await.unwrap();
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
    Rest::new(parse_server(&server.url()).unwrap(), &Default::default())
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
