//! One alert's page, for the national team and for organisations in its scope: its content, versions and counts, bulk acknowledgement, chase and relay.

use crate::AppState;
use crate::alerts::board_page::{ResponseRow, response_row};
use crate::alerts::list_page::when;
use crate::kit::error::PageError;
use crate::kit::identity::PageUser;
use crate::kit::views::{Errors, Layout, PageResult, Tag, form_errors, render, render_status};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use palisade_app::AppError;
use palisade_app::alerts::StepRequest;
use palisade_domain::alert::{AlertFields, AlertState, ResponseStatus, Severity};
use palisade_domain::page::PageRequest;
use palisade_domain::policy::GlobalAction;
use palisade_store::ResponseFilter;
use serde::Deserialize;

pub struct VersionRow {
    pub version: i64,
    pub at: String,
    pub by: String,
    pub changed: String,
}

pub struct CountRow {
    pub status: String,
    pub status_key: String,
    pub count: i64,
    pub late: i64,
}

pub struct Content {
    pub reference: String,
    pub title: String,
    pub severity: Severity,
    pub alert_type: String,
    pub summary: String,
    pub body: String,
    pub remediation: String,
    pub exploited: bool,
    pub cves: Vec<String>,
    pub products: Vec<(String, String)>,
    pub response_required: bool,
}

pub(crate) fn content(reference: &str, f: &AlertFields) -> Content {
    Content {
        reference: reference.to_string(),
        title: f.title.clone(),
        severity: f.severity,
        alert_type: f.alert_type.label().to_string(),
        summary: f.summary.clone(),
        body: f.body.clone(),
        remediation: f.remediation.clone(),
        exploited: f.exploited,
        cves: f.cves.iter().map(|c| c.to_string()).collect(),
        products: f
            .products
            .iter()
            .map(|p| {
                let ids: Vec<String> = [
                    p.cpe.as_ref().map(|c| c.to_string()),
                    p.purl.as_ref().map(|c| c.to_string()),
                    p.vers.as_ref().map(|v| v.to_string()),
                ]
                .into_iter()
                .flatten()
                .collect();
                (p.name.clone(), ids.join(" "))
            })
            .collect(),
        response_required: f.response_required,
    }
}

