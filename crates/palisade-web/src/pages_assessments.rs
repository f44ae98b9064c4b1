//! Assessment pages: one organisation's annual assessment (the overview, each section's answer
//! form, certificates, submit and reopen), the public register, the national dashboard and the
//! list of organisations behind each of its figures.

use crate::AppState;
use crate::error::PageError;
use crate::identity::PageUser;
use crate::views::{
    Errors, Layout, Options, Pager, ShownError, Tag, options, render, render_status,
};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use palisade_app::AppError;
use palisade_app::assessments::{AnswerInput, AssessmentView, CertificateInput, check_year};
use palisade_app::report::{Figures, NationalReport, fmt_int, long_date};
use palisade_domain::assessment::{Status, year_label};
use palisade_domain::framework::{AnswerType, Item, Level, Node, Outcome, date_text};
use palisade_domain::org::{Category, OrgType};
use palisade_domain::page::PageRequest;
use palisade_domain::policy::GlobalAction;
use palisade_store::{PublicStatus, StatusFilter};
use serde::Deserialize;
use std::collections::HashMap;

type PageResult = Result<Response, PageError>;

/// `evidence_limit` is the largest upload body (the document limit and room for the form).
pub(crate) fn routes(evidence_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/organisations/{code}/assessments/{year}/evidence",
            post(upload_evidence).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route(
            "/organisations/{code}/assessments/{year}/evidence/{id}",
            get(download_evidence),
        )
        .route(
            "/organisations/{code}/assessments/{year}/evidence/{id}/remove",
            post(remove_evidence),
        )
        .route("/organisations/{code}/assessment", get(current_assessment))
        .route("/organisations/{code}/assessments/{year}", get(overview))
        .route(
            "/organisations/{code}/assessments/{year}/sections/{section}",
            get(section).post(save_section),
        )
        .route(
            "/organisations/{code}/assessments/{year}/certificates",
            post(add_certificate),
        )
        .route(
            "/organisations/{code}/assessments/{year}/certificates/remove",
            post(remove_certificate),
        )
        .route(
            "/organisations/{code}/assessments/{year}/submit",
            post(submit),
        )
        .route(
            "/organisations/{code}/assessments/{year}/reopen",
            post(reopen),
        )
        .route(
            "/organisations/{code}/assessments/{year}/oscal.json",
            get(oscal_download),
        )
        .route("/public", get(public_register))
        .route("/reports/national", get(national))
        .route("/assessments", get(statuses))
}

/// A year from the address: a number within range, or the page is not found.
pub(crate) fn year_param(raw: &str) -> Result<i32, PageError> {
    let year = raw.parse::<i32>().map_err(|_| AppError::NotFound)?;
    check_year(year)?;
    Ok(year)
}

fn assessment_url(code: &str, year: i32) -> String {
    format!("/organisations/{code}/assessments/{year}")
}

fn section_url(code: &str, year: i32, section: &str) -> String {
    format!("{}/sections/{section}", assessment_url(code, year))
}

pub(crate) use palisade_domain::clock::day_of;

// ---------- the overview ----------

pub struct SectionRow {
    pub reference: String,
    pub title: String,
    pub link: String,
    pub required: u32,
    pub required_met: u32,
    pub answered: u32,
    pub applicable: u32,
}

/// A reference still needed, with where to answer it.
pub struct Needed {
    pub reference: String,
    pub text: String,
    pub link: String,
}

pub struct OutcomeRow {
    pub reference: String,
    pub title: String,
    pub link: String,
    pub level: Level,
    pub target: Level,
    pub at_target: bool,
}

pub struct CertRow {
    pub index: usize,
    pub kind: String,
    pub reference: String,
    pub expires_on: String,
    pub valid: bool,
}

pub struct PublicationRow {
    pub status: Status,
    pub on: String,
    pub by: String,
    pub late: bool,
}

