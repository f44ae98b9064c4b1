//! `/api/v1/jobs`: the background jobs every server shares, and running one by hand.

use crate::AppState;
use crate::kit::envelope::{ListMeta, items_and_meta};
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiQuery, ApiResult, Paging};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::jobs::{JobView, server_name};
use palisade_domain::clock::rfc3339_opt;
use palisade_store::JobRun;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    pub items: Vec<JobDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobDto {
    /// `escalations`, `reminders`, `estate_trend` or `housekeeping`.
    pub name: String,
    pub description: String,
    /// How long after a run ends the next is due.
    pub every_seconds: i64,
    /// RFC 3339; null before any server has registered the job.
    pub next_run_at: Option<String>,
    /// The server running it now, if one is.
    pub running_on: Option<String>,
    pub last_started_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_failure_at: Option<String>,
    /// Failures since the last success (each retried after 30 s, doubling up to an hour).
    pub failures_in_a_row: i64,
    pub failures_total: i64,
    /// Why the last run failed, while the job is failing.
    pub last_error: Option<String>,
    /// The latest runs, newest first.
    pub recent_runs: Vec<JobRunDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobRunDto {
    pub id: i64,
    pub job: String,
    /// The server that ran it.
    pub server: String,
    /// `schedule` or `manual`.
    pub trigger: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// `running`, `succeeded`, `failed` or `abandoned` (its server stopped before it ended).
    pub outcome: String,
    /// What the run handled: messages queued, organisations counted, rows removed.
    pub items: i64,
    pub error: Option<String>,
}

impl From<JobRun> for JobRunDto {
    fn from(r: JobRun) -> Self {
        Self {
            id: r.id,
            job: r.job,
            server: r.server,
            trigger: r.trigger,
            started_at: rfc3339_opt(Some(r.started_at)),
            finished_at: rfc3339_opt(r.finished_at),
            outcome: r.outcome,
            items: r.items,
            error: r.error,
        }
    }
}

impl From<JobView> for JobDto {
    fn from(v: JobView) -> Self {
        let recent_runs = v.recent.into_iter().map(Into::into).collect();
        let mut dto = Self {
            name: v.name.to_string(),
            description: v.description.to_string(),
            every_seconds: v.every_secs,
            next_run_at: None,
            running_on: None,
            last_started_at: None,
            last_success_at: None,
            last_failure_at: None,
            failures_in_a_row: 0,
            failures_total: 0,
            last_error: None,
            recent_runs,
        };
        if let Some(state) = v.state {
            dto.next_run_at = rfc3339_opt(Some(state.next_run_at));
            dto.running_on = state.lease_holder;
            dto.last_started_at = rfc3339_opt(state.last_started_at);
            dto.last_success_at = rfc3339_opt(state.last_success_at);
            dto.last_failure_at = rfc3339_opt(state.last_failure_at);
            dto.failures_in_a_row = state.failures;
            dto.failures_total = state.failures_total;
            dto.last_error = state.last_error;
        }
        dto
    }
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "Every background job with its schedule, state and latest runs", body = JobList), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_jobs(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<JobList>> {
    let items = s
        .app
        .jobs(&actor)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(JobList { items }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobRunList {
    pub items: Vec<JobRunDto>,
    pub meta: ListMeta,
}

#[utoipa::path(get, path = "/api/v1/jobs/{name}/runs", tag = "operations", security(("bearer" = [])),
    params(("name" = String, Path), Paging),
    responses((status = 200, description = "The job's runs, newest first (kept 30 days)", body = JobRunList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn job_runs(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<JobRunList>> {
    let page = s.app.job_runs(&actor, &name, q.request()?).await?;
    let (items, meta) = items_and_meta(page);
    Ok(Json(JobRunList { items, meta }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunStarted {
    pub job: String,
    /// The run's id: its outcome shows in `/api/v1/jobs/{name}/runs` when it ends.
    pub run_id: i64,
}

#[utoipa::path(post, path = "/api/v1/jobs/{name}/run", tag = "operations", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 202, description = "Started on this server; it runs in the background", body = RunStarted), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "A run of the job is under way", body = ErrorBody)))]
pub(crate) async fn run_job(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<RunStarted>)> {
    let run_id = s.app.start_job_now(&actor, &name, server_name()).await?;
    Ok((StatusCode::ACCEPTED, Json(RunStarted { job: name, run_id })))
}