#[derive(Template)]
#[template(path = "alert.html")]
pub struct AlertPage {
    pub l: Layout,
    pub errors: Errors,
    pub notice: Option<String>,
    pub c: Content,
    pub state: String,
    pub draft: bool,
    pub published: String,
    pub version: i64,
    pub versions: Vec<VersionRow>,
    pub national: bool,
    pub may_manage: bool,
    pub counts: Vec<CountRow>,
    pub total: i64,
    pub late_total: i64,
    pub chase: Vec<ResponseRow>,
    pub mine: Vec<ResponseRow>,
    pub may_bulk: bool,
    /// The relay text as typed, when it was refused.
    pub relay_text: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct DoneQuery {
    #[serde(default)]
    pub(crate) done: String,
    /// How many messages a chase or relay queued.
    pub(crate) n: Option<u64>,
}

pub(crate) fn done_notice(q: &DoneQuery) -> Option<String> {
    Some(match (q.done.as_str(), q.n.unwrap_or(0)) {
        ("published", _) => {
            "The alert is published and its organisations are being notified.".into()
        }
        ("saved", _) => "The draft is saved.".into(),
        ("updated", _) => {
            "The alert is updated and its organisations are told what changed.".into()
        }
        ("acknowledged", _) => "The responses are acknowledged.".into(),
        ("chased", 0) => "No reminder was queued: every late organisation has had today's, \
                          or none has an alert contact."
            .into(),
        ("chased", n) => format!("{n} reminders are on their way to the late organisations."),
        ("relayed", 0) => "No text message was queued: no alert contact has a mobile number, \
                           or this text has just been sent."
            .into(),
        ("relayed", n) => format!("{n} text messages are on their way to the alert contacts."),
        ("step", _) => "Your response is recorded.".into(),
        _ => return None,
    })
}

pub(crate) async fn detail_page(
    s: &AppState,
    u: &PageUser,
    id: &str,
    errors: Errors,
    notice: Option<String>,
) -> Result<AlertPage, PageError> {
    let a = &u.0.actor;
    let view = s.app.alert(a, id).await?;
    let alert = &view.alert;
    let national = a.principal.may_global(GlobalAction::ViewAlertResponses);
    let now = s.app.now();
    let (mut counts, mut total, mut late_total, mut chase, mut mine) =
        (Vec::new(), 0, 0, Vec::new(), Vec::new());
    if national && alert.state == AlertState::Published {
        let all = s.app.response_counts(a, &alert.reference).await?;
        for status in ResponseStatus::ALL {
            let (count, late) = all
                .iter()
                .filter(|c| c.status == *status)
                .fold((0, 0), |(n, l), c| (n + c.count, l + c.late));
            total += count;
            late_total += late;
            counts.push(CountRow {
                status: status.label().to_string(),
                status_key: status.as_str().to_string(),
                count,
                late,
            });
        }
        let late = ResponseFilter {
            late_at: Some(now),
            ..Default::default()
        };
        let (_, page) = s
            .app
            .alert_responses(
                a,
                &alert.reference,
                &late,
                Some(PageRequest::new(None, Some(20))),
            )
            .await?;
        chase = page.items.iter().map(|r| response_row(r, now)).collect();
    } else if !national {
        let (_, page) = s
            .app
            .alert_responses(a, &alert.reference, &ResponseFilter::default(), None)
            .await?;
        mine = page.items.iter().map(|r| response_row(r, now)).collect();
    }
    let may_bulk = mine.iter().filter(|r| r.awaiting).count() > 1;
    Ok(AlertPage {
        l: Layout::for_session(&u.0),
        errors,
        notice,
        c: content(&alert.reference, &alert.fields),
        state: alert.state.label().to_string(),
        draft: alert.state == AlertState::Draft,
        published: when(alert.published_at),
        version: alert.version,
        versions: view
            .versions
            .iter()
            .map(|v| VersionRow {
                version: v.version,
                at: when(Some(v.at)),
                by: v.by.clone().unwrap_or_default(),
                changed: match (v.changed.is_empty(), v.version, v.published) {
                    (false, _, _) => v.changed.join(", "),
                    (true, 1, _) => "First version".into(),
                    (true, _, true) => "First published".into(),
                    (true, _, false) => "Saved again".into(),
                },
            })
            .collect(),
        national,
        may_manage: a.principal.may_global(GlobalAction::ManageAlerts),
        counts,
        total,
        late_total,
        chase,
        mine,
        may_bulk,
        relay_text: String::new(),
    })
}

pub(crate) async fn detail(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let page = detail_page(&s, &u, &id, Errors::default(), done_notice(&q)).await?;
    Ok(render(&page))
}

/// The alert page again with what went wrong (and the relay text as typed), or an error page.
pub(crate) async fn detail_refused(
    s: &AppState,
    u: &PageUser,
    id: &str,
    e: AppError,
    relay_text: String,
) -> PageResult {
    let errors = form_errors(e)?;
    let mut page = detail_page(s, u, id, errors, None).await?;
    page.relay_text = relay_text;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

pub(crate) fn back_to(id: &str, done: &str) -> Response {
    crate::kit::views::see_other(&format!("/alerts/{id}?done={done}"))
}

pub(crate) async fn bulk_acknowledge(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let codes: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "org")
        .map(|(_, v)| v.clone())
        .collect();
    match s
        .app
        .respond(&u.0.actor, &id, &codes, &StepRequest::Acknowledge)
        .await
    {
        Ok(_) => Ok(back_to(&id, "acknowledged")),
        Err(e) => detail_refused(&s, &u, &id, e, String::new()).await,
    }
}

pub(crate) async fn chase(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> PageResult {
    match s.app.chase_late(&u.0.actor, &id).await {
        Ok(n) => Ok(back_to(&id, &format!("chased&n={n}"))),
        Err(e) => detail_refused(&s, &u, &id, e, String::new()).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct RelayForm {
    #[serde(default)]
    pub(crate) text: String,
}

pub(crate) async fn relay(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<RelayForm>,
) -> PageResult {
    match s.app.relay_text(&u.0.actor, &id, &f.text).await {
        Ok(n) => Ok(back_to(&id, &format!("relayed&n={n}"))),
        Err(e) => detail_refused(&s, &u, &id, e, f.text).await,
    }
}
