//! Independent audit of a submitted assessment (categories 1 and 2): the appointed auditor
//! records a finding per item or outcome, an assurance rating and a veracity judgement, and
//! issues the report, which the organisation then reads.

use crate::assessments::AssessmentView;
use crate::{Actor, App, AppError, Result};
use palisade_domain::assessment::item_met;
use palisade_domain::independent_audit::{self, AuditState, FindingInput};
use palisade_domain::policy::OrgAction;
use palisade_store::{AuditFindingRecord, AuditReport, IndependentAuditRecord};

/// One item or outcome as the auditor weighs it: what the organisation said and the finding.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub reference: String,
    pub text: String,
    /// The organisation's position: "Met", "Not met", or the outcome's level against target.
    pub claimed: String,
    pub finding: Option<AuditFindingRecord>,
}

#[derive(Debug, Clone)]
pub struct AuditView {
    pub assessment: AssessmentView,
    /// The report, when the actor may see it: the auditor always, others once issued.
    pub report: Option<IndependentAuditRecord>,
    pub lines: Vec<AuditLine>,
    /// This organisation's category needs an independent audit.
    pub required: bool,
    /// The actor is the appointed auditor and may change the report now.
    pub may_record: bool,
}

impl AuditView {
    pub fn state(&self) -> Option<AuditState> {
        self.report.as_ref().map(|r| r.state)
    }
    pub fn revision(&self) -> i64 {
        self.report.as_ref().map_or(0, |r| r.revision)
    }
}

/// Everything the assessment covers for this organisation, with its claimed position.
fn lines(v: &AssessmentView) -> Vec<AuditLine> {
    let org_type = v.org.org.org_type;
    let items = v
        .tree
        .items()
        .filter(|i| i.applicability(org_type).applies())
        .map(|i| AuditLine {
            reference: i.reference.clone(),
            text: i.text.clone(),
            claimed: if item_met(i, &v.facts, v.today) {
                "Met"
            } else {
                "Not met"
            }
            .into(),
            finding: None,
        });
    let outcomes = v.evaluation.outcomes.iter().map(|o| AuditLine {
        reference: o.reference.clone(),
        text: o.title.clone(),
        claimed: format!(
            "{} (target {})",
            o.level.label(),
            o.target.label().to_lowercase()
        ),
        finding: None,
    });
    items.chain(outcomes).collect()
}

impl App {
    /// The independent audit of one assessment. The auditor appointed to the organisation sees
    /// the report as it is written; the organisation and the national team once it is issued.
    pub async fn independent_audit(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
    ) -> Result<AuditView> {
        let assessment = self.assessment(actor, code, year).await?;
        let auditor = actor
            .principal
            .may(OrgAction::AuditAssessment, &assessment.org.ancestry);
        let mut report = match &assessment.record {
            Some(r) => self.store.independent_audit(r.id).await?,
            None => None,
        };
        if !auditor
            && report
                .as_ref()
                .is_some_and(|r| r.state != AuditState::Issued)
        {
            report = None;
        }
        let mut lines = lines(&assessment);
        if let Some(r) = &report {
            for f in self.store.audit_findings(r.id).await? {
                if let Some(l) = lines.iter_mut().find(|l| l.reference == f.reference) {
                    l.finding = Some(f);
                }
            }
        }
        let required = assessment.org.org.category.needs_independent_audit();
        // The submission is audited while it stands: not while the organisation has reopened it.
        let may_record = auditor
            && required
            && assessment.submitted()
            && report.as_ref().is_none_or(|r| r.state == AuditState::Draft);
        Ok(AuditView {
            assessment,
            report,
            lines,
            required,
            may_record,
        })
    }

