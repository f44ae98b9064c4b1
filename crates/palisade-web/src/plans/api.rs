//! `/api/v1` for improvement plans: the actions, their progress, the SIRO's sign-off and the
//! national team's review.

use crate::AppState;
use crate::kit::envelope::ListMeta;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use palisade_app::AppError;
use palisade_app::plans::PlanView;
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt};
use palisade_domain::page::PageRequest;
use palisade_domain::plan::{ActionInput, PlanState};
use palisade_store::PlanFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanLineDto {
    #[serde(rename = "ref")]
    pub reference: String,
    pub text: String,
    /// Still needed for Standards Met.
    pub needed: bool,
    pub action: Option<String>,
    pub owner: Option<String>,
    /// YYYY-MM-DD.
    pub target_date: Option<String>,
    /// YYYY-MM-DD, once done.
    pub done_on: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDto {
    pub org_code: String,
    pub year: i32,
    /// `draft`, `signed_off`, `approved` or `returned`.
    pub state: String,
    /// Send it back as `expected_revision` with the next change.
    pub revision: i64,
    /// The assessment's published status.
    pub status: String,
    /// Every reference Met still needs has an action.
    pub covers: bool,
    pub overdue: usize,
    pub siro_name: Option<String>,
    pub signed_off_at: Option<String>,
    pub signed_off_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub review_note: Option<String>,
    pub lines: Vec<PlanLineDto>,
}

pub(crate) fn plan_dto(v: PlanView) -> PlanDto {
    let time = rfc3339_opt;
    let plan = v.plan.as_ref();
    PlanDto {
        org_code: v.assessment.org.org.code.clone(),
        year: v.assessment.year,
        state: v.state().as_str().into(),
        revision: v.revision(),
        status: v.assessment.status().as_str().into(),
        covers: v.covers,
        overdue: v.overdue(),
        siro_name: plan.and_then(|p| p.siro_name.clone()),
        signed_off_at: time(plan.and_then(|p| p.signed_off_at)),
        signed_off_by: plan.and_then(|p| p.signed_off_by.clone()),
        reviewed_at: time(plan.and_then(|p| p.reviewed_at)),
        reviewed_by: plan.and_then(|p| p.reviewed_by.clone()),
        review_note: plan.and_then(|p| p.review_note.clone()),
        lines: v
            .lines
            .into_iter()
            .map(|l| PlanLineDto {
                reference: l.reference,
                text: l.text,
                needed: l.needed,
                overdue: l.overdue,
                action: l.action.as_ref().map(|a| a.action.clone()),
                owner: l.action.as_ref().map(|a| a.owner.clone()),
                target_date: l.action.as_ref().map(|a| a.target_date.clone()),
                done_on: l.action.and_then(|a| a.done_on),
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionBody {
    #[serde(rename = "ref")]
    pub reference: String,
    pub action: String,
    pub owner: String,
    /// YYYY-MM-DD, within the framework's horizon (six months unless it says otherwise).
    pub target_date: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PlanBody {
    /// The plan's `revision` when read (0 for a new plan).
    pub expected_revision: i64,
    /// The whole plan: these actions replace the ones before.
    pub actions: Vec<ActionBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DoneBody {
    #[serde(rename = "ref")]
    pub reference: String,
    pub done: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProgressBody {
    pub actions: Vec<DoneBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignOffBody {
    pub expected_revision: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewBody {
    pub expected_revision: i64,
    /// `approve` or `return`.
    pub decision: String,
    /// Required when returning: what must change.
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}/plan", tag = "plans", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)),
    responses((status = 200, body = PlanDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_plan(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
) -> ApiResult<Json<PlanDto>> {
    Ok(Json(plan_dto(s.app.plan(&actor, &code, year).await?)))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/assessments/{year}/plan", tag = "plans", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = PlanBody,
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn put_plan(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<PlanBody>,
) -> ApiResult<Json<PlanDto>> {
    let inputs: Vec<ActionInput> = b
        .actions
        .into_iter()
        .map(|a| ActionInput {
            reference: a.reference,
            action: a.action,
            owner: a.owner,
            target_date: a.target_date,
        })
        .collect();
    let v = s
        .app
        .save_plan(&actor, &code, year, b.expected_revision, &inputs)
        .await?;
    Ok(Json(plan_dto(v)))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/assessments/{year}/plan/progress", tag = "plans", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = ProgressBody,
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn progress(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<ProgressBody>,
) -> ApiResult<Json<PlanDto>> {
    let done: Vec<(String, bool)> = b
        .actions
        .into_iter()
        .map(|d| (d.reference, d.done))
        .collect();
    let v = s.app.mark_plan_actions(&actor, &code, year, &done).await?;
    Ok(Json(plan_dto(v)))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/assessments/{year}/plan/sign-off", tag = "plans", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = SignOffBody,
    responses((status = 200, body = PlanDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn sign_off(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<SignOffBody>,
) -> ApiResult<Json<PlanDto>> {
    let v = s
        .app
        .sign_off_plan(&actor, &code, year, b.expected_revision)
        .await?;
    Ok(Json(plan_dto(v)))
}

/// `approve` or `return`, as a decision.
pub(crate) fn decision(raw: &str) -> Result<bool, AppError> {
    match raw.trim() {
        "approve" => Ok(true),
        "return" => Ok(false),
        other => Err(AppError::invalid(
            "decision",
            format!("'{other}' is not one of: approve, return"),
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/assessments/{year}/plan/review", tag = "plans", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = ReviewBody,
    responses((status = 200, description = "Approval of a plan for a published Standards Not Met publishes Plan Agreed", body = PlanDto),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn review(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<ReviewBody>,
) -> ApiResult<Json<PlanDto>> {
    let approve = decision(&b.decision)?;
    let v = s
        .app
        .review_plan(&actor, &code, year, b.expected_revision, approve, &b.note)
        .await?;
    Ok(Json(plan_dto(v)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    pub year: Option<i32>,
    /// `draft`, `signed_off` (awaiting national review), `approved` or `returned`.
    pub state: Option<String>,
    /// Only plans with an action past its target date.
    pub overdue: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl PlanQuery {
    pub(crate) fn filter(&self) -> Result<PlanFilter, AppError> {
        Ok(PlanFilter {
            year: self.year,
            state: self
                .state
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    s.parse::<PlanState>()
                        .map_err(|m| AppError::invalid("state", m))
                })
                .transpose()?,
            overdue_only: self.overdue.unwrap_or(false),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSummaryDto {
    pub org_code: String,
    pub org_name: String,
    pub org_type: String,
    pub year: i32,
    pub state: String,
    pub status: String,
    pub actions: i64,
    pub overdue: i64,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<PlanSummaryDto>,
    pub meta: ListMeta,
}

#[utoipa::path(get, path = "/api/v1/plans", tag = "plans", security(("bearer" = [])), params(PlanQuery),
    responses((status = 200, description = "Plans of the organisations the caller may see, most recently changed first", body = PlanList), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_plans(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> ApiResult<Json<PlanList>> {
    let page = s
        .app
        .plans(
            &actor,
            &q.filter()?,
            PageRequest::checked(q.page, q.per_page)?,
        )
        .await?;
    let meta = crate::kit::envelope::meta(&page);
    Ok(Json(PlanList {
        items: page
            .items
            .into_iter()
            .map(|p| PlanSummaryDto {
                org_code: p.code,
                org_name: p.name,
                org_type: p.org_type.as_str().into(),
                year: p.year,
                state: p.state.as_str().into(),
                status: p.status.as_str().into(),
                actions: p.actions,
                overdue: p.overdue,
                updated_at: rfc3339(from_unix(p.updated_at)),
            })
            .collect(),
        meta,
    }))
}
