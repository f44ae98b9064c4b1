//! Background jobs on SQL, shared by every server: a row per job with its schedule and lease,
//! and a row per run. A server takes a job's lease with one conditional update (on PostgreSQL
//! the due job is picked `FOR UPDATE SKIP LOCKED`, so two servers asking at once each go on to
//! a different job instead of queueing behind each other), runs it, and hands the lease back
//! with the outcome and the next time it is due.

use crate::db::{Sql, skip_locked};
use crate::{Result, SqlStore};
use async_trait::async_trait;
use palisade_domain::page::{Page, PageRequest};
use serde::Serialize;
use sqlx::FromRow;

/// A job as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct JobRecord {
    pub name: String,
    pub next_run_at: i64,
    /// The server running it now, and until when it may (a lease not yet run out).
    pub lease_holder: Option<String>,
    pub lease_until: Option<i64>,
    pub last_started_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_failure_at: Option<i64>,
    /// Failures since the last success.
    pub failures: i64,
    pub failures_total: i64,
    pub last_error: Option<String>,
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    pub server: String,
    /// `schedule` or `manual`.
    pub trigger: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `succeeded`, `failed` or `abandoned` (its server stopped before it ended).
    pub outcome: String,
    pub items: i64,
    pub error: Option<String>,
}

/// A lease taken: the job and the run it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobClaim {
    pub name: String,
    pub run_id: i64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    pub at: i64,
    /// Items handled, or the error that stopped it.
    pub result: std::result::Result<i64, String>,
    /// When the job is next due; `None` leaves the schedule as it was (a manual run).
    pub next_run_at: Option<i64>,
}

const JOB_COLUMNS: &str = "name, next_run_at, lease_holder, lease_until, last_started_at, \
     last_success_at, last_failure_at, failures, failures_total, last_error";
