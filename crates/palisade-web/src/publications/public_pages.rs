//! What anyone may read about published alerts, signed in or not: the public alert pages, the
//! Atom feed and the CSAF 2.0 provider. The TAXII server is in `taxii`.

use crate::AppState;
use crate::alerts::alert_page::{Content, content};
use crate::alerts::list_page::when;
use crate::kit::error::PageError;
use crate::kit::views::{Layout, Pager, Tag, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use palisade_app::AppError;
use palisade_domain::page::PageRequest;
use palisade_formats::publish::csaf::{CsafFile, hash_line};
use serde::Deserialize;

pub(crate) fn with_type(content_type: &'static str, body: impl IntoResponse) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

pub(crate) fn layout(maybe: &crate::kit::identity::MaybeUser) -> Layout {
    maybe
        .0
        .as_deref()
        .map(Layout::for_session)
        .unwrap_or_default()
}

pub struct PublicRow {
    pub reference: String,
    pub title: String,
    pub severity: palisade_domain::alert::Severity,
    pub published: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "public_alerts.html")]
pub struct PublicAlertsPage {
    pub l: Layout,
    pub rows: Vec<PublicRow>,
    pub pager: Pager,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    pub(crate) page: Option<u32>,
}

pub(crate) async fn alerts(
    State(s): State<AppState>,
    maybe: crate::kit::identity::MaybeUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page = s
        .app
        .public_alerts(PageRequest::new(q.page, Some(25)))
        .await?;
    let pager = Pager::new(&page, "/public/alerts");
    let rows = page
        .items
        .iter()
        .map(|a| PublicRow {
            reference: a.reference.clone(),
            title: a.fields.title.clone(),
            severity: a.fields.severity,
            published: when(a.published_at),
            updated: when(Some(a.updated_at)),
        })
        .collect();
    Ok(render(&PublicAlertsPage {
        l: layout(&maybe),
        rows,
        pager,
    }))
}

pub struct PublicVersion {
    pub at: String,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "public_alert.html")]
pub struct PublicAlertPage {
    pub l: Layout,
    pub c: Content,
    pub published: String,
    pub versions: Vec<PublicVersion>,
    pub csaf: String,
}

pub(crate) async fn alert(
    State(s): State<AppState>,
    maybe: crate::kit::identity::MaybeUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let view = s.app.public_alert(&id).await?;
    let a = &view.alert;
    Ok(render(&PublicAlertPage {
        l: layout(&maybe),
        c: content(&a.reference, &a.fields),
        published: when(a.published_at),
        versions: view
            .versions
            .iter()
            .map(|v| PublicVersion {
                at: when(Some(v.at)),
                changed: if v.changed.is_empty() {
                    "First published".into()
                } else {
                    format!("Updated: {}", v.changed.join(", "))
                },
            })
            .collect(),
        csaf: palisade_formats::publish::csaf::document_href(
            a.published_at.unwrap_or(a.created_at),
            &a.reference,
        ),
    }))
}

pub(crate) async fn atom(State(s): State<AppState>) -> Result<Response, PageError> {
    Ok(with_type(
        "application/atom+xml; charset=utf-8",
        s.app.alerts_atom().await?,
    ))
}

pub(crate) async fn provider(State(s): State<AppState>) -> Result<Response, PageError> {
    Ok(axum::Json(s.app.csaf_provider_metadata().await?).into_response())
}

pub(crate) async fn rolie(State(s): State<AppState>) -> Result<Response, PageError> {
    Ok(axum::Json(s.app.csaf_rolie_feed().await?).into_response())
}

pub(crate) async fn index(State(s): State<AppState>) -> Result<Response, PageError> {
    Ok(with_type(
        "text/plain; charset=utf-8",
        s.app.csaf_index().await?,
    ))
}

pub(crate) async fn changes(State(s): State<AppState>) -> Result<Response, PageError> {
    Ok(with_type(
        "text/csv; charset=utf-8",
        s.app.csaf_changes().await?,
    ))
}

pub(crate) async fn document(
    State(s): State<AppState>,
    Path((year, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let year: i32 = year.parse().map_err(|_| AppError::NotFound)?;
    let (name, what) = CsafFile::parse(&file).ok_or(AppError::NotFound)?;
    let bytes = s.app.csaf_document(year, &name).await?;
    Ok(match what {
        CsafFile::Document => with_type("application/json", bytes),
        CsafFile::Hash(algorithm) => with_type(
            "text/plain; charset=utf-8",
            hash_line(algorithm, &bytes, &name),
        ),
    })
}
