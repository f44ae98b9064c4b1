//! Improvement plans on SQL: one row per assessment's plan, one per action; every change checks
//! the plan's revision so two people never overwrite each other unseen.

use crate::assessments::{record_publication, status};
use crate::audit::append;
use crate::db::Sql;
use crate::error::corrupt;
use crate::figures::FiguresDelta;
use crate::model::*;
use crate::{PlanStore, Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::assessment::Status;
use palisade_domain::audit::AuditDraft;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::plan::PlanState;
use palisade_domain::policy::Scope;
use sqlx::{AnyConnection, FromRow};

const PLAN_SELECT: &str = "SELECT p.id, p.assessment_id, p.state, p.revision, p.siro_name, \
     p.signed_off_at, s.email AS signed_off_by, p.reviewed_at, r.email AS reviewed_by, \
     p.review_note, p.updated_at FROM improvement_plans p \
     LEFT JOIN users s ON s.id = p.signed_off_by LEFT JOIN users r ON r.id = p.reviewed_by";

#[derive(FromRow)]
struct PlanRow {
    id: i64,
    assessment_id: i64,
    state: String,
    revision: i64,
    siro_name: Option<String>,
    signed_off_at: Option<i64>,
    signed_off_by: Option<String>,
    reviewed_at: Option<i64>,
    reviewed_by: Option<String>,
    review_note: Option<String>,
    updated_at: i64,
}

fn plan_state(s: &str) -> Result<PlanState> {
    s.parse().map_err(|_| corrupt("plan state", s))
}

impl TryFrom<PlanRow> for PlanRecord {
    type Error = StoreError;
    fn try_from(r: PlanRow) -> Result<Self> {
        Ok(PlanRecord {
            state: plan_state(&r.state)?,
            id: r.id,
            assessment_id: r.assessment_id,
            revision: r.revision,
            siro_name: r.siro_name,
            signed_off_at: r.signed_off_at,
            signed_off_by: r.signed_off_by,
            reviewed_at: r.reviewed_at,
            reviewed_by: r.reviewed_by,
            review_note: r.review_note,
            updated_at: r.updated_at,
        })
    }
}

async fn plan_by(conn: &mut AnyConnection, column: &str, value: i64) -> Result<Option<PlanRecord>> {
    let row: Option<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PLAN_SELECT} WHERE p.{column} = $1"
    )))
    .bind(value)
    .fetch_optional(conn)
    .await?;
    row.map(TryInto::try_into).transpose()
}

/// The plan as it stands inside `conn`'s transaction, refused unless at `expected` revision.
async fn plan_at(
    conn: &mut AnyConnection,
    plan_id: i64,
    expected: Option<i64>,
) -> Result<PlanRecord> {
    let plan = plan_by(conn, "id", plan_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    match expected {
        Some(e) => at_revision(plan, e),
        None => Ok(plan),
    }
}

/// The plan, refused unless it is still at the revision its editor read.
fn at_revision(plan: PlanRecord, expected: i64) -> Result<PlanRecord> {
    if plan.revision != expected {
        return Err(StoreError::conflict(
            "plan",
            "the plan was changed by someone else since you opened it; review it and try again",
        ));
    }
    Ok(plan)
}

async fn touch(conn: &mut AnyConnection, plan_id: i64, set: &str, at: i64) -> Result<PlanRecord> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE improvement_plans SET {set}revision = revision + 1, updated_at = $1 WHERE id = $2"
    )))
    .bind(at)
    .bind(plan_id)
    .execute(&mut *conn)
    .await?;
    plan_at(conn, plan_id, None).await
}

#[async_trait]
impl PlanStore for SqlStore {
    async fn plan(&self, assessment_id: i64) -> Result<Option<PlanRecord>> {
        let mut conn = self.read.acquire().await?;
        plan_by(&mut conn, "assessment_id", assessment_id).await
    }

    async fn plan_actions(&self, plan_id: i64) -> Result<Vec<PlanActionRecord>> {
        Ok(sqlx::query_as(
            "SELECT ref AS reference, action, owner, target_date, done_on FROM plan_actions \
             WHERE plan_id = $1 ORDER BY ref",
        )
        .bind(plan_id)
        .fetch_all(&self.read)
        .await?)
    }

