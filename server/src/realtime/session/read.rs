//! `read`: the user has read a room up to an id. Stored by
//! `persist::markers` (forward only, at most the room's newest id), which
//! tells the user's other connections; the sender is not answered. The
//! marker is the user's, not the connection's: any room the user may read
//! can be marked, joined here or not.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, ReadMarker};

use super::{Awaiting, Session, Step, Task};
use crate::{realtime::error::WsError, store::Marked, store::StoreError};

/// What a read's errors refer to.
fn read_ref() -> ErrorRef {
    ErrorRef::Frame(ClientKind::Read)
}

impl Session {
    pub(super) fn on_read(&mut self, marker: ReadMarker) -> Result<Step, WsError> {
        let who = self
            .identity
            .clone()
            .expect("frames other than join and ping wait for a join");
        if !marker.room.readable_by(&who.username) {
            let why = format!("{} is not your conversation", marker.room);
            return Err(WsError::new(ErrorCode::Forbidden, why).about(read_ref()));
        }
        self.awaiting = Some(Awaiting::Read);
        Ok(Step::Run(Task::MarkRead {
            who,
            room: marker.room,
            up_to: marker.up_to,
            conn: self.conn,
        }))
    }
}

/// The outcome of a read: nothing to say, unless the room is unknown.
pub(super) fn marked(marked: Result<Marked, StoreError>) -> Result<Step, WsError> {
    match marked.map_err(|error| WsError::from(error).about(read_ref()))? {
        Marked::UnknownRoom => {
            Err(WsError::new(ErrorCode::NotFound, "no such room").about(read_ref()))
        }
        Marked::Unchanged | Marked::Moved(_) => Ok(Step::Idle),
    }
}
