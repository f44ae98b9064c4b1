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
    Ok(render(&Home {
        l: Layout::for_session(&u),
        name: u.user.name.clone(),
        roles,
        counts,
        total,
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
}

pub(crate) fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/", axum::routing::get(home))
}
