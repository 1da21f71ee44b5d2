//! `join`: authenticate (the first join of a connection), find the room,
//! register with the hub, then answer `welcome`, `history` and `presence`.
//!
//! Registering comes before reading history, and the history comes from
//! memory under the hub's lock when the room holds it, else from the
//! database after registering; the newest id the history held becomes the
//! room's watermark, and queued broadcasts at or below it are skipped
//! ([`Session::wants`]). Either way a join sees every message exactly once:
//! what committed before is in the history, what committed after arrives
//! live. Nothing drains the connection's queue while a join waits for the
//! database, because the pump performs tasks before anything else.

use sapa_protocol::{
    ClientKind, ErrorCode, ErrorRef, Join, Presence, RoomName, Secret, ServerMessage, Username,
    Welcome,
};
use time::OffsetDateTime;
use tungstenite::Utf8Bytes;

use super::{Awaiting, Done, Joined, Replies, Session, Step, Task, encode};
use crate::{
    accounts::{AuthError, Identity},
    chat::{HistoryFrame, Mailbox, Replay},
    persist::changes::change_frame,
    realtime::error::{Close, WsError},
    store::StoreError,
};

/// How a first join proves who it is.
#[derive(Debug)]
pub enum Credential {
    /// A token from the join, or else from the upgrade request.
    Token(Secret),
    /// A password: logs in, or registers the name on its first use.
    Password {
        username: Username,
        password: Secret,
    },
}

/// A join waiting for a task's outcome.
#[derive(Debug)]
pub(super) struct Pending {
    request: Join,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    /// Checking the credential of the connection's first join.
    Authenticating { by_token: bool },
    /// Authenticated; reading the user's read markers.
    LoadingMarkers { identity: Identity },
    /// Finding (or creating) the room's row.
    FindingRoom { room: RoomName },
    /// Registered; reading the history from the database.
    ReadingHistory {
        room: RoomName,
        room_id: i64,
        /// The connection was in the room before this join.
        rejoin: bool,
        replay: Replay,
        presence: Presence,
    },
    /// A resume's history is ready; reading the changes made since to the
    /// messages the client holds.
    ReadingChanges {
        room: RoomName,
        rejoin: bool,
        history: HistoryFrame,
        presence: Presence,
    },
}

/// A join whose history is in hand.
struct Ready {
    room: RoomName,
    room_id: i64,
    rejoin: bool,
    history: HistoryFrame,
    presence: Presence,
}

/// What a join's errors refer to.
fn join_ref() -> ErrorRef {
    ErrorRef::Frame(ClientKind::Join)
}

impl Session {
    pub(super) fn on_join(&mut self, request: Join, out: &mut Replies) -> Result<Step, WsError> {
        let Some(identity) = &self.identity else {
            let credential = self.credential(&request)?;
            let by_token = matches!(credential, Credential::Token(_));
            self.wait(request, Stage::Authenticating { by_token });
            return Ok(Step::Run(Task::Authenticate(credential)));
        };
        if let Some(named) = &request.username
            && !identity.username.same_account(named.as_str())
        {
            let why = format!(
                "this connection is {}; it cannot join as {named}",
                identity.username
            );
            return Err(WsError::new(ErrorCode::Forbidden, why).about(join_ref()));
        }
        self.enter(request, out)
    }

    /// The credential of a first join: its token, the upgrade's token, or
    /// its password.
    fn credential(&self, request: &Join) -> Result<Credential, WsError> {
        if let Some(token) = request.token.as_ref().or(self.upgrade_token.as_ref()) {
            return Ok(Credential::Token(token.clone()));
        }
        match (&request.username, &request.password) {
            (Some(username), Some(password)) => Ok(Credential::Password {
                username: username.clone(),
                password: password.clone(),
            }),
            (None, Some(_)) => Err(WsError::new(
                ErrorCode::Validation,
                "a join with a password needs a username",
            )
            .about(join_ref())
            .closing(Close::AUTH_FAILED)),
            (_, None) => Err(WsError::new(
                ErrorCode::Unauthorized,
                "join needs a password or a token",
            )
            .about(join_ref())
            .closing(Close::AUTH_FAILED)),
        }
    }

