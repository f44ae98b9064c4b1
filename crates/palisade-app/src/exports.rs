//! Exports for other tools: one assessment as OSCAL assessment results (JSON), and the statuses
//! register as an Excel workbook.

use crate::assessments::AssessmentView;
use crate::{Actor, App, AppError, Result};
use palisade_domain::assessment::{item_met, year_label};
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::framework::Level;
use serde_json::{Value, json};

/// The namespace of Palisade's own OSCAL properties.
pub const OSCAL_NS: &str = "https://palisade.nhs.example/ns/oscal";
/// The OSCAL version the document declares.
pub const OSCAL_VERSION: &str = "1.1.2";

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

/// One organisation's assessment as an OSCAL `assessment-results` document: one result for the
/// year, one finding per applicable item (ten-standard) or outcome (CAF), satisfied when met or
/// at target, and one observation per evidence document, with its SHA-256.
pub fn oscal_assessment_results(v: &AssessmentView, now: i64) -> Value {
    let org = &v.org.org;
    let year = year_label(v.year);
    let year_key = v.year.to_string();
    let id_of = |kind: &str, name: &str| uuid_for(&[&org.code, &year_key, kind, name]);
    let created = v.record.as_ref().map_or(now, |r| r.created_at);
    let updated = v.record.as_ref().map_or(now, |r| r.updated_at);
    let revision = v.record.as_ref().map_or(0, |r| r.revision);
    let mut observations = Vec::new();
    let mut evidence_of: std::collections::HashMap<&str, Vec<String>> = Default::default();
    for e in &v.evidence {
        let id = id_of("evidence", &e.id.to_string());
        evidence_of
            .entry(e.reference.as_str())
            .or_default()
            .push(id.clone());
        observations.push(json!({
            "uuid": id,
            "title": format!("Evidence for {}", e.reference),
            "description": format!("Evidence document '{}' uploaded for {}.", e.filename, e.reference),
            "props": [prop("sha256", e.sha256.clone()), prop("content-type", e.content_type.clone())],
            "methods": ["EXAMINE"],
            "collected": instant(e.uploaded_at),
            "relevant-evidence": [{
                "href": format!("/api/v1/organisations/{}/assessments/{}/evidence/{}", org.code, v.year, e.id),
                "description": format!("{} ({} bytes)", e.filename, e.size),
            }],
        }));
    }
    let state = |met: bool| if met { "satisfied" } else { "not-satisfied" };
    let mut findings = Vec::new();
    for item in v.tree.items() {
        let applies = item.applicability(org.org_type);
        if !applies.applies() {
            continue;
        }
        let met = item_met(item, &v.facts, v.today);
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
        if let Some(answer) = v.answers.get(&item.reference) {
            f["remarks"] = json!(format!("Answer: {}", answer.value));
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
        "uuid": id_of("result", &revision.to_string()),
        "title": format!("{} {year} assessment", v.framework.name),
        "description": format!(
            "{} ({}) against {} version {}: {}.",
            org.name, org.code, v.framework.name, v.framework.version, v.status().label()
        ),
        "start": instant(created),
        "props": [
            prop("status", v.status().as_str()),
            prop("organisation-code", org.code.clone()),
            prop("assessment-year", v.year.to_string()),
        ],
        "reviewed-controls": {"control-selections": [{"include-all": {}}]},
    });
    if let Some(p) = v.published_at() {
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
            "uuid": id_of("assessment-results", &revision.to_string()),
            "metadata": {
                "title": format!("{} ({}): {year} assessment results", org.name, org.code),
                "last-modified": instant(updated),
                "version": format!("revision-{revision}"),
                "oscal-version": OSCAL_VERSION,
                "props": [prop("framework", format!("{}-{}", v.framework.key, v.framework.version))],
            },
            "import-ap": {"href": format!("urn:palisade:framework:{}:{}", v.framework.key, v.framework.version)},
            "results": [result],
        }
    })
}

impl App {
    /// One organisation's assessment as OSCAL assessment results, for anyone who may read it.
    pub async fn assessment_oscal(&self, actor: &Actor, code: &str, year: i32) -> Result<Value> {
        let v = self.assessment(actor, code, year).await?;
        Ok(oscal_assessment_results(&v, self.now()))
    }

    /// The public register as a workbook: the same rows as the CSV.
    pub async fn public_statuses_xlsx(&self, year: i32, q: Option<String>) -> Result<Vec<u8>> {
        palisade_formats::spreadsheet::statuses_xlsx(
            &self.all_public_statuses(year, q).await?,
            year,
        )
        .map_err(AppError::Internal)
    }
}
