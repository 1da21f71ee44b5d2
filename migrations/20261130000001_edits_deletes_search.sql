-- Edits and deletes, and search.
--
-- A message keeps only its latest text: an edit overwrites it, a delete
-- erases it (the row stays as a tombstone). change_seq is the message's
-- latest change's place in the room's stream, taken from the same sequence
-- as message ids, so a client that saw everything up to id N finds every
-- change made since with change_seq > N.
ALTER TABLE messages
    ADD COLUMN edited_at  TIMESTAMPTZ,
    ADD COLUMN deleted_at TIMESTAMPTZ,
    ADD COLUMN change_seq BIGINT;
CREATE INDEX messages_room_change_seq ON messages (room_id, change_seq)
    WHERE change_seq IS NOT NULL;

-- Search: whole words in any language that separates them with spaces
-- ('simple': no stemming, no stop words), and substrings of three or more
-- characters in any script (trigrams). Deleted messages are never found.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_content_words ON messages
    USING gin (to_tsvector('simple', content)) WHERE deleted_at IS NULL;
CREATE INDEX messages_content_trigrams ON messages
    USING gin (content gin_trgm_ops) WHERE deleted_at IS NULL;