#[derive(Template)]
#[template(path = "assessment.html")]
pub struct AssessmentPage {
    pub l: Layout,
    pub errors: Errors,
    pub notice: Option<String>,
    pub code: String,
    pub org_name: String,
    pub org_type: OrgType,
    pub category: Category,
    pub year: i32,
    pub year_label: String,
    pub framework_name: String,
    pub framework_notice: Option<String>,
    pub caf: bool,
    pub status: Status,
    pub published: Option<String>,
    pub late: bool,
    pub submitted: bool,
    pub deadline: String,
    pub days_left_text: String,
    pub editable: bool,
    pub may_submit: bool,
    pub may_reopen: bool,
    pub status_if_submitted: Status,
    pub sections: Vec<SectionRow>,
    pub needed_for_met: Vec<Needed>,
    pub needed_for_approaching: Vec<Needed>,
    pub outcomes: Vec<OutcomeRow>,
    pub certificates: Vec<CertRow>,
    pub certificate_options: Options,
    pub publications: Vec<PublicationRow>,
    /// The improvement plan's state, once one is started.
    pub plan: Option<palisade_domain::plan::PlanState>,
}

fn needed(view: &AssessmentView, refs: &[String]) -> Vec<Needed> {
    refs.iter()
        .map(|r| {
            let section = view.tree.section_of(r).unwrap_or_default();
            Needed {
                link: format!(
                    "{}#item-{r}",
                    section_url(&view.org.org.code, view.year, section)
                ),
                reference: r.clone(),
                text: view
                    .tree
                    .node(r)
                    .map(Node::text)
                    .unwrap_or_default()
                    .to_string(),
            }
        })
        .collect()
}

async fn assessment_page(
    s: &AppState,
    u: &PageUser,
    view: AssessmentView,
    errors: Errors,
    notice: Option<String>,
) -> PageResult {
    let (status_if_submitted, plan) = s.app.status_if_submitted(&view).await?;
    let code = view.org.org.code.clone();
    let e = &view.evaluation;
    let sections = e
        .sections
        .iter()
        .map(|p| SectionRow {
            link: section_url(&code, view.year, &p.reference),
            reference: p.reference.clone(),
            title: p.title.clone(),
            required: p.required,
            required_met: p.required_met,
            answered: p.answered,
            applicable: p.applicable,
        })
        .collect();
    let outcomes = e
        .outcomes
        .iter()
        .map(|o| OutcomeRow {
            link: format!(
                "{}#item-{}",
                section_url(
                    &code,
                    view.year,
                    view.tree.section_of(&o.reference).unwrap_or_default()
                ),
                o.reference
            ),
            reference: o.reference.clone(),
            title: o.title.clone(),
            level: o.level,
            target: o.target,
            at_target: o.at_target(),
        })
        .collect();
    let certificates = view
        .certificates
        .iter()
        .enumerate()
        .map(|(index, c)| CertRow {
            index,
            kind: view
                .tree
                .certificate(&c.kind)
                .map_or_else(|| c.kind.clone(), |k| k.name.clone()),
            reference: c.reference.clone(),
            expires_on: c.expires_on.clone(),
            valid: view.certificate_valid(c),
        })
        .collect();
    let certificate_options = options(
        view.tree
            .certificates
            .iter()
            .map(|k| (k.key.clone(), k.name.clone())),
        "",
    );
    let publications = view
        .publications
        .iter()
        .rev()
        .map(|p| PublicationRow {
            status: p.status,
            on: day_of(p.published_at),
            by: p.published_by.clone().unwrap_or_default(),
            late: p.late,
        })
        .collect();
    let page = AssessmentPage {
        l: Layout::for_session(&u.0),
        errors,
        notice,
        org_name: view.org.org.name.clone(),
        org_type: view.org.org.org_type,
        category: view.org.org.category,
        year: view.year,
        year_label: year_label(view.year),
        framework_name: view.framework.name.clone(),
        framework_notice: view.tree.notice.clone(),
        caf: !view.tree.objectives().is_empty(),
        status: view.status(),
        published: view.published_at().map(day_of),
        late: view.publications.iter().any(|p| p.late),
        submitted: view.submitted(),
        deadline: long_date(&date_text(view.tree.deadline)),
        days_left_text: view.days_left_text(),
        editable: view.editable(),
        may_submit: view.may_submit && !view.submitted(),
        may_reopen: view.may_submit && view.submitted() && view.days_left() >= 0,
        status_if_submitted,
        sections,
        needed_for_met: needed(&view, &e.needed_for_met),
        needed_for_approaching: needed(&view, &e.needed_for_approaching),
        outcomes,
        certificates,
        certificate_options,
        publications,
        plan,
        code,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_status(status, &page))
}

