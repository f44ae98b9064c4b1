//! What each person's worklist rests on, read for all the organisations they act for at once: a
//! care group's lead acts for hundreds of homes, and a statement per home and kind of work would
//! be thousands a page.

use crate::assessments::{ASSESSMENT_COLUMNS, AssessmentRow};
use crate::db::{IDS_PER_STATEMENT, Sql};
use crate::model::{AssessmentRecord, CertificateRecord, Organisation};
use crate::{Result, SqlStore, WorklistStore};
use async_trait::async_trait;
use palisade_domain::policy::{OrgId, Scope};
use sqlx::FromRow;
use std::collections::HashMap;

/// An organisation's response to a published alert, in whatever state.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AlertResponseFacts {
    pub org_id: OrgId,
    pub reference: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub due_at: Option<i64>,
}

/// An assessment with what its evaluation needs: answers, documents by item, certificates.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentFacts {
    pub record: AssessmentRecord,
    /// (item reference, value).
    pub answers: Vec<(String, String)>,
    /// The item reference of each document held (removed ones left out).
    pub documents: Vec<String>,
    pub certificates: Vec<CertificateRecord>,
}

/// An improvement-plan action not yet done.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DueAction {
    pub org_id: OrgId,
    /// The year of the assessment the plan belongs to.
    pub year: i64,
    #[sqlx(rename = "ref")]
    pub reference: String,
    pub action: String,
    /// `YYYY-MM-DD`.
    pub target_date: String,
}

/// An open playbook task for the organisation, in an incident not closed.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OpenTask {
    pub org_id: OrgId,
    pub incident_id: i64,
    pub title: String,
    pub due_at: Option<i64>,
}

/// A message from the national team on an open incident, with no reply from the organisation
/// (a message or an update) after it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UnansweredMessage {
    pub org_id: OrgId,
    pub incident_id: i64,
    pub at: i64,
    pub text: String,
}

/// What the worklist of these organisations rests on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorklistFacts {
    /// Every response to a published alert, closed ones too.
    pub responses: Vec<AlertResponseFacts>,
    /// This year's assessments of the organisations that have started one (what their
    /// evaluation needs is read separately, for those not already worked out).
    pub assessments: Vec<AssessmentRecord>,
    /// Open plan actions due on or before the horizon, soonest first.
    pub actions: Vec<DueAction>,
    pub tasks: Vec<OpenTask>,
    /// Oldest first within each incident.
    pub messages: Vec<UnansweredMessage>,
}

#[derive(FromRow)]
struct OwnedCertificate {
    owner: i64,
    #[sqlx(flatten)]
    row: CertificateRecord,
}

