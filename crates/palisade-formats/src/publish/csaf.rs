//! The CSAF 2.0 provider: every published alert as a CSAF document, laid out as the standard's
//! directory-based distribution (`/.well-known/csaf/white/{year}/{file}.json` with `index.txt`,
//! `changes.csv` and hashes) and a ROLIE feed, announced by `provider-metadata.json`.
//!
//! All alerts are published openly, so they are distributed as TLP:WHITE. A document's
//! revision history lists the alert's published versions, numbered 1, 2, ... in order.
//! Reading advisories from other publishers is `crate::csaf`.

use super::{Publisher, version_time};
use palisade_domain::alert::{AffectedProduct, AlertFields, PublishedVersion};
use palisade_domain::clock::{from_unix, rfc3339_millis};
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

/// The tracking id a document's file name stands for (`cc-1000.json` is `CC-1000`); only a
/// version whose [`csaf_filename`] is `filename` is that document.
pub fn reference_of(filename: &str) -> Option<String> {
    filename
        .strip_suffix(".json")
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_uppercase)
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

fn csaf_url(p: Publisher<'_>, path: &str) -> String {
    p.link(&format!("{CSAF_ROOT}{path}"))
}

fn document_url(p: Publisher<'_>, first_published_at: i64, reference: &str) -> String {
    p.link(&document_href(first_published_at, reference))
}

fn publisher(p: Publisher<'_>) -> Value {
    json!({
        "category": "coordinator",
        "name": p.name,
        "namespace": p.namespace(),
    })
}

/// `provider-metadata.json`, last updated when `newest` (the newest current version of any
/// alert) was published, or at `now` when nothing is published.
pub fn provider_metadata(p: Publisher<'_>, newest: Option<&PublishedVersion>, now: i64) -> Value {
    json!({
        "canonical_url": csaf_url(p, "/provider-metadata.json"),
        "distributions": [{
            "directory_url": csaf_url(p, &format!("/{TLP_FOLDER}/")),
            "rolie": {"feeds": [{
                "summary": format!("All TLP:WHITE cyber alerts of {}.", p.name),
                "tlp_label": "WHITE",
                "url": csaf_url(p, "/feed-tlp-white.json"),
            }]},
        }],
        "last_updated": rfc3339_millis(newest.map_or(now, |v| v.at)),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": publisher(p),
        "role": "csaf_provider",
    })
}

/// `index.txt`: every document's path under the distribution, one a line, from each alert's
/// current version.
pub fn index(current: &[PublishedVersion]) -> String {
    let mut lines: Vec<String> = current
        .iter()
        .map(|v| document_path(v.first_published_at, &v.reference))
        .collect();
    lines.sort();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `changes.csv`: every document's path and when it last changed, in the order of `current`
/// (each alert's current version, newest first).
pub fn changes(current: &[PublishedVersion]) -> String {
    let mut out = String::new();
    for v in current {
        out.push_str(&format!(
            "\"{}\",\"{}\"\n",
            document_path(v.first_published_at, &v.reference),
            rfc3339_millis(v.at)
        ));
    }
    out
}

/// The ROLIE feed of the TLP:WHITE distribution, from each alert's current version, newest
/// first; updated at `now` when nothing is published.
pub fn rolie_feed(p: Publisher<'_>, current: &[PublishedVersion], now: i64) -> Value {
    let entries: Vec<Value> = current
        .iter()
        .map(|v| {
            let url = document_url(p, v.first_published_at, &v.reference);
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
    json!({"feed": {
        "id": "palisade-csaf-feed-tlp-white",
        "title": format!("{}: cyber alerts (TLP:WHITE)", p.name),
        "link": [{"rel": "self", "href": csaf_url(p, "/feed-tlp-white.json")}],
        "category": [{
            "scheme": "urn:ietf:params:rolie:category:information-type",
            "term": "csaf",
        }],
        "updated": rfc3339_millis(current.first().map_or(now, |v| v.at)),
        "entry": entries,
    }})
}

/// The CSAF document of an alert, from its published versions (oldest first); `None` without
/// any.
pub fn document(p: Publisher<'_>, versions: &[PublishedVersion]) -> Option<Value> {
    let current = versions.last()?;
    let f = &current.fields;
    let url = document_url(p, current.first_published_at, &current.reference);
    let products: Vec<(String, &AffectedProduct)> = f
        .products
        .iter()
        .enumerate()
        .map(|(i, product)| (format!("CSAFPID-{:04}", i + 1), product))
        .collect();
    let category = csaf_category(f);
    let mut document = json!({
        "category": category,
        "csaf_version": "2.0",
        "title": f.title,
        "lang": "en-GB",
        "publisher": publisher(p),
        "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
        "aggregate_severity": {"namespace": p.link("/public/alerts"), "text": f.severity.label()},
        "notes": document_notes(f),
        "references": [
            {"category": "self", "summary": format!("The CSAF document of {}", current.reference), "url": url},
            {"category": "external", "summary": format!("{} on the public alert page", current.reference), "url": p.alert_link(&current.reference)},
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
        return Some(doc);
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
    Some(doc)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_lower_case_tracking_ids() {
        assert_eq!(csaf_filename("CC-1000"), "cc-1000.json");
        assert_eq!(csaf_filename("CC 1000/a"), "cc_1000_a.json");
        assert_eq!(reference_of("cc-1000.json").as_deref(), Some("CC-1000"));
        assert_eq!(reference_of(".json"), None);
        assert_eq!(reference_of("cc-1000.txt"), None);
    }

    #[test]
    fn requested_files_are_documents_or_their_hashes() {
        assert_eq!(
            CsafFile::parse("cc-1000.json.sha512"),
            Some(("cc-1000.json".into(), CsafFile::Hash(HashAlgorithm::Sha512)))
        );
        assert_eq!(
            CsafFile::parse("cc-1000.json"),
            Some(("cc-1000.json".into(), CsafFile::Document))
        );
        assert_eq!(CsafFile::parse("cc-1000.txt"), None);
        assert_eq!(
            hash_line(HashAlgorithm::Sha256, b"", "a.json"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a.json\n"
        );
    }

    #[test]
    fn no_versions_no_document() {
        let p = Publisher {
            name: "Team",
            public_url: "https://p.example",
        };
        assert_eq!(document(p, &[]), None);
    }
}
