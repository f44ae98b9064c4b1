//! National incident figures: the API (JSON and CSV) and the page (a chart with its tables).

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiQuery, ApiResult};
use crate::kit::files::csv_download;
use crate::kit::identity::{ApiUser, PageUser};
use crate::kit::views::*;
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use palisade_app::incidents::{Count, IncidentFigures};
use palisade_domain::incident::duration_text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// The calendar year (this year by default).
    pub year: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountDto {
    pub key: String,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DurationDto {
    /// `notification`, `triage`, `containment` or `closure`, each from awareness.
    pub key: String,
    pub label: String,
    /// Incidents that reached the step.
    pub count: u64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

/// A year's national incident figures (incidents notified in it).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentFiguresDto {
    pub year: i32,
    pub total: u64,
    /// Reportable to the data regulator or under NIS.
    pub reportable: u64,
    /// Of all, in whole percent (null with none).
    pub reportable_percent: Option<u64>,
    /// With a report (the notification, the full or the final report) made after its due time.
    pub late: u64,
    pub by_month: Vec<CountDto>,
    pub by_kind: Vec<CountDto>,
    /// By impact as reported; key "" counts those not graded.
    pub by_impact: Vec<CountDto>,
    pub by_type: Vec<CountDto>,
    pub by_region: Vec<CountDto>,
    pub durations: Vec<DurationDto>,
}

fn counts(c: &[Count]) -> Vec<CountDto> {
    c.iter()
        .map(|c| CountDto {
            key: c.key.clone(),
            label: c.label.clone(),
            count: c.count,
        })
        .collect()
}

impl From<&IncidentFigures> for IncidentFiguresDto {
    fn from(f: &IncidentFigures) -> Self {
        Self {
            year: f.year,
            total: f.total,
            reportable: f.reportable,
            reportable_percent: f.reportable_percent,
            late: f.late,
            by_month: counts(&f.by_month),
            by_kind: counts(&f.by_kind),
            by_impact: counts(&f.by_impact),
            by_type: counts(&f.by_type),
            by_region: counts(&f.by_region),
            durations: f
                .durations
                .iter()
                .map(|d| DurationDto {
                    key: d.key.into(),
                    label: d.label.into(),
                    count: d.count,
                    median_seconds: d.median_seconds,
                    p90_seconds: d.p90_seconds,
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/incidents/figures", tag = "incidents", params(FiguresQuery),
    security(("bearer" = [])), responses((status = 200, description = "National roles: a year's incident figures", body = IncidentFiguresDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn figures_api(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<Json<IncidentFiguresDto>> {
    let f = s.app.incident_figures(&actor, q.year).await?;
    Ok(Json((&f).into()))
}

#[utoipa::path(get, path = "/api/v1/incidents/figures.csv", tag = "incidents", params(FiguresQuery),
    security(("bearer" = [])), responses((status = 200, description = "The same figures as one CSV table: section, key, label, count, median_seconds, p90_seconds", content_type = "text/csv"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn figures_csv_api(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<Response> {
    let f = s.app.incident_figures(&actor, q.year).await?;
    Ok(csv_download(
        f.to_csv(),
        &format!("incidents-{}.csv", f.year),
    ))
}

/// One month's bar.
pub struct MonthBar {
    pub label: String,
    pub count: u64,
    pub x: u32,
    pub y: u32,
    pub height: u32,
}

pub struct DurationRow {
    pub label: String,
    pub count: u64,
    pub median: String,
    pub p90: String,
}

#[derive(Template)]
#[template(path = "incident_figures.html")]
pub struct FiguresPage {
    pub l: Layout,
    pub year: i32,
    pub previous: i32,
    pub f: IncidentFiguresDto,
    pub bars: Vec<MonthBar>,
    pub durations: Vec<DurationRow>,
}

const CHART_HEIGHT: u32 = 160;

pub(crate) async fn figures_page(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<FiguresQuery>,
) -> PageResult {
    let f = s.app.incident_figures(&u.0.actor, q.year).await?;
    let most = f.by_month.iter().map(|m| m.count).max().unwrap_or(0).max(1);
    let bars = f
        .by_month
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let height = (m.count * u64::from(CHART_HEIGHT) / most) as u32;
            MonthBar {
                label: m.label.clone(),
                count: m.count,
                x: 40 + i as u32 * 50,
                y: 10 + CHART_HEIGHT - height,
                height,
            }
        })
        .collect();
    let text = |v: Option<i64>| v.map(duration_text).unwrap_or_else(|| "–".into());
    let durations = f
        .durations
        .iter()
        .map(|d| DurationRow {
            label: d.label.into(),
            count: d.count,
            median: text(d.median_seconds),
            p90: text(d.p90_seconds),
        })
        .collect();
    Ok(render(&FiguresPage {
        l: Layout::for_session(&u.0),
        year: f.year,
        previous: f.year - 1,
        f: (&f).into(),
        bars,
        durations,
    }))
}
