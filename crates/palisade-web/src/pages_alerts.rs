//! Cyber alert pages: the list and the alert for both sides, the national team's publish and
//! edit form (with a preview), the response board with its drill-down, chase and relay, and an
//! organisation's four-step response form.

use crate::AppState;
use crate::api_alerts::{StepBody, step_request};
use crate::error::PageError;
use crate::identity::{CheckedMultipart, PageUser};
use crate::pages::form_errors;
use crate::views::{Errors, Layout, Opt, Options, Pager, Tag, options, render, render_status};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use palisade_app::AppError;
use palisade_app::alerts::StepRequest;
use palisade_domain::alert::{
    AlertFields, AlertInput, AlertState, AlertType, Closure, ProductInput, ResponseStatus, Severity,
};
use palisade_domain::clock::{from_unix, long_date_time};
use palisade_domain::org::{Category, OrgType};
use palisade_domain::page::PageRequest;
use palisade_domain::policy::GlobalAction;
use palisade_store::{AlertFilter, AlertRecord, ResponseFilter, ResponseRecord};
use serde::Deserialize;

type PageResult = Result<Response, PageError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list).post(create))
        .route("/alerts/new", get(new_form))
        .route(IMPORT_CSAF_PATH, get(import_form).post(import_csaf))
        .route("/alerts/{id}", get(detail))
        .route("/alerts/{id}/edit", get(edit_form).post(update))
        .route("/alerts/{id}/responses", get(board))
        .route("/alerts/{id}/responses/{code}", get(response))
        .route("/alerts/{id}/responses/{code}/{step}", post(step))
        .route("/alerts/{id}/acknowledge", post(bulk_acknowledge))
        .route("/alerts/{id}/chase", post(chase))
        .route("/alerts/{id}/relay", post(relay))
}

pub(crate) fn when(t: Option<i64>) -> String {
    t.map(|t| long_date_time(from_unix(t))).unwrap_or_default()
}

fn status_tag(s: ResponseStatus, late: bool) -> &'static str {
    match (s, late) {
        (_, true) => "nhsuk-tag--red",
        (ResponseStatus::Closed, _) => "nhsuk-tag--green",
        (ResponseStatus::InProgress, _) => "nhsuk-tag--blue",
        (ResponseStatus::AwaitingAcknowledgement, _) => "nhsuk-tag--grey",
    }
}

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

fn response_row(r: &ResponseRecord, now: i64) -> ResponseRow {
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

// ---------- importing a CSAF advisory ----------

/// Where a CSAF 2.0 advisory is uploaded to become a draft alert.
pub(crate) const IMPORT_CSAF_PATH: &str = "/alerts/import";

/// What an import made, for the page.
pub struct ImportedDraft {
    pub reference: String,
    pub title: String,
    pub source_id: String,
    pub source_publisher: String,
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "alert_import.html")]
pub struct ImportCsafPage {
    pub l: Layout,
    pub errors: Errors,
    pub imported: Option<ImportedDraft>,
}

async fn import_form(u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    Ok(render(&ImportCsafPage {
        l: Layout::for_session(&u.0),
        errors: Errors::default(),
        imported: None,
    }))
}

async fn import_csaf(
    State(s): State<AppState>,
    u: PageUser,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    // Permission before the file is read: a refused upload is never buffered.
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let refused = |errors: Errors| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportCsafPage {
                l: Layout::for_session(&u.0),
                errors,
                imported: None,
            },
        )
    };
    let upload = match crate::files::read_upload(form, "the advisory is larger than 1 MB").await {
        Ok(up) => up,
        Err(e) => return Ok(refused(form_errors(e)?)),
    };
    let data = match upload.file {
        Some((_, bytes)) if !bytes.is_empty() => bytes,
        _ => {
            return Ok(refused(Errors::one(
                "file",
                "Select a CSAF 2.0 advisory (a JSON file)",
            )));
        }
    };
    match s.app.import_csaf(&u.0.actor, &data).await {
        Ok(done) => Ok(render_status(
            StatusCode::CREATED,
            &ImportCsafPage {
                l: Layout::for_session(&u.0),
                errors: Errors::default(),
                imported: Some(ImportedDraft {
                    reference: done.alert.reference.clone(),
                    title: done.alert.fields.title.clone(),
                    source_id: done.source_id,
                    source_publisher: done.source_publisher,
                    notes: done.notes,
                }),
            },
        )),
        Err(e) => Ok(refused(crate::pages::on_file_field(
            form_errors(e)?,
            usize::MAX,
        ))),
    }
}