    /// Takes up a join where its task left it.
    pub(super) fn join_continues(
        &mut self,
        pending: Pending,
        done: Done,
        out: &mut Replies,
    ) -> Result<Step, WsError> {
        let Pending { request, stage } = pending;
        match (stage, done) {
            (Stage::Authenticating { by_token }, Done::Authenticated(identity)) => {
                let identity = identity
                    .and_then(|identity| {
                        // A token must be the named user's own, when a
                        // name is given at all.
                        let other = request
                            .username
                            .as_ref()
                            .is_some_and(|named| !identity.username.same_account(named.as_str()));
                        if by_token && other {
                            Err(AuthError::Denied("the token belongs to another user"))
                        } else {
                            Ok(identity)
                        }
                    })
                    .map_err(|error| {
                        WsError::from(error)
                            .about(join_ref())
                            .closing(Close::AUTH_FAILED)
                    })?;
                let user_id = identity.user_id;
                self.wait(request, Stage::LoadingMarkers { identity });
                Ok(Step::Run(Task::Markers(user_id)))
            }
            (Stage::LoadingMarkers { identity }, Done::Markers(markers)) => {
                let markers = markers.map_err(|error| {
                    WsError::from(error)
                        .about(join_ref())
                        .closing(Close::AUTH_FAILED)
                })?;
                let slot = self.rooms.hub().register_user(
                    self.conn,
                    &identity.username,
                    self.outbox.clone(),
                    markers,
                );
                self.user_slot = Some(slot);
                self.identity = Some(identity);
                self.enter(request, out)
            }
            (Stage::FindingRoom { room }, Done::RoomId(room_id)) => {
                let room_id = room_id.map_err(|error| WsError::from(error).about(join_ref()))?;
                let Some(room_id) = room_id else {
                    let why = format!("no such user in {room}");
                    return Err(WsError::new(ErrorCode::NotFound, why).about(join_ref()));
                };
                Ok(self.register(request, room, room_id, out))
            }
            (
                Stage::ReadingHistory {
                    room,
                    room_id,
                    rejoin,
                    replay,
                    presence,
                },
                Done::JoinHistory(page),
            ) => {
                let page = self.or_leave(&room, rejoin, page)?;
                if replay == Replay::Latest {
                    // Later joins of the room are answered from memory.
                    self.rooms.hub().offer_history(&room, &page);
                }
                let history = page.into_frame(&room);
                let ready = Ready {
                    room,
                    room_id,
                    rejoin,
                    history,
                    presence,
                };
                Ok(self.history_ready(request, ready, out))
            }
            (
                Stage::ReadingChanges {
                    room,
                    rejoin,
                    history,
                    presence,
                },
                Done::Changes(changes),
            ) => {
                let changes = self.or_leave(&room, rejoin, changes)?;
                let frames = changes
                    .iter()
                    .map(|(view, seq)| encode(&change_frame(view, *seq)));
                Ok(self.welcome(&request, room, history, frames, presence, out))
            }
            (stage, done) => {
                tracing::error!(
                    conn = self.conn,
                    ?stage,
                    ?done,
                    "a join got the wrong outcome"
                );
                Err(WsError::new(ErrorCode::Internal, "internal error").about(join_ref()))
            }
        }
    }

    /// An authenticated join: the room's id is known (the connection or the
    /// hub has it) or asked for.
    fn enter(&mut self, request: Join, out: &mut Replies) -> Result<Step, WsError> {
        let room = request
            .room
            .clone()
            .unwrap_or_else(|| self.default_room.clone());
        if !room.readable_by(self.username()) {
            let why = format!("{room} is not your conversation");
            return Err(WsError::new(ErrorCode::Forbidden, why).about(join_ref()));
        }
        let known = self
            .rooms
            .get(&room)
            .map(|joined| joined.room_id)
            .or_else(|| self.rooms.hub().room_id(&room));
        match known {
            Some(room_id) => Ok(self.register(request, room, room_id, out)),
            None => {
                self.wait(request, Stage::FindingRoom { room: room.clone() });
                Ok(Step::Run(Task::RoomId(room)))
            }
        }
    }

