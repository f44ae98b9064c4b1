//! What Palisade publishes: what the world may read about alerts, signed in or not. This module
//! serves the published alerts themselves, as a page and an Atom feed; the CSAF provider (`csaf`)
//! and the TAXII collection (`stix`) are built on the same reads. Nothing here names an
//! organisation, a response or a person. (What Palisade imports, the data feeds, is elsewhere.)

pub mod csaf;
pub mod stix;

use crate::{App, AppError, Result};
use atom_syndication::{Category, Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use palisade_domain::alert::AlertFields;
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::page::{Page, PageRequest};
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
    /// `path` under the configured public address.
    pub fn public_link(&self, path: &str) -> String {
        format!("{}{path}", self.alerts.public_url.trim_end_matches('/'))
    }

    /// The public page of an alert.
    pub fn public_alert_link(&self, reference: &str) -> String {
        self.public_link(&format!("/public/alerts/{reference}"))
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
        let feed_url = self.public_link("/alerts.atom");
        let feed = Feed {
            title: Text::plain(format!("{}: cyber alerts", self.alerts.publisher)),
            id: feed_url.clone(),
            updated: atom_time(latest.first().map_or(0, |v| v.at)),
            authors: vec![self.atom_author()],
            links: vec![
                link(&feed_url, "self", Some("application/atom+xml")),
                link(
                    &self.public_link("/public/alerts"),
                    "alternate",
                    Some("text/html"),
                ),
            ],
            subtitle: Some(Text::plain(
                "Cyber alerts published to health and care organisations",
            )),
            entries: latest.iter().map(|v| self.atom_entry(v)).collect(),
            ..Feed::default()
        };
        Ok(feed.to_string())
    }

    fn atom_author(&self) -> Person {
        Person {
            name: self.alerts.publisher.clone(),
            uri: Some(self.public_link("/public/alerts")),
            ..Person::default()
        }
    }

    fn atom_entry(&self, v: &PublishedVersion) -> Entry {
        let f = &v.fields;
        let url = self.public_alert_link(&v.reference);
        let category = |term: &str, label: &str| Category {
            term: term.to_string(),
            label: Some(label.to_string()),
            ..Category::default()
        };
        let categories = vec![
            category(f.severity.as_str(), f.severity.label()),
            category(f.alert_type.as_str(), f.alert_type.label()),
        ];
        Entry {
            title: Text::plain(format!(
                "{} ({}): {}",
                v.reference,
                f.severity.label(),
                f.title
            )),
            id: url.clone(),
            updated: atom_time(v.at),
            published: Some(atom_time(v.first_published_at)),
            authors: vec![self.atom_author()],
            links: vec![link(&url, "alternate", Some("text/html"))],
            categories,
            summary: Some(Text::plain(f.summary.clone())),
            content: Some(Content {
                value: Some(plain_text(f, &v.changed)),
                content_type: Some("text".into()),
                ..Content::default()
            }),
            ..Entry::default()
        }
    }
}

/// When a published version was made, to the millisecond, as CSAF and STIX write versions.
/// Times are stored in seconds; the milliseconds carry the version number, so two versions
/// published within the same second still read in order.
pub fn version_time(at: i64, version: i64) -> String {
    let t = palisade_domain::clock::rfc3339_millis(at);
    format!("{}{:03}Z", &t[..t.len() - 4], version.rem_euclid(1000))
}

/// An alert as plain text: what changed, the body, CVEs, products and what to do.
pub fn plain_text(f: &AlertFields, changed: &[String]) -> String {
    let mut out = String::new();
    if !changed.is_empty() {
        out.push_str(&format!("Updated: {} changed.\n\n", changed.join(", ")));
    }
    out.push_str(&f.summary);
    out.push('\n');
    if !f.body.is_empty() {
        out.push_str(&format!("\n{}\n", f.body));
    }
    if f.exploited {
        out.push_str("\nExploitation is known.\n");
    }
    if !f.cves.is_empty() {
        let cves: Vec<&str> = f.cves.iter().map(|c| c.as_str()).collect();
        out.push_str(&format!("\nCVEs: {}\n", cves.join(", ")));
    }
    if !f.products.is_empty() {
        out.push_str("\nAffected products:\n");
        for p in &f.products {
            out.push_str(&format!("- {}\n", p.name));
        }
    }
    if !f.remediation.is_empty() {
        out.push_str(&format!("\nWhat to do:\n{}\n", f.remediation));
    }
    out
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        ..Link::default()
    }
}

fn atom_time(secs: i64) -> FixedDateTime {
    FixedDateTime::parse_from_rfc3339(&rfc3339(from_unix(secs)))
        .unwrap_or_else(|_| FixedDateTime::default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_times_order_versions_within_a_second() {
        assert_eq!(
            super::version_time(1_720_949_400, 2),
            "2024-07-14T09:30:00.002Z"
        );
        assert!(super::version_time(1_720_949_400, 3) > super::version_time(1_720_949_400, 2));
    }
}