// ---------- the list ----------

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    state: String,
    page: Option<u32>,
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

async fn list(State(s): State<AppState>, u: PageUser, Query(q): Query<ListQuery>) -> PageResult {
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
        &crate::pages::list_url("/alerts", &[("state", &q.state)]),
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

// ---------- one alert ----------

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
struct DoneQuery {
    #[serde(default)]
    done: String,
    /// How many messages a chase or relay queued.
    n: Option<u64>,
}

fn done_notice(q: &DoneQuery) -> Option<String> {
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

async fn detail_page(
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

async fn detail(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let page = detail_page(&s, &u, &id, Errors::default(), done_notice(&q)).await?;
    Ok(render(&page))
}

/// The alert page again with what went wrong (and the relay text as typed), or an error page.
async fn detail_refused(
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

fn back_to(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/alerts/{id}?done={done}")).into_response()
}

async fn bulk_acknowledge(
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

async fn chase(State(s): State<AppState>, u: PageUser, Path(id): Path<String>) -> PageResult {
    match s.app.chase_late(&u.0.actor, &id).await {
        Ok(n) => Ok(back_to(&id, &format!("chased&n={n}"))),
        Err(e) => detail_refused(&s, &u, &id, e, String::new()).await,
    }
}

#[derive(Deserialize)]
struct RelayForm {
    #[serde(default)]
    text: String,
}

async fn relay(
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

// ---------- the response board's drill-down ----------

#[derive(Deserialize, Default)]
struct BoardQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    late: String,
    #[serde(default)]
    org_type: String,
    #[serde(default)]
    q: String,
    page: Option<u32>,
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
    pub rows: Vec<ResponseRow>,
    pub pager: Pager,
}

async fn board(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let a = &u.0.actor;
    if !a.principal.may_global(GlobalAction::ViewAlertResponses) {
        return Err(PageError(AppError::Forbidden));
    }
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
    let base = crate::pages::list_url(
        &format!("/alerts/{}/responses", alert.reference),
        &[
            ("status", &q.status),
            ("late", &q.late),
            ("org_type", &q.org_type),
            ("q", &q.q),
        ],
    );
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
        type_options: crate::pages::type_options(true, &q.org_type),
        late: q.late == "yes",
        q: q.q.clone(),
        pager: Pager::new(&page, &base),
        rows: page.items.iter().map(|r| response_row(r, now)).collect(),
    }))
}

// ---------- one organisation's response ----------

pub struct ActionRow {
    pub id: i64,
    pub action: String,
    pub owner: String,
    pub due_on: String,
    pub progress: String,
    pub done_on: String,
}

#[derive(Template)]
#[template(path = "alert_response.html")]
pub struct ResponsePage {
    pub l: Layout,
    pub errors: Errors,
    pub notice: Option<String>,
    pub reference: String,
    pub title: String,
    pub r: ResponseRow,
    /// What the inventory suggests: (has an inventory, matching components as text).
    pub suggestion: Option<(bool, Vec<String>)>,
    pub acknowledged: String,
    pub applies: Option<bool>,
    pub reason: String,
    pub closure: String,
    pub risk_owner: String,
    pub closed: bool,
    pub actions: Vec<ActionRow>,
    pub may_respond: bool,
    pub closure_options: Options,
    /// What was typed into a step that was refused (empty otherwise).
    pub typed: StepForm,
}

impl ResponsePage {
    /// The progress typed for action `id` when that update was refused.
    pub fn progress_for(&self, id: i64) -> &str {
        if self.typed.action_id == Some(id) {
            &self.typed.progress
        } else {
            ""
        }
    }
}

async fn response_page(
    s: &AppState,
    u: &PageUser,
    id: &str,
    code: &str,
    errors: Errors,
    notice: Option<String>,
    typed: StepForm,
) -> Result<ResponsePage, PageError> {
    let a = &u.0.actor;
    let view = s.app.alert_response(a, id, code).await?;
    let (alert, r, actions) = (view.alert, view.response, view.actions);
    let suggestion = s.app.suggested_applicability(a, id, code).await?.map(|sg| {
        let shown = sg
            .components
            .iter()
            .map(crate::pages_estate::component_text)
            .collect();
        (sg.has_inventory, shown)
    });
    let now = s.app.now();
    // A refused reason is shown as typed; otherwise the one recorded.
    let reason = if typed.reason.is_empty() {
        r.reason.clone().unwrap_or_default()
    } else {
        typed.reason.clone()
    };
    Ok(ResponsePage {
        l: Layout::for_session(&u.0),
        errors,
        notice,
        reference: alert.reference.clone(),
        title: alert.fields.title.clone(),
        suggestion,
        acknowledged: when(r.acknowledged_at),
        applies: r.applies,
        reason,
        closure: r.closure.map(|c| c.label().to_string()).unwrap_or_default(),
        risk_owner: r.risk_owner.clone().unwrap_or_default(),
        closed: r.status == ResponseStatus::Closed,
        actions: actions
            .into_iter()
            .map(|x| ActionRow {
                id: x.id,
                action: x.action,
                owner: x.owner,
                due_on: x.due_on,
                progress: x.progress.unwrap_or_default(),
                done_on: x.done_on.unwrap_or_default(),
            })
            .collect(),
        may_respond: view.may_respond,
        closure_options: options(
            Closure::ALL
                .iter()
                .map(|c| (c.as_str().to_string(), c.label().to_string())),
            &typed.closure,
        ),
        r: response_row(&r, now),
        typed,
    })
}

async fn response(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, code)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let page = response_page(
        &s,
        &u,
        &id,
        &code,
        Errors::default(),
        done_notice(&q),
        StepForm::default(),
    )
    .await?;
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    pub applies: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub action_id: Option<i64>,
    #[serde(default)]
    pub progress: String,
    #[serde(default)]
    pub done: String,
    #[serde(default)]
    pub closure: String,
    #[serde(default)]
    pub siro: String,
}

impl StepForm {
    /// The form as the API's step body, so both read a step the same way.
    fn body(&self) -> Result<StepBody, AppError> {
        Ok(StepBody {
            applies: match self.applies.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                "" => None,
                _ => return Err(AppError::invalid("applies", "choose yes or no")),
            },
            reason: self.reason.clone(),
            action: self.action.clone(),
            owner: self.owner.clone(),
            due_on: self.due_on.clone(),
            action_id: self.action_id,
            progress: self.progress.clone(),
            done: self.done == "yes",
            closure: self.closure.clone(),
            siro: self.siro.clone(),
            ..StepBody::default()
        })
    }
}

