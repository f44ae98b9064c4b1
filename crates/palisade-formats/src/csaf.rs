//! CSAF 2.0 advisories read as alerts: another publisher's advisory becomes an alert's fields.
//!
//! Only what an alert holds is read: title, severity (the aggregate severity, else the highest
//! CVSS base score), notes, CVEs, products with a CPE or package URL, remediations and whether
//! exploitation is known. Unknown fields are ignored, as CSAF documents carry much more.

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
    branches: Vec<Branch>,
    #[serde(default)]
    product: Option<FullProductName>,
}

#[derive(Deserialize)]
struct Relationship {
    full_product_name: FullProductName,
}

#[derive(Deserialize)]
struct FullProductName {
    name: String,
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
    remediations: Vec<Remediation>,
    #[serde(default)]
    threats: Vec<Threat>,
    #[serde(default)]
    scores: Vec<Score>,
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
    let mut products: Vec<ProductInput> = Vec::new();
    let mut seen_products = HashSet::new();
    let mut skipped = 0;
    if let Some(tree) = &doc.product_tree {
        let mut named = Vec::new();
        collect_products(&tree.branches, &mut named);
        named.extend(tree.full_product_names.iter());
        named.extend(tree.relationships.iter().map(|r| &r.full_product_name));
        for p in named {
            let Some(h) = &p.product_identification_helper else {
                continue;
            };
            let cpe = h.cpe.as_deref().and_then(|c| {
                Cpe23::parse(c)
                    .or_else(|_| Cpe23::from_uri(c))
                    .ok()
                    .map(|c| c.as_str().to_string())
            });
            let purl = h
                .purl
                .as_deref()
                .and_then(|p| Purl::parse(p).ok().map(|p| p.as_str().to_string()));
            if cpe.is_none() && purl.is_none() {
                skipped += 1;
                continue;
            }
            if seen_products.insert((cpe.clone(), purl.clone())) {
                products.push(ProductInput {
                    name: one_line(&p.name, 200),
                    cpe,
                    purl,
                    vers: None,
                });
            }
        }
    }
    if skipped > 0 {
        notes.push(format!(
            "{skipped} product(s) had identifiers that are not a CPE or package URL and were left out"
        ));
    }
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

fn collect_products<'a>(branches: &'a [Branch], out: &mut Vec<&'a FullProductName>) {
    for b in branches {
        if let Some(p) = &b.product {
            out.push(p);
        }
        collect_products(&b.branches, out);
    }
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
