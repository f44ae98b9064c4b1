//! One organisation's assessment written as an OSCAL `assessment-results` document (JSON), for
//! tools that read OSCAL. The OSCAL catalogues Palisade reads are in `catalogs`.
//!
//! Identifiers are version 5 UUIDs derived from the organisation, year and what they name, so
//! writing the same assessment twice gives the same document.

use palisade_domain::assessment::{Evaluation, Facts, Status, item_met, year_label};
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::framework::{Framework, Level};
use palisade_domain::org::OrgType;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// The namespace of Palisade's own OSCAL properties.
pub const OSCAL_NS: &str = "https://palisade.nhs.example/ns/oscal";
/// The OSCAL version the document declares.
pub const OSCAL_VERSION: &str = "1.1.2";

/// One organisation's assessment for a year, as the document reports it.
#[derive(Debug, Clone)]
pub struct Assessment<'a> {
    pub org_code: &'a str,
    pub org_name: &'a str,
    pub org_type: OrgType,
    pub year: i32,
    /// The framework as recorded: its key, name and version.
    pub framework_key: &'a str,
    pub framework_name: &'a str,
    pub framework_version: &'a str,
    pub tree: &'a Framework,
    /// The saved assessment's revision, and when it was first and last saved (before the first
    /// answer is saved: revision 0, and now).
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub status: Status,
    pub published_at: Option<i64>,
    /// Each answer as given, by item reference.
    pub answers: BTreeMap<&'a str, &'a str>,
    pub evidence: Vec<EvidenceDocument<'a>>,
    pub evaluation: &'a Evaluation,
    /// The answers, documents and certificates as the rules read them, on `today`.
    pub facts: &'a Facts,
    pub today: Date,
}

/// An evidence document attached to an item.
#[derive(Debug, Clone, Copy)]
pub struct EvidenceDocument<'a> {
    pub id: i64,
    /// The item it is evidence for.
    pub reference: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub uploaded_at: i64,
}

/// A stable UUID (version 5) for something named by `parts`, so exporting the same assessment
/// twice gives the same identifiers.
fn uuid_for(parts: &[&str]) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("{OSCAL_NS}/{}", parts.join("/")).as_bytes(),
    )
    .to_string()
}

/// OSCAL identifiers are tokens, which start with a letter: `1.1.1` becomes `item-1.1.1`, while
/// `A1.a` stays as it is.
pub fn oscal_token(reference: &str) -> String {
    if reference.starts_with(|c: char| c.is_alphabetic()) {
        reference.to_string()
    } else {
        format!("item-{reference}")
    }
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({"name": name, "value": value.into(), "ns": OSCAL_NS})
}

fn instant(t: i64) -> String {
    rfc3339(from_unix(t))
}

/// The assessment as an OSCAL `assessment-results` document: one result for the year, one
/// finding per applicable item (ten-standard) or outcome (CAF), satisfied when met or at
/// target, and one observation per evidence document, with its SHA-256.
pub fn assessment_results(v: &Assessment<'_>) -> Value {
    let code = v.org_code;
    let year = year_label(v.year);
    let year_key = v.year.to_string();
    let id_of = |kind: &str, name: &str| uuid_for(&[code, &year_key, kind, name]);
    let mut observations = Vec::new();
    let mut evidence_of: HashMap<&str, Vec<String>> = HashMap::new();
    for e in &v.evidence {
        let id = id_of("evidence", &e.id.to_string());
        evidence_of.entry(e.reference).or_default().push(id.clone());
        observations.push(json!({
            "uuid": id,
            "title": format!("Evidence for {}", e.reference),
            "description": format!("Evidence document '{}' uploaded for {}.", e.filename, e.reference),
            "props": [prop("sha256", e.sha256), prop("content-type", e.content_type)],
            "methods": ["EXAMINE"],
            "collected": instant(e.uploaded_at),
            "relevant-evidence": [{
                "href": format!("/api/v1/organisations/{code}/assessments/{}/evidence/{}", v.year, e.id),
                "description": format!("{} ({} bytes)", e.filename, e.size),
            }],
        }));
    }
    let state = |met: bool| if met { "satisfied" } else { "not-satisfied" };
    let mut findings = Vec::new();
    for item in v.tree.items() {
        let applies = item.applicability(v.org_type);
        if !applies.applies() {
            continue;
        }
        let met = item_met(item, v.facts, v.today);
        let mut f = json!({
            "uuid": id_of("finding", &item.reference),
            "title": item.reference,
            "description": item.text,
            "props": [
                prop("requirement", if applies.is_mandatory() { "mandatory" } else { "optional" }),
                prop("approaching-set", if applies.in_approaching() { "yes" } else { "no" }),
            ],
            "target": {
                "type": "objective-id",
                "target-id": oscal_token(&item.reference),
                "status": {"state": state(met)},
            },
        });
        if let Some(answer) = v.answers.get(item.reference.as_str()) {
            f["remarks"] = json!(format!("Answer: {answer}"));
        }
        if let Some(ids) = evidence_of.get(item.reference.as_str()) {
            f["related-observations"] = json!(
                ids.iter()
                    .map(|id| json!({"observation-uuid": id}))
                    .collect::<Vec<_>>()
            );
        }
        findings.push(f);
    }
    for o in &v.evaluation.outcomes {
        let title = |l: Level| l.as_str().replace('_', "-");
        findings.push(json!({
            "uuid": id_of("finding", &o.reference),
            "title": format!("{} {}", o.reference, o.title),
            "description": format!("Contributing outcome {}: {}.", o.reference, o.title),
            "props": [prop("level", title(o.level)), prop("target", title(o.target))],
            "target": {
                "type": "objective-id",
                "target-id": oscal_token(&o.reference),
                "status": {"state": state(o.at_target())},
            },
        }));
    }
    let mut result = json!({
        "uuid": id_of("result", &v.revision.to_string()),
        "title": format!("{} {year} assessment", v.framework_name),
        "description": format!(
            "{} ({code}) against {} version {}: {}.",
            v.org_name, v.framework_name, v.framework_version, v.status.label()
        ),
        "start": instant(v.created_at),
        "props": [
            prop("status", v.status.as_str()),
            prop("organisation-code", code),
            prop("assessment-year", v.year.to_string()),
        ],
        "reviewed-controls": {"control-selections": [{"include-all": {}}]},
    });
    if let Some(p) = v.published_at {
        result["end"] = json!(instant(p));
    }
    if !observations.is_empty() {
        result["observations"] = json!(observations);
    }
    if !findings.is_empty() {
        result["findings"] = json!(findings);
    }
    json!({
        "assessment-results": {
            "uuid": id_of("assessment-results", &v.revision.to_string()),
            "metadata": {
                "title": format!("{} ({code}): {year} assessment results", v.org_name),
                "last-modified": instant(v.updated_at),
                "version": format!("revision-{}", v.revision),
                "oscal-version": OSCAL_VERSION,
                "props": [prop("framework", format!("{}-{}", v.framework_key, v.framework_version))],
            },
            "import-ap": {"href": format!("urn:palisade:framework:{}:{}", v.framework_key, v.framework_version)},
            "results": [result],
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_start_with_a_letter() {
        assert_eq!(super::oscal_token("1.1.1"), "item-1.1.1");
        assert_eq!(super::oscal_token("A1.a"), "A1.a");
    }
}