async fn step(
    State(s): State<AppState>,
    u: PageUser,
    Path((id, code, step)): Path<(String, String, String)>,
    Form(f): Form<StepForm>,
) -> PageResult {
    let result = match f.body().and_then(|b| step_request(&step, &b)) {
        Ok(request) => s
            .app
            .respond(&u.0.actor, &id, std::slice::from_ref(&code), &request)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/alerts/{id}/responses/{code}?done=step")).into_response())
        }
        Err(e) => {
            let errors = form_errors(e)?;
            let page = response_page(&s, &u, &id, &code, errors, None, f).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

// ---------- publish and edit ----------

/// The alert form as typed: lists are one item per line.
#[derive(Default, Clone)]
pub struct AlertForm {
    pub title: String,
    pub severity: String,
    pub alert_type: String,
    pub summary: String,
    pub body: String,
    pub cves: String,
    /// `name | cpe or purl | vers`, one product per line.
    pub products: String,
    pub exploited: bool,
    pub remediation: String,
    pub org_types: Vec<String>,
    pub categories: Vec<String>,
    pub regions: String,
    pub codes: String,
    pub response_required: bool,
    pub expected_version: i64,
}

/// One line of the products box: `name | identifiers | vers range`, where the identifiers are
/// a CPE 2.3 name, a package URL or both (space-separated), and the range keeps its own `|`s.
fn product_line(line: &str) -> Result<ProductInput, AppError> {
    let mut parts = line.splitn(3, '|').map(str::trim);
    let name = parts.next().unwrap_or_default().to_string();
    let ids = parts.next().unwrap_or_default();
    let vers = parts.next().unwrap_or_default();
    let (mut cpe, mut purl) = (None, None);
    for id in ids.split_whitespace() {
        let slot = if id.starts_with("cpe:") {
            &mut cpe
        } else {
            &mut purl
        };
        if slot.replace(id.to_string()).is_some() {
            return Err(AppError::invalid(
                "products",
                format!("{name}: give at most one CPE name and one package URL"),
            ));
        }
    }
    Ok(ProductInput {
        name,
        cpe,
        purl,
        vers: Some(vers.to_string()).filter(|v| !v.is_empty()),
    })
}

fn lines(s: &str) -> Vec<String> {
    s.split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

impl AlertForm {
    fn from_pairs(pairs: &[(String, String)]) -> (Self, String) {
        let mut f = AlertForm::default();
        let mut intent = String::new();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v.clone(),
                "severity" => f.severity = v.clone(),
                "type" => f.alert_type = v.clone(),
                "summary" => f.summary = v.clone(),
                "body" => f.body = v.clone(),
                "cves" => f.cves = v.clone(),
                "products" => f.products = v.clone(),
                "exploited" => f.exploited = v == "yes",
                "remediation" => f.remediation = v.clone(),
                "org_types" => f.org_types.push(v.clone()),
                "categories" => f.categories.push(v.clone()),
                "regions" => f.regions = v.clone(),
                "codes" => f.codes = v.clone(),
                "response_required" => f.response_required = v == "yes",
                "expected_version" => f.expected_version = v.parse().unwrap_or(0),
                "intent" => intent = v.clone(),
                _ => {}
            }
        }
        (f, intent)
    }

    fn from_fields(fields: &AlertFields, version: i64) -> Self {
        AlertForm {
            title: fields.title.clone(),
            severity: fields.severity.as_str().into(),
            alert_type: fields.alert_type.as_str().into(),
            summary: fields.summary.clone(),
            body: fields.body.clone(),
            cves: fields
                .cves
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            products: fields
                .products
                .iter()
                .map(|p| {
                    // Both identifiers, space-separated: an imported product often has both.
                    let ids = [
                        p.cpe.as_ref().map(|c| c.to_string()),
                        p.purl.as_ref().map(|c| c.to_string()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                    let vers = p.vers.as_ref().map(|v| v.to_string()).unwrap_or_default();
                    format!("{} | {ids} | {vers}", p.name)
                })
                .collect::<Vec<_>>()
                .join("\n"),
            exploited: fields.exploited,
            remediation: fields.remediation.clone(),
            org_types: fields
                .audience
                .org_types
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            categories: fields
                .audience
                .categories
                .iter()
                .map(|c| c.number().to_string())
                .collect(),
            regions: fields.audience.regions.join(", "),
            codes: fields
                .audience
                .codes
                .iter()
                .map(|c| c.as_str().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            response_required: fields.response_required,
            expected_version: version,
        }
    }

    fn input(&self) -> Result<AlertInput, AppError> {
        let mut categories = Vec::new();
        for c in &self.categories {
            categories.push(
                c.parse::<u8>()
                    .map_err(|_| AppError::invalid("categories", "choose categories 1 to 4"))?,
            );
        }
        let products = self
            .products
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(product_line)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AlertInput {
            title: self.title.clone(),
            severity: self.severity.clone(),
            alert_type: self.alert_type.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            cves: lines(&self.cves),
            products,
            exploited: self.exploited,
            remediation: self.remediation.clone(),
            org_types: self.org_types.clone(),
            categories,
            regions: lines(&self.regions),
            codes: lines(&self.codes),
            response_required: self.response_required,
        })
    }
}

#[derive(Template)]
#[template(path = "alert_form.html")]
pub struct AlertFormPage {
    pub l: Layout,
    pub errors: Errors,
    pub heading: String,
    pub action: String,
    pub f: AlertForm,
    pub severity_options: Options,
    pub type_options: Options,
    pub org_type_checks: Options,
    pub category_checks: Options,
    pub preview: Option<Content>,
    pub published: bool,
}

/// Checkboxes: each (value, text), ticked when its value is among `chosen`.
fn checks(items: impl Iterator<Item = (String, String)>, chosen: &[String]) -> Options {
    items
        .map(|(value, text)| Opt {
            selected: chosen.contains(&value),
            value,
            text,
        })
        .collect()
}

fn form_page(
    u: &PageUser,
    reference: Option<&str>,
    published: bool,
    f: AlertForm,
    errors: Errors,
    preview: Option<Content>,
) -> AlertFormPage {
    AlertFormPage {
        l: Layout::for_session(&u.0),
        errors,
        heading: match reference {
            Some(r) => format!("Change {r}"),
            None => "Draft an alert".into(),
        },
        action: match reference {
            Some(r) => format!("/alerts/{r}/edit"),
            None => "/alerts".into(),
        },
        severity_options: options(
            Severity::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label().to_string())),
            &f.severity,
        ),
        type_options: options(
            AlertType::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), s.label().to_string())),
            &f.alert_type,
        ),
        org_type_checks: checks(
            OrgType::ALL
                .iter()
                .map(|t| (t.as_str().to_string(), t.label().to_string())),
            &f.org_types,
        ),
        category_checks: checks(
            Category::ALL
                .iter()
                .map(|c| (c.number().to_string(), format!("Category {}", c.number()))),
            &f.categories,
        ),
        f,
        preview,
        published,
    }
}

