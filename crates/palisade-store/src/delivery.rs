//! The outbox on SQL: a delivery worker claims due messages for a while (a lease), and marks
//! each sent, to be retried, or given up. A claim that is never settled (the worker stopped)
//! runs out and the message is claimed again; a message marked sent is never claimed again.

use crate::db::{Engine, IDS_PER_STATEMENT, Sql};
use crate::model::{OutboxMessage, OutboxSummary};
use crate::{OutboxStore, Result, SqlStore};
use async_trait::async_trait;
use sqlx::AnyConnection;

/// The channels the outbox sends on, as its `channel` column names them.
pub const OUTBOX_CHANNELS: [&str; 2] = ["email", "sms"];

pub(crate) const OUTBOX_COLUMNS: &str = "id, key, channel, recipient, subject, body, attempts, \
     next_attempt_at, sent_at, gave_up_at, last_error, provider_ref, claims";

/// How many rows `outbox_tally` spreads the counts over (migration 0030).
const TALLY_SLOTS: i64 = 8;

/// A change to the outbox's counts, written in the transaction of the change it counts.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    pending: i64,
    sent: i64,
    gave_up: i64,
}

/// Adds `change` to one slot of the outbox's counts, the slot chosen by `spread` (a message's
/// id, or the time of a batch), so concurrent writers seldom wait on the same row.
async fn tally(conn: &mut AnyConnection, spread: i64, change: Tally) -> Result<()> {
    if change.pending == 0 && change.sent == 0 && change.gave_up == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE outbox_tally SET pending = pending + $1, sent = sent + $2, \
         gave_up = gave_up + $3 WHERE slot = $4",
    )
    .bind(change.pending)
    .bind(change.sent)
    .bind(change.gave_up)
    .bind(spread.rem_euclid(TALLY_SLOTS))
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts `queued` messages just put in the outbox at `at`, in the same transaction. Every
/// statement that inserts into the outbox is followed by this.
pub(crate) async fn tally_queued(conn: &mut AnyConnection, at: i64, queued: u64) -> Result<()> {
    let pending = i64::try_from(queued).unwrap_or(i64::MAX);
    tally(
        conn,
        at,
        Tally {
            pending,
            ..Tally::default()
        },
    )
    .await
}

/// The due messages of one channel (`$1`), oldest first, through the pending index, which
/// leads with the channel: a claim never reads another channel's waiting messages.
pub(crate) fn due_sql(engine: Engine) -> String {
    format!(
        "SELECT id FROM outbox WHERE channel = $1 AND sent_at IS NULL \
         AND gave_up_at IS NULL AND next_attempt_at <= $2 \
         AND (claimed_until IS NULL OR claimed_until <= $2) \
         ORDER BY next_attempt_at, id LIMIT $3{}",
        crate::db::skip_locked(engine)
    )
}

impl SqlStore {
    /// The ids of up to `limit` of `channel`'s oldest due messages (locked on PostgreSQL).
    async fn due(
        &self,
        tx: &mut crate::conns::Tx,
        channel: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<i64>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        Ok(
            sqlx::query_scalar(sqlx::AssertSqlSafe(due_sql(self.engine)))
                .bind(channel)
                .bind(now)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&mut **tx)
                .await?,
        )
    }
}

/// The lists' items, one from each list in turn, each list in its order.
fn in_turn(lists: &[Vec<i64>]) -> Vec<i64> {
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .flat_map(|at| lists.iter().filter_map(move |l| l.get(at).copied()))
        .collect()
}

/// When the oldest message still waiting was queued: one entry of a partial index.
pub(crate) const OLDEST_PENDING: &str = "SELECT created_at FROM outbox \
     WHERE sent_at IS NULL AND gave_up_at IS NULL ORDER BY created_at LIMIT 1";

