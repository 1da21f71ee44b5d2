//! Search: messages matching a query, newest first, never deleted ones;
//! and the indexer's batch that copies new messages into what search reads.
//!
//! Two ways to match, either one enough: whole words through full-text
//! search (the `simple` configuration, so no stemming and no stop words:
//! it works for any language that separates words with spaces; the query
//! in `websearch_to_tsquery` syntax: quotes, `-word`, `or`), and the query
//! as a substring of three or more characters through trigrams, which is
//! what finds text in scripts without spaces (CJK). Both are GIN indexes on
//! `message_search`, a copy of the text of undeleted messages that the
//! indexer (`persist/indexer.rs`) fills behind the message path (see the
//! migration); the few messages it has not copied yet are searched where
//! they are, so nothing stored is ever missing from the results. The search statement is planned for each query's own text
//! (not a generic plan), so the planner can read trigrams off the pattern
//! and use the index.

use sapa_protocol::{MessageView, RoomName, SearchQuery};

use super::{
    Store, StoreError,
    views::{MessageRow, select_view},
};

/// Matches of `$1` (words) or `$4` (a LIKE pattern, or null for no
/// substring match), in the room named `$2` or any, below id `$3` if given;
/// the newest `$5`, only from rooms user `$7` may read (public ones and
/// the user's own direct rooms); `$6` is the indexer's mark.
///
/// Each way of matching is its own branch, ordered and limited before any
/// join, so the planner picks per branch between the GIN index's matches
/// sorted (right for a rare word) and the copy read backwards by id until a
/// page is full (right for a common one; each row's words are stored, see
/// the migration); one branch with an `OR` of the two can only do the
/// second well (170 ms for a Japanese phrase at a million messages, seconds
/// for a rare word). The last branch is the messages above the mark, which the indexer
/// has not reached yet (a few, read by id), so a message is found the
/// moment it is stored. The mark is a value, not a subquery, so that the
/// planner knows that branch is small: for a subquery's unknown value it
/// guesses a third of the table and starts parallel workers, 15 ms on every
/// search. The message itself must not be deleted (the copy is cleaned in
/// the delete's own statement; this is for the tail).
const SEARCH: &str = select_view!(
    "WHERE m.id IN (
         (SELECT s.id FROM message_search s
           WHERE ($2::text IS NULL OR s.room_id = (SELECT id FROM rooms WHERE name = $2))
             AND ($3::int8 IS NULL OR s.id < $3)
             AND EXISTS (SELECT 1 FROM rooms d WHERE d.id = s.room_id
                          AND (d.dm_user_a IS NULL OR $7 IN (d.dm_user_a, d.dm_user_b)))
             AND s.words @@ websearch_to_tsquery('simple', $1)
           ORDER BY s.id DESC LIMIT $5)
         UNION ALL
         (SELECT s.id FROM message_search s
           WHERE $4::text IS NOT NULL
             AND ($2::text IS NULL OR s.room_id = (SELECT id FROM rooms WHERE name = $2))
             AND ($3::int8 IS NULL OR s.id < $3)
             AND EXISTS (SELECT 1 FROM rooms d WHERE d.id = s.room_id
                          AND (d.dm_user_a IS NULL OR $7 IN (d.dm_user_a, d.dm_user_b)))
             AND s.content ILIKE $4
           ORDER BY s.id DESC LIMIT $5)
         UNION ALL
         (SELECT t.id FROM messages t
           WHERE t.id > $6
             AND t.deleted_at IS NULL
             AND ($2::text IS NULL OR t.room_id = (SELECT id FROM rooms WHERE name = $2))
             AND ($3::int8 IS NULL OR t.id < $3)
             AND EXISTS (SELECT 1 FROM rooms d WHERE d.id = t.room_id
                          AND (d.dm_user_a IS NULL OR $7 IN (d.dm_user_a, d.dm_user_b)))
             AND (to_tsvector('simple', t.content) @@ websearch_to_tsquery('simple', $1)
                  OR ($4::text IS NOT NULL AND t.content ILIKE $4))
           ORDER BY t.id DESC LIMIT $5))
       AND m.deleted_at IS NULL
     ORDER BY m.id DESC LIMIT $5"
);

/// How far the indexer has come (see [`SEARCH`]).
const INDEXED_UP_TO: &str = "SELECT indexed_up_to FROM search_progress";

/// Whether the database's trigrams see letters of scripts without spaces:
/// under the C locale pg_trgm takes only ASCII letters and digits for
/// word characters, so a Japanese query has no trigrams and its substring
/// match reads every row instead of the index.
const TRIGRAMS_SEE_CJK: &str = "SELECT cardinality(show_trgm('日本語')) > 0";

