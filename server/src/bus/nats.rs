//! The bus over core NATS (`SAPA_NATS_URL`): for when one PostgreSQL
//! primary's NOTIFY is the limit. No JetStream: NATS only carries, the
//! table stays the record.
//!
//! One subject (`sapa.bus` unless configured), one client connection per
//! node (named `sapa-bus`, so operators and tests can find it in the
//! server's monitoring), with echo off so a node never hears itself.
//! A batch goes inline unless it is larger than the server's
//! `max_payload` (1 MiB by default), then by reference as on PostgreSQL;
//! envelopes are numbered ([`super::sequence`]).
//!
//! Core NATS keeps nothing for a subscriber that is away, so what a node
//! misses it reads back from the table: after every (re)connect (once the
//! server has its subscription again), and whenever a publisher's numbers
//! skip. While the connection is down the node keeps serving its own
//! members; what it publishes meanwhile is dropped, not queued (memory
//! stays bounded however long the cut), and after reconnecting it sends
//! an empty numbered envelope so the others notice the gap even if it
//! publishes nothing else.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use async_nats::{Client, ConnectOptions, Event, ServerAddr, connection::State};
use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::{
    Body, Bus, Receiver,
    sequence::{Inbox, Publisher},
};

/// The name each node's connection gives the NATS server.
pub const CLIENT_NAME: &str = "sapa-bus";
const BACKOFF_FIRST: Duration = Duration::from_millis(50);
/// Short, so other nodes' messages reach a node within 2 s of the server
/// coming back (DESIGN.md section 6); a reconnect to NATS is cheap.
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How long the last publishes may take to leave at shutdown.
const FLUSH_GRACE: Duration = Duration::from_secs(2);

/// The publishing half, a handle the hub keeps: it only queues, and the
/// task [`run`] sends.
pub struct NatsBus {
    outgoing: mpsc::UnboundedSender<Body>,
}

/// What [`run`] needs: where to connect, and what the handle queued.
pub struct Link {
    servers: Vec<ServerAddr>,
    subject: String,
    node: String,
    bodies: mpsc::UnboundedReceiver<Body>,
}

impl NatsBus {
    /// A handle for node `node` publishing on `subject` of `servers`, and
    /// the link to hand to [`run`].
    pub fn new(servers: Vec<ServerAddr>, subject: &str, node: &str) -> (Self, Link) {
        let (outgoing, bodies) = mpsc::unbounded_channel();
        let link = Link {
            servers,
            subject: subject.to_owned(),
            node: node.to_owned(),
            bodies,
        };
        (Self { outgoing }, link)
    }
}

impl Bus for NatsBus {
    fn publish(&self, body: Body) {
        if matches!(&body, Body::Messages { messages, .. } if messages.is_empty()) {
            return;
        }
        // Fails only once the task has ended (shutdown).
        let _ = self.outgoing.send(body);
    }
}

/// Connects (retrying in the background for as long as it takes), then
/// publishes what the handles queue until every handle is gone, and hands
/// what the other nodes publish to `receiver` until `stop`.
pub async fn run(link: Link, receiver: impl Receiver, stop: CancellationToken) {
    let Link {
        servers,
        subject,
        node,
        bodies,
    } = link;
    let publisher_woken = Arc::new(Notify::new());
    let listener_woken = Arc::new(Notify::new());
    let (to_publisher, to_listener) = (publisher_woken.clone(), listener_woken.clone());
    let options = ConnectOptions::new()
        .name(CLIENT_NAME)
        .no_echo()
        .retry_on_initial_connect()
        .max_reconnects(None)
        .reconnect_delay_callback(backoff)
        .event_callback(move |event| {
            let (publisher, listener) = (to_publisher.clone(), to_listener.clone());
            async move {
                match event {
                    Event::Connected => {
                        tracing::info!("the NATS bus is connected");
                        publisher.notify_one();
                        listener.notify_one();
                    }
                    Event::Disconnected => tracing::warn!("the NATS bus connection was lost"),
                    other => tracing::debug!(event = %other, "NATS bus event"),
                }
            }
        });
    let client = match options.connect(servers).await {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "the NATS bus cannot start; this node hears no other");
            return;
        }
    };
    let subscriber = match client.subscribe(subject.clone()).await {
        Ok(subscriber) => subscriber,
        Err(error) => {
            tracing::error!(%error, "subscribing to the NATS bus failed; this node hears no other");
            return;
        }
    };
    let listening = listen(
        &client,
        subscriber,
        Inbox::new(&node),
        receiver,
        &listener_woken,
        stop,
    );
    let publishing = publish(
        &client,
        &subject,
        Publisher::new(&node),
        bodies,
        &publisher_woken,
    );
    tokio::join!(listening, publishing);
    if tokio::time::timeout(FLUSH_GRACE, client.flush())
        .await
        .is_err()
    {
        tracing::warn!("the last publishes on the NATS bus did not leave in time");
    }
}

