//! `palisade backup`: copies of the embedded database.

use super::{app_error, open};
use crate::config::Settings;
use anyhow::Result;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Write a consistent copy of the SQLite database to FILE while Palisade keeps running.
    Create { file: PathBuf },
    /// Replace the SQLite database with FILE (after checking it). Refused while a server runs on
    /// the database: stop every server first.
    Restore { file: PathBuf },
}

impl BackupCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::Create { file } => {
                let app = open(settings).await?;
                app.backup_create(&file).await.map_err(app_error)?;
                println!("Backup written to {}.", file.display());
            }
            Self::Restore { file } => {
                let n = palisade_app::backup::restore(&file, &settings.database_url)
                    .await
                    .map_err(app_error)?;
                println!("Restored {} ({n} audit entries verified).", file.display());
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