async fn new_form(State(_s): State<AppState>, u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let f = AlertForm {
        severity: "high".into(),
        alert_type: "vulnerability".into(),
        response_required: true,
        ..Default::default()
    };
    Ok(render(&form_page(
        &u,
        None,
        false,
        f,
        Errors::default(),
        None,
    )))
}

async fn edit_form(State(s): State<AppState>, u: PageUser, Path(id): Path<String>) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let view = s.app.alert(&u.0.actor, &id).await?;
    let a = &view.alert;
    let f = AlertForm::from_fields(&a.fields, a.version);
    Ok(render(&form_page(
        &u,
        Some(&a.reference),
        a.state == AlertState::Published,
        f,
        Errors::default(),
        None,
    )))
}

/// Validates the form for a preview: the alert as organisations will read it, or the errors.
fn preview(f: &AlertForm) -> Result<Content, AppError> {
    let fields = f.input()?.validate()?;
    Ok(content("(new)", &fields))
}

async fn save(
    s: &AppState,
    u: &PageUser,
    current: Option<&AlertRecord>,
    pairs: Vec<(String, String)>,
) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let (f, intent) = AlertForm::from_pairs(&pairs);
    let reference = current.map(|a| a.reference.as_str());
    let published = current.is_some_and(|a| a.state == AlertState::Published);
    let again = |f: AlertForm, errors: Errors, preview: Option<Content>| {
        form_page(u, reference, published, f, errors, preview)
    };
    if intent == "preview" {
        return Ok(match preview(&f) {
            Ok(mut c) => {
                c.reference = reference.unwrap_or("(new)").to_string();
                render(&again(f, Errors::default(), Some(c)))
            }
            Err(e) => render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &again(f.clone(), form_errors(e)?, None),
            ),
        });
    }
    let publish = intent == "publish";
    let result = match f.input() {
        Ok(input) => match current {
            Some(a) => s
                .app
                .update_alert(
                    &u.0.actor,
                    &a.reference,
                    f.expected_version,
                    &input,
                    publish,
                )
                .await
                .map(|r| {
                    (
                        r,
                        if published {
                            "updated"
                        } else if publish {
                            "published"
                        } else {
                            "saved"
                        },
                    )
                }),
            None => s
                .app
                .create_alert(&u.0.actor, &input, publish)
                .await
                .map(|r| (r, if publish { "published" } else { "saved" })),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok((alert, done)) => Ok(back_to(&alert.reference, done)),
        Err(e) => Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &again(f, form_errors(e)?, None),
        )),
    }
}

