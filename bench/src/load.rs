//! The `run` scenario: join every client, optionally hold them idle, then let
//! the senders send on their open-loop schedules and measure every delivery.
//!
//! Each client is one task that reads its socket for the whole run (so the
//! server never sees a slow reader) plus one writer task that owns the
//! socket's sending half: it sends the client's messages, if it is a sender,
//! and the close frame at the end. Counters live in one shared [`Stats`].
//!
//! Senders run on a thread of their own ([`SenderThread`]), on the same CPU
//! as the rest of the tool: when a send falls due, the kernel switches to
//! that thread at once, where on the one shared runtime it would wait in
//! line behind a thousand receivers handling the previous broadcast. Late
//! sends still count from their planned time, so the send lag that remains
//! is reported and included in every latency.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, Stream, StreamExt};
use sapa_protocol::RoomName;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::sleep_until;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cli::RunArgs;
use crate::conn::{Endpoint, Ws, describe_close};
use crate::frames::{Incoming, Marker, classify, join_frame, message_frame};
use crate::host;
use crate::schedule::{Schedule, Window};
use crate::stats::{Percentiles, Stats, ratio, round2};
use crate::usage::{CpuShare, Snapshot, Watch};
use crate::users;

/// The results of one `run`, printed as one JSON line.
#[derive(Debug, Serialize)]
pub struct Report {
    pub label: String,
    pub clients: usize,
    pub rooms: usize,
    pub senders: usize,
    pub rate_per_sender: f64,
    pub size: usize,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub auth: String,
    /// Seconds spent registering users before the run (not measured).
    pub register_s: Option<f64>,
    pub joined: usize,
    pub join_failures: BTreeMap<String, usize>,
    /// Seconds from the first connect to the last accepted join.
    pub connect_join_s: f64,
    pub joins_per_s: f64,
    pub expected: u64,
    pub received: u64,
    pub delivery_ratio: f64,
    pub deliveries_per_s: f64,
    pub sent: u64,
    pub stored: u64,
    pub stored_per_s: f64,
    pub latency_ms: Percentiles,
    pub send_lag_ms: Percentiles,
    pub server_rss_kib_before: Option<u64>,
    pub server_rss_kib_joined: Option<u64>,
    pub server_rss_kib_after_hold: Option<u64>,
    pub server_rss_kib_per_conn: Option<f64>,
    /// CPU use while clients connected and joined.
    pub join_cpu: CpuShare,
    /// CPU use during the measured window.
    pub cpu: CpuShare,
    pub errors: BTreeMap<String, u64>,
    pub closed_by_server: BTreeMap<String, u64>,
    /// Text frames received after joining, presence notices included.
    pub frames_received: u64,
    /// With `--settle`: seconds from the first connect until the last frame
    /// of the join storm arrived.
    pub settled_s: Option<f64>,
    /// With `--settle`: frames were still arriving when it gave up.
    pub settle_timed_out: bool,
}

/// What every client task shares.
struct Shared {
    run_id: u32,
    origin: Instant,
    stats: Stats,
    /// Set once, before anyone sends.
    window: OnceLock<Window>,
    cancel: CancellationToken,
    senders_done: AtomicUsize,
}

impl Shared {
    fn now_us(&self) -> u64 {
        self.origin.elapsed().as_micros() as u64
    }

    fn micros_at(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_micros() as u64
    }
}

/// When sending starts and how big each room turned out to be.
struct Plan {
    start: Instant,
    send_for: Duration,
    room_members: Vec<u64>,
}

