//! The CSAF 2.0 provider: every published alert as a CSAF document, laid out as the standard's
//! directory-based distribution (`/.well-known/csaf/white/{year}/{file}.json` with `index.txt`,
//! `changes.csv` and hashes) and a ROLIE feed, announced by `provider-metadata.json`.
//!
//! All alerts are published openly, so they are distributed as TLP:WHITE. A document's
//! revision history lists the alert's published versions, numbered 1, 2, ... in order.
//! Importing advisories from other publishers is in `csaf_import`.

use super::version_time;
use crate::{App, AppError, Result};
use palisade_domain::alert::{AffectedProduct, AlertFields};
use palisade_domain::clock::{from_unix, rfc3339_millis};
use palisade_store::{PublishedQuery, PublishedVersion};
use serde_json::{Value, json};
use sha2::Digest;

/// Where the provider's files live, under the public address.
pub const CSAF_ROOT: &str = "/.well-known/csaf";
/// The one distribution: everything published is TLP:WHITE.
pub const TLP_FOLDER: &str = "white";
const CSAF_SCHEMA: &str = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";

/// A document's file name: its tracking id in lower case, other characters as `_` (CSAF 5.1).
pub fn csaf_filename(reference: &str) -> String {
    let stem: String = reference
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '+' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.json")
}

/// A hash file's contents, as `sha256sum`/`sha512sum` write it.
pub fn hash_line(algorithm: HashAlgorithm, bytes: &[u8], filename: &str) -> String {
    let digest = match algorithm {
        HashAlgorithm::Sha256 => hex::encode(sha2::Sha256::digest(bytes)),
        HashAlgorithm::Sha512 => hex::encode(sha2::Sha512::digest(bytes)),
    };
    format!("{digest}  {filename}\n")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Sha512,
}

/// One file of the distribution, as requested under `white/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsafFile {
    Document,
    Hash(HashAlgorithm),
}

impl CsafFile {
    /// Splits `cc-1000.json.sha256` into the document's name and what is asked of it.
    pub fn parse(name: &str) -> Option<(String, CsafFile)> {
        if let Some(stem) = name.strip_suffix(".sha256") {
            return Some((stem.into(), CsafFile::Hash(HashAlgorithm::Sha256)));
        }
        if let Some(stem) = name.strip_suffix(".sha512") {
            return Some((stem.into(), CsafFile::Hash(HashAlgorithm::Sha512)));
        }
        name.ends_with(".json")
            .then(|| (name.to_string(), CsafFile::Document))
    }
}

impl App {
    fn csaf_url(&self, path: &str) -> String {
        self.public_link(&format!("{CSAF_ROOT}{path}"))
    }

    fn document_url(&self, first_published_at: i64, reference: &str) -> String {
        self.public_link(&document_href(first_published_at, reference))
    }

    fn csaf_publisher(&self) -> Value {
        json!({
            "category": "coordinator",
            "name": self.alerts.publisher,
            "namespace": self.alerts.public_url.trim_end_matches('/'),
        })
    }

    /// `provider-metadata.json`.
    pub async fn csaf_provider_metadata(&self) -> Result<Value> {
        let latest = self.latest_versions(1, true).await?;
        Ok(json!({
            "canonical_url": self.csaf_url("/provider-metadata.json"),
            "distributions": [{
                "directory_url": self.csaf_url(&format!("/{TLP_FOLDER}/")),
                "rolie": {"feeds": [{
                    "summary": format!("All TLP:WHITE cyber alerts of {}.", self.alerts.publisher),
                    "tlp_label": "WHITE",
                    "url": self.csaf_url("/feed-tlp-white.json"),
                }]},
            }],
            "last_updated": rfc3339_millis(latest.first().map_or(self.now(), |v| v.at)),
            "list_on_CSAF_aggregators": true,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": true,
            "publisher": self.csaf_publisher(),
            "role": "csaf_provider",
        }))
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
        let mut lines: Vec<String> = self
            .all_published(true, true)
            .await?
            .iter()
            .map(|v| document_path(v.first_published_at, &v.reference))
            .collect();
        lines.sort();
        Ok(lines.iter().map(|l| format!("{l}\n")).collect())
    }

    /// `changes.csv`: every document's path and when it last changed, the newest first.
    pub async fn csaf_changes(&self) -> Result<String> {
        let mut out = String::new();
        for v in self.all_published(true, true).await? {
            out.push_str(&format!(
                "\"{}\",\"{}\"\n",
                document_path(v.first_published_at, &v.reference),
                rfc3339_millis(v.at)
            ));
        }
        Ok(out)
    }

