//! Published alerts as STIX 2.1 objects, and the one TAXII 2.1 collection that serves them.
//!
//! Each published version of an alert becomes a version of its objects: a `report` (the alert),
//! a `vulnerability` per CVE, a `course-of-action` for the remediation with a `mitigates`
//! relationship to each vulnerability, and a `software` observable per affected product. The
//! national team is an `identity`; every object carries the TLP:WHITE marking. Ids are
//! name-based (UUIDv5), so the same alert always yields the same ids; software ids follow the
//! STIX rule for observables (UUIDv5 of the canonical JSON of `name` and `cpe`), so one product
//! named by several alerts is one object, added when it was first named.
//!
//! The catalogue of objects ([`StixCatalog`]) is built from the published versions; filtering
//! and paging then work on it in memory. Keeping it until something new is published is the
//! caller's part.

use super::{Publisher, plain_text, version_time};
use palisade_domain::alert::{AlertType, PublishedVersion};
use palisade_domain::clock::rfc3339_millis;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// The namespace of Palisade's name-based STIX ids.
pub(super) const PALISADE_NS: Uuid = Uuid::from_u128(0x6f0b_2a51_93c4_4d2e_8a71_5c3e_9b40_d1a7);
/// The namespace STIX 2.1 gives for observable ids.
const STIX_SCO_NS: Uuid = Uuid::from_u128(0x00ab_edb4_aa42_466c_9c01_fed2_3315_a9b7);
/// The TLP:WHITE marking definition, exactly as STIX 2.1 defines it.
pub const TLP_WHITE_ID: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// Most objects one page returns.
pub const MAX_PAGE: usize = 1000;

fn tlp_white() -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_WHITE_ID,
        "created": "2017-01-20T00:00:00.000Z",
        "definition_type": "tlp",
        "name": "TLP:WHITE",
        "definition": {"tlp": "white"},
    })
}

fn sdo_id(kind: &str, name: &str) -> String {
    format!("{kind}--{}", Uuid::new_v5(&PALISADE_NS, name.as_bytes()))
}

/// The id of the only collection.
pub fn collection_id() -> String {
    Uuid::new_v5(&PALISADE_NS, b"collection/alerts").to_string()
}

/// One version of one object in the collection.
#[derive(Debug, Clone)]
pub struct StixEntry {
    pub id: String,
    pub kind: String,
    /// The object's `modified` (or, for objects without one, when it was added).
    pub version: String,
    /// When it was added to the collection (milliseconds since the epoch).
    pub date_added_ms: i64,
    pub object: Arc<Value>,
    /// Whether this is the object's first (oldest) or last (newest) version in the collection.
    first: bool,
    last: bool,
}

impl StixEntry {
    /// An object added at `date_added_ms` (milliseconds since the epoch), as the only version
    /// of itself.
    pub fn new(object: Value, date_added_ms: i64) -> Self {
        let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_string);
        Self {
            id: text("id").unwrap_or_default(),
            kind: text("type").unwrap_or_default(),
            version: text("modified")
                .or_else(|| text("created"))
                .unwrap_or_else(|| ms_text(date_added_ms)),
            date_added_ms,
            object: Arc::new(object),
            first: true,
            last: true,
        }
    }

    pub fn date_added_text(&self) -> String {
        ms_text(self.date_added_ms)
    }

    fn key(&self) -> (i64, &str, &str) {
        (self.date_added_ms, &self.id, &self.version)
    }
}

/// Every object version in the collection, oldest added first.
#[derive(Debug)]
pub struct StixCatalog {
    entries: Vec<StixEntry>,
}

/// Which versions of each object a request wants (`match[version]`): any of the keywords and
/// exact times given, together (TAXII reads a list of them as "or"). Nothing given is `last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionMatch {
    pub all: bool,
    pub first: bool,
    pub last: bool,
    /// These exact versions (times as written in the objects).
    pub at: Vec<String>,
}

impl Default for VersionMatch {
    fn default() -> Self {
        Self {
            all: false,
            first: false,
            last: true,
            at: Vec::new(),
        }
    }
}

