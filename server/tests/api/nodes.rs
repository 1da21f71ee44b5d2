//! Presence across nodes (DESIGN.md section 6): joined/left, the presence
//! list, GET /users/active and GET /rooms count every node; a node that
//! dies or shuts down takes its users away within 15 s, except those who
//! reconnected elsewhere, who neither leave nor join again.
//!
//! Nodes that must die (`kill -9`) or be stopped with SIGTERM are real
//! `sapa-server` processes on the test's database; the others are in this
//! process, as in `cluster/`. Every test runs over both buses.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, ChildStdout, Command, Stdio},
    time::{Duration, Instant},
};

use sapa_protocol::{ServerMessage, Username};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    cluster::{Kind, buses::Cluster},
    helpers::{Client, DEADLINE, PASSWORD, TestApp, connect, until_healthy},
};

/// How long after a node's death its users may still be listed.
const DEATH_NOTICED: Duration = Duration::from_secs(15);

/// A `sapa-server` process in the cluster, killed when dropped.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    /// Starts node `name` on the test's database and `cluster`'s bus, and
    /// waits until it serves.
    async fn start(cluster: &Cluster, name: &str) -> Self {
        let options = cluster.pool.connect_options();
        let url = format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options
                .get_database()
                .expect("the test database has a name"),
        );
        let bus = cluster.bus_env();
        // Port 0: the node binds a free port itself and logs it.
        let mut child = Command::new(env!("CARGO_BIN_EXE_sapa-server"))
            .env_clear()
            .env("DATABASE_URL", url)
            .env("SAPA_BIND", "127.0.0.1:0")
            .env("SAPA_NODE_ID", name)
            .env(bus.0, bus.1)
            .env("SAPA_LIMITS", "off")
            .env("RUST_LOG", "warn,sapa_server::app=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("sapa-server starts");
        let addr = listening_address(child.stdout.take().expect("stdout is piped")).await;
        let process = Self { child, addr };
        let healthz = format!("http://{addr}/healthz");
        until_healthy(&reqwest::Client::new(), &healthz, "the node").await;
        process
    }

    async fn joined(&self, name: &str, room: &str) -> Client {
        let mut client = connect(self.addr, "/ws").await;
        client.join(name, room).await;
        client
    }

    /// `kill -9`: no goodbye to anyone.
    fn kill(&mut self) {
        self.child.kill().expect("the node is killed");
        self.child.wait().expect("the node is reaped");
    }

    /// SIGTERM: the node shuts down in order.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

/// The address in the node's "listening" line. The log is read to its end
/// on a thread of its own, so the node never blocks on a full pipe.
async fn listening_address(log: ChildStdout) -> SocketAddr {
    let (found, address) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(log).lines().map_while(Result::ok) {
            let addr = line
                .split_once("sapa-server listening")
                .and_then(|(_, rest)| rest.split_once("addr="))
                .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok());
            if let Some(addr) = addr
                && let Some(found) = found.take()
            {
                let _ = found.send(addr);
            }
        }
    });
    tokio::time::timeout(DEADLINE, address)
        .await
        .expect("the node logs its address within the deadline")
        .expect("the node logs its address before it ends")
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (with the deadline) until GET /users/active on `app` lists
/// exactly `names` in general.
async fn until_active(app: &TestApp, token: &str, names: &[&str]) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let listed = app.active(token, Some("general")).await;
        if listed == names {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "GET /users/active lists {listed:?}, not {names:?}, after the deadline"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every frame `client` receives until its own message `marker` comes
/// back (sent now): what it heard before it.
async fn heard_before(client: &mut Client, marker: &str) -> Vec<ServerMessage> {
    client
        .send(json!({"type": "message", "content": marker}))
        .await;
    let mut heard = Vec::new();
    loop {
        match client.recv().await {
            ServerMessage::Message(view) if view.content.as_str() == marker => return heard,
            frame => heard.push(frame),
        }
    }
}

/// Every frame `client` receives up to and with `username`'s `left`.
async fn heard_until_left(client: &mut Client, username: &str) -> Vec<ServerMessage> {
    let mut heard = Vec::new();
    loop {
        let frame = client.recv().await;
        let done =
            matches!(&frame, ServerMessage::Left(change) if change.username.as_str() == username);
        heard.push(frame);
        if done {
            return heard;
        }
    }
}

/// The `joined` and `left` frames among `frames`, as "joined bob".
fn comings_and_goings(frames: &[ServerMessage]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|frame| match frame {
            ServerMessage::Joined(change) => Some(format!("joined {}", change.username)),
            ServerMessage::Left(change) => Some(format!("left {}", change.username)),
            _ => None,
        })
        .collect()
}

over_both_buses!(
    cluster_presence_the_list_users_active_and_rooms_count_both_nodes,
    cluster_presence_a_user_with_sockets_on_two_nodes_shows_once_and_leaves_once,
    cluster_presence_a_killed_nodes_users_leave_within_15_s_and_those_who_moved_do_not_flap,
    cluster_presence_sigterm_closes_with_1001_and_only_those_who_stay_away_leave,
);

/// The names in a `presence` frame.
fn names(users: &[Username]) -> Vec<&str> {
    users.iter().map(Username::as_str).collect()
}

