//! Clock warnings: an organisation hears when half, then four fifths, of a clock's time has
//! passed without the matching report.

use super::*;
use palisade_domain::incident::ClockName;

/// Incidents warned this many at a time.
const WARNING_BATCH: i64 = 200;

/// The message a clock warning sends: which report, when it is due, where to make it.
fn warning_notice(
    record: &IncidentRecord,
    reference: &str,
    clock: &Clock,
    percent: u8,
    link: &str,
) -> palisade_store::Notice {
    let due = clock
        .due_at
        .map(palisade_domain::clock::uk_time)
        .unwrap_or_default();
    let what = match clock.name {
        ClockName::Regulator => "report to the data regulator",
        ClockName::NisInitial => "NIS initial notification",
        ClockName::NisFull => "NIS full report",
        ClockName::NisFinal => "NIS final report",
    };
    palisade_store::Notice {
        key: format!(
            "incident:{}:{}",
            record.id,
            incident::warning_key(clock.name, percent)
        ),
        subject: format!("{reference}: the {what} is due by {due}"),
        email_body: Some(format!(
            "{percent}% of the time to make the {what} for incident {reference} ({}) has \
             passed and it has not been made yet. It is due by {due}.\n\nMake it on the \
             incident's page: {link}\n",
            record.state.fields.title
        )),
        sms_body: Some(format!("Palisade: {reference} {what} due by {due}.")),
        sms_to_all: true,
    }
}

impl App {
    /// Warns each organisation whose incident clock has passed a threshold (50% and 80% of its
    /// time by default) without the matching report, once per clock and threshold, by email
    /// and text to its contacts. The worker calls this each round; returns how many incidents
    /// were warned.
    pub async fn warn_incident_clocks(&self) -> Result<usize> {
        let mut warned = 0;
        loop {
            let now = self.now();
            let due = self.store.incidents_to_warn(now, WARNING_BATCH).await?;
            let n = due.len();
            for record in due {
                let nis = incident::nis_scope(record.org_type, record.category);
                let grade = record.state.fields.grade(&self.incident_rules, nis);
                let clocks = self.clocks_of(&record.state, grade.as_ref(), now);
                let warnings =
                    self.incident_rules
                        .warnings_due(&clocks, &record.state.warnings_sent, now);
                let mut state = record.state.clone();
                let reference = incident_reference(record.id);
                let link = self.public_link(&format!(
                    "/organisations/{}/incidents/{reference}",
                    record.org_code
                ));
                let notices: Vec<palisade_store::Notice> = warnings
                    .iter()
                    .filter_map(|(name, percent)| {
                        let c = clocks.iter().find(|c| c.name == *name)?;
                        state
                            .warnings_sent
                            .push(incident::warning_key(*name, *percent));
                        Some(warning_notice(&record, &reference, c, *percent, &link))
                    })
                    .collect();
                let state = self.derive(state, nis, now);
                let audit = self.incident_audit(
                    &Actor::system(),
                    "incident.warn",
                    Some(record.id),
                    record.org_id,
                    json!({ "warnings": warnings.iter().map(|(n, p)| incident::warning_key(*n, *p)).collect::<Vec<_>>() }),
                );
                self.store
                    .warn_incident(
                        record.id,
                        record.revision,
                        &state,
                        &notices,
                        Stamp {
                            at: now,
                            user_id: None,
                        },
                        audit,
                    )
                    .await?;
                if !notices.is_empty() {
                    warned += 1;
                }
            }
            if (n as i64) < WARNING_BATCH {
                return Ok(warned);
            }
        }
    }
}
