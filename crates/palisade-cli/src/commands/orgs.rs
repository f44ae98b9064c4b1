//! `palisade orgs`: the organisation register as CSV.

use super::{app_error, open};
use super::{print_import_problems, spinner, write_out};
use crate::config::Settings;
use anyhow::{Context, Result};
use clap::Subcommand;
use palisade_app::{Actor, AppError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum OrgsCommand {
    /// Import (upsert) organisations from CSV with header code,name,type,category,region,parent_code.
    Import { file: PathBuf },
    /// Export the register in the same CSV format (to FILE, or standard output with -).
    Export { file: PathBuf },
}

impl OrgsCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::Import { file } => {
                let data = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let app = open(settings).await?;
                let pb = spinner("reading");
                let result = app
                    .import_orgs_csv(&Actor::cli(), &data, |n| {
                        pb.set_message(format!("checked {n} rows"))
                    })
                    .await;
                pb.finish_and_clear();
                match result {
                    Ok(r) => println!(
                        "Imported {}: {} created, {} updated, {} unchanged.",
                        file.display(),
                        r.created,
                        r.updated,
                        r.unchanged
                    ),
                    Err(AppError::Invalid(errs)) => {
                        print_import_problems(&file, &errs);
                        return Ok(ExitCode::from(1));
                    }
                    Err(e) => return Err(app_error(e)),
                }
            }
            Self::Export { file } => {
                let app = open(settings).await?;
                let csv = app
                    .export_orgs_csv(&Actor::cli())
                    .await
                    .map_err(app_error)?;
                let csv = palisade_app::exports::collect(csv)
                    .await
                    .map_err(app_error)?;
                if write_out(&file, &csv)? {
                    eprintln!("Exported the register to {}.", file.display());
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
