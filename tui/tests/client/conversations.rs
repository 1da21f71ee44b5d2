//! Direct messages, read markers and typing between real clients and a
//! real server: a DM reaches both of alice's clients, reading it on one
//! clears it on the other, a third client of hers starts with the same
//! counts, and bob's typing shows on alice's screen.

use std::time::Duration;

use sapa_tui::client::driver::Driver;

use super::*;

/// Runs the client with the clock ticking (read markers go out on ticks)
/// until `done` holds; fails at the deadline.
async fn run_ticking_until(driver: &mut Driver, what: &str, mut done: impl FnMut(&State) -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut clock = tokio::time::interval(Duration::from_millis(100));
    while !done(&driver.state) {
        let event = tokio::select! {
            _ = clock.tick() => Event::Tick {
                now: std::time::Instant::now(),
                wall: time::OffsetDateTime::now_utc(),
            },
            event = driver.next() => event,
            () = tokio::time::sleep_until(deadline) => panic!("timed out waiting for: {what}"),
        };
        driver.step(event).await;
    }
}

async fn type_line(driver: &mut Driver, text: &str) {
    for c in text.chars() {
        driver.step(Event::Key(Key::plain(KeyCode::Char(c)))).await;
    }
    driver.step(Event::Key(Key::plain(KeyCode::Enter))).await;
}

/// The DM view with bob, if the client lists it, and its unread count.
fn dm_unread(state: &State) -> Option<usize> {
    state
        .rooms
        .iter()
        .find(|r| r.name.as_str() == "dm:alice:bob")
        .map(|r| r.unread)
}

async fn online(server: &str, user: &str, dir: &ConfigDir) -> Driver {
    let mut driver = client(server, user, dir, Some(PASSWORD));
    driver.start().await;
    run_ticking_until(&mut driver, &format!("{user} online"), |s| {
        s.link.conn == Conn::Online && s.room().loaded()
    })
    .await;
    driver
}

#[sqlx::test(migrations = false)]
async fn a_dm_read_on_one_of_alices_clients_is_read_on_all_of_them(pool: PgPool) {
    let server = Server::any_port(&pool).await;
    let url = server.url();
    let (alice_dir, bob_dir) = (ConfigDir::new("dm-alice"), ConfigDir::new("dm-bob"));
    let mut first = online(&url, "alice", &alice_dir).await;
    let mut second = online(&url, "alice", &alice_dir).await;
    let mut bob = online(&url, "bob", &bob_dir).await;

    type_line(&mut bob, "/msg alice got a minute?").await;
    run_ticking_until(&mut bob, "bob's DM stored", |s| s.outbox.is_empty()).await;
    run_ticking_until(&mut first, "the DM on alice's first client", |s| {
        dm_unread(s) == Some(1)
    })
    .await;
    run_ticking_until(&mut second, "the DM on alice's second client", |s| {
        dm_unread(s) == Some(1)
    })
    .await;

    // The first opens it: read there, and the marker goes to the server.
    first.step(Event::Key(Key::ctrl(KeyCode::Char('n')))).await;
    run_ticking_until(&mut first, "the first client's marker sent", |s| {
        s.room().read.stored > 0 && s.room().unread == 0
    })
    .await;
    assert_eq!(shown(&first.state), vec!["bob: got a minute?"]);
    run_ticking_until(&mut second, "the second client hears of it", |s| {
        dm_unread(s) == Some(0)
    })
    .await;

    // A third client starts with the server's counts: the DM listed, read.
    let mut third = online(&url, "alice", &alice_dir).await;
    run_ticking_until(&mut third, "the third client lists the DM", |s| {
        dm_unread(s).is_some()
    })
    .await;
    assert_eq!(dm_unread(&third.state), Some(0));

    // Bob types in the DM: alice's first client, looking at it, says so.
    for c in "sec".chars() {
        bob.step(Event::Key(Key::plain(KeyCode::Char(c)))).await;
    }
    run_ticking_until(&mut first, "bob is typing", |s| {
        s.room().typers.line().as_deref() == Some("bob is typing…")
    })
    .await;

    for driver in [first, second, third, bob] {
        driver.shutdown().await;
    }
    server.stop().await;
}