#[async_trait]
impl OutboxStore for SqlStore {
    async fn claim_outbox(
        &self,
        channels: &[&str],
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let known: Vec<&str> = OUTBOX_CHANNELS
            .into_iter()
            .filter(|known| channels.contains(known))
            .collect();
        if known.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_unserialised().await?;
        // Each channel's oldest due up to its share of the batch, then more from a channel that
        // filled its share where another came short, taken from the channels in turn: a backlog
        // on one (a national alert's email) never holds back the other (its texts). On
        // PostgreSQL each read locks only rows this claim takes.
        let limit = usize::try_from(limit).unwrap_or(0);
        let share = |i: usize| limit / known.len() + usize::from(i < limit % known.len());
        let mut lists: Vec<Vec<i64>> = Vec::with_capacity(known.len());
        for (i, channel) in known.iter().enumerate() {
            lists.push(self.due(&mut tx, channel, now, share(i)).await?);
        }
        let mut left = limit - lists.iter().map(Vec::len).sum::<usize>();
        for (i, channel) in known.iter().enumerate() {
            if left == 0 || lists[i].len() < share(i) {
                continue;
            }
            let more = self.due(&mut tx, channel, now, share(i) + left).await?;
            let list = &mut lists[i];
            let extra: Vec<i64> = more
                .into_iter()
                .filter(|id| !list.contains(id))
                .take(left)
                .collect();
            left -= extra.len();
            list.extend(extra);
        }
        // At most `limit` between them: each read was bounded by the share and what was left.
        let ids = in_turn(&lists);
        let mut rows: Vec<OutboxMessage> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let mut sql = Sql::new("UPDATE outbox SET claimed_until = ");
            sql.i64(lease_until)
                .push(", claims = claims + 1 WHERE id IN (")
                .i64_list(chunk)
                .push(") AND sent_at IS NULL AND gave_up_at IS NULL RETURNING ")
                .push(OUTBOX_COLUMNS);
            rows.extend(sql.query_as::<OutboxMessage>().fetch_all(&mut *tx).await?);
        }
        tx.commit().await?;
        // Sent in the order taken, so the channels' messages go out side by side.
        let order: std::collections::HashMap<i64, usize> =
            ids.iter().enumerate().map(|(at, id)| (*id, at)).collect();
        rows.sort_by_key(|m| order.get(&m.id).copied());
        Ok(rows)
    }

    // Each change and its count in one transaction.
    async fn outbox_sent(&self, id: i64, at: i64, provider_ref: Option<&str>) -> Result<()> {
        let mut tx = self.begin_unserialised().await?;
        let marked: Option<(Option<i64>,)> = sqlx::query_as(
            "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, claimed_until = NULL, \
             provider_ref = $2, last_error = NULL WHERE id = $3 AND sent_at IS NULL \
             RETURNING gave_up_at",
        )
        .bind(at)
        .bind(provider_ref)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((gave_up_at,)) = marked {
            let pending = if gave_up_at.is_none() { -1 } else { 0 };
            tally(
                &mut tx,
                id,
                Tally {
                    pending,
                    sent: 1,
                    gave_up: 0,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_failed(
        &self,
        id: i64,
        at: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<()> {
        // The lease keeps other workers off this message; PostgreSQL's lock makes sure of it.
        let lock = match self.engine {
            Engine::Postgres => " FOR UPDATE",
            Engine::Sqlite => "",
        };
        let mut tx = self.begin_unserialised().await?;
        let before: Option<(Option<i64>,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT gave_up_at FROM outbox WHERE id = $1 AND sent_at IS NULL{lock}"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((was_given_up,)) = before else {
            return Ok(());
        };
        let gives_up = retry_at.is_none();
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, claimed_until = NULL, last_error = $1, \
             next_attempt_at = COALESCE($2, next_attempt_at), \
             gave_up_at = CASE WHEN $3 = 1 THEN $4 ELSE NULL END \
             WHERE id = $5 AND sent_at IS NULL",
        )
        .bind(error)
        .bind(retry_at)
        .bind(i64::from(gives_up))
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let moved = i64::from(gives_up) - i64::from(was_given_up.is_some());
        tally(
            &mut tx,
            id,
            Tally {
                pending: -moved,
                sent: 0,
                gave_up: moved,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_summary(&self) -> Result<OutboxSummary> {
        let (pending, sent, gave_up): (i64, i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(pending), 0) AS BIGINT), \
             CAST(COALESCE(SUM(sent), 0) AS BIGINT), CAST(COALESCE(SUM(gave_up), 0) AS BIGINT) \
             FROM outbox_tally",
        )
        .fetch_one(&self.read)
        .await?;
        // Through the index of pending messages by creation time: one entry read.
        let oldest: Option<i64> = sqlx::query_scalar(OLDEST_PENDING)
            .fetch_optional(&self.read)
            .await?;
        Ok(OutboxSummary {
            pending,
            sent,
            gave_up,
            oldest_pending_at: oldest,
        })
    }
}
