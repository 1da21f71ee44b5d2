//! `message`: checks (who sends, which room, how fast), then the message goes
//! to the batching writer; the writer's answer comes back later as
//! [`Input::Stored`](super::Input::Stored) while the connection goes on.
//!
//! A fresh message reaches its sender through the room's broadcast like
//! everyone else's, so its answer needs no reply; a retried `client_id` is
//! answered to its sender only, with the message stored the first time.

use std::time::Duration;

use sapa_protocol::{ClientId, ClientKind, ErrorCode, ErrorRef, SendMessage, ServerMessage};

use super::{Replies, Session, Step, encode};
use crate::{
    persist::WriteResult,
    realtime::{
        error::{Close, WsError},
        limits::Verdict,
    },
    store::NewMessage,
};

impl Session {
    pub(super) fn on_send(&mut self, message: SendMessage) -> Result<Step, WsError> {
        let reference = message
            .client_id
            .as_ref()
            .map_or(ErrorRef::Frame(ClientKind::Message), |id| {
                ErrorRef::ClientId(id.to_string())
            });
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
        let (room, room_id) = self
            .target(message.room.as_ref())
            .map_err(|why| WsError::new(ErrorCode::NotJoined, why).about(reference.clone()))?;
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
        Ok(Step::Submit(NewMessage {
            room_id,
            room,
            user_id: identity.user_id,
            username: identity.username.clone(),
            content: message.content,
            client_id: message.client_id,
        }))
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
