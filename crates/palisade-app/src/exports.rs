//! Exports for other tools: one assessment as OSCAL assessment results (JSON, written by
//! `palisade_formats::oscal`), and the statuses register as an Excel workbook.

use crate::assessments::AssessmentView;
use crate::{Actor, App, AppError, Result};
use palisade_formats::oscal::{self, EvidenceDocument};
use serde_json::Value;

/// One organisation's assessment as an OSCAL `assessment-results` document: see
/// [`oscal::assessment_results`]. Before the first answer is saved it is revision 0, made `now`.
pub fn oscal_assessment_results(v: &AssessmentView, now: i64) -> Value {
    let org = &v.org.org;
    oscal::assessment_results(&oscal::Assessment {
        org_code: &org.code,
        org_name: &org.name,
        org_type: org.org_type,
        year: v.year,
        framework_key: &v.framework.key,
        framework_name: &v.framework.name,
        framework_version: &v.framework.version,
        tree: &v.tree,
        revision: v.record.as_ref().map_or(0, |r| r.revision),
        created_at: v.record.as_ref().map_or(now, |r| r.created_at),
        updated_at: v.record.as_ref().map_or(now, |r| r.updated_at),
        status: v.status(),
        published_at: v.published_at(),
        answers: v
            .answers
            .iter()
            .map(|(reference, a)| (reference.as_str(), a.value.as_str()))
            .collect(),
        evidence: v
            .evidence
            .iter()
            .map(|e| EvidenceDocument {
                id: e.id,
                reference: &e.reference,
                filename: &e.filename,
                content_type: &e.content_type,
                size: e.size,
                sha256: &e.sha256,
                uploaded_at: e.uploaded_at,
            })
            .collect(),
        evaluation: &v.evaluation,
        facts: &v.facts,
        today: v.today,
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
