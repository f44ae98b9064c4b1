//! What Palisade publishes: what the world may read about alerts, signed in or not. This module
//! serves the published alerts themselves, as a page and an Atom feed; the CSAF provider (`csaf`)
//! and the TAXII collection (`stix`) are built on the same reads. Nothing here names an
//! organisation, a response or a person. The documents themselves are written by
//! `palisade_formats::publish`; this module reads what was published and hands it over. (What
//! Palisade imports, the data feeds, is elsewhere.)

pub mod csaf;
pub mod stix;

use crate::{App, AppError, Result};
use palisade_domain::page::{Page, PageRequest};
use palisade_formats::publish::{Publisher, atom};
use palisade_store::{AlertFilter, AlertRecord, PublishedQuery, PublishedVersion};

/// How many alerts the Atom feed carries (the newest, by their latest version).
pub const ATOM_ENTRIES: i64 = 50;

/// A published alert with the history of what was published.
#[derive(Debug, Clone)]
pub struct PublicAlert {
    pub alert: AlertRecord,
    /// Every published version, newest first.
    pub versions: Vec<PublishedVersion>,
}

impl App {
    /// Who publishes and where, as the published documents name them.
    pub fn publisher(&self) -> Publisher<'_> {
        Publisher {
            name: &self.alerts.publisher,
            public_url: &self.alerts.public_url,
        }
    }

    /// `path` under the configured public address.
    pub fn public_link(&self, path: &str) -> String {
        self.publisher().link(path)
    }

    /// The public page of an alert.
    pub fn public_alert_link(&self, reference: &str) -> String {
        self.publisher().alert_link(reference)
    }

    /// Every published version (each alert's current one with `latest_only`), read in batches;
    /// oldest first, or newest first with `newest_first`.
    pub(crate) async fn all_published(
        &self,
        latest_only: bool,
        newest_first: bool,
    ) -> Result<Vec<PublishedVersion>> {
        const BATCH: i64 = 5_000;
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let batch = self
                .store
                .published_versions(&PublishedQuery {
                    latest_only,
                    newest_first,
                    after,
                    limit: BATCH,
                    ..PublishedQuery::default()
                })
                .await?;
            let done = (batch.len() as i64) < BATCH;
            after = batch.last().map(|v| (v.at, v.alert_id, v.version));
            out.extend(batch);
            if done {
                return Ok(out);
            }
        }
    }

    /// Published alerts, newest first.
    pub async fn public_alerts(&self, page: PageRequest) -> Result<Page<AlertRecord>> {
        let filter = AlertFilter {
            state: Some(palisade_domain::alert::AlertState::Published),
            ..AlertFilter::default()
        };
        let page = self.store.list_alerts(&filter, page).await?;
        Ok(Page {
            items: page.items.into_iter().map(|i| i.alert).collect(),
            total: page.total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    /// A published alert and its published versions; drafts are not found.
    pub async fn public_alert(&self, reference: &str) -> Result<PublicAlert> {
        let alert = self
            .store
            .find_alert(reference)
            .await?
            .filter(|a| a.state == palisade_domain::alert::AlertState::Published)
            .ok_or(AppError::NotFound)?;
        let versions = self
            .store
            .published_versions(&PublishedQuery {
                reference: Some(alert.reference.clone()),
                newest_first: true,
                limit: 10_000,
                ..PublishedQuery::default()
            })
            .await?;
        Ok(PublicAlert { alert, versions })
    }

    /// The Atom feed of published alerts: one entry per alert, updated with each new version.
    pub async fn alerts_atom(&self) -> Result<String> {
        let latest = self
            .store
            .published_versions(&PublishedQuery {
                latest_only: true,
                newest_first: true,
                limit: ATOM_ENTRIES,
                ..PublishedQuery::default()
            })
            .await?;
        Ok(atom::feed(self.publisher(), &latest))
    }
}
