-- Read markers: how far each user has read each room or DM, synced across
-- their devices. A marker only moves forward. GET /conversations reads a
-- user's markers by the primary key and counts each room's unread messages
-- from the (room_id, id) index above the marker.
CREATE TABLE read_markers (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    up_to   BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
