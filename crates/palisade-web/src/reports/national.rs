//! The national dashboard: figures per organisation type with bars drawn as SVG.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::limits::FiguresTurn;
use crate::kit::views::{Layout, Options, PageResult, render};
use crate::reports::public_register::{chosen_year, year_options};
use askama::Template;
use axum::extract::{Query, State};
use palisade_app::report::{Figures, fmt_int, long_date};
use palisade_domain::assessment::Status;
use palisade_domain::policy::GlobalAction;
use serde::Deserialize;

/// One bar of a chart: geometry in the SVG's units, and the figure it shows.
pub struct Bar {
    pub label: String,
    pub y: u32,
    pub segments: Vec<Segment>,
    pub value: String,
}

pub struct Segment {
    pub x: f64,
    pub width: f64,
    pub class: &'static str,
    pub title: String,
}

/// A row of a figures table, each number a link to the organisations behind it.
pub struct FigureRow {
    pub label: String,
    pub total: String,
    pub total_link: String,
    pub cells: Vec<(String, String)>,
    pub met_percent: String,
    pub published_percent: String,
    pub change: String,
}

pub struct FigureTable {
    pub id: &'static str,
    pub caption: String,
    pub rows: Vec<FigureRow>,
}

#[derive(Template)]
#[template(path = "national.html")]
pub struct NationalPage {
    pub l: Layout,
    pub year: i32,
    pub year_label: String,
    pub year_options: Options,
    pub sentence: String,
    pub as_of: String,
    pub deadline: String,
    pub days: String,
    pub published: String,
    pub statuses: Vec<(Status, &'static str)>,
    pub chart_height: u32,
    pub met_bars: Vec<Bar>,
    pub mix_bars: Vec<Bar>,
    pub tables: Vec<FigureTable>,
    pub csv: String,
}

/// The chart's plot area starts here (room for labels) and is this wide (100% of the axis).
pub const CHART_LEFT: f64 = 190.0;

pub const CHART_WIDTH: f64 = 440.0;

pub(crate) const BAR_STEP: u32 = 34;

pub(crate) fn status_fill(s: Status) -> &'static str {
    match s {
        Status::StandardsExceeded => "app-fill--exceeded",
        Status::StandardsMet => "app-fill--met",
        Status::ApproachingStandards => "app-fill--approaching",
        Status::StandardsNotMet => "app-fill--not-met",
        Status::PlanAgreed => "app-fill--plan",
        Status::NotPublished => "app-fill--unpublished",
    }
}

pub(crate) fn drill(year: i32, dimension: &str, key: &str, status: Option<Status>) -> String {
    let mut params = vec![("year", year.to_string())];
    if !dimension.is_empty() {
        params.push((dimension, key.to_string()));
    }
    if let Some(s) = status {
        params.push(("status", s.as_str().to_string()));
    }
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::kit::views::list_url("/assessments", &refs)
}

pub(crate) fn percent_text(p: f64) -> String {
    format!("{p:.1}%")
}

pub(crate) fn figure_rows(year: i32, dimension: &str, figures: &[Figures]) -> Vec<FigureRow> {
    figures
        .iter()
        .map(|f| FigureRow {
            label: f.label.clone(),
            total: fmt_int(f.total),
            total_link: drill(year, dimension, &f.key, None),
            cells: Status::ALL
                .iter()
                .map(|st| {
                    (
                        fmt_int(f.statuses.get(st.as_str()).copied().unwrap_or(0)),
                        drill(year, dimension, &f.key, Some(*st)),
                    )
                })
                .collect(),
            met_percent: percent_text(f.met_or_exceeded_percent),
            published_percent: percent_text(f.published_percent),
            change: f
                .change_points
                .map(|c| format!("{c:+.1} points"))
                .unwrap_or_else(|| "–".into()),
        })
        .collect()
}

