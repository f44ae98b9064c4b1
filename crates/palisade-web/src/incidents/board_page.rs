//! The national team's incident pages: the triage board with its filters, and each notified
//! case with triage, notes and messages.

use super::api::id_of;
use super::pages::{MessageForm, after_step, case_page};
use super::view::*;
use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::*;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use palisade_app::incidents::{BoardQuery, MessageTarget, TriageInput};
use palisade_domain::incident::IncidentStatus;
use palisade_domain::page::{Page, PageRequest};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub(crate) struct BoardForm {
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) severity: String,
    #[serde(default)]
    pub(crate) impact: String,
    #[serde(default)]
    pub(crate) reportable: String,
    #[serde(default)]
    pub(crate) late: String,
    #[serde(default)]
    pub(crate) open: String,
    #[serde(default)]
    pub(crate) region: String,
    #[serde(rename = "type", default)]
    pub(crate) org_type: String,
    #[serde(default)]
    pub(crate) assignee: String,
    #[serde(default)]
    pub(crate) alert: String,
    pub(crate) page: Option<u32>,
}

#[derive(Template)]
#[template(path = "incident_board.html")]
pub struct BoardPage {
    pub l: Layout,
    pub errors: Errors,
    pub status_options: Options,
    pub kind_options: Options,
    pub severity_options: Options,
    pub impact_options: Options,
    pub reportable_options: Options,
    pub type_options: Options,
    pub region: String,
    pub assignee: String,
    pub late: bool,
    pub open: bool,
    pub rows: Vec<ListRow>,
    pub pager: Pager,
}

pub(crate) async fn board(
    State(s): State<AppState>,
    u: PageUser,
    Query(q): Query<BoardForm>,
) -> PageResult {
    let query = BoardQuery {
        status: q.status.clone(),
        kind: q.kind.clone(),
        severity: q.severity.clone(),
        impact: q.impact.clone(),
        reportable: q.reportable.clone(),
        late: q.late == "yes",
        open: q.open == "yes",
        region: q.region.clone(),
        org_type: q.org_type.clone(),
        assignee: q.assignee.clone(),
        alert: q.alert.clone(),
    };
    let page = PageRequest::new(q.page, None);
    // A filter that is not one: the whole board, with the error on the filter.
    let (found, errors) = match s.app.incident_board(&u.0.actor, &query, page).await {
        Ok(p) => (p, Errors::default()),
        Err(palisade_app::AppError::Invalid(e)) => {
            let all = s
                .app
                .incident_board(&u.0.actor, &BoardQuery::default(), page)
                .await?;
            (all, e.into())
        }
        Err(e) => return Err(e.into()),
    };
    let base = list_url(
        "/incidents",
        &[
            ("status", &q.status),
            ("kind", &q.kind),
            ("severity", &q.severity),
            ("impact", &q.impact),
            ("reportable", &q.reportable),
            ("late", &q.late),
            ("open", &q.open),
            ("region", &q.region),
            ("type", &q.org_type),
            ("assignee", &q.assignee),
            ("alert", &q.alert),
        ],
    );
    let now = s.app.now();
    Ok(render(&BoardPage {
        l: Layout::for_session(&u.0),
        errors,
        status_options: status_options("Any status", IncidentStatus::TRIAGE.as_slice(), &q.status),
        kind_options: kind_options("Any kind", &q.kind),
        severity_options: severity_options("Any severity", &q.severity),
        impact_options: impact_options("Any impact", &q.impact),
        reportable_options: options(
            [
                (String::new(), "Either".to_string()),
                ("yes".into(), "Reportable".into()),
                ("no".into(), "Not reportable".into()),
            ],
            &q.reportable,
        ),
        type_options: type_options(true, &q.org_type),
        region: q.region.clone(),
        assignee: q.assignee.clone(),
        late: q.late == "yes",
        open: q.open == "yes",
        rows: rows(&found, now),
        pager: Pager::new(&found, &base),
    }))
}

fn rows(found: &Page<palisade_store::IncidentRecord>, now: i64) -> Vec<ListRow> {
    found
        .items
        .iter()
        .map(|r| {
            list_row(
                r,
                format!("/incidents/{}", palisade_store::incident_reference(r.id)),
                now,
            )
        })
        .collect()
}

pub(crate) async fn show(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> PageResult {
    let v = s
        .app
        .national_incident_view(&u.0.actor, id_of(&id)?)
        .await?;
    Ok(render(&case_page(&u, &v, true, Errors::default())))
}

#[derive(Deserialize)]
pub(crate) struct TriageForm {
    #[serde(default)]
    pub(crate) severity: String,
    #[serde(default)]
    pub(crate) assignee: String,
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) shared_with: String,
    #[serde(default)]
    pub(crate) note: String,
    pub(crate) revision: Option<i64>,
}

pub(crate) async fn triage(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<TriageForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let given = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let t = TriageInput {
        severity: given(&f.severity),
        // The form always shows the assignee: what it holds is the decision.
        assignee: Some(f.assignee.trim().to_string()),
        status: given(&f.status),
        shared_with: Some(
            f.shared_with
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        note: f.note,
        expected_revision: f.revision,
    };
    let result = s.app.triage_incident(&u.0.actor, id, t).await;
    after_step(&s, &u, (None, id), result).await
}

pub(crate) async fn message(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<MessageForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let result = s
        .app
        .add_incident_message(
            &u.0.actor,
            MessageTarget::National { id },
            &f.text,
            f.internal == "yes",
        )
        .await;
    after_step(&s, &u, (None, id), result).await
}

#[derive(Deserialize)]
pub(crate) struct IndicatorForm {
    #[serde(rename = "type", default)]
    pub(crate) indicator_type: String,
    #[serde(default)]
    pub(crate) value: String,
    #[serde(default)]
    pub(crate) tlp: String,
    #[serde(default)]
    pub(crate) description: String,
}

pub(crate) async fn add_indicator(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<IndicatorForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let added = s
        .app
        .add_incident_indicator(
            &u.0.actor,
            id,
            &f.indicator_type,
            &f.value,
            &f.tlp,
            &f.description,
        )
        .await;
    let result = match added {
        Ok(_) => s.app.national_incident_view(&u.0.actor, id).await,
        Err(e) => Err(e),
    };
    after_step(&s, &u, (None, id), result).await
}

pub(crate) async fn draft_alert(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
) -> PageResult {
    let id = id_of(&id)?;
    match s.app.draft_alert_from_incident(&u.0.actor, id, None).await {
        Ok((_, alert)) => Ok(see_other(&format!("/alerts/{}/edit", alert.reference))),
        Err(e) => after_step(&s, &u, (None, id), Err(e)).await,
    }
}

#[derive(Deserialize)]
pub(crate) struct TextForm {
    #[serde(default)]
    pub(crate) text: String,
}

pub(crate) async fn text_contacts(
    State(s): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<TextForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let result = match s.app.text_incident_contacts(&u.0.actor, id, &f.text).await {
        Ok(_) => s.app.national_incident_view(&u.0.actor, id).await,
        Err(e) => Err(e),
    };
    after_step(&s, &u, (None, id), result).await
}
