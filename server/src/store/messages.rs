//! The `messages` table: the batched insert used by the writer, and the
//! history queries (newest page, older pages, resume after an id). Every
//! statement is a static string; nothing is pasted into SQL at run time.

use std::collections::HashMap;

use sapa_protocol::{ClientId, Content, MessageView, RoomName, Username};
use sqlx::FromRow;
use time::OffsetDateTime;

use super::{
    Store, StoreError,
    views::{MessageRow, select_view},
};

/// A message waiting to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub room_id: i64,
    pub room: RoomName,
    pub user_id: i64,
    pub username: Username,
    pub content: Content,
    pub client_id: Option<ClientId>,
    /// In a direct room, the recipient.
    pub to: Option<Username>,
}

/// The outcome of storing one [`NewMessage`].
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub view: MessageView,
    /// False when the (user, client_id) was already stored: `view` is the
    /// earlier message, and nothing new was written.
    pub fresh: bool,
}

/// What storing a batch gave: each input's outcome, in input order, and
/// (with several writers) the newest id each of the batch's rooms had
/// before it, by room id: a node that has not delivered up to there has
/// missed another node's messages and reads them first (0: none).
#[derive(Debug, Clone, Default)]
pub struct Inserted {
    pub stored: Vec<StoredMessage>,
    pub before: HashMap<i64, i64>,
}

/// An input row the batched insert stored: its place in the batch (from 1)
/// and what the database gave it.
#[derive(FromRow)]
struct InsertedRow {
    ord: i64,
    id: i64,
    created_at: OffsetDateTime,
}

/// A stored message with its author's id, to match it to a retried send.
#[derive(FromRow)]
struct AuthoredRow {
    user_id: i64,
    #[sqlx(flatten)]
    message: MessageRow,
}

impl AuthoredRow {
    /// Whether this is the message stored under `key` (user_id, client_id).
    fn is_for(&self, (user_id, client_id): (i64, &str)) -> bool {
        self.user_id == user_id && self.message.client_id.as_deref() == Some(client_id)
    }
}

/// Stores a batch in input order and says which inputs it stored.
///
/// `input` gives every row its id up front, from the column's own sequence
/// (`messages_id_seq`), in input order: the subquery is sorted by ordinal
/// and `nextval` runs as its rows come out, so ids rise in input order and
/// each sender's messages keep theirs. The INSERT goes in the same order,
/// so of two inputs with the same (user_id, client_id) the first is stored
/// and the second conflicts. The RETURNING rows are joined back to `input`
/// by id (a hash join), giving each stored row its ordinal. Inputs that
/// conflicted consumed an id and left a gap, as a default would.
const INSERT_BATCH: &str = "
    WITH input AS (
        SELECT nextval('messages_id_seq') AS id, t.*
          FROM (SELECT *
                  FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::text[])
                       WITH ORDINALITY AS u(room_id, user_id, content, client_id, ord)
                 ORDER BY ord) t
    ), inserted AS (
        INSERT INTO messages (id, room_id, user_id, content, client_id)
        SELECT id, room_id, user_id, content, client_id FROM input ORDER BY ord
        ON CONFLICT (user_id, client_id) DO NOTHING
        RETURNING id, created_at
    )
    SELECT input.ord, inserted.id, inserted.created_at
      FROM input JOIN inserted USING (id)";

/// The messages stored under (user_id, client_id) pairs, with their authors.
const BY_CLIENT_ID: &str = select_view!(
    ", m.user_id",
    "WHERE (m.user_id, m.client_id) IN (SELECT * FROM UNNEST($1::int8[], $2::text[]))"
);

/// A page of a room before id `$2` (or the newest, when `$2` is null),
/// newest first; `$3` rows at most.
const PAGE_BEFORE: &str = select_view!(
    "WHERE m.room_id = $1 AND ($2::int8 IS NULL OR m.id < $2) ORDER BY m.id DESC LIMIT $3"
);

