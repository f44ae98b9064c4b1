//! The outbox on SQL: a delivery worker claims due messages for a while (a lease), and marks
//! each sent, to be retried, or given up. A claim that is never settled (the worker stopped)
//! runs out and the message is claimed again; a message marked sent is never claimed again.

use crate::db::Engine;
use crate::model::{OutboxMessage, OutboxSummary};
use crate::{OutboxStore, Result, SqlStore};
use async_trait::async_trait;

pub(crate) const OUTBOX_COLUMNS: &str = "id, key, channel, recipient, subject, body, attempts, \
     next_attempt_at, sent_at, gave_up_at, last_error, provider_ref, claims";

#[async_trait]
impl OutboxStore for SqlStore {
    async fn claim_outbox(
        &self,
        channels: &[&str],
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        // Only the outbox's own channel names reach the SQL text.
        let list = ["email", "sms"]
            .into_iter()
            .filter(|known| channels.contains(known))
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", ");
        if list.is_empty() {
            return Ok(Vec::new());
        }
        // PostgreSQL lets two workers skip each other's rows; SQLite has one writer at a time.
        let lock = match self.engine {
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let mut tx = self.begin_unserialised().await?;
        let mut rows: Vec<OutboxMessage> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE outbox SET claimed_until = $1, claims = claims + 1 WHERE id IN (SELECT id FROM outbox \
             WHERE sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $2 \
             AND (claimed_until IS NULL OR claimed_until <= $2) AND channel IN ({list}) \
             ORDER BY next_attempt_at, id LIMIT $3{lock}) RETURNING {OUTBOX_COLUMNS}"
        )))
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(rows)
    }

    // One statement each, atomic on its own: no transaction around it.
    async fn outbox_sent(&self, id: i64, at: i64, provider_ref: Option<&str>) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, claimed_until = NULL, \
             provider_ref = $2, last_error = NULL WHERE id = $3 AND sent_at IS NULL",
        )
        .bind(at)
        .bind(provider_ref)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn outbox_failed(
        &self,
        id: i64,
        at: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, claimed_until = NULL, last_error = $1, \
             next_attempt_at = COALESCE($2, next_attempt_at), \
             gave_up_at = CASE WHEN $3 = 1 THEN $4 ELSE NULL END \
             WHERE id = $5 AND sent_at IS NULL",
        )
        .bind(error)
        .bind(retry_at)
        .bind(i64::from(retry_at.is_none()))
        .bind(at)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn outbox_summary(&self) -> Result<OutboxSummary> {
        let (pending, sent, gave_up, oldest): (i64, i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT \
             COALESCE(SUM(CASE WHEN sent_at IS NULL AND gave_up_at IS NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN gave_up_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
             MIN(CASE WHEN sent_at IS NULL AND gave_up_at IS NULL THEN created_at END) FROM outbox",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(OutboxSummary {
            pending,
            sent,
            gave_up,
            oldest_pending_at: oldest,
        })
    }
}
