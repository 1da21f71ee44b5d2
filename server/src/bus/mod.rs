//! The bus between nodes that share one database (DESIGN.md section 6).
//!
//! After a batch commits, the writer hands its new messages to the bus,
//! which publishes them once for the whole batch; every other node delivers
//! them to its own members of each room and to its in-memory history
//! ([`Hub::deliver`](crate::chat::Hub::deliver)). A node ignores what it
//! published itself (its writer has delivered it already). One node with no
//! cluster setting has no bus at all: the writer does no extra work.
//!
//! The implementation is [`postgres::PgBus`] (LISTEN/NOTIFY).

pub mod postgres;

use sapa_protocol::MessageView;
use serde::{Deserialize, Serialize};

/// Publishes committed batches to the other nodes.
pub trait Bus: Send + Sync {
    /// Publishes the new messages of one committed batch. Never waits: the
    /// writer's path stays as short as on one node.
    fn publish(&self, batch: Vec<MessageView>);
}

/// What travels on the bus: one per committed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The publishing node, so that it can ignore its own.
    pub node: String,
    #[serde(flatten)]
    pub body: Body,
}

/// A batch, inline or by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// The messages themselves, when they fit the transport's payload.
    Messages { messages: Vec<MessageView> },
    /// Too large to send: the ids to read back from the table.
    Reference { ids: Vec<i64> },
}