/// A page of a room after id `$2`, oldest first; `$3` rows at most.
/// The row locks a batch takes first with several writers (in id order, so
/// two batches never wait on each other in a circle).
const LOCK_ROOMS: &str = "SELECT id FROM rooms WHERE id = ANY($1) ORDER BY id FOR UPDATE";

/// Run after [`LOCK_ROOMS`], as a statement of its own, so its snapshot
/// sees every batch committed before the lock was granted.
const NEWEST_IN_ROOMS: &str = "SELECT r.id, COALESCE((SELECT max(m.id) FROM messages m WHERE m.room_id = r.id), 0) \
     FROM unnest($1::bigint[]) AS r(id)";

const PAGE_AFTER: &str =
    select_view!("WHERE m.room_id = $1 AND m.id > $2 ORDER BY m.id ASC LIMIT $3");

impl NewMessage {
    /// What makes a retry a retry: the author and the client's id for it.
    fn key(&self) -> Option<(i64, &str)> {
        Some((self.user_id, self.client_id.as_ref()?.as_str()))
    }

    /// This message as stored with `id` at `timestamp`.
    fn stored_as(&self, id: i64, timestamp: OffsetDateTime) -> MessageView {
        MessageView {
            id,
            room: self.room.clone(),
            username: self.username.clone(),
            content: self.content.clone().into(),
            timestamp,
            client_id: self.client_id.clone(),
            to: self.to.clone(),
            edited_at: None,
            deleted: false,
        }
    }
}

/// The first input of `batch` with the same key as input `at` (`at` itself
/// when it has none, or is the first).
fn first_with_key(batch: &[NewMessage], at: usize) -> usize {
    match batch[at].key() {
        Some(key) => batch[..at]
            .iter()
            .position(|earlier| earlier.key() == Some(key))
            .unwrap_or(at),
        None => at,
    }
}

/// A result the statements above cannot produce.
fn impossible() -> StoreError {
    StoreError::from(sqlx::Error::RowNotFound)
}

impl Store {
    /// Stores a batch in one statement and returns one outcome per input, in
    /// input order, with ids rising in input order. An input whose (user,
    /// client_id) is already stored (earlier, or earlier in this batch)
    /// comes back as the stored message, with its own room and content, and
    /// `fresh: false`.
    pub async fn insert_messages(&self, batch: &[NewMessage]) -> Result<Inserted, StoreError> {
        let (stored_now, before) = self.insert_batch(batch).await?;
        // An input not stored now repeats an earlier input of this batch,
        // or retries a message stored before: those are read back.
        let retried: Vec<(i64, &str)> = (0..batch.len())
            .filter(|&at| stored_now[at].is_none() && first_with_key(batch, at) == at)
            .map(|at| batch[at].key().ok_or_else(impossible))
            .collect::<Result<_, _>>()?;
        let mut earlier = if retried.is_empty() {
            Vec::new()
        } else {
            self.messages_by_client_id(&retried).await?
        };

        let mut outcomes: Vec<StoredMessage> = Vec::with_capacity(batch.len());
        for (at, input) in batch.iter().enumerate() {
            let outcome = match stored_now[at] {
                Some((id, created_at)) => StoredMessage {
                    view: input.stored_as(id, created_at),
                    fresh: true,
                },
                None => {
                    let first = first_with_key(batch, at);
                    let view = if first < at {
                        outcomes[first].view.clone()
                    } else {
                        // Each key is read back once: its message moves out.
                        let key = input.key().ok_or_else(impossible)?;
                        let found = earlier
                            .iter()
                            .position(|row| row.is_for(key))
                            .ok_or_else(impossible)?;
                        MessageView::from(earlier.swap_remove(found).message)
                    };
                    StoredMessage { view, fresh: false }
                }
            };
            outcomes.push(outcome);
        }
        Ok(Inserted {
            stored: outcomes,
            before,
        })
    }

