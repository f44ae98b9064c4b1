//! The organisations behind one of the national figures.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{
    Errors, Layout, Options, PageResult, Pager, ShownError, Tag, options, render,
};
use crate::reports::public_register::{StatusRow, chosen_year, status_rows, year_options};
use askama::Template;
use axum::extract::{Query, State};
use palisade_domain::assessment::Status;
use palisade_domain::org::{Category, OrgType};
use palisade_domain::page::PageRequest;
use palisade_store::StatusFilter;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub(crate) struct StatusListQuery {
    #[serde(default)]
    pub(crate) q: String,
    pub(crate) year: Option<String>,
    #[serde(rename = "type", default)]
    pub(crate) org_type: String,
    #[serde(default)]
    pub(crate) category: String,
    #[serde(default)]
    pub(crate) region: String,
    #[serde(default)]
    pub(crate) status: String,
    pub(crate) page: Option<u32>,
}

#[derive(Template)]
#[template(path = "statuses.html")]
pub struct StatusesPage {
    pub l: Layout,
    pub errors: Errors,
    pub q: String,
    pub year: i32,
    pub year_options: Options,
    pub type_options: Options,
    pub category_options: Options,
    pub region: String,
    pub status_options: Options,
    pub rows: Vec<StatusRow>,
    pub pager: Pager,
}

pub(crate) async fn statuses(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<StatusListQuery>,
) -> PageResult {
    let year = chosen_year(&s, q.year.as_deref())?;
    let mut errors = Vec::new();
    let mut parse = |field: &str, raw: &str, f: &dyn Fn(&str) -> Result<(), String>| {
        if !raw.is_empty()
            && let Err(m) = f(raw)
        {
            errors.push(ShownError {
                field: field.into(),
                message: m,
            });
            return false;
        }
        !raw.is_empty()
    };
    let type_ok = parse("type", &q.org_type, &|r| r.parse::<OrgType>().map(|_| ()));
    let cat_ok = parse("category", &q.category, &|r| {
        r.parse::<Category>().map(|_| ())
    });
    let status_ok = parse("status", &q.status, &|r| r.parse::<Status>().map(|_| ()));
    let filter = StatusFilter {
        q: Some(q.q.clone()).filter(|t| !t.trim().is_empty()),
        org_type: type_ok.then(|| q.org_type.parse().ok()).flatten(),
        category: cat_ok.then(|| q.category.parse().ok()).flatten(),
        region: Some(q.region.clone()).filter(|r| !r.is_empty()),
        status: status_ok.then(|| q.status.parse().ok()).flatten(),
    };
    let page = s
        .app
        .statuses(
            &u.0.actor,
            year,
            &filter,
            PageRequest::new(q.page, Some(50)),
        )
        .await?;
    let y = year.to_string();
    let base = crate::kit::views::list_url(
        "/assessments",
        &[
            ("q", &q.q),
            ("year", &y),
            ("type", &q.org_type),
            ("category", &q.category),
            ("region", &q.region),
            ("status", &q.status),
        ],
    );
    let any = std::iter::once((String::new(), "Any status".to_string()));
    let status_options = options(
        any.chain(
            Status::ALL
                .iter()
                .map(|st| (st.as_str().to_string(), st.label().to_string())),
        ),
        &q.status,
    );
    let pager = Pager::new(&page, &base);
    Ok(render(&StatusesPage {
        l: Layout::for_session(&u.0),
        errors: Errors(errors),
        year_options: year_options(s.app.current_year(), year),
        type_options: crate::kit::views::type_options(true, &q.org_type),
        category_options: crate::kit::views::category_options(true, &q.category),
        status_options,
        q: q.q,
        year,
        region: q.region,
        rows: status_rows(page.items),
        pager,
    }))
}
