//! Where suppliers stand under the charter today: the signature's state, each commitment's state
//! with why (the live ones from what Palisade knows, the rest from what the supplier shows), and
//! the latest published assessment status. Read for many suppliers at once, so the national
//! figures over every IT supplier take a few statements, not a few per supplier.

use super::{CommitmentView, LIVE_WINDOW_SECS, facts};
use crate::{App, Result};
use palisade_domain::assessment::{Status, year_label};
use palisade_domain::charter::{
    self, Charter, CommitmentKey, CommitmentState, EvidenceFacts, SignatureState,
};
use palisade_store::{
    AlertAnswer, CharterDocument, CharterFacts, Organisation, SignatureRecord, incident_reference,
};
use time::Date;

/// A supplier's standing under the charter today.
#[derive(Debug, Clone)]
pub(crate) struct Standing {
    /// Its newest signature, withdrawn or not.
    pub signature: Option<SignatureRecord>,
    /// Not signed when no charter is in force.
    pub state: SignatureState,
    pub expires_on: Option<Date>,
    /// Each commitment of the charter in force (none when no charter is in force).
    pub commitments: Vec<CommitmentView>,
    /// Its latest published assessment status, this year or last.
    pub dspt: Option<(i32, Status)>,
}

/// What a supplier's own estate shows today, for `supported_systems`.
struct Estate {
    components: usize,
    unmitigated: usize,
}

impl App {
    /// Each supplier's standing under `charter` (the one in force, if any), in the order given.
    pub(crate) async fn standings(
        &self,
        suppliers: &[Organisation],
        charter: Option<&Charter>,
    ) -> Result<Vec<Standing>> {
        let (today, now) = (self.today(), self.now());
        let year = self.current_year();
        let ids: Vec<i64> = suppliers.iter().map(|o| o.id).collect();
        let mut all = self
            .store
            .charter_facts(&ids, now - LIVE_WINDOW_SECS, &[year, year - 1])
            .await?;
        let estates = match charter {
            Some(_) => self.unmitigated_counts(&ids, today).await?,
            None => Default::default(),
        };
        let mut out = Vec::with_capacity(suppliers.len());
        for org in suppliers {
            let f = all.remove(&org.id).unwrap_or_default();
            let dspt = latest_published(&f.statuses, year);
            let commitments = match charter {
                Some(c) => {
                    let (components, unmitigated) =
                        estates.get(&org.id).copied().unwrap_or_default();
                    let estate = Estate {
                        components,
                        unmitigated,
                    };
                    views(&f, &estate, dspt, c, today, now)
                }
                None => Vec::new(),
            };
            out.push(Standing {
                state: charter.map_or(SignatureState::NotSigned, |c| {
                    charter::signature_state(f.signature.as_ref().map(facts), c.version, today)
                }),
                expires_on: f
                    .signature
                    .as_ref()
                    .map(|s| charter::expires_on(s.signed_on)),
                signature: f.signature,
                commitments,
                dspt,
            });
        }
        Ok(out)
    }
}

/// The latest published status, this year or last.
fn latest_published(statuses: &[(i32, Status)], year: i32) -> Option<(i32, Status)> {
    [year, year - 1].into_iter().find_map(|y| {
        statuses
            .iter()
            .find(|(at, s)| *at == y && *s != Status::NotPublished)
            .copied()
    })
}

/// Each commitment's state today, with why.
fn views(
    f: &CharterFacts,
    estate: &Estate,
    dspt: Option<(i32, Status)>,
    charter: &Charter,
    today: Date,
    now: i64,
) -> Vec<CommitmentView> {
    charter
        .commitments
        .iter()
        .map(|commitment| {
            let evidence = f
                .commitments
                .iter()
                .find(|r| r.key == commitment.key)
                .cloned();
            let documents: Vec<CharterDocument> = f
                .documents
                .iter()
                .filter(|d| d.commitment == commitment.key.as_str())
                .cloned()
                .collect();
            let shown = charter::evidence_state(
                evidence.as_ref().map(|e| EvidenceFacts {
                    expires_on: e.expires_on,
                    certificate_expires_on: e.certificate.as_ref().map(|c| c.expires_on),
                    documents: documents.len(),
                }),
                today,
            );
            let (state, reason) = match commitment.key {
                CommitmentKey::SupportedSystems => {
                    live_supported(estate, &f.high_alert_answers, now)
                }
                CommitmentKey::DsptStandardsMet => live_dspt(dspt),
                CommitmentKey::IncidentReporting => {
                    live_incidents(&f.notified_incidents).unwrap_or(shown)
                }
                _ => shown,
            };
            CommitmentView {
                commitment: commitment.clone(),
                state,
                reason,
                evidence,
                documents,
            }
        })
        .collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `supported_systems`: no unsupported system without a mitigation in the supplier's own
/// estate today, and every High alert of the last 12 months acknowledged by its due time.
fn live_supported(estate: &Estate, answers: &[AlertAnswer], now: i64) -> (CommitmentState, String) {
    if estate.components == 0 {
        return (
            CommitmentState::LiveNotMet,
            "no inventory of its own estate in Palisade".into(),
        );
    }
    if estate.unmitigated > 0 {
        return (
            CommitmentState::LiveNotMet,
            format!(
                "{} unsupported system{} without a mitigation today",
                estate.unmitigated,
                plural(estate.unmitigated)
            ),
        );
    }
    let late: Vec<&str> = answers
        .iter()
        .filter(|a| a.acknowledged_at.map_or(now > a.due_at, |at| at > a.due_at))
        .map(|a| a.reference.as_str())
        .collect();
    if !late.is_empty() {
        return (
            CommitmentState::LiveNotMet,
            format!("High alerts answered late: {}", late.join(", ")),
        );
    }
    (
        CommitmentState::LiveMet,
        format!(
            "no unsupported system without a mitigation, and {} High alert{} of the last \
             12 months answered on time",
            answers.len(),
            plural(answers.len())
        ),
    )
}

/// `dspt_standards_met`: the latest published assessment is Standards Met or Exceeded.
fn live_dspt(dspt: Option<(i32, Status)>) -> (CommitmentState, String) {
    match dspt {
        Some((y, status)) => (
            if matches!(status, Status::StandardsMet | Status::StandardsExceeded) {
                CommitmentState::LiveMet
            } else {
                CommitmentState::LiveNotMet
            },
            format!("{} published status: {}", year_label(y), status.label()),
        ),
        None => (
            CommitmentState::LiveNotMet,
            "no published assessment this year or last".into(),
        ),
    }
}

/// `incident_reporting`, when the supplier notified incidents in the last 12 months: met when
/// every one was notified on time. None when it notified none (its evidence decides).
fn live_incidents(notified: &[(i64, bool)]) -> Option<(CommitmentState, String)> {
    if notified.is_empty() {
        return None;
    }
    let late: Vec<String> = notified
        .iter()
        .filter(|(_, late)| *late)
        .map(|(id, _)| incident_reference(*id))
        .collect();
    Some(if late.is_empty() {
        (
            CommitmentState::LiveMet,
            format!(
                "{} incident{} of the last 12 months notified on time",
                notified.len(),
                plural(notified.len())
            ),
        )
    } else {
        (
            CommitmentState::LiveNotMet,
            format!("notified late: {}", late.join(", ")),
        )
    })
}
