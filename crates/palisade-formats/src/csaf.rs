//! CSAF 2.0 advisories read as alerts: another publisher's advisory becomes an alert's fields.
//!
//! Only what an alert holds is read: title, severity (the aggregate severity, else the highest
//! CVSS base score), notes, CVEs, products with a CPE or package URL, remediations and whether
//! exploitation is known. Unknown fields are ignored, as CSAF documents carry much more.
//!
//! Products are read as the CSAF 2.0 product tree defines them: a product under a
//! `product_version` branch is that version, one under a `product_version_range` branch is that
//! range (`vers:`, or a comparator form such as `<4.2` or `>=1.0 <2.0`), and a relationship's
//! product takes its identifiers and versions from the product it refers to when it has none of
//! its own. Only products a vulnerability's `product_status` lists as affected
//! (`known_affected`, `first_affected`, `last_affected`) are kept: `fixed`, `first_fixed`,
//! `known_not_affected` and `recommended` products are not exposed, and `under_investigation`
//! ones are noted. A document that gives no product status at all is read as affecting every
//! product it names.

use palisade_domain::FieldErrors;
use palisade_domain::alert::{AlertInput, MAX_CVES, ProductInput, Severity};
use palisade_domain::error::one_line;
use palisade_domain::ident::{Cpe23, Purl};
use serde::Deserialize;
use std::collections::HashSet;

/// Most products taken from one advisory's product tree.
pub const MAX_IMPORTED_PRODUCTS: usize = 50;

/// The longest body and remediation an alert holds.
const BODY_MAX: usize = 20_000;
const REMEDIATION_MAX: usize = 10_000;

