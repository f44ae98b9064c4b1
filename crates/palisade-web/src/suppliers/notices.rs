//! Supplier incident notices over the API: a supplier sends one about a notified incident of its
//! own, customers list and acknowledge what they received, the national team reads who was told.

use crate::AppState;
use crate::kit::envelope::{ListMeta, items_and_meta};
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult, Paging};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::supplier_notices::NoticeInput;
use palisade_domain::clock::rfc3339_opt;
use palisade_store::{NoticeRecipient, ReceivedNotice, SupplierNoticeRecord, incident_reference};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A supplier incident notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    pub id: i64,
    pub supplier_code: String,
    pub supplier_name: String,
    /// The supplier's incident (`INC-000042`); its content stays the supplier's.
    pub incident: String,
    pub title: String,
    pub message: String,
    /// The affected products and services, by name.
    pub products: String,
    /// Organisations told, and of those how many acknowledged.
    pub recipients: i64,
    pub acknowledged: i64,
    pub created_at: String,
    /// The supplier's incident is closed.
    pub closed: bool,
}

impl From<SupplierNoticeRecord> for NoticeDto {
    fn from(n: SupplierNoticeRecord) -> Self {
        Self {
            id: n.id,
            supplier_code: n.supplier_code,
            supplier_name: n.supplier_name,
            incident: incident_reference(n.incident_id),
            title: n.title,
            message: n.message,
            products: n.products,
            recipients: n.recipients,
            acknowledged: n.acknowledged,
            created_at: rfc3339_opt(Some(n.created_at)).unwrap_or_default(),
            closed: n.closed,
        }
    }
}

/// A notice as sent: also how many messages were queued (0 for a repeat).
#[derive(Debug, Serialize, ToSchema)]
pub struct SentNoticeDto {
    pub notice: NoticeDto,
    pub messages: u64,
}

/// A notice to send.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoticeBody {
    pub title: String,
    pub message: String,
    /// Ids of the supplier's products and services the incident affects.
    pub products: Vec<i64>,
}

/// A notice as one organisation received it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedNoticeDto {
    #[serde(flatten)]
    pub notice: NoticeDto,
    /// When this organisation acknowledged it; null until then.
    pub acknowledged_at: Option<String>,
}

impl From<ReceivedNotice> for ReceivedNoticeDto {
    fn from(r: ReceivedNotice) -> Self {
        Self {
            notice: r.notice.into(),
            acknowledged_at: rfc3339_opt(r.acknowledged_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeList {
    /// Newest first (the newest 500).
    pub items: Vec<NoticeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedList {
    /// Newest first (the newest 500).
    pub items: Vec<ReceivedNoticeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientDto {
    pub code: String,
    pub name: String,
    pub acknowledged_at: Option<String>,
}

impl From<NoticeRecipient> for RecipientDto {
    fn from(r: NoticeRecipient) -> Self {
        Self {
            code: r.code,
            name: r.name,
            acknowledged_at: rfc3339_opt(r.acknowledged_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientList {
    pub notice: NoticeDto,
    /// By organisation name.
    pub items: Vec<RecipientDto>,
    pub meta: ListMeta,
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/incidents/{reference}/supplier-notices", tag = "suppliers",
    params(("code" = String, Path), ("reference" = String, Path)), request_body = NoticeBody,
    security(("bearer" = [])), responses(
        (status = 201, description = "Sent: every organisation using an affected product or service, each alert contact once per channel", body = SentNoticeDto),
        (status = 200, description = "The same notice was sent already: nothing more is queued", body = SentNoticeDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "A field refused, a draft incident, or not an IT supplier", body = ErrorBody)))]
pub(crate) async fn send_notice(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, reference)): Path<(String, String)>,
    ApiJson(b): ApiJson<NoticeBody>,
) -> ApiResult<(StatusCode, Json<SentNoticeDto>)> {
    let input = NoticeInput {
        title: b.title,
        message: b.message,
        products: b.products,
    };
    let sent = s
        .app
        .send_supplier_notice(&actor, &code, &reference, &input)
        .await?;
    let status = if sent.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(SentNoticeDto {
            notice: sent.notice.into(),
            messages: sent.messages,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/supplier-notices", tag = "suppliers", params(("code" = String, Path)),
    security(("bearer" = [])), responses((status = 200, description = "The notices the supplier sent", body = NoticeList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn sent_notices(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<NoticeList>> {
    let v = s.app.sent_supplier_notices(&actor, &code).await?;
    Ok(Json(NoticeList {
        items: v.notices.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/supplier-notices/received", tag = "suppliers", params(("code" = String, Path)),
    security(("bearer" = [])), responses((status = 200, description = "The notices the organisation received from its suppliers", body = ReceivedList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn received_notices(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<ReceivedList>> {
    let items = s.app.received_supplier_notices(&actor, &code).await?;
    Ok(Json(ReceivedList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/supplier-notices/{id}/acknowledge", tag = "suppliers",
    params(("code" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ReceivedNoticeDto), (status = 403, body = ErrorBody),
        (status = 404, description = "The organisation received no such notice", body = ErrorBody),
        (status = 409, description = "Acknowledged already", body = ErrorBody)))]
pub(crate) async fn acknowledge_notice(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<ReceivedNoticeDto>> {
    Ok(Json(
        s.app
            .acknowledge_supplier_notice(&actor, &code, id)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/supplier-notices/{id}/recipients", tag = "suppliers", params(("id" = i64, Path), Paging),
    security(("bearer" = [])), responses((status = 200, body = RecipientList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn notice_recipients(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<RecipientList>> {
    let (notice, page) = s
        .app
        .supplier_notice_recipients(&actor, id, q.request()?)
        .await?;
    let (items, meta) = items_and_meta(page);
    Ok(Json(RecipientList {
        notice: notice.into(),
        items,
        meta,
    }))
}
