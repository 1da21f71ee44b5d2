//! `search`: messages matching a query, newest first, from one room or all
//! the rooms the user may read (every public room and the user's own
//! direct rooms; another's `dm:` room is `forbidden`), never deleted
//! ones. The query goes to the database (`store/search.rs`); the answer is
//! `search_results`, paged with `before_id`.

use sapa_protocol::{
    ClientKind, ErrorCode, ErrorRef, MessageView, SearchQuery, SearchRequest, SearchResults,
    ServerMessage,
};

use super::{Awaiting, Replies, Session, Step, Task, encode};
use crate::{realtime::error::WsError, store::StoreError};

impl Session {
    pub(super) fn on_search(&mut self, request: SearchRequest) -> Result<Step, WsError> {
        if let Some(room) = &request.room
            && !room.readable_by(self.username())
        {
            let why = format!("{room} is not your conversation");
            return Err(
                WsError::new(ErrorCode::Forbidden, why).about(ErrorRef::Frame(ClientKind::Search))
            );
        }
        let reader = self
            .identity
            .as_ref()
            .expect("frames other than join and ping wait for a join")
            .user_id;
        self.awaiting = Some(Awaiting::Search(request.q.clone()));
        Ok(Step::Run(Task::Search {
            reader,
            query: request.q,
            room: request.room,
            before_id: request.before_id,
            limit: request.limit.unwrap_or_default().get(),
        }))
    }

    /// The answer to a search for `query`.
    pub(super) fn found(
        &mut self,
        query: SearchQuery,
        found: Result<(Vec<MessageView>, bool), StoreError>,
        out: &mut Replies,
    ) -> Result<Step, WsError> {
        let (messages, has_more) = found
            .map_err(|error| WsError::from(error).about(ErrorRef::Frame(ClientKind::Search)))?;
        out.push(encode(&ServerMessage::SearchResults(SearchResults {
            q: query.into(),
            messages,
            has_more,
        })));
        Ok(Step::Idle)
    }
}
