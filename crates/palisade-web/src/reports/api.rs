//! `/api/v1` for published statuses, the public register and the national report.

use crate::AppState;
use crate::kit::envelope::ListMeta;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiQuery, ApiResult};
use crate::kit::files::{csv_download, csv_stream};
use crate::kit::identity::ApiUser;
use crate::kit::limits::FiguresTurn;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use palisade_app::AppError;
use palisade_app::report::NationalReport;
use palisade_domain::assessment::{Status, year_label};
use palisade_domain::clock::rfc3339_opt;
use palisade_domain::page::{Page, PageRequest};
use palisade_store::{PublicStatus, StatusFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatusDto {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: String,
    pub status: String,
    pub published_at: Option<String>,
}

impl From<PublicStatus> for PublicStatusDto {
    fn from(p: PublicStatus) -> Self {
        Self {
            code: p.code,
            name: p.name,
            org_type: p.org_type.as_str().into(),
            status: p.status.as_str().into(),
            published_at: rfc3339_opt(p.published_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatusList {
    pub items: Vec<PublicStatusDto>,
    pub meta: ListMeta,
}

pub(crate) fn status_list(page: Page<PublicStatus>) -> PublicStatusList {
    let meta = crate::kit::envelope::meta(&page);
    PublicStatusList {
        items: page.items.into_iter().map(Into::into).collect(),
        meta,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// Matches code or name.
    pub q: Option<String>,
    /// Assessment year (cycle start); defaults to the current cycle.
    pub year: Option<i32>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    pub q: Option<String>,
    pub year: Option<i32>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub org_type: Option<String>,
    pub category: Option<u8>,
    pub region: Option<String>,
    /// A status value, e.g. `standards_met`.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl StatusQuery {
    pub(crate) fn filter(&self) -> Result<StatusFilter, AppError> {
        Ok(StatusFilter {
            q: self.q.clone(),
            org_type: crate::kit::params::type_param(&self.org_type)?,
            category: crate::kit::params::category_param(self.category)?,
            region: self.region.clone().filter(|r| !r.trim().is_empty()),
            status: self
                .status
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    s.parse::<Status>()
                        .map_err(|m| AppError::invalid("status", m))
                })
                .transpose()?,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Assessment year (cycle start); defaults to the current cycle.
    pub year: Option<i32>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/assessments", tag = "assessments", security(("bearer" = [])), params(StatusQuery),
    responses((status = 200, description = "The current status of every organisation the caller may see", body = PublicStatusList), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_statuses(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<PublicStatusList>> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let page = s
        .app
        .statuses(
            &actor,
            year,
            &q.filter()?,
            PageRequest::checked(q.page, q.per_page)?,
        )
        .await?;
    Ok(Json(status_list(page)))
}

#[utoipa::path(get, path = "/api/v1/public/organisations", tag = "public", params(PublicQuery),
    responses((status = 200, description = "Code, name, type, published status and date only. No sign-in needed.", body = PublicStatusList)))]
pub(crate) async fn public_organisations(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Json<PublicStatusList>> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let page = s
        .app
        .public_statuses(year, q.q, PageRequest::checked(q.page, q.per_page)?)
        .await?;
    Ok(Json(status_list(page)))
}

#[utoipa::path(get, path = "/api/v1/public/organisations.csv", tag = "public", params(PublicQuery),
    responses((status = 200, description = "The same as CSV: code,name,type,status,published_at (every match, not one page)", content_type = "text/csv")))]
pub(crate) async fn public_organisations_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Response> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let csv = s.app.public_statuses_csv(year, q.q).await?;
    Ok(csv_stream(
        csv,
        &format!("palisade-statuses-{}.csv", year_label(year)),
    ))
}

#[utoipa::path(get, path = "/api/v1/public/organisations.xlsx", tag = "public", params(PublicQuery),
    responses((status = 200, description = "The same as an Excel workbook: one sheet, a header row, every match", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub(crate) async fn public_organisations_xlsx(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Response> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let book = s.app.public_statuses_xlsx(year, q.q).await?;
    Ok(crate::kit::files::streamed_download(
        book,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("palisade-statuses-{}.xlsx", year_label(year)),
    ))
}

#[utoipa::path(get, path = "/api/v1/reports/national", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, description = "Counts and percentages of every status by organisation type, category and region, met-or-exceeded totals, submission progress and year-on-year change", body = Object),
        (status = 403, body = ErrorBody)))]
pub(crate) async fn national_report(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ReportQuery>,
    _turn: FiguresTurn,
) -> ApiResult<Response> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let report = s.app.national_report(&actor, year).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(report.as_ref()).into_response()),
        "csv" => Ok(national_csv_download(&report)),
        other => Err(AppError::invalid("format", format!("'{other}' is not json or csv")).into()),
    }
}

/// The national figures as the CSV file both the API and the page's link give.
pub(crate) fn national_csv_download(report: &NationalReport) -> Response {
    csv_download(
        report.to_csv(),
        &format!("palisade-national-{}.csv", report.year_label),
    )
}
