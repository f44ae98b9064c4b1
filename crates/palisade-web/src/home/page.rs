//! The home page: what the signed-in person can do, and their worklist.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::extract::State;
use palisade_domain::org::OrgType;

pub(crate) async fn home(State(s): State<AppState>, PageUser(u): PageUser) -> PageResult {
    let grants = s.app.my_roles(&u.actor).await?;
    let roles = grants
        .into_iter()
        .map(|g| {
            (
                g.role.label().to_string(),
                g.org_code,
                g.org_name.unwrap_or_default(),
            )
        })
        .collect();
    let counts: Vec<(String, String, i64)> = s
        .app
        .org_counts(&u.actor)
        .await?
        .into_iter()
        .map(|(t, n)| {
            let label = t
                .parse::<OrgType>()
                .map(|t| t.label().to_string())
                .unwrap_or_else(|_| t.clone());
            (t, label, n)
        })
        .collect();
    let total = counts.iter().map(|c| c.2).sum();
    let posture = if u
        .actor
        .principal
        .may_global(palisade_domain::policy::GlobalAction::ViewNationalReport)
    {
        let p = s.app.posture(&u.actor).await?;
        Some(super::posture_api::PostureDto::of(&p, s.app.now()))
    } else {
        None
    };
    let worklist = s.app.worklist(&u.actor).await?;
    let now = worklist.now;
    let mut groups: Vec<WorkGroup> = Vec::new();
    for item in worklist.items {
        let row = WorkRow {
            kind: item.kind.label(),
            timing: item.timing(now),
            late: item.late,
            title: item.title,
            detail: item.detail,
            url: item.url,
        };
        match groups.iter_mut().find(|g| g.code == item.org_code) {
            Some(g) => g.rows.push(row),
            None => groups.push(WorkGroup {
                code: item.org_code,
                name: item.org_name,
                rows: vec![row],
            }),
        }
    }
    Ok(render(&Home {
        acts_for: worklist.organisations,
        truncated: worklist.truncated,
        exposure_pending: worklist.exposure_pending,
        groups,
        l: Layout::for_session(&u),
        name: u.user.name.clone(),
        roles,
        counts,
        total,
        posture,
    }))
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct Home {
    pub l: Layout,
    pub name: String,
    /// (role label, org code, org name)
    pub roles: Vec<(String, Option<String>, String)>,
    /// (type value, type label, count)
    pub counts: Vec<(String, String, i64)>,
    pub total: i64,
    /// How many organisations the worklist covers (none for national roles).
    pub acts_for: usize,
    pub truncated: bool,
    pub exposure_pending: bool,
    /// The worklist by organisation, each in the order of its most urgent item.
    pub groups: Vec<WorkGroup>,
    /// The state of the whole system, for national roles.
    pub posture: Option<super::posture_api::PostureDto>,
}

pub struct WorkGroup {
    pub code: String,
    pub name: String,
    pub rows: Vec<WorkRow>,
}

pub struct WorkRow {
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    pub timing: Option<String>,
    pub late: bool,
    pub url: String,
}
