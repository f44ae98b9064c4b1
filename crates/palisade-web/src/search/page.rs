//! `/search`: the national team's search box and what it found, by kind.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::search::SearchResults;
use palisade_store::incident_reference;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub q: String,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub l: Layout,
    pub errors: Errors,
    pub q: String,
    pub results: Option<SearchResults>,
}

impl SearchPage {
    pub fn incident_reference(&self, id: &i64) -> String {
        incident_reference(*id)
    }
}

pub(crate) async fn search(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    Query(form): Query<SearchForm>,
) -> PageResult {
    let page = |errors: Errors, results: Option<SearchResults>| SearchPage {
        l: Layout::for_session(&u),
        errors,
        q: form.q.trim().to_string(),
        results,
    };
    if form.q.trim().is_empty() {
        // Still refused to anyone the search is not for.
        u.actor
            .require(palisade_domain::policy::GlobalAction::SearchEverything)?;
        return Ok(render(&page(Errors::default(), None)));
    }
    match s.app.search(&u.actor, &form.q).await {
        Ok(r) => Ok(render(&page(Errors::default(), Some(r)))),
        Err(AppError::Invalid(e)) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(e.into(), None),
        )),
        Err(e) => Err(e.into()),
    }
}