/// The delay before reconnect attempt `attempts`: doubling from 50 ms to 1 s.
fn backoff(attempts: usize) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(u32::MAX);
    BACKOFF_FIRST
        .saturating_mul(2u32.saturating_pow(doublings.min(16)))
        .min(BACKOFF_MAX)
}

/// How many times `client` has connected so far.
fn connects(client: &Client) -> u64 {
    client.statistics().connects.load(Ordering::Acquire)
}

/// Hands what arrives to `receiver` until `stop`, catching up from the
/// table after every connect, before anything that came after it.
async fn listen(
    client: &Client,
    mut subscriber: async_nats::Subscriber,
    mut inbox: Inbox,
    receiver: impl Receiver,
    woken: &Notify,
    stop: CancellationToken,
) {
    let mut caught_up_at = 0;
    loop {
        let message = tokio::select! {
            biased;
            () = stop.cancelled() => return,
            () = woken.notified() => None,
            message = subscriber.next() => match message {
                Some(message) => Some(message),
                None => return,
            },
        };
        // A message read after a reconnect came over the new connection,
        // so the count has moved by then, event or not.
        let now = connects(client);
        if now != caught_up_at {
            caught_up_at = now;
            // Once the server answers a ping it holds the subscription
            // again: everything published from then on reaches us, and
            // everything before it is in the table.
            if let Err(error) = client.flush().await {
                tracing::debug!(%error, "no ping answer before catching up");
            }
            if now > 1 {
                tracing::info!("the NATS bus is back; catching up from the table");
            }
            receiver.catch_up().await;
        }
        if let Some(message) = message {
            inbox.accept(&message.payload, &receiver).await;
        }
    }
}

/// Sends what the handles queue, numbered, until every handle is gone;
/// after every connect, an empty envelope first.
async fn publish(
    client: &Client,
    subject: &str,
    mut publisher: Publisher,
    mut bodies: mpsc::UnboundedReceiver<Body>,
    woken: &Notify,
) {
    let mut hello_at = 0;
    loop {
        let body = tokio::select! {
            body = bodies.recv() => match body {
                Some(body) => Some(body),
                None => return,
            },
            () = woken.notified() => None,
        };
        let now = connects(client);
        if now != hello_at {
            hello_at = now;
            send(client, subject, publisher.hello()).await;
        }
        if let Some(body) = body {
            for payload in publisher.payloads(body, client.max_payload()) {
                send(client, subject, payload).await;
            }
        }
    }
}

/// Publishes one payload, or drops it while the connection is down (its
/// number is spent, so receivers notice).
async fn send(client: &Client, subject: &str, payload: String) {
    if client.connection_state() != State::Connected {
        return;
    }
    if let Err(error) = client
        .publish(subject.to_owned(), payload.into_bytes().into())
        .await
    {
        tracing::warn!(%error, "publishing on the NATS bus failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnects_back_off_from_50_ms_to_a_second() {
        let delays: Vec<u128> = [0, 1, 2, 3, 5, 6, 100, usize::MAX]
            .map(|n| backoff(n).as_millis())
            .into();
        assert_eq!(delays, [50, 50, 100, 200, 800, 1000, 1000, 1000]);
    }
}