#[derive(Deserialize)]
struct Csaf {
    document: Document,
    #[serde(default)]
    product_tree: Option<ProductTree>,
    #[serde(default)]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Deserialize)]
struct Document {
    category: String,
    csaf_version: String,
    title: String,
    tracking: Tracking,
    #[serde(default)]
    aggregate_severity: Option<Text>,
    #[serde(default)]
    notes: Vec<Note>,
    publisher: Publisher,
    #[serde(default)]
    distribution: Option<Distribution>,
}

#[derive(Deserialize)]
struct Distribution {
    #[serde(default)]
    tlp: Option<TlpLabel>,
}

#[derive(Deserialize)]
struct TlpLabel {
    label: String,
}

#[derive(Deserialize)]
struct Tracking {
    id: String,
}

#[derive(Deserialize)]
struct Publisher {
    name: String,
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

#[derive(Deserialize)]
struct Note {
    category: String,
    text: String,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize, Default)]
struct ProductTree {
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    full_product_names: Vec<FullProductName>,
    #[serde(default)]
    relationships: Vec<Relationship>,
}

#[derive(Deserialize)]
struct Branch {
    #[serde(default)]
    category: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    product: Option<FullProductName>,
}

#[derive(Deserialize)]
struct Relationship {
    #[serde(default)]
    product_reference: String,
    full_product_name: FullProductName,
}

#[derive(Deserialize)]
struct FullProductName {
    name: String,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    product_identification_helper: Option<Helper>,
}

#[derive(Deserialize)]
struct Helper {
    #[serde(default)]
    cpe: Option<String>,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct Vulnerability {
    #[serde(default)]
    cve: Option<String>,
    #[serde(default)]
    product_status: Option<ProductStatus>,
    #[serde(default)]
    remediations: Vec<Remediation>,
    #[serde(default)]
    threats: Vec<Threat>,
    #[serde(default)]
    scores: Vec<Score>,
}

/// Product ids by status (CSAF 2.0, 3.2.3.9).
#[derive(Deserialize, Default)]
struct ProductStatus {
    #[serde(default)]
    known_affected: Vec<String>,
    #[serde(default)]
    first_affected: Vec<String>,
    #[serde(default)]
    last_affected: Vec<String>,
    #[serde(default)]
    fixed: Vec<String>,
    #[serde(default)]
    first_fixed: Vec<String>,
    #[serde(default)]
    known_not_affected: Vec<String>,
    #[serde(default)]
    recommended: Vec<String>,
    #[serde(default)]
    under_investigation: Vec<String>,
}

#[derive(Deserialize)]
struct Remediation {
    category: String,
    details: String,
}

#[derive(Deserialize)]
struct Threat {
    category: String,
    details: String,
}

#[derive(Deserialize)]
struct Score {
    #[serde(default)]
    cvss_v3: Option<BaseScore>,
    #[serde(default)]
    cvss_v2: Option<BaseScore>,
}

#[derive(Deserialize)]
struct BaseScore {
    #[serde(rename = "baseScore")]
    base_score: f64,
}

/// The alert an advisory describes, with notes on what was left out.
pub fn alert_from_csaf(
    bytes: &[u8],
) -> Result<(AlertInput, String, String, Vec<String>), FieldErrors> {
    // serde's message already says where ("... at line 1 column 14").
    let doc: Csaf = serde_json::from_slice(bytes)
        .map_err(|e| FieldErrors::one("document", format!("not a CSAF 2.0 document: {e}")))?;
    let d = &doc.document;
    if d.csaf_version != "2.0" {
        return Err(FieldErrors::one(
            "document.csaf_version",
            format!("'{}' is not 2.0", d.csaf_version),
        ));
    }
    // What is imported reaches every organisation, and an alert made of it is published to
    // anyone: a document marked for a narrower audience is refused, not relabelled.
    if let Some(tlp) = d.distribution.as_ref().and_then(|x| x.tlp.as_ref())
        && !matches!(
            tlp.label.trim().to_ascii_uppercase().as_str(),
            "WHITE" | "CLEAR"
        )
    {
        return Err(FieldErrors::one(
            "document.distribution.tlp.label",
            format!(
                "the advisory is marked TLP:{}; only TLP:WHITE (CLEAR) advisories can be \
                 imported, as what Palisade imports is shared with every organisation and \
                 published alerts with anyone",
                one_line(&tlp.label, 20)
            ),
        ));
    }
    let mut notes = Vec::new();
    let severity = severity_of(&doc);
    let summary = d
        .notes
        .iter()
        .find(|n| n.category == "summary")
        .or_else(|| d.notes.iter().find(|n| n.category == "description"))
        .map_or_else(|| d.title.clone(), |n| n.text.clone());
    // Text is gathered only up to what the alert holds, so a huge advisory costs no more.
    let mut body = String::new();
    for n in &d.notes {
        if body.len() > BODY_MAX {
            break;
        }
        if let Some(t) = &n.title {
            body.push_str(&format!("{t}\n"));
        }
        body.push_str(&format!("{}\n\n", n.text.trim()));
    }
    body.push_str(&format!(
        "Imported from {} advisory {}.",
        d.publisher.name, d.tracking.id
    ));
    let mut cves: Vec<String> = Vec::new();
    let mut seen_cves = HashSet::new();
    let mut remediation = String::new();
    let mut seen_steps = HashSet::new();
    let mut exploited = false;
    for v in &doc.vulnerabilities {
        if let Some(c) = &v.cve
            && seen_cves.insert(c.as_str())
        {
            cves.push(c.clone());
        }
        for r in &v.remediations {
            let line = format!("{}: {}\n", r.category.replace('_', " "), r.details.trim());
            if remediation.len() <= REMEDIATION_MAX && seen_steps.insert(line.clone()) {
                remediation.push_str(&line);
            }
        }
        exploited |= v
            .threats
            .iter()
            .any(|t| t.category == "exploit_status" && reports_exploitation(&t.details));
    }
    if cves.len() > MAX_CVES {
        notes.push(format!(
            "the advisory names {} CVEs; the first {MAX_CVES} were kept",
            cves.len()
        ));
        cves.truncate(MAX_CVES);
    }
    let mut products = affected_products(&doc, &mut notes);
    if products.len() > MAX_IMPORTED_PRODUCTS {
        notes.push(format!(
            "the advisory names {} products; the first {MAX_IMPORTED_PRODUCTS} were kept",
            products.len()
        ));
        products.truncate(MAX_IMPORTED_PRODUCTS);
    }
    if body.chars().count() > BODY_MAX {
        notes.push("the advisory's notes were shortened to fit".into());
    }
    if remediation.chars().count() > REMEDIATION_MAX {
        notes.push("the advisory's remediations were shortened to fit".into());
    }
    let input = AlertInput {
        title: one_line(&d.title, 200),
        severity: severity.as_str().into(),
        alert_type: if d.category == "csaf_informational_advisory" {
            "advisory".into()
        } else {
            "vulnerability".into()
        },
        summary: one_line(&summary, 1000),
        body: clip(&body, BODY_MAX),
        cves,
        products,
        exploited,
        remediation: clip(&remediation, REMEDIATION_MAX),
        response_required: matches!(severity, Severity::High | Severity::Medium),
        ..AlertInput::default()
    };
    Ok((
        input,
        d.tracking.id.clone(),
        d.publisher.name.clone(),
        notes,
    ))
}

/// The versions a product-tree branch gives the products beneath it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Versions {
    Exactly(String),
    Range(String),
}

/// A product of the tree with what identifies it and the versions its branches give.
struct TreeProduct<'a> {
    product: &'a FullProductName,
    versions: Option<Versions>,
    /// For a relationship's product: the product it refers to.
    refers_to: Option<&'a str>,
}

