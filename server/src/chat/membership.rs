//! A connection's rooms, left automatically: whatever ends a connection
//! (close, error, kick, shutdown), leaving happens here, when the
//! [`Membership`] is dropped.

use sapa_protocol::RoomName;

use super::hub::{ConnId, Entered, Hub, Mailbox};
use super::recent::Replay;

/// A connection's rooms, each with whatever the connection keeps about it
/// (`T`). The rooms keep the order they were joined in; the first is where
/// frames naming no room go.
pub struct Membership<T> {
    hub: Hub,
    conn: ConnId,
    rooms: Vec<(RoomName, T)>,
}

impl<T> Membership<T> {
    /// No rooms yet.
    pub fn new(hub: Hub, conn: ConnId) -> Self {
        Self {
            hub,
            conn,
            rooms: Vec::new(),
        }
    }

    /// The hub these rooms are in.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Joins `room` (see [`Hub::join`]). `data` is kept for a room not
    /// joined before; a room already joined keeps its own.
    pub fn join(
        &mut self,
        room: &RoomName,
        room_id: i64,
        mailbox: Mailbox,
        replay: Replay,
        data: T,
    ) -> Entered {
        let entered = self.hub.join(room, room_id, self.conn, mailbox, replay);
        if self.get(room).is_none() {
            // Room for one more, not four: most connections are in one room
            // for their whole life, and every idle one keeps this.
            self.rooms.reserve_exact(1);
            self.rooms.push((room.clone(), data));
        }
        entered
    }

    /// Leaves one room; what was kept for it, if the connection was in it.
    pub fn leave(&mut self, room: &RoomName) -> Option<T> {
        let at = self.rooms.iter().position(|(name, _)| name == room)?;
        let (_, data) = self.rooms.remove(at);
        self.hub.leave(room, self.conn);
        Some(data)
    }

    /// Leaves every room.
    pub fn leave_all(&mut self) {
        for (room, _) in std::mem::take(&mut self.rooms) {
            self.hub.leave(&room, self.conn);
        }
    }

    /// What is kept for `room`, if joined.
    pub fn get(&self, room: &RoomName) -> Option<&T> {
        self.rooms
            .iter()
            .find(|(name, _)| name == room)
            .map(|(_, data)| data)
    }

    /// The same, to change.
    pub fn get_mut(&mut self, room: &RoomName) -> Option<&mut T> {
        self.rooms
            .iter_mut()
            .find(|(name, _)| name == room)
            .map(|(_, data)| data)
    }

    /// The room joined first.
    pub fn first(&self) -> Option<(&RoomName, &T)> {
        self.rooms.first().map(|(name, data)| (name, data))
    }

    /// The rooms joined, in the order they were joined.
    pub fn rooms(&self) -> impl Iterator<Item = &RoomName> {
        self.rooms.iter().map(|(name, _)| name)
    }
}

impl<T> Drop for Membership<T> {
    fn drop(&mut self) {
        self.leave_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Outbox;

    #[test]
    fn dropping_a_membership_leaves_every_room() {
        let hub = Hub::new(2, 500);
        let mailbox = Mailbox {
            username: "carol".parse().unwrap(),
            outbox: Outbox::new(4),
            listed: true,
        };
        {
            let mut membership = Membership::new(hub.clone(), 1);
            membership.join(
                &"a".parse().unwrap(),
                1,
                mailbox.clone(),
                Replay::Latest,
                (),
            );
            membership.join(&"b".parse().unwrap(), 2, mailbox, Replay::Latest, ());
            assert_eq!(hub.online(None).len(), 1);
        }
        assert!(hub.online(None).is_empty());
        assert!(hub.online_counts().is_empty());
    }
}
