//! `palisade charter`: the supplier cyber security charter.

use super::{app_error, open, print_import_problems};
use crate::config::Settings;
use anyhow::{Context, Result};
use clap::Subcommand;
use palisade_app::{Actor, AppError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum CharterCommand {
    /// Import a charter file (docs/SUPPLIERS.md). The same version again changes nothing; other
    /// content under a kept version is refused. A new version asks every signatory to sign again.
    Import { file: PathBuf },
    /// Show the charter version in force and its commitments.
    Show,
}

impl CharterCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        let app = open(settings).await?;
        match self {
            Self::Import { file } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                match app.import_charter(&Actor::cli(), &text).await {
                    Ok((c, created)) => println!(
                        "{} charter version {}.",
                        if created {
                            "Imported"
                        } else {
                            "Already imported:"
                        },
                        c.version
                    ),
                    Err(AppError::Invalid(errs)) => {
                        print_import_problems(&file, &errs);
                        return Ok(ExitCode::from(1));
                    }
                    Err(e) => return Err(app_error(e)),
                }
            }
            Self::Show => {
                let c = app.charter().await.map_err(app_error)?.charter;
                println!("{} (version {})", c.title, c.version);
                for m in &c.commitments {
                    println!("  {:<20} {}", m.key.as_str(), m.title);
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
