//! Background jobs, shared by every server on one database.
//!
//! Each job has a row holding when it is next due and who holds its lease. Every server runs the
//! scheduler; on each tick it takes the lease of a due job (one conditional update: two servers
//! never hold it at once), runs it, and records the run with its outcome and the number of items
//! it handled. A success schedules the next run an interval after it ended; a failure is retried
//! with backoff (30 s, doubling, at most an hour) and shows its error. The next time due is
//! counted from when the run ended, so a server down for a day (or a clock jumping forward)
//! catches up with one run, not one per missed interval. A server that stops mid-run leaves a
//! lease that runs out and a run marked abandoned by the next server to take the job; what the
//! run wrote is whole (each reminder commits with its messages), so the next run only finishes
//! the work.

use crate::{Actor, App, AppError, Result};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::GlobalAction;
use palisade_store::{JobClaim, JobEnd, JobRecord, JobRun};
use serde::Serialize;
use std::time::Duration;

/// The jobs there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// Escalates responses to alerts gone late and warns of incident clocks running out.
    Escalations,
    /// Reminds organisations of deadlines coming (see [`crate::reminders`]).
    Reminders,
    /// Sends the daily digests of reminders (see [`crate::digests`]).
    Digest,
    /// Records the day's national count of unsupported systems, for the trend.
    EstateTrend,
    /// Imports the data feeds from the configured source (see [`crate::feed_refresh`]).
    Feeds,
    /// Removes expired sessions and old runs of jobs.
    Housekeeping,
}

impl Job {
    pub const ALL: [Job; 6] = [
        Job::Escalations,
        Job::Reminders,
        Job::Digest,
        Job::EstateTrend,
        Job::Feeds,
        Job::Housekeeping,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Escalations => "escalations",
            Job::Reminders => "reminders",
            Job::Digest => "digest",
            Job::EstateTrend => "estate_trend",
            Job::Feeds => "feeds",
            Job::Housekeeping => "housekeeping",
        }
    }

    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Job::Escalations => {
                "Escalates responses to alerts gone late to each SIRO and warns of incident \
                 reporting clocks running out."
            }
            Job::Reminders => {
                "Reminds organisations by email and text before deadlines: alert responses, \
                 the assessment and its interim baseline, plan actions, mitigation agreements \
                 and suppliers' charter signatures."
            }
            Job::Digest => {
                "Sends each contact who chose the daily digest one email a day with the \
                 reminders collected for them, from the digest hour."
            }
            Job::EstateTrend => {
                "Records the day's national count of unsupported systems for the trend."
            }
            Job::Feeds => {
                "Imports the known exploited vulnerabilities and the product lifecycles from \
                 the configured feed source, when one is set; unchanged data writes nothing."
            }
            Job::Housekeeping => {
                "Removes expired sessions, sign-ins never finished, logout token ids too old to replay and job runs older than 30 days."
            }
        }
    }
}

/// How often each job runs and how the scheduler paces itself.
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub escalations_every_secs: i64,
    pub reminders_every_secs: i64,
    pub digest_every_secs: i64,
    pub estate_trend_every_secs: i64,
    pub feeds_every_secs: i64,
    pub housekeeping_every_secs: i64,
    /// How long a run may take: its lease lasts a minute longer, so no other server takes the
    /// job while it is still running.
    pub run_timeout: Duration,
    /// How often a server looks for a due job.
    pub tick: Duration,
    /// Finished runs are kept this long.
    pub keep_runs_secs: i64,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            escalations_every_secs: 60,
            reminders_every_secs: 300,
            digest_every_secs: 900,
            estate_trend_every_secs: 3600,
            feeds_every_secs: 6 * 3600,
            housekeeping_every_secs: 600,
            run_timeout: Duration::from_secs(600),
            tick: Duration::from_secs(5),
            keep_runs_secs: 30 * 86_400,
        }
    }
}

impl JobSettings {
    pub fn every_secs(&self, job: Job) -> i64 {
        match job {
            Job::Escalations => self.escalations_every_secs,
            Job::Reminders => self.reminders_every_secs,
            Job::Digest => self.digest_every_secs,
            Job::EstateTrend => self.estate_trend_every_secs,
            Job::Feeds => self.feeds_every_secs,
            Job::Housekeeping => self.housekeeping_every_secs,
        }
        .max(1)
    }

    fn lease_secs(&self) -> i64 {
        self.run_timeout.as_secs() as i64 + 60
    }
}

