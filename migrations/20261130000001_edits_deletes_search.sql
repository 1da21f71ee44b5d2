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

-- Search reads its own copy of the text of undeleted messages, with two GIN
-- indexes: whole words ('simple' full-text: no stemming, no stop words, so
-- any language that separates words with spaces) and trigrams (substrings
-- of three or more characters in any script, CJK included). The server's
-- indexer fills it from messages in batches, behind the message path: GIN
-- upkeep (and its occasional pending-list merge) never holds up a send.
-- Edits update the copy and deletes remove it in the same statement.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE message_search (
    id      BIGINT PRIMARY KEY REFERENCES messages (id),
    room_id BIGINT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX message_search_words ON message_search
    USING gin (to_tsvector('simple', content));
CREATE INDEX message_search_trigrams ON message_search
    USING gin (content gin_trgm_ops);
-- How far the indexer has come: every message up to this id is copied (or
-- was deleted). One row; the indexer locks it while it works.
CREATE TABLE search_progress (indexed_up_to BIGINT NOT NULL);
INSERT INTO search_progress VALUES (0);
