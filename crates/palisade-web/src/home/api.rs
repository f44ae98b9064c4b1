//! `/api/v1/me/worklist`: what the organisations the caller acts for must do.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::ApiResult;
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::State;
use palisade_app::worklist::{WorkItem, Worklist};
use palisade_domain::clock::rfc3339_opt;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistDto {
    /// Late first, then soonest due, then those without a deadline.
    pub items: Vec<WorkItemDto>,
    /// How many organisations the list covers (those the caller acts for and those beneath).
    pub organisations: usize,
    /// The caller acts for more organisations than one list covers; the first by code are.
    pub truncated: bool,
    /// The estate's exposure to published alerts and known exploited vulnerabilities is still
    /// being worked out (the server has just started): `exposure` items are missing for now.
    pub exposure_pending: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrgDto {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkItemDto {
    /// `alert_response`, `assessment`, `plan_action`, `unsupported_system`, `exposure`,
    /// `incident_task` or `charter`.
    pub kind: String,
    pub organisation: WorkOrgDto,
    pub title: String,
    pub detail: String,
    /// RFC 3339; null when the item has no deadline.
    pub due_at: Option<String>,
    pub late: bool,
    /// The page that resolves it.
    pub url: String,
}

impl From<WorkItem> for WorkItemDto {
    fn from(i: WorkItem) -> Self {
        WorkItemDto {
            kind: i.kind.as_str().to_string(),
            organisation: WorkOrgDto {
                code: i.org_code,
                name: i.org_name,
            },
            title: i.title,
            detail: i.detail,
            due_at: rfc3339_opt(i.due_at),
            late: i.late,
            url: i.url,
        }
    }
}

impl From<Worklist> for WorklistDto {
    fn from(w: Worklist) -> Self {
        WorklistDto {
            items: w.items.into_iter().map(WorkItemDto::from).collect(),
            organisations: w.organisations,
            truncated: w.truncated,
            exposure_pending: w.exposure_pending,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/me/worklist", tag = "people", security(("bearer" = [])),
    responses((status = 200, description = "What the organisations the caller acts for must do, most urgent first (empty for national roles, who act for none)", body = WorklistDto), (status = 401, body = ErrorBody)))]
pub(crate) async fn worklist(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<WorklistDto>> {
    Ok(Json(s.app.worklist(&actor).await?.into()))
}
