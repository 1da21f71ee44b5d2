//! Edits and deletes of stored messages, and reading back the changes a
//! resuming client missed. A message keeps only its latest text: an edit
//! overwrites it, a delete erases it and leaves the row as a tombstone.
//! Each change takes a `change_seq` from the same sequence as message ids
//! (see the migration), so "every change since message N" is
//! `change_seq > N`.

use sapa_protocol::{Content, MessageView};
use sqlx::FromRow;

use super::{
    Store, StoreError,
    views::{MessageRow, select_view},
};

/// What a change did.
#[derive(Debug, Clone)]
pub enum Changed {
    /// Done: the message as it now reads, and the change's place in the
    /// stream.
    Done { view: MessageView, seq: i64 },
    /// No such message, or it was deleted already.
    NotFound,
    /// The message is someone else's; nothing changed.
    NotAuthor,
}

/// A change found the message (locked): its new seq if it was allowed.
#[derive(FromRow)]
struct ChangeRow {
    seq: Option<i64>,
}

/// A view of a changed message with its change's seq.
#[derive(FromRow)]
struct ChangedRow {
    #[sqlx(flatten)]
    message: MessageRow,
    change_seq: i64,
}

/// Edit: the message, locked, then the new text if `$2` is its author.
const EDIT: &str = "
    WITH target AS (
        SELECT id, user_id FROM messages WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
    ), changed AS (
        UPDATE messages m
           SET content = $3, edited_at = now(), change_seq = nextval('messages_id_seq')
          FROM target
         WHERE m.id = target.id AND target.user_id = $2
        RETURNING m.id, m.change_seq
    ), searched AS (
        UPDATE message_search s SET content = $3 FROM changed WHERE s.id = changed.id
    )
    SELECT changed.change_seq AS seq FROM target LEFT JOIN changed USING (id)";

/// Delete: the same, erasing the text (and search's copy of it).
const DELETE: &str = "
    WITH target AS (
        SELECT id, user_id FROM messages WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
    ), changed AS (
        UPDATE messages m
           SET content = '', deleted_at = now(), change_seq = nextval('messages_id_seq')
          FROM target
         WHERE m.id = target.id AND target.user_id = $2
        RETURNING m.id, m.change_seq
    ), searched AS (
        DELETE FROM message_search s USING changed WHERE s.id = changed.id
    )
    SELECT changed.change_seq AS seq FROM target LEFT JOIN changed USING (id)";

/// One message as it now reads.
const VIEW: &str = select_view!("WHERE m.id = $1");

/// The changes to messages up to id `$2` of room `$1` made after it,
/// oldest change first.
const CHANGES_AFTER: &str = select_view!(
    ", m.change_seq",
    "WHERE m.room_id = $1 AND m.change_seq > $2 AND m.id <= $2 ORDER BY m.change_seq"
);

impl Store {
    /// Replaces the text of message `id` if `user_id` wrote it.
    pub async fn edit_message(
        &self,
        id: i64,
        user_id: i64,
        content: &Content,
    ) -> Result<Changed, StoreError> {
        let row = sqlx::query_as::<_, ChangeRow>(EDIT)
            .bind(id)
            .bind(user_id)
            .bind(content.as_str())
            .fetch_optional(&self.pool)
            .await?;
        self.changed(id, row).await
    }

    /// Erases message `id` if `user_id` wrote it.
    pub async fn delete_message(&self, id: i64, user_id: i64) -> Result<Changed, StoreError> {
        let row = sqlx::query_as::<_, ChangeRow>(DELETE)
            .bind(id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        self.changed(id, row).await
    }

    /// What a change statement's row means, with the message read back.
    async fn changed(&self, id: i64, row: Option<ChangeRow>) -> Result<Changed, StoreError> {
        let Some(row) = row else {
            return Ok(Changed::NotFound);
        };
        let Some(seq) = row.seq else {
            return Ok(Changed::NotAuthor);
        };
        let view = sqlx::query_as::<_, MessageRow>(VIEW)
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(Changed::Done {
            view: view.into(),
            seq,
        })
    }

    /// The messages of a room up to id `since` that changed after it, as
    /// they now read, with each change's seq, oldest change first: what a
    /// client that saw everything up to `since` needs to be current.
    pub async fn changes_after(
        &self,
        room_id: i64,
        since: i64,
    ) -> Result<Vec<(MessageView, i64)>, StoreError> {
        let rows = sqlx::query_as::<_, ChangedRow>(CHANGES_AFTER)
            .bind(room_id)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.message.into(), row.change_seq))
            .collect())
    }
}