async fn current_assessment(
    State(s): State<AppState>,
    _u: PageUser,
    Path(code): Path<String>,
) -> Response {
    Redirect::to(&assessment_url(&code, s.app.current_year())).into_response()
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    done: Option<String>,
}

/// The banner after a change, from a fixed list (never text from the address).
fn notice_text(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "submitted" => "The assessment is submitted and its status published.",
            "reopened" => {
                "The assessment is reopened. The published status stands until you submit again."
            }
            "certificate" => "The certificates are saved.",
            _ => return None,
        }
        .to_string(),
    )
}

async fn overview(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let year = year_param(&year)?;
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    assessment_page(
        &s,
        &u,
        view,
        Errors::default(),
        notice_text(q.done.as_deref()),
    )
    .await
}

/// A change refused with a reason the person can act on is shown on the overview; anything else
/// is an error page.
async fn overview_with_error(
    s: &AppState,
    u: &PageUser,
    code: &str,
    year: i32,
    e: AppError,
) -> PageResult {
    let errors = match e {
        AppError::Invalid(errs) => errs.into(),
        AppError::Conflict { message, .. } => Errors::one("assessment", &message),
        other => return Err(PageError(other)),
    };
    let view = s.app.assessment(&u.0.actor, code, year).await?;
    assessment_page(s, u, view, errors, None).await
}

async fn submit(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
) -> PageResult {
    let year = year_param(&year)?;
    match s.app.submit(&u.0.actor, &code, year).await {
        Ok(_) => Ok(done(&code, year, "submitted")),
        Err(e) => overview_with_error(&s, &u, &code, year, e).await,
    }
}

async fn reopen(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
) -> PageResult {
    let year = year_param(&year)?;
    match s.app.reopen(&u.0.actor, &code, year).await {
        Ok(_) => Ok(done(&code, year, "reopened")),
        Err(e) => overview_with_error(&s, &u, &code, year, e).await,
    }
}

fn done(code: &str, year: i32, what: &str) -> Response {
    Redirect::to(&format!("{}?done={what}", assessment_url(code, year))).into_response()
}

#[derive(Deserialize)]
struct CertificateForm {
    #[serde(rename = "certificate_kind", default)]
    kind: String,
    #[serde(rename = "certificate_reference", default)]
    reference: String,
    #[serde(rename = "certificate_expires_on", default)]
    expires_on: String,
}

fn certificate_inputs(view: &AssessmentView) -> Vec<CertificateInput> {
    view.certificates
        .iter()
        .map(|c| CertificateInput {
            kind: c.kind.clone(),
            reference: c.reference.clone(),
            expires_on: c.expires_on.clone(),
        })
        .collect()
}

/// Errors about the new certificate (the last of the list) point at the form's fields.
fn certificate_errors(e: AppError, new_index: usize) -> AppError {
    match e {
        AppError::Invalid(errs) => {
            let prefix = format!("certificates[{new_index}].");
            let mut out = palisade_domain::FieldErrors::default();
            for f in errs.0 {
                let field = f
                    .field
                    .strip_prefix(&prefix)
                    .map_or_else(|| f.field.clone(), |rest| format!("certificate_{rest}"));
                out.push(field, f.message);
            }
            AppError::Invalid(out)
        }
        other => other,
    }
}