fn collect_products<'a>(
    branches: &'a [Branch],
    versions: Option<&Versions>,
    out: &mut Vec<TreeProduct<'a>>,
) {
    for b in branches {
        let here = match b.category.as_str() {
            "product_version" => Some(Versions::Exactly(b.name.trim().to_string())),
            "product_version_range" => Some(Versions::Range(b.name.trim().to_string())),
            _ => versions.cloned(),
        };
        if let Some(p) = &b.product {
            out.push(TreeProduct {
                product: p,
                versions: here.clone(),
                refers_to: None,
            });
        }
        collect_products(&b.branches, here.as_ref(), out);
    }
}

/// A CSAF version range as `vers` in `scheme`: `vers:` as written (`vers:all/*` is every
/// version), or a comparator form (`<4.2`, `>=1.0 <2.0`, `>= 1.0, < 2.0`).
fn range_as_vers(range: &str, scheme: &str) -> Option<String> {
    if let Some(rest) = range.strip_prefix("vers:") {
        let (_, constraints) = rest.split_once('/')?;
        return Some(format!("vers:{scheme}/{}", constraints.trim()));
    }
    // Comparators and versions, however spaced: "<= 4.2", ">=1.0 <2.0", ">1, <2".
    let mut parts = Vec::new();
    let mut pending: Option<&str> = None;
    for token in range
        .split(|c: char| c.is_whitespace() || c == ',' || c == '&')
        .filter(|t| !t.is_empty())
    {
        let op = ["<=", ">=", "!=", "<", ">", "="]
            .into_iter()
            .find(|op| token.starts_with(op));
        match (pending.take(), op) {
            (Some(p), None) => parts.push(format!("{p}{token}")),
            (None, Some(op)) if token.len() == op.len() => pending = Some(op),
            (None, Some(_)) => parts.push(token.to_string()),
            _ => return None,
        }
    }
    if pending.is_some()
        || parts.is_empty()
        || !parts.iter().all(|p| p.starts_with(['<', '>', '=', '!']))
    {
        return None;
    }
    Some(format!("vers:{scheme}/{}", parts.join("|")))
}