async fn create(
    State(s): State<AppState>,
    u: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    save(&s, &u, None, pairs).await
}

async fn update(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let view = s.app.alert(&u.0.actor, &id).await?;
    save(&s, &u, Some(&view.alert), pairs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_survive_the_edit_form_with_both_identifiers_and_a_two_limit_range() {
        let input = AlertInput {
            title: "Log4Shell".into(),
            severity: "high".into(),
            alert_type: "vulnerability".into(),
            summary: "Patch now".into(),
            products: vec![
                ProductInput {
                    name: "Log4j core".into(),
                    cpe: Some("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*".into()),
                    purl: Some("pkg:maven/org.apache.logging.log4j/log4j-core".into()),
                    vers: Some("vers:maven/>=2.0.0|<2.15.0".into()),
                },
                ProductInput {
                    name: "Windows 7".into(),
                    cpe: Some("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let fields = input.validate().unwrap();
        let again = AlertForm::from_fields(&fields, 1).input().unwrap();
        assert_eq!(again.products, input.products);
        assert_eq!(again.validate().unwrap().products, fields.products);
    }

    #[test]
    fn a_product_line_takes_one_identifier_of_each_kind() {
        let p = product_line("X | pkg:npm/x").unwrap();
        assert_eq!(
            (p.cpe, p.purl.as_deref(), p.vers),
            (None, Some("pkg:npm/x"), None)
        );
        let e = product_line("X | pkg:npm/x pkg:npm/y | vers:npm/<2").unwrap_err();
        assert!(e.to_string().contains("at most one"), "{e}");
    }
}
