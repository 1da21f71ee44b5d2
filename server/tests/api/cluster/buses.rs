//! The two buses the cluster tests run over: PostgreSQL LISTEN/NOTIFY on
//! the test's own database, or a real `nats-server` of the test's own (on
//! loopback ports it picks itself), stopped and started again to cut the
//! bus.

use std::{path::PathBuf, process::Stdio, time::Duration};

use serde_json::Value;
use sqlx::PgPool;
use tokio::{
    net::{TcpListener, TcpStream},
    process::{Child, Command},
    sync::watch,
    task::JoinHandle,
};

use crate::helpers::{DEADLINE, TestApp, spawn_app_with, until_healthy};

/// Which bus a test's nodes share.
pub enum Transport {
    Postgres,
    Nats(Box<NatsServer>),
}

/// Nodes on one database and one bus.
pub struct Cluster {
    pub pool: PgPool,
    pub transport: Transport,
}

impl Cluster {
    pub fn postgres(pool: PgPool) -> Self {
        Self {
            pool,
            transport: Transport::Postgres,
        }
    }

    /// Over a nats-server whose `max_payload` is `max_payload` bytes
    /// (its own default, 1 MiB, when `None`).
    pub async fn nats_with(pool: PgPool, max_payload: Option<usize>) -> Self {
        Self {
            pool,
            transport: Transport::Nats(Box::new(NatsServer::start(max_payload).await)),
        }
    }

    /// What a `sapa-server` process needs in its environment to join
    /// these nodes' bus.
    pub fn bus_env(&self) -> (&'static str, String) {
        match &self.transport {
            Transport::Postgres => ("SAPA_CLUSTER", "1".to_owned()),
            Transport::Nats(server) => ("SAPA_NATS_URL", server.url()),
        }
    }

    /// A node named `name` with the bus on.
    pub async fn node(&self, name: &str) -> TestApp {
        let nats = match &self.transport {
            Transport::Postgres => None,
            Transport::Nats(server) => Some(server.url()),
        };
        self.node_at(name, nats).await
    }

    /// A node named `name` whose NATS connection goes through `relay`.
    pub async fn node_through(&self, name: &str, relay: &Relay) -> TestApp {
        self.node_at(name, Some(format!("nats://{}", relay.addr)))
            .await
    }

    async fn node_at(&self, name: &str, nats: Option<String>) -> TestApp {
        let name = name.to_owned();
        spawn_app_with(self.pool.clone(), move |config| {
            config.node_id = Some(name);
            match nats {
                None => config.cluster = true,
                Some(url) => config.nats_url = vec![url.parse().unwrap()],
            }
        })
        .await
    }

    /// Two nodes, both listening.
    pub async fn two_nodes(&self) -> (TestApp, TestApp) {
        let a = self.node("a").await;
        let b = self.node("b").await;
        self.until_listening(2).await;
        (a, b)
    }

    /// The largest payload the bus carries inline.
    pub fn payload_limit(&self) -> usize {
        match &self.transport {
            Transport::Postgres => sapa_server::bus::postgres::PAYLOAD_MAX,
            Transport::Nats(server) => server.max_payload.unwrap_or(1024 * 1024),
        }
    }

