//! `leave`: one room, or every room. The leaver is answered with `left`
//! naming itself, as confirmation; the others hear `left` from the hub when
//! this was the user's last connection in the room.

use sapa_protocol::{
    ClientKind, ErrorCode, ErrorRef, Leave, PresenceChange, RoomName, ServerMessage,
};
use time::OffsetDateTime;

use super::{Replies, Session, Step, encode};
use crate::realtime::error::WsError;

impl Session {
    pub(super) fn on_leave(&mut self, request: Leave, out: &mut Replies) -> Result<Step, WsError> {
        let rooms: Vec<RoomName> = match request.room {
            Some(room) => {
                self.target(Some(&room)).map_err(|why| {
                    WsError::new(ErrorCode::NotJoined, why)
                        .about(ErrorRef::Frame(ClientKind::Leave))
                })?;
                vec![room]
            }
            None => self.rooms.rooms().cloned().collect(),
        };
        let username = self.username().clone();
        for room in rooms {
            self.rooms.leave(&room);
            out.push(encode(&ServerMessage::Left(PresenceChange {
                room,
                username: username.clone(),
                timestamp: OffsetDateTime::now_utc(),
            })));
        }
        Ok(Step::Idle)
    }
}