/// The wait before retrying a job after `failures` failures in a row (at least one).
pub fn retry_after_secs(failures: i64) -> i64 {
    let doublings = u32::try_from((failures - 1).clamp(0, 12)).unwrap_or(12);
    (30_i64 << doublings).min(3600)
}

/// A job as the national page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub job: Job,
    pub name: &'static str,
    pub description: &'static str,
    pub every_secs: i64,
    /// The stored state; `None` before any server has registered the job.
    pub state: Option<JobRecord>,
    /// The latest runs, newest first.
    pub recent: Vec<JobRun>,
}

/// How one run went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunOutcome {
    pub job: Job,
    pub run_id: i64,
    pub items: Option<i64>,
    pub error: Option<String>,
}

impl App {
    /// Adds the jobs to the database (each first due now) where no server has yet.
    pub async fn register_jobs(&self) -> Result<()> {
        let now = self.now();
        let jobs: Vec<(&str, i64)> = Job::ALL.iter().map(|j| (j.name(), now)).collect();
        Ok(self.store.register_jobs(&jobs).await?)
    }

    /// Runs each job that is due, one after another, as `server`. Returns what each did.
    pub async fn run_due_jobs(&self, server: &str) -> Result<Vec<RunOutcome>> {
        let settings = &self.jobs;
        let names: Vec<&str> = Job::ALL.iter().map(|j| j.name()).collect();
        let mut done = Vec::new();
        loop {
            let now = self.now();
            let Some(claim) = self
                .store
                .claim_due_job(&names, server, now, now + settings.lease_secs())
                .await?
            else {
                return Ok(done);
            };
            done.push(self.run_claimed(claim, server, true).await?);
        }
    }

    /// Runs `name` now, due or not, for a national administrator, and waits for it. Refused with
    /// a conflict while another run of it holds the lease.
    pub async fn run_job_now(&self, actor: &Actor, name: &str, server: &str) -> Result<RunOutcome> {
        let claim = self.claim_by_hand(actor, name, server).await?;
        self.run_claimed(claim, server, false).await
    }

    /// Starts `name` now as [`App::run_job_now`] does, but runs it in the background and returns
    /// its run's id at once (a request does not wait for a long job; its run shows the outcome).
    pub async fn start_job_now(&self, actor: &Actor, name: &str, server: &str) -> Result<i64> {
        let claim = self.claim_by_hand(actor, name, server).await?;
        let run_id = claim.run_id;
        let (app, server) = (self.clone(), server.to_string());
        tokio::spawn(async move {
            if let Err(e) = app.run_claimed(claim, &server, false).await {
                tracing::error!(error = %e, "a job started by hand could not record its run");
            }
        });
        Ok(run_id)
    }

    /// Takes the lease of `name` for a run asked for by `actor`, and audits the asking.
    async fn claim_by_hand(&self, actor: &Actor, name: &str, server: &str) -> Result<JobClaim> {
        actor.require(GlobalAction::ManageJobs)?;
        let settings = &self.jobs;
        let job = Job::parse(name).ok_or(AppError::NotFound)?;
        self.register_jobs().await?;
        let now = self.now();
        let claim = self
            .store
            .claim_job_now(job.name(), server, now, now + settings.lease_secs())
            .await?
            .ok_or_else(|| AppError::Conflict {
                field: "job".into(),
                message: format!("{name} is running already; try again when it has finished"),
            })?;
        let audit = self.draft(
            actor,
            "job.run",
            "job",
            job.name().to_string(),
            None,
            serde_json::json!({"run": claim.run_id, "server": server}),
        );
        self.store.append_audit(audit).await?;
        Ok(claim)
    }

    /// The jobs with their state and latest runs, for a national administrator.
    pub async fn jobs(&self, actor: &Actor) -> Result<Vec<JobView>> {
        actor.require(GlobalAction::ManageJobs)?;
        let settings = &self.jobs;
        let stored = self.store.jobs().await?;
        let mut out = Vec::new();
        for job in Job::ALL {
            let recent = self
                .store
                .job_runs(job.name(), PageRequest::new(Some(1), Some(5)))
                .await?
                .items;
            out.push(JobView {
                job,
                name: job.name(),
                description: job.description(),
                every_secs: settings.every_secs(job),
                state: stored.iter().find(|r| r.name == job.name()).cloned(),
                recent,
            });
        }
        Ok(out)
    }