async fn add_certificate(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(f): Form<CertificateForm>,
) -> PageResult {
    let year = year_param(&year)?;
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    let mut inputs = certificate_inputs(&view);
    inputs.push(CertificateInput {
        kind: f.kind,
        reference: f.reference,
        expires_on: f.expires_on,
    });
    let index = inputs.len() - 1;
    match s
        .app
        .set_certificates(&u.0.actor, &code, year, &inputs)
        .await
    {
        Ok(_) => Ok(done(&code, year, "certificate")),
        Err(e) => overview_with_error(&s, &u, &code, year, certificate_errors(e, index)).await,
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    index: usize,
}

async fn remove_certificate(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(f): Form<RemoveForm>,
) -> PageResult {
    let year = year_param(&year)?;
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    let mut inputs = certificate_inputs(&view);
    if f.index >= inputs.len() {
        return Err(AppError::NotFound.into());
    }
    inputs.remove(f.index);
    match s
        .app
        .set_certificates(&u.0.actor, &code, year, &inputs)
        .await
    {
        Ok(_) => Ok(done(&code, year, "certificate")),
        Err(e) => overview_with_error(&s, &u, &code, year, e).await,
    }
}

// ---------- one section's answers ----------

/// One answerable thing on a section page: an item, an IGP or an outcome's comment.
pub struct Field {
    pub reference: String,
    pub text: String,
    /// `yes_no`, `text`, `date`, `number`, `document`, `certificate`, `igp` or `comment`.
    pub kind: &'static str,
    pub value: String,
    /// The stored value when the page was drawn, to send only what this person changed.
    pub original: String,
    pub version: i64,
    /// "Mandatory", "Mandatory, in the Approaching set" or "Optional".
    pub need: String,
    pub met: bool,
    pub hint: String,
    pub error: Option<String>,
    pub documents: Vec<DocRow>,
}

/// An uploaded evidence document as a section page lists it.
pub struct DocRow {
    pub id: i64,
    pub filename: String,
    pub size: String,
    pub uploaded: String,
    pub sha256: String,
}

impl Field {
    /// The form field and element id: the API's error field names it too.
    pub fn id(&self) -> String {
        format!("answers.{}", self.reference)
    }
}

/// An assertion (ten-standard) or an outcome (CAF) with its fields.
pub struct Group {
    pub reference: String,
    pub title: String,
    /// CAF: the derived level against the target.
    pub level: Option<(Level, Level)>,
    pub fields: Vec<Field>,
    /// CAF: the IGPs by column (Not achieved, Partially achieved, Achieved).
    pub columns: Vec<(Level, Vec<Field>)>,
}

#[derive(Template)]
#[template(path = "assessment_section.html")]
pub struct SectionPage {
    pub l: Layout,
    pub errors: Errors,
    pub saved: Option<String>,
    pub code: String,
    pub org_name: String,
    pub year_label: String,
    pub back: String,
    pub action: String,
    /// Where documents are uploaded and fetched.
    pub evidence: String,
    /// "Deadline 30 June 2027: 218 days left".
    pub deadline: String,
    pub reference: String,
    pub title: String,
    pub editable: bool,
    pub submitted: bool,
    pub groups: Vec<Group>,
    pub prev: Option<(String, String)>,
    pub next: Option<(String, String)>,
}

fn item_need(item: &Item, t: OrgType) -> String {
    let a = item.applicability(t);
    match (a.is_mandatory(), a.in_approaching()) {
        (true, true) => "Mandatory, in the Approaching set",
        (true, false) => "Mandatory",
        _ => "Optional",
    }
    .to_string()
}

fn answer_kind(t: AnswerType) -> &'static str {
    match t {
        AnswerType::YesNo => "yes_no",
        AnswerType::Text => "text",
        AnswerType::Date => "date",
        AnswerType::Number => "number",
        AnswerType::Document => "document",
        AnswerType::Certificate => "certificate",
    }
}

/// What the person typed, for fields whose save was refused.
type Typed = HashMap<String, String>;

struct FieldSource<'a> {
    view: &'a AssessmentView,
    typed: &'a Typed,
    errors: &'a Errors,
}

