//! Refreshing the data feeds from where the operator keeps them, by the `feeds` job.
//!
//! The source (`feed_source`: a directory, or a web address read by an adapter) holds CISA's
//! catalogue of known exploited vulnerabilities as `known_exploited_vulnerabilities.json` (the
//! name CISA publishes it under, so CISA's own feeds address works) and the endoflife.date
//! product files as `endoflife.zip`. Each run reads both and imports what changed: the same data
//! again writes nothing, so a run every few hours costs a download and a digest. A file the
//! source does not have is skipped; one that cannot be read or is not valid fails the run, which
//! is retried with backoff and shows the error, while the other feed is still imported.

use crate::estate::FeedImport;
use crate::{Actor, App, AppError, Result};
use async_trait::async_trait;
use std::sync::Arc;

pub use palisade_formats::files::MAX_FEED_BYTES;

/// CISA's catalogue of known exploited vulnerabilities, under the name CISA gives it.
pub const KEV_FILE: &str = "known_exploited_vulnerabilities.json";
/// The endoflife.date product files (`*.md`), in a ZIP.
pub const EOL_FILE: &str = "endoflife.zip";

/// Where the feeds job reads the feeds.
#[async_trait]
pub trait FeedSource: Send + Sync {
    /// Where it reads from, for the run's messages.
    fn location(&self) -> String;
    /// The file `name` at the source, or `None` when the source has no such file.
    async fn fetch(&self, name: &str) -> std::result::Result<Option<Vec<u8>>, String>;
}

/// What a refresh did.
#[derive(Debug, Default)]
pub struct FeedRefresh {
    /// Each feed read, changed or not.
    pub imported: Vec<FeedImport>,
    /// Files the source did not have.
    pub missing: Vec<&'static str>,
}

impl FeedRefresh {
    /// Items written: a feed that did not change counts none.
    pub fn items_changed(&self) -> usize {
        self.imported
            .iter()
            .filter(|i| i.changed)
            .map(|i| i.items)
            .sum()
    }
}

impl App {
    /// Reads the feeds from `source` on every refresh.
    pub fn with_feed_source(mut self, source: Arc<dyn FeedSource>) -> Self {
        self.feed_source = Some(source);
        self
    }

    /// Imports each feed the source has, as the system (audited as such). Without a source
    /// configured there is nothing to do.
    pub async fn refresh_feeds(&self) -> Result<FeedRefresh> {
        let mut done = FeedRefresh::default();
        let Some(source) = &self.feed_source else {
            return Ok(done);
        };
        let actor = Actor::system();
        let mut errors = Vec::new();
        for file in [KEV_FILE, EOL_FILE] {
            let bytes = match source.fetch(file).await {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    done.missing.push(file);
                    continue;
                }
                Err(e) => {
                    errors.push(format!("{file}: {e}"));
                    continue;
                }
            };
            let imported = if file == KEV_FILE {
                self.store_kev(&actor, &bytes).await
            } else {
                self.store_eol_zip(&actor, &bytes).await
            };
            match imported {
                Ok(i) => done.imported.push(i),
                Err(e) => errors.push(format!("{file}: {e}")),
            }
        }
        if errors.is_empty() {
            Ok(done)
        } else {
            Err(AppError::Internal(format!(
                "cannot refresh the feeds from {}: {}",
                source.location(),
                errors.join("; ")
            )))
        }
    }
}
