//! Independent audit (domain §2): for categories 1 and 2, an appointed auditor reads the submitted
//! assessment and its evidence, agrees or disagrees with each item or outcome, and issues an
//! overall assurance rating (a scale the framework file gives) and a judgement of the
//! self-assessment's veracity. The organisation then reads the report.

use crate::error::FieldErrors;
use crate::org::string_enum;

string_enum! {
    /// Does the evidence support what the organisation said about itself?
    Veracity {
        Supported => "supported", "Supported: the evidence supports the self-assessment",
        PartlySupported => "partly_supported", "Partly supported: some answers are not borne out by the evidence",
        NotSupported => "not_supported", "Not supported: the evidence does not bear out the self-assessment",
    }
}

string_enum! {
    /// Where an audit is: being written, or issued to the organisation (and then fixed).
    AuditState {
        Draft => "draft", "In progress",
        Issued => "issued", "Issued",
    }
}

/// The auditor's view of one item or outcome, as typed.
#[derive(Debug, Clone, Default)]
pub struct FindingInput {
    pub reference: String,
    /// `agree`, `disagree`, or empty for not yet reviewed.
    pub judgement: String,
    pub comment: String,
}

/// A checked finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub reference: String,
    pub agrees: bool,
    pub comment: String,
}

/// The longest comment on one finding, and on the report as a whole.
pub const MAX_FINDING_COMMENT: usize = 2000;
pub const MAX_SUMMARY: usize = 10_000;

/// Checks the auditor's findings: each for something the assessment covers, once; a
/// disagreement says why. Lines with no judgement and no comment are left out.
pub fn check_findings(
    inputs: &[FindingInput],
    auditable: &[String],
) -> Result<Vec<Finding>, FieldErrors> {
    let mut errs = FieldErrors::default();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for i in inputs {
        let r = i.reference.trim();
        let comment = i.comment.trim();
        let judgement = i.judgement.trim();
        if judgement.is_empty() && comment.is_empty() {
            continue;
        }
        let field = format!("findings.{r}");
        if !auditable.iter().any(|a| a == r) {
            errs.push(field, "is not an item or outcome of this assessment");
            continue;
        }
        if !seen.insert(r.to_string()) {
            errs.push(field, "is judged more than once");
            continue;
        }
        let agrees = match judgement {
            "agree" => true,
            "disagree" => false,
            "" => {
                errs.push(field, "choose agree or disagree");
                continue;
            }
            other => {
                errs.push(field, format!("'{other}' is not one of: agree, disagree"));
                continue;
            }
        };
        if comment.chars().count() > MAX_FINDING_COMMENT {
            errs.push(
                format!("{field}.comment"),
                format!("must be at most {MAX_FINDING_COMMENT} characters"),
            );
            continue;
        }
        if !agrees && comment.is_empty() {
            errs.push(
                format!("{field}.comment"),
                "say why you disagree with the organisation",
            );
            continue;
        }
        out.push(Finding {
            reference: r.to_string(),
            agrees,
            comment: comment.to_string(),
        });
    }
    errs.into_result()?;
    Ok(out)
}

/// Checks the overall rating against the framework's scale and the veracity judgement. Both
/// may be left open while the audit is a draft; an issued report needs both.
pub fn check_conclusion(
    rating: &str,
    scale: &[String],
    veracity: &str,
    issuing: bool,
) -> Result<(Option<String>, Option<Veracity>), FieldErrors> {
    let mut errs = FieldErrors::default();
    let rating = rating.trim();
    let rating = if rating.is_empty() {
        if issuing {
            errs.push(
                "rating",
                "choose the overall assurance rating before issuing",
            );
        }
        None
    } else if let Some(r) = scale.iter().find(|s| s.as_str() == rating) {
        Some(r.clone())
    } else {
        errs.push(
            "rating",
            format!(
                "'{rating}' is not on this framework's scale: {}",
                scale.join(", ")
            ),
        );
        None
    };
    let veracity = match veracity.trim() {
        "" => {
            if issuing {
                errs.push(
                    "veracity",
                    "judge the veracity of the self-assessment before issuing",
                );
            }
            None
        }
        v => errs.take(
            v.parse::<Veracity>()
                .map_err(|m| crate::FieldError::new("veracity", m)),
        ),
    };
    errs.into_result()?;
    Ok((rating, veracity))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(r: &str, j: &str, c: &str) -> FindingInput {
        FindingInput {
            reference: r.into(),
            judgement: j.into(),
            comment: c.into(),
        }
    }

    fn messages(e: FieldErrors) -> String {
        e.0.into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn findings_need_a_judgement_and_disagreements_a_reason() {
        let auditable = vec!["A1.a".to_string(), "A1.b".to_string()];
        let ok = check_findings(
            &[
                f("A1.a", "agree", ""),
                f("A1.b", "disagree", "No board minutes"),
                f("A2.a", "", ""),
            ],
            &auditable,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert!(ok[0].agrees && !ok[1].agrees);
        let e = messages(
            check_findings(
                &[
                    f("A1.a", "disagree", " "),
                    f("A1.b", "", "a comment alone"),
                    f("Z9.z", "agree", ""),
                    f("A1.a", "maybe", ""),
                ],
                &auditable,
            )
            .unwrap_err(),
        );
        assert!(e.contains("findings.A1.a.comment: say why"), "{e}");
        assert!(e.contains("findings.A1.b: choose agree or disagree"), "{e}");
        assert!(e.contains("findings.Z9.z: is not an item"), "{e}");
        assert!(e.contains("is judged more than once"), "{e}");
    }

    #[test]
    fn the_conclusion_uses_the_frameworks_scale_and_is_needed_to_issue() {
        let scale = vec![
            "Substantial assurance".to_string(),
            "Limited assurance".to_string(),
        ];
        assert_eq!(
            check_conclusion("Limited assurance", &scale, "partly_supported", true).unwrap(),
            (
                Some("Limited assurance".to_string()),
                Some(Veracity::PartlySupported)
            )
        );
        assert_eq!(
            check_conclusion("", &scale, "", false).unwrap(),
            (None, None)
        );
        let e = messages(check_conclusion("", &scale, "", true).unwrap_err());
        assert!(
            e.contains("rating: choose") && e.contains("veracity: judge"),
            "{e}"
        );
        let e = messages(check_conclusion("Gold", &scale, "sure", false).unwrap_err());
        assert!(
            e.contains("not on this framework's scale") && e.contains("veracity"),
            "{e}"
        );
    }
}