impl FieldSource<'_> {
    fn field(&self, reference: &str, text: &str, kind: &'static str) -> Field {
        let stored = self.view.answers.get(reference);
        let original = stored.map(|a| a.value.clone()).unwrap_or_default();
        let id = format!("answers.{reference}");
        Field {
            reference: reference.to_string(),
            text: text.to_string(),
            kind,
            value: self
                .typed
                .get(reference)
                .cloned()
                .unwrap_or_else(|| original.clone()),
            original,
            version: stored.map_or(0, |a| a.version),
            need: String::new(),
            met: false,
            hint: String::new(),
            error: self.errors.get(&id).map(str::to_string),
            documents: vec![],
        }
    }

    fn item(&self, item: &Item) -> Field {
        let v = self.view;
        let mut f = self.field(&item.reference, &item.text, answer_kind(item.answer_type));
        f.need = item_need(item, v.org.org.org_type);
        f.met = palisade_domain::assessment::item_met(item, &v.facts, v.today);
        f.hint = match item.answer_type {
            AnswerType::Number => item
                .min
                .map(|m| format!("A number; at least {m} to meet the item."))
                .unwrap_or_else(|| "A number.".into()),
            AnswerType::Date => "For example, 2027-03-31.".into(),
            AnswerType::Certificate => item
                .certificate
                .as_deref()
                .and_then(|k| v.tree.certificate(k))
                .map(|k| {
                    format!(
                        "Met by a valid {} certificate, recorded on the assessment's overview.",
                        k.name
                    )
                })
                .unwrap_or_default(),
            AnswerType::Document => "Met by uploading an evidence document.".into(),
            _ => String::new(),
        };
        f.documents = v
            .evidence
            .iter()
            .filter(|e| e.reference == item.reference)
            .map(|e| DocRow {
                id: e.id,
                filename: e.filename.clone(),
                size: palisade_app::evidence::size_text(usize::try_from(e.size).unwrap_or(0)),
                uploaded: format!(
                    "{}{}",
                    day_of(e.uploaded_at),
                    e.uploaded_by
                        .as_deref()
                        .map(|b| format!(" by {b}"))
                        .unwrap_or_default()
                ),
                sha256: e.sha256.clone(),
            })
            .collect();
        f
    }

    fn outcome(&self, o: &Outcome) -> Group {
        let result = self
            .view
            .evaluation
            .outcomes
            .iter()
            .find(|r| r.reference == o.reference);
        let columns = [
            Level::NotAchieved,
            Level::PartiallyAchieved,
            Level::Achieved,
        ]
        .into_iter()
        .map(|level| {
            let fields: Vec<Field> = o
                .igps
                .iter()
                .filter(|g| g.level == level)
                .map(|g| self.field(&g.reference, &g.text, "igp"))
                .collect();
            (level, fields)
        })
        .filter(|(_, f)| !f.is_empty())
        .collect();
        let mut comment = self.field(
            &o.reference,
            "Comment on this outcome (optional)",
            "comment",
        );
        comment.hint = "What you have in place, or what you plan. Up to 5,000 characters.".into();
        Group {
            reference: o.reference.clone(),
            title: o.title.clone(),
            level: result.map(|r| (r.level, r.target)),
            fields: vec![comment],
            columns,
        }
    }
}

