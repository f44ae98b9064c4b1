//! Demo incidents: a few cases in several states, so the board, the clocks and the timeline have
//! something to show. Reported by the demo leads themselves, triaged by the national admin.

use crate::incidents::{MessageTarget, TriageInput, UpdateInput};
use crate::{Actor, App, Result};
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::incident::IncidentInput;
use palisade_domain::page::PageRequest;

const HOUR: i64 = 3600;

pub(super) fn report(
    title: &str,
    description: &str,
    kind: &str,
    (started, aware): (i64, i64),
    personal_data: bool,
    grade: (&str, &str),
) -> IncidentInput {
    let at = |t: i64| rfc3339(from_unix(t));
    IncidentInput {
        title: title.into(),
        description: description.into(),
        kind: kind.into(),
        started_at: at(started),
        aware_at: at(aware),
        cia: vec!["availability".into(), "confidentiality".into()],
        personal_data,
        likelihood: grade.0.into(),
        impact: grade.1.into(),
        ..IncidentInput::default()
    }
}

impl App {
    /// Four incidents, unless the lead organisation has any: a ransomware case notified late
    /// and under investigation with three indicators and the ransomware playbook applied (its first task done, one
    /// not applicable), a draft, a lost laptop reported to no one and closed, and a
    /// care provider's misdirected letter, reportable to the regulator and notified in time.
    pub(super) async fn seed_incidents(&self, admin: &Actor, org: &str, care: &str) -> Result<()> {
        let lead = self.find_person_by_email("lead@example.nhs.uk").await?;
        let lead = self.actor_of(&lead).await?;
        let existing = self
            .org_incidents(&lead, org, PageRequest::new(Some(1), Some(1)))
            .await?;
        if existing.page.total > 0 {
            return Ok(());
        }
        let now = self.now();
        let ransomware = report(
            "Ransomware on the imaging archive",
            "Images on the PACS archive were encrypted overnight; radiology is on paper.",
            "ransomware",
            (now - 34 * HOUR, now - 30 * HOUR),
            true,
            ("likely", "serious"),
        );
        let case = self.report_incident(&lead, org, &ransomware, true).await?;
        let id = case.record.id;
        self.triage_incident(
            admin,
            id,
            TriageInput {
                severity: Some("high".into()),
                assignee: Some("analyst@example.nhs.uk".into()),
                status: Some("investigating".into()),
                note: "Same loader as the one seen at two trusts last month.".into(),
                ..TriageInput::default()
            },
        )
        .await?;
        self.add_incident_message(
            admin,
            MessageTarget::National { id },
            "Please keep the encrypted server powered on for the forensic team.",
            false,
        )
        .await?;
        self.add_incident_update(
            &lead,
            org,
            id,
            UpdateInput {
                text: "The archive is isolated; restoring from Sunday's backup.".into(),
                contained: Some(true),
                ..UpdateInput::default()
            },
        )
        .await?;
        // What the case found, marked for who may see it: the TAXII collection serves them.
        let indicators = [
            (
                "domain",
                "update-pacs-viewer.example",
                "clear",
                "Loader download site.",
            ),
            ("ipv4", "203.0.113.45", "green", "Command and control."),
            (
                "sha256",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "amber",
                "The encryptor.",
            ),
        ];
        for (kind, value, tlp, note) in indicators {
            self.add_incident_indicator(admin, id, kind, value, tlp, note)
                .await?;
        }
        self.install_shipped_playbooks().await?;
        let tasks = self.apply_playbook(admin, id, "ransomware").await?;
        let marks = [
            (
                "done",
                "All six imaging servers unplugged at 02:10; left powered on.",
            ),
            (
                "not_applicable",
                "No accounts were used on the archive servers.",
            ),
        ];
        for (task, (state, note)) in tasks.iter().zip(marks) {
            self.set_task(admin, id, task.task.id, state, note).await?;
        }

        // Not graded yet: what was read is still being found out.
        let phishing = report(
            "Suspicious sign-ins to a consultant's mailbox",
            "Sign-ins from abroad after a phishing email; still finding out what was read.",
            "account_compromise",
            (now - 6 * HOUR, now - 3 * HOUR),
            true,
            ("", ""),
        );
        self.report_incident(&lead, org, &phishing, false).await?;

        let laptop = IncidentInput {
            not_reported_reason: "The laptop's disk is encrypted and it was wiped remotely.".into(),
            cia: vec!["confidentiality".into()],
            ..report(
                "Laptop left on a train",
                "A ward manager's encrypted laptop was left on a train and not recovered.",
                "lost_or_stolen_device",
                (now - 80 * HOUR, now - 78 * HOUR),
                false,
                ("not_likely", "minor"),
            )
        };
        let lost = self.report_incident(&lead, org, &laptop, true).await?;
        self.add_incident_update(
            &lead,
            org,
            lost.record.id,
            UpdateInput {
                text: "Wipe confirmed by the device management service.".into(),
                closed: true,
                ..UpdateInput::default()
            },
        )
        .await?;

        let carer = self
            .find_person_by_email("caregroup@example.nhs.uk")
            .await?;
        let carer = self.actor_of(&carer).await?;
        let letter = IncidentInput {
            cia: vec!["confidentiality".into()],
            people_affected: Some(1),
            ..report(
                "Care plan posted to the wrong family",
                "A resident's care plan was sent to another resident's family.",
                "misdirected_data",
                (now - 5 * HOUR, now - 2 * HOUR),
                true,
                ("likely", "minor"),
            )
        };
        self.report_incident(&carer, care, &letter, true).await?;
        Ok(())
    }
}
