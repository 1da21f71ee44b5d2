//! The `messages` table: the batched insert used by the writer, and the
//! history queries (newest page, older pages, resume after an id).

use std::collections::HashMap;

use sapa_protocol::{ClientId, Content, MessageView, RoomName, Username};
use sqlx::FromRow;
use time::OffsetDateTime;

use super::{Store, StoreError};

/// A message waiting to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub room_id: i64,
    pub room: RoomName,
    pub user_id: i64,
    pub username: Username,
    pub content: Content,
    pub client_id: Option<ClientId>,
}

/// The outcome of storing one [`NewMessage`].
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub view: MessageView,
    /// False when the (user, client_id) was already stored: `view` is the
    /// earlier message, and nothing new was written.
    pub fresh: bool,
}

#[derive(FromRow)]
struct InsertedRow {
    id: i64,
    user_id: i64,
    client_id: Option<String>,
    created_at: OffsetDateTime,
}

#[derive(FromRow)]
struct MessageRow {
    id: i64,
    #[sqlx(try_from = "String")]
    room: RoomName,
    #[sqlx(try_from = "String")]
    username: Username,
    #[sqlx(try_from = "String")]
    content: Content,
    created_at: OffsetDateTime,
    client_id: Option<String>,
}

impl From<MessageRow> for MessageView {
    fn from(row: MessageRow) -> Self {
        Self {
            id: row.id,
            room: row.room,
            username: row.username,
            content: row.content,
            timestamp: row.created_at,
            client_id: row.client_id.and_then(|c| ClientId::parse(c).ok()),
        }
    }
}

const SELECT_VIEW: &str =
    "SELECT m.id, r.name AS room, u.username, m.content, m.created_at, m.client_id
       FROM messages m JOIN users u ON u.id = m.user_id JOIN rooms r ON r.id = m.room_id";

impl Store {
    /// Stores a batch in one statement and returns one outcome per input, in
    /// input order. Sends whose (user, client_id) is already stored (earlier,
    /// or earlier in this batch) come back as the stored message with
    /// `fresh: false`.
    pub async fn insert_messages(
        &self,
        batch: &[NewMessage],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let room_ids: Vec<i64> = batch.iter().map(|m| m.room_id).collect();
        let user_ids: Vec<i64> = batch.iter().map(|m| m.user_id).collect();
        let contents: Vec<&str> = batch.iter().map(|m| m.content.as_str()).collect();
        let client_ids: Vec<Option<&str>> = batch
            .iter()
            .map(|m| m.client_id.as_ref().map(ClientId::as_str))
            .collect();
        // ORDER BY ord makes the sequence hand out ids in input order, which
        // is how rows without a client_id are matched back below.
        let mut inserted = sqlx::query_as::<_, InsertedRow>(
            "INSERT INTO messages (room_id, user_id, content, client_id)
             SELECT room_id, user_id, content, client_id
               FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::text[])
                    WITH ORDINALITY AS t(room_id, user_id, content, client_id, ord)
              ORDER BY ord
             ON CONFLICT (user_id, client_id) DO NOTHING
             RETURNING id, user_id, client_id, created_at",
        )
        .bind(&room_ids)
        .bind(&user_ids)
        .bind(&contents)
        .bind(&client_ids)
        .fetch_all(&self.pool)
        .await?;
        inserted.sort_by_key(|row| row.id);