/// The products the advisory's vulnerabilities list as affected, each with its identifiers and
/// versions; what is left out, and why, goes in `notes`.
fn affected_products(doc: &Csaf, notes: &mut Vec<String>) -> Vec<ProductInput> {
    let Some(tree) = &doc.product_tree else {
        return Vec::new();
    };
    let mut found = Vec::new();
    collect_products(&tree.branches, None, &mut found);
    found.extend(tree.full_product_names.iter().map(|p| TreeProduct {
        product: p,
        versions: None,
        refers_to: None,
    }));
    found.extend(tree.relationships.iter().map(|r| TreeProduct {
        product: &r.full_product_name,
        versions: None,
        refers_to: Some(r.product_reference.as_str()),
    }));
    let by_id: std::collections::HashMap<&str, usize> = found
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.product.product_id.is_empty())
        .map(|(i, f)| (f.product.product_id.as_str(), i))
        .collect();

    // Which products are affected, by the vulnerabilities' statuses.
    let statuses: Vec<&ProductStatus> = doc
        .vulnerabilities
        .iter()
        .filter_map(|v| v.product_status.as_ref())
        .collect();
    let affected: HashSet<&str> = statuses
        .iter()
        .flat_map(|s| [&s.known_affected, &s.first_affected, &s.last_affected])
        .flatten()
        .map(String::as_str)
        .collect();
    let unaffected: HashSet<&str> = statuses
        .iter()
        .flat_map(|s| {
            [
                &s.fixed,
                &s.first_fixed,
                &s.known_not_affected,
                &s.recommended,
            ]
        })
        .flatten()
        .map(String::as_str)
        .collect();
    let investigating: HashSet<&str> = statuses
        .iter()
        .flat_map(|s| &s.under_investigation)
        .map(String::as_str)
        .filter(|id| !affected.contains(id) && !unaffected.contains(id))
        .collect();
    let by_status = !statuses.is_empty();
    if !by_status && !found.is_empty() {
        notes.push(
            "the advisory gives no product status: every product it names is taken as affected"
                .into(),
        );
    }
    if !investigating.is_empty() {
        notes.push(format!(
            "{} product(s) under investigation were left out until the publisher says they are affected",
            investigating.len()
        ));
    }

    let mut out: Vec<ProductInput> = Vec::new();
    let mut seen = HashSet::new();
    let (mut skipped, mut not_affected, mut unreadable) = (0, 0, 0);
    for f in &found {
        let id = f.product.product_id.as_str();
        if by_status && !affected.contains(id) {
            if unaffected.contains(id) {
                not_affected += 1;
            }
            continue;
        }
        // A relationship's product without identifiers of its own is the product it refers to.
        let source = match (&f.product.product_identification_helper, f.refers_to) {
            (None, Some(r)) => by_id.get(r).map(|i| &found[*i]).unwrap_or(f),
            _ => f,
        };
        let Some(h) = &source.product.product_identification_helper else {
            skipped += 1;
            continue;
        };
        let cpe = h
            .cpe
            .as_deref()
            .and_then(|c| Cpe23::parse(c).or_else(|_| Cpe23::from_uri(c)).ok());
        let purl = h.purl.as_deref().and_then(|p| Purl::parse(p).ok());
        if cpe.is_none() && purl.is_none() {
            skipped += 1;
            continue;
        }
        let scheme = purl
            .as_ref()
            .map_or("generic", |p| p.purl_type())
            .to_string();
        let vers = match f.versions.as_ref().or(source.versions.as_ref()) {
            None => None,
            Some(Versions::Exactly(v)) => Some(format!("vers:{scheme}/{v}")),
            Some(Versions::Range(r)) => match range_as_vers(r, &scheme) {
                Some(v) => Some(v),
                None => {
                    unreadable += 1;
                    continue;
                }
            },
        };
        // The range must be one the product's ecosystem can order, or it would match nothing.
        let checked = palisade_domain::alert::AffectedProduct {
            name: String::new(),
            cpe: cpe.clone(),
            purl: purl.clone(),
            vers: match vers.as_deref().map(palisade_domain::ident::Vers::parse) {
                Some(Ok(v)) => Some(v),
                Some(Err(_)) => {
                    unreadable += 1;
                    continue;
                }
                None => None,
            },
        };
        if palisade_domain::exposure::rules_for_product(&checked).is_err() {
            unreadable += 1;
            continue;
        }
        let cpe = cpe.map(|c| c.as_str().to_string());
        let purl = purl.map(|p| p.as_str().to_string());
        if seen.insert((cpe.clone(), purl.clone(), vers.clone())) {
            out.push(ProductInput {
                name: one_line(&f.product.name, 200),
                cpe,
                purl,
                vers,
            });
        }
    }
    if not_affected > 0 {
        notes.push(format!(
            "{not_affected} product(s) fixed, not affected or recommended are not exposed"
        ));
    }
    if skipped > 0 {
        notes.push(format!(
            "{skipped} product(s) had identifiers that are not a CPE or package URL and were left out"
        ));
    }
    if unreadable > 0 {
        notes.push(format!(
            "{unreadable} product(s) had a version range Palisade cannot read in their ecosystem and were left out"
        ));
    }
    out
}

