//! The jobs page: each background job's schedule, state and latest runs, with a button to run
//! one now.

use crate::AppState;
use crate::kit::identity::PageUser;
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::extract::{Path, State};
use palisade_app::jobs::server_name;

pub(crate) async fn jobs(State(s): State<AppState>, PageUser(u): PageUser) -> PageResult {
    let now = s.app.now();
    let jobs = s
        .app
        .jobs(&u.actor)
        .await?
        .into_iter()
        .map(|v| {
            let state = v.state.as_ref();
            JobRow {
                name: v.name,
                description: v.description,
                every: every_text(v.every_secs),
                next: state.map_or_else(
                    || "Not yet scheduled".into(),
                    |s| {
                        if s.next_run_at <= now {
                            "Due now".into()
                        } else {
                            when(s.next_run_at)
                        }
                    },
                ),
                running_on: state.and_then(|s| s.lease_holder.clone()),
                last_success: state
                    .and_then(|s| s.last_success_at)
                    .map_or_else(|| "Never".into(), when),
                failures: state.map_or(0, |s| s.failures),
                last_error: state.and_then(|s| s.last_error.clone()),
                runs: v
                    .recent
                    .into_iter()
                    .map(|r| RunRow {
                        started: when(r.started_at),
                        server: r.server,
                        trigger: r.trigger,
                        outcome: r.outcome,
                        items: r.items,
                        error: r.error.unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(render(&Jobs {
        l: Layout::for_session(&u),
        jobs,
    }))
}

pub(crate) async fn run_job(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    Path(name): Path<String>,
) -> PageResult {
    s.app.start_job_now(&u.actor, &name, server_name()).await?;
    Ok(see_other("/jobs"))
}

/// "every 5 minutes", "every hour".
fn every_text(secs: i64) -> String {
    match secs {
        s if s % 3600 == 0 && s > 3600 => format!("Every {} hours", s / 3600),
        3600 => "Every hour".into(),
        60 => "Every minute".into(),
        s if s % 60 == 0 => format!("Every {} minutes", s / 60),
        s => format!("Every {s} seconds"),
    }
}

pub struct JobRow {
    pub name: &'static str,
    pub description: &'static str,
    pub every: String,
    pub next: String,
    pub running_on: Option<String>,
    pub last_success: String,
    pub failures: i64,
    pub last_error: Option<String>,
    pub runs: Vec<RunRow>,
}

pub struct RunRow {
    pub started: String,
    pub server: String,
    pub trigger: String,
    pub outcome: String,
    pub items: i64,
    pub error: String,
}

#[derive(Template)]
#[template(path = "jobs.html")]
pub struct Jobs {
    pub l: Layout,
    pub jobs: Vec<JobRow>,
}

#[cfg(test)]
mod tests {
    use super::every_text;

    #[test]
    fn intervals_read_as_words() {
        assert_eq!(every_text(60), "Every minute");
        assert_eq!(every_text(300), "Every 5 minutes");
        assert_eq!(every_text(3600), "Every hour");
        assert_eq!(every_text(86_400), "Every 24 hours");
        assert_eq!(every_text(45), "Every 45 seconds");
    }
}