/// A thread running its own single-threaded runtime, for the senders.
struct SenderThread {
    handle: tokio::runtime::Handle,
    /// Dropping it ends the thread's runtime.
    stop: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl SenderThread {
    fn start() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("senders".into())
            .spawn(move || {
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Self {
            handle,
            stop,
            thread,
        })
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Ends the thread once its tasks are done.
    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// A client's role in the run.
#[derive(Clone, Copy)]
struct Role {
    index: usize,
    room: usize,
    /// `Some(k)` for the k-th sender.
    sender: Option<usize>,
}

/// Runs the scenario and returns its report.
pub async fn run(args: RunArgs) -> Result<Report> {
    let common = &args.common;
    host::raise_file_limit();
    let endpoint = Arc::new(Endpoint::new(
        &common.url,
        common.read_buffer,
        common.tutorial,
    )?);
    let rooms = common.rooms.max(1);
    let room_names: Vec<Option<RoomName>> = (0..rooms)
        .map(|r| {
            (!common.tutorial)
                .then(|| RoomName::parse(format!("{}-{r}", common.room_prefix)))
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    let room_names = Arc::new(room_names);
    let (identities, register_s) =
        users::identities(common, &endpoint.http_base(), common.clients).await?;

    let shared = Arc::new(Shared {
        run_id: run_id(),
        origin: Instant::now(),
        stats: Stats::default(),
        window: OnceLock::new(),
        cancel: CancellationToken::new(),
        senders_done: AtomicUsize::new(0),
    });
    let watch = Watch {
        server_pid: common.server_pid,
        db_pid: common.db_pid,
        cpus: common.watch_cpu.clone(),
    };
    let rss_before = common.server_pid.and_then(host::rss_kib);
    let senders = args.senders.min(common.clients);

    // Join everyone, a bounded number at a time.
    let sender_thread = SenderThread::start()?;
    let tracker = TaskTracker::new();
    let gate = Arc::new(Semaphore::new(common.connect_concurrency.max(1)));
    let (joined_tx, mut joined_rx) = mpsc::unbounded_channel::<(usize, Result<(), String>)>();
    let (plan_tx, plan_rx) = watch::channel::<Option<Arc<Plan>>>(None);
    let join_started = Instant::now();
    let join_snapshot = Snapshot::take(&watch);
    for (index, identity) in identities.into_iter().enumerate() {
        let role = Role {
            index,
            room: index % rooms,
            sender: (index < senders).then_some(index),
        };
        let frame = join_frame(&identity, room_names[role.room].as_ref(), None);
        let (endpoint, shared, gate, joined_tx, plan_rx, room_names) = (
            endpoint.clone(),
            shared.clone(),
            gate.clone(),
            joined_tx.clone(),
            plan_rx.clone(),
            room_names.clone(),
        );
        let task_tracker = tracker.clone();
        let client = async move {
            let permit = gate.acquire().await.expect("the gate is never closed");
            let joined = tokio::select! {
                joined = endpoint.open_and_join(frame) => joined,
                () = shared.cancel.cancelled() => return,
            };
            drop(permit);
            let ws = match joined {
                Ok(ws) => ws,
                Err(error) => {
                    let _ = joined_tx.send((role.room, Err(format!("{error:#}"))));
                    return;
                }
            };
            let _ = joined_tx.send((role.room, Ok(())));
            if role.sender.is_none() {
                // Listeners keep the socket whole: no split lock to take
                // for every frame (most clients of a fan-out only listen).
                let mut ws = ws;
                read_side(&mut ws, role, &shared).await;
                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                return;
            }
            let (sink, mut stream) = ws.split();
            let settings = SendSettings {
                rate: args.rate,
                senders,
                size: args.size,
                room: room_names[role.room].clone(),
            };
            task_tracker.spawn(write_side(sink, role, settings, shared.clone(), plan_rx));
            read_side(&mut stream, role, &shared).await;
        };
        // A client's socket belongs to the runtime its task runs on.
        match role.sender {
            Some(_) => tracker.spawn_on(client, sender_thread.handle()),
            None => tracker.spawn(client),
        };
    }
    drop(joined_tx);

    let mut room_members = vec![0u64; rooms];
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    let mut answered = 0;
    let mut last_join = join_started;
    let join_deadline = tokio::time::Instant::now() + Duration::from_secs_f64(common.join_timeout);
    while answered < common.clients {
        let next = tokio::time::timeout_at(join_deadline, joined_rx.recv()).await;
        match next {
            Ok(Some((room, outcome))) => {
                answered += 1;
                match outcome {
                    Ok(()) => {
                        room_members[room] += 1;
                        last_join = Instant::now();
                    }
                    Err(reason) => *failures.entry(shorten(&reason)).or_default() += 1,
                }
            }
            Ok(None) => break,
            Err(_) => {
                *failures.entry("join timeout".into()).or_default() += common.clients - answered;
                break;
            }
        }
    }
    let joined: usize = room_members.iter().sum::<u64>() as usize;
    let connect_join_s = last_join.duration_since(join_started).as_secs_f64();
    let join_cpu = Snapshot::take(&watch).since(&join_snapshot);
    eprintln!(
        "sapa-load: {joined} of {} joined in {connect_join_s:.2} s",
        common.clients
    );
    let rss_joined = common.server_pid.and_then(host::rss_kib);
    let (settled_s, settle_timed_out) = if args.settle > 0.0 {
        let (last_us, timed_out) = settle(&shared, Duration::from_secs_f64(args.settle)).await;
        // Settled no earlier than the last join.
        let last_us = last_us.max(shared.micros_at(last_join));
        let started_us = shared.micros_at(join_started);
        (
            Some(round2(last_us.saturating_sub(started_us) as f64 / 1e6)),
            timed_out,
        )
    } else {
        (None, false)
    };
    let mut rss_after_hold = None;
    if args.hold > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(args.hold)).await;
        rss_after_hold = common.server_pid.and_then(host::rss_kib);
    }

    // Send, measure, drain.
    let mut window = Window {
        start_us: 0,
        end_us: 0,
    };
    let mut cpu = CpuShare::default();
    if senders > 0 && args.duration > 0.0 {
        let start = Instant::now() + Duration::from_millis(100);
        let warmup = Duration::from_secs_f64(args.warmup);
        let measured = Duration::from_secs_f64(args.duration);
        window = Window {
            start_us: shared.micros_at(start + warmup),
            end_us: shared.micros_at(start + warmup + measured),
        };
        shared.window.set(window).expect("the window is set once");
        let _ = plan_tx.send(Some(Arc::new(Plan {
            start,
            send_for: warmup + measured,
            room_members,
        })));
        sleep_until((start + warmup).into()).await;
        let before = Snapshot::take(&watch);
        sleep_until((start + warmup + measured).into()).await;
        cpu = Snapshot::take(&watch).since(&before);
        let drain_deadline = Instant::now() + Duration::from_secs_f64(args.drain);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        loop {
            tick.tick().await;
            let all_sent = shared.senders_done.load(Ordering::Relaxed) >= senders;
            let stats = &shared.stats;
            let complete = Stats::get(&stats.received) >= Stats::get(&stats.expected);
            if (all_sent && complete) || Instant::now() >= drain_deadline {
                break;
            }
        }
    }
    shared.cancel.cancel();
    tracker.close();
    if tokio::time::timeout(Duration::from_secs(10), tracker.wait())
        .await
        .is_err()
    {
        eprintln!("sapa-load: some connections did not close within 10 s");
    }
    sender_thread.stop();

    let stats = &shared.stats;
    let seconds = window.seconds();
    let per_second = |n: u64| {
        if seconds > 0.0 {
            round2(n as f64 / seconds)
        } else {
            0.0
        }
    };
    let expected = Stats::get(&stats.expected);
    let received = Stats::get(&stats.received);
    let stored = Stats::get(&stats.stored);
    let per_conn = match (rss_before, rss_after_hold.or(rss_joined)) {
        (Some(before), Some(after)) if joined > 0 => {
            Some(round2(after.saturating_sub(before) as f64 / joined as f64))
        }
        _ => None,
    };
    Ok(Report {
        label: common.label.clone(),
        clients: common.clients,
        rooms,
        senders,
        rate_per_sender: args.rate,
        size: args.size,
        warmup_s: args.warmup,
        duration_s: args.duration,
        auth: auth_label(common),
        register_s: register_s.map(round2),
        joined,
        join_failures: failures,
        connect_join_s: round2(connect_join_s),
        joins_per_s: if connect_join_s > 0.0 {
            round2(joined as f64 / connect_join_s)
        } else {
            0.0
        },
        expected,
        received,
        delivery_ratio: (ratio(received, expected) * 1e6).round() / 1e6,
        deliveries_per_s: per_second(received),
        sent: Stats::get(&stats.sent),
        stored,
        stored_per_s: per_second(stored),
        latency_ms: Percentiles::of(&stats.latency.lock().expect("stats lock")),
        send_lag_ms: Percentiles::of(&stats.send_lag.lock().expect("stats lock")),
        server_rss_kib_before: rss_before,
        server_rss_kib_joined: rss_joined,
        server_rss_kib_after_hold: rss_after_hold,
        server_rss_kib_per_conn: per_conn,
        join_cpu,
        cpu,
        errors: stats.errors.lock().expect("stats lock").clone(),
        closed_by_server: stats.closed_by_server.lock().expect("stats lock").clone(),
        frames_received: Stats::get(&stats.frames),
        settled_s,
        settle_timed_out,
    })
}

/// Waits until no frame has arrived for a second, or `most` has passed;
/// returns when the last frame arrived (microseconds since the run began)
/// and whether it gave up.
async fn settle(shared: &Shared, most: Duration) -> (u64, bool) {
    const QUIET_US: u64 = 1_000_000;
    let deadline = Instant::now() + most;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let last = Stats::get(&shared.stats.last_frame_us);
        if shared.now_us().saturating_sub(last) >= QUIET_US {
            return (last, false);
        }
        if Instant::now() >= deadline {
            return (last, true);
        }
    }
}

/// A number that tells this run's messages from earlier runs' (which come
/// back in join history).
pub fn run_id() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    (nanos as u32) ^ std::process::id().rotate_left(16)
}

/// "token", "password" or "tutorial", for the report.
pub fn auth_label(common: &crate::cli::Common) -> String {
    if common.tutorial {
        "tutorial".into()
    } else {
        format!("{:?}", common.auth).to_lowercase()
    }
}

/// The first line of an error, short enough to be a map key in the report.
pub fn shorten(reason: &str) -> String {
    let line = reason.lines().next().unwrap_or(reason);
    line.chars().take(120).collect()
}

/// What a sender needs besides its role.
struct SendSettings {
    rate: f64,
    senders: usize,
    size: usize,
    room: Option<RoomName>,
}

/// A sender's sending half: its messages, then, when the run ends, a close
/// frame.
async fn write_side(
    mut sink: SplitSink<Ws, Message>,
    role: Role,
    settings: SendSettings,
    shared: Arc<Shared>,
    mut plan_rx: watch::Receiver<Option<Arc<Plan>>>,
) {
    if let Some(sender) = role.sender {
        let plan = tokio::select! {
            plan = plan_rx.wait_for(Option::is_some) => plan.ok().and_then(|p| p.clone()),
            () = shared.cancel.cancelled() => None,
        };
        if let Some(plan) = plan {
            send_schedule(&mut sink, role, sender, &settings, &shared, &plan).await;
        }
        shared.senders_done.fetch_add(1, Ordering::Relaxed);
    }
    shared.cancel.cancelled().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
}

async fn send_schedule(
    sink: &mut SplitSink<Ws, Message>,
    role: Role,
    sender: usize,
    settings: &SendSettings,
    shared: &Shared,
    plan: &Plan,
) {
    let schedule = Schedule::new(sender, settings.senders, settings.rate, plan.send_for);
    let window = *shared
        .window
        .get()
        .expect("the window is set before the plan");
    let members = plan.room_members[role.room];
    let stats = &shared.stats;
    let cancelled = shared.cancel.cancelled();
    tokio::pin!(cancelled);
    for k in 0u64.. {
        let Some(offset) = schedule.planned(k) else {
            break;
        };
        let due = plan.start + offset;
        tokio::select! {
            () = sleep_until(due.into()) => {}
            () = &mut cancelled => return,
        }
        let marker = Marker {
            run: shared.run_id,
            sender: role.index as u32,
            seq: k as u32,
            planned_us: shared.micros_at(due),
        };
        if window.contains(marker.planned_us) {
            Stats::bump(&stats.sent, 1);
            Stats::bump(&stats.expected, members);
        }
        let frame = message_frame(&marker, settings.size, settings.room.as_ref());
        if sink.send(Message::text(frame)).await.is_err() {
            return;
        }
        let lag = Instant::now().saturating_duration_since(due);
        crate::stats::record(
            &mut stats.send_lag.lock().expect("stats lock"),
            lag.as_micros() as u64,
        );
    }
}

/// The receiving half: counts every delivery of this run's measured
/// messages and records its latency.
async fn read_side<S>(stream: &mut S, role: Role, shared: &Shared)
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    let stats = &shared.stats;
    // One wait for the whole loop: a fresh one per frame would register
    // with the token (a lock) and deregister again for every frame.
    let cancelled = shared.cancel.cancelled();
    tokio::pin!(cancelled);
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            () = &mut cancelled => return,
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                if !shared.cancel.is_cancelled() {
                    stats.closed(describe_close(frame));
                }
                return;
            }
            Some(Ok(_)) => continue,
            Some(Err(error)) => {
                if !shared.cancel.is_cancelled() {
                    stats.closed(format!("error: {}", shorten(&error.to_string())));
                }
                return;
            }
            None => {
                if !shared.cancel.is_cancelled() {
                    stats.closed("ended without close".into());
                }
                return;
            }
        };
        stats.frame(shared.now_us());
        match classify(&text) {
            Incoming::Message(seen) => {
                let Some(marker) = seen.marker.filter(|m| m.run == shared.run_id) else {
                    continue;
                };
                let measured = shared
                    .window
                    .get()
                    .is_some_and(|w| w.contains(marker.planned_us));
                if !measured {
                    Stats::bump(&stats.unmeasured, 1);
                    continue;
                }
                let latency = shared.now_us().saturating_sub(marker.planned_us);
                Stats::bump(&stats.received, 1);
                if marker.sender as usize == role.index {
                    Stats::bump(&stats.stored, 1);
                }
                crate::stats::record(&mut stats.latency.lock().expect("stats lock"), latency);
            }
            Incoming::Error { code, .. } => stats.error(&code),
            _ => {}
        }
    }
}
