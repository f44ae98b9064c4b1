//! The operator's commands, a module per group, and what they share: opening the database,
//! reporting refused input, progress on a terminal and writing to a file or standard output.

pub mod admin;
pub mod alerts;
pub mod audit;
pub mod backup;
pub mod charter;
pub mod estate;
pub mod frameworks;
pub mod jobs;
pub mod orgs;
pub mod playbooks;
pub mod report;
pub mod serve;

use crate::config::Settings;
use anyhow::{Context, Result};
use palisade_app::{App, AppError};
use palisade_domain::clock::SystemClock;
use palisade_store::SqlStore;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// Opens the configured database, applies pending migrations and wires the configured adapters.
pub async fn open(settings: &Settings) -> Result<App> {
    let store = SqlStore::connect(&settings.database_url, settings.max_connections)
        .await
        .with_context(|| format!("cannot open the {} database", settings.engine_name()))?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    let mut app = App::new(Arc::new(store), Arc::new(SystemClock), settings.auth())
        .with_objects(settings.objects()?)
        .with_sso(settings.sso.settings()?);
    app.alerts = settings.alerts.clone();
    app.inventory = settings.inventory.clone();
    app.reminders = settings.reminders.clone();
    app.jobs = settings.jobs.clone();
    if let Some(location) = &settings.feed_source {
        app = app.with_feed_source(
            palisade_delivery::feeds::feed_source(location).map_err(|e| anyhow::anyhow!(e))?,
        );
    }
    app.incident_rules = Arc::new(settings.incident_rules.clone());
    // The playbooks and the charter Palisade ships are there from the first start, and every
    // indicator has its STIX id.
    app.install_shipped_playbooks()
        .await
        .map_err(app_error)
        .context("cannot install the shipped playbooks")?;
    app.install_shipped_charter()
        .await
        .map_err(app_error)
        .context("cannot install the shipped supplier charter")?;
    app.fill_indicator_ids()
        .await
        .map_err(app_error)
        .context("cannot give indicators their STIX ids")?;
    Ok(app)
}

pub fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errs) => {
            let lines: Vec<String> = errs
                .0
                .iter()
                .map(|e| format!("  {}: {}", e.field, e.message))
                .collect();
            anyhow::anyhow!("{} problem(s):\n{}", errs.0.len(), lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// Every problem of a refused import, one per line, on standard error.
pub fn print_import_problems(file: &std::path::Path, errs: &palisade_domain::FieldErrors) {
    eprintln!(
        "{} has {} problem(s); nothing was imported:",
        file.display(),
        errs.0.len()
    );
    for e in &errs.0 {
        eprintln!("  {}: {}", e.field, e.message);
    }
}

pub fn spinner(msg: &str) -> indicatif::ProgressBar {
    let pb = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb.set_message(msg.to_string());
    pb
}

/// Writes `bytes` to `file`, or to standard output when `file` is `-`. Returns whether it went
/// to a file (so the caller may say so on standard error).
pub fn write_out(file: &Path, bytes: &[u8]) -> Result<bool> {
    if file.as_os_str() == "-" {
        std::io::Write::write_all(&mut std::io::stdout(), bytes)?;
        return Ok(false);
    }
    std::fs::write(file, bytes).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(true)
}
