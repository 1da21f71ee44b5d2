//! `message`: checks (who sends, which room, how fast), then the message goes
//! to the batching writer; the writer's answer comes back later as
//! [`Input::Stored`](super::Input::Stored) while the connection goes on.
//!
//! A direct message (`to`, or a `dm:` room by name) needs its room's row
//! and its recipient's spelling: asked of the database once per
//! conversation, then remembered by the session.
//!
//! A fresh message reaches its sender through the room's broadcast like
//! everyone else's, so its answer needs no reply; a retried `client_id` is
//! answered to its sender only, with the message stored the first time.

use std::time::Duration;

use sapa_protocol::{
    ClientId, ClientKind, ErrorCode, ErrorRef, RoomName, SendMessage, ServerMessage, Username,
};

use super::{Awaiting, KnownDirect, Replies, Session, Step, Task, encode};
use crate::{
    persist::WriteResult,
    realtime::{
        error::{Close, WsError},
        limits::Verdict,
    },
    store::{DirectRoom, NewMessage, StoreError},
};

/// What a message's errors refer to: its client_id, else the frame.
fn reference_of(message: &SendMessage) -> ErrorRef {
    message
        .client_id
        .as_ref()
        .map_or(ErrorRef::Frame(ClientKind::Message), |id| {
            ErrorRef::ClientId(id.to_string())
        })
}

impl Session {
    pub(super) fn on_send(&mut self, message: SendMessage) -> Result<Step, WsError> {
        let reference = reference_of(&message);
        let identity = self
            .identity
            .as_ref()
            .expect("frames other than join and ping wait for a join");
        if let Some(claimed) = &message.username
            && !identity.username.same_account(claimed)
        {
            let why = format!(
                "you are {}; you cannot send as {claimed}",
                identity.username
            );
            return Err(WsError::new(ErrorCode::Forbidden, why).about(reference));
        }
        let direct = match (&message.room, &message.to) {
            (Some(_), Some(_)) => {
                let why = "a message goes to a room or to a user (to), not both";
                return Err(WsError::new(ErrorCode::Validation, why).about(reference));
            }
            (None, Some(to)) => Some(RoomName::direct(&identity.username, to)),
            (Some(room), None) if room.is_direct() => {
                if !room.readable_by(&identity.username) {
                    let why = format!("{room} is not your conversation");
                    return Err(WsError::new(ErrorCode::Forbidden, why).about(reference));
                }
                Some(room.clone())
            }
            _ => None,
        };
        let Some(room) = direct else {
            let (room, room_id) = self
                .target(message.room.as_ref())
                .map_err(|why| WsError::new(ErrorCode::NotJoined, why).about(reference.clone()))?;
            self.check_rate(reference)?;
            return Ok(Step::Submit(self.new_message(message, room, room_id, None)));
        };
        self.check_rate(reference)?;
        match self.direct.iter().find(|known| known.room == room) {
            Some(known) => {
                let (room_id, peer) = (known.room_id, known.peer.clone());
                Ok(Step::Submit(self.new_message(
                    message,
                    room,
                    room_id,
                    Some(peer),
                )))
            }
            None => {
                self.awaiting = Some(Awaiting::Direct(Box::new(message)));
                Ok(Step::Run(Task::DirectRoom(room)))
            }
        }
    }

    /// A direct room is known (or its recipient has no account): the
    /// message waiting for it goes to the writer.
    pub(super) fn direct_found(
        &mut self,
        message: SendMessage,
        room: RoomName,
        found: Result<Option<DirectRoom>, StoreError>,
    ) -> Result<Step, WsError> {
        let reference = reference_of(&message);
        let found = found.map_err(|error| WsError::from(error).about(reference.clone()))?;
        let Some(found) = found else {
            let why = format!(
                "no user named {}",
                room.peer_of(self.username()).unwrap_or("?")
            );
            return Err(WsError::new(ErrorCode::NotFound, why).about(reference));
        };
        let peer = found.peer_of(self.username()).clone();
        self.direct.push(KnownDirect {
            room: room.clone(),
            room_id: found.id,
            peer: peer.clone(),
        });
        Ok(Step::Submit(self.new_message(
            message,
            room,
            found.id,
            Some(peer),
        )))
    }

    fn new_message(
        &self,
        message: SendMessage,
        room: RoomName,
        room_id: i64,
        to: Option<Username>,
    ) -> NewMessage {
        let identity = self
            .identity
            .as_ref()
            .expect("frames other than join and ping wait for a join");
        NewMessage {
            room_id,
            room,
            user_id: identity.user_id,
            username: identity.username.clone(),
            content: message.content,
            client_id: message.client_id,
            to,
        }
    }

    fn check_rate(&mut self, reference: ErrorRef) -> Result<(), WsError> {
        match self.limit.check() {
            Verdict::Allowed => {}
            Verdict::Refused(wait) => {
                crate::telemetry::rate_limited(crate::limits::LimitKind::Message.as_str());
                let why = format!(
                    "slow down: at most {} messages per second; this one was not stored",
                    self.settings.messages_per_second
                );
                return Err(WsError::rate_limited(why, wait).about(reference));
            }
            Verdict::Abusive => {
                crate::telemetry::rate_limited(crate::limits::LimitKind::Message.as_str());
                let why = "still sending after repeated rate_limited errors; closing";
                return Err(WsError::rate_limited(why, Duration::from_secs(1))
                    .about(reference)
                    .closing(Close::ABUSE));
            }
        }
        Ok(())
    }

    /// The writer's answer to a message this connection sent.
    pub(super) fn on_stored(
        &mut self,
        client_id: Option<ClientId>,
        result: WriteResult,
        out: &mut Replies,
    ) -> Result<Step, WsError> {
        match result {
            // Fresh messages reach this socket through the room's broadcast.
            Ok(stored) if stored.fresh => {}
            // A retry: the stored message goes to its sender only.
            Ok(stored) => out.push(encode(&ServerMessage::Message(stored.view))),
            Err(error) => {
                let error = WsError::from(error);
                return Err(match client_id {
                    Some(id) => error.about(ErrorRef::ClientId(id.into())),
                    None => error,
                });
            }
        }
        Ok(Step::Idle)
    }
}
