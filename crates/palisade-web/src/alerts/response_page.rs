//! One organisation's response to an alert: the four-step form and the actions recorded.

use crate::AppState;
use crate::alerts::alert_page::{DoneQuery, done_notice};
use crate::alerts::board_page::{ResponseRow, response_row};
use crate::alerts::dto::{StepBody, step_request};
use crate::alerts::list_page::when;
use crate::kit::error::PageError;
use crate::kit::identity::PageUser;
use crate::kit::views::{
    Errors, Layout, Options, PageResult, form_errors, options, render, render_status,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_domain::alert::{Closure, ResponseStatus};
use serde::Deserialize;

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
    /// What the inventory suggests: (has an inventory, components of a named product without a
    /// version, matching components as text).
    pub suggestion: Option<(bool, usize, Vec<String>)>,
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

pub(crate) async fn response_page(
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
        let mut shown: Vec<String> = sg
            .components
            .iter()
            .map(crate::exposure::pages::component_text)
            .collect();
        shown.extend(
            sg.through
                .iter()
                .flat_map(crate::exposure::pages::through_lines),
        );
        (sg.has_inventory, sg.unversioned, shown)
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

pub(crate) async fn response(
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

pub(crate) async fn step(
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
        Ok(()) => Ok(crate::kit::views::see_other(&format!(
            "/alerts/{id}/responses/{code}?done=step"
        ))),
        Err(e) => {
            let errors = form_errors(e)?;
            let page = response_page(&s, &u, &id, &code, errors, None, f).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
