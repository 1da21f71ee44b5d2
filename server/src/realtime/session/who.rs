//! `who`: a page of a joined room's member list, from the hub's roster,
//! sorted case-insensitively. In a big room this is the only way to see the
//! list (its `presence` frames carry the count); in any room it works the
//! same.

use sapa_protocol::{ClientKind, ErrorCode, ErrorRef, ServerMessage, WhoPage, WhoRequest};

use super::{Replies, Session, Step, encode};
use crate::realtime::error::WsError;

impl Session {
    pub(super) fn on_who(
        &mut self,
        request: WhoRequest,
        out: &mut Replies,
    ) -> Result<Step, WsError> {
        let not_joined = |why: String| {
            WsError::new(ErrorCode::NotJoined, why).about(ErrorRef::Frame(ClientKind::Who))
        };
        let (room, _) = self.target(request.room.as_ref()).map_err(not_joined)?;
        let (users, next) = self
            .rooms
            .hub()
            .who(&room, request.after.as_ref())
            .unwrap_or_default();
        out.push(encode(&ServerMessage::Who(WhoPage { room, users, next })));
        Ok(Step::Idle)
    }
}
