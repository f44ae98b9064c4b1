//! `palisade playbooks`: response playbooks.

use super::{app_error, open, print_import_problems, write_out};
use crate::config::Settings;
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use palisade_app::{Actor, AppError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum PlaybookFormat {
    /// OASIS CACAO 2.0 JSON.
    Cacao,
    /// Palisade's own playbook file (YAML; `docs/INCIDENTS.md`).
    Palisade,
}

#[derive(Subcommand)]
pub enum PlaybooksCommand {
    /// Import a playbook file (docs/INCIDENTS.md) or a CACAO 2.0 playbook (JSON). The same
    /// version again changes nothing; other content under a kept version is refused. A CACAO
    /// playbook from elsewhere becomes the next version of its key when its content changed.
    Import { file: PathBuf },
    /// Export a playbook (its newest version unless --version).
    Export {
        key: String,
        #[arg(long, value_enum, default_value = "cacao")]
        format: PlaybookFormat,
        #[arg(long)]
        version: Option<u32>,
        /// Where to write it (`-`: standard output).
        #[arg(long, short, default_value = "-")]
        output: PathBuf,
    },
    /// List every version of every playbook.
    List,
}

impl PlaybooksCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        let app = open(settings).await?;
        let cli = Actor::cli();
        match self {
            Self::Import { file } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                match app.import_playbook(&cli, &text).await {
                    Ok((p, created)) => println!(
                        "{} {} ({} version {}).",
                        if created {
                            "Imported"
                        } else {
                            "Already imported:"
                        },
                        p.title,
                        p.key,
                        p.version
                    ),
                    Err(AppError::Invalid(errs)) => {
                        print_import_problems(&file, &errs);
                        return Ok(ExitCode::from(1));
                    }
                    Err(e) => return Err(app_error(e)),
                }
            }
            Self::Export {
                key,
                format,
                version,
                output,
            } => {
                let v = app
                    .playbook(&cli, &key, version)
                    .await
                    .map_err(|e| match e {
                        AppError::NotFound => anyhow::anyhow!(
                            "no playbook {key}{}: see `palisade playbooks list`",
                            version.map(|v| format!(" version {v}")).unwrap_or_default()
                        ),
                        other => app_error(other),
                    })?;
                let mut bytes = match format {
                    PlaybookFormat::Cacao => serde_json::to_vec_pretty(&v.cacao())?,
                    PlaybookFormat::Palisade => v.playbook.to_yaml().into_bytes(),
                };
                if matches!(format, PlaybookFormat::Cacao) {
                    bytes.push(b'\n');
                }
                if write_out(&output, &bytes)? {
                    eprintln!("Wrote {}.", output.display());
                }
            }
            Self::List => {
                let list = app.list_playbooks(&cli).await.map_err(app_error)?;
                for p in list {
                    let kinds: Vec<&str> = p.kinds.iter().map(|k| k.as_str()).collect();
                    println!(
                        "{:<30} v{:<3} {} ({})",
                        p.key,
                        p.version,
                        p.title,
                        kinds.join(", ")
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
