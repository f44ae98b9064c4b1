//! Improvement-plan pages: the plan of one assessment (actions, progress, SIRO sign-off and the
//! national review) and the national list of plans.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::params::year_param;
use crate::kit::views::{
    Errors, Layout, Options, PageResult, Pager, Tag, options, render, render_status,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use palisade_app::AppError;
use palisade_app::plans::PlanView;
use palisade_domain::assessment::{Status, year_label};
use palisade_domain::page::PageRequest;
use palisade_domain::plan::{ActionInput, PlanState};
use serde::Deserialize;
use std::collections::HashMap;

/// One line of the plan form.
pub struct LineRow {
    pub reference: String,
    pub text: String,
    pub needed: bool,
    pub action: String,
    pub owner: String,
    pub target_date: String,
    pub planned: bool,
    pub done_on: Option<String>,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "plan.html")]
pub struct PlanPage {
    pub l: Layout,
    pub errors: Errors,
    pub notice: Option<String>,
    pub code: String,
    pub org_name: String,
    pub year_label: String,
    pub action: String,
    pub back: String,
    pub state: PlanState,
    pub status: Status,
    pub revision: i64,
    pub covers: bool,
    pub overdue: usize,
    pub siro: Option<String>,
    pub signed: Option<String>,
    pub reviewed: Option<String>,
    pub review_note: Option<String>,
    pub horizon: u32,
    pub lines: Vec<LineRow>,
    pub may_edit: bool,
    pub may_sign_off: bool,
    pub may_review: bool,
    pub may_progress: bool,
}

pub(crate) fn plan_page(
    u: &PageUser,
    v: PlanView,
    errors: Errors,
    typed: &HashMap<String, String>,
    notice: Option<String>,
) -> PlanPage {
    let code = v.assessment.org.org.code.clone();
    let year = v.assessment.year;
    let base = format!("/organisations/{code}/assessments/{year}");
    let plan = v.plan.as_ref();
    let day = palisade_domain::clock::day_of;
    let signed = plan.and_then(|p| {
        Some(format!(
            "Signed off by {} (SIRO) on {}{}",
            p.siro_name.as_deref()?,
            day(p.signed_off_at?),
            p.signed_off_by
                .as_deref()
                .map(|b| format!(", recorded by {b}"))
                .unwrap_or_default()
        ))
    });
    let reviewed = plan.and_then(|p| {
        Some(format!(
            "Reviewed on {}{}",
            day(p.reviewed_at?),
            p.reviewed_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        ))
    });
    let typed_or = |key: String, stored: Option<&str>| {
        typed
            .get(&key)
            .cloned()
            .unwrap_or_else(|| stored.unwrap_or_default().to_string())
    };
    let lines = v
        .lines
        .iter()
        .map(|l| {
            let a = l.action.as_ref();
            LineRow {
                action: typed_or(
                    format!("action:{}", l.reference),
                    a.map(|a| a.action.as_str()),
                ),
                owner: typed_or(
                    format!("owner:{}", l.reference),
                    a.map(|a| a.owner.as_str()),
                ),
                target_date: typed_or(
                    format!("due:{}", l.reference),
                    a.map(|a| a.target_date.as_str()),
                ),
                planned: a.is_some(),
                done_on: a.and_then(|a| a.done_on.clone()),
                overdue: l.overdue,
                reference: l.reference.clone(),
                text: l.text.clone(),
                needed: l.needed,
            }
        })
        .collect();
    let may_progress = v.may_progress;
    PlanPage {
        l: Layout::for_session(&u.0),
        errors,
        notice,
        org_name: v.assessment.org.org.name.clone(),
        year_label: year_label(year),
        action: format!("{base}/plan"),
        back: base,
        state: v.state(),
        status: v.assessment.status(),
        revision: v.revision(),
        covers: v.covers,
        overdue: v.overdue(),
        siro: v.siro.clone(),
        signed,
        reviewed,
        review_note: plan
            .and_then(|p| p.review_note.clone())
            .filter(|n| !n.is_empty()),
        horizon: v.assessment.tree.plan_horizon_months,
        lines,
        may_edit: v.may_edit,
        may_sign_off: v.may_sign_off,
        may_review: v.may_review,
        may_progress,
        code,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct DoneQuery {
    pub(crate) done: Option<String>,
}

pub(crate) fn notice_text(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "saved" => "The plan is saved.",
            "progress" => "Progress is saved.",
            "signed" => "The SIRO's sign-off is recorded. The national team will review the plan.",
            "approved" => "The plan is approved.",
            "returned" => "The plan is returned to the organisation.",
            _ => return None,
        }
        .to_string(),
    )
}

pub(crate) async fn plan(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let year = year_param(&year)?;
    let v = s.app.plan(&u.0.actor, &code, year).await?;
    Ok(render(&plan_page(
        &u,
        v,
        Errors::default(),
        &HashMap::new(),
        notice_text(q.done.as_deref()),
    )))
}

pub(crate) fn done(code: &str, year: i32, what: &str) -> Response {
    crate::kit::views::see_other(&format!(
        "/organisations/{code}/assessments/{year}/plan?done={what}"
    ))
}

/// A refusal the person can act on, shown on the plan page with what they typed.
pub(crate) async fn refused(
    s: &AppState,
    u: &PageUser,
    code: &str,
    year: i32,
    e: AppError,
    typed: &HashMap<String, String>,
) -> PageResult {
    let errors = crate::kit::views::form_errors(e)?;
    let v = s.app.plan(&u.0.actor, code, year).await?;
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &plan_page(u, v, errors, typed, None),
    ))
}

