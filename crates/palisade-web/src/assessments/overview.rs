//! An assessment's overview page: progress per section, what Met still needs, certificates,
//! submit and reopen, and the OSCAL download.

use crate::AppState;
use crate::kit::error::PageError;
use crate::kit::identity::PageUser;
use crate::kit::params::year_param;
use crate::kit::views::{Errors, Layout, Options, PageResult, Tag, options, render_status};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use palisade_app::AppError;
use palisade_app::assessments::{AssessmentView, CertificateInput};
use palisade_app::report::long_date;
use palisade_domain::assessment::{Status, year_label};
pub(crate) use palisade_domain::clock::day_of;
use palisade_domain::dates::date_text;
use palisade_domain::framework::{Level, Node};
use palisade_domain::org::{Category, OrgType};
use serde::Deserialize;

pub(crate) fn assessment_url(code: &str, year: i32) -> String {
    format!("/organisations/{code}/assessments/{year}")
}

pub(crate) fn section_url(code: &str, year: i32, section: &str) -> String {
    format!("{}/sections/{section}", assessment_url(code, year))
}

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

pub(crate) fn needed(view: &AssessmentView, refs: &[String]) -> Vec<Needed> {
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

pub(crate) async fn assessment_page(
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
        may_reopen: view.may_reopen(),
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

pub(crate) async fn current_assessment(
    State(s): State<AppState>,
    _u: PageUser,
    Path(code): Path<String>,
) -> Response {
    crate::kit::views::see_other(&assessment_url(&code, s.app.current_year()))
}

#[derive(Deserialize, Default)]
pub(crate) struct NoticeQuery {
    pub(crate) done: Option<String>,
}

/// The banner after a change, from a fixed list (never text from the address).
pub(crate) fn notice_text(done: Option<&str>) -> Option<String> {
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

pub(crate) async fn overview(
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
pub(crate) async fn overview_with_error(
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

pub(crate) async fn submit(
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

pub(crate) async fn reopen(
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

pub(crate) fn done(code: &str, year: i32, what: &str) -> Response {
    crate::kit::views::see_other(&format!("{}?done={what}", assessment_url(code, year)))
}

#[derive(Deserialize)]
pub(crate) struct CertificateForm {
    #[serde(rename = "certificate_kind", default)]
    pub(crate) kind: String,
    #[serde(rename = "certificate_reference", default)]
    pub(crate) reference: String,
    #[serde(rename = "certificate_expires_on", default)]
    pub(crate) expires_on: String,
}

pub(crate) fn certificate_inputs(view: &AssessmentView) -> Vec<CertificateInput> {
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
pub(crate) fn certificate_errors(e: AppError, new_index: usize) -> AppError {
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

pub(crate) async fn add_certificate(
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
pub(crate) struct RemoveForm {
    pub(crate) index: usize,
}

pub(crate) async fn remove_certificate(
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

pub(crate) async fn oscal_download(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
) -> PageResult {
    let year = year_param(&year)?;
    let doc = s.app.assessment_oscal(&u.0.actor, &code, year).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::kit::files::download(
        body,
        "application/json",
        &format!("{code}-{}-assessment-results.json", year_label(year)),
    ))
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
