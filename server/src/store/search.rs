//! Search: messages matching a query, newest first, never deleted ones.
//!
//! Two ways to match, either one enough: whole words through full-text
//! search (the `simple` configuration, so no stemming and no stop words:
//! it works for any language that separates words with spaces; the query
//! in `websearch_to_tsquery` syntax: quotes, `-word`, `or`), and the query
//! as a substring of three or more characters through trigrams, which is
//! what finds text in scripts without spaces (CJK). Both are GIN indexes
//! over undeleted messages (see the migration). The statement is planned
//! for each query's own text (not a generic plan), so the planner can read
//! trigrams off the pattern and use the index.

use sapa_protocol::{MessageView, RoomName, SearchQuery};

use super::{
    Store, StoreError,
    views::{MessageRow, select_view},
};

/// Matches of `$1` (words) or `$4` (a LIKE pattern, or null for no
/// substring match), in the room named `$2` or any, below id `$3` if given;
/// `$5` rows at most, newest first.
const SEARCH: &str = select_view!(
    "WHERE m.deleted_at IS NULL
       AND ($2::text IS NULL OR r.name = $2)
       AND ($3::int8 IS NULL OR m.id < $3)
       AND (to_tsvector('simple', m.content) @@ websearch_to_tsquery('simple', $1)
            OR ($4::text IS NOT NULL AND m.content ILIKE $4))
     ORDER BY m.id DESC LIMIT $5"
);

/// Shortest query matched as a substring: trigrams need three characters.
const SUBSTRING_MIN: usize = 3;

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
    /// Up to `limit` undeleted messages matching `query`, newest first, in
    /// `room` or every room, older than `before_id` if given; and whether
    /// there are more.
    pub async fn search(
        &self,
        query: &SearchQuery,
        room: Option<&RoomName>,
        before_id: Option<i64>,
        limit: u16,
    ) -> Result<(Vec<MessageView>, bool), StoreError> {
        let text = query.as_str().trim();
        let pattern = (text.chars().count() >= SUBSTRING_MIN).then(|| substring_pattern(text));
        let mut rows = sqlx::query_as::<_, MessageRow>(SEARCH)
            .bind(text)
            .bind(room.map(RoomName::as_str))
            .bind(before_id)
            .bind(pattern)
            .bind(i64::from(limit) + 1)
            // An unnamed statement: planned with this query's own values.
            .persistent(false)
            .fetch_all(&self.pool)
            .await?;
        let has_more = rows.len() > usize::from(limit);
        rows.truncate(usize::from(limit));
        Ok((rows.into_iter().map(MessageView::from).collect(), has_more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_substring_pattern_takes_like_wildcards_literally() {
        assert_eq!(substring_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(substring_pattern("日本語"), "%日本語%");
    }
}
