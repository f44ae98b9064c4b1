//! What suppliers' charter states rest on, read for many suppliers at once: the national figures
//! cover every IT supplier, and a statement per supplier and fact would be thousands a page.

use super::{
    AlertAnswer, COMMITMENT_SELECT, CharterDocument, CommitmentRecord, CommitmentRow,
    DOCUMENT_SELECT, NEWEST, SIGNATURE_COLUMNS, SIGNATURE_FROM, SignatureRecord, SignatureRow,
};
use crate::db::Sql;
use crate::{Result, SqlStore};
use palisade_domain::assessment::Status;
use sqlx::FromRow;
use std::collections::HashMap;

/// What one organisation's charter states rest on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CharterFacts {
    /// Its newest signature.
    pub signature: Option<SignatureRecord>,
    /// What it shows for each commitment it has filled in, by key.
    pub commitments: Vec<CommitmentRecord>,
    /// The documents it shows, by commitment, oldest first.
    pub documents: Vec<CharterDocument>,
    /// Its responses to High alerts first published at or after `since` that asked for a
    /// response (those with an acknowledgement deadline), oldest first.
    pub high_alert_answers: Vec<AlertAnswer>,
    /// Its incidents notified at or after `since`: (id, whether notified late), oldest first.
    pub notified_incidents: Vec<(i64, bool)>,
    /// Its assessment status in each of the years asked for that it has an assessment.
    pub statuses: Vec<(i32, Status)>,
}

#[derive(FromRow)]
struct Owned<T> {
    owner: i64,
    #[sqlx(flatten)]
    row: T,
}

impl SqlStore {
    pub(crate) async fn read_charter_facts(
        &self,
        org_ids: &[i64],
        since: i64,
        years: &[i32],
    ) -> Result<HashMap<i64, CharterFacts>> {
        let mut out: HashMap<i64, CharterFacts> = org_ids
            .iter()
            .map(|id| (*id, CharterFacts::default()))
            .collect();
        for chunk in org_ids.chunks(crate::db::IDS_PER_STATEMENT) {
            let rows: Vec<SignatureRow> = Sql::with_ids(
                &format!("{SIGNATURE_COLUMNS}{SIGNATURE_FROM} WHERE {NEWEST} AND s.org_id IN ("),
                chunk,
                ")",
            )
            .query_as()
            .fetch_all(&self.read)
            .await?;
            for r in rows {
                let s: SignatureRecord = r.try_into()?;
                let owner = s.org_id;
                out.entry(owner).or_default().signature = Some(s);
            }
            let rows: Vec<Owned<CommitmentRow>> = Sql::with_ids(
                &format!(
                    "{} WHERE c.org_id IN (",
                    COMMITMENT_SELECT.replacen("SELECT ", "SELECT c.org_id AS owner, ", 1)
                ),
                chunk,
                ") ORDER BY c.org_id, c.key",
            )
            .query_as()
            .fetch_all(&self.read)
            .await?;
            for r in rows {
                out.entry(r.owner)
                    .or_default()
                    .commitments
                    .push(r.row.try_into()?);
            }
            let rows: Vec<Owned<CharterDocument>> = Sql::with_ids(
                &format!(
                    "{} WHERE d.org_id IN (",
                    DOCUMENT_SELECT.replacen("SELECT ", "SELECT d.org_id AS owner, ", 1)
                ),
                chunk,
                ") ORDER BY d.org_id, d.key, d.id",
            )
            .query_as()
            .fetch_all(&self.read)
            .await?;
            for r in rows {
                out.entry(r.owner).or_default().documents.push(r.row);
            }
            let mut sql = Sql::with_ids(
                "SELECT r.org_id, a.reference, r.ack_due_at, r.acknowledged_at \
                 FROM alert_responses r JOIN alerts a ON a.id = r.alert_id \
                 WHERE a.severity = 'high' AND r.ack_due_at IS NOT NULL AND r.org_id IN (",
                chunk,
                ") AND a.published_at >= ",
            );
            sql.i64(since)
                .push(" ORDER BY r.org_id, a.published_at, a.id");
            let rows: Vec<(i64, String, i64, Option<i64>)> =
                sql.query_as().fetch_all(&self.read).await?;
            for (owner, reference, due_at, acknowledged_at) in rows {
                out.entry(owner)
                    .or_default()
                    .high_alert_answers
                    .push(AlertAnswer {
                        reference,
                        due_at,
                        acknowledged_at,
                    });
            }
            let mut sql = Sql::with_ids(
                "SELECT org_id, id, reported_late FROM incidents WHERE org_id IN (",
                chunk,
                ") AND notified_at >= ",
            );
            sql.i64(since).push(" ORDER BY org_id, notified_at, id");
            let rows: Vec<(i64, i64, i64)> = sql.query_as().fetch_all(&self.read).await?;
            for (owner, id, late) in rows {
                out.entry(owner)
                    .or_default()
                    .notified_incidents
                    .push((id, late != 0));
            }
            if !years.is_empty() {
                let mut sql = Sql::with_ids(
                    "SELECT org_id, year, status FROM assessments WHERE org_id IN (",
                    chunk,
                    ") AND year IN (",
                );
                sql.i64_list(&years.iter().map(|y| i64::from(*y)).collect::<Vec<_>>())
                    .push(") ORDER BY org_id, year DESC");
                let rows: Vec<(i64, i64, String)> = sql.query_as().fetch_all(&self.read).await?;
                for (owner, year, status) in rows {
                    let year = i32::try_from(year)
                        .map_err(|_| crate::error::corrupt("year", &year.to_string()))?;
                    out.entry(owner)
                        .or_default()
                        .statuses
                        .push((year, crate::assessments::status(&status)?));
                }
            }
        }
        Ok(out)
    }
}