    /// The ROLIE feed of the TLP:WHITE distribution.
    pub async fn csaf_rolie_feed(&self) -> Result<Value> {
        let current = self.all_published(true, true).await?;
        let entries: Vec<Value> = current
            .iter()
            .map(|v| {
                let url = self.document_url(v.first_published_at, &v.reference);
                json!({
                    "id": v.reference,
                    "title": v.fields.title,
                    "link": [
                        {"rel": "self", "href": url},
                        {"rel": "hash", "href": format!("{url}.sha256")},
                        {"rel": "hash", "href": format!("{url}.sha512")},
                    ],
                    "published": rfc3339_millis(v.first_published_at),
                    "updated": rfc3339_millis(v.at),
                    "summary": {"content": v.fields.summary},
                    "content": {"type": "application/json", "src": url},
                    "format": {"schema": CSAF_SCHEMA, "version": "2.0"},
                })
            })
            .collect();
        Ok(json!({"feed": {
            "id": "palisade-csaf-feed-tlp-white",
            "title": format!("{}: cyber alerts (TLP:WHITE)", self.alerts.publisher),
            "link": [{"rel": "self", "href": self.csaf_url("/feed-tlp-white.json")}],
            "category": [{
                "scheme": "urn:ietf:params:rolie:category:information-type",
                "term": "csaf",
            }],
            "updated": rfc3339_millis(current.first().map_or(self.now(), |v| v.at)),
            "entry": entries,
        }}))
    }

    /// The CSAF document of the alert whose file is `filename` in `year`'s folder, as served
    /// (the bytes the hashes are of).
    pub async fn csaf_document(&self, year: i32, filename: &str) -> Result<Vec<u8>> {
        let reference = filename
            .strip_suffix(".json")
            .filter(|s| !s.is_empty())
            .ok_or(AppError::NotFound)?
            .to_ascii_uppercase();
        let mut versions = self
            .store
            .published_versions(&PublishedQuery {
                reference: Some(reference),
                year: Some(year),
                limit: 10_000,
                ..PublishedQuery::default()
            })
            .await?;
        versions.retain(|v| csaf_filename(&v.reference) == filename);
        if versions.is_empty() {
            return Err(AppError::NotFound);
        }
        let doc = self.csaf_for(&versions);
        serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The CSAF document of an alert, from its published versions (oldest first).
    pub fn csaf_for(&self, versions: &[PublishedVersion]) -> Value {
        let current = versions.last().expect("at least one published version");
        let f = &current.fields;
        let url = self.document_url(current.first_published_at, &current.reference);
        let products: Vec<(String, &AffectedProduct)> = f
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("CSAFPID-{:04}", i + 1), p))
            .collect();
        let category = csaf_category(f);
        let mut document = json!({
            "category": category,
            "csaf_version": "2.0",
            "title": f.title,
            "lang": "en-GB",
            "publisher": self.csaf_publisher(),
            "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
            "aggregate_severity": {"namespace": self.public_link("/public/alerts"), "text": f.severity.label()},
            "notes": document_notes(f),
            "references": [
                {"category": "self", "summary": format!("The CSAF document of {}", current.reference), "url": url},
                {"category": "external", "summary": format!("{} on the public alert page", current.reference), "url": self.public_alert_link(&current.reference)},
            ],
            "tracking": {
                "id": current.reference,
                "status": "final",
                "version": versions.len().to_string(),
                // The first revision's own time, so the two agree to the millisecond.
                "initial_release_date": versions.first().map_or_else(
                    || rfc3339_millis(current.first_published_at),
                    |v| version_time(v.at, v.version),
                ),
                "current_release_date": version_time(current.at, current.version),
                "revision_history": versions.iter().enumerate().map(|(i, v)| json!({
                    "number": (i + 1).to_string(),
                    "date": version_time(v.at, v.version),
                    "summary": if i == 0 {
                        "First published.".to_string()
                    } else {
                        format!("Updated: {} changed.", v.changed.join(", "))
                    },
                })).collect::<Vec<_>>(),
                "generator": {"engine": {"name": "Palisade", "version": env!("CARGO_PKG_VERSION")}},
            },
        });
        let mut doc = json!({ "document": document.take() });
        if category == "csaf_informational_advisory" {
            return doc;
        }
        let ids: Vec<&str> = products.iter().map(|(id, _)| id.as_str()).collect();
        if !products.is_empty() {
            doc["product_tree"] = product_tree(&products);
        }
        let vulnerability = |cve: Option<&str>| {
            let mut v = json!({
                "notes": [{"category": "summary", "text": f.summary}],
            });
            match cve {
                Some(c) => v["cve"] = json!(c),
                None => v["title"] = json!(f.title),
            }
            if !ids.is_empty() {
                v["product_status"] = json!({"known_affected": ids});
                if !f.remediation.is_empty() {
                    v["remediations"] = json!([{
                        "category": "mitigation",
                        "details": f.remediation,
                        "product_ids": ids,
                    }]);
                }
            }
            if f.exploited {
                v["threats"] =
                    json!([{"category": "exploit_status", "details": "Exploitation is known."}]);
            }
            v
        };
        doc["vulnerabilities"] = if f.cves.is_empty() {
            json!([vulnerability(None)])
        } else {
            Value::Array(
                f.cves
                    .iter()
                    .map(|c| vulnerability(Some(c.as_str())))
                    .collect(),
            )
        };
        doc
    }
}