    /// Registers with the hub, then answers from memory or asks the
    /// database for the history.
    fn register(&mut self, request: Join, room: RoomName, room_id: i64, out: &mut Replies) -> Step {
        let rejoin = self.rooms.get(&room).is_some();
        let replay = request.since_id.map_or(Replay::Latest, Replay::After);
        let mailbox = Mailbox {
            username: self.username().clone(),
            outbox: self.outbox.clone(),
            listed: request.announce != Some(false),
        };
        let joined = Joined {
            room_id,
            seen_up_to: 0,
        };
        let entered = self.rooms.join(&room, room_id, mailbox, replay, joined);
        let Some(history) = entered.history else {
            let stage = Stage::ReadingHistory {
                room,
                room_id,
                rejoin,
                replay,
                presence: entered.presence,
            };
            self.wait(request, stage);
            return Step::Run(Task::JoinHistory { room_id, replay });
        };
        let ready = Ready {
            room,
            room_id,
            rejoin,
            history,
            presence: entered.presence,
        };
        self.history_ready(request, ready, out)
    }

    /// The history is in hand: a connection resuming the room (its first
    /// join of it here, with `since_id`) also needs the changes made since
    /// to the messages it holds; a rejoin of a room it is in hears them
    /// live.
    fn history_ready(&mut self, request: Join, ready: Ready, out: &mut Replies) -> Step {
        let Ready {
            room,
            room_id,
            rejoin,
            history,
            presence,
        } = ready;
        match request.since_id {
            Some(since) if !rejoin => {
                let stage = Stage::ReadingChanges {
                    room,
                    rejoin,
                    history,
                    presence,
                };
                self.wait(request, stage);
                Step::Run(Task::Changes { room_id, since })
            }
            _ => self.welcome(&request, room, history, [], presence, out),
        }
    }

    /// A database answer for a join, or the join undone: a connection that
    /// was not in the room before leaves it again.
    fn or_leave<T>(
        &mut self,
        room: &RoomName,
        rejoin: bool,
        answer: Result<T, StoreError>,
    ) -> Result<T, WsError> {
        answer.map_err(|error| {
            if !rejoin {
                self.rooms.leave(room);
            }
            WsError::from(error).about(join_ref())
        })
    }

    /// The frames that answer a join, in one write: welcome, history, the
    /// changes a resume missed, presence.
    fn welcome(
        &mut self,
        request: &Join,
        room: RoomName,
        history: HistoryFrame,
        changes: impl IntoIterator<Item = Utf8Bytes>,
        presence: Presence,
        out: &mut Replies,
    ) -> Step {
        let seen_up_to = history.last_id.or(request.since_id).unwrap_or(0);
        if let Some(joined) = self.rooms.get_mut(&room) {
            joined.seen_up_to = joined.seen_up_to.max(seen_up_to);
        }
        let username = self.username().clone();
        let read_up_to = self.rooms.hub().read_up_to(&username, &room);
        out.push(encode(&ServerMessage::Welcome(Welcome {
            content: format!("Welcome {username}!"),
            username,
            room,
            timestamp: OffsetDateTime::now_utc(),
            limits: self.settings.limits(),
            read_up_to,
        })));
        out.push(history.frame.into());
        out.extend(changes);
        out.push(encode(&ServerMessage::Presence(presence)));
        Step::Idle
    }

    fn wait(&mut self, request: Join, stage: Stage) {
        self.awaiting = Some(Awaiting::Join(Box::new(Pending { request, stage })));
    }
}
