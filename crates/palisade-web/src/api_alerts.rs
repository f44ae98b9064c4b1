//! `/api/v1` for cyber alerts: the national team drafts, publishes and updates them and watches
//! the responses; organisations take the four steps of the response loop, for one organisation
//! or several at once.

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, ListMeta, meta};
use crate::error::{ApiError, ErrorBody};
use crate::identity::ApiUser;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use palisade_app::AppError;
use palisade_app::alerts::{AlertView, StepRequest};
use palisade_domain::alert::{
    AlertInput, AlertState, Closure, ProductInput, ResponseStatus, Severity,
};
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt as time};
use palisade_domain::org::OrgType;
use palisade_domain::page::PageRequest;
use palisade_store::{
    AlertFilter, AlertRecord, ResponseActionRecord, ResponseFilter, ResponseRecord,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list_alerts).post(create_alert))
        .route("/api/v1/alerts/import/csaf", post(import_csaf))
        .route("/api/v1/alerts/{id}", get(get_alert).put(update_alert))
        .route("/api/v1/alerts/{id}/responses", get(list_responses))
        .route("/api/v1/alerts/{id}/responses.csv", get(responses_csv))
        .route("/api/v1/alerts/{id}/board", get(board))
        .route(
            "/api/v1/alerts/{id}/responses/{org_code}",
            get(get_response),
        )
        .route(
            "/api/v1/alerts/{id}/responses/{org_code}/{step}",
            post(step_one),
        )
        .route("/api/v1/alerts/{id}/bulk-responses/{step}", post(step_many))
        .route(
            "/api/v1/alerts/{id}/chase",
            get(alert_chase_list).post(chase),
        )
        .route("/api/v1/alerts/{id}/relay", post(relay))
        .route("/api/v1/chase-list", get(chase_list))
        .route("/api/v1/outbox", get(outbox))
}

type ApiResult<T> = Result<T, ApiError>;

