//! `/api/v1` for the estate: national figures per release, type and region, an organisation's
//! unsupported systems on a day, and the mitigations it records.

use crate::AppState;
use crate::feeds::api::{FeedDto, time_text};
use crate::kit::envelope::{ListMeta, items_and_meta};
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult};
use crate::kit::files::csv_download;
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::estate::UnsupportedSystem;
use palisade_app::exposure::{EstateFilter, GroupCount};
use palisade_domain::dates::date_text;
use palisade_domain::eol::{MitigationInput, Support};
use palisade_domain::page::PageRequest;
use palisade_store::StoredMitigation;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

pub(crate) fn groups(g: Vec<GroupCount>) -> Vec<GroupDto> {
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
    Ok(estate_csv_download(&e))
}

/// The national estate as the CSV file both the API and the page's link give.
pub(crate) fn estate_csv_download(
    e: &palisade_app::exposure::NationalEstate,
) -> axum::response::Response {
    csv_download(e.to_csv(), &format!("unsupported-{}.csv", date_text(e.on)))
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
    /// The first day an extended-support agreement covers.
    pub from: Option<String>,
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
            from: m.from.map(date_text),
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
            PageRequest::checked(q.page, q.per_page)?,
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
    /// For `extended_support` only: the agreement's first day, `YYYY-MM-DD` (the day it is
    /// recorded when left out). It covers no day before.
    #[serde(default)]
    pub from: Option<String>,
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
            from: b.from.unwrap_or_default(),
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
