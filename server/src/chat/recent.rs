//! A room's newest messages in memory, and the history a join replays.
//!
//! Each room with members keeps its newest messages (as many as a join
//! replays), fed by the broadcast that follows each commit, so joins read
//! their history from here instead of the database. Until a room's first
//! joiner has read the newest page from the database and handed it over
//! ([`Recent::offer`]), the room cannot answer from memory and joins read
//! the database. Every message is encoded once ([`EncodedMessage`]) and the
//! same bytes go to every recipient and into every history frame.

use std::{collections::VecDeque, sync::Arc};

use sapa_protocol::{MessageView, RoomName, history_frame_json};
use tungstenite::Utf8Bytes;

/// A stored message, encoded once for every recipient.
#[derive(Debug)]
pub struct EncodedMessage {
    pub room: RoomName,
    pub id: i64,
    pub frame: Utf8Bytes,
}

impl EncodedMessage {
    /// Encodes a stored message as its `message` frame.
    pub fn new(view: &MessageView) -> Arc<Self> {
        Arc::new(Self {
            room: view.room.clone(),
            id: view.id,
            frame: Utf8Bytes::from(view.to_frame_json()),
        })
    }
}

/// What a join asks to be replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The newest messages (as many as the hub keeps per room).
    Latest,
    /// Everything after this id.
    After(i64),
}

/// A join's `history` frame, ready to send.
#[derive(Debug)]
pub struct HistoryFrame {
    /// The `history` frame.
    pub frame: String,
    /// The newest id in it.
    pub last_id: Option<i64>,
}

/// A join's history, each message encoded once: taken from memory (shared
/// pointers, so the hub's lock is held only while they are copied, not
/// while the frame is assembled) or read from the database.
#[derive(Debug)]
pub struct Replayed {
    messages: Vec<Arc<EncodedMessage>>,
    has_more: bool,
}

impl Replayed {
    /// A page read from the database, oldest first.
    pub fn encode(page: &[MessageView], has_more: bool) -> Self {
        Self {
            messages: page.iter().map(EncodedMessage::new).collect(),
            has_more,
        }
    }

    /// The `history` frame, assembled from the encoded messages.
    pub fn into_frame(self, room: &RoomName) -> HistoryFrame {
        let frames = self.messages.iter().map(|m| m.frame.as_str());
        HistoryFrame {
            last_id: self.messages.last().map(|m| m.id),
            frame: history_frame_json(room, frames, self.has_more),
        }
    }
}

/// The newest messages of a room, oldest first, each as it now reads
/// (edits and deletes applied).
#[derive(Debug, Default)]
pub struct Recent {
    messages: VecDeque<Arc<EncodedMessage>>,
    /// Whether the database holds older messages than these.
    older: bool,
    /// Whether these are known to be the room's newest. Until then every
    /// broadcast is still collected, for [`Recent::offer`] to merge.
    loaded: bool,
    /// Until loaded: messages changed since the room appeared, as they now
    /// read. The page offered may have been read before a change; these
    /// are laid over it.
    changed: Vec<Arc<EncodedMessage>>,
}

impl Recent {
    /// Adds the newest message, keeping at most `keep`.
    pub fn push(&mut self, message: Arc<EncodedMessage>, keep: usize) {
        self.messages.push_back(message);
        if self.messages.len() > keep {
            self.messages.pop_front();
            self.older = true;
        }
    }

    /// Whether message `id` is here, or older than everything kept (and so
    /// already delivered).
    pub fn holds(&self, id: i64) -> bool {
        if self.loaded && self.older && self.messages.front().is_some_and(|m| id < m.id) {
            return true;
        }
        self.messages.iter().rev().any(|m| m.id == id)
    }

    /// The id everything up to which is here: the newest kept, 0 for a room
    /// known to be empty, `None` until the room's first page is loaded.
    pub fn mark(&self) -> Option<i64> {
        match self.messages.iter().map(|m| m.id).max() {
            Some(id) => Some(id),
            None => self.loaded.then_some(0),
        }
    }

    /// The history `replay` asks for, if these messages hold all of it.
    pub fn replay(&self, replay: Replay) -> Option<Replayed> {
        if !self.loaded {
            return None;
        }
        let (from, has_more) = match replay {
            Replay::Latest => (0, self.older),
            Replay::After(after) => {
                // Everything after `after` is here if nothing older is
                // missing, or if the oldest kept follows it directly.
                let whole = !self.older
                    || self
                        .messages
                        .front()
                        .is_some_and(|oldest| after >= oldest.id - 1);
                if !whole {
                    return None;
                }
                (self.messages.partition_point(|m| m.id <= after), false)
            }
        };
        Some(Replayed {
            messages: self.messages.range(from..).cloned().collect(),
            has_more,
        })
    }

    /// A message now reads as `message` (edited or deleted): the kept copy
    /// is replaced, so a join served from memory never shows stale text.
    pub fn change(&mut self, message: Arc<EncodedMessage>) {
        if let Ok(at) = self.messages.binary_search_by_key(&message.id, |m| m.id) {
            self.messages[at] = message.clone();
        }
        if !self.loaded {
            self.changed.push(message);
        }
    }

    /// Takes the newest page read from the database (as many messages as
    /// are kept, or all there are) after the room appeared. The first offer
    /// makes the room servable from memory; later ones change nothing.
    pub fn offer(&mut self, page: &Replayed, keep: usize) {
        if self.loaded {
            return;
        }
        // What was broadcast since the room appeared and is newer than the
        // page: the page was read after that, so together they miss nothing.
        let newest = page.messages.last().map_or(0, |m| m.id);
        let collected = std::mem::take(&mut self.messages);
        self.older |= page.has_more;
        for message in page
            .messages
            .iter()
            .cloned()
            .chain(collected.into_iter().filter(|m| m.id > newest))
        {
            self.push(message, keep);
        }
        self.loaded = true;
        for message in std::mem::take(&mut self.changed) {
            self.change(message);
        }
    }
}