/// A JSON body that may be left out (or blank), for actions whose fields all have defaults.
fn optional_json<T: Default + serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| AppError::invalid("body", format!("is not a valid {what}: {e}")))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ProductDto {
    /// What people call it ("Microsoft Windows 7").
    pub name: String,
    /// A CPE 2.3 name.
    #[serde(default)]
    pub cpe: Option<String>,
    /// A package URL.
    #[serde(default)]
    pub purl: Option<String>,
    /// A version range in the `vers` notation (`vers:maven/>=2.0.0|<2.15.0`).
    #[serde(default)]
    pub vers: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AudienceDto {
    /// Organisation types (`acute_trust`, `icb`...): their organisations are in scope.
    #[serde(default)]
    pub org_types: Vec<String>,
    /// DSPT categories 1-4: their organisations are in scope.
    #[serde(default)]
    pub categories: Vec<u8>,
    /// Limits the scope to these regions.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Organisations named by code.
    #[serde(default)]
    pub codes: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AlertBody {
    pub title: String,
    /// `high`, `medium`, `low` or `information_only`.
    pub severity: String,
    /// `vulnerability`, `attack_methodology`, `threat_bulletin` or `advisory`.
    #[serde(rename = "type")]
    pub alert_type: String,
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub cves: Vec<String>,
    #[serde(default)]
    pub products: Vec<ProductDto>,
    /// Exploitation is known to be happening.
    #[serde(default)]
    pub exploited: bool,
    #[serde(default)]
    pub remediation: String,
    /// The organisations in scope; with no types, categories or codes, every organisation.
    #[serde(default)]
    pub audience: Option<AudienceDto>,
    /// Organisations in scope must respond (by a deadline set by the severity).
    #[serde(default)]
    pub response_required: bool,
    /// Publish now (create), or publish a draft (update).
    #[serde(default)]
    pub publish: bool,
    /// For an update: the `version` read.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

impl AlertBody {
    fn input(&self) -> AlertInput {
        let a = self.audience.as_ref();
        AlertInput {
            title: self.title.clone(),
            severity: self.severity.clone(),
            alert_type: self.alert_type.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            cves: self.cves.clone(),
            products: self
                .products
                .iter()
                .map(|p| ProductInput {
                    name: p.name.clone(),
                    cpe: p.cpe.clone(),
                    purl: p.purl.clone(),
                    vers: p.vers.clone(),
                })
                .collect(),
            exploited: self.exploited,
            remediation: self.remediation.clone(),
            org_types: a.map(|a| a.org_types.clone()).unwrap_or_default(),
            categories: a.map(|a| a.categories.clone()).unwrap_or_default(),
            regions: a.map(|a| a.regions.clone()).unwrap_or_default(),
            codes: a.map(|a| a.codes.clone()).unwrap_or_default(),
            response_required: self.response_required,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    /// The reference (`CC-1000`).
    pub id: String,
    /// `draft` or `published`.
    pub state: String,
    pub version: i64,
    pub title: String,
    pub severity: String,
    #[serde(rename = "type")]
    pub alert_type: String,
    pub summary: String,
    pub body: String,
    pub cves: Vec<String>,
    pub products: Vec<ProductDto>,
    pub exploited: bool,
    pub remediation: String,
    pub audience: AudienceDto,
    pub response_required: bool,
    pub created_at: String,
    pub published_at: Option<String>,
    pub updated_at: String,
    /// Organisations with a response to it.
    pub responses: i64,
}

fn alert_dto(a: &AlertRecord) -> AlertDto {
    let f = &a.fields;
    AlertDto {
        id: a.reference.clone(),
        state: a.state.as_str().into(),
        version: a.version,
        title: f.title.clone(),
        severity: f.severity.as_str().into(),
        alert_type: f.alert_type.as_str().into(),
        summary: f.summary.clone(),
        body: f.body.clone(),
        cves: f.cves.iter().map(|c| c.to_string()).collect(),
        products: f
            .products
            .iter()
            .map(|p| ProductDto {
                name: p.name.clone(),
                cpe: p.cpe.as_ref().map(|c| c.to_string()),
                purl: p.purl.as_ref().map(|c| c.to_string()),
                vers: p.vers.as_ref().map(|c| c.to_string()),
            })
            .collect(),
        exploited: f.exploited,
        remediation: f.remediation.clone(),
        audience: AudienceDto {
            org_types: f
                .audience
                .org_types
                .iter()
                .map(|t| t.as_str().into())
                .collect(),
            categories: f.audience.categories.iter().map(|c| *c as u8).collect(),
            regions: f.audience.regions.clone(),
            codes: f.audience.codes.iter().map(|c| c.to_string()).collect(),
        },
        response_required: f.response_required,
        created_at: rfc3339(from_unix(a.created_at)),
        published_at: time(a.published_at),
        updated_at: rfc3339(from_unix(a.updated_at)),
        responses: a.responses,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    pub version: i64,
    pub at: String,
    pub by: Option<String>,
    pub published: bool,
    /// The fields that changed from the version before.
    pub changed: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: AlertDto,
    /// Newest first.
    pub versions: Vec<VersionDto>,
}

fn detail(v: AlertView) -> AlertDetail {
    AlertDetail {
        alert: alert_dto(&v.alert),
        versions: v
            .versions
            .into_iter()
            .map(|x| VersionDto {
                version: x.version,
                at: rfc3339(from_unix(x.at)),
                by: x.by,
                published: x.published,
                changed: x.changed,
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseDto {
    pub alert_id: String,
    pub org_code: String,
    pub org_name: String,
    pub org_type: String,
    pub region: String,
    /// `awaiting_acknowledgement`, `in_progress` or `closed`.
    pub status: String,
    /// When the response (or its next update) is due; none once closed or with no deadline.
    pub due_at: Option<String>,
    pub late: bool,
    pub acknowledged_at: Option<String>,
    pub applies: Option<bool>,
    pub reason: Option<String>,
    /// `remediated`, `risk_accepted` or `not_applicable`, once closed.
    pub closure: Option<String>,
    /// The SIRO who accepted the risk.
    pub risk_owner: Option<String>,
    pub closed_at: Option<String>,
    pub escalated_at: Option<String>,
    pub open_actions: i64,
    /// Send it back with the next step to avoid stepping over someone else's.
    pub revision: i64,
    pub updated_at: String,
}

fn response_dto(reference: &str, r: &ResponseRecord, now: i64) -> ResponseDto {
    ResponseDto {
        alert_id: reference.to_string(),
        org_code: r.org_code.clone(),
        org_name: r.org_name.clone(),
        org_type: r.org_type.as_str().into(),
        region: r.region.clone(),
        status: r.status.as_str().into(),
        due_at: time(r.due_at),
        late: r.state().late(now),
        acknowledged_at: time(r.acknowledged_at),
        applies: r.applies,
        reason: r.reason.clone(),
        closure: r.closure.map(|c| c.as_str().into()),
        risk_owner: r.risk_owner.clone(),
        closed_at: time(r.closed_at),
        escalated_at: time(r.escalated_at),
        open_actions: r.open_actions,
        revision: r.revision,
        updated_at: rfc3339(from_unix(r.updated_at)),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertItem {
    #[serde(flatten)]
    pub alert: AlertDto,
    /// In an organisation's list: the response that brings the alert there.
    pub response: Option<ResponseDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    pub items: Vec<AlertItem>,
    pub meta: ListMeta,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `draft` or `published` (national team only sees drafts).
    pub state: Option<String>,
    pub severity: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn parse_opt<T: std::str::FromStr<Err = String>>(
    field: &str,
    v: &Option<String>,
) -> Result<Option<T>, AppError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|m| AppError::invalid(field, m)))
        .transpose()
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", security(("bearer" = [])), params(AlertQuery),
    responses((status = 200, description = "Every alert for the national team; for an organisation, one item per response of an organisation the caller acts for, open ones first, then the newest and most severe", body = AlertList),
        (status = 422, body = ErrorBody)))]
async fn list_alerts(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<AlertList>> {
    let filter = AlertFilter {
        responding: None,
        state: parse_opt::<AlertState>("state", &q.state)?,
        severity: parse_opt::<Severity>("severity", &q.severity)?,
    };
    let page = s
        .app
        .list_alerts(&actor, filter, PageRequest::new(q.page, q.per_page))
        .await?;
    let now = s.app.now();
    let meta = meta(&page);
    Ok(Json(AlertList {
        items: page
            .items
            .iter()
            .map(|i| AlertItem {
                alert: alert_dto(&i.alert),
                response: i
                    .response
                    .as_ref()
                    .map(|r| response_dto(&i.alert.reference, r, now)),
            })
            .collect(),
        meta,
    }))
}

#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", security(("bearer" = [])), request_body = AlertBody,
    responses((status = 201, description = "Created as a draft, or published with `publish`: each organisation in scope gets a response due by the severity's deadline, and its alert contacts are notified", body = AlertDetail),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_alert(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(b): ApiJson<AlertBody>,
) -> ApiResult<Response> {
    let alert = s.app.create_alert(&actor, &b.input(), b.publish).await?;
    let view = s.app.alert(&actor, &alert.reference).await?;
    Ok((axum::http::StatusCode::CREATED, Json(detail(view))).into_response())
}

/// What an import made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CsafImported {
    /// The new draft alert.
    pub alert: AlertDetail,
    /// The advisory's own tracking id and publisher.
    pub source_id: String,
    pub source_publisher: String,
    /// What was read but not kept.
    pub notes: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/alerts/import/csaf", tag = "alerts", security(("bearer" = [])),
    request_body(content = String, description = "A CSAF 2.0 advisory (JSON)", content_type = "application/json"),
    responses((status = 201, description = "A draft alert made of the advisory, to review, scope and publish", body = CsafImported),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_csaf(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let done = s.app.import_csaf(&actor, &body).await?;
    let view = s.app.alert(&actor, &done.alert.reference).await?;
    let out = CsafImported {
        alert: detail(view),
        source_id: done.source_id,
        source_publisher: done.source_publisher,
        notes: done.notes,
    };
    Ok((axum::http::StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = AlertDetail), (status = 404, body = ErrorBody)))]
async fn get_alert(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertDetail>> {
    Ok(Json(detail(s.app.alert(&actor, &id).await?)))
}

#[utoipa::path(put, path = "/api/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)), request_body = AlertBody,
    responses((status = 200, description = "A new version; organisations in scope of a published alert are told what changed", body = AlertDetail),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_alert(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AlertBody>,
) -> ApiResult<Json<AlertDetail>> {
    let expected = b.expected_version.ok_or_else(|| {
        AppError::invalid("expected_version", "is required: the version you read")
    })?;
    let alert = s
        .app
        .update_alert(&actor, &id, expected, &b.input(), b.publish)
        .await?;
    Ok(Json(detail(s.app.alert(&actor, &alert.reference).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResponseQuery {
    /// `awaiting_acknowledgement`, `in_progress` or `closed`.
    pub status: Option<String>,
    /// Only late responses.
    pub late: Option<bool>,
    pub org_type: Option<String>,
    pub region: Option<String>,
    /// Part of an organisation's code or name.
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl ResponseQuery {
    fn filter(&self, now: i64) -> Result<ResponseFilter, AppError> {
        Ok(ResponseFilter {
            status: parse_opt::<ResponseStatus>("status", &self.status)?,
            late_at: self.late.unwrap_or(false).then_some(now),
            org_type: parse_opt::<OrgType>("org_type", &self.org_type)?,
            region: self.region.clone().filter(|r| !r.trim().is_empty()),
            q: self.q.clone().unwrap_or_default(),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseList {
    pub items: Vec<ResponseDto>,
    pub meta: ListMeta,
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/responses", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path), ResponseQuery),
    responses((status = 200, description = "Every organisation's response for the national team; the caller's own organisations' otherwise; by code", body = ResponseList),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_responses(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ResponseQuery>,
) -> ApiResult<Json<ResponseList>> {
    let now = s.app.now();
    let (alert, page) = s
        .app
        .alert_responses(
            &actor,
            &id,
            &q.filter(now)?,
            Some(PageRequest::new(q.page, q.per_page)),
        )
        .await?;
    let meta = meta(&page);
    Ok(Json(ResponseList {
        items: page
            .items
            .iter()
            .map(|r| response_dto(&alert.reference, r, now))
            .collect(),
        meta,
    }))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/responses.csv", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path), ResponseQuery),
    responses((status = 200, description = "The same as CSV, every match: org_code,org_name,org_type,region,status,due_at,late,applies,closure,closed_at,escalated_at", content_type = "text/csv"),
        (status = 404, body = ErrorBody)))]
async fn responses_csv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ResponseQuery>,
) -> ApiResult<Response> {
    let (reference, csv) = s
        .app
        .alert_responses_csv(&actor, &id, &q.filter(s.app.now())?)
        .await?;
    Ok(crate::csv_download(
        csv,
        &format!("{reference}-responses.csv"),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardCount {
    pub status: String,
    pub org_type: String,
    pub count: i64,
    pub late: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Board {
    pub alert_id: String,
    pub total: i64,
    pub awaiting_acknowledgement: i64,
    pub in_progress: i64,
    pub closed: i64,
    pub late: i64,
    /// By status and organisation type.
    pub counts: Vec<BoardCount>,
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/board", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The national response board's figures: responses by status and organisation type, and how many are late now", body = Board),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn board(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Board>> {
    let counts = s.app.response_counts(&actor, &id).await?;
    let alert = s.app.alert(&actor, &id).await?.alert;
    let of = |st: ResponseStatus| {
        counts
            .iter()
            .filter(|c| c.status == st)
            .map(|c| c.count)
            .sum()
    };
    Ok(Json(Board {
        alert_id: alert.reference,
        total: counts.iter().map(|c| c.count).sum(),
        awaiting_acknowledgement: of(ResponseStatus::AwaitingAcknowledgement),
        in_progress: of(ResponseStatus::InProgress),
        closed: of(ResponseStatus::Closed),
        late: counts.iter().map(|c| c.late).sum(),
        counts: counts
            .iter()
            .map(|c| BoardCount {
                status: c.status.as_str().into(),
                org_type: c.org_type.as_str().into(),
                count: c.count,
                late: c.late,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    pub id: i64,
    pub action: String,
    pub owner: String,
    pub due_on: String,
    pub progress: Option<String>,
    pub done_on: Option<String>,
    pub updated_at: String,
}

fn action_dto(a: ResponseActionRecord) -> ActionDto {
    ActionDto {
        id: a.id,
        action: a.action,
        owner: a.owner,
        due_on: a.due_on,
        progress: a.progress,
        done_on: a.done_on,
        updated_at: rfc3339(from_unix(a.updated_at)),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseDetail {
    #[serde(flatten)]
    pub response: ResponseDto,
    pub actions: Vec<ActionDto>,
    /// What the organisation's inventory suggests; absent for those who may not see it.
    pub suggestion: Option<SuggestionDto>,
}

/// The applicability an organisation's inventory suggests.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionDto {
    /// `true` when components match, `false` when none of an uploaded inventory's does, null
    /// when the organisation has no inventory.
    pub applies: Option<bool>,
    pub components: Vec<crate::api_inventory::ComponentFields>,
}

impl From<palisade_app::exposure::Suggestion> for SuggestionDto {
    fn from(s: palisade_app::exposure::Suggestion) -> Self {
        Self {
            applies: s.has_inventory.then_some(!s.components.is_empty()),
            components: s.components.into_iter().map(Into::into).collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/responses/{org_code}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path), ("org_code" = String, Path)),
    responses((status = 200, body = ResponseDetail), (status = 404, body = ErrorBody)))]
async fn get_response(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, code)): Path<(String, String)>,
) -> ApiResult<Json<ResponseDetail>> {
    let v = s.app.alert_response(&actor, &id, &code).await?;
    let suggestion = s
        .app
        .suggested_applicability(&actor, &id, &code)
        .await?
        .map(Into::into);
    Ok(Json(ResponseDetail {
        response: response_dto(&v.alert.reference, &v.response, s.app.now()),
        actions: v.actions.into_iter().map(action_dto).collect(),
        suggestion,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StepBody {
    /// Bulk steps only: the organisations to take the step for (all or none are changed).
    #[serde(default)]
    pub org_codes: Vec<String>,
    /// applicability: whether the alert applies.
    #[serde(default)]
    pub applies: Option<bool>,
    /// applicability: why it does not apply (required then).
    #[serde(default)]
    pub reason: String,
    /// remediation: a new action...
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub owner: String,
    /// remediation: the new action's due date, YYYY-MM-DD, today or later.
    #[serde(default)]
    pub due_on: String,
    /// remediation: ...or progress on an existing action, by its id.
    #[serde(default)]
    pub action_id: Option<i64>,
    #[serde(default)]
    pub progress: String,
    /// remediation: the action (by `action_id`) is complete.
    #[serde(default)]
    pub done: bool,
    /// close: `remediated`, `risk_accepted` or `not_applicable`.
    #[serde(default)]
    pub closure: String,
    /// close as risk accepted: the SIRO who accepted it.
    #[serde(default)]
    pub siro: String,
}

pub(crate) fn step_request(step: &str, b: &StepBody) -> Result<StepRequest, AppError> {
    Ok(match step {
        "acknowledge" => StepRequest::Acknowledge,
        "applicability" => StepRequest::Applicability {
            applies: b
                .applies
                .ok_or_else(|| AppError::invalid("applies", "is required: true or false"))?,
            reason: b.reason.clone(),
        },
        "remediation" => match b.action_id {
            Some(id) => StepRequest::UpdateAction {
                id,
                progress: b.progress.clone(),
                done: b.done,
            },
            None => StepRequest::AddAction {
                action: b.action.clone(),
                owner: b.owner.clone(),
                due_on: b.due_on.clone(),
            },
        },
        "close" => StepRequest::Close {
            closure: b
                .closure
                .parse::<Closure>()
                .map_err(|m| AppError::invalid("closure", m))?,
            siro: b.siro.clone(),
        },
        _ => return Err(AppError::NotFound),
    })
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/responses/{org_code}/{step}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path), ("org_code" = String, Path), ("step" = String, Path, description = "acknowledge, applicability, remediation or close")),
    request_body = StepBody,
    responses((status = 200, description = "The response after the step", body = ResponseDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The step is out of order, or the response moved on meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn step_one(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, code, step)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ResponseDto>> {
    // Acknowledging needs no body; other steps send JSON.
    let b: StepBody = optional_json(&body, "step")?;
    let request = step_request(&step, &b)?;
    let out = s.app.respond(&actor, &id, &[code], &request).await?;
    let now = s.app.now();
    let r = out.first().ok_or(AppError::NotFound)?;
    Ok(Json(response_dto(&id.to_ascii_uppercase(), r, now)))
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/bulk-responses/{step}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path), ("step" = String, Path, description = "acknowledge, applicability, remediation or close")),
    request_body = StepBody,
    responses((status = 200, description = "The responses after the step, for every organisation named in `org_codes`", body = ResponseList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn step_many(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, step)): Path<(String, String)>,
    ApiJson(b): ApiJson<StepBody>,
) -> ApiResult<Json<ResponseList>> {
    let request = step_request(&step, &b)?;
    let out = s.app.respond(&actor, &id, &b.org_codes, &request).await?;
    let now = s.app.now();
    let n = out.len() as u64;
    Ok(Json(ResponseList {
        items: out
            .iter()
            .map(|r| response_dto(&id.to_ascii_uppercase(), r, now))
            .collect(),
        meta: ListMeta {
            total: n,
            page: 1,
            per_page: n.max(1) as u32,
            total_pages: 1,
        },
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChaseQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A response past its due time, escalated to the organisation's SIRO.
#[derive(Debug, Serialize, ToSchema)]
pub struct LateDto {
    pub alert: String,
    pub title: String,
    pub severity: String,
    pub org_code: String,
    pub org_name: String,
    /// `awaiting_acknowledgement` or `in_progress`.
    pub status: String,
    pub due_at: String,
    pub escalated_at: Option<String>,
    /// When the national team last chased it.
    pub chased_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChaseList {
    pub items: Vec<LateDto>,
    pub meta: ListMeta,
}

fn chase_json(page: palisade_domain::page::Page<palisade_store::LateResponse>) -> Json<ChaseList> {
    let meta = meta(&page);
    Json(ChaseList {
        items: page
            .items
            .into_iter()
            .map(|l| LateDto {
                alert: l.reference,
                title: l.title,
                severity: l.severity,
                org_code: l.org_code,
                org_name: l.org_name,
                status: l.status,
                due_at: rfc3339(from_unix(l.due_at)),
                escalated_at: time(l.escalated_at),
                chased_at: time(l.chased_at),
            })
            .collect(),
        meta,
    })
}

#[utoipa::path(get, path = "/api/v1/chase-list", tag = "alerts", security(("bearer" = [])), params(ChaseQuery),
    responses((status = 200, description = "The national chase list: responses to every alert that are late and were escalated to the SIRO, the longest overdue first", body = ChaseList),
        (status = 403, body = ErrorBody)))]
async fn chase_list(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ChaseQuery>,
) -> ApiResult<Json<ChaseList>> {
    let page = s
        .app
        .chase_list(&actor, None, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(chase_json(page))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/chase", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path), ChaseQuery),
    responses((status = 200, description = "The chase list of one alert", body = ChaseList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn alert_chase_list(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ChaseQuery>,
) -> ApiResult<Json<ChaseList>> {
    let page = s
        .app
        .chase_list(&actor, Some(&id), PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(chase_json(page))
}

/// How many messages an action queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    pub messages: u64,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/chase", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 202, description = "A reminder queued to the alert contacts of every organisation late with its response (at most one a day per alert: a second chase the same day queues nothing)", body = Queued),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn chase(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let messages = s.app.chase_late(&actor, &id).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(Queued { messages })).into_response())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelayBody {
    /// At most 160 characters; by default the alert's reference, severity and title.
    #[serde(default)]
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/relay", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)), request_body = RelayBody,
    responses((status = 202, description = "A text message queued to the alert contacts of every organisation in scope that have a mobile number, whatever channels they chose", body = Queued),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn relay(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let b: RelayBody = optional_json(&body, "relay")?;
    let messages = s.app.relay_text(&actor, &id, &b.text).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(Queued { messages })).into_response())
}

/// How the outbox stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxDto {
    /// Messages waiting to be sent (including those being retried).
    pub pending: i64,
    pub sent: i64,
    /// Messages the provider refused for good (an invalid address or number).
    pub gave_up: i64,
    pub oldest_pending_at: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "alerts", security(("bearer" = [])),
    responses((status = 200, description = "Counts of the notification outbox (national roles)", body = OutboxDto),
        (status = 403, body = ErrorBody)))]
async fn outbox(State(s): State<AppState>, ApiUser(actor): ApiUser) -> ApiResult<Json<OutboxDto>> {
    let o = s.app.outbox_summary(&actor).await?;
    Ok(Json(OutboxDto {
        pending: o.pending,
        sent: o.sent,
        gave_up: o.gave_up,
        oldest_pending_at: time(o.oldest_pending_at),
    }))
}
