//! The response board's counts, kept as responses are made and step on so that the national
//! team's board reads a few dozen rows on each refresh instead of grouping an alert's 56,000
//! responses.
//!
//! `response_tally` counts an alert's responses by status and organisation type. A publication
//! counts its alert again; every other statement that changes a response's status, or an
//! organisation's type, sits between a [`BoardDelta`] reading the responses it touches before
//! and after, in the same transaction, applied once in key order.
//! How many responses are late depends on the time, so it is counted when the board is read,
//! from an index of open responses by due time: only the late ones are read.

use crate::db::{Arg, IDS_PER_STATEMENT, Sql, add_to_tally};
use crate::error::corrupt;
use crate::{ResponseCount, Result};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// (alert, status, organisation type).
type Key = (i64, String, String);

/// Changes to the board's counts a transaction makes, added up before they are written.
#[derive(Debug, Default)]
pub(crate) struct BoardDelta {
    counts: BTreeMap<Key, i64>,
}

impl BoardDelta {
    /// Adds `sign` times the responses of the organisations `ids` as they stand, to `alert_id`
    /// only or to every alert: read with `-1` before a change and `+1` after it.
    pub async fn responses(
        &mut self,
        conn: &mut AnyConnection,
        alert_id: Option<i64>,
        ids: &[i64],
        sign: i64,
    ) -> Result<()> {
        let head = match alert_id {
            Some(alert_id) => format!(
                "SELECT r.alert_id, r.status, o.org_type FROM alert_responses r \
                 JOIN organisations o ON o.id = r.org_id WHERE r.alert_id = {alert_id} \
                 AND r.org_id IN ("
            ),
            None => "SELECT r.alert_id, r.status, o.org_type FROM alert_responses r \
                     JOIN organisations o ON o.id = r.org_id WHERE r.org_id IN ("
                .to_string(),
        };
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let rows = Sql::with_ids(&head, chunk, ")")
                .query_as::<Key>()
                .fetch_all(&mut *conn)
                .await?;
            for key in rows {
                *self.counts.entry(key).or_default() += sign;
            }
        }
        Ok(())
    }

    /// Writes the changes that move a count, in key order.
    pub async fn apply(self, conn: &mut AnyConnection) -> Result<()> {
        let moved = self
            .counts
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((alert, status, org_type), n)| {
                vec![
                    Arg::I64(alert),
                    Arg::Text(status),
                    Arg::Text(org_type),
                    Arg::I64(n),
                ]
            })
            .collect();
        add_to_tally(
            conn,
            "response_tally",
            &["alert_id", "status", "org_type"],
            &["responses"],
            moved,
        )
        .await
    }
}

/// Counts the responses to `alert_id` again, or to every alert, in place of the kept counts:
/// after a publication, which may bring any number of organisations into scope, and at every
/// start (a server of an older version still writing during a rolling upgrade changes
/// responses without keeping the counts).
pub(crate) async fn recount(conn: &mut AnyConnection, alert_id: Option<i64>) -> Result<()> {
    let (only, and_only) = match alert_id {
        Some(id) => (
            format!(" WHERE alert_id = {id}"),
            format!(" WHERE r.alert_id = {id}"),
        ),
        None => (String::new(), String::new()),
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM response_tally{only}"
    )))
    .execute(&mut *conn)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO response_tally (alert_id, status, org_type, responses) \
         SELECT r.alert_id, r.status, o.org_type, COUNT(*) \
         FROM alert_responses r JOIN organisations o ON o.id = r.org_id{and_only} \
         GROUP BY r.alert_id, r.status, o.org_type"
    )))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The board of `alert_id` at `now`: its responses by status and organisation type from the
/// kept counts, with how many of each are late, in status and type order. One statement, so
/// the counts and the late ones are read at one moment.
pub(crate) async fn counts(
    conn: &mut AnyConnection,
    alert_id: i64,
    now: i64,
) -> Result<Vec<ResponseCount>> {
    let sql = format!(
        "SELECT t.status, t.org_type, t.responses, COALESCE(l.late, 0) FROM response_tally t \
         LEFT JOIN ({}) l ON l.status = t.status AND l.org_type = t.org_type \
         WHERE t.alert_id = $1 AND t.responses > 0",
        late_sql()
    );
    board_of(conn, sql, alert_id, now).await
}

/// The board `sql` reads for `alert_id` (`$1`) at `now` (`$2`): rows of status, organisation
/// type, responses and late ones, in status and type order.
async fn board_of(
    conn: &mut AnyConnection,
    sql: String,
    alert_id: i64,
    now: i64,
) -> Result<Vec<ResponseCount>> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(alert_id)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = rows
        .into_iter()
        .map(|(status, org_type, count, late)| response_count(status, org_type, count, late))
        .collect::<Result<Vec<_>>>()?;
    sort(&mut out);
    Ok(out)
}

/// An alert's (`$1`) responses late at `$2`, by status and organisation type.
pub(crate) fn late_sql() -> String {
    format!(
        "SELECT r.status, o.org_type, COUNT(*) AS late FROM alert_responses r \
         JOIN organisations o ON o.id = r.org_id WHERE r.alert_id = $1 AND {} $2 \
         GROUP BY r.status, o.org_type",
        crate::alerts::late("r.")
    )
}

fn response_count(
    status: String,
    org_type: String,
    count: i64,
    late: i64,
) -> Result<ResponseCount> {
    Ok(ResponseCount {
        status: status
            .parse()
            .map_err(|_| corrupt("response status", &status))?,
        org_type: org_type
            .parse()
            .map_err(|_| corrupt("organisation type", &org_type))?,
        count,
        late,
    })
}

/// In status and organisation type order, as the board shows them.
fn sort(counts: &mut [ResponseCount]) {
    counts.sort_by(|a, b| {
        (a.status.as_str(), a.org_type.as_str()).cmp(&(b.status.as_str(), b.org_type.as_str()))
    });
}

impl crate::SqlStore {
    /// Counts every alert's responses again in place of the kept counts. Run at every start,
    /// after the migrations (see [`recount`]).
    pub(crate) async fn recount_boards(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        recount(&mut tx, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An alert's board at `now` counted from its responses, as the board read it before its
    /// counts were kept: what [`crate::AlertStore::response_counts`] must always equal. Slow for
    /// an alert to every organisation (it groups every response); for checks.
    pub async fn response_counts_recounted(
        &self,
        alert_id: i64,
        now: i64,
    ) -> Result<Vec<ResponseCount>> {
        let sql = format!(
            "SELECT r.status, o.org_type, COUNT(*), \
             CAST(COALESCE(SUM(CASE WHEN {} $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM alert_responses r JOIN organisations o ON o.id = r.org_id \
             WHERE r.alert_id = $1 GROUP BY r.status, o.org_type",
            crate::alerts::late("r.")
        );
        let mut conn = self.read.acquire().await?;
        board_of(&mut conn, sql, alert_id, now).await
    }
}