fn section_page(
    u: &PageUser,
    view: &AssessmentView,
    reference: &str,
    typed: &Typed,
    errors: Errors,
    saved: Option<String>,
) -> Result<SectionPage, PageError> {
    let src = FieldSource {
        view,
        typed,
        errors: &errors,
    };
    let org_type = view.org.org.org_type;
    let code = &view.org.org.code;
    let mut titles: Vec<(String, String)> = Vec::new();
    let mut found: Option<(String, Vec<Group>)> = None;
    for s in view.tree.standards() {
        titles.push((s.reference.clone(), s.title.clone()));
        if s.reference == reference {
            let groups = s
                .assertions
                .iter()
                .map(|a| Group {
                    reference: a.reference.clone(),
                    title: a.text.clone(),
                    level: None,
                    fields: a
                        .items
                        .iter()
                        .filter(|i| i.applicability(org_type).applies())
                        .map(|i| src.item(i))
                        .collect(),
                    columns: vec![],
                })
                .filter(|g| !g.fields.is_empty())
                .collect();
            found = Some((s.title.clone(), groups));
        }
    }
    for o in view.tree.objectives() {
        titles.push((o.reference.clone(), o.title.clone()));
        if o.reference == reference {
            let groups = o
                .principles
                .iter()
                .flat_map(|p| p.outcomes.iter())
                .map(|oc| src.outcome(oc))
                .collect();
            found = Some((o.title.clone(), groups));
        }
    }
    let (title, groups) = found.ok_or(AppError::NotFound)?;
    let at = titles.iter().position(|(r, _)| r == reference).unwrap_or(0);
    let link = |(r, t): &(String, String)| (section_url(code, view.year, r), format!("{r} {t}"));
    Ok(SectionPage {
        l: Layout::for_session(&u.0),
        errors,
        saved,
        code: code.clone(),
        org_name: view.org.org.name.clone(),
        year_label: year_label(view.year),
        back: assessment_url(code, view.year),
        action: section_url(code, view.year, reference),
        evidence: evidence_url(code, view.year),
        deadline: format!(
            "Deadline {}: {}",
            long_date(&date_text(view.tree.deadline)),
            view.days_left_text()
        ),
        reference: reference.to_string(),
        title,
        editable: view.editable(),
        submitted: view.submitted(),
        groups,
        prev: at.checked_sub(1).and_then(|i| titles.get(i)).map(link),
        next: titles.get(at + 1).map(link),
    })
}

#[derive(Deserialize, Default)]
struct SavedQuery {
    saved: Option<usize>,
    uploaded: Option<u8>,
}

async fn section(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, reference)): Path<(String, String, String)>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let year = year_param(&year)?;
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    let saved = match (q.saved, q.uploaded) {
        (_, Some(_)) => Some("The document is uploaded.".to_string()),
        (Some(0), _) => Some("Nothing had changed, so nothing was saved.".to_string()),
        (Some(1), _) => Some("1 answer saved.".to_string()),
        (Some(n), _) => Some(format!("{n} answers saved.")),
        (None, None) => None,
    };
    Ok(render(&section_page(
        &u,
        &view,
        &reference,
        &Typed::new(),
        Errors::default(),
        saved,
    )?))
}

/// The answers a section form changed. Each field carries its value (`a:REF`), the value shown
/// when the page was drawn (`o:REF`) and that answer's version (`v:REF`). Only changed fields are
/// sent, each with the version seen, so two people saving different items of one section never
/// overwrite each other, and a stale item is refused rather than lost. An unticked indicator
/// sends nothing; it becomes "no" only if it was ticked before.
fn changed_answers(
    view: &AssessmentView,
    form: &[(String, String)],
) -> Result<(Vec<AnswerInput>, Typed), AppError> {
    let mut values: HashMap<&str, &str> = HashMap::new();
    let mut originals: Vec<(&str, &str)> = Vec::new();
    let mut versions: HashMap<&str, i64> = HashMap::new();
    for (k, v) in form {
        if let Some(r) = k.strip_prefix("a:") {
            values.insert(r, v);
        } else if let Some(r) = k.strip_prefix("o:") {
            originals.push((r, v));
        } else if let Some(r) = k.strip_prefix("v:") {
            let n = v.parse().map_err(|_| {
                AppError::invalid(
                    &format!("answers.{r}"),
                    "has a broken version; reload the page",
                )
            })?;
            versions.insert(r, n);
        }
    }
    let mut inputs = Vec::new();
    let mut typed = Typed::new();
    for (r, original) in originals {
        let is_indicator = matches!(view.tree.node(r), Some(Node::Igp(..)));
        let now = match values.get(r) {
            Some(v) => Some(v.trim()),
            None if is_indicator && original == "yes" => Some("no"),
            None => None,
        };
        let Some(now) = now else { continue };
        if now == original.trim() {
            continue;
        }
        typed.insert(r.to_string(), now.to_string());
        inputs.push(AnswerInput {
            reference: r.to_string(),
            value: if now.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(now.to_string())
            },
            expected_version: Some(versions.get(r).copied().unwrap_or(0)),
        });
    }
    Ok((inputs, typed))
}

