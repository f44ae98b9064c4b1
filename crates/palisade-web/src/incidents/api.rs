//! `/api/v1` for incidents: the organisation's report, draft, notification and updates; the
//! national board, triage and messages.

use super::dto::*;
use crate::AppState;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult, Paging};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::incidents::{BoardQuery, IncidentView, MessageTarget, TriageInput};
use palisade_domain::page::PageRequest;
use palisade_store::incident_id;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The incident a path names (`INC-000042` or `42`); anything else is not found.
pub(crate) fn id_of(raw: &str) -> Result<i64, AppError> {
    incident_id(raw).ok_or(AppError::NotFound)
}

fn answer(v: IncidentView) -> Json<IncidentDto> {
    Json(v.into())
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/incidents", tag = "incidents", params(("code" = String, Path)), request_body = ReportBody,
    security(("bearer" = [])), responses((status = 201, description = "The incident, as a draft or notified", body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn report_incident(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ReportBody>,
) -> ApiResult<(StatusCode, Json<IncidentDto>)> {
    let v = s
        .app
        .report_incident(&actor, &code, &(&b).into(), b.notify)
        .await?;
    Ok((StatusCode::CREATED, answer(v)))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/incidents", tag = "incidents", params(("code" = String, Path), Paging),
    security(("bearer" = [])), responses((status = 200, description = "The organisation's incidents, newest first (drafts for those who report them)", body = IncidentList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_org_incidents(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<IncidentList>> {
    let found = s.app.org_incidents(&actor, &code, q.request()?).await?;
    Ok(Json(list(found.page, s.app.now())))
}

fn list(
    page: palisade_domain::page::Page<palisade_store::IncidentRecord>,
    now: i64,
) -> IncidentList {
    let meta = crate::kit::envelope::meta(&page);
    IncidentList {
        items: page
            .items
            .into_iter()
            .map(|r| IncidentSummaryDto::new(r, now))
            .collect(),
        meta,
    }
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/incidents/{id}", tag = "incidents", params(("code" = String, Path), ("id" = String, Path, description = "INC-000042 or 42")),
    security(("bearer" = [])), responses((status = 200, body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_org_incident(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, String)>,
) -> ApiResult<Json<IncidentDto>> {
    Ok(answer(s.app.incident(&actor, &code, id_of(&id)?).await?))
}

#[utoipa::path(patch, path = "/api/v1/organisations/{code}/incidents/{id}", tag = "incidents", params(("code" = String, Path), ("id" = String, Path)), request_body = PatchBody,
    security(("bearer" = [])), responses((status = 200, body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has been notified (append an update), or the revision is stale", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn patch_incident(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<PatchBody>,
) -> ApiResult<Json<IncidentDto>> {
    let (p, revision) = b.split();
    let v = s
        .app
        .patch_incident(&actor, &code, id_of(&id)?, p, revision)
        .await?;
    Ok(answer(v))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/incidents/{id}/notify", tag = "incidents", params(("code" = String, Path), ("id" = String, Path)), request_body = NotifyBody,
    security(("bearer" = [])), responses((status = 200, body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "Not graded, or reportable to no one without a reason", body = ErrorBody)))]
pub(crate) async fn notify_incident(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<NotifyBody>,
) -> ApiResult<Json<IncidentDto>> {
    let v = s
        .app
        .notify_incident(
            &actor,
            &code,
            id_of(&id)?,
            b.not_reported_reason,
            b.revision,
        )
        .await?;
    Ok(answer(v))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/incidents/{id}/updates", tag = "incidents", params(("code" = String, Path), ("id" = String, Path)), request_body = UpdateBody,
    security(("bearer" = [])), responses((status = 200, body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn add_incident_update(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<Json<IncidentDto>> {
    let v = s
        .app
        .add_incident_update(&actor, &code, id_of(&id)?, b.into())
        .await?;
    Ok(answer(v))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/incidents/{id}/messages", tag = "incidents", params(("code" = String, Path), ("id" = String, Path)), request_body = MessageBody,
    security(("bearer" = [])), responses((status = 200, body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn org_incident_message(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<MessageBody>,
) -> ApiResult<Json<IncidentDto>> {
    if b.internal {
        return Err(ApiError::from(AppError::invalid(
            "internal",
            "only the national team writes internal notes",
        )));
    }
    let target = MessageTarget::Organisation {
        code: &code,
        id: id_of(&id)?,
    };
    Ok(answer(
        s.app
            .add_incident_message(&actor, target, &b.text, false)
            .await?,
    ))
}

/// The board's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    pub status: Option<String>,
    pub kind: Option<String>,
    /// The national severity.
    pub severity: Option<String>,
    /// At least this impact.
    pub impact: Option<String>,
    /// `yes` (reportable to the regulator or under NIS) or `no`.
    pub reportable: Option<String>,
    /// Only incidents reported late or with a clock past its due time.
    pub late: Option<bool>,
    /// Only incidents not closed.
    pub open: Option<bool>,
    pub region: Option<String>,
    /// The organisation type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub org_type: Option<String>,
    /// A national team member's email, or `me`.
    pub assignee: Option<String>,
    /// Only the cases this alert was drafted from.
    pub alert: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl BoardParams {
    pub(crate) fn query(&self) -> BoardQuery {
        let t = |v: &Option<String>| v.clone().unwrap_or_default();
        BoardQuery {
            status: t(&self.status),
            kind: t(&self.kind),
            severity: t(&self.severity),
            impact: t(&self.impact),
            reportable: t(&self.reportable),
            late: self.late.unwrap_or(false),
            open: self.open.unwrap_or(false),
            region: t(&self.region),
            org_type: t(&self.org_type),
            assignee: t(&self.assignee),
            alert: t(&self.alert),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(BoardParams),
    security(("bearer" = [])), responses((status = 200, description = "Every notified incident, newest first (national team)", body = IncidentList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn incident_board(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<BoardParams>,
) -> ApiResult<Json<IncidentList>> {
    let page = PageRequest::checked(q.page, q.per_page)?;
    let found = s.app.incident_board(&actor, &q.query(), page).await?;
    Ok(Json(list(found, s.app.now())))
}

#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, description = "A notified incident with the national team's notes", body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_incident(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentDto>> {
    Ok(answer(
        s.app.national_incident_view(&actor, id_of(&id)?).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/triage", tag = "incidents", params(("id" = String, Path)), request_body = TriageBody,
    security(("bearer" = [])), responses((status = 200, body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn triage_incident(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TriageBody>,
) -> ApiResult<Json<IncidentDto>> {
    let t = TriageInput {
        severity: b.severity,
        assignee: b.assignee,
        status: b.status,
        shared_with: b.shared_with,
        note: b.note,
        expected_revision: b.revision,
    };
    Ok(answer(s.app.triage_incident(&actor, id_of(&id)?, t).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/messages", tag = "incidents", params(("id" = String, Path)), request_body = MessageBody,
    security(("bearer" = [])), responses((status = 200, body = IncidentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn national_incident_message(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MessageBody>,
) -> ApiResult<Json<IncidentDto>> {
    let target = MessageTarget::National { id: id_of(&id)? };
    Ok(answer(
        s.app
            .add_incident_message(&actor, target, &b.text, b.internal)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/incidents/{id}/regulator", tag = "incidents", params(("code" = String, Path), ("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, description = "What the regulator's form asks, to copy into its portal (no national notes)", body = RegulatorReportDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn regulator_report(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, String)>,
) -> ApiResult<Json<RegulatorReportDto>> {
    let v = s.app.incident(&actor, &code, id_of(&id)?).await?;
    Ok(Json(v.into()))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/indicators", tag = "incidents", params(("id" = String, Path)), request_body = IndicatorBody,
    security(("bearer" = [])), responses((status = 201, body = IndicatorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The case already has this indicator", body = ErrorBody), (status = 422, description = "Not a valid value of its type, or an unknown type or TLP", body = ErrorBody)))]
pub(crate) async fn add_indicator(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<IndicatorBody>,
) -> ApiResult<(StatusCode, Json<IndicatorDto>)> {
    let i = s
        .app
        .add_incident_indicator(
            &actor,
            id_of(&id)?,
            &b.indicator_type,
            &b.value,
            &b.tlp,
            &b.description,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(i.into())))
}

/// `?value=`: the indicator to look for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// An address, domain, URL, email address or file hash, in any case.
    pub value: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/indicators", tag = "incidents", params(IndicatorQuery),
    security(("bearer" = [])), responses((status = 200, description = "Every case holding the indicator, newest first (national team; at most 200)", body = IndicatorMatches), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn search_indicators(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> ApiResult<Json<IndicatorMatches>> {
    let found = s
        .app
        .search_indicators(&actor, q.value.as_deref().unwrap_or(""))
        .await?;
    Ok(Json(IndicatorMatches {
        items: found
            .into_iter()
            .map(|m| IndicatorMatchDto {
                incident: m.reference,
                org_code: m.org_code,
                org_name: m.org_name,
                indicator: m.indicator.into(),
            })
            .collect(),
    }))
}

/// Drafting an alert from a case.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DraftAlertBody {
    /// `high`, `medium`, `low` or `information_only`; by default from the case's national
    /// severity.
    pub severity: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DraftedAlert {
    /// The new draft alert's reference.
    pub alert: String,
    pub incident: IncidentDto,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/alert", tag = "incidents", params(("id" = String, Path)), request_body = DraftAlertBody,
    security(("bearer" = [])), responses((status = 201, description = "A draft alert with the case's title and its TLP:CLEAR and GREEN indicators", body = DraftedAlert), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "An alert was drafted from this case already", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn draft_alert(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DraftAlertBody>,
) -> ApiResult<(StatusCode, Json<DraftedAlert>)> {
    let (v, alert) = s
        .app
        .draft_alert_from_incident(&actor, id_of(&id)?, b.severity.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(DraftedAlert {
            alert: alert.reference,
            incident: v.into(),
        }),
    ))
}

/// A text to the case's organisations.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TextBody {
    /// At most 160 characters (one text message).
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TextsQueued {
    pub queued: u64,
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/text", tag = "incidents", params(("id" = String, Path)), request_body = TextBody,
    security(("bearer" = [])), responses((status = 200, description = "Texts queued to every contact with a mobile number of the reporting organisation and those named on the case", body = TextsQueued), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn text_contacts(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TextBody>,
) -> ApiResult<Json<TextsQueued>> {
    let queued = s
        .app
        .text_incident_contacts(&actor, id_of(&id)?, &b.text)
        .await?;
    Ok(Json(TextsQueued { queued }))
}
