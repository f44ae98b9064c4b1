//! The independent audit page: the auditor's form while the report is a draft, the issued
//! report for everyone who may read the assessment.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::params::year_param;
use crate::kit::views::{Errors, Layout, Options, PageResult, options, render, render_status};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::independent_audit::AuditView;
use palisade_domain::assessment::year_label;
use palisade_domain::independent_audit::{FindingInput, Veracity};
use serde::Deserialize;
use std::collections::HashMap;

pub struct Line {
    pub reference: String,
    pub text: String,
    pub claimed: String,
    /// `agree`, `disagree` or empty.
    pub judgement: String,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "independent_audit.html")]
pub struct AuditPage {
    pub l: Layout,
    pub errors: Errors,
    pub notice: Option<String>,
    pub code: String,
    pub org_name: String,
    pub year_label: String,
    pub action: String,
    pub back: String,
    pub required: bool,
    pub submitted: bool,
    pub state: Option<palisade_domain::independent_audit::AuditState>,
    pub revision: i64,
    pub may_record: bool,
    pub rating: String,
    pub rating_options: Options,
    pub veracity_label: String,
    pub veracity_options: Options,
    pub summary: String,
    pub auditor: String,
    pub issued: String,
    pub lines: Vec<Line>,
    pub agreed: usize,
    pub disagreed: usize,
}

pub(crate) fn audit_page(
    u: &PageUser,
    v: AuditView,
    errors: Errors,
    typed: &HashMap<String, String>,
    notice: Option<String>,
) -> AuditPage {
    let a = &v.assessment;
    let code = a.org.org.code.clone();
    let base = format!("/organisations/{code}/assessments/{}", a.year);
    let r = v.report.as_ref();
    let pick = |key: &str, stored: Option<String>| {
        typed
            .get(key)
            .cloned()
            .unwrap_or_else(|| stored.unwrap_or_default())
    };
    let rating = pick("rating", r.and_then(|r| r.rating.clone()));
    let veracity = pick(
        "veracity",
        r.and_then(|r| r.veracity).map(|v| v.as_str().to_string()),
    );
    let lines: Vec<Line> = v
        .lines
        .iter()
        .map(|l| Line {
            judgement: pick(
                &format!("j:{}", l.reference),
                l.finding
                    .as_ref()
                    .map(|f| if f.agrees { "agree" } else { "disagree" }.to_string()),
            ),
            comment: pick(
                &format!("c:{}", l.reference),
                l.finding.as_ref().map(|f| f.comment.clone()),
            ),
            reference: l.reference.clone(),
            text: l.text.clone(),
            claimed: l.claimed.clone(),
        })
        .collect();
    let none = std::iter::once((String::new(), "Not yet decided".to_string()));
    AuditPage {
        l: Layout::for_session(&u.0),
        errors,
        notice,
        org_name: a.org.org.name.clone(),
        year_label: year_label(a.year),
        action: format!("{base}/independent-audit"),
        back: base,
        required: v.required,
        submitted: a.submitted(),
        state: v.state(),
        revision: v.revision(),
        may_record: v.may_record,
        rating_options: options(
            none.clone().chain(
                a.tree
                    .assurance_ratings
                    .iter()
                    .map(|s| (s.clone(), s.clone())),
            ),
            &rating,
        ),
        veracity_label: veracity
            .parse::<Veracity>()
            .map(|v| v.label().to_string())
            .unwrap_or_default(),
        veracity_options: options(
            none.chain(
                Veracity::ALL
                    .iter()
                    .map(|v| (v.as_str().to_string(), v.label().to_string())),
            ),
            &veracity,
        ),
        rating,
        summary: pick("summary", r.map(|r| r.summary.clone())),
        auditor: r.and_then(|r| r.auditor.clone()).unwrap_or_default(),
        issued: r
            .and_then(|r| r.issued_at)
            .map(palisade_domain::clock::day_of)
            .unwrap_or_default(),
        agreed: lines.iter().filter(|l| l.judgement == "agree").count(),
        disagreed: lines.iter().filter(|l| l.judgement == "disagree").count(),
        lines,
        code,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct DoneQuery {
    pub(crate) done: Option<String>,
}

pub(crate) async fn page(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let year = year_param(&year)?;
    let v = s.app.independent_audit(&u.0.actor, &code, year).await?;
    let notice = match q.done.as_deref() {
        Some("saved") => Some("The draft report is saved.".to_string()),
        Some("issued") => Some("The report is issued to the organisation.".to_string()),
        _ => None,
    };
    Ok(render(&audit_page(
        &u,
        v,
        Errors::default(),
        &HashMap::new(),
        notice,
    )))
}

pub(crate) async fn save(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let year = year_param(&year)?;
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let revision: i64 = field("revision")
        .parse()
        .map_err(|_| AppError::invalid("audit", "the form is incomplete; reload the page"))?;
    let mut refs: Vec<&str> = form.keys().filter_map(|k| k.strip_prefix("c:")).collect();
    refs.sort_unstable();
    let findings: Vec<FindingInput> = refs
        .into_iter()
        .map(|r| FindingInput {
            reference: r.to_string(),
            judgement: field(&format!("j:{r}")).to_string(),
            comment: field(&format!("c:{r}")).to_string(),
        })
        .collect();
    let issue = field("issue") == "1";
    match s
        .app
        .save_independent_audit(
            &u.0.actor,
            &code,
            year,
            revision,
            &findings,
            (field("rating"), field("veracity"), field("summary")),
            issue,
        )
        .await
    {
        Ok(_) => Ok(crate::kit::views::see_other(&format!(
            "/organisations/{code}/assessments/{year}/independent-audit?done={}",
            if issue { "issued" } else { "saved" }
        ))),
        Err(e) => {
            let errors = crate::kit::views::form_errors(e)?;
            let v = s.app.independent_audit(&u.0.actor, &code, year).await?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &audit_page(&u, v, errors, &form, None),
            ))
        }
    }
}