async fn save_section(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, reference)): Path<(String, String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let year = year_param(&year)?;
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    let (inputs, typed) = changed_answers(&view, &form)?;
    let url = section_url(&code, year, &reference);
    if inputs.is_empty() {
        return Ok(Redirect::to(&format!("{url}?saved=0")).into_response());
    }
    match s.app.save_answers(&u.0.actor, &code, year, &inputs).await {
        Ok((_, changed)) => {
            Ok(Redirect::to(&format!("{url}?saved={}", changed.len())).into_response())
        }
        Err(AppError::Invalid(errs)) => {
            let page = section_page(&u, &view, &reference, &typed, errs.into(), None)?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::Stale(errs)) => {
            // Show what is stored now, keeping this person's other changes to save again.
            let fresh = s.app.assessment(&u.0.actor, &code, year).await?;
            let mut typed = typed;
            for e in &errs.0 {
                typed.remove(e.field.trim_start_matches("answers."));
            }
            let errors = Errors::from(errs);
            let page = section_page(&u, &fresh, &reference, &typed, errors, None)?;
            Ok(render_status(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------- evidence documents ----------

fn evidence_url(code: &str, year: i32) -> String {
    format!("{}/evidence", assessment_url(code, year))
}

/// The section page again, with an upload's problem shown at its item.
async fn section_with_errors(
    s: &AppState,
    u: &PageUser,
    code: &str,
    year: i32,
    reference: &str,
    e: AppError,
) -> PageResult {
    let errs = match e {
        AppError::Invalid(errs) => errs,
        AppError::Conflict { message, .. } => {
            palisade_domain::FieldError::new("file", message).into()
        }
        other => return Err(other.into()),
    };
    let view = s.app.assessment(&u.0.actor, code, year).await?;
    let section = view.tree.section_of(reference).unwrap_or_default();
    if section.is_empty() {
        return Err(AppError::Invalid(errs).into());
    }
    let errors = Errors(
        errs.0
            .into_iter()
            .map(|f| ShownError {
                field: format!("answers.{reference}"),
                message: f.message,
            })
            .collect(),
    );
    let page = section_page(u, &view, section, &Typed::new(), errors, None)?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

async fn upload_evidence(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    crate::identity::CheckedMultipart(form): crate::identity::CheckedMultipart,
) -> PageResult {
    let year = year_param(&year)?;
    // Permission and an open assessment before the file is read.
    let view = s.app.assessment(&u.0.actor, &code, year).await?;
    if !view.may_answer {
        return Err(AppError::Forbidden.into());
    }
    if view.submitted() {
        return Err(palisade_app::assessments::locked().into());
    }
    let upload =
        crate::files::read_upload(form, "the document is larger than the upload limit").await?;
    let reference = upload.field("ref").to_string();
    let (filename, bytes) = upload.file.unwrap_or_default();
    match s
        .app
        .upload_evidence(&u.0.actor, &code, year, &reference, &filename, bytes)
        .await
    {
        Ok((view, _)) => {
            let section = view.tree.section_of(&reference).unwrap_or_default();
            Ok(Redirect::to(&format!(
                "{}?uploaded=1#item-{reference}",
                section_url(&code, year, section)
            ))
            .into_response())
        }
        Err(e) => section_with_errors(&s, &u, &code, year, &reference, e).await,
    }
}

async fn download_evidence(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, id)): Path<(String, String, i64)>,
) -> PageResult {
    let year = year_param(&year)?;
    let (e, bytes) = s.app.evidence_file(&u.0.actor, &code, year, id).await?;
    Ok(crate::files::download(bytes, &e.content_type, &e.filename))
}

async fn remove_evidence(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, id)): Path<(String, String, i64)>,
) -> PageResult {
    let year = year_param(&year)?;
    let before = s.app.assessment(&u.0.actor, &code, year).await?;
    let reference = before
        .evidence
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.reference.clone())
        .ok_or(AppError::NotFound)?;
    match s.app.remove_evidence(&u.0.actor, &code, year, id).await {
        Ok(view) => Ok(Redirect::to(&format!(
            "{}#item-{reference}",
            section_url(
                &code,
                year,
                view.tree.section_of(&reference).unwrap_or_default()
            )
        ))
        .into_response()),
        Err(e) => section_with_errors(&s, &u, &code, year, &reference, e).await,
    }
}

async fn oscal_download(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
) -> PageResult {
    let year = year_param(&year)?;
    let doc = s.app.assessment_oscal(&u.0.actor, &code, year).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::files::download(
        body,
        "application/json",
        &format!("{code}-{}-assessment-results.json", year_label(year)),
    ))
}

