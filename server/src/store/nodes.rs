//! The SQL behind presence across nodes (`cluster/`): heartbeats, each
//! node's present users, and burying the nodes that stopped beating.

use std::collections::HashMap;

use sapa_protocol::{RoomName, Username};

use super::{Store, StoreError};

/// Who is present where through which node: (node, room, user).
pub type PresenceRow = (String, RoomName, Username);

impl Store {
    /// Records that `node` is alive now. Whether its row was new: the node
    /// just started, or the others had buried it (its heartbeat had
    /// stopped for too long) and its presence must be written again.
    pub async fn beat(&self, node: &str) -> Result<bool, StoreError> {
        let inserted = sqlx::query_scalar(
            "INSERT INTO nodes (node) VALUES ($1) \
             ON CONFLICT (node) DO UPDATE SET beat_at = now() \
             RETURNING xmax = 0",
        )
        .bind(node)
        .fetch_one(&self.pool)
        .await?;
        Ok(inserted)
    }

    /// Makes `node`'s heartbeat look `age_secs` old, so that the others
    /// bury it that much sooner (a node shutting down).
    pub async fn age_beat(&self, node: &str, age_secs: f64) -> Result<(), StoreError> {
        sqlx::query("UPDATE nodes SET beat_at = now() - make_interval(secs => $2) WHERE node = $1")
            .bind(node)
            .bind(age_secs)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets everything `node` recorded (it starts afresh).
    pub async fn clear_presence(&self, node: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM node_presence WHERE node = $1")
            .bind(node)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records `node`'s presence changes, each `(room, user, present)` in
    /// order, in one transaction of two statements: for each (room, user)
    /// only its last change counts.
    pub async fn record_presence(
        &self,
        node: &str,
        changes: &[(RoomName, Username, bool)],
    ) -> Result<(), StoreError> {
        let mut last: HashMap<(&str, &str), bool> = HashMap::new();
        for (room, user, present) in changes {
            last.insert((room.as_str(), user.as_str()), *present);
        }
        let (mut present, mut absent) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        for ((room, user), here) in last {
            let side = if here { &mut present } else { &mut absent };
            side.0.push(room);
            side.1.push(user);
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO node_presence (node, room, username) \
             SELECT $1, * FROM unnest($2::text[], $3::text[]) ON CONFLICT DO NOTHING",
        )
        .bind(node)
        .bind(&present.0)
        .bind(&present.1)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM node_presence p USING unnest($2::text[], $3::text[]) AS gone(room, username) \
             WHERE p.node = $1 AND p.room = gone.room AND p.username = gone.username",
        )
        .bind(node)
        .bind(&absent.0)
        .bind(&absent.1)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The nodes, other than `node`, whose heartbeat is younger than
    /// `alive_secs`.
    pub async fn live_nodes(&self, node: &str, alive_secs: f64) -> Result<Vec<String>, StoreError> {
        let nodes = sqlx::query_scalar(
            "SELECT node FROM nodes \
             WHERE node <> $1 AND beat_at > now() - make_interval(secs => $2)",
        )
        .bind(node)
        .bind(alive_secs)
        .fetch_all(&self.pool)
        .await?;
        Ok(nodes)
    }

    /// Everyone present through the live nodes other than `node`.
    pub async fn presence_elsewhere(
        &self,
        node: &str,
        alive_secs: f64,
    ) -> Result<Vec<PresenceRow>, StoreError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT p.node, p.room, p.username FROM node_presence p JOIN nodes n USING (node) \
             WHERE p.node <> $1 AND n.beat_at > now() - make_interval(secs => $2)",
        )
        .bind(node)
        .bind(alive_secs)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(node, room, user)| Some((node, room.parse().ok()?, user.parse().ok()?)))
            .collect())
    }

    /// Deletes the nodes whose heartbeat is `alive_secs` old or older, and
    /// their presence.
    pub async fn bury_nodes(&self, alive_secs: f64) -> Result<(), StoreError> {
        sqlx::query(
            "WITH dead AS (DELETE FROM nodes WHERE beat_at <= now() - make_interval(secs => $1) \
             RETURNING node) \
             DELETE FROM node_presence WHERE node IN (SELECT node FROM dead)",
        )
        .bind(alive_secs)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
