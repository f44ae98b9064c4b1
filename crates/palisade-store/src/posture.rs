//! The national posture's figures, each one grouped query: assessments submitted and met by type
//! as of a moment (this year now, last year at the same point), the open High alerts' responses
//! and how acknowledgements came in day by day, open incidents by severity, plans awaiting
//! review.

use crate::{Result, SqlStore};
use async_trait::async_trait;
use sqlx::FromRow;

/// One organisation type's assessments for a year, as they stood at a moment.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AssessmentProgress {
    pub org_type: String,
    /// Active organisations of the type.
    pub total: i64,
    /// Those that had published (submitted) by the moment.
    pub submitted: i64,
    /// Those whose latest publication by the moment met or exceeded the standard.
    pub met: i64,
}

/// A published High alert whose responses are not all closed.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OpenAlertFigures {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub published_at: i64,
    /// Organisations asked to respond.
    pub in_scope: i64,
    pub acknowledged: i64,
    pub closed: i64,
    /// Not closed and past the deadline.
    pub late: i64,
}

/// How many responses to an alert were acknowledged on each day since it was published (day 0
/// is the first 24 hours).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AcknowledgedOnDay {
    pub alert_id: i64,
    pub day: i64,
    pub count: i64,
}

#[async_trait]
pub trait PostureStore: Send + Sync {
    /// Each organisation type's assessments of `year` as they stood at `as_of` (Unix seconds).
    async fn assessment_progress(&self, year: i32, as_of: i64) -> Result<Vec<AssessmentProgress>>;
    /// The published High alerts with a response still open, newest first, with the late ones
    /// counted at `now`.
    async fn open_high_alerts(&self, now: i64) -> Result<Vec<OpenAlertFigures>>;
    /// Acknowledgements per day since publication, of these alerts.
    async fn acknowledgement_days(&self, alert_ids: &[i64]) -> Result<Vec<AcknowledgedOnDay>>;
    /// Incidents reported and not closed, by severity (`None`: not yet graded).
    async fn open_incidents_by_severity(&self) -> Result<Vec<(Option<String>, i64)>>;
    /// Improvement plans signed off by their SIRO and awaiting national review.
    async fn plans_awaiting_review(&self) -> Result<i64>;
}

#[async_trait]
impl PostureStore for SqlStore {
    async fn assessment_progress(&self, year: i32, as_of: i64) -> Result<Vec<AssessmentProgress>> {
        // The latest publication by `as_of` of each organisation's assessment for the year.
        Ok(sqlx::query_as(
            "SELECT o.org_type, COUNT(*) AS total, \
             CAST(COALESCE(SUM(CASE WHEN p.id IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS submitted, \
             CAST(COALESCE(SUM(CASE WHEN p.status IN ('standards_met', 'standards_exceeded') \
                  THEN 1 ELSE 0 END), 0) AS BIGINT) AS met \
             FROM organisations o \
             LEFT JOIN assessments a ON a.org_id = o.id AND a.year = $1 \
             LEFT JOIN publications p ON p.id = (SELECT MAX(p2.id) FROM publications p2 \
                  WHERE p2.assessment_id = a.id AND p2.published_at <= $2) \
             WHERE o.active = 1 GROUP BY o.org_type ORDER BY o.org_type",
        )
        .bind(i64::from(year))
        .bind(as_of)
        .fetch_all(&self.read)
        .await?)
    }

    async fn open_high_alerts(&self, now: i64) -> Result<Vec<OpenAlertFigures>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.reference, a.title, a.published_at, COUNT(*) AS in_scope, \
             CAST(SUM(CASE WHEN r.acknowledged_at IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS acknowledged, \
             CAST(SUM(CASE WHEN r.status = 'closed' THEN 1 ELSE 0 END) AS BIGINT) AS closed, \
             CAST(SUM(CASE WHEN r.status <> 'closed' AND r.due_at < $1 THEN 1 ELSE 0 END) AS BIGINT) AS late \
             FROM alerts a JOIN alert_responses r ON r.alert_id = a.id \
             WHERE a.state = 'published' AND a.severity = 'high' \
             GROUP BY a.id, a.reference, a.title, a.published_at \
             HAVING SUM(CASE WHEN r.status = 'closed' THEN 0 ELSE 1 END) > 0 \
             ORDER BY a.published_at DESC, a.id DESC",
        )
        .bind(now)
        .fetch_all(&self.read)
        .await?)
    }

    async fn acknowledgement_days(&self, alert_ids: &[i64]) -> Result<Vec<AcknowledgedOnDay>> {
        if alert_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = crate::db::Sql::new(
            "SELECT r.alert_id, (r.acknowledged_at - a.published_at) / 86400 AS day, \
             COUNT(*) AS count FROM alert_responses r JOIN alerts a ON a.id = r.alert_id \
             WHERE r.acknowledged_at IS NOT NULL AND r.alert_id IN (",
        );
        sql.i64_list(alert_ids)
            .push(") GROUP BY r.alert_id, day ORDER BY r.alert_id, day");
        Ok(sql.query_as().fetch_all(&self.read).await?)
    }

    async fn open_incidents_by_severity(&self) -> Result<Vec<(Option<String>, i64)>> {
        Ok(sqlx::query_as(
            "SELECT severity, COUNT(*) FROM incidents \
             WHERE status NOT IN ('draft', 'closed') GROUP BY severity ORDER BY severity",
        )
        .fetch_all(&self.read)
        .await?)
    }

    async fn plans_awaiting_review(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM improvement_plans WHERE state = 'signed_off'")
                .fetch_one(&self.read)
                .await?,
        )
    }
}
