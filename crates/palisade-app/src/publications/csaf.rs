//! The CSAF 2.0 provider: every published alert as a CSAF document, laid out as the standard's
//! directory-based distribution (`/.well-known/csaf/white/{year}/{file}.json` with `index.txt`,
//! `changes.csv` and hashes) and a ROLIE feed, announced by `provider-metadata.json`. The
//! documents are written by `palisade_formats::publish::csaf`; here they are read from what was
//! published. Importing advisories from other publishers is in `csaf_import`.

use crate::{App, AppError, Result};
use palisade_formats::publish::csaf;
use palisade_store::{PublishedQuery, PublishedVersion};
use serde_json::Value;

impl App {
    /// `provider-metadata.json`.
    pub async fn csaf_provider_metadata(&self) -> Result<Value> {
        let latest = self.latest_versions(1, true).await?;
        Ok(csaf::provider_metadata(
            self.publisher(),
            latest.first(),
            self.now(),
        ))
    }

    async fn latest_versions(
        &self,
        limit: i64,
        newest_first: bool,
    ) -> Result<Vec<PublishedVersion>> {
        Ok(self
            .store
            .published_versions(&PublishedQuery {
                latest_only: true,
                newest_first,
                limit,
                ..PublishedQuery::default()
            })
            .await?)
    }

    /// `index.txt`: every document's path under the distribution, one a line.
    pub async fn csaf_index(&self) -> Result<String> {
        Ok(csaf::index(&self.all_published(true, true).await?))
    }

    /// `changes.csv`: every document's path and when it last changed, the newest first.
    pub async fn csaf_changes(&self) -> Result<String> {
        Ok(csaf::changes(&self.all_published(true, true).await?))
    }

    /// The ROLIE feed of the TLP:WHITE distribution.
    pub async fn csaf_rolie_feed(&self) -> Result<Value> {
        let current = self.all_published(true, true).await?;
        Ok(csaf::rolie_feed(self.publisher(), &current, self.now()))
    }

    /// The CSAF document of the alert whose file is `filename` in `year`'s folder, as served
    /// (the bytes the hashes are of).
    pub async fn csaf_document(&self, year: i32, filename: &str) -> Result<Vec<u8>> {
        let reference = csaf::reference_of(filename).ok_or(AppError::NotFound)?;
        let mut versions = self
            .store
            .published_versions(&PublishedQuery {
                reference: Some(reference),
                year: Some(year),
                limit: 10_000,
                ..PublishedQuery::default()
            })
            .await?;
        versions.retain(|v| csaf::csaf_filename(&v.reference) == filename);
        let doc = csaf::document(self.publisher(), &versions).ok_or(AppError::NotFound)?;
        serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))
    }
}
