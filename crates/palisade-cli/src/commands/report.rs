//! `palisade report`: national figures and OSCAL results.

use super::{app_error, open};
use crate::config::Settings;
use anyhow::Result;
use clap::Subcommand;
use clap::ValueEnum;
use palisade_app::Actor;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Statuses by organisation type, category and region, with year-on-year change.
    National {
        /// Assessment year (cycle start: 2026 is 2026-27); defaults to the current cycle.
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
    },
    /// One organisation's assessment as OSCAL assessment results (JSON) on standard output.
    Oscal {
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// Assessment year (cycle start); defaults to the current cycle.
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Json,
    Csv,
    Text,
}

impl ReportCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::National { year, format } => {
                let app = open(settings).await?;
                let year = year.unwrap_or_else(|| app.current_year());
                let report = app
                    .national_report(&Actor::cli(), year)
                    .await
                    .map_err(app_error)?;
                match format {
                    ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                    ReportFormat::Csv => print!("{}", report.to_csv()),
                    ReportFormat::Text => print!("{}", report.to_text()),
                }
            }
            Self::Oscal { org, year } => {
                let app = open(settings).await?;
                let year = year.unwrap_or_else(|| app.current_year());
                let doc = app
                    .assessment_oscal(&Actor::cli(), &org, year)
                    .await
                    .map_err(app_error)?;
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