    /// Runs [`INSERT_BATCH`]: for each input, its id and time if this
    /// statement stored it; with several writers, also each room's newest
    /// id before it.
    async fn insert_batch(
        &self,
        batch: &[NewMessage],
    ) -> Result<(Vec<Option<(i64, OffsetDateTime)>>, HashMap<i64, i64>), StoreError> {
        let room_ids: Vec<i64> = batch.iter().map(|m| m.room_id).collect();
        let user_ids: Vec<i64> = batch.iter().map(|m| m.user_id).collect();
        let contents: Vec<&str> = batch.iter().map(|m| m.content.as_str()).collect();
        let client_ids: Vec<Option<&str>> = batch
            .iter()
            .map(|m| m.client_id.as_ref().map(ClientId::as_str))
            .collect();
        let insert = sqlx::query_as::<_, InsertedRow>(INSERT_BATCH)
            .bind(&room_ids)
            .bind(&user_ids)
            .bind(&contents)
            .bind(&client_ids);
        let inserted = if self.ordered {
            // Another writer's batch in the same room waits here until this
            // one commits, so it takes its ids after ours are committed.
            let mut rooms = room_ids.clone();
            rooms.sort_unstable();
            rooms.dedup();
            let mut tx = self.pool.begin().await?;
            sqlx::query(LOCK_ROOMS)
                .bind(&rooms)
                .execute(&mut *tx)
                .await?;
            let newest: Vec<(i64, i64)> = sqlx::query_as(NEWEST_IN_ROOMS)
                .bind(&rooms)
                .fetch_all(&mut *tx)
                .await?;
            let inserted = insert.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            (inserted, newest.into_iter().collect())
        } else {
            (insert.fetch_all(&self.pool).await?, HashMap::new())
        };
        let (inserted, before) = inserted;
        let mut stored_now = vec![None; batch.len()];
        for row in inserted {
            let slot = usize::try_from(row.ord - 1)
                .ok()
                .and_then(|at| stored_now.get_mut(at))
                .ok_or_else(impossible)?;
            *slot = Some((row.id, row.created_at));
        }
        Ok((stored_now, before))
    }

    /// The stored messages for (user, client_id) pairs.
    async fn messages_by_client_id(
        &self,
        keys: &[(i64, &str)],
    ) -> Result<Vec<AuthoredRow>, StoreError> {
        let user_ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let client_ids: Vec<&str> = keys.iter().map(|k| k.1).collect();
        let rows = sqlx::query_as::<_, AuthoredRow>(BY_CLIENT_ID)
            .bind(&user_ids)
            .bind(&client_ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows)
    }

    /// Up to `limit` messages of a room older than `before_id` (or the
    /// newest ones), oldest first, and whether older ones exist.
    pub async fn history_before(
        &self,
        room_id: i64,
        before_id: Option<i64>,
        limit: u16,
    ) -> Result<(Vec<MessageView>, bool), StoreError> {
        let (mut page, has_more) = self.page(PAGE_BEFORE, room_id, before_id, limit).await?;
        page.reverse();
        Ok((page, has_more))
    }

    /// Up to `limit` messages of a room with ids above `after_id`, oldest
    /// first, and whether more follow: what a resuming client missed.
    pub async fn history_after(
        &self,
        room_id: i64,
        after_id: i64,
        limit: u16,
    ) -> Result<(Vec<MessageView>, bool), StoreError> {
        self.page(PAGE_AFTER, room_id, Some(after_id), limit).await
    }

    /// One page of a room by `statement` ([`PAGE_BEFORE`] or
    /// [`PAGE_AFTER`]), and whether the page was cut short.
    async fn page(
        &self,
        statement: &'static str,
        room_id: i64,
        id: Option<i64>,
        limit: u16,
    ) -> Result<(Vec<MessageView>, bool), StoreError> {
        let mut rows = sqlx::query_as::<_, MessageRow>(statement)
            .bind(room_id)
            .bind(id)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let has_more = rows.len() > usize::from(limit);
        rows.truncate(usize::from(limit));
        Ok((rows.into_iter().map(MessageView::from).collect(), has_more))
    }
}
