//! Response playbooks: the list and each playbook (page and API, with its CACAO 2.0 export),
//! applying one to a case and marking the case's tasks.

use super::api::id_of;
use super::pages::after_step;
use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult};
use crate::kit::files::download;
use crate::kit::identity::{ApiUser, PageUser};
use crate::kit::views::*;
use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::incidents::{PlaybookView, TaskView};
use palisade_domain::clock::{rfc3339_opt, uk_time};
use palisade_domain::incident::playbook::Playbook;
use palisade_store::PlaybookRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A task a playbook step made on a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: i64,
    pub playbook: String,
    pub playbook_version: i64,
    pub phase: String,
    pub step: String,
    pub title: String,
    pub guidance: String,
    /// `organisation` or `national`.
    pub actor: String,
    /// Null when the step has no due time.
    pub due_at: Option<String>,
    /// `open`, `done` or `not_applicable`.
    pub state: String,
    /// Open past its due time.
    pub overdue: bool,
    /// What was done, or why it does not apply.
    pub note: String,
    pub done_by: Option<String>,
    pub done_at: Option<String>,
}

impl From<TaskView> for TaskDto {
    fn from(v: TaskView) -> Self {
        let t = v.task;
        Self {
            id: t.id,
            playbook: t.playbook_key,
            playbook_version: t.playbook_version,
            phase: t.phase,
            step: t.step_key,
            title: t.title,
            guidance: t.guidance,
            actor: t.actor.as_str().into(),
            due_at: rfc3339_opt(t.due_at),
            state: t.state.as_str().into(),
            overdue: v.overdue,
            note: t.note,
            done_by: t.done_by,
            done_at: rfc3339_opt(t.done_at),
        }
    }
}

/// One imported version of a playbook.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookSummaryDto {
    pub key: String,
    pub version: i64,
    pub title: String,
    /// The incident kinds it answers.
    pub kinds: Vec<String>,
    pub imported_at: String,
    pub imported_by: Option<String>,
}

impl From<PlaybookRecord> for PlaybookSummaryDto {
    fn from(r: PlaybookRecord) -> Self {
        Self {
            kinds: r.kinds.iter().map(|k| k.as_str().into()).collect(),
            imported_at: rfc3339_opt(Some(r.imported_at)).unwrap_or_default(),
            key: r.key,
            version: r.version,
            title: r.title,
            imported_by: r.imported_by,
        }
    }
}

/// A playbook version with its phases and steps, as in its file (`docs/INCIDENTS.md`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaybookDto {
    #[serde(flatten)]
    pub summary: PlaybookSummaryDto,
    pub description: String,
    /// Each phase with its steps: `key`, `title`, `guidance`, `actor` and `due`
    /// (`{"hours", "from": "awareness"|"application"}`, absent when none).
    #[schema(value_type = Vec<Object>)]
    pub phases: serde_json::Value,
}