    /// Saves the auditor's report; with `issue`, issues it to the organisation (then fixed).
    #[allow(clippy::too_many_arguments)]
    pub async fn save_independent_audit(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        expected_revision: i64,
        findings: &[FindingInput],
        conclusion: (&str, &str, &str),
        issue: bool,
    ) -> Result<AuditView> {
        let current = self.independent_audit(actor, code, year).await?;
        let a = &current.assessment;
        if !actor
            .principal
            .may(OrgAction::AuditAssessment, &a.org.ancestry)
        {
            return Err(AppError::Forbidden);
        }
        if !current.required {
            return Err(AppError::Conflict {
                field: "audit".into(),
                message: format!(
                    "category {} organisations are not independently audited",
                    a.org.org.category.number()
                ),
            });
        }
        let (Some(record), true) = (&a.record, a.submitted()) else {
            return Err(AppError::Conflict {
                field: "audit".into(),
                message: "the assessment has not been submitted yet".into(),
            });
        };
        let (rating, veracity, summary) = conclusion;
        let auditable: Vec<String> = current.lines.iter().map(|l| l.reference.clone()).collect();
        // Every problem at once, each under its own field.
        let mut errs = palisade_domain::FieldErrors::default();
        let checked = independent_audit::check_findings(findings, &auditable).unwrap_or_else(|e| {
            errs.0.extend(e.0);
            vec![]
        });
        let (rating, veracity) =
            independent_audit::check_conclusion(rating, &a.tree.assurance_ratings, veracity, issue)
                .unwrap_or_else(|e| {
                    errs.0.extend(e.0);
                    (None, None)
                });
        let summary = summary.trim();
        if summary.chars().count() > independent_audit::MAX_SUMMARY {
            errs.push(
                "summary",
                format!(
                    "must be at most {} characters",
                    independent_audit::MAX_SUMMARY
                ),
            );
        }
        if issue && summary.is_empty() {
            errs.push("summary", "write the report's summary before issuing");
        }
        errs.into_result()?;
        let findings: Vec<AuditFindingRecord> = checked
            .into_iter()
            .map(|f| AuditFindingRecord {
                reference: f.reference,
                agrees: f.agrees,
                comment: f.comment,
            })
            .collect();
        let disagreements = findings.iter().filter(|f| !f.agrees).count();
        // The organisation reads its audit log, and a report is the auditor's alone until it
        // is issued: a save records only that the draft moved, the issue what it says.
        let (action, summary_of_change) = if issue {
            (
                "independent_audit.issue",
                serde_json::json!({
                    "year": year, "rating": rating, "veracity": veracity.map(|v| v.as_str()),
                    "findings": findings.len(), "disagreements": disagreements,
                }),
            )
        } else {
            (
                "independent_audit.save",
                serde_json::json!({"year": year, "findings": findings.len()}),
            )
        };
        let draft = self.draft(
            actor,
            action,
            "independent_audit",
            "",
            Some(a.org.org.id),
            summary_of_change,
        );
        let report = AuditReport {
            rating,
            veracity,
            summary: summary.to_string(),
            findings,
            issue,
        };
        self.store
            .save_independent_audit(
                record.id,
                expected_revision,
                &report,
                self.stamp(actor),
                draft,
            )
            .await?;
        self.independent_audit(actor, code, year).await
    }

    /// Issues the report as it was last saved, provided it is still at `expected_revision`:
    /// nothing else changes. Issuing needs a rating, a veracity judgement and a summary.
    pub async fn issue_independent_audit(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        expected_revision: i64,
    ) -> Result<AuditView> {
        let current = self.independent_audit(actor, code, year).await?;
        let saved = current.report.as_ref();
        let findings: Vec<FindingInput> = current
            .lines
            .iter()
            .filter_map(|l| {
                l.finding.as_ref().map(|f| FindingInput {
                    reference: l.reference.clone(),
                    judgement: if f.agrees { "agree" } else { "disagree" }.into(),
                    comment: f.comment.clone(),
                })
            })
            .collect();
        let rating = saved.and_then(|r| r.rating.clone()).unwrap_or_default();
        let veracity = saved
            .and_then(|r| r.veracity)
            .map(|v| v.as_str())
            .unwrap_or_default();
        let summary = saved.map(|r| r.summary.clone()).unwrap_or_default();
        self.save_independent_audit(
            actor,
            code,
            year,
            expected_revision,
            &findings,
            (&rating, veracity, &summary),
            true,
        )
        .await
    }
}
