//! One node among several (DESIGN.md section 6), above the [`crate::bus`]
//! transport: the [`relay`] delivers what the other nodes publish to this
//! node's hub, and [`nodes`] keeps presence true across nodes (each node's
//! presence recorded in the table before it is published, heartbeats, and
//! the burial of nodes that stopped beating). [`start`] puts them together
//! over the configured bus.

pub mod nodes;
pub mod relay;

pub use nodes::Nodes;
pub use relay::Relay;

use std::sync::Arc;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    bus::{
        Bus,
        nats::{self, NatsBus},
        postgres::{self, PgBus},
    },
    chat::Hub,
    config::Config,
    store::Store,
};

/// `hub` as one node of the cluster: publishing over NATS when
/// `SAPA_NATS_URL` is set, else over PostgreSQL; listening until `stop`;
/// beating (and, from `shutdown`, keeping quiet about its presence) on
/// `background`.
pub fn start(
    config: &Config,
    store: &Store,
    hub: Hub,
    background: &TaskTracker,
    stop: &CancellationToken,
    shutdown: &CancellationToken,
) -> Hub {
    let node = config.node_name();
    let (transport, link): (Arc<dyn Bus>, _) = if config.nats_url.is_empty() {
        let bus = PgBus::spawn(store.clone(), node.clone(), background);
        (Arc::new(bus), None)
    } else {
        let (bus, link) = NatsBus::new(config.nats_url.clone(), &config.nats_subject, &node);
        (Arc::new(bus), Some(link))
    };
    let bus: Arc<dyn Bus> = Arc::new(Nodes::spawn(
        store.clone(),
        node.clone(),
        transport,
        background,
    ));
    let hub = hub.with_bus(bus.clone(), shutdown.clone());
    let relay = Relay {
        store: store.clone(),
        hub: hub.clone(),
        node: node.clone(),
    };
    match link {
        Some(link) => background.spawn(nats::run(link, relay, stop.clone())),
        None => background.spawn(postgres::listen(
            store.clone(),
            node.clone(),
            relay,
            stop.clone(),
        )),
    };
    background.spawn(nodes::heartbeats(
        store.clone(),
        hub.clone(),
        node,
        bus,
        shutdown.clone(),
    ));
    hub
}