// ---------- the public register ----------

#[derive(Deserialize, Default)]
struct PublicQuery {
    #[serde(default)]
    q: String,
    year: Option<String>,
    page: Option<u32>,
}

pub struct StatusRow {
    pub code: String,
    pub name: String,
    pub org_type: OrgType,
    pub status: Status,
    pub published: String,
}

fn status_rows(items: Vec<PublicStatus>) -> Vec<StatusRow> {
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
async fn public_register(
    State(s): State<AppState>,
    maybe: crate::identity::MaybeUser,
    Query(q): Query<PublicQuery>,
) -> PageResult {
    let year = chosen_year(&s, q.year.as_deref())?;
    let search = Some(q.q.clone()).filter(|t| !t.trim().is_empty());
    let page = s
        .app
        .public_statuses(year, search, PageRequest::new(q.page, Some(50)))
        .await?;
    let base = crate::pages::list_url("/public", &[("q", &q.q), ("year", &year.to_string())]);
    let pager = Pager::new(&page, &base);
    let params = [("q", q.q.as_str()), ("year", &year.to_string())];
    let csv = crate::pages::list_url("/api/v1/public/organisations.csv", &params);
    let xlsx = crate::pages::list_url("/api/v1/public/organisations.xlsx", &params);
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

// ---------- national figures ----------

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
const BAR_STEP: u32 = 34;

fn status_fill(s: Status) -> &'static str {
    match s {
        Status::StandardsExceeded => "app-fill--exceeded",
        Status::StandardsMet => "app-fill--met",
        Status::ApproachingStandards => "app-fill--approaching",
        Status::StandardsNotMet => "app-fill--not-met",
        Status::PlanAgreed => "app-fill--plan",
        Status::NotPublished => "app-fill--unpublished",
    }
}

fn drill(year: i32, dimension: &str, key: &str, status: Option<Status>) -> String {
    let mut params = vec![("year", year.to_string())];
    if !dimension.is_empty() {
        params.push((dimension, key.to_string()));
    }
    if let Some(s) = status {
        params.push(("status", s.as_str().to_string()));
    }
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    crate::pages::list_url("/assessments", &refs)
}

fn percent_text(p: f64) -> String {
    format!("{p:.1}%")
}

fn figure_rows(year: i32, dimension: &str, figures: &[Figures]) -> Vec<FigureRow> {
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

fn bars(figures: &[Figures], mix: bool) -> Vec<Bar> {
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
struct YearQuery {
    year: Option<String>,
}

async fn national(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<YearQuery>,
) -> PageResult {
    u.0.actor.require(GlobalAction::ViewNationalReport)?;
    let year = chosen_year(&s, q.year.as_deref())?;
    let r: NationalReport = s.app.national_report(&u.0.actor, year).await?;
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
        csv: format!("/api/v1/reports/national?year={year}&format=csv"),
    }))
}

// ---------- the organisations behind a figure ----------

#[derive(Deserialize, Default)]
struct StatusListQuery {
    #[serde(default)]
    q: String,
    year: Option<String>,
    #[serde(rename = "type", default)]
    org_type: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    status: String,
    page: Option<u32>,
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

async fn statuses(
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
    let base = crate::pages::list_url(
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
        type_options: crate::pages::type_options(true, &q.org_type),
        category_options: crate::pages::category_options(true, &q.category),
        status_options,
        q: q.q,
        year,
        region: q.region,
        rows: status_rows(page.items),
        pager,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn notices_come_from_a_fixed_list() {
        assert!(super::notice_text(Some("submitted")).is_some());
        assert!(super::notice_text(Some("<script>")).is_none());
        assert!(super::notice_text(None).is_none());
    }
}
