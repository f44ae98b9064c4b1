//! `palisade frameworks`: assessment frameworks.

use super::print_import_problems;
use super::{app_error, open};
use crate::config::Settings;
use anyhow::{Context, Result};
use clap::Subcommand;
use palisade_app::{Actor, AppError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum FrameworksCommand {
    /// Import a framework file (docs/FORMATS.md), an OSCAL catalog JSON or a CISO Assistant
    /// library YAML. The last two need --key, --year, --categories and --deadline.
    Import {
        file: PathBuf,
        /// Family key for an external catalog, e.g. `clinic-basics`.
        #[arg(long)]
        key: Option<String>,
        /// Assessment year (cycle start) for an external catalog.
        #[arg(long)]
        year: Option<i32>,
        /// Categories for an external catalog, e.g. `3,4`.
        #[arg(long, value_delimiter = ',')]
        categories: Vec<u8>,
        /// Deadline (YYYY-MM-DD) for an external catalog.
        #[arg(long)]
        deadline: Option<String>,
    },
    /// List imported frameworks.
    List,
}

impl FrameworksCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::Import {
                file,
                key,
                year,
                categories,
                deadline,
            } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let params = match (key, year, deadline) {
                    (Some(key), Some(year), Some(deadline)) => {
                        Some(palisade_formats::catalogs::CatalogParams {
                            key,
                            year,
                            categories,
                            deadline,
                            interim_baseline: None,
                        })
                    }
                    _ => None,
                };
                let app = open(settings).await?;
                match app.import_framework(&Actor::cli(), &text, params).await {
                    Ok((f, created)) => println!(
                        "{} {} ({} {}, {}) as framework {} for categories {}.",
                        if created {
                            "Imported"
                        } else {
                            "Already imported:"
                        },
                        f.name,
                        f.key,
                        f.version,
                        palisade_domain::assessment::year_label(f.year),
                        f.id,
                        f.categories
                            .iter()
                            .map(|c| c.number().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Err(AppError::Invalid(errs)) => {
                        print_import_problems(&file, &errs);
                        return Ok(ExitCode::from(1));
                    }
                    Err(e) => return Err(app_error(e)),
                }
            }
            Self::List => {
                let app = open(settings).await?;
                let list = app.list_frameworks().await.map_err(app_error)?;
                if list.is_empty() {
                    println!(
                        "No frameworks imported yet: see `palisade frameworks import --help`."
                    );
                }
                for f in list {
                    println!(
                        "{:>4}  {}  {:<12} {:<22} {} (categories {}, deadline {})",
                        f.id,
                        palisade_domain::assessment::year_label(f.year),
                        f.kind.as_str(),
                        f.key,
                        f.name,
                        f.categories
                            .iter()
                            .map(|c| c.number().to_string())
                            .collect::<Vec<_>>()
                            .join(","),
                        f.deadline
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