impl From<PlaybookView> for PlaybookDto {
    fn from(v: PlaybookView) -> Self {
        Self {
            description: v.playbook.description.clone(),
            phases: serde_json::to_value(&v.playbook.phases).unwrap_or_default(),
            summary: v.record.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version (the newest without one).
    pub version: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApplyBody {
    /// The playbook's key; its newest version is applied.
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TaskBody {
    /// `done`, `not_applicable` (needs a `note` saying why) or `open` again.
    pub state: String,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(get, path = "/api/v1/playbooks", tag = "incidents",
    security(("bearer" = [])), responses((status = 200, description = "Every version of every playbook, by key, newest version first", body = Vec<PlaybookSummaryDto>), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_playbooks(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<Vec<PlaybookSummaryDto>>> {
    let list = s.app.list_playbooks(&actor).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/playbooks/{key}", tag = "incidents", params(("key" = String, Path), VersionQuery),
    security(("bearer" = [])), responses((status = 200, body = PlaybookDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_playbook(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<Json<PlaybookDto>> {
    Ok(Json(s.app.playbook(&actor, &key, q.version).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/playbooks/{key}/cacao", tag = "incidents", params(("key" = String, Path), VersionQuery),
    security(("bearer" = [])), responses((status = 200, description = "The playbook as an OASIS CACAO 2.0 document", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn playbook_cacao(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(key): Path<String>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.app.playbook(&actor, &key, q.version).await?.cacao()))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/playbooks", tag = "incidents", params(("id" = String, Path)), request_body = ApplyBody,
    security(("bearer" = [])), responses((status = 201, description = "The tasks the playbook's steps made on the case", body = Vec<TaskDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A version of the playbook is already applied to the case", body = ErrorBody), (status = 422, description = "No such playbook", body = ErrorBody)))]
pub(crate) async fn apply_playbook(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ApplyBody>,
) -> ApiResult<(StatusCode, Json<Vec<TaskDto>>)> {
    let tasks = s.app.apply_playbook(&actor, id_of(&id)?, &b.key).await?;
    Ok((
        StatusCode::CREATED,
        Json(tasks.into_iter().map(Into::into).collect()),
    ))
}

fn task_id_of(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/tasks/{task_id}", tag = "incidents", params(("id" = String, Path), ("task_id" = i64, Path)), request_body = TaskBody,
    security(("bearer" = [])), responses((status = 200, body = TaskDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn set_task(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, task)): Path<(String, String)>,
    ApiJson(b): ApiJson<TaskBody>,
) -> ApiResult<Json<TaskDto>> {
    let t = s
        .app
        .set_task(&actor, id_of(&id)?, task_id_of(&task)?, &b.state, &b.note)
        .await?;
    Ok(Json(t.into()))
}

#[derive(Deserialize)]
pub(crate) struct ApplyForm {
    #[serde(default)]
    pub(crate) key: String,
}

pub(crate) async fn apply_page(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ApplyForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let result = match s.app.apply_playbook(&u.0.actor, id, &f.key).await {
        Ok(_) => s.app.national_incident_view(&u.0.actor, id).await,
        Err(e) => Err(e),
    };
    after_step(&s, &u, (None, id), result).await
}

#[derive(Deserialize)]
pub(crate) struct TaskForm {
    #[serde(default)]
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) note: String,
}

pub(crate) async fn task_page(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, task)): Path<(String, String)>,
    Form(f): Form<TaskForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let task = task_id_of(&task)?;
    let result = match s
        .app
        .set_task(&u.0.actor, id, task, &f.state, &f.note)
        .await
    {
        Ok(_) => s.app.national_incident_view(&u.0.actor, id).await,
        // Each task has its own form: the refusal goes next to its fields.
        Err(AppError::Invalid(mut errs)) => {
            for e in &mut errs.0 {
                e.field = format!("task-{task}-{}", e.field);
            }
            Err(AppError::Invalid(errs))
        }
        Err(e) => Err(e),
    };
    after_step(&s, &u, (None, id), result).await
}

#[derive(Template)]
#[template(path = "playbooks.html")]
pub struct PlaybooksPage {
    pub l: Layout,
    pub rows: Vec<PlaybookRow>,
}

pub struct PlaybookRow {
    pub key: String,
    pub title: String,
    pub version: i64,
    pub kinds: String,
    pub imported: String,
}

pub(crate) async fn list_page(State(s): State<AppState>, u: PageUser) -> PageResult {
    let rows = s
        .app
        .list_playbooks(&u.0.actor)
        .await?
        .into_iter()
        .map(|r| PlaybookRow {
            kinds: r
                .kinds
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(", "),
            imported: format!(
                "{}{}",
                uk_time(r.imported_at),
                r.imported_by
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default()
            ),
            key: r.key,
            title: r.title,
            version: r.version,
        })
        .collect();
    Ok(render(&PlaybooksPage {
        l: Layout::for_session(&u.0),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "playbook.html")]
pub struct PlaybookPage {
    pub l: Layout,
    pub record: PlaybookRecord,
    pub playbook: Playbook,
}

pub(crate) async fn show_page(
    State(s): State<AppState>,
    u: PageUser,
    Path(key): Path<String>,
    Query(q): Query<VersionQuery>,
) -> PageResult {
    let v = s.app.playbook(&u.0.actor, &key, q.version).await?;
    Ok(render(&PlaybookPage {
        l: Layout::for_session(&u.0),
        record: v.record,
        playbook: v.playbook,
    }))
}

/// The CACAO export as a file to save, for people signed in on the pages.
pub(crate) async fn cacao_page(
    State(s): State<AppState>,
    u: PageUser,
    Path(key): Path<String>,
    Query(q): Query<VersionQuery>,
) -> PageResult {
    let v = s.app.playbook(&u.0.actor, &key, q.version).await?;
    let body =
        serde_json::to_vec_pretty(&v.cacao()).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        body,
        "application/json",
        &format!("{}-{}.cacao.json", v.record.key, v.record.version),
    ))
}