impl VersionMatch {
    /// Every version of every object.
    pub fn all() -> Self {
        Self {
            all: true,
            ..Self::default()
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut m = Self {
            last: false,
            ..Self::default()
        };
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "last" => m.last = true,
                "first" => m.first = true,
                "all" => m.all = true,
                t => m.at.push(ms_text(parse_time(t)?)),
            }
        }
        if !(m.all || m.first || !m.at.is_empty()) {
            m.last = true;
        }
        Ok(m)
    }

    fn wants(&self, e: &StixEntry) -> bool {
        self.all || (self.first && e.first) || (self.last && e.last) || self.at.contains(&e.version)
    }
}

/// What a TAXII request asks of the collection.
#[derive(Debug, Clone, Default)]
pub struct StixQuery {
    /// Only versions added strictly after this time (milliseconds since the epoch).
    pub added_after_ms: Option<i64>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub versions: VersionMatch,
    pub spec_versions: Vec<String>,
    pub limit: usize,
    /// Continue after the entry this token names.
    pub next: Option<String>,
}

impl StixQuery {
    /// Whether an entry passes the filters (everything but paging): spec version, id, type,
    /// version and `added_after`.
    pub fn admits(&self, e: &StixEntry) -> bool {
        (self.spec_versions.is_empty() || self.spec_versions.iter().any(|v| v == "2.1"))
            && (self.ids.is_empty() || self.ids.contains(&e.id))
            && (self.types.is_empty() || self.types.contains(&e.kind))
            && self.versions.wants(e)
            && self
                .added_after_ms
                .is_none_or(|after| e.date_added_ms > after)
    }
}

/// A page of entries.
#[derive(Debug, Clone)]
pub struct StixPage {
    pub entries: Vec<StixEntry>,
    pub more: bool,
    pub next: Option<String>,
}

impl StixPage {
    /// When the first and last entries of the page were added, for the TAXII headers.
    pub fn added_range(&self) -> Option<(String, String)> {
        Some((
            self.entries.first()?.date_added_text(),
            self.entries.last()?.date_added_text(),
        ))
    }
}

/// A TAXII timestamp (`2026-11-24T10:00:00.123Z`) as milliseconds since the epoch.
pub fn parse_time(raw: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| format!("'{raw}' is not an RFC 3339 time such as 2026-11-24T10:00:00.000Z"))
}

