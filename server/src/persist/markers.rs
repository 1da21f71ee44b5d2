//! The one path for read markers, WebSocket and REST alike: store the move
//! (forward only, at most to the room's newest id), then tell the user's
//! other connections with the stored value. A move that changes nothing is
//! not told.

use sapa_protocol::{RoomName, Username};

use crate::{
    chat::{ConnId, Hub},
    store::{Marked, Store, StoreError},
};

/// Moves the marker of user `who` (id and name) in `room` to `up_to`; the
/// connections of theirs other than `except` hear the new marker.
pub async fn mark(
    store: &Store,
    hub: &Hub,
    who: (i64, &Username),
    room: &RoomName,
    up_to: i64,
    except: Option<ConnId>,
) -> Result<Marked, StoreError> {
    let marked = store.mark_read(who.0, room, up_to).await?;
    if let Marked::Moved(up_to) = marked {
        hub.marked(who.1, room, up_to, except);
    }
    Ok(marked)
}
