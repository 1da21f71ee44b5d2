//! `history`: a page of older messages of a joined room, read from the
//! database and answered oldest first.

use sapa_protocol::{
    ClientKind, ErrorCode, ErrorRef, History, HistoryRequest, MessageView, RoomName, ServerMessage,
};

use super::{Awaiting, Replies, Session, Step, Task, encode};
use crate::realtime::error::WsError;

/// What a history request's errors refer to.
fn history_ref() -> ErrorRef {
    ErrorRef::Frame(ClientKind::History)
}

impl Session {
    pub(super) fn on_history(&mut self, request: HistoryRequest) -> Result<Step, WsError> {
        if let Some(room) = &request.room
            && !room.readable_by(self.username())
        {
            let why = format!("{room} is not your conversation");
            return Err(WsError::new(ErrorCode::Forbidden, why).about(history_ref()));
        }
        let (room, room_id) = self
            .target(request.room.as_ref())
            .map_err(|why| WsError::new(ErrorCode::NotJoined, why).about(history_ref()))?;
        self.awaiting = Some(Awaiting::Page(room));
        Ok(Step::Run(Task::Page {
            room_id,
            before_id: request.before_id,
            limit: request.limit.unwrap_or_default().get(),
        }))
    }

    /// Answers with the page read for `room`.
    pub(super) fn page_read(
        &mut self,
        room: RoomName,
        page: (Vec<MessageView>, bool),
        out: &mut Replies,
    ) -> Step {
        let (messages, has_more) = page;
        out.push(encode(&ServerMessage::History(History {
            room,
            messages,
            has_more,
        })));
        Step::Idle
    }

    /// What a failed page read answers.
    pub(super) fn page_failed(error: impl Into<WsError>) -> WsError {
        error.into().about(history_ref())
    }
}
