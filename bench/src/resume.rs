//! The `resume` scenario: while senders keep sending into one room, some
//! clients ("resumers") keep dropping their connection and joining again
//! with `since_id` set to the last message id they saw. At the end each
//! resumer must have seen every stored message of the run exactly once.
//!
//! What was stored is what came back to its own sender (a message is
//! broadcast only after it is committed). Once the senders have stopped and
//! their echoes are in, every resumer rejoins one last time, so its final
//! history page closes any gap, and then the sets are compared.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use sapa_protocol::RoomName;
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::sleep_until;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cli::ResumeArgs;
use crate::conn::{Endpoint, Ws, describe_close};
use crate::frames::{Identity, Incoming, Marker, Seen, classify, join_frame, message_frame};
use crate::host;
use crate::load::{run_id, shorten};
use crate::schedule::Schedule;
use crate::stats::round2;
use crate::users;

/// The results of one `resume` run, printed as one JSON line.
#[derive(Debug, Serialize)]
pub struct ResumeReport {
    pub label: String,
    pub scenario: &'static str,
    pub clients: usize,
    pub senders: usize,
    pub resumers: usize,
    pub rate_per_sender: f64,
    pub duration_s: f64,
    /// Messages the senders sent.
    pub sent: usize,
    /// Messages that came back to their sender (so were stored).
    pub stored: usize,
    /// Rejoins with since_id, over all resumers.
    pub reconnects: u64,
    /// Stored messages a resumer never saw, summed over resumers.
    pub missing: u64,
    /// Extra copies of a message a resumer had already seen.
    pub duplicated: u64,
    /// Messages a resumer saw that no sender saw come back.
    pub unconfirmed_seen: u64,
    /// History pages that said more was left out (a gap too long to replay).
    pub has_more_pages: u64,
    pub resumers_finished: usize,
    pub errors: BTreeMap<String, u64>,
    pub closed_by_server: BTreeMap<String, u64>,
}

/// What one resumer saw.
#[derive(Debug, Default)]
struct ResumerLog {
    counts: HashMap<(u32, u32), u32>,
    reconnects: u64,
    has_more_pages: u64,
}

/// What every task shares.
struct Shared {
    run_id: u32,
    origin: Instant,
    endpoint: Endpoint,
    room: Option<RoomName>,
    /// (sender, seq) of every message sent and every message echoed.
    sent: Mutex<HashSet<(u32, u32)>>,
    stored: Mutex<HashSet<(u32, u32)>>,
    errors: Mutex<BTreeMap<String, u64>>,
    closed: Mutex<BTreeMap<String, u64>>,
    cancel: CancellationToken,
}

impl Shared {
    fn count(map: &Mutex<BTreeMap<String, u64>>, key: String) {
        *map.lock().expect("stats lock").entry(key).or_default() += 1;
    }
}

/// Runs the scenario and returns its report.
pub async fn run(args: ResumeArgs) -> Result<ResumeReport> {
    let common = &args.common;
    if common.tutorial {
        bail!("resume needs since_id, which the tutorial's frames do not have");
    }
    host::raise_file_limit();
    let clients = common.clients.max(args.senders + args.resumers);
    let endpoint = Endpoint::new(&common.url, common.read_buffer, false)?;
    let room = RoomName::parse(format!("{}-0", common.room_prefix))?;
    let (identities, _) = users::identities(common, &endpoint.http_base(), clients).await?;
    let shared = Arc::new(Shared {
        run_id: run_id(),
        origin: Instant::now(),
        endpoint,
        room: Some(room),
        sent: Mutex::default(),
        stored: Mutex::default(),
        errors: Mutex::default(),
        closed: Mutex::default(),
        cancel: CancellationToken::new(),
    });

    // Everyone joins first, then sending starts.
    let mut sockets = Vec::with_capacity(clients);
    for identity in &identities {
        let frame = join_frame(identity, shared.room.as_ref(), None);
        let ws = shared
            .endpoint
            .open_and_join(frame)
            .await
            .with_context(|| format!("join as {}", identity.username))?;
        sockets.push(ws);
    }
    let start = Instant::now() + Duration::from_millis(100);
    let send_for = Duration::from_secs_f64(args.duration);
    let (final_tx, final_rx) = watch::channel(false);
    let tracker = TaskTracker::new();
    let mut resumer_handles = Vec::new();
    for (index, (ws, identity)) in sockets.into_iter().zip(identities).enumerate() {
        let shared = shared.clone();
        if index < args.senders {
            let schedule = Schedule::new(index, args.senders, args.rate, send_for);
            tracker.spawn(sender(ws, index as u32, schedule, start, args.size, shared));
        } else if index < args.senders + args.resumers {
            let timing = Timing {
                online: Duration::from_millis(args.online_ms),
                offline: Duration::from_millis(args.offline_ms),
                seed: index as u64,
            };
            resumer_handles.push(tracker.spawn(resumer(
                ws,
                identity,
                timing,
                shared,
                final_rx.clone(),
            )));
        } else {
            tracker.spawn(listener(ws, shared));
        }
    }

    // Wait for the senders to finish and their echoes to come back.
    sleep_until((start + send_for).into()).await;
    let drain_deadline = Instant::now() + Duration::from_secs_f64(args.drain);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tick.tick().await;
        let sent = shared.sent.lock().expect("lock").len();
        let stored = shared.stored.lock().expect("lock").len();
        if stored >= sent || Instant::now() >= drain_deadline {
            break;
        }
    }
    let _ = final_tx.send(true);

    let mut finished = Vec::new();
    let collect_deadline = tokio::time::Instant::now() + Duration::from_secs_f64(args.drain + 10.0);
    for handle in resumer_handles {
        if let Ok(Ok(seen)) = tokio::time::timeout_at(collect_deadline, handle).await {
            finished.push(seen);
        }
    }
    shared.cancel.cancel();
    tracker.close();
    let _ = tokio::time::timeout(Duration::from_secs(10), tracker.wait()).await;

    let stored = shared.stored.lock().expect("lock").clone();
    let (mut missing, mut duplicated, mut unconfirmed) = (0, 0, 0);
    for seen in &finished {
        let tally = compare(&stored, &seen.counts);
        missing += tally.missing;
        duplicated += tally.duplicated;
        unconfirmed += tally.unconfirmed;
    }
    Ok(ResumeReport {
        label: common.label.clone(),
        scenario: "resume",
        clients,
        senders: args.senders,
        resumers: args.resumers,
        rate_per_sender: args.rate,
        duration_s: round2(args.duration),
        sent: shared.sent.lock().expect("lock").len(),
        stored: stored.len(),
        reconnects: finished.iter().map(|s| s.reconnects).sum(),
        missing,
        duplicated,
        unconfirmed_seen: unconfirmed,
        has_more_pages: finished.iter().map(|s| s.has_more_pages).sum(),
        resumers_finished: finished.len(),
        errors: shared.errors.lock().expect("lock").clone(),
        closed_by_server: shared.closed.lock().expect("lock").clone(),
    })
}