const RUN_COLUMNS: &str =
    "id, job, server, trigger, started_at, finished_at, outcome, items, error";

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Adds the jobs not yet known, each first due at its time; known jobs keep their schedule.
    async fn register_jobs(&self, jobs: &[(&str, i64)]) -> Result<()>;
    /// Takes the lease on the most overdue of `names` that is due at `now` and not leased, and
    /// starts its run; `None` when nothing is due.
    async fn claim_due_job(
        &self,
        names: &[&str],
        server: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<JobClaim>>;
    /// Takes the lease on `name` whether or not it is due (a run asked for by hand); `None`
    /// while another run holds it.
    async fn claim_job_now(
        &self,
        name: &str,
        server: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<JobClaim>>;
    /// Records how the run ended and hands the lease back, provided `server` still holds it.
    async fn finish_job(&self, claim: &JobClaim, server: &str, end: &JobEnd) -> Result<()>;
    async fn jobs(&self) -> Result<Vec<JobRecord>>;
    async fn job(&self, name: &str) -> Result<Option<JobRecord>>;
    /// A job's runs, newest first.
    async fn job_runs(&self, name: &str, page: PageRequest) -> Result<Page<JobRun>>;
    /// Removes the finished runs that started before `before`. Returns how many.
    async fn prune_job_runs(&self, before: i64) -> Result<u64>;
}

#[async_trait]
impl JobStore for SqlStore {
    async fn register_jobs(&self, jobs: &[(&str, i64)]) -> Result<()> {
        let mut tx = self.begin_unserialised().await?;
        for (name, first) in jobs {
            sqlx::query(
                "INSERT INTO jobs (name, next_run_at) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(*name)
            .bind(*first)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim_due_job(
        &self,
        names: &[&str],
        server: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<JobClaim>> {
        if names.is_empty() {
            return Ok(None);
        }
        self.claim(server, now, lease_until, "schedule", |which| {
            which.push(" AND name IN (");
            for (i, n) in names.iter().enumerate() {
                which.push(if i > 0 { ", " } else { "" }).text(n);
            }
            which.push(") AND next_run_at <= ").i64(now);
        })
        .await
    }

    async fn claim_job_now(
        &self,
        name: &str,
        server: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<JobClaim>> {
        self.claim(server, now, lease_until, "manual", |which| {
            which.push(" AND name = ").text(name);
        })
        .await
    }

    async fn finish_job(&self, claim: &JobClaim, server: &str, end: &JobEnd) -> Result<()> {
        let mut tx = self.begin_unserialised().await?;
        let (outcome, items, error) = match &end.result {
            Ok(items) => ("succeeded", *items, None),
            Err(e) => ("failed", 0, Some(e.as_str())),
        };
        sqlx::query(
            "UPDATE job_runs SET finished_at = $1, outcome = $2, items = $3, error = $4 \
             WHERE id = $5 AND outcome = 'running'",
        )
        .bind(end.at)
        .bind(outcome)
        .bind(items)
        .bind(error)
        .bind(claim.run_id)
        .execute(&mut *tx)
        .await?;
        let ok = i64::from(end.result.is_ok());
        sqlx::query(
            "UPDATE jobs SET lease_holder = NULL, lease_until = NULL, \
             next_run_at = COALESCE($1, next_run_at), \
             last_success_at = CASE WHEN $2 = 1 THEN $3 ELSE last_success_at END, \
             last_failure_at = CASE WHEN $2 = 1 THEN last_failure_at ELSE $3 END, \
             failures = CASE WHEN $2 = 1 THEN 0 ELSE failures + 1 END, \
             failures_total = failures_total + 1 - $2, \
             last_error = CASE WHEN $2 = 1 THEN NULL ELSE $4 END \
             WHERE name = $5 AND lease_holder = $6",
        )
        .bind(end.next_run_at)
        .bind(ok)
        .bind(end.at)
        .bind(error)
        .bind(&claim.name)
        .bind(server)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn jobs(&self) -> Result<Vec<JobRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs ORDER BY name"
        )))
        .fetch_all(&self.read)
        .await?)
    }

    async fn job(&self, name: &str) -> Result<Option<JobRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE name = $1"
        )))
        .bind(name)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn job_runs(&self, name: &str, page: PageRequest) -> Result<Page<JobRun>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_runs WHERE job = $1")
            .bind(name)
            .fetch_one(&self.read)
            .await?;
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM job_runs WHERE job = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(name)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.read)
        .await?;
        Ok(Page::of(items, total, page))
    }

    async fn prune_job_runs(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM job_runs WHERE started_at < $1 AND outcome <> 'running'")
                .bind(before)
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }
}

impl SqlStore {
    /// Leases to `server` the most overdue job whose lease is free and that `which` (a condition
    /// starting ` AND`) admits, marks its runs left `running` by a server whose lease ran out as
    /// abandoned, and starts a run: one transaction, so a lease is never taken without its run
    /// recorded.
    async fn claim(
        &self,
        server: &str,
        now: i64,
        lease_until: i64,
        trigger: &str,
        which: impl FnOnce(&mut Sql),
    ) -> Result<Option<JobClaim>> {
        let mut tx = self.begin_unserialised().await?;
        let mut sql = Sql::new("UPDATE jobs SET lease_holder = ");
        sql.text(server)
            .push(", lease_until = ")
            .i64(lease_until)
            .push(", last_started_at = ")
            .i64(now)
            .push(
                " WHERE name = (SELECT name FROM jobs WHERE (lease_until IS NULL OR lease_until <= ",
            )
            .i64(now)
            .push(")");
        which(&mut sql);
        sql.push(" ORDER BY next_run_at, name LIMIT 1")
            .push(skip_locked(self.engine))
            .push(") RETURNING name");
        let Some(name) = sql
            .query_scalar::<String>()
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        sqlx::query(
            "UPDATE job_runs SET outcome = 'abandoned', finished_at = $1, \
             error = 'its server stopped before the run ended' \
             WHERE job = $2 AND outcome = 'running'",
        )
        .bind(now)
        .bind(&name)
        .execute(&mut *tx)
        .await?;
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO job_runs (job, server, trigger, started_at, outcome) \
             VALUES ($1, $2, $3, $4, 'running') RETURNING id",
        )
        .bind(&name)
        .bind(server)
        .bind(trigger)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(JobClaim { name, run_id }))
    }
}