    async fn save_plan(
        &self,
        assessment_id: i64,
        expected_revision: i64,
        actions: &[PlanActionRecord],
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<PlanRecord> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO improvement_plans (assessment_id, updated_at) VALUES ($1, $2) \
             ON CONFLICT (assessment_id) DO NOTHING",
        )
        .bind(assessment_id)
        .bind(stamp.at)
        .execute(&mut *tx)
        .await?;
        let plan = plan_by(&mut tx, "assessment_id", assessment_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let plan = at_revision(plan, expected_revision)?;
        if !plan.state.editable() {
            return Err(StoreError::conflict(
                "plan",
                format!(
                    "the plan is {}: its actions change only once the national team returns it",
                    plan.state.label().to_lowercase()
                ),
            ));
        }
        sqlx::query("DELETE FROM plan_actions WHERE plan_id = $1")
            .bind(plan.id)
            .execute(&mut *tx)
            .await?;
        for a in actions {
            sqlx::query(
                "INSERT INTO plan_actions (plan_id, ref, action, owner, target_date, done_on) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(plan.id)
            .bind(a.reference.clone())
            .bind(a.action.clone())
            .bind(a.owner.clone())
            .bind(a.target_date.clone())
            .bind(a.done_on.clone())
            .execute(&mut *tx)
            .await?;
        }
        audit.entity_id = plan.id.to_string();
        append(&mut tx, &audit).await?;
        // A changed plan is a new draft: the SIRO signs off what is there now, not what was.
        let plan = touch(
            &mut tx,
            plan.id,
            "state = 'draft', siro_name = NULL, signed_off_at = NULL, signed_off_by = NULL, ",
            stamp.at,
        )
        .await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn mark_actions(
        &self,
        plan_id: i64,
        done: &[(String, Option<String>)],
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<PlanRecord> {
        let mut tx = self.begin().await?;
        plan_at(&mut tx, plan_id, None).await?;
        for (reference, on) in done {
            let changed =
                sqlx::query("UPDATE plan_actions SET done_on = $1 WHERE plan_id = $2 AND ref = $3")
                    .bind(on.clone())
                    .bind(plan_id)
                    .bind(reference.clone())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if changed == 0 {
                return Err(StoreError::conflict(
                    &format!("actions.{reference}"),
                    "is not an action of this plan",
                ));
            }
        }
        append(&mut tx, &audit).await?;
        let plan = touch(&mut tx, plan_id, "", stamp.at).await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn sign_off_plan(
        &self,
        plan_id: i64,
        expected_revision: i64,
        siro_name: &str,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<PlanRecord> {
        let mut tx = self.begin().await?;
        let plan = plan_at(&mut tx, plan_id, Some(expected_revision)).await?;
        if !plan.state.editable() {
            return Err(StoreError::conflict(
                "plan",
                format!("the plan is already {}", plan.state.label().to_lowercase()),
            ));
        }
        sqlx::query(
            "UPDATE improvement_plans SET siro_name = $1, signed_off_at = $2, signed_off_by = $3, \
             reviewed_at = NULL, reviewed_by = NULL, review_note = NULL WHERE id = $4",
        )
        .bind(siro_name.to_string())
        .bind(stamp.at)
        .bind(stamp.user_id)
        .bind(plan_id)
        .execute(&mut *tx)
        .await?;
        append(&mut tx, &audit).await?;
        let plan = touch(&mut tx, plan_id, "state = 'signed_off', ", stamp.at).await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn review_plan(
        &self,
        plan_id: i64,
        expected_revision: i64,
        decision: &PlanDecision,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<PlanRecord> {
        let mut tx = self.begin().await?;
        let plan = plan_at(&mut tx, plan_id, Some(expected_revision)).await?;
        if plan.state != PlanState::SignedOff {
            return Err(StoreError::conflict(
                "plan",
                "only a plan signed off by the SIRO can be reviewed",
            ));
        }
        sqlx::query(
            "UPDATE improvement_plans SET reviewed_at = $1, reviewed_by = $2, review_note = $3 \
             WHERE id = $4",
        )
        .bind(stamp.at)
        .bind(stamp.user_id)
        .bind(decision.note.clone())
        .bind(plan_id)
        .execute(&mut *tx)
        .await?;
        if decision.agree {
            // Only a published Standards Not Met becomes Plan Agreed.
            let mut figures = FiguresDelta::default();
            figures
                .assessments(&mut tx, &[plan.assessment_id], -1)
                .await?;
            let changed = sqlx::query(
                "UPDATE assessments SET status = $1, published_at = $2, revision = revision + 1, \
                 updated_at = $2 WHERE id = $3 AND submitted = 1 AND status = $4",
            )
            .bind(Status::PlanAgreed.as_str())
            .bind(stamp.at)
            .bind(plan.assessment_id)
            .bind(Status::StandardsNotMet.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            figures
                .assessments(&mut tx, &[plan.assessment_id], 1)
                .await?;
            figures.apply(&mut tx).await?;
            if changed == 1 {
                record_publication(
                    &mut tx,
                    plan.assessment_id,
                    Status::PlanAgreed,
                    false,
                    stamp,
                )
                .await?;
            }
        }
        append(&mut tx, &audit).await?;
        let set = if decision.approve {
            "state = 'approved', "
        } else {
            "state = 'returned', "
        };
        let plan = touch(&mut tx, plan_id, set, stamp.at).await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn list_plans(
        &self,
        scope: &Scope,
        filter: &PlanFilter,
        today: &str,
        page: PageRequest,
    ) -> Result<Page<PlanSummary>> {
        let build = |count: bool| {
            let mut sql = Sql::default();
            let scoped = sql.scope_cte(scope);
            if count {
                sql.push("SELECT COUNT(*) ");
            } else {
                sql.push(
                    "SELECT o.code, o.name, o.org_type, a.year, p.state, a.status, \
                     (SELECT COUNT(*) FROM plan_actions x WHERE x.plan_id = p.id) AS actions, \
                     (SELECT COUNT(*) FROM plan_actions x WHERE x.plan_id = p.id AND x.done_on IS NULL \
                      AND x.target_date < ",
                )
                .text(today)
                .push(") AS overdue, p.updated_at ");
            }
            sql.push(
                "FROM improvement_plans p JOIN assessments a ON a.id = p.assessment_id \
                 JOIN organisations o ON o.id = a.org_id WHERE 1 = 1",
            );
            if scoped {
                sql.push(" AND o.id IN (SELECT id FROM visible)");
            }
            if let Some(y) = filter.year {
                sql.push(" AND a.year = ").i64(i64::from(y));
            }
            if let Some(s) = filter.state {
                sql.push(" AND p.state = ").text(s.as_str());
            }
            if filter.overdue_only {
                sql.push(
                    " AND EXISTS (SELECT 1 FROM plan_actions x WHERE x.plan_id = p.id \
                     AND x.done_on IS NULL AND x.target_date < ",
                )
                .text(today)
                .push(")");
            }
            if !count {
                sql.push(" ORDER BY p.updated_at DESC, o.code LIMIT ")
                    .i64(page.limit())
                    .push(" OFFSET ")
                    .i64(page.offset());
            }
            sql
        };
        let total: i64 = build(true).query_scalar().fetch_one(&self.read).await?;
        type Row = (String, String, String, i64, String, String, i64, i64, i64);
        let rows = build(false).query_as::<Row>().fetch_all(&self.read).await?;
        let items = rows
            .into_iter()
            .map(
                |(code, name, t, year, state, st, actions, overdue, updated_at)| {
                    Ok(PlanSummary {
                        code,
                        name,
                        org_type: t.parse().map_err(|_| corrupt("organisation type", &t))?,
                        year: year as i32,
                        state: plan_state(&state)?,
                        status: status(&st)?,
                        actions,
                        overdue,
                        updated_at,
                    })
                },
            )
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::of(items, total, page))
    }
}