/// How one resumer's deliveries compare with what was stored.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub missing: u64,
    pub duplicated: u64,
    pub unconfirmed: u64,
}

/// Compares what was stored with what a client saw (and how often).
pub fn compare(stored: &HashSet<(u32, u32)>, seen: &HashMap<(u32, u32), u32>) -> Tally {
    Tally {
        missing: stored.iter().filter(|k| !seen.contains_key(k)).count() as u64,
        duplicated: seen.values().map(|&n| u64::from(n.saturating_sub(1))).sum(),
        unconfirmed: seen.keys().filter(|k| !stored.contains(k)).count() as u64,
    }
}

/// A resumer's rhythm.
struct Timing {
    online: Duration,
    offline: Duration,
    seed: u64,
}

impl Timing {
    /// Time online before the `n`-th drop: between half and one and a half
    /// times `online`, varied per client so drops do not line up.
    fn online_for(&self, n: u64) -> Duration {
        let spread = (self
            .seed
            .wrapping_mul(7919)
            .wrapping_add(n.wrapping_mul(104_729)))
            % 1000;
        self.online.mul_f64(0.5 + spread as f64 / 1000.0)
    }
}

async fn sender(
    ws: Ws,
    index: u32,
    schedule: Schedule,
    start: Instant,
    size: usize,
    shared: Arc<Shared>,
) {
    let (mut sink, mut stream) = ws.split();
    let reader = {
        let shared = shared.clone();
        async move {
            while let Some(Ok(frame)) = stream.next().await {
                if let Message::Text(text) = frame {
                    match classify(&text) {
                        Incoming::Message(Seen {
                            marker: Some(m), ..
                        }) if m.run == shared.run_id && m.sender == index => {
                            shared
                                .stored
                                .lock()
                                .expect("lock")
                                .insert((m.sender, m.seq));
                        }
                        Incoming::Error { code, .. } => Shared::count(&shared.errors, code),
                        _ => {}
                    }
                }
            }
        }
    };
    let writer = async {
        for k in 0u64.. {
            let Some(offset) = schedule.planned(k) else {
                break;
            };
            let due = start + offset;
            sleep_until(due.into()).await;
            let marker = Marker {
                run: shared.run_id,
                sender: index,
                seq: k as u32,
                planned_us: due.saturating_duration_since(shared.origin).as_micros() as u64,
            };
            shared.sent.lock().expect("lock").insert((index, k as u32));
            let frame = message_frame(&marker, size, shared.room.as_ref());
            if sink.send(Message::text(frame)).await.is_err() {
                break;
            }
        }
        shared.cancel.cancelled().await;
        let _ = sink.send(Message::Close(None)).await;
    };
    tokio::select! {
        () = async { tokio::join!(reader, writer); } => {}
        () = shared.cancel.cancelled() => {}
    }
}