#[async_trait]
impl WorklistStore for SqlStore {
    async fn acting_orgs(&self, scope: &Scope, limit: i64) -> Result<Vec<Organisation>> {
        // A worklist is about the organisations someone acts for, never the whole register.
        let Scope::Within(granted) = scope else {
            return Ok(Vec::new());
        };
        // Level by level down the parent index. The recursive scope expression answers the same,
        // but PostgreSQL plans its recursive step as a scan of the whole register per level
        // (20 ms for a trust's lead with none beneath).
        let mut seen: std::collections::HashSet<OrgId> = granted.iter().copied().collect();
        let mut level: Vec<OrgId> = granted.clone();
        while !level.is_empty() {
            let mut next = Vec::new();
            for chunk in level.chunks(IDS_PER_STATEMENT) {
                let children: Vec<i64> = Sql::with_ids(
                    "SELECT id FROM organisations WHERE parent_id IN (",
                    chunk,
                    ")",
                )
                .query_scalar()
                .fetch_all(&self.read)
                .await?;
                next.extend(children.into_iter().filter(|id| seen.insert(*id)));
            }
            level = next;
        }
        let ids: Vec<OrgId> = seen.into_iter().collect();
        let mut orgs: Vec<Organisation> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let sql = Sql::with_ids(
                &format!(
                    "SELECT {} WHERE o.active = 1 AND o.id IN (",
                    crate::orgs::ORG_COLUMNS
                ),
                chunk,
                ")",
            );
            orgs.extend(crate::orgs::fetch_orgs(&sql, &self.read).await?);
        }
        orgs.sort_by(|a, b| a.code.cmp(&b.code));
        orgs.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(orgs)
    }

    async fn worklist_facts(
        &self,
        org_ids: &[OrgId],
        year: i32,
        horizon: &str,
    ) -> Result<WorklistFacts> {
        let mut out = WorklistFacts::default();
        for chunk in org_ids.chunks(IDS_PER_STATEMENT) {
            out.responses.extend(
                Sql::with_ids(
                    "SELECT r.org_id, a.reference, a.title, a.severity, r.status, r.due_at \
                     FROM alert_responses r JOIN alerts a ON a.id = r.alert_id \
                     WHERE a.state = 'published' AND r.org_id IN (",
                    chunk,
                    ") ORDER BY r.org_id, a.id",
                )
                .query_as::<AlertResponseFacts>()
                .fetch_all(&self.read)
                .await?,
            );
            let mut sql = Sql::with_ids(
                &format!("SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE org_id IN ("),
                chunk,
                ") AND year = ",
            );
            sql.i64(i64::from(year)).push(" ORDER BY org_id");
            let rows: Vec<AssessmentRow> = sql.query_as().fetch_all(&self.read).await?;
            for r in rows {
                out.assessments.push(r.try_into()?);
            }
            let mut sql = Sql::with_ids(
                "SELECT a.org_id, a.year, pa.ref, pa.action, pa.target_date \
                 FROM plan_actions pa JOIN improvement_plans p ON p.id = pa.plan_id \
                 JOIN assessments a ON a.id = p.assessment_id \
                 WHERE pa.done_on IS NULL AND a.org_id IN (",
                chunk,
                ") AND pa.target_date <= ",
            );
            sql.text(horizon);
            out.actions
                .extend(sql.query_as::<DueAction>().fetch_all(&self.read).await?);
            out.tasks.extend(
                Sql::with_ids(
                    "SELECT i.org_id, i.id AS incident_id, t.title, t.due_at \
                     FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id \
                     WHERE t.state = 'open' AND t.actor = 'organisation' \
                     AND i.status <> 'closed' AND i.org_id IN (",
                    chunk,
                    ") ORDER BY i.org_id, i.id, t.position",
                )
                .query_as::<OpenTask>()
                .fetch_all(&self.read)
                .await?,
            );
            out.messages.extend(
                Sql::with_ids(
                    "SELECT i.org_id, e.incident_id, e.at, e.text FROM incident_entries e \
                     JOIN incidents i ON i.id = e.incident_id \
                     WHERE e.kind = 'message' AND e.from_national = 1 \
                     AND i.status <> 'closed' AND i.org_id IN (",
                    chunk,
                    ") AND NOT EXISTS (SELECT 1 FROM incident_entries r \
                     WHERE r.incident_id = e.incident_id AND r.id > e.id \
                     AND r.from_national = 0 AND r.kind IN ('message', 'update')) \
                     ORDER BY i.org_id, e.incident_id, e.id",
                )
                .query_as::<UnansweredMessage>()
                .fetch_all(&self.read)
                .await?,
            );
        }
        out.actions.sort_by(|a, b| {
            (&a.target_date, a.org_id, &a.reference).cmp(&(&b.target_date, b.org_id, &b.reference))
        });
        Ok(out)
    }

    async fn assessment_facts(
        &self,
        assessments: Vec<AssessmentRecord>,
    ) -> Result<Vec<AssessmentFacts>> {
        let mut out: Vec<AssessmentFacts> = assessments
            .into_iter()
            .map(|record| AssessmentFacts {
                record,
                answers: Vec::new(),
                documents: Vec::new(),
                certificates: Vec::new(),
            })
            .collect();
        let at: HashMap<i64, usize> = out
            .iter()
            .enumerate()
            .map(|(i, a)| (a.record.id, i))
            .collect();
        let ids: Vec<i64> = out.iter().map(|a| a.record.id).collect();
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let answers: Vec<(i64, String, String)> = Sql::with_ids(
                "SELECT assessment_id, ref, value FROM answers WHERE assessment_id IN (",
                chunk,
                ")",
            )
            .query_as()
            .fetch_all(&self.read)
            .await?;
            for (owner, reference, value) in answers {
                if let Some(i) = at.get(&owner) {
                    out[*i].answers.push((reference, value));
                }
            }
            let documents: Vec<(i64, String)> = Sql::with_ids(
                "SELECT assessment_id, ref FROM evidence WHERE removed = 0 AND assessment_id IN (",
                chunk,
                ")",
            )
            .query_as()
            .fetch_all(&self.read)
            .await?;
            for (owner, reference) in documents {
                if let Some(i) = at.get(&owner) {
                    out[*i].documents.push(reference);
                }
            }
            let certificates: Vec<OwnedCertificate> = Sql::with_ids(
                "SELECT assessment_id AS owner, kind, reference, expires_on, recorded_at \
                 FROM certificates WHERE assessment_id IN (",
                chunk,
                ") ORDER BY assessment_id, kind, expires_on, id",
            )
            .query_as()
            .fetch_all(&self.read)
            .await?;
            for c in certificates {
                if let Some(i) = at.get(&c.owner) {
                    out[*i].certificates.push(c.row);
                }
            }
        }
        Ok(out)
    }
}