pub(crate) fn bars(figures: &[Figures], mix: bool) -> Vec<Bar> {
    figures
        .iter()
        .filter(|f| f.total > 0)
        .enumerate()
        .map(|(i, f)| {
            let y = i as u32 * BAR_STEP;
            let segments = if mix {
                let mut x = CHART_LEFT;
                Status::ALL
                    .iter()
                    .filter_map(|st| {
                        let n = f.statuses.get(st.as_str()).copied().unwrap_or(0);
                        (n > 0).then(|| {
                            let width = CHART_WIDTH * n as f64 / f.total as f64;
                            let seg = Segment {
                                x,
                                width,
                                class: status_fill(*st),
                                title: format!(
                                    "{}: {} of {}",
                                    st.label(),
                                    fmt_int(n),
                                    fmt_int(f.total)
                                ),
                            };
                            x += width;
                            seg
                        })
                    })
                    .collect()
            } else {
                vec![Segment {
                    x: CHART_LEFT,
                    width: CHART_WIDTH * f.met_or_exceeded_percent / 100.0,
                    class: "app-fill--met",
                    title: format!(
                        "{}: {} of {} met or exceeded",
                        f.label,
                        fmt_int(f.met_or_exceeded),
                        fmt_int(f.total)
                    ),
                }]
            };
            Bar {
                label: f.label.clone(),
                y,
                segments,
                value: if mix {
                    fmt_int(f.total)
                } else {
                    percent_text(f.met_or_exceeded_percent)
                },
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub(crate) struct YearQuery {
    pub(crate) year: Option<String>,
}

pub(crate) async fn national(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<YearQuery>,
    _turn: FiguresTurn,
) -> PageResult {
    u.0.actor.require(GlobalAction::ViewNationalReport)?;
    let year = chosen_year(&s, q.year.as_deref())?;
    let r = s.app.national_report(&u.0.actor, year).await?;
    let met_bars = bars(&r.by_type, false);
    let mix_bars = bars(&r.by_type, true);
    let tables = vec![
        FigureTable {
            id: "by-type",
            caption: "By organisation type".into(),
            rows: figure_rows(year, "type", &r.by_type),
        },
        FigureTable {
            id: "by-category",
            caption: "By category".into(),
            rows: figure_rows(year, "category", &r.by_category),
        },
        FigureTable {
            id: "by-region",
            caption: "By region".into(),
            rows: figure_rows(year, "region", &r.by_region),
        },
    ];
    let sentence = r.to_text().lines().next().unwrap_or_default().to_string();
    Ok(render(&NationalPage {
        l: Layout::for_session(&u.0),
        year,
        year_label: r.year_label.clone(),
        year_options: year_options(s.app.current_year(), year),
        sentence,
        as_of: long_date(&r.as_of),
        deadline: r.deadline.as_deref().map(long_date).unwrap_or_default(),
        days: match r.days_to_deadline {
            Some(d) if d > 1 => format!("{d} days to the deadline"),
            Some(1) => "1 day to the deadline".into(),
            Some(0) => "the deadline is today".into(),
            Some(d) => format!("the deadline passed {} days ago", -d),
            None => String::new(),
        },
        published: format!(
            "{} of {} organisations ({}) have published; {} of them late.",
            fmt_int(r.overall.published),
            fmt_int(r.overall.total),
            percent_text(r.overall.published_percent),
            fmt_int(r.overall.published_late)
        ),
        statuses: Status::ALL
            .iter()
            .map(|st| (*st, status_fill(*st)))
            .collect(),
        chart_height: (met_bars.len() as u32).max(1) * BAR_STEP + 30,
        met_bars,
        mix_bars,
        tables,
        csv: format!("/reports/national.csv?year={year}"),
    }))
}

/// The figures as CSV for the person signed in: the link on the page (the API's CSV needs a
/// bearer token, which a browser does not send).
pub(crate) async fn national_csv(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<YearQuery>,
    _turn: FiguresTurn,
) -> PageResult {
    let year = chosen_year(&s, q.year.as_deref())?;
    let report = s.app.national_report(&u.0.actor, year).await?;
    Ok(crate::reports::api::national_csv_download(&report))
}