/// The advisory's aggregate severity in Palisade's terms, else its highest CVSS base score's.
fn severity_of(doc: &Csaf) -> Severity {
    if let Some(s) = &doc.document.aggregate_severity {
        match s.text.trim().to_ascii_lowercase().as_str() {
            "critical" | "important" | "high" => return Severity::High,
            "moderate" | "medium" => return Severity::Medium,
            "low" => return Severity::Low,
            _ => {}
        }
    }
    let best = doc
        .vulnerabilities
        .iter()
        .flat_map(|v| &v.scores)
        .filter_map(|s| s.cvss_v3.as_ref().or(s.cvss_v2.as_ref()))
        .map(|s| s.base_score)
        .fold(0.0_f64, f64::max);
    if best >= 7.0 {
        Severity::High
    } else if best >= 4.0 {
        Severity::Medium
    } else if best > 0.0 {
        Severity::Low
    } else {
        Severity::InformationOnly
    }
}

/// Whether an `exploit_status` threat says the flaw is being exploited: positive wording
/// ("exploited in the wild", "active exploitation") without a negation or doubt ("no known
/// exploitation", "unknown"). A proof of concept alone is not exploitation.
fn reports_exploitation(details: &str) -> bool {
    let d = details.to_lowercase();
    let positive = [
        "exploited",
        "exploitation",
        "in the wild",
        "actively",
        "attacks",
    ]
    .iter()
    .any(|p| d.contains(p));
    let doubted = d.starts_with("no")
        || ["not ", "no ", "none", "unknown", "unlikely", "unconfirmed"]
            .iter()
            .any(|n| d.contains(n));
    positive && !doubted
}