    /// How many nodes' bus connections listen: PostgreSQL backends named
    /// `sapa-bus` in LISTEN, or NATS connections named `sapa-bus` with a
    /// subscription.
    pub async fn listening(&self) -> usize {
        match &self.transport {
            Transport::Postgres => {
                let count: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sapa-bus' \
                     AND datname = current_database() AND query ILIKE 'LISTEN%'",
                )
                .fetch_one(&self.pool)
                .await
                .unwrap();
                usize::try_from(count).unwrap()
            }
            Transport::Nats(server) => server.subscribed().await,
        }
    }

    /// Waits (with the deadline) until `count` bus connections listen.
    pub async fn until_listening(&self, count: usize) {
        tokio::time::timeout(DEADLINE, async {
            while self.listening().await != count {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the bus connections listen within the deadline");
    }

    /// Cuts every node off the bus: terminates the listening backends (the
    /// nodes reconnect at once), or stops nats-server (until [`Self::mend`]).
    pub async fn cut(&mut self) {
        match &mut self.transport {
            Transport::Postgres => {
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = 'sapa-bus' AND datname = current_database()",
                )
                .execute(&self.pool)
                .await
                .unwrap();
            }
            Transport::Nats(server) => server.stop().await,
        }
    }

    /// A relay in front of this cluster's nats-server.
    pub async fn relay(&self) -> Relay {
        match &self.transport {
            Transport::Postgres => panic!("only NATS goes through a relay"),
            Transport::Nats(server) => Relay::start(format!("127.0.0.1:{}", server.port)).await,
        }
    }

    /// Ends a cut: nats-server starts again on the same port.
    pub async fn mend(&mut self) {
        if let Transport::Nats(server) = &mut self.transport {
            server.restart().await;
        }
    }
}

/// A nats-server of one test's own, on loopback.
pub struct NatsServer {
    dir: PathBuf,
    port: u16,
    monitor: u16,
    max_payload: Option<usize>,
    child: Option<Child>,
    http: reqwest::Client,
}

impl NatsServer {
    /// Starts one on ports it picks itself, and waits until it is healthy.
    async fn start(max_payload: Option<usize>) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "nats-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = Self {
            dir,
            port: 0,
            monitor: 0,
            max_payload,
            child: None,
            http: reqwest::Client::new(),
        };
        let child = server.spawn(&["-p", "-1", "-m", "-1"]);
        let pid = child.id().expect("nats-server is running");
        server.child = Some(child);
        let ports = server.dir.join(format!("nats-server_{pid}.ports"));
        let ports: Value = tokio::time::timeout(DEADLINE, async {
            loop {
                if let Ok(text) = std::fs::read_to_string(&ports)
                    && let Ok(ports) = serde_json::from_str(&text)
                {
                    return ports;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("nats-server writes its ports within the deadline");
        let port_of = |key: &str| -> u16 {
            let url = ports[key][0].as_str().unwrap();
            url.rsplit(':').next().unwrap().parse().unwrap()
        };
        server.port = port_of("nats");
        server.monitor = port_of("monitoring");
        server.until_healthy().await;
        server
    }

    fn spawn(&self, ports: &[&str]) -> Child {
        let mut command = Command::new("nats-server");
        command
            .args(["-a", "127.0.0.1", "--ports_file_dir"])
            .arg(&self.dir)
            .args(ports)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(max_payload) = self.max_payload {
            let config = self.dir.join("nats.conf");
            std::fs::write(&config, format!("max_payload: {max_payload}\n")).unwrap();
            command.arg("-c").arg(config);
        }
        command
            .spawn()
            .expect("nats-server runs (Debian's package nats-server; scripts/test installs it)")
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    async fn until_healthy(&self) {
        let healthz = format!("http://127.0.0.1:{}/healthz", self.monitor);
        until_healthy(&self.http, &healthz, "nats-server").await;
    }

    /// Kills it and waits until it has gone.
    async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.unwrap();
        }
    }

    /// Starts it again on the same ports.
    async fn restart(&mut self) {
        let (port, monitor) = (self.port.to_string(), self.monitor.to_string());
        self.child = Some(self.spawn(&["-p", &port, "-m", &monitor]));
        self.until_healthy().await;
    }

    /// How many connections named `sapa-bus` hold a subscription.
    async fn subscribed(&self) -> usize {
        let connz = format!("http://127.0.0.1:{}/connz", self.monitor);
        let Ok(response) = self.http.get(&connz).send().await else {
            return 0;
        };
        let connz: Value = response.json().await.unwrap();
        connz["connections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["name"] == "sapa-bus" && c["subscriptions"].as_u64() > Some(0))
            .count()
    }
}

/// A TCP relay on loopback between one node and nats-server, cut on
/// demand: that node alone loses the bus.
pub struct Relay {
    addr: std::net::SocketAddr,
    cut: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Relay {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, watching) = watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                // While cut, a connection is closed as soon as it opens.
                if *watching.borrow() {
                    continue;
                }
                let mut watching = watching.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watching.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { addr, cut, task }
    }

    /// Closes every connection through it, and refuses new ones until
    /// [`Self::mend`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn mend(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
