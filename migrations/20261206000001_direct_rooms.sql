-- Direct conversations: a room named dm:a:b knows its two participants, so
-- a message view can name its recipient, search can keep others' DMs out,
-- and a user's DMs are found from an index. Both are null for a public room;
-- a note to oneself has the same user twice.
ALTER TABLE rooms
    ADD COLUMN dm_user_a BIGINT REFERENCES users (id),
    ADD COLUMN dm_user_b BIGINT REFERENCES users (id),
    ADD CONSTRAINT rooms_dm_both CHECK ((dm_user_a IS NULL) = (dm_user_b IS NULL));
CREATE INDEX rooms_dm_user_a ON rooms (dm_user_a) WHERE dm_user_a IS NOT NULL;
CREATE INDEX rooms_dm_user_b ON rooms (dm_user_b) WHERE dm_user_b IS NOT NULL;
