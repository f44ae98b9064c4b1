//! The list of alerts a person may see, with each response's state for organisations.

use crate::AppState;
use crate::alerts::board_page::{ResponseRow, response_row};
use crate::kit::identity::PageUser;
use crate::kit::views::{Errors, Layout, Options, PageResult, Pager, Tag, options, render};
use askama::Template;
use axum::extract::{Query, State};
use palisade_domain::alert::{AlertState, ResponseStatus, Severity};
use palisade_domain::clock::{from_unix, long_date_time};
use palisade_domain::page::PageRequest;
use palisade_domain::policy::GlobalAction;
use palisade_store::AlertFilter;
use serde::Deserialize;

pub(crate) fn when(t: Option<i64>) -> String {
    t.map(|t| long_date_time(from_unix(t))).unwrap_or_default()
}

pub(crate) fn status_tag(s: ResponseStatus, late: bool) -> &'static str {
    match (s, late) {
        (_, true) => "nhsuk-tag--red",
        (ResponseStatus::Closed, _) => "nhsuk-tag--green",
        (ResponseStatus::InProgress, _) => "nhsuk-tag--blue",
        (ResponseStatus::AwaitingAcknowledgement, _) => "nhsuk-tag--grey",
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub(crate) state: String,
    pub(crate) page: Option<u32>,
}

pub struct AlertRow {
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub state: String,
    pub published: String,
    pub response: Option<ResponseRow>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
pub struct AlertsPage {
    pub l: Layout,
    pub errors: Errors,
    pub national: bool,
    pub may_manage: bool,
    pub state_options: Options,
    pub rows: Vec<AlertRow>,
    pub pager: Pager,
}

pub(crate) async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let p = &u.0.actor.principal;
    let national = p.may_global(GlobalAction::ViewAlertResponses);
    let mut errors = Errors::default();
    let state = errors.filter::<AlertState>("state", &q.state);
    let page = s
        .app
        .list_alerts(
            &u.0.actor,
            AlertFilter {
                state,
                ..Default::default()
            },
            PageRequest::new(q.page, Some(50)),
        )
        .await?;
    let now = s.app.now();
    let pager = Pager::new(
        &page,
        &crate::kit::views::list_url("/alerts", &[("state", &q.state)]),
    );
    let any = std::iter::once((String::new(), "Drafts and published".to_string()));
    Ok(render(&AlertsPage {
        l: Layout::for_session(&u.0),
        errors,
        national,
        may_manage: p.may_global(GlobalAction::ManageAlerts),
        state_options: options(
            any.chain(
                AlertState::ALL
                    .iter()
                    .map(|st| (st.as_str().to_string(), st.label().to_string())),
            ),
            &q.state,
        ),
        rows: page
            .items
            .iter()
            .map(|i| AlertRow {
                reference: i.alert.reference.clone(),
                title: i.alert.fields.title.clone(),
                severity: i.alert.fields.severity,
                state: i.alert.state.label().to_string(),
                published: when(i.alert.published_at),
                response: i.response.as_ref().map(|r| response_row(r, now)),
            })
            .collect(),
        pager,
    }))
}
