//! `edit` and `delete`: one's own messages, from any connection, joined to
//! the room or not. The change goes to the database and then to the room
//! (`persist::changes`); a connection in the room hears it there like
//! everyone else, one that is not is answered with the same frame.

use sapa_protocol::{ClientKind, ErrorRef};

use super::{Awaiting, Replies, Session, Step, Task, encode};
use crate::{
    persist::changes::{Applied, Change, ChangeError},
    realtime::error::WsError,
};

impl Session {
    pub(super) fn on_change(&mut self, id: i64, change: Change) -> Step {
        let kind = match change {
            Change::Edit(_) => ClientKind::Edit,
            Change::Delete => ClientKind::Delete,
        };
        let user_id = self
            .identity
            .as_ref()
            .expect("frames other than join and ping wait for a join")
            .user_id;
        self.awaiting = Some(Awaiting::Change(kind));
        Step::Run(Task::Change {
            id,
            user_id,
            change,
        })
    }

    /// The outcome of an edit or delete.
    pub(super) fn change_made(
        &mut self,
        kind: ClientKind,
        applied: Result<Box<Applied>, ChangeError>,
        out: &mut Replies,
    ) -> Result<Step, WsError> {
        let applied = applied.map_err(|error| WsError::from(error).about(ErrorRef::Frame(kind)))?;
        let room = &applied.view.room;
        if self.rooms.get(room).is_none() && !room.is_direct() {
            // Not in the room: the broadcast does not reach this socket
            // (a direct room's reaches every socket of its participants).
            out.push(encode(&applied.frame));
        }
        Ok(Step::Idle)
    }
}
