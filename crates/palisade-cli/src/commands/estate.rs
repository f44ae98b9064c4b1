//! `palisade estate`: the data feeds the estate is matched against.

use super::{app_error, open};
use crate::config::Settings;
use anyhow::{Context, Result};
use clap::Subcommand;
use palisade_app::Actor;
use std::path::PathBuf;
use std::process::ExitCode;

// The subcommands are named by contract (`palisade estate import-eol` and so on).
#[allow(clippy::enum_variant_names)]
#[derive(Subcommand)]
pub enum EstateCommand {
    /// Replace the product lifecycles with the endoflife.date product files (`*.md`) in DIR.
    /// Importing the same data again changes nothing.
    ImportEol { dir: PathBuf },
    /// Replace the known exploited vulnerabilities with CISA's catalogue (its JSON file).
    /// Importing the same catalogue again changes nothing.
    ImportKev { file: PathBuf },
    /// Add OSV records to the advisories matched against inventories: a directory of JSON
    /// records or a ZIP of them (as osv.dev publishes per ecosystem). Records are kept by id, so
    /// importing the same ones again changes nothing.
    ImportOsv { path: PathBuf },
    /// Add CSAF 2.0 advisories (a JSON file or a directory of them) to the advisories matched
    /// against inventories, by their tracking id; no alert is drafted (see `alerts import-csaf`).
    ImportCsaf { path: PathBuf },
}

impl EstateCommand {
    pub async fn run(self, settings: &Settings) -> Result<ExitCode> {
        match self {
            Self::ImportEol { dir } => {
                let app = open(settings).await?;
                let files = palisade_formats::files::read_dir_files(&dir, ".md")
                    .with_context(|| format!("cannot read {}", dir.display()))?;
                let files =
                    palisade_formats::files::as_text(files).map_err(|e| app_error(e.into()))?;
                let done = app
                    .import_eol(&Actor::cli(), &files)
                    .await
                    .map_err(app_error)?;
                println!("{}", feed_summary(&done));
            }
            Self::ImportKev { file } => {
                let app = open(settings).await?;
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let done = app
                    .import_kev(&Actor::cli(), &bytes)
                    .await
                    .map_err(app_error)?;
                println!("{}", feed_summary(&done));
            }
            Self::ImportOsv { path } => {
                let app = open(settings).await?;
                let read = JsonAt::read(&path)?;
                let done = app
                    .import_osv(&Actor::cli(), &read.documents())
                    .await
                    .map_err(app_error)?;
                print_advisory_import(&done);
            }
            Self::ImportCsaf { path } => {
                let app = open(settings).await?;
                let read = JsonAt::read(&path)?;
                let done = app
                    .import_csaf_advisories(&Actor::cli(), &read.documents())
                    .await
                    .map_err(app_error)?;
                print_advisory_import(&done);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The JSON documents at a path: a directory's files, a ZIP (read an entry at a time by the
/// import), or the one file.
enum JsonAt {
    Dir(Vec<(String, Vec<u8>)>),
    Zip(Vec<u8>),
    One(String, Vec<u8>),
}

impl JsonAt {
    fn read(path: &std::path::Path) -> Result<Self> {
        let read = || format!("cannot read {}", path.display());
        if path.is_dir() {
            return Ok(Self::Dir(
                palisade_formats::files::read_dir_files(path, ".json").with_context(read)?,
            ));
        }
        let bytes = std::fs::read(path).with_context(read)?;
        Ok(if path.extension().is_some_and(|x| x == "zip") {
            Self::Zip(bytes)
        } else {
            Self::One(path.display().to_string(), bytes)
        })
    }

    fn documents(&self) -> palisade_formats::files::Documents<'_> {
        use palisade_formats::files::Documents;
        match self {
            Self::Dir(files) => Documents::Files(files),
            Self::Zip(bytes) => Documents::Zip(bytes),
            Self::One(name, bytes) => Documents::One(name, bytes),
        }
    }
}

fn print_advisory_import(done: &palisade_app::estate::AdvisoryImport) {
    println!(
        "{}: {} advisories read, {} new or changed",
        done.feed, done.read, done.changed
    );
    for n in &done.notes {
        println!("  note: {n}");
    }
}

/// One line on what a feed import did.
fn feed_summary(done: &palisade_app::estate::FeedImport) -> String {
    let data = done
        .data_time
        .map(|t| format!("; data as of {}", palisade_domain::clock::day_of(t)))
        .unwrap_or_default();
    if done.changed {
        format!("{}: {} items imported{data}", done.feed, done.items)
    } else {
        format!(
            "{}: unchanged, {} items already held{data}",
            done.feed, done.items
        )
    }
}