pub(crate) fn revision_of(form: &HashMap<String, String>) -> Result<i64, AppError> {
    form.get("revision")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| AppError::invalid("plan", "the form is incomplete; reload the page"))
}

pub(crate) async fn save(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let year = year_param(&year)?;
    let revision = revision_of(&form)?;
    // A line with any field filled in is an action; a blank line is not planned.
    let mut refs: Vec<&str> = form
        .keys()
        .filter_map(|k| k.strip_prefix("action:"))
        .collect();
    refs.sort_unstable();
    let get = |prefix: &str, r: &str| {
        form.get(&format!("{prefix}:{r}"))
            .cloned()
            .unwrap_or_default()
    };
    let inputs: Vec<ActionInput> = refs
        .into_iter()
        .map(|r| ActionInput {
            reference: r.to_string(),
            action: get("action", r),
            owner: get("owner", r),
            target_date: get("due", r),
        })
        .filter(|a| {
            !(a.action.trim().is_empty()
                && a.owner.trim().is_empty()
                && a.target_date.trim().is_empty())
        })
        .collect();
    match s
        .app
        .save_plan(&u.0.actor, &code, year, revision, &inputs)
        .await
    {
        Ok(_) => Ok(done(&code, year, "saved")),
        Err(e) => refused(&s, &u, &code, year, e, &form).await,
    }
}

pub(crate) async fn progress(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let year = year_param(&year)?;
    // Every planned line sends `line:REF`; a ticked one also sends `done:REF`.
    let ticked: std::collections::HashSet<&str> = form
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("done:"))
        .collect();
    let marks: Vec<(String, bool)> = form
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("line:"))
        .map(|r| (r.to_string(), ticked.contains(r)))
        .collect();
    match s
        .app
        .mark_plan_actions(&u.0.actor, &code, year, &marks)
        .await
    {
        Ok(_) => Ok(done(&code, year, "progress")),
        Err(e) => refused(&s, &u, &code, year, e, &HashMap::new()).await,
    }
}

pub(crate) async fn sign_off(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let year = year_param(&year)?;
    let revision = revision_of(&form)?;
    match s.app.sign_off_plan(&u.0.actor, &code, year, revision).await {
        Ok(_) => Ok(done(&code, year, "signed")),
        Err(e) => refused(&s, &u, &code, year, e, &HashMap::new()).await,
    }
}

pub(crate) async fn review(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let year = year_param(&year)?;
    let revision = revision_of(&form)?;
    let raw = form.get("decision").map(String::as_str).unwrap_or_default();
    let approve = match crate::plans::api::decision(raw) {
        Ok(a) => a,
        Err(_) => {
            let e = AppError::invalid("decision", "choose whether to approve or return the plan");
            return refused(&s, &u, &code, year, e, &HashMap::new()).await;
        }
    };
    let note = form.get("note").map(String::as_str).unwrap_or_default();
    match s
        .app
        .review_plan(&u.0.actor, &code, year, revision, approve, note)
        .await
    {
        Ok(_) => Ok(done(
            &code,
            year,
            if approve { "approved" } else { "returned" },
        )),
        Err(e) => refused(&s, &u, &code, year, e, &HashMap::new()).await,
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    pub(crate) year: Option<String>,
    #[serde(default)]
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) overdue: String,
    pub(crate) page: Option<u32>,
}

pub struct PlanRow {
    pub code: String,
    pub name: String,
    pub year: i32,
    pub year_label: String,
    pub state: PlanState,
    pub status: Status,
    pub actions: i64,
    pub overdue: i64,
}

#[derive(Template)]
#[template(path = "plans.html")]
pub struct PlansPage {
    pub l: Layout,
    pub errors: Errors,
    pub year_options: Options,
    pub state_options: Options,
    pub overdue: bool,
    pub rows: Vec<PlanRow>,
    pub pager: Pager,
}

pub(crate) async fn plans(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let current = s.app.current_year();
    let year = crate::reports::public_register::chosen_year(&s, q.year.as_deref())?;
    let mut errors = Errors::default();
    let state = errors.filter::<PlanState>("state", &q.state);
    let filter = palisade_store::PlanFilter {
        year: Some(year),
        state,
        overdue_only: q.overdue == "yes",
    };
    let page = s
        .app
        .plans(&u.0.actor, &filter, PageRequest::new(q.page, Some(50)))
        .await?;
    let y = year.to_string();
    let base = crate::kit::views::list_url(
        "/plans",
        &[("year", &y), ("state", &q.state), ("overdue", &q.overdue)],
    );
    let pager = Pager::new(&page, &base);
    let any = std::iter::once((String::new(), "Any state".to_string()));
    Ok(render(&PlansPage {
        l: Layout::for_session(&u.0),
        errors,
        year_options: crate::reports::public_register::year_options(current, year),
        state_options: options(
            any.chain(
                PlanState::ALL
                    .iter()
                    .map(|st| (st.as_str().to_string(), st.label().to_string())),
            ),
            &q.state,
        ),
        overdue: filter.overdue_only,
        rows: page
            .items
            .into_iter()
            .map(|p| PlanRow {
                year_label: year_label(p.year),
                code: p.code,
                name: p.name,
                year: p.year,
                state: p.state,
                status: p.status,
                actions: p.actions,
                overdue: p.overdue,
            })
            .collect(),
        pager,
    }))
}
