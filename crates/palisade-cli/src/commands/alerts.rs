//! `palisade alerts`: drafts from CSAF advisories and the STIX bundle of what is published.

use super::write_out;
use super::{app_error, open};
use crate::config::Settings;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use palisade_app::Actor;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// Make a draft alert of each CSAF 2.0 advisory (JSON), to review and publish. Each file is
    /// its own import: one that fails changes nothing and the others still import.
    ImportCsaf {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Every published alert as one STIX 2.1 bundle (what the TAXII collection serves), to FILE
    /// or standard output with -.
    StixBundle { file: PathBuf },
}

impl AlertsCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::ImportCsaf { files } => {
                let app = open(settings).await?;
                let mut failed = 0;
                for file in &files {
                    let bytes = std::fs::read(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    match app.import_csaf(&Actor::cli(), &bytes).await {
                        Ok(done) => {
                            println!(
                                "{}: draft {} from {} {} ({} CVEs, {} products)",
                                file.display(),
                                done.alert.reference,
                                done.source_publisher,
                                done.source_id,
                                done.alert.fields.cves.len(),
                                done.alert.fields.products.len()
                            );
                            for note in &done.notes {
                                println!("  note: {note}");
                            }
                        }
                        Err(e) => {
                            failed += 1;
                            eprintln!("{}: {}", file.display(), app_error(e));
                        }
                    }
                }
                if failed > 0 {
                    bail!("{failed} of {} advisories were not imported", files.len());
                }
            }
            Self::StixBundle { file } => {
                let app = open(settings).await?;
                let bundle = app.stix_bundle().await.map_err(app_error)?;
                let text = serde_json::to_vec_pretty(&bundle)?;
                if write_out(&file, &text)? {
                    eprintln!(
                        "Wrote {} STIX objects to {}.",
                        bundle["objects"].as_array().map_or(0, Vec::len),
                        file.display()
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