/// Copies up to `$1` messages after the indexer's mark into the search
/// copy (deleted ones are skipped) and moves the mark; how many it took.
/// The messages are read `FOR SHARE`, so an edit or delete in flight either
/// lands first (and its text is copied) or waits for the copy (and then
/// updates it). The mark is compared as a scalar subquery, so it bounds the
/// primary-key scan; joined to the CTE instead, it was a filter over every
/// message ever stored, on each run (100 ms at 90,000 messages).
#[doc(hidden)] // public for the test that reads its plan
pub const INDEX_BATCH: &str = "
    WITH progress AS (
        SELECT indexed_up_to FROM search_progress FOR UPDATE
    ), batch AS (
        SELECT m.id, m.room_id, m.content, m.deleted_at
          FROM messages m
         WHERE m.id > (SELECT indexed_up_to FROM progress)
         ORDER BY m.id LIMIT $1
           FOR SHARE OF m
    ), copied AS (
        INSERT INTO message_search (id, room_id, content)
        SELECT id, room_id, content FROM batch WHERE deleted_at IS NULL
        ON CONFLICT (id) DO NOTHING
    ), moved AS (
        UPDATE search_progress SET indexed_up_to = (SELECT max(id) FROM batch)
         WHERE EXISTS (SELECT 1 FROM batch)
    )
    SELECT count(*) FROM batch";

/// Shortest query matched as a substring: trigrams need three characters.
const SUBSTRING_MIN: usize = 3;

/// Whether `text` uses `websearch_to_tsquery` syntax (a quoted phrase, an
/// excluded `-word`, `or`): then it is a query about words, and the same
/// text taken as a literal substring would find the very words it excludes.
fn has_word_syntax(text: &str) -> bool {
    text.contains('"')
        || text
            .split_whitespace()
            .any(|word| word.starts_with('-') || word.eq_ignore_ascii_case("or"))
}

/// The `ILIKE` pattern that finds `text` anywhere, its own `%`, `_` and
/// `\` taken literally.
fn substring_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Copies up to `most` not yet indexed messages into the search copy;
    /// how many it took (fewer than `most`: all are indexed now).
    ///
    /// The mark only moves forward, so this relies on messages committing
    /// in id order, which one node's single writer gives.
    pub async fn index_batch(&self, most: i64) -> Result<i64, StoreError> {
        let (taken,): (i64,) = sqlx::query_as(INDEX_BATCH)
            .bind(most)
            .fetch_one(&self.pool)
            .await?;
        Ok(taken)
    }

    /// Up to `limit` undeleted messages matching `query`, newest first, in
    /// `room` or every room user `reader` may read, older than `before_id`
    /// if given; and whether there are more.
    pub async fn search(
        &self,
        reader: i64,
        query: &SearchQuery,
        room: Option<&RoomName>,
        before_id: Option<i64>,
        limit: u16,
    ) -> Result<(Vec<MessageView>, bool), StoreError> {
        let text = query.as_str().trim();
        let pattern = (text.chars().count() >= SUBSTRING_MIN && !has_word_syntax(text))
            .then(|| substring_pattern(text));
        // Read first: a message the indexer copies meanwhile is then in two
        // branches, and `IN` counts it once; none can fall between them.
        let indexed_up_to: i64 = sqlx::query_scalar(INDEXED_UP_TO)
            .fetch_one(&self.pool)
            .await?;
        let mut rows = sqlx::query_as::<_, MessageRow>(SEARCH)
            .bind(text)
            .bind(room.map(RoomName::as_str))
            .bind(before_id)
            .bind(pattern)
            .bind(i64::from(limit) + 1)
            .bind(indexed_up_to)
            .bind(reader)
            // An unnamed statement: planned with this query's own values.
            .persistent(false)
            .fetch_all(&self.pool)
            .await?;
        let has_more = rows.len() > usize::from(limit);
        rows.truncate(usize::from(limit));
        Ok((rows.into_iter().map(MessageView::from).collect(), has_more))
    }

    /// Whether substring search in scripts without spaces can use the
    /// trigram index here (see [`TRIGRAMS_SEE_CJK`]); it finds the same
    /// messages either way, only slower without.
    pub async fn trigrams_see_cjk(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(TRIGRAMS_SEE_CJK)
            .fetch_one(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_syntax_is_told_from_plain_text() {
        for query in [
            "\"deploy failed\"",
            "deploy -staging",
            "deploy or release",
            "deploy OR x",
        ] {
            assert!(has_word_syntax(query), "{query}");
        }
        for query in ["deploy failed", "e-mail", "東京で会い", "origin", "50%"] {
            assert!(!has_word_syntax(query), "{query}");
        }
    }

    #[test]
    fn a_substring_pattern_takes_like_wildcards_literally() {
        assert_eq!(substring_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(substring_pattern("日本語"), "%日本語%");
    }
}
