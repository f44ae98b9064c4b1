//! `/api/v1` for the estate: data feeds (how current each is; national admins import them), an
//! organisation's unsupported systems as of a day, and the mitigations it records.

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, ListMeta, items_and_meta, require_media};
use crate::api_inventory::{ComponentFields, Paging};
use crate::error::{ApiError, ErrorBody};
use crate::identity::ApiUser;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use palisade_app::estate::{FeedImport, MAX_FEED_BYTES, UnsupportedSystem};
use palisade_app::exposure::{EstateFilter, ExposureReport, GroupCount, Source};
use palisade_domain::clock::{day_of, from_unix, rfc3339};
use palisade_domain::eol::{MitigationInput, Support};
use palisade_domain::framework::date_text;
use palisade_domain::kev::KevEntry;
use palisade_domain::page::PageRequest;
use palisade_store::{FeedRecord, StoredMitigation};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/feeds", get(list_feeds))
        .route(
            "/api/v1/feeds/eol",
            put(import_eol).layer(axum::extract::DefaultBodyLimit::max(MAX_FEED_BYTES)),
        )
        .route(
            "/api/v1/feeds/kev",
            put(import_kev).layer(axum::extract::DefaultBodyLimit::max(MAX_FEED_BYTES)),
        )
        .route(
            "/api/v1/feeds/osv",
            put(import_osv).layer(axum::extract::DefaultBodyLimit::max(MAX_FEED_BYTES)),
        )
        .route(
            "/api/v1/feeds/csaf",
            put(import_csaf).layer(axum::extract::DefaultBodyLimit::max(MAX_FEED_BYTES)),
        )
        .route("/api/v1/exposure", get(exposure_by_cve))
        .route("/api/v1/estate", get(national_estate))
        .route("/api/v1/estate.csv", get(national_estate_csv))
        .route(
            "/api/v1/estate/releases/{lifecycle}/{cycle}",
            get(release_organisations),
        )
        .route("/api/v1/alerts/{id}/exposure", get(alert_exposure))
        .route("/api/v1/organisations/{code}/unsupported", get(unsupported))
        .route("/api/v1/organisations/{code}/exposure", get(org_exposure))
        .route(
            "/api/v1/organisations/{code}/mitigations",
            get(list_mitigations).post(save_mitigation),
        )
        .route(
            "/api/v1/organisations/{code}/mitigations/{id}",
            delete(delete_mitigation),
        )
}