/// Milliseconds since the epoch as a STIX time (the same form as `version_time`).
fn ms_text(ms: i64) -> String {
    version_time(ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Marks each object's oldest and newest version (by the version's time).
fn mark_first_and_last(entries: &mut [StixEntry]) {
    let mut span: HashMap<String, (String, String)> = HashMap::new();
    for e in entries.iter() {
        let s = span
            .entry(e.id.clone())
            .or_insert_with(|| (e.version.clone(), e.version.clone()));
        if e.version < s.0 {
            s.0 = e.version.clone();
        }
        if e.version > s.1 {
            s.1 = e.version.clone();
        }
    }
    for e in entries.iter_mut() {
        let (first, last) = &span[&e.id];
        e.first = e.version == *first;
        e.last = e.version == *last;
    }
}

fn encode_next(e: &StixEntry) -> String {
    hex::encode(format!("{}|{}|{}", e.date_added_ms, e.id, e.version))
}

fn decode_next(token: &str) -> Result<(i64, String, String), String> {
    let bad = || format!("'{token}' is not a next token this server gave");
    let text = String::from_utf8(hex::decode(token).map_err(|_| bad())?).map_err(|_| bad())?;
    let mut parts = text.splitn(3, '|');
    let at = parts.next().and_then(|a| a.parse().ok()).ok_or_else(bad)?;
    let id = parts.next().ok_or_else(bad)?.to_string();
    let version = parts.next().ok_or_else(bad)?.to_string();
    Ok((at, id, version))
}

impl StixCatalog {
    /// The collection of every published version (oldest first): the publisher's `identity`
    /// and the TLP:WHITE marking, added with the first, then each version's objects.
    pub fn build(p: Publisher<'_>, versions: &[PublishedVersion]) -> Self {
        let mut entries = Vec::new();
        if let Some(first) = versions.first() {
            entries.push(StixEntry::new(identity(p, first.at), first.at * 1000));
            entries.push(StixEntry::new(tlp_white(), first.at * 1000));
        }
        let mut software_seen = HashSet::new();
        for v in versions {
            for object in objects(p, v) {
                let entry = StixEntry::new(object, v.at * 1000);
                if entry.kind == "software" && !software_seen.insert(entry.id.clone()) {
                    continue;
                }
                entries.push(entry);
            }
        }
        entries.sort_by(|a, b| a.key().cmp(&b.key()));
        mark_first_and_last(&mut entries);
        Self { entries }
    }

    /// Whether the collection has any version of the object with this id.
    pub fn has_object(&self, id: &str) -> bool {
        self.entries.iter().any(|e| e.id == id)
    }

    /// Versions matching `q` (ignoring paging), oldest added first.
    fn select(&self, q: &StixQuery) -> Vec<&StixEntry> {
        // Entries are kept in (date added, id, version) order; filtering keeps that order.
        self.entries.iter().filter(|e| q.admits(e)).collect()
    }

    /// A page of the versions matching `q`; an error names a `next` token this collection did
    /// not give.
    pub fn page(&self, q: &StixQuery) -> Result<StixPage, String> {
        let all = self.select(q);
        let start = match &q.next {
            None => 0,
            Some(token) => {
                let (at, id, version) = decode_next(token)?;
                all.partition_point(|e| e.key() <= (at, id.as_str(), version.as_str()))
            }
        };
        let limit = q.limit.clamp(1, MAX_PAGE);
        let rest = &all[start.min(all.len())..];
        let entries: Vec<StixEntry> = rest.iter().take(limit).map(|e| (*e).clone()).collect();
        let more = rest.len() > entries.len();
        Ok(StixPage {
            next: if more {
                entries.last().map(encode_next)
            } else {
                None
            },
            more,
            entries,
        })
    }

    /// A page of one object's versions that match `q` (every version with `all_versions`),
    /// oldest first.
    pub fn object_page(
        &self,
        id: &str,
        q: &StixQuery,
        all_versions: bool,
    ) -> Result<StixPage, String> {
        let mut q = q.clone();
        q.ids = vec![id.to_string()];
        if all_versions {
            q.versions = VersionMatch::all();
        }
        self.page(&q)
    }

    /// The whole collection as one STIX bundle (every version of every object). `name` names
    /// this state of the collection: the same name gives the same bundle id.
    pub fn bundle(&self, name: &str) -> Value {
        let objects: Vec<Value> = self.entries.iter().map(|e| (*e.object).clone()).collect();
        json!({
            "type": "bundle",
            "id": format!("bundle--{}", Uuid::new_v5(&PALISADE_NS, format!("bundle/{name}").as_bytes())),
            "objects": objects,
        })
    }
}

fn identity_id() -> String {
    sdo_id("identity", "identity/publisher")
}

fn identity(p: Publisher<'_>, created: i64) -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id(),
        "created": rfc3339_millis(created),
        "modified": rfc3339_millis(created),
        "name": p.name,
        "identity_class": "organization",
        "sectors": ["healthcare"],
        "contact_information": p.link("/public/alerts"),
        "object_marking_refs": [TLP_WHITE_ID],
    })
}