    /// One job's runs, newest first.
    pub async fn job_runs(
        &self,
        actor: &Actor,
        name: &str,
        page: PageRequest,
    ) -> Result<Page<JobRun>> {
        actor.require(GlobalAction::ManageJobs)?;
        let job = Job::parse(name).ok_or(AppError::NotFound)?;
        Ok(self.store.job_runs(job.name(), page).await?)
    }

    /// Every job's stored state, for the metrics (no actor: the metrics endpoint has its own
    /// guard).
    pub async fn job_states(&self) -> Result<Vec<JobRecord>> {
        Ok(self.store.jobs().await?)
    }

    async fn run_claimed(
        &self,
        claim: JobClaim,
        server: &str,
        scheduled: bool,
    ) -> Result<RunOutcome> {
        let settings = &self.jobs;
        let job = Job::parse(&claim.name).ok_or_else(|| {
            AppError::Internal(format!("a job named {} is not known", claim.name))
        })?;
        let result = match tokio::time::timeout(settings.run_timeout, self.run_body(job)).await {
            Ok(Ok(items)) => Ok(items),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "did not finish within {} s",
                settings.run_timeout.as_secs()
            )),
        };
        let at = self.now();
        let next_run_at = if !scheduled {
            None
        } else if result.is_ok() {
            Some(at + settings.every_secs(job))
        } else {
            let failures = self.store.job(job.name()).await?.map_or(0, |r| r.failures);
            Some(at + retry_after_secs(failures + 1))
        };
        match &result {
            Ok(items) => tracing::info!(job = job.name(), items, "job ran"),
            Err(e) => tracing::error!(job = job.name(), error = %e, "job failed"),
        }
        self.store
            .finish_job(
                &claim,
                server,
                &JobEnd {
                    at,
                    result: result.clone(),
                    next_run_at,
                },
            )
            .await?;
        Ok(RunOutcome {
            job,
            run_id: claim.run_id,
            items: result.as_ref().ok().copied(),
            error: result.err(),
        })
    }

    /// What `job` does; returns how many items it handled.
    async fn run_body(&self, job: Job) -> Result<i64> {
        Ok(match job {
            Job::Escalations => {
                let late = self.escalate_late().await?;
                let warned = self.warn_incident_clocks().await?;
                (late + warned) as i64
            }
            Job::Reminders => {
                let round = self.send_reminders().await?;
                (round.messages + round.digested) as i64
            }
            Job::Digest => self.send_digests().await? as i64,
            Job::EstateTrend => {
                self.estate_on(None, &crate::exposure::EstateFilter::default())
                    .await?
                    .organisations as i64
            }
            Job::Feeds => self.refresh_feeds().await?.items_changed() as i64,
            Job::Housekeeping => {
                let sessions = self.purge_expired_sessions().await?;
                let sign_ins = self.purge_sign_in_state().await?;
                let runs = self
                    .store
                    .prune_job_runs(self.now() - self.jobs.keep_runs_secs)
                    .await?;
                (sessions + sign_ins + runs) as i64
            }
        })
    }
}

/// This process's name in leases and runs: the host, the process and a random tag, so two
/// servers on one host (or one restarted) are told apart. The same all the process's life.
pub fn server_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "server".into());
        let mut tag = [0u8; 2];
        getrandom::fill(&mut tag).expect("the operating system's random source failed");
        format!(
            "{host}:{}:{:04x}",
            std::process::id(),
            u16::from_be_bytes(tag)
        )
    })
}

/// Runs the scheduler until `stop` turns true: registers the jobs, then on every tick runs
/// whatever is due. Errors are logged and the loop goes on.
pub async fn run_scheduler(app: App, server: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    if let Err(e) = app.register_jobs().await {
        tracing::error!(error = %e, "the jobs could not be registered");
    }
    loop {
        if let Err(e) = app.run_due_jobs(&server).await {
            tracing::error!(error = %e, "running due jobs failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(app.jobs.tick) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for job in Job::ALL {
            assert_eq!(Job::parse(job.name()), Some(job));
        }
        assert_eq!(Job::parse("nope"), None);
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_after_secs(1), 30);
        assert_eq!(retry_after_secs(2), 60);
        assert_eq!(retry_after_secs(3), 120);
        assert_eq!(retry_after_secs(8), 3600);
        assert_eq!(retry_after_secs(500), 3600);
    }
}
