//! `/api/v1` for cyber alerts: the national team drafts, publishes and updates them and watches
//! the responses; organisations take the four steps of the response loop, for one organisation
//! or several at once.

use crate::AppState;
use crate::alerts::dto::{
    AlertBody, AlertDetail, AlertItem, AlertList, AlertQuery, Board, BoardCount, ChaseList,
    CsafImported, OutboxDto, Queued, RelayBody, ResponseDetail, ResponseDto, ResponseList,
    ResponseQuery, StepBody, action_dto, alert_dto, chase_json, detail, response_dto, step_request,
};
use crate::kit::envelope::{ListMeta, meta};
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult, Paging, optional_json, parse_opt};
use crate::kit::files::csv_stream;
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use palisade_app::AppError;
use palisade_domain::alert::{AlertState, ResponseStatus, Severity};
use palisade_domain::clock::rfc3339_opt as time;
use palisade_domain::page::PageRequest;
use palisade_store::AlertFilter;

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", security(("bearer" = [])), params(AlertQuery),
    responses((status = 200, description = "Every alert for the national team; for an organisation, one item per response of an organisation the caller acts for, open ones first, then the newest and most severe", body = AlertList),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn list_alerts(
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
        .list_alerts(&actor, filter, PageRequest::checked(q.page, q.per_page)?)
        .await?;
    let now = s.app.now();
    let meta = meta(&page);
    Ok(Json(AlertList {
        items: page
            .items
            .iter()
            .map(|i| AlertItem {
                alert: alert_dto(&i.alert, palisade_app::App::alert_reach(&actor, &i.alert)),
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
pub(crate) async fn create_alert(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(b): ApiJson<AlertBody>,
) -> ApiResult<Response> {
    let alert = s.app.create_alert(&actor, &b.input(), b.publish).await?;
    let view = s.app.alert(&actor, &alert.reference).await?;
    Ok((axum::http::StatusCode::CREATED, Json(detail(&actor, view))).into_response())
}

#[utoipa::path(post, path = "/api/v1/alerts/import/csaf", tag = "alerts", security(("bearer" = [])),
    request_body(content = String, description = "A CSAF 2.0 advisory (JSON)", content_type = "application/json"),
    responses((status = 201, description = "A draft alert made of the advisory, to review, scope and publish", body = CsafImported),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn import_csaf(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let done = s.app.import_csaf(&actor, &body).await?;
    let view = s.app.alert(&actor, &done.alert.reference).await?;
    let out = CsafImported {
        alert: detail(&actor, view),
        source_id: done.source_id,
        source_publisher: done.source_publisher,
        notes: done.notes,
    };
    Ok((axum::http::StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = AlertDetail), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_alert(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<AlertDetail>> {
    Ok(Json(detail(&actor, s.app.alert(&actor, &id).await?)))
}

#[utoipa::path(put, path = "/api/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)), request_body = AlertBody,
    responses((status = 200, description = "A new version; organisations in scope of a published alert are told what changed", body = AlertDetail),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update_alert(
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
    Ok(Json(detail(
        &actor,
        s.app.alert(&actor, &alert.reference).await?,
    )))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/responses", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path), ResponseQuery, Paging),
    responses((status = 200, description = "Every organisation's response for the national team; the caller's own organisations' otherwise; by code", body = ResponseList),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_responses(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ResponseQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<ResponseList>> {
    let now = s.app.now();
    let (alert, page) = s
        .app
        .alert_responses(&actor, &id, &q.filter(now)?, Some(paging.request()?))
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
pub(crate) async fn responses_csv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ResponseQuery>,
) -> ApiResult<Response> {
    let (reference, csv) = s
        .app
        .alert_responses_csv(&actor, &id, &q.filter(s.app.now())?)
        .await?;
    Ok(csv_stream(csv, &format!("{reference}-responses.csv")))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/board", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The national response board's figures: responses by status and organisation type, and how many are late now", body = Board),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn board(
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

#[utoipa::path(get, path = "/api/v1/alerts/{id}/responses/{org_code}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path), ("org_code" = String, Path)),
    responses((status = 200, body = ResponseDetail), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_response(
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

#[utoipa::path(post, path = "/api/v1/alerts/{id}/responses/{org_code}/{step}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path), ("org_code" = String, Path), ("step" = String, Path, description = "acknowledge, applicability, remediation or close")),
    request_body = StepBody,
    responses((status = 200, description = "The response after the step", body = ResponseDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The step is out of order, or the response moved on meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn step_one(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, code, step)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ResponseDto>> {
    // Acknowledging needs no body; other steps send JSON.
    let b: StepBody = optional_json(&body)?;
    let request = step_request(&step, &b)?;
    let r = s
        .app
        .respond_one(&actor, &id, &code, b.revision, &request)
        .await?;
    Ok(Json(response_dto(
        &id.to_ascii_uppercase(),
        &r,
        s.app.now(),
    )))
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/bulk-responses/{step}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path), ("step" = String, Path, description = "acknowledge, applicability, remediation or close")),
    request_body = StepBody,
    responses((status = 200, description = "The responses after the step, for every organisation named in `org_codes`", body = ResponseList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn step_many(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((id, step)): Path<(String, String)>,
    ApiJson(b): ApiJson<StepBody>,
) -> ApiResult<Json<ResponseList>> {
    if b.revision.is_some() {
        return Err(AppError::invalid(
            "revision",
            "is for one organisation's step; steps for several organisations take none",
        )
        .into());
    }
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

#[utoipa::path(get, path = "/api/v1/chase-list", tag = "alerts", security(("bearer" = [])), params(Paging),
    responses((status = 200, description = "The national chase list: responses to every alert that are late and were escalated to the SIRO, the longest overdue first", body = ChaseList),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn chase_list(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ChaseList>> {
    let page = s.app.chase_list(&actor, None, q.request()?).await?;
    Ok(chase_json(page))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/chase", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path), Paging),
    responses((status = 200, description = "The chase list of one alert", body = ChaseList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn alert_chase_list(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ChaseList>> {
    let page = s.app.chase_list(&actor, Some(&id), q.request()?).await?;
    Ok(chase_json(page))
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/chase", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 202, description = "A reminder queued to the alert contacts of every organisation late with its response (at most one a day per alert: a second chase the same day queues nothing)", body = Queued),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn chase(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let messages = s.app.chase_late(&actor, &id).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(Queued { messages })).into_response())
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/relay", tag = "alerts", security(("bearer" = [])), params(("id" = String, Path)), request_body = RelayBody,
    responses((status = 202, description = "A text message queued to the alert contacts of every organisation in scope that have a mobile number, whatever channels they chose", body = Queued),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn relay(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let b: RelayBody = optional_json(&body)?;
    let messages = s.app.relay_text(&actor, &id, &b.text).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(Queued { messages })).into_response())
}

#[utoipa::path(get, path = "/api/v1/outbox", tag = "alerts", security(("bearer" = [])),
    responses((status = 200, description = "Counts of the notification outbox (national roles)", body = OutboxDto),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn outbox(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<OutboxDto>> {
    let o = s.app.outbox_summary(&actor).await?;
    Ok(Json(OutboxDto {
        pending: o.pending,
        sent: o.sent,
        gave_up: o.gave_up,
        oldest_pending_at: time(o.oldest_pending_at),
    }))
}