        let mut anonymous = inserted.iter().filter(|row| row.client_id.is_none());
        let mut keyed = inserted.iter().filter(|row| row.client_id.is_some());
        // (user, client_id) -> the message stored for it, and whether an
        // input has already been answered with it as fresh.
        let mut by_key: HashMap<(i64, &str), MessageView> = HashMap::new();
        let mut outcomes: Vec<Option<StoredMessage>> = Vec::with_capacity(batch.len());
        let mut retried: Vec<(i64, &str)> = Vec::new();
        for input in batch {
            let view_of = |row: &InsertedRow| MessageView {
                id: row.id,
                room: input.room.clone(),
                username: input.username.clone(),
                content: input.content.clone(),
                timestamp: row.created_at,
                client_id: input.client_id.clone(),
            };
            let Some(client_id) = &input.client_id else {
                let row = anonymous
                    .next()
                    .ok_or_else(|| StoreError::from(sqlx::Error::RowNotFound))?;
                outcomes.push(Some(StoredMessage {
                    view: view_of(row),
                    fresh: true,
                }));
                continue;
            };
            let key = (input.user_id, client_id.as_str());
            if let Some(view) = by_key.get(&key) {
                // A duplicate within this batch: answered with the first one.
                outcomes.push(Some(StoredMessage {
                    view: view.clone(),
                    fresh: false,
                }));
            } else if keyed.clone().next().is_some_and(|row| {
                row.user_id == input.user_id && row.client_id.as_deref() == Some(client_id.as_str())
            }) {
                let row = keyed.next().expect("peeked above");
                let view = view_of(row);
                by_key.insert(key, view.clone());
                outcomes.push(Some(StoredMessage { view, fresh: true }));
            } else {
                retried.push(key);
                outcomes.push(None);
            }
        }
        if retried.is_empty() {
            return Ok(outcomes.into_iter().flatten().collect());
        }

        let earlier = self.messages_by_client_id(&retried).await?;
        batch
            .iter()
            .zip(outcomes)
            .map(|(input, outcome)| match outcome {
                Some(done) => Ok(done),
                None => {
                    let client_id = input.client_id.as_ref().map(ClientId::as_str);
                    earlier
                        .iter()
                        .find(|v| {
                            v.username.same_account(input.username.as_str())
                                && v.client_id.as_ref().map(ClientId::as_str) == client_id
                        })
                        .map(|view| StoredMessage {
                            view: view.clone(),
                            fresh: false,
                        })
                        .ok_or_else(|| StoreError::from(sqlx::Error::RowNotFound))
                }
            })
            .collect()
    }

    /// The stored messages for (user, client_id) pairs.
    async fn messages_by_client_id(
        &self,
        keys: &[(i64, &str)],
    ) -> Result<Vec<MessageView>, StoreError> {
        let user_ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let client_ids: Vec<&str> = keys.iter().map(|k| k.1).collect();
        let rows = sqlx::query_as::<_, MessageRow>(&format!(
            "{SELECT_VIEW}
              WHERE (m.user_id, m.client_id) IN (SELECT * FROM UNNEST($1::int8[], $2::text[]))"
        ))
        .bind(&user_ids)
        .bind(&client_ids)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(MessageView::from).collect())
    }

    /// Up to `limit` messages of a room older than `before_id` (or the
    /// newest ones), oldest first, and whether older ones exist.
    pub async fn history_before(
        &self,
        room_id: i64,
        before_id: Option<i64>,
        limit: u16,
    ) -> Result<(Vec<MessageView>, bool), StoreError> {
        let (mut page, has_more) = self
            .page(
                "($2::int8 IS NULL OR m.id < $2) ORDER BY m.id DESC",
                room_id,
                before_id,
                limit,
            )
            .await?;
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
        self.page(
            "m.id > $2 ORDER BY m.id ASC",
            room_id,
            Some(after_id),
            limit,
        )
        .await
    }

    /// One page of a room in the order `clause` sets (`$2` is `id`), and
    /// whether the page was cut short.
    async fn page(
        &self,
        clause: &str,
        room_id: i64,
        id: Option<i64>,
        limit: u16,
    ) -> Result<(Vec<MessageView>, bool), StoreError> {
        let mut rows = sqlx::query_as::<_, MessageRow>(&format!(
            "{SELECT_VIEW} WHERE m.room_id = $1 AND {clause} LIMIT $3"
        ))
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
