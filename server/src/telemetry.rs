//! The server's metrics: one Prometheus recorder per process (the `metrics`
//! facade, rendered by `metrics-exporter-prometheus`), the name of every
//! series, and one small function per thing worth counting, so call sites
//! read as what happened and the names live here only.
//!
//! No series has a label per user, room or address (cardinality): labels
//! are a fixed set of kinds, a route template and a status code. Recording
//! on the message path is one counter or histogram update per batch, never
//! per recipient. What is cheaper to look at than to track (open
//! connections, rooms with members) is read when /metrics is scraped and
//! set as gauges then ([`set_gauges`]).
//!
//! A leaf: it imports nothing from the crate. `http/metrics.rs` serves it.

use std::{sync::OnceLock, time::Duration};

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Every series, with its type and meaning (the README's table).
pub const SERIES: &[(&str, &str, &str)] = &[
    (OPEN_CONNECTIONS, "gauge", "WebSocket connections open now"),
    (ROOMS, "gauge", "rooms with at least one member now"),
    (
        MESSAGES_STORED,
        "counter",
        "messages committed to the database (retried client_ids not again)",
    ),
    (
        DELIVERIES,
        "counter",
        "message frames queued to members' sockets",
    ),
    (STORE_BATCH, "histogram", "messages per batched INSERT"),
    (
        COMMIT_SECONDS,
        "histogram",
        "time one batched INSERT took, failed ones included",
    ),
    (
        SLOW_READER_CLOSES,
        "counter",
        "sockets closed with 1013 because their outbox filled",
    ),
    (
        RATE_LIMITED,
        "counter",
        "requests and frames refused by a limit, by `kind`",
    ),
    (
        AUTH_FAILURES,
        "counter",
        "wrong passwords and unknown tokens, by `kind`",
    ),
    (
        DATABASE_ERRORS,
        "counter",
        "failed queries, by `kind` (`unavailable` or `other`)",
    ),
    (
        HTTP_REQUESTS,
        "counter",
        "HTTP requests by `method`, `route` (the template) and `status`",
    ),
];

pub const OPEN_CONNECTIONS: &str = "sapa_open_connections";
pub const ROOMS: &str = "sapa_rooms";
pub const MESSAGES_STORED: &str = "sapa_messages_stored_total";
pub const DELIVERIES: &str = "sapa_deliveries_total";
pub const STORE_BATCH: &str = "sapa_store_batch_size";
pub const COMMIT_SECONDS: &str = "sapa_store_commit_seconds";
pub const SLOW_READER_CLOSES: &str = "sapa_slow_reader_closes_total";
pub const RATE_LIMITED: &str = "sapa_rate_limited_total";
pub const AUTH_FAILURES: &str = "sapa_auth_failures_total";
pub const DATABASE_ERRORS: &str = "sapa_database_errors_total";
pub const HTTP_REQUESTS: &str = "sapa_http_requests_total";

/// How often histograms are folded in when nobody scrapes, so their
/// samples do not pile up.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (the first call does; every server in
/// the process shares it) and returns what renders it. `None` if a program
/// embedding the server installed another recorder first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(STORE_BATCH.to_owned()),
                    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(COMMIT_SECONDS.to_owned()),
                        &[
                            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                            2.5,
                        ],
                    )
                })
                .expect("bucket lists are not empty");
            let handle = builder.install_recorder().ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    for &(name, kind, meaning) in SERIES {
        match kind {
            "gauge" => describe_gauge!(name, meaning),
            "counter" => describe_counter!(name, meaning),
            _ if name == COMMIT_SECONDS => describe_histogram!(name, Unit::Seconds, meaning),
            _ => describe_histogram!(name, meaning),
        }
    }
}

/// Folds histogram samples in every few seconds until `stop`.
pub async fn run_upkeep(stop: tokio_util::sync::CancellationToken) {
    let Some(handle) = install() else { return };
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = every.tick() => handle.run_upkeep(),
        }
    }
}

/// The values read at scrape time.
pub fn set_gauges(open_connections: usize, rooms: usize) {
    gauge!(OPEN_CONNECTIONS).set(open_connections as f64);
    gauge!(ROOMS).set(rooms as f64);
}

/// The message writer's series, looked up once when the writer starts
/// (the recorder is installed by then), so a batch costs four atomic
/// updates and no look-up.
pub struct WriterMetrics {
    batch: metrics::Histogram,
    commit: metrics::Histogram,
    stored: metrics::Counter,
    delivered: metrics::Counter,
}

impl WriterMetrics {
    pub fn new() -> Self {
        Self {
            batch: histogram!(STORE_BATCH),
            commit: histogram!(COMMIT_SECONDS),
            stored: counter!(MESSAGES_STORED),
            delivered: counter!(DELIVERIES),
        }
    }

    /// One batched INSERT: how many messages it carried, how long it
    /// took, and how many were new (stored, not a retried client_id).
    pub fn batch(&self, size: usize, took: Duration, fresh: Option<usize>) {
        self.batch.record(size as f64);
        self.commit.record(took.as_secs_f64());
        if let Some(fresh) = fresh {
            self.stored.increment(fresh as u64);
        }
    }

    /// Message frames queued for sockets by one broadcast.
    pub fn delivered(&self, frames: usize) {
        self.delivered.increment(frames as u64);
    }
}

impl Default for WriterMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A socket closed for reading too slowly.
pub fn slow_reader_closed() {
    counter!(SLOW_READER_CLOSES).increment(1);
}

/// A limit refused something; `kind` is the limit's name.
pub fn rate_limited(kind: &'static str) {
    counter!(RATE_LIMITED, "kind" => kind).increment(1);
}

/// Credentials refused: `password` or `token`.
pub fn auth_failed(kind: &'static str) {
    counter!(AUTH_FAILURES, "kind" => kind).increment(1);
}

/// A query failed: `unavailable` or `other`.
pub fn database_error(kind: &'static str) {
    counter!(DATABASE_ERRORS, "kind" => kind).increment(1);
}

/// One HTTP request answered.
pub fn http_request(method: &str, route: &str, status: u16) {
    counter!(
        HTTP_REQUESTS,
        "method" => method.to_owned(),
        "route" => route.to_owned(),
        "status" => status.to_string()
    )
    .increment(1);
}
