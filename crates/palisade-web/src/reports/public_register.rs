//! The public register of published statuses.

use crate::AppState;
use crate::kit::error::PageError;
use crate::kit::params::year_param;
use crate::kit::views::{Layout, Options, PageResult, Pager, Tag, options, render};
use askama::Template;
use axum::extract::{Query, State};
use palisade_domain::assessment::{Status, year_label};
pub(crate) use palisade_domain::clock::day_of;
use palisade_domain::org::OrgType;
use palisade_domain::page::PageRequest;
use palisade_store::PublicStatus;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub(crate) struct PublicQuery {
    #[serde(default)]
    pub(crate) q: String,
    pub(crate) year: Option<String>,
    pub(crate) page: Option<u32>,
}

pub struct StatusRow {
    pub code: String,
    pub name: String,
    pub org_type: OrgType,
    pub status: Status,
    pub published: String,
}

pub(crate) fn status_rows(items: Vec<PublicStatus>) -> Vec<StatusRow> {
    items
        .into_iter()
        .map(|p| StatusRow {
            code: p.code,
            name: p.name,
            org_type: p.org_type,
            status: p.status,
            published: p.published_at.map(day_of).unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "public.html")]
pub struct PublicPage {
    pub l: Layout,
    pub q: String,
    pub year: i32,
    pub year_options: Options,
    pub rows: Vec<StatusRow>,
    pub pager: Pager,
    pub csv: String,
    pub xlsx: String,
}

/// The years a register or report may be read for: this one and the four before it.
pub(crate) fn year_options(current: i32, selected: i32) -> Options {
    options(
        (current - 4..=current)
            .rev()
            .map(|y| (y.to_string(), year_label(y))),
        &selected.to_string(),
    )
}

pub(crate) fn chosen_year(s: &AppState, raw: Option<&str>) -> Result<i32, PageError> {
    match raw.filter(|y| !y.is_empty()) {
        Some(y) => year_param(y),
        None => Ok(s.app.current_year()),
    }
}

/// Open to everyone, signed in or not: no answers, no evidence, no people.
pub(crate) async fn public_register(
    State(s): State<AppState>,
    maybe: crate::kit::identity::MaybeUser,
    Query(q): Query<PublicQuery>,
) -> PageResult {
    let year = chosen_year(&s, q.year.as_deref())?;
    let search = Some(q.q.clone()).filter(|t| !t.trim().is_empty());
    let page = s
        .app
        .public_statuses(year, search, PageRequest::new(q.page, Some(50)))
        .await?;
    let base = crate::kit::views::list_url("/public", &[("q", &q.q), ("year", &year.to_string())]);
    let pager = Pager::new(&page, &base);
    let params = [("q", q.q.as_str()), ("year", &year.to_string())];
    let csv = crate::kit::views::list_url("/api/v1/public/organisations.csv", &params);
    let xlsx = crate::kit::views::list_url("/api/v1/public/organisations.xlsx", &params);
    Ok(render(&PublicPage {
        l: maybe
            .0
            .as_deref()
            .map(Layout::for_session)
            .unwrap_or_default(),
        year_options: year_options(s.app.current_year(), year),
        q: q.q,
        year,
        rows: status_rows(page.items),
        pager,
        csv,
        xlsx,
    }))
}
