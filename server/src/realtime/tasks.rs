//! Performing what a session asks for: the only place where a connection's
//! protocol meets the database and the password hasher. Each [`Task`] is
//! answered with its [`Done`], handed back to the session.

use std::net::IpAddr;

use sapa_protocol::MAX_RESUME;

use super::session::{Credential, Done, Task};
use crate::{
    chat::{Replay, Replayed},
    persist::{changes, markers},
    state::AppState,
};

/// Performs `task` against the server's accounts and store, for a client
/// at `ip` (the login guard counts password attempts by address).
pub async fn perform(state: &AppState, ip: IpAddr, task: Task) -> Done {
    match task {
        Task::Authenticate(Credential::Token(token)) => {
            Done::Authenticated(state.accounts.check_token(token.expose()).await)
        }
        Task::Authenticate(Credential::Password { username, password }) => Done::Authenticated(
            state
                .accounts
                .login_or_register(&username, password.expose(), ip)
                .await,
        ),
        Task::RoomId(room) if room.is_direct() => Done::RoomId(
            state
                .store
                .direct_room(&room)
                .await
                .map(|found| found.map(|direct| direct.id)),
        ),
        Task::RoomId(room) => Done::RoomId(state.store.ensure_room(&room).await.map(Some)),
        Task::DirectRoom(room) => Done::DirectRoom(state.store.direct_room(&room).await),
        Task::Markers(user_id) => Done::Markers(state.store.read_markers(user_id).await),
        Task::MarkRead {
            who,
            room,
            up_to,
            conn,
        } => Done::Marked(
            markers::mark(
                &state.store,
                &state.hub,
                (who.user_id, &who.username),
                &room,
                up_to,
                Some(conn),
            )
            .await,
        ),
        Task::JoinHistory { room_id, replay } => {
            let page = match replay {
                Replay::After(after) => state.store.history_after(room_id, after, MAX_RESUME).await,
                Replay::Latest => {
                    let size = state.config.history_size;
                    state.store.history_before(room_id, None, size).await
                }
            };
            Done::JoinHistory(page.map(|(page, has_more)| Replayed::encode(&page, has_more)))
        }
        Task::Page {
            room_id,
            before_id,
            limit,
        } => Done::Page(state.store.history_before(room_id, before_id, limit).await),
        Task::Changes { room_id, since } => {
            Done::Changes(state.store.changes_after(room_id, since).await)
        }
        Task::Change {
            id,
            user_id,
            change,
        } => Done::Changed(
            changes::apply(&state.store, &state.hub, id, user_id, change)
                .await
                .map(Box::new),
        ),
        Task::Search {
            reader,
            query,
            room,
            before_id,
            limit,
        } => Done::Found(
            state
                .store
                .search(reader, &query, room.as_ref(), before_id, limit)
                .await,
        ),
    }
}