/// The objects one published version of an alert consists of.
pub fn objects(p: Publisher<'_>, v: &PublishedVersion) -> Vec<Value> {
    let f = &v.fields;
    let r = &v.reference;
    let common = |kind: &str, key: &str| {
        json!({
            "type": kind,
            "spec_version": "2.1",
            "id": sdo_id(kind, &format!("{r}/{key}")),
            "created": rfc3339_millis(v.first_published_at),
            "modified": version_time(v.at, v.version),
            "created_by_ref": identity_id(),
            "object_marking_refs": [TLP_WHITE_ID],
        })
    };
    let mut out = Vec::new();
    let mut vulnerabilities = Vec::new();
    for cve in &f.cves {
        let mut o = common("vulnerability", cve.as_str());
        o["name"] = json!(cve.as_str());
        o["description"] = json!(f.summary);
        o["external_references"] = json!([{"source_name": "cve", "external_id": cve.as_str()}]);
        vulnerabilities.push(o);
    }
    let mut software = Vec::new();
    for product in &f.products {
        let mut contributing = BTreeMap::new();
        contributing.insert("name", product.name.clone());
        if let Some(cpe) = &product.cpe {
            contributing.insert("cpe", cpe.as_str().to_string());
        }
        // RFC 8785 canonical JSON of the contributing properties: keys sorted, no spaces.
        let canonical = serde_json::to_string(&contributing).unwrap_or_default();
        let mut o = json!({
            "type": "software",
            "spec_version": "2.1",
            "id": format!("software--{}", Uuid::new_v5(&STIX_SCO_NS, canonical.as_bytes())),
            "name": product.name,
        });
        if let Some(cpe) = &product.cpe {
            o["cpe"] = json!(cpe.as_str());
        }
        software.push(o);
    }
    let mut refs: Vec<Value> = Vec::new();
    if !f.remediation.is_empty() {
        let mut coa = common("course-of-action", "remediation");
        coa["name"] = json!(format!("What to do about {r}"));
        coa["description"] = json!(f.remediation);
        for vuln in &vulnerabilities {
            let mut rel = common(
                "relationship",
                &format!("mitigates/{}", vuln["name"].as_str().unwrap_or_default()),
            );
            rel["relationship_type"] = json!("mitigates");
            rel["source_ref"] = coa["id"].clone();
            rel["target_ref"] = vuln["id"].clone();
            refs.push(rel["id"].clone());
            out.push(rel);
        }
        refs.push(coa["id"].clone());
        out.push(coa);
    }
    refs.extend(vulnerabilities.iter().map(|o| o["id"].clone()));
    refs.extend(software.iter().map(|o| o["id"].clone()));
    if refs.is_empty() {
        refs.push(json!(identity_id()));
    }
    let mut report = common("report", "report");
    report["name"] = json!(format!("{r}: {}", f.title));
    // The link goes in the text: an external reference with a URL would need a hash of
    // what it points at, and the page changes with each version.
    report["description"] = json!(format!(
        "{}\nThe alert: {}\n",
        plain_text(f, &v.changed),
        p.alert_link(r)
    ));
    report["published"] = json!(rfc3339_millis(v.first_published_at));
    report["report_types"] = json!([match f.alert_type {
        AlertType::Vulnerability => "vulnerability",
        AlertType::AttackMethodology => "attack-pattern",
        AlertType::ThreatBulletin | AlertType::Advisory => "threat-report",
    }]);
    let mut labels = vec![format!(
        "severity-{}",
        f.severity.as_str().replace('_', "-")
    )];
    if f.exploited {
        labels.push("exploited".into());
    }
    report["labels"] = json!(labels);
    report["external_references"] = json!([{
        "source_name": p.name,
        "external_id": r,
    }]);
    report["object_refs"] = Value::Array(refs);
    let mut objects = vec![report];
    objects.extend(vulnerabilities);
    objects.extend(out);
    objects.extend(software);
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_matches_default_to_the_last_version() {
        assert_eq!(VersionMatch::parse("").unwrap(), VersionMatch::default());
        let m = VersionMatch::parse("first, 2024-07-14T09:30:00.002Z").unwrap();
        assert!(m.first && !m.last && !m.all);
        assert_eq!(m.at, vec!["2024-07-14T09:30:00.002Z".to_string()]);
        assert!(VersionMatch::parse("yesterday").is_err());
    }

    #[test]
    fn next_tokens_name_an_entry_and_refuse_anything_else() {
        let e = StixEntry::new(
            json!({"type": "report", "id": "report--1", "modified": "2024-07-14T09:30:00.002Z"}),
            1_720_949_400_000,
        );
        assert_eq!(
            decode_next(&encode_next(&e)).unwrap(),
            (1_720_949_400_000, "report--1".into(), e.version.clone())
        );
        assert!(decode_next("zz").is_err());
        assert!(decode_next(&hex::encode("x|y")).is_err());
    }
}
