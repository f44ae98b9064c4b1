//! Independent audits on SQL: the report row and its findings, replaced whole on every save
//! under a revision check, fixed once issued.

use crate::audit::append;
use crate::db::flag;
use crate::error::corrupt;
use crate::model::*;
use crate::{IndependentAuditStore, Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::independent_audit::AuditState;
use sqlx::{AnyConnection, FromRow};

const SELECT: &str = "SELECT a.id, a.assessment_id, a.state, a.revision, a.rating, a.veracity, \
     a.summary, u.email AS auditor, a.issued_at, a.updated_at FROM independent_audits a \
     LEFT JOIN users u ON u.id = a.auditor_id";

#[derive(FromRow)]
struct Row {
    id: i64,
    assessment_id: i64,
    state: String,
    revision: i64,
    rating: Option<String>,
    veracity: Option<String>,
    summary: String,
    auditor: Option<String>,
    issued_at: Option<i64>,
    updated_at: i64,
}

impl TryFrom<Row> for IndependentAuditRecord {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self> {
        Ok(IndependentAuditRecord {
            state: r
                .state
                .parse::<AuditState>()
                .map_err(|_| corrupt("audit state", &r.state))?,
            veracity: r
                .veracity
                .as_deref()
                .map(|v| v.parse().map_err(|_| corrupt("veracity", v)))
                .transpose()?,
            id: r.id,
            assessment_id: r.assessment_id,
            revision: r.revision,
            rating: r.rating,
            summary: r.summary,
            auditor: r.auditor,
            issued_at: r.issued_at,
            updated_at: r.updated_at,
        })
    }
}

async fn by_assessment(
    conn: &mut AnyConnection,
    assessment_id: i64,
) -> Result<Option<IndependentAuditRecord>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.assessment_id = $1"
    )))
    .bind(assessment_id)
    .fetch_optional(conn)
    .await?;
    row.map(TryInto::try_into).transpose()
}

#[async_trait]
impl IndependentAuditStore for SqlStore {
    async fn independent_audit(
        &self,
        assessment_id: i64,
    ) -> Result<Option<IndependentAuditRecord>> {
        let mut conn = self.read.acquire().await?;
        by_assessment(&mut conn, assessment_id).await
    }

    async fn audit_findings(&self, audit_id: i64) -> Result<Vec<AuditFindingRecord>> {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT ref, agrees, comment FROM audit_findings WHERE audit_id = $1 ORDER BY ref",
        )
        .bind(audit_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(reference, agrees, comment)| AuditFindingRecord {
                reference,
                agrees: agrees != 0,
                comment,
            })
            .collect())
    }

    async fn save_independent_audit(
        &self,
        assessment_id: i64,
        expected_revision: i64,
        report: &AuditReport,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<IndependentAuditRecord> {
        let mut tx = self.begin().await?;
        // Checked inside the transaction: the lead may have reopened it since it was read.
        let submitted: Option<i64> =
            sqlx::query_scalar("SELECT submitted FROM assessments WHERE id = $1")
                .bind(assessment_id)
                .fetch_optional(&mut *tx)
                .await?;
        match submitted {
            None => return Err(StoreError::NotFound),
            Some(0) => {
                return Err(StoreError::conflict(
                    "audit",
                    "the assessment was reopened: an audit covers a submitted assessment",
                ));
            }
            Some(_) => {}
        }
        sqlx::query(
            "INSERT INTO independent_audits (assessment_id, updated_at) VALUES ($1, $2) \
             ON CONFLICT (assessment_id) DO NOTHING",
        )
        .bind(assessment_id)
        .bind(stamp.at)
        .execute(&mut *tx)
        .await?;
        let current = by_assessment(&mut tx, assessment_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.state == AuditState::Issued {
            return Err(StoreError::conflict(
                "audit",
                "the audit report has been issued and can no longer change",
            ));
        }
        if current.revision != expected_revision {
            return Err(StoreError::conflict(
                "audit",
                "the audit report was changed since you opened it; review it and save again",
            ));
        }
        sqlx::query("DELETE FROM audit_findings WHERE audit_id = $1")
            .bind(current.id)
            .execute(&mut *tx)
            .await?;
        for f in &report.findings {
            sqlx::query(
                "INSERT INTO audit_findings (audit_id, ref, agrees, comment) VALUES ($1, $2, $3, $4)",
            )
            .bind(current.id)
            .bind(f.reference.clone())
            .bind(flag(f.agrees))
            .bind(f.comment.clone())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE independent_audits SET rating = $1, veracity = $2, summary = $3, auditor_id = $4, \
             state = $5, issued_at = $6, revision = revision + 1, updated_at = $7 WHERE id = $8",
        )
        .bind(report.rating.clone())
        .bind(report.veracity.map(|v| v.as_str().to_string()))
        .bind(report.summary.clone())
        .bind(stamp.user_id)
        .bind(if report.issue { "issued" } else { "draft" })
        .bind(report.issue.then_some(stamp.at))
        .bind(stamp.at)
        .bind(current.id)
        .execute(&mut *tx)
        .await?;
        audit.entity_id = current.id.to_string();
        append(&mut tx, &audit).await?;
        let saved = by_assessment(&mut tx, assessment_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(saved)
    }
}
