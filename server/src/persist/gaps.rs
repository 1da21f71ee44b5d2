//! Delivery in id order across nodes (DESIGN.md section 6).
//!
//! With several writers, ids rise in commit order per room (the writer
//! takes the room's row lock first), but the batches reach each node by
//! different roads: a node's own batch at once, another node's over the
//! bus, a little later. So each batch says, per room, the newest id the
//! room had before it; a node that has delivered less than that has missed
//! committed messages (still on their way, or lost in a cut of the bus),
//! and reads them from the table and delivers them first. What arrives
//! later by the bus is then skipped as held, so nothing is delivered twice
//! and a client never sees an id below one it has seen.

use sapa_protocol::RoomName;

use crate::{chat::Hub, store::Store};

/// A gap is read in pages of this many messages.
const PAGE: u16 = 500;

/// Delivers from the table what each room of `before` had up to its id
/// there and this node has not delivered yet.
pub async fn fill(store: &Store, hub: &Hub, before: &[(RoomName, i64)]) {
    for (room, newest) in before {
        let Some((room_id, mut delivered)) = hub.delivered_up_to(room) else {
            continue;
        };
        while delivered < *newest {
            let page = match store.history_after(room_id, delivered, PAGE).await {
                Ok((page, _)) => page,
                Err(error) => {
                    tracing::warn!(%error, %room, "reading a gap from the table failed");
                    break;
                }
            };
            let missed: Vec<_> = page.into_iter().filter(|m| m.id <= *newest).collect();
            let Some(last) = missed.last().map(|m| m.id) else {
                break;
            };
            hub.deliver(&missed);
            delivered = last;
        }
    }
}
