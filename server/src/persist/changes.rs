//! Edits and deletes: the one path by which a stored message changes. The
//! change is committed first, then the room hears it (`edited` or
//! `deleted`, with the change's `seq`) and the hub's recent history takes
//! the new form, as with messages: a change anyone saw is in the database.
//! The WebSocket's `edit`/`delete` and REST's `PATCH`/`DELETE
//! /messages/{id}` both come here.

use sapa_protocol::{Content, Deleted, Edited, MessageView, ServerMessage};
use tungstenite::Utf8Bytes;

use crate::{
    chat::Hub,
    store::{Changed, Store, StoreError},
};

/// What to do to a message.
#[derive(Debug, Clone)]
pub enum Change {
    Edit(Content),
    Delete,
}

/// Why a change was not made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChangeError {
    /// No such message, or it is deleted already.
    #[error("no such message")]
    NotFound,
    /// Only a message's author may change it.
    #[error("only its author may change a message")]
    NotAuthor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A change made: the message as it now reads, and the frame the room got.
#[derive(Debug, Clone)]
pub struct Applied {
    pub view: MessageView,
    pub frame: ServerMessage,
}

/// Makes `change` to message `id` on behalf of `user_id`, then tells its
/// room.
pub async fn apply(
    store: &Store,
    hub: &Hub,
    id: i64,
    user_id: i64,
    change: Change,
) -> Result<Applied, ChangeError> {
    let changed = match &change {
        Change::Edit(content) => store.edit_message(id, user_id, content).await?,
        Change::Delete => store.delete_message(id, user_id).await?,
    };
    let (view, seq) = match changed {
        Changed::Done { view, seq } => (view, seq),
        Changed::NotFound => return Err(ChangeError::NotFound),
        Changed::NotAuthor => return Err(ChangeError::NotAuthor),
    };
    let frame = change_frame(&view, seq);
    hub.changed(&view, seq, Utf8Bytes::from(frame.to_json()));
    Ok(Applied { view, frame })
}

/// The frame that tells a message's room it now reads as `view`: `deleted`
/// for a tombstone, else `edited`.
pub fn change_frame(view: &MessageView, seq: i64) -> ServerMessage {
    if view.deleted {
        return ServerMessage::Deleted(Deleted {
            room: view.room.clone(),
            id: view.id,
            seq,
        });
    }
    let content = Content::parse(view.content.as_str().to_owned())
        .expect("an undeleted message's text is valid content");
    ServerMessage::Edited(Edited {
        room: view.room.clone(),
        id: view.id,
        content,
        edited_at: view.edited_at.unwrap_or(view.timestamp),
        seq,
    })
}
