//! One node among several (DESIGN.md section 6), above the [`crate::bus`]
//! transport: the [`relay`] delivers what the other nodes publish to this
//! node's hub, and [`nodes`] keeps presence true across nodes (each node's
//! presence recorded in the table before it is published, heartbeats, and
//! the burial of nodes that stopped beating).

pub mod nodes;
pub mod relay;

pub use nodes::Nodes;
pub use relay::Relay;