async fn listener(mut ws: Ws, shared: Arc<Shared>) {
    // One wait for the whole loop, not a registration per frame.
    let cancelled = shared.cancel.cancelled();
    tokio::pin!(cancelled);
    loop {
        tokio::select! {
            frame = ws.next() => if !matches!(frame, Some(Ok(_))) { return },
            () = &mut cancelled => {
                let _ = ws.close(None).await;
                return;
            }
        }
    }
}

/// Drops and rejoins until the final signal, then rejoins once more and
/// reads its history page; returns everything it saw.
async fn resumer(
    mut ws: Ws,
    identity: Identity,
    timing: Timing,
    shared: Arc<Shared>,
    mut final_rx: watch::Receiver<bool>,
) -> ResumerLog {
    let mut seen = ResumerLog::default();
    let mut last_id: Option<i64> = None;
    // The first connection has had its welcome; its history page (older
    // runs' messages) only moves last_id forward.
    let mut has_history = false;
    let mut finishing = false;
    let cancelled = shared.cancel.cancelled();
    tokio::pin!(cancelled);
    for round in 0u64.. {
        let online_until = tokio::time::Instant::now() + timing.online_for(round);
        // Read until it is time to drop (never before the history page
        // arrived: only then is last_id a safe place to resume from).
        loop {
            if finishing && has_history {
                let _ = ws.close(None).await;
                return seen;
            }
            let timed_out = tokio::time::Instant::now() >= online_until;
            if has_history && (timed_out || *final_rx.borrow()) {
                break;
            }
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let incoming = classify(&text);
                        if matches!(incoming, Incoming::History { .. }) {
                            has_history = true;
                        }
                        note(&incoming, &shared, &mut seen, &mut last_id);
                    }
                    Some(Ok(Message::Close(frame))) => {
                        Shared::count(&shared.closed, describe_close(frame));
                        break;
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                },
                () = sleep_until(online_until), if has_history && !timed_out => {}
                _ = final_rx.changed(), if !*final_rx.borrow() => {}
                () = &mut cancelled => return seen,
            }
        }
        let _ = ws.close(None).await;
        drop(ws);
        if *final_rx.borrow() {
            finishing = true;
        } else {
            tokio::select! {
                () = tokio::time::sleep(timing.offline) => {}
                _ = final_rx.wait_for(|done| *done) => {}
            }
            finishing = *final_rx.borrow();
        }
        // Rejoin from the last id seen (0: everything of the room).
        let frame = join_frame(&identity, shared.room.as_ref(), Some(last_id.unwrap_or(0)));
        ws = loop {
            match shared.endpoint.open_and_join(frame.clone()).await {
                Ok(ws) => break ws,
                Err(error) => {
                    Shared::count(
                        &shared.errors,
                        format!("rejoin: {}", shorten(&format!("{error:#}"))),
                    );
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                        () = &mut cancelled => return seen,
                    }
                }
            }
        };
        seen.reconnects += 1;
        has_history = false;
    }
    seen
}

/// Counts this run's messages in a frame and moves `last_id` forward.
fn note(incoming: &Incoming, shared: &Shared, seen: &mut ResumerLog, last_id: &mut Option<i64>) {
    let mut one = |s: &Seen| {
        if let Some(id) = s.id {
            *last_id = Some(last_id.map_or(id, |last| last.max(id)));
        }
        if let Some(m) = s.marker.filter(|m| m.run == shared.run_id) {
            *seen.counts.entry((m.sender, m.seq)).or_default() += 1;
        }
    };
    match incoming {
        Incoming::Message(s) => one(s),
        Incoming::History { messages, has_more } => {
            messages.iter().for_each(&mut one);
            if *has_more {
                seen.has_more_pages += 1;
            }
        }
        Incoming::Error { code, .. } => Shared::count(&shared.errors, code.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_resume_has_nothing_missing_or_doubled() {
        let stored: HashSet<_> = [(0, 0), (0, 1), (1, 0)].into();
        let seen: HashMap<_, _> = [((0, 0), 1), ((0, 1), 1), ((1, 0), 1)].into();
        assert_eq!(compare(&stored, &seen), Tally::default());
    }

    #[test]
    fn gaps_and_repeats_are_counted_separately() {
        let stored: HashSet<_> = [(0, 0), (0, 1), (0, 2)].into();
        let seen: HashMap<_, _> = [((0, 0), 3), ((0, 2), 1), ((9, 9), 1)].into();
        assert_eq!(
            compare(&stored, &seen),
            Tally {
                missing: 1,
                duplicated: 2,
                unconfirmed: 1
            }
        );
    }

    #[test]
    fn online_periods_vary_within_half_to_one_and_a_half() {
        let timing = Timing {
            online: Duration::from_millis(1000),
            offline: Duration::ZERO,
            seed: 3,
        };
        for n in 0..50 {
            let t = timing.online_for(n);
            assert!(t >= Duration::from_millis(500) && t < Duration::from_millis(1500));
        }
    }
}