/// The product tree of an alert's products, as CSAF 2.0 readers take versions: a product with
/// a `vers` range sits under a `product_name` branch and a `product_version_range` branch
/// holding the range (so no reader takes every version as affected); a product pinned by its
/// package URL or CPE, or affected in every version, is a full product name.
fn product_tree(products: &[(String, &AffectedProduct)]) -> Value {
    let product = |id: &str, p: &AffectedProduct| {
        let mut helper = serde_json::Map::new();
        if let Some(cpe) = &p.cpe {
            helper.insert("cpe".into(), json!(cpe.as_str()));
        }
        if let Some(purl) = &p.purl {
            helper.insert("purl".into(), json!(purl.as_str()));
        }
        json!({"name": p.name, "product_id": id, "product_identification_helper": helper})
    };
    let mut tree = serde_json::Map::new();
    let branches: Vec<Value> = products
        .iter()
        .filter_map(|(id, p)| {
            p.vers.as_ref().map(|v| {
                json!({"category": "product_name", "name": p.name, "branches": [{
                    "category": "product_version_range", "name": v.to_string(),
                    "product": product(id, p),
                }]})
            })
        })
        .collect();
    let whole: Vec<Value> = products
        .iter()
        .filter(|(_, p)| p.vers.is_none())
        .map(|(id, p)| product(id, p))
        .collect();
    if !branches.is_empty() {
        tree.insert("branches".into(), Value::Array(branches));
    }
    if !whole.is_empty() {
        tree.insert("full_product_names".into(), Value::Array(whole));
    }
    Value::Object(tree)
}

/// A security advisory when it names products (the profile needs a product tree and statuses),
/// the base profile when it names only CVEs, and an informational advisory otherwise.
fn csaf_category(f: &AlertFields) -> &'static str {
    if !f.products.is_empty() {
        "csaf_security_advisory"
    } else if !f.cves.is_empty() {
        "csaf_base"
    } else {
        "csaf_informational_advisory"
    }
}

fn document_notes(f: &AlertFields) -> Vec<Value> {
    let mut notes = vec![json!({"category": "summary", "title": "Summary", "text": f.summary})];
    if !f.body.is_empty() {
        notes.push(json!({"category": "details", "title": "Details", "text": f.body}));
    }
    if !f.remediation.is_empty() {
        notes.push(json!({"category": "general", "title": "What to do", "text": f.remediation}));
    }
    notes.push(json!({
        "category": "general",
        "title": "Alert type",
        "text": f.alert_type.label(),
    }));
    if f.response_required {
        notes.push(json!({
            "category": "general",
            "title": "Response",
            "text": "Organisations in scope must acknowledge this alert and record their response.",
        }));
    }
    notes
}

fn year_of(secs: i64) -> i32 {
    from_unix(secs).year()
}

/// A document's path under the distribution: `2026/cc-1000.json` (the year it was first
/// published).
fn document_path(first_published_at: i64, reference: &str) -> String {
    format!(
        "{}/{}",
        year_of(first_published_at),
        csaf_filename(reference)
    )
}

/// Where an alert's CSAF document is served, from the site's root.
pub fn document_href(first_published_at: i64, reference: &str) -> String {
    format!(
        "{CSAF_ROOT}/{TLP_FOLDER}/{}",
        document_path(first_published_at, reference)
    )
}
