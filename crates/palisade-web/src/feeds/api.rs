//! `/api/v1/feeds`: how current each imported feed is, and importing them (national admins).

use crate::AppState;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiResult, read_body, require_media};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use palisade_app::Actor;
use palisade_app::estate::FeedImport;
use palisade_domain::clock::{day_of, from_unix, rfc3339};
use palisade_formats::files::{Documents, MAX_FEED_BYTES};
use palisade_store::FeedRecord;
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) fn time_text(t: i64) -> String {
    rfc3339(from_unix(t))
}

/// A data feed's latest import.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDto {
    /// `eol` (product lifecycles).
    pub name: String,
    pub items: i64,
    /// The newest date the data gives (for lifecycles, the newest release they record).
    pub data_date: Option<String>,
    pub imported_at: String,
    /// SHA-256 of the data as stored: the same data gives the same digest.
    pub digest: String,
}

impl From<FeedRecord> for FeedDto {
    fn from(f: FeedRecord) -> Self {
        Self {
            name: f.name,
            items: f.items,
            data_date: f.data_time.map(day_of),
            imported_at: time_text(f.imported_at),
            digest: f.digest,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedList {
    pub items: Vec<FeedDto>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedImportDto {
    pub feed: String,
    pub items: usize,
    /// `false` when the feed already held exactly this data: nothing was written.
    pub changed: bool,
    pub data_date: Option<String>,
}

impl From<FeedImport> for FeedImportDto {
    fn from(f: FeedImport) -> Self {
        Self {
            feed: f.feed.into(),
            items: f.items,
            changed: f.changed,
            data_date: f.data_time.map(day_of),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/feeds", tag = "estate", security(("bearer" = [])),
    responses((status = 200, description = "Every feed's latest import", body = FeedList), (status = 401, body = ErrorBody)))]
pub(crate) async fn list_feeds(
    State(s): State<AppState>,
    _user: ApiUser,
) -> ApiResult<Json<FeedList>> {
    Ok(Json(FeedList {
        items: s.app.feeds().await?.into_iter().map(Into::into).collect(),
    }))
}

/// A feed upload's body, read only once the caller may import feeds (a refused caller's upload
/// is never taken in) and, when `media` names one, its type is that one.
async fn feed_upload(
    actor: &Actor,
    headers: &HeaderMap,
    body: axum::body::Body,
    media: Option<(&str, &str)>,
) -> Result<axum::body::Bytes, ApiError> {
    actor.require(palisade_domain::policy::GlobalAction::ImportFeeds)?;
    if let Some((media, what)) = media {
        require_media(headers, media, what)?;
    }
    read_body(body, MAX_FEED_BYTES).await
}

#[utoipa::path(put, path = "/api/v1/feeds/eol", tag = "estate", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "endoflife.date product files (*.md), in any folder of the archive"),
    responses((status = 200, body = FeedImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "Every bad file named; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_eol(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<FeedImportDto>> {
    let body = feed_upload(
        &actor,
        &headers,
        body,
        Some(("application/zip", "the product files")),
    )
    .await?;
    Ok(Json(s.app.import_eol_zip(&actor, &body).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/feeds/kev", tag = "estate", security(("bearer" = [])),
    request_body(content = String, content_type = "application/json", description = "CISA's catalogue of known exploited vulnerabilities, as published"),
    responses((status = 200, body = FeedImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "The JSON path or line that is wrong; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_kev(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<FeedImportDto>> {
    let body = feed_upload(
        &actor,
        &headers,
        body,
        Some(("application/json", "the catalogue")),
    )
    .await?;
    Ok(Json(s.app.import_kev(&actor, &body).await?.into()))
}

/// What an advisory import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvisoryImportDto {
    pub feed: String,
    /// Advisories read.
    pub read: usize,
    /// Of those, new or different from what the feed held (0: nothing was written).
    pub changed: usize,
    /// What was read but not kept (at most 50).
    pub notes: Vec<String>,
}

/// The JSON documents of an advisory upload: one document, or a ZIP of them (read an entry at
/// a time by the import).
pub(crate) fn advisory_documents<'a>(
    headers: &HeaderMap,
    body: &'a [u8],
    what: &str,
) -> Result<Documents<'a>, ApiError> {
    let media = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if media.starts_with("application/zip") {
        return Ok(Documents::Zip(body));
    }
    require_media(headers, "application/json", what)?;
    Ok(Documents::One("body", body))
}

#[utoipa::path(put, path = "/api/v1/feeds/osv", tag = "estate", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "OSV records (*.json) in a ZIP, as osv.dev publishes them per ecosystem, or one record as application/json"),
    responses((status = 200, body = AdvisoryImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "Every bad file named; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_osv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<AdvisoryImportDto>> {
    let body = feed_upload(&actor, &headers, body, None).await?;
    let documents = advisory_documents(&headers, &body, "OSV records")?;
    Ok(Json(advisory_dto(
        s.app.import_osv(&actor, &documents).await?,
    )))
}

#[utoipa::path(put, path = "/api/v1/feeds/csaf", tag = "estate", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/json", description = "One CSAF 2.0 advisory, or a ZIP of them (application/zip): kept for matching, no alert is drafted"),
    responses((status = 200, body = AdvisoryImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "Every bad document named; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_csaf_advisories(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<AdvisoryImportDto>> {
    let body = feed_upload(&actor, &headers, body, None).await?;
    let documents = advisory_documents(&headers, &body, "CSAF advisories")?;
    Ok(Json(advisory_dto(
        s.app.import_csaf_advisories(&actor, &documents).await?,
    )))
}

pub(crate) fn advisory_dto(a: palisade_app::estate::AdvisoryImport) -> AdvisoryImportDto {
    AdvisoryImportDto {
        feed: a.feed.into(),
        read: a.read,
        changed: a.changed,
        notes: a.notes,
    }
}