async fn cluster_presence_the_list_users_active_and_rooms_count_both_nodes(
    kind: Kind,
    pool: PgPool,
) {
    let cluster = kind.cluster(pool).await;
    let (a, b) = cluster.two_nodes().await;
    let token = a.register("reader").await;
    let mut bob = b.joined("bob", "general").await;
    until_active(&a, &token, &["bob"]).await;

    let mut alice = a.ws().await;
    alice
        .send(json!({"type": "join", "username": "alice", "password": PASSWORD, "room": "general"}))
        .await;
    let presence = alice
        .recv_until(|f| matches!(f, ServerMessage::Presence(_)))
        .await;
    let ServerMessage::Presence(presence) = presence else {
        unreachable!()
    };
    assert_eq!(
        names(&presence.users),
        ["alice", "bob"],
        "alice's list on a"
    );
    let joined = bob
        .recv_until(|f| matches!(f, ServerMessage::Joined(_)))
        .await;
    assert!(matches!(joined, ServerMessage::Joined(c) if c.username.as_str() == "alice"));

    until_active(&b, &token, &["alice", "bob"]).await;
    assert_eq!(a.active(&token, None).await, ["alice", "bob"]);
    for app in [&a, &b] {
        let rooms: Value = app.get("/rooms", &token).await.json().await.unwrap();
        let general = rooms
            .as_array()
            .unwrap()
            .iter()
            .find(|room| room["name"] == "general")
            .expect("general is listed");
        assert_eq!(
            general["online"], 2,
            "GET /rooms counts users on both nodes"
        );
    }
}

async fn cluster_presence_a_user_with_sockets_on_two_nodes_shows_once_and_leaves_once(
    kind: Kind,
    pool: PgPool,
) {
    let cluster = kind.cluster(pool).await;
    let (a, b) = cluster.two_nodes().await;
    let token = a.register("reader").await;
    let mut watcher = a.joined("watcher", "general").await;
    let mut on_b = b.joined("carol", "general").await;
    let mut dan = b.joined("dan", "general").await;
    until_active(&a, &token, &["carol", "dan", "watcher"]).await;
    let mut on_a = a.joined("carol", "general").await;
    on_b.ws.close(None).await.unwrap();
    on_b.closed().await;
    // b tells of its presence changes in order: once dan's leaving has
    // reached a, so has the closing of carol's socket on b. Her socket on
    // a keeps her here.
    dan.ws.close(None).await.unwrap();
    dan.closed().await;
    let heard = heard_until_left(&mut watcher, "dan").await;
    assert_eq!(
        comings_and_goings(&heard),
        ["joined carol", "joined dan", "left dan"]
    );
    until_active(&b, &token, &["carol", "watcher"]).await;

    on_a.ws.close(None).await.unwrap();
    on_a.closed().await;
    let left = watcher.next_left().await;
    assert_eq!(left.username.as_str(), "carol");
    let heard = heard_before(&mut watcher, "gone?").await;
    assert_eq!(comings_and_goings(&heard), Vec::<String>::new());
    until_active(&b, &token, &["watcher"]).await;
}

async fn cluster_presence_a_killed_nodes_users_leave_within_15_s_and_those_who_moved_do_not_flap(
    kind: Kind,
    pool: PgPool,
) {
    let cluster = kind.cluster(pool).await;
    let a = cluster.node("a").await;
    let mut b = Process::start(&cluster, "b").await;
    cluster.until_listening(2).await;
    let token = a.register("reader").await;
    let mut watcher = a.joined("watcher", "general").await;
    let _dave = b.joined("dave", "general").await;
    let erin = b.joined("erin", "general").await;
    let _frank_on_b = b.joined("frank", "general").await;
    let _frank_on_a = a.joined("frank", "general").await;
    until_active(&a, &token, &["dave", "erin", "frank", "watcher"]).await;
    let before = heard_before(&mut watcher, "before").await;
    assert_eq!(
        comings_and_goings(&before),
        ["joined dave", "joined erin", "joined frank"]
    );

    b.kill();
    let died = Instant::now();
    drop(erin);
    // erin reconnects to the surviving node before b is noticed dead.
    let _erin = a.joined("erin", "general").await;
    // (Fails unless dave is seen to leave within 15 s of b's death.)
    let left = watcher.next_left_within(DEATH_NOTICED).await;
    assert_eq!(left.username.as_str(), "dave");
    let noticed = died.elapsed();
    eprintln!("dave was seen to leave {noticed:?} after b died");
    assert!(
        noticed <= DEATH_NOTICED,
        "b's death noticed after {noticed:?}"
    );
    let after = heard_before(&mut watcher, "after").await;
    assert_eq!(
        comings_and_goings(&after),
        Vec::<String>::new(),
        "erin (moved) and frank (also on a) neither leave nor join again"
    );
    assert_eq!(
        a.active(&token, Some("general")).await,
        ["erin", "frank", "watcher"]
    );
}

async fn cluster_presence_sigterm_closes_with_1001_and_only_those_who_stay_away_leave(
    kind: Kind,
    pool: PgPool,
) {
    let cluster = kind.cluster(pool).await;
    let a = cluster.node("a").await;
    let b = Process::start(&cluster, "b").await;
    cluster.until_listening(2).await;
    let token = a.register("reader").await;
    let mut watcher = a.joined("watcher", "general").await;
    let mut dave = b.joined("dave", "general").await;
    let mut erin = b.joined("erin", "general").await;
    until_active(&a, &token, &["dave", "erin", "watcher"]).await;

    b.terminate();
    for client in [&mut dave, &mut erin] {
        let close = client.closed().await.expect("a close frame");
        assert_eq!(u16::from(close.code), 1001, "going away");
    }
    let _erin = a.joined("erin", "general").await;
    let left = watcher.next_left_within(DEATH_NOTICED).await;
    assert_eq!(left.username.as_str(), "dave");
    let heard = heard_before(&mut watcher, "after").await;
    assert_eq!(
        comings_and_goings(&heard),
        Vec::<String>::new(),
        "erin moved to a: neither left nor joined again"
    );
}
