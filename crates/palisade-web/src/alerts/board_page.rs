//! The response board's drill-down: each organisation's response to one alert, filtered.

use crate::AppState;
use crate::alerts::dto::ResponseQuery;
use crate::alerts::list_page::{status_tag, when};
use crate::kit::files::csv_stream;
use crate::kit::identity::PageUser;
use crate::kit::views::{Errors, Layout, Options, PageResult, Pager, options, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use palisade_app::AppError;
use palisade_domain::alert::ResponseStatus;
use palisade_domain::org::OrgType;
use palisade_domain::page::PageRequest;
use palisade_domain::policy::GlobalAction;
use palisade_store::{ResponseFilter, ResponseRecord};
use serde::Deserialize;

/// A response as a row: the organisation, where it stands and by when.
pub struct ResponseRow {
    pub code: String,
    pub name: String,
    pub status: String,
    pub tag: &'static str,
    pub late: bool,
    pub due: String,
    pub awaiting: bool,
}

pub(crate) fn response_row(r: &ResponseRecord, now: i64) -> ResponseRow {
    let late = r.state().late(now);
    ResponseRow {
        code: r.org_code.clone(),
        name: r.org_name.clone(),
        status: r.status.label().to_string(),
        tag: status_tag(r.status, late),
        late,
        due: when(r.due_at),
        awaiting: r.status == ResponseStatus::AwaitingAcknowledgement,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct BoardQuery {
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) late: String,
    #[serde(default)]
    pub(crate) org_type: String,
    #[serde(default)]
    pub(crate) q: String,
    pub(crate) page: Option<u32>,
}

impl BoardQuery {
    /// `path` with the filters that are set.
    fn url(&self, path: &str) -> String {
        crate::kit::views::list_url(
            path,
            &[
                ("status", &self.status),
                ("late", &self.late),
                ("org_type", &self.org_type),
                ("q", &self.q),
            ],
        )
    }

    /// The filters as the API reads them: a value the page only flags is refused here.
    fn strict_filter(&self, now: i64) -> Result<ResponseFilter, AppError> {
        ResponseQuery {
            status: Some(self.status.clone()),
            late: Some(self.late == "yes"),
            org_type: Some(self.org_type.clone()),
            region: None,
            q: Some(self.q.clone()),
        }
        .filter(now)
    }
}

#[derive(Template)]
#[template(path = "alert_responses.html")]
pub struct BoardPage {
    pub l: Layout,
    pub errors: Errors,
    pub reference: String,
    pub title: String,
    pub status_options: Options,
    pub type_options: Options,
    pub late: bool,
    pub q: String,
    /// The download of every response the filters match.
    pub csv: String,
    pub rows: Vec<ResponseRow>,
    pub pager: Pager,
}

pub(crate) async fn board(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let a = &u.0.actor;
    a.require(GlobalAction::ViewAlertResponses)?;
    let mut errors = Errors::default();
    let status = errors.filter::<ResponseStatus>("status", &q.status);
    let org_type = errors.filter::<OrgType>("org_type", &q.org_type);
    let now = s.app.now();
    let filter = ResponseFilter {
        status,
        late_at: (q.late == "yes").then_some(now),
        org_type,
        region: None,
        q: q.q.clone(),
    };
    let (alert, page) = s
        .app
        .alert_responses(a, &id, &filter, Some(PageRequest::new(q.page, Some(50))))
        .await?;
    let base = q.url(&format!("/alerts/{}/responses", alert.reference));
    let csv = q.url(&format!("/alerts/{}/responses.csv", alert.reference));
    let any = |what: &str| std::iter::once((String::new(), what.to_string()));
    Ok(render(&BoardPage {
        l: Layout::for_session(&u.0),
        errors,
        reference: alert.reference.clone(),
        title: alert.fields.title.clone(),
        status_options: options(
            any("Any status").chain(
                ResponseStatus::ALL
                    .iter()
                    .map(|st| (st.as_str().to_string(), st.label().to_string())),
            ),
            &q.status,
        ),
        type_options: crate::kit::views::type_options(true, &q.org_type),
        late: q.late == "yes",
        q: q.q.clone(),
        csv,
        pager: Pager::new(&page, &base),
        rows: page.items.iter().map(|r| response_row(r, now)).collect(),
    }))
}

/// Every response the board's filters match, as CSV: the page's download link (the API's CSV
/// needs a bearer token, which a browser does not send).
pub(crate) async fn board_csv(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let a = &u.0.actor;
    a.require(GlobalAction::ViewAlertResponses)?;
    let filter = q.strict_filter(s.app.now())?;
    let (reference, csv) = s.app.alert_responses_csv(a, &id, &filter).await?;
    Ok(csv_stream(csv, &format!("{reference}-responses.csv")))
}
