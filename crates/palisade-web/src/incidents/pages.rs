//! The organisation's incident pages: its list, the report form (which shows what the grade
//! means before anything is sent), the case with its updates and messages.

use super::api::id_of;
use super::view::*;
use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::*;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::incidents::{IncidentView, MessageTarget, UpdateInput};
use palisade_domain::clock::{from_uk_local, from_unix, rfc3339, uk_local};
use palisade_domain::incident::{
    Clock, Grade, IncidentFields, IncidentInput, IncidentStatus, ReportStage,
};
use palisade_domain::page::PageRequest;
use palisade_domain::policy::OrgAction;
use serde::Deserialize;

const LOCAL: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");

/// The report form as typed: times as UK wall-clock readings (`datetime-local`).
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub title: String,
    pub description: String,
    pub kind: String,
    pub started_at: String,
    pub aware_at: String,
    pub contained: bool,
    pub cia: Vec<String>,
    pub personal_data: bool,
    pub vulnerable_groups: bool,
    pub people_affected: String,
    pub likelihood: String,
    pub impact: String,
    /// One per line.
    pub systems: String,
    pub not_reported_reason: String,
    /// Which button: `check`, `draft` or `notify`.
    pub action: String,
}

impl FormValues {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = FormValues::default();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v,
                "description" => f.description = v,
                "kind" => f.kind = v,
                "started_at" => f.started_at = v,
                "aware_at" => f.aware_at = v,
                "contained" => f.contained = v == "yes",
                "cia" => f.cia.push(v),
                "personal_data" => f.personal_data = v == "yes",
                "vulnerable_groups" => f.vulnerable_groups = v == "yes",
                "people_affected" => f.people_affected = v,
                "likelihood" => f.likelihood = v,
                "impact" => f.impact = v,
                "systems" => f.systems = v,
                "not_reported_reason" => f.not_reported_reason = v,
                "action" => f.action = v,
                _ => {}
            }
        }
        f
    }

    fn of(fields: &IncidentFields) -> Self {
        let local = |t: i64| uk_local(t).0.format(LOCAL).unwrap_or_default();
        FormValues {
            title: fields.title.clone(),
            description: fields.description.clone(),
            kind: fields.kind.as_str().into(),
            started_at: local(fields.started_at),
            aware_at: local(fields.aware_at),
            contained: fields.contained,
            cia: fields.cia.iter().map(|c| c.as_str().to_string()).collect(),
            personal_data: fields.personal_data,
            vulnerable_groups: fields.vulnerable_groups,
            people_affected: fields
                .people_affected
                .map(|n| n.to_string())
                .unwrap_or_default(),
            likelihood: fields
                .likelihood
                .map(|l| l.as_str().into())
                .unwrap_or_default(),
            impact: fields.impact.map(|i| i.as_str().into()).unwrap_or_default(),
            systems: fields.systems.join("\n"),
            not_reported_reason: fields.not_reported_reason.clone().unwrap_or_default(),
            action: String::new(),
        }
    }

    /// What the rules read: UK readings become instants (anything else is passed on for the
    /// rules to name).
    fn input(&self) -> Result<IncidentInput, AppError> {
        let instant = |raw: &str| match time::PrimitiveDateTime::parse(raw.trim(), LOCAL) {
            Ok(t) => rfc3339(from_unix(from_uk_local(t))),
            Err(_) => raw.to_string(),
        };
        let people_affected = match self.people_affected.trim() {
            "" => None,
            n => Some(n.parse::<i64>().map_err(|_| {
                AppError::invalid("people_affected", "must be a whole number, such as 250")
            })?),
        };
        Ok(IncidentInput {
            title: self.title.clone(),
            description: self.description.clone(),
            kind: self.kind.clone(),
            started_at: instant(&self.started_at),
            aware_at: instant(&self.aware_at),
            contained: self.contained,
            cia: self.cia.clone(),
            personal_data: self.personal_data,
            vulnerable_groups: self.vulnerable_groups,
            people_affected,
            likelihood: self.likelihood.clone(),
            impact: self.impact.clone(),
            systems: self.systems.lines().map(str::to_string).collect(),
            not_reported_reason: self.not_reported_reason.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "incident_form.html")]
pub struct FormPage {
    pub l: Layout,
    pub errors: Errors,
    pub org_name: String,
    pub heading: String,
    pub action: String,
    pub back: String,
    pub f: FormValues,
    pub kind_options: Options,
    pub likelihood_options: Options,
    pub impact_options: Options,
    pub cia_options: Options,
    /// After "Check the grade": what it means and the clocks that would run.
    pub checked: bool,
    pub meaning: Option<Meaning>,
    pub clocks: Vec<ClockRow>,
}

fn form_page(
    u: &PageUser,
    org: (&str, &str),
    reference: Option<&str>,
    f: FormValues,
    errors: Errors,
) -> FormPage {
    let (code, name) = org;
    let list = format!("/organisations/{code}/incidents");
    FormPage {
        l: Layout::for_session(&u.0),
        errors,
        org_name: name.into(),
        heading: match reference {
            Some(r) => format!("Change draft {r}"),
            None => "Report an incident".into(),
        },
        action: match reference {
            Some(r) => format!("{list}/{r}/edit"),
            None => list.clone(),
        },
        back: match reference {
            Some(r) => format!("{list}/{r}"),
            None => list,
        },
        kind_options: kind_options("Choose the kind", &f.kind),
        likelihood_options: likelihood_options("Not graded yet", &f.likelihood),
        impact_options: impact_options("Not graded yet", &f.impact),
        cia_options: cia_options(&f.cia),
        f,
        checked: false,
        meaning: None,
        clocks: Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "incidents.html")]
pub struct ListPage {
    pub l: Layout,
    pub org_code: String,
    pub org_name: String,
    pub may_report: bool,
    pub rows: Vec<ListRow>,
    pub pager: Pager,
}

#[derive(Deserialize, Default)]
pub(crate) struct PageParam {
    pub(crate) page: Option<u32>,
}

pub(crate) async fn list(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Query(q): Query<PageParam>,
) -> PageResult {
    let found = s
        .app
        .org_incidents(&u.0.actor, &code, PageRequest::new(q.page, None))
        .await?;
    let org = &found.org.org;
    let base = format!("/organisations/{}/incidents", org.code);
    let now = s.app.now();
    Ok(render(&ListPage {
        l: Layout::for_session(&u.0),
        org_code: org.code.clone(),
        org_name: org.name.clone(),
        may_report: found.may_report,
        rows: found
            .page
            .items
            .iter()
            .map(|r| {
                list_row(
                    r,
                    format!("{base}/{}", palisade_store::incident_reference(r.id)),
                    now,
                )
            })
            .collect(),
        pager: Pager::new(&found.page, &base),
    }))
}

pub(crate) async fn new(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let v = s
        .app
        .org_for(&u.0.actor, &code, OrgAction::ReportIncidents)
        .await?;
    Ok(render(&form_page(
        &u,
        (&v.org.code, &v.org.name),
        None,
        FormValues::default(),
        Errors::default(),
    )))
}

/// What "Check the grade" found: the grade and the clocks that would run.
type Preview = (Option<Grade>, Vec<Clock>);

/// The report form posted, new (`id` none) or a draft's: checked and shown again with what the
/// grade means, saved as a draft, or saved and notified.
async fn submit(
    s: &AppState,
    u: &PageUser,
    code: &str,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> PageResult {
    let f = FormValues::from_pairs(pairs);
    let notify = f.action == "notify";
    let outcome: Result<Option<Preview>, AppError> = match f.input() {
        Err(e) => Err(e),
        Ok(input) if f.action == "check" => s
            .app
            .incident_preview(&u.0.actor, code, &input)
            .await
            .map(Some),
        Ok(input) => {
            let saved = match id {
                None => {
                    s.app
                        .report_incident(&u.0.actor, code, &input, notify)
                        .await
                }
                Some(id) => {
                    let patched = s
                        .app
                        .patch_incident(&u.0.actor, code, id, input.into(), None)
                        .await;
                    match patched {
                        Ok(v) if notify => {
                            let at = Some(v.record.revision);
                            s.app.notify_incident(&u.0.actor, code, id, None, at).await
                        }
                        other => other,
                    }
                }
            };
            match saved {
                Ok(v) => return Ok(see_other(&case_href(&v))),
                Err(e) => Err(e),
            }
        }
    };
    let org = s
        .app
        .org_for(&u.0.actor, code, OrgAction::ReportIncidents)
        .await?;
    let reference = id.map(palisade_store::incident_reference);
    let mut page = form_page(
        u,
        (&org.org.code, &org.org.name),
        reference.as_deref(),
        f,
        Errors::default(),
    );
    match outcome {
        Err(e) => {
            page.errors = form_errors(e)?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Ok(preview) => {
            if let Some((grade, clocks)) = preview {
                page.checked = true;
                page.meaning = meaning(grade.as_ref());
                page.clocks = clock_rows(&clocks);
            }
            Ok(render(&page))
        }
    }
}

pub(crate) async fn create(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    submit(&s, &u, &code, None, pairs).await
}

fn case_href(v: &IncidentView) -> String {
    format!(
        "/organisations/{}/incidents/{}",
        v.record.org_code, v.reference
    )
}

pub(crate) async fn edit(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, String)>,
) -> PageResult {
    let v = s.app.incident(&u.0.actor, &code, id_of(&id)?).await?;
    if !v.may_edit {
        return Ok(see_other(&case_href(&v)));
    }
    let f = FormValues::of(v.fields());
    Ok(render(&form_page(
        &u,
        (&v.record.org_code, &v.record.org_name),
        Some(&v.reference),
        f,
        Errors::default(),
    )))
}

pub(crate) async fn save_edit(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    submit(&s, &u, &code, Some(id_of(&id)?), pairs).await
}

#[derive(Template)]
#[template(path = "incident.html")]
pub struct CasePage {
    pub l: Layout,
    pub errors: Errors,
    pub c: Case,
    /// Where the case's forms post: the organisation's address or the national one.
    pub base: String,
    pub back: String,
    pub back_text: String,
    /// The regulator-ready report, on the organisation's address.
    pub regulator_href: String,
    pub may_edit: bool,
    pub may_update: bool,
    pub national: bool,
    pub may_triage: bool,
    pub revision: i64,
    pub closed: bool,
    pub likelihood_options: Options,
    pub impact_options: Options,
    pub report_options: Options,
    pub severity_options: Options,
    pub status_options: Options,
    pub indicator_type_options: Options,
    pub tlp_options: Options,
    pub playbook_options: Options,
    pub task_state_options: Options,
}

pub(crate) fn case_page(
    u: &PageUser,
    v: &IncidentView,
    national_route: bool,
    errors: Errors,
) -> CasePage {
    let s = &v.record.state;
    let (base, back, back_text) = if national_route {
        (
            format!("/incidents/{}", v.reference),
            "/incidents".to_string(),
            "Back to the incident board".to_string(),
        )
    } else {
        let list = format!("/organisations/{}/incidents", v.record.org_code);
        (
            format!("{list}/{}", v.reference),
            list,
            format!("Back to {}'s incidents", v.record.org_name),
        )
    };
    let reports = [ReportStage::Full, ReportStage::Final];
    CasePage {
        l: Layout::for_session(&u.0),
        errors,
        c: case(v),
        base,
        back,
        back_text,
        regulator_href: format!("{}/regulator", case_href(v)),
        may_edit: v.may_edit && !national_route,
        may_update: v.may_update && !national_route,
        national: v.national && national_route,
        may_triage: v.may_triage && national_route,
        revision: v.record.revision,
        closed: s.status == IncidentStatus::Closed,
        likelihood_options: likelihood_options("No change", ""),
        impact_options: impact_options("No change", ""),
        report_options: options(
            std::iter::once((String::new(), "Neither".to_string())).chain(
                reports
                    .iter()
                    .map(|r| (r.as_str().to_string(), r.label().to_string())),
            ),
            "",
        ),
        severity_options: severity_options("No change", ""),
        status_options: status_options("No change", &IncidentStatus::TRIAGE, ""),
        indicator_type_options: indicator_type_options(),
        tlp_options: tlp_options(),
        playbook_options: playbook_options(v),
        task_state_options: task_state_options(),
    }
}

pub(crate) async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, String)>,
) -> PageResult {
    let v = s.app.incident(&u.0.actor, &code, id_of(&id)?).await?;
    Ok(render(&case_page(&u, &v, false, Errors::default())))
}