/// `text` trimmed to at most `max` characters, on a character boundary.
fn clip(text: &str, max: usize) -> String {
    // Paragraphs keep their line breaks and tabs; other control characters go.
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let t = t.as_str();
    match t.char_indices().nth(max) {
        Some((i, _)) => t[..i].trim_end().to_string(),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An advisory in the shapes CSAF 2.0 defines: a vendor's product with a version range and
    /// a fixed version under branches, an exact version, a product only by relationship, and
    /// statuses saying which are affected.
    fn tree_doc(with_status: bool) -> Vec<u8> {
        let leaf = |category: &str, name: &str, id: &str, helper: serde_json::Value| {
            serde_json::json!({"category": category, "name": name,
                "product": {"product_id": id, "name": format!("Gw {name}"), "product_identification_helper": helper}})
        };
        let purl = |p: &str| serde_json::json!({"purl": p});
        let mut d = serde_json::json!({
            "document": {
                "category": "csaf_security_advisory", "csaf_version": "2.0", "title": "Gateway flaw",
                "publisher": {"name": "P", "category": "vendor", "namespace": "https://p.example"},
                "tracking": {"id": "P-2"},
            },
            "product_tree": {
                "branches": [{"category": "vendor", "name": "Example", "branches": [
                    {"category": "product_name", "name": "gw", "branches": [
                        leaf("product_version_range", "vers:npm/>=1.0.0|<2.0.0", "GW-RANGE", purl("pkg:npm/gw")),
                        leaf("product_version", "2.0.0", "GW-FIXED", purl("pkg:npm/gw@2.0.0")),
                        leaf("product_version", "0.9.0", "GW-OLD", purl("pkg:npm/gw@0.9.0")),
                    ]},
                    {"category": "product_name", "name": "lib", "branches": [
                        leaf("product_version_range", ">= 3.0, < 3.4", "LIB-RANGE", purl("pkg:pypi/lib")),
                    ]},
                    {"category": "product_name", "name": "os", "branches": [
                        leaf("product_version", "4.6", "OS-46", serde_json::json!({"cpe": "cpe:/a:redhat:openshift:4.6::el8"})),
                    ]},
                    {"category": "product_name", "name": "tool", "branches": [
                        leaf("product_version_range", "all of them", "TOOL", purl("pkg:npm/tool")),
                    ]},
                ]}],
                "relationships": [{"category": "default_component_of", "product_reference": "GW-RANGE",
                    "relates_to_product_reference": "OS-46",
                    "full_product_name": {"product_id": "OS-46:GW-RANGE", "name": "gw on os"}}],
            },
            "vulnerabilities": [{"cve": "CVE-2024-0002"}],
        });
        if with_status {
            d["vulnerabilities"][0]["product_status"] = serde_json::json!({
                "known_affected": ["GW-RANGE", "LIB-RANGE", "OS-46", "OS-46:GW-RANGE", "TOOL"],
                "fixed": ["GW-FIXED"], "known_not_affected": ["GW-OLD"],
                "under_investigation": ["GW-OLD"],
            });
        }
        serde_json::to_vec(&d).unwrap()
    }

    /// Whether the products name `purl`'s identity at `version`.
    fn names(products: &[ProductInput], purl: &str, version: &str) -> bool {
        let identity = palisade_domain::exposure::Identity::of_purl(&Purl::parse(purl).unwrap());
        products.iter().any(|p| {
            let product = palisade_domain::alert::AffectedProduct {
                name: p.name.clone(),
                cpe: p.cpe.as_deref().map(|c| Cpe23::parse(c).unwrap()),
                purl: p.purl.as_deref().map(|c| Purl::parse(c).unwrap()),
                vers: p
                    .vers
                    .as_deref()
                    .map(|v| palisade_domain::ident::Vers::parse(v).unwrap()),
            };
            palisade_domain::exposure::rules_for_product(&product)
                .unwrap()
                .iter()
                .any(|r| r.names(&identity, Some(version)))
        })
    }

    #[test]
    fn the_product_tree_gives_versions_and_the_statuses_decide() {
        let (input, _, _, notes) = alert_from_csaf(&tree_doc(true)).unwrap();
        let p = &input.products;
        // The range is affected; the fixed and the not-affected versions are not.
        assert!(names(p, "pkg:npm/gw", "1.5.0") && names(p, "pkg:npm/gw", "1.0.0"));
        assert!(!names(p, "pkg:npm/gw", "2.0.0"), "fixed");
        assert!(!names(p, "pkg:npm/gw", "0.9.0"), "known not affected");
        // A comparator range, read in the package's order.
        assert!(names(p, "pkg:pypi/lib", "3.2") && !names(p, "pkg:pypi/lib", "3.4"));
        // A CPE URI becomes a CPE 2.3 name, with its branch's version.
        let os = p.iter().find(|x| x.cpe.is_some()).unwrap();
        assert_eq!(
            os.cpe.as_deref(),
            Some("cpe:2.3:a:redhat:openshift:4.6:*:el8:*:*:*:*:*")
        );
        assert_eq!(os.vers.as_deref(), Some("vers:generic/4.6"));
        // The relationship's product is the range it refers to: no second entry.
        assert_eq!(
            p.iter()
                .filter(|x| x.purl.as_deref() == Some("pkg:npm/gw"))
                .count(),
            1,
            "{p:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("2 product(s) fixed, not affected")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("1 product(s) had a version range")),
            "{notes:?}"
        );
        assert!(
            !notes.iter().any(|n| n.contains("under investigation")),
            "GW-OLD is settled"
        );
    }

    #[test]
    fn without_statuses_every_product_is_affected_and_said_so() {
        let (input, _, _, notes) = alert_from_csaf(&tree_doc(false)).unwrap();
        assert!(names(&input.products, "pkg:npm/gw", "2.0.0"));
        assert!(
            notes.iter().any(|n| n.contains("no product status")),
            "{notes:?}"
        );
    }

    #[test]
    fn comparator_ranges_become_vers() {
        assert_eq!(
            range_as_vers(">4.2", "npm").as_deref(),
            Some("vers:npm/>4.2")
        );
        assert_eq!(
            range_as_vers(">= 1.0, < 2.0", "pypi").as_deref(),
            Some("vers:pypi/>=1.0|<2.0")
        );
        assert_eq!(
            range_as_vers("vers:all/*", "maven").as_deref(),
            Some("vers:maven/*")
        );
        assert_eq!(range_as_vers("all versions", "npm"), None);
        assert_eq!(range_as_vers("<", "npm"), None);
    }

    fn doc(aggregate: Option<&str>, scores: &[f64]) -> Vec<u8> {
        let mut d = serde_json::json!({
            "document": {
                "category": "csaf_base", "csaf_version": "2.0", "title": "T\nitle",
                "publisher": {"name": "P", "category": "vendor", "namespace": "https://p.example"},
                "tracking": {"id": "P-1"},
                "notes": [{"category": "summary", "text": "One\n  two"}],
            },
            "vulnerabilities": [{"cve": "CVE-2024-0001", "scores": scores.iter().map(|s| serde_json::json!({
                "products": ["X"], "cvss_v3": {"baseScore": s},
            })).collect::<Vec<_>>()}],
        });
        if let Some(a) = aggregate {
            d["document"]["aggregate_severity"] = serde_json::json!({"text": a});
        }
        serde_json::to_vec(&d).unwrap()
    }

    fn severity(aggregate: Option<&str>, scores: &[f64]) -> String {
        alert_from_csaf(&doc(aggregate, scores)).unwrap().0.severity
    }

    #[test]
    fn severity_follows_the_aggregate_then_the_highest_score_at_its_edges() {
        assert_eq!(severity(Some("Important"), &[1.0]), "high");
        assert_eq!(severity(Some("Moderate"), &[9.8]), "medium");
        assert_eq!(severity(Some("unknown words"), &[7.0]), "high");
        assert_eq!(severity(None, &[6.9, 7.0]), "high");
        assert_eq!(severity(None, &[6.9]), "medium");
        assert_eq!(severity(None, &[4.0]), "medium");
        assert_eq!(severity(None, &[3.9]), "low");
        assert_eq!(severity(None, &[0.1]), "low");
        assert_eq!(severity(None, &[]), "information_only");
    }

    #[test]
    fn only_advisories_anyone_may_read_are_imported() {
        let marked = |label: &str| {
            let mut d: serde_json::Value = serde_json::from_slice(&doc(None, &[9.0])).unwrap();
            d["document"]["distribution"] = serde_json::json!({"tlp": {"label": label}});
            alert_from_csaf(&serde_json::to_vec(&d).unwrap())
        };
        for open in ["WHITE", "CLEAR"] {
            assert!(marked(open).is_ok(), "{open}");
        }
        for narrower in ["GREEN", "AMBER", "AMBER+STRICT", "RED"] {
            let errs = marked(narrower)
                .err()
                .unwrap_or_else(|| panic!("{narrower}"));
            assert_eq!(errs.0[0].field, "document.distribution.tlp.label");
            assert!(errs.0[0].message.contains(narrower), "{errs:?}");
        }
        assert!(alert_from_csaf(&doc(None, &[9.0])).is_ok(), "no marking");
    }

    #[test]
    fn titles_and_summaries_are_one_line_and_only_serious_ones_need_a_response() {
        let (input, id, publisher, _) = alert_from_csaf(&doc(None, &[9.0])).unwrap();
        assert_eq!(
            (input.title.as_str(), input.summary.as_str()),
            ("T itle", "One two")
        );
        assert_eq!((id.as_str(), publisher.as_str()), ("P-1", "P"));
        assert!(input.response_required);
        assert!(
            !alert_from_csaf(&doc(None, &[3.0]))
                .unwrap()
                .0
                .response_required
        );
        assert_eq!(clip("  abcdef ", 3), "abc");
        assert_eq!(clip("éé", 1), "é");
    }

    #[test]
    fn only_clear_reports_of_exploitation_count_as_exploited() {
        for yes in [
            "Exploited in the wild",
            "Active exploitation has been reported",
            "Used in targeted attacks",
        ] {
            assert!(reports_exploitation(yes), "{yes}");
        }
        for no in [
            "Unknown",
            "No known exploitation",
            "Proof of concept available",
            "Exploitation is unlikely",
            "none",
        ] {
            assert!(!reports_exploitation(no), "{no}");
        }
    }

    #[test]
    fn large_advisories_are_cut_to_what_an_alert_holds_with_notes() {
        let mut d: serde_json::Value = serde_json::from_slice(&doc(None, &[9.0])).unwrap();
        let product = |n: usize| {
            serde_json::json!({"name": format!("Product\t{n}"), "product_id": format!("P{n}"),
                "product_identification_helper": {"purl": format!("pkg:npm/p{n}")}})
        };
        let vuln = |n: usize| {
            serde_json::json!({"cve": format!("CVE-2026-{}", 10_000 + n),
                "remediations": [{"category": "vendor_fix", "details": format!("{n} {}", "x".repeat(400)), "product_ids": ["P0"]}]})
        };
        d["document"]["title"] = serde_json::json!("Bell\u{7} title");
        d["document"]["notes"] =
            serde_json::json!([{"category": "description", "text": "y".repeat(30_000)}]);
        let limit = |n: usize| {
            let mut d = d.clone();
            d["product_tree"] =
                serde_json::json!({"full_product_names": (0..n).map(product).collect::<Vec<_>>()});
            d["vulnerabilities"] = (0..n.max(1) * 3).map(vuln).collect();
            alert_from_csaf(&serde_json::to_vec(&d).unwrap()).unwrap()
        };
        let (input, _, _, notes) = limit(MAX_IMPORTED_PRODUCTS);
        assert_eq!(input.products.len(), MAX_IMPORTED_PRODUCTS);
        assert!(!notes.iter().any(|n| n.contains("products;")), "{notes:?}");
        assert_eq!(input.title, "Bell title", "control characters go");
        assert_eq!(input.products[0].name, "Product 0");
        assert!(
            input.clone().validate().is_ok(),
            "the draft is a valid alert"
        );
        let (input, _, _, notes) = limit(MAX_IMPORTED_PRODUCTS + 1);
        assert_eq!(input.products.len(), MAX_IMPORTED_PRODUCTS);
        assert_eq!(input.cves.len(), MAX_CVES);
        assert!(input.body.chars().count() <= BODY_MAX);
        assert!(input.remediation.chars().count() <= REMEDIATION_MAX);
        for says in [
            "51 products",
            "153 CVEs",
            "notes were shortened",
            "remediations were shortened",
        ] {
            assert!(notes.iter().any(|n| n.contains(says)), "{says}: {notes:?}");
        }
        assert!(input.validate().is_ok());
    }
}
