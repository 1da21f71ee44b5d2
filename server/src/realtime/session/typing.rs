//! `typing`: checked here (which room, may the user be there), relayed by
//! the hub to the room's other members and throttled there. Nothing is
//! stored and nothing is answered: a notice over the throttle is dropped
//! silently.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, TypingRequest};

use super::{Session, Step};
use crate::realtime::error::WsError;

impl Session {
    pub(super) fn on_typing(&mut self, request: TypingRequest) -> Result<Step, WsError> {
        let reference = || ErrorRef::Frame(ClientKind::Typing);
        let room = match request.room {
            // A direct room needs no join, only to be one's own.
            Some(room) if room.is_direct() => {
                if !room.readable_by(self.username()) {
                    let why = format!("{room} is not your conversation");
                    return Err(WsError::new(ErrorCode::Forbidden, why).about(reference()));
                }
                room
            }
            room => {
                self.target(room.as_ref())
                    .map_err(|why| WsError::new(ErrorCode::NotJoined, why).about(reference()))?
                    .0
            }
        };
        self.rooms.hub().typing(&room, self.username());
        Ok(Step::Idle)
    }
}