/// After a step on the case: back to it, or the case again with the refusal on it.
pub(crate) async fn after_step(
    s: &AppState,
    u: &PageUser,
    target: (Option<&str>, i64),
    result: Result<IncidentView, AppError>,
) -> PageResult {
    match result {
        Ok(v) => Ok(see_other(&match target.0 {
            Some(_) => case_href(&v),
            None => format!("/incidents/{}", v.reference),
        })),
        Err(e) => {
            let errors = form_errors(e)?;
            let v = match target.0 {
                Some(code) => s.app.incident(&u.0.actor, code, target.1).await?,
                None => s.app.national_incident_view(&u.0.actor, target.1).await?,
            };
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &case_page(u, &v, target.0.is_none(), errors),
            ))
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct NotifyForm {
    #[serde(default)]
    pub(crate) not_reported_reason: String,
    pub(crate) revision: Option<i64>,
}

pub(crate) async fn notify(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<NotifyForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let result = s
        .app
        .notify_incident(
            &u.0.actor,
            &code,
            id,
            Some(f.not_reported_reason),
            f.revision,
        )
        .await;
    after_step(&s, &u, (Some(&code), id), result).await
}

pub(crate) async fn add_update(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let id = id_of(&id)?;
    let mut input = UpdateInput::default();
    let some = |v: String| Some(v).filter(|v| !v.is_empty());
    for (k, v) in pairs {
        match k.as_str() {
            "text" => input.text = v,
            "contained" => input.contained = (v == "yes").then_some(true),
            "likelihood" => input.likelihood = some(v),
            "impact" => input.impact = some(v),
            "systems" => input.systems = v.lines().map(str::to_string).collect(),
            "report" => input.report = some(v),
            "closed" => input.closed = v == "yes",
            "not_reported_reason" => input.not_reported_reason = some(v),
            "revision" => input.expected_revision = v.parse().ok(),
            _ => {}
        }
    }
    let result = s
        .app
        .add_incident_update(&u.0.actor, &code, id, input)
        .await;
    after_step(&s, &u, (Some(&code), id), result).await
}

#[derive(Deserialize)]
pub(crate) struct MessageForm {
    #[serde(default)]
    pub(crate) text: String,
    #[serde(default)]
    pub(crate) internal: String,
}

pub(crate) async fn message(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, String)>,
    Form(f): Form<MessageForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let target = MessageTarget::Organisation { code: &code, id };
    let result = s
        .app
        .add_incident_message(&u.0.actor, target, &f.text, false)
        .await;
    after_step(&s, &u, (Some(&code), id), result).await
}

#[derive(Template)]
#[template(path = "incident_regulator.html")]
pub struct RegulatorPage {
    pub l: Layout,
    pub c: Case,
    pub org_type: String,
    pub reported_by: String,
    pub back: String,
}

/// The case as the regulator's form asks for it, to print or copy: the organisation's own
/// updates only, never the national team's notes.
pub(crate) async fn regulator(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, String)>,
) -> PageResult {
    let mut v = s.app.incident(&u.0.actor, &code, id_of(&id)?).await?;
    v.entries
        .retain(|e| e.shared && e.kind == palisade_store::EntryKind::Update);
    Ok(render(&RegulatorPage {
        l: Layout::for_session(&u.0),
        org_type: v.record.org_type.label().into(),
        reported_by: v.record.created_by.clone().unwrap_or_default(),
        back: case_href(&v),
        c: case(&v),
    }))
}
