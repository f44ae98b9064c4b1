//! `palisade jobs`: the background jobs every server shares, and running one by hand.

use super::{app_error, open};
use crate::config::Settings;
use anyhow::Result;
use clap::Subcommand;
use palisade_app::Actor;
use palisade_domain::clock::uk_time;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Each job: how often it runs, when it is next due, its last success and failure.
    List,
    /// Runs a job now on this machine (whether or not it is due), unless a server is running it.
    Run {
        /// The job: escalations, reminders, estate_trend or housekeeping.
        name: String,
    },
}

impl JobsCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        let app = open(settings).await?;
        let actor = Actor::cli();
        match self {
            Self::List => {
                app.register_jobs().await.map_err(app_error)?;
                let when = |t: Option<i64>| t.map_or_else(|| "never".to_string(), uk_time);
                for j in app.jobs(&actor).await.map_err(app_error)? {
                    println!("{} (every {} s): {}", j.name, j.every_secs, j.description);
                    if let Some(s) = &j.state {
                        println!(
                            "  next due {}; last success {}; last failure {}{}",
                            uk_time(s.next_run_at),
                            when(s.last_success_at),
                            when(s.last_failure_at),
                            match (&s.lease_holder, s.lease_until) {
                                (Some(h), Some(u)) if u > app.now() => format!("; running on {h}"),
                                _ => String::new(),
                            }
                        );
                        if let Some(e) = &s.last_error {
                            println!("  failing ({} in a row): {e}", s.failures);
                        }
                    }
                }
            }
            Self::Run { name } => {
                let server = format!("cli:{}", palisade_app::jobs::server_name());
                let out = app
                    .run_job_now(&actor, &name, &server)
                    .await
                    .map_err(app_error)?;
                match (out.items, out.error) {
                    (Some(items), _) => println!("{name} ran: {items} items."),
                    (None, Some(e)) => {
                        eprintln!("{name} failed: {e}");
                        return Ok(ExitCode::FAILURE);
                    }
                    (None, None) => println!("{name} ran."),
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
