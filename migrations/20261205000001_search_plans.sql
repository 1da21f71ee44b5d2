-- Search plans that hold at a million messages and more.
--
-- A search reads its newest matches one of two ways: the GIN index's whole
-- set of matches, sorted (right for a rare word), or the copy backwards by
-- id, testing each row, until a page is full (right for a common one).
--
-- The words of each row are stored beside its text, so that testing a row
-- reads them instead of parsing the text again: the backward walk for a
-- word in one message of 400 read 22,000 rows at about 4 microseconds each
-- to parse them. Edits keep them current (a generated column).
ALTER TABLE message_search
    ADD COLUMN words tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
DROP INDEX message_search_words;
CREATE INDEX message_search_words ON message_search USING gin (words);
-- The planner chooses between the two by how common it thinks each word
-- is, read off the column's statistics: with the default target they hold
-- the thousand commonest words, and a mid-frequency word off that list
-- would be taken for a rare one. Ten times as many keeps the choice right
-- for a working vocabulary, for a slightly longer ANALYZE.
ALTER TABLE message_search ALTER COLUMN words SET STATISTICS 1000;
-- Searching one room: its matches backwards by id, without visiting the
-- other rooms' rows.
CREATE INDEX message_search_room_id ON message_search (room_id, id);