fn time_text(t: i64) -> String {
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

#[utoipa::path(put, path = "/api/v1/feeds/eol", tag = "estate", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "endoflife.date product files (*.md), in any folder of the archive"),
    responses((status = 200, body = FeedImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "Every bad file named; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_eol(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<FeedImportDto>> {
    // Permission before reading the archive: a refused caller's upload is never unpacked.
    actor.require(palisade_domain::policy::GlobalAction::ImportFeeds)?;
    require_media(&headers, "application/zip", "the product files")?;
    let files = palisade_app::estate::as_text(palisade_app::estate::read_zip_files(&body, ".md")?)?;
    Ok(Json(s.app.import_eol(&actor, &files).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/feeds/kev", tag = "estate", security(("bearer" = [])),
    request_body(content = String, content_type = "application/json", description = "CISA's catalogue of known exploited vulnerabilities, as published"),
    responses((status = 200, body = FeedImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "The JSON path or line that is wrong; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_kev(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<FeedImportDto>> {
    require_media(&headers, "application/json", "the catalogue")?;
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

/// The JSON documents of an advisory upload: one document, or a ZIP of them.
fn advisory_files(
    headers: &HeaderMap,
    body: &[u8],
    what: &str,
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let media = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if media.starts_with("application/zip") {
        return Ok(palisade_app::estate::read_zip_files(body, ".json")?);
    }
    require_media(headers, "application/json", what)?;
    Ok(vec![("body".into(), body.to_vec())])
}

#[utoipa::path(put, path = "/api/v1/feeds/osv", tag = "estate", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/zip", description = "OSV records (*.json) in a ZIP, as osv.dev publishes them per ecosystem, or one record as application/json"),
    responses((status = 200, body = AdvisoryImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "Every bad file named; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_osv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<AdvisoryImportDto>> {
    actor.require(palisade_domain::policy::GlobalAction::ImportFeeds)?;
    let files = advisory_files(&headers, &body, "OSV records")?;
    Ok(Json(advisory_dto(s.app.import_osv(&actor, &files).await?)))
}

#[utoipa::path(put, path = "/api/v1/feeds/csaf", tag = "estate", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/json", description = "One CSAF 2.0 advisory, or a ZIP of them (application/zip): kept for matching, no alert is drafted"),
    responses((status = 200, body = AdvisoryImportDto), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "Every bad document named; nothing changes", body = ErrorBody)))]
pub(crate) async fn import_csaf(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<AdvisoryImportDto>> {
    actor.require(palisade_domain::policy::GlobalAction::ImportFeeds)?;
    let files = advisory_files(&headers, &body, "CSAF advisories")?;
    Ok(Json(advisory_dto(
        s.app.import_csaf_advisories(&actor, &files).await?,
    )))
}

fn advisory_dto(a: palisade_app::estate::AdvisoryImport) -> AdvisoryImportDto {
    AdvisoryImportDto {
        feed: a.feed.into(),
        read: a.read,
        changed: a.changed,
        notes: a.notes,
    }
}

/// Where an exposure answer's rules came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceDto {
    /// `alert` (a published alert, with the versions its products give), `osv` or `csaf` (an
    /// imported advisory, likewise) or `kev_product` (a known exploited vulnerability no alert or
    /// advisory gives versions for: every version of its product).
    pub kind: String,
    pub reference: Option<String>,
    pub title: Option<String>,
}

impl From<Source> for SourceDto {
    fn from(s: Source) -> Self {
        match s {
            Source::Alert { reference, title } => Self {
                kind: "alert".into(),
                reference: Some(reference),
                title: Some(title),
            },
            Source::Advisory { feed, id, title } => Self {
                kind: feed.into(),
                reference: Some(id),
                title: Some(title),
            },
            Source::KevProduct { cve } => Self {
                kind: "kev_product".into(),
                reference: Some(cve.as_str().into()),
                title: None,
            },
        }
    }
}

/// A known exploited vulnerability, from CISA's catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct KevDto {
    pub cve: String,
    pub vendor_project: String,
    pub product: String,
    pub name: String,
    pub date_added: String,
    pub due_date: Option<String>,
    /// Known to be used in ransomware campaigns.
    pub ransomware: bool,
    pub required_action: String,
}

impl From<KevEntry> for KevDto {
    fn from(k: KevEntry) -> Self {
        Self {
            cve: k.cve.as_str().into(),
            vendor_project: k.vendor_project,
            product: k.product,
            name: k.name,
            date_added: date_text(k.date_added),
            due_date: k.due_date.map(date_text),
            ransomware: k.ransomware,
            required_action: k.required_action,
        }
    }
}

/// One exposed organisation with its matching components.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposedOrgDto {
    pub org_code: String,
    /// Shown to national roles only.
    pub org_name: Option<String>,
    pub components: Vec<ComponentFields>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureDto {
    pub sources: Vec<SourceDto>,
    pub kev: Option<KevDto>,
    /// Matching components across every exposed organisation the caller may see.
    pub components: usize,
    pub items: Vec<ExposedOrgDto>,
    pub meta: ListMeta,
}

fn exposure_dto(actor: &palisade_app::Actor, r: ExposureReport) -> ExposureDto {
    let names = actor
        .principal
        .may_global(palisade_domain::policy::GlobalAction::ViewNationalEstate);
    let meta = crate::api::meta(&r.organisations);
    ExposureDto {
        sources: r.sources.into_iter().map(Into::into).collect(),
        kev: r.kev.map(Into::into),
        components: r.components,
        items: r
            .organisations
            .items
            .into_iter()
            .map(|e| ExposedOrgDto {
                org_code: e.org.code.to_string(),
                org_name: names.then_some(e.org.name),
                components: e.components.into_iter().map(Into::into).collect(),
            })
            .collect(),
        meta,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExposureQuery {
    /// `CVE-YYYY-NNNN`.
    pub cve: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/exposure", tag = "estate", params(ExposureQuery), security(("bearer" = [])),
    responses((status = 200, description = "Exposed organisations by code: every one for national roles, the caller's own otherwise", body = ExposureDto),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn exposure_by_cve(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ExposureQuery>,
) -> ApiResult<Json<ExposureDto>> {
    let report = s
        .app
        .exposure_by_cve(
            &actor,
            q.cve.as_deref().unwrap_or_default(),
            PageRequest::new(q.page, q.per_page),
        )
        .await?;
    Ok(Json(exposure_dto(&actor, report)))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/exposure", tag = "estate", params(("id" = String, Path, description = "The alert's reference, e.g. CC-1000"), Paging), security(("bearer" = [])),
    responses((status = 200, body = ExposureDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn alert_exposure(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ExposureDto>> {
    let report = s
        .app
        .alert_exposure(&actor, &id, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(exposure_dto(&actor, report)))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct EstateQuery {
    /// The day to judge support on, `YYYY-MM-DD` (today when absent).
    pub on: Option<String>,
    /// Only organisations of this type.
    pub org_type: Option<String>,
    /// Only organisations in this region.
    pub region: Option<String>,
}

impl EstateQuery {
    pub(crate) fn filter(&self) -> Result<EstateFilter, ApiError> {
        let org_type = match self
            .org_type
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(t) => Some(
                <palisade_domain::org::OrgType as std::str::FromStr>::from_str(t)
                    .map_err(|e| palisade_app::AppError::invalid("org_type", e))?,
            ),
            None => None,
        };
        Ok(EstateFilter {
            org_type,
            region: self.region.clone().filter(|r| !r.trim().is_empty()),
        })
    }
}

/// One product release's unsupported systems.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseDto {
    pub lifecycle: String,
    pub title: String,
    pub cycle: String,
    pub cycle_name: String,
    /// Null when the data says support ended without a date.
    pub eol: Option<String>,
    pub organisations: usize,
    pub devices: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDto {
    pub group: String,
    pub organisations: usize,
    pub devices: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EstateDayDto {
    pub day: String,
    pub organisations: i64,
    pub devices: i64,
    pub estates: i64,
}

/// The national estate on a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct NationalEstateDto {
    pub on: String,
    /// Organisations with an inventory.
    pub estates: usize,
    /// Organisations running at least one unsupported system, and those systems.
    pub organisations: usize,
    pub devices: usize,
    pub covered_by_extended_support: usize,
    pub releases: Vec<ReleaseDto>,
    pub by_type: Vec<GroupDto>,
    pub by_region: Vec<GroupDto>,
    /// The national count as recorded each day (the latest 90), oldest first.
    pub trend: Vec<EstateDayDto>,
    pub lifecycles: Option<FeedDto>,
}

fn groups(g: Vec<GroupCount>) -> Vec<GroupDto> {
    g.into_iter()
        .map(|g| GroupDto {
            group: g.group,
            organisations: g.organisations,
            devices: g.devices,
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/estate", tag = "estate", params(EstateQuery), security(("bearer" = [])),
    responses((status = 200, description = "National roles: unsupported systems per release, type and region, with the trend", body = NationalEstateDto),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn national_estate(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<EstateQuery>,
) -> ApiResult<Json<NationalEstateDto>> {
    let e = s
        .app
        .national_estate(&actor, q.on.as_deref(), &q.filter()?)
        .await?;
    let trend = s.app.estate_trend(&actor, 90).await?;
    Ok(Json(NationalEstateDto {
        on: date_text(e.on),
        estates: e.estates,
        organisations: e.organisations,
        devices: e.devices,
        covered_by_extended_support: e.covered,
        releases: e
            .releases
            .into_iter()
            .map(|r| ReleaseDto {
                lifecycle: r.slug,
                title: r.title,
                cycle: r.cycle,
                cycle_name: r.cycle_name,
                eol: r.eol.date().map(date_text),
                organisations: r.organisations,
                devices: r.devices,
            })
            .collect(),
        by_type: groups(e.by_type),
        by_region: groups(e.by_region),
        trend: trend
            .into_iter()
            .map(|d| EstateDayDto {
                day: d.day,
                organisations: d.organisations,
                devices: d.devices,
                estates: d.estates,
            })
            .collect(),
        lifecycles: e.feed.map(Into::into),
    }))
}

#[utoipa::path(get, path = "/api/v1/estate.csv", tag = "estate", params(EstateQuery), security(("bearer" = [])),
    responses((status = 200, description = "org_code,org_name,org_type,region,lifecycle,release,end_of_support,devices: one row per organisation and release", content_type = "text/csv"),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn national_estate_csv(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<EstateQuery>,
) -> ApiResult<axum::response::Response> {
    let e = s
        .app
        .national_estate(&actor, q.on.as_deref(), &q.filter()?)
        .await?;
    Ok(crate::csv_download(
        e.to_csv(),
        &format!("unsupported-{}.csv", date_text(e.on)),
    ))
}

/// An organisation running a release past its end of support.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseOrgDto {
    pub org_code: String,
    pub org_name: String,
    pub org_type: String,
    pub region: String,
    pub devices: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseOrgList {
    pub items: Vec<ReleaseOrgDto>,
}

#[utoipa::path(get, path = "/api/v1/estate/releases/{lifecycle}/{cycle}", tag = "estate",
    params(("lifecycle" = String, Path), ("cycle" = String, Path), EstateQuery), security(("bearer" = [])),
    responses((status = 200, description = "National roles: the organisations running the release, most devices first", body = ReleaseOrgList), (status = 403, body = ErrorBody)))]
pub(crate) async fn release_organisations(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((lifecycle, cycle)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<EstateQuery>,
) -> ApiResult<Json<ReleaseOrgList>> {
    let e = s
        .app
        .national_estate(&actor, q.on.as_deref(), &q.filter()?)
        .await?;
    Ok(Json(ReleaseOrgList {
        items: e
            .release_organisations(&lifecycle, &cycle)
            .into_iter()
            .map(|(o, devices)| ReleaseOrgDto {
                org_code: o.code.clone(),
                org_name: o.name.clone(),
                org_type: o.org_type.as_str().into(),
                region: o.region.clone(),
                devices,
            })
            .collect(),
    }))
}

/// An alert, advisory or known exploited vulnerability the organisation's components match.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgMatchDto {
    #[serde(flatten)]
    pub source: SourceDto,
    pub cves: Vec<String>,
    /// Any of its CVEs is in CISA's catalogue of known exploited vulnerabilities.
    pub known_exploited: bool,
    pub components: Vec<ComponentFields>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgMatchList {
    pub items: Vec<OrgMatchDto>,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/exposure", tag = "estate", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "Alerts first, then advisories, then known exploited vulnerabilities matched by product; known exploited first within each", body = OrgMatchList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn org_exposure(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<OrgMatchList>> {
    Ok(Json(OrgMatchList {
        items: s
            .app
            .org_exposure(&actor, &code)
            .await?
            .into_iter()
            .map(|m| OrgMatchDto {
                source: m.source.into(),
                cves: m.cves.iter().map(|c| c.as_str().to_string()).collect(),
                known_exploited: m.known_exploited,
                components: m.components.into_iter().map(Into::into).collect(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsupportedQuery {
    /// The day to judge support on, `YYYY-MM-DD` (today when absent).
    pub on: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A recorded mitigation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MitigationDto {
    pub id: i64,
    pub asset: String,
    pub vendor: String,
    pub product: String,
    /// `replace`, `remove`, `isolate` or `extended_support`.
    pub action: String,
    /// The last day an extended-support agreement covers.
    pub until: Option<String>,
    pub evidence: String,
    pub recorded_at: String,
}

impl From<StoredMitigation> for MitigationDto {
    fn from(s: StoredMitigation) -> Self {
        let m = s.mitigation;
        Self {
            id: s.id,
            asset: m.asset,
            vendor: m.vendor,
            product: m.product,
            action: m.action.as_str().into(),
            until: m.until.map(date_text),
            evidence: m.evidence,
            recorded_at: time_text(s.recorded_at),
        }
    }
}

/// One system past its end of support.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnsupportedDto {
    pub asset: String,
    pub asset_type: String,
    pub vendor: String,
    pub product: String,
    pub version: Option<String>,
    pub internet_facing: bool,
    pub location: Option<String>,
    /// The lifecycle's key (its endoflife.date name) and title.
    pub lifecycle: String,
    pub lifecycle_title: String,
    /// The release cycle the version is in, and its name.
    pub cycle: String,
    pub cycle_name: String,
    /// The version fits several cycles, all ended; `cycle` is the one supported longest.
    pub ambiguous: bool,
    /// The end of support, or null when the data says it ended without a date.
    pub eol: Option<String>,
    /// The end of the vendor's paid extended support, when it offers one.
    pub extended_support_until: Option<String>,
    pub mitigation: Option<MitigationDto>,
}

impl From<UnsupportedSystem> for UnsupportedDto {
    fn from(u: UnsupportedSystem) -> Self {
        let c = u.component;
        Self {
            asset: c.asset,
            asset_type: c.asset_type.as_str().into(),
            vendor: c.vendor,
            product: c.product,
            version: c.version,
            internet_facing: c.internet_facing,
            location: c.location,
            lifecycle: u.product_slug,
            lifecycle_title: u.product_title,
            cycle_name: u.cycle.name().into(),
            cycle: u.cycle.cycle,
            ambiguous: u.ambiguous,
            eol: u.eol.date().map(date_text),
            extended_support_until: u.eoes.and_then(Support::date).map(date_text),
            mitigation: u.mitigation.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnsupportedList {
    /// The day support was judged on.
    pub on: String,
    /// Components in the organisation's inventory.
    pub components: usize,
    /// Past their end of support but under a running extended-support agreement (so not listed).
    pub covered_by_extended_support: usize,
    /// The lifecycle data used; null until it has been imported.
    pub lifecycles: Option<FeedDto>,
    pub items: Vec<UnsupportedDto>,
    pub meta: ListMeta,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/unsupported", tag = "estate", params(("code" = String, Path), UnsupportedQuery), security(("bearer" = [])),
    responses((status = 200, body = UnsupportedList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn unsupported(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<UnsupportedQuery>,
) -> ApiResult<Json<UnsupportedList>> {
    let report = s
        .app
        .unsupported(
            &actor,
            &code,
            q.on.as_deref(),
            PageRequest::new(q.page, q.per_page),
        )
        .await?;
    let (items, meta) = items_and_meta(report.systems);
    Ok(Json(UnsupportedList {
        on: date_text(report.on),
        components: report.components,
        covered_by_extended_support: report.covered,
        lifecycles: report.feed.map(Into::into),
        items,
        meta,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MitigationList {
    pub items: Vec<MitigationDto>,
}

/// A mitigation of one system, named as the inventory names it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MitigationBody {
    pub asset: String,
    #[serde(default)]
    pub vendor: String,
    pub product: String,
    /// `replace`, `remove`, `isolate` or `extended_support`.
    pub action: String,
    /// For `extended_support` only: the agreement's last day, `YYYY-MM-DD`.
    #[serde(default)]
    pub until: Option<String>,
    pub evidence: String,
}

impl From<MitigationBody> for MitigationInput {
    fn from(b: MitigationBody) -> Self {
        Self {
            asset: b.asset,
            vendor: b.vendor,
            product: b.product,
            action: b.action,
            until: b.until.unwrap_or_default(),
            evidence: b.evidence,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/mitigations", tag = "estate", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MitigationList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_mitigations(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<MitigationList>> {
    Ok(Json(MitigationList {
        items: s
            .app
            .mitigations(&actor, &code)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/mitigations", tag = "estate", params(("code" = String, Path)), request_body = MitigationBody,
    security(("bearer" = [])), responses((status = 201, description = "Recorded; one per system, so a second replaces the first", body = MitigationDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn save_mitigation(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<MitigationBody>,
) -> ApiResult<(StatusCode, Json<MitigationDto>)> {
    let m = s.app.save_mitigation(&actor, &code, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{code}/mitigations/{id}", tag = "estate", params(("code" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete_mitigation(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    s.app.delete_mitigation(&actor, &code, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
