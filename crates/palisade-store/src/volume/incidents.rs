//! Incident volume for `palisade bench incidents`: notified incidents with their timelines and
//! indicators, written in multi-row statements so a decade at national scale (200,000 incidents,
//! 1,000,000 indicators) takes seconds rather than hours. Each incident is as the app would
//! write it: checked fields as JSON, the columns lists filter on, two timeline entries. Titles
//! start "Bench incident", so a second run sees the volume is there and writes nothing.

use crate::db::{Arg, Sql};
use crate::{Result, SqlStore};
use palisade_domain::incident::{
    Cia, Impact, IncidentFields, IncidentKind, IncidentStatus, Likelihood, Scale, Severity,
};
use palisade_domain::indicator::{IndicatorType, Tlp};

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct IncidentVolume {
    pub incidents: usize,
    pub indicators_per_incident: usize,
    /// The newest incident's awareness; the rest spread over the ten years before it.
    pub now: i64,
}

impl IncidentVolume {
    /// When the organisation became aware of incident number `i` (its indicators are added
    /// then too): spread evenly over the ten years before `now`.
    fn aware_at(&self, i: usize) -> i64 {
        self.now - 10 * YEAR + (10 * YEAR) * i as i64 / self.incidents.max(1) as i64
    }
}

/// The value of the `n`-th indicator of incident number `i` (as the bench looks it up).
pub fn volume_indicator(i: usize, n: usize) -> (IndicatorType, String, Tlp) {
    // One indicator in ten is TLP:CLEAR (for the anonymous TAXII listing); the rest take the
    // other markings in turn.
    let tlp = if (i * 5 + n).is_multiple_of(10) {
        Tlp::Clear
    } else {
        Tlp::ALL[1 + (i + n) % (Tlp::ALL.len() - 1)]
    };
    if n.is_multiple_of(2) {
        (IndicatorType::Domain, format!("bench-{i}-{n}.example"), tlp)
    } else {
        let v = i * 8 + n;
        let ip = format!("10.{}.{}.{}", (v >> 16) & 255, (v >> 8) & 255, v & 255);
        (IndicatorType::Ipv4, ip, tlp)
    }
}

/// Incidents a statement writes: SQLite's parameter binding grows with the square of the
/// parameters a statement has, and about 250 is where it stays cheap (`docs/PERFORMANCE.md`).
const ROWS: usize = 12;
/// Incidents a transaction writes.
const BATCH: usize = 2_400;
const YEAR: i64 = 365 * 86_400;

fn fields(i: usize, aware_at: i64) -> IncidentFields {
    let kind = IncidentKind::ALL[i % IncidentKind::ALL.len()];
    IncidentFields {
        title: format!("Bench incident {i}"),
        description: "Generated for the incident benchmark.".into(),
        kind,
        started_at: aware_at - 3600,
        aware_at,
        contained: i.is_multiple_of(3),
        cia: vec![Cia::ALL[i % Cia::ALL.len()]],
        personal_data: i.is_multiple_of(2),
        vulnerable_groups: i.is_multiple_of(11),
        people_affected: Some((i % 500) as i64),
        likelihood: Some(Likelihood::from_score((i % 5) as u8 + 1)),
        impact: Some(Impact::from_score((i / 5 % 5) as u8 + 1)),
        systems: vec![format!("System {}", i % 40)],
        not_reported_reason: None,
    }
}

/// Writes the volume unless it is there already; returns (incidents, indicators) written.
/// `stix_id` gives each indicator a new STIX object id as the app does.
pub async fn seed_incident_volume(
    store: &SqlStore,
    v: IncidentVolume,
    stix_id: fn() -> String,
) -> Result<(usize, usize)> {
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE title LIKE 'Bench incident %'")
            .fetch_one(&store.write)
            .await?;
    if existing as usize >= v.incidents {
        return Ok((0, 0));
    }
    let orgs: Vec<i64> = sqlx::query_scalar("SELECT id FROM organisations ORDER BY id")
        .fetch_all(&store.write)
        .await?;
    if orgs.is_empty() {
        return Err(crate::StoreError::Unsupported(
            "the database has no organisations: seed the demo first".into(),
        ));
    }
    // A decade's cases are closed but for the newest (one in fifty: about the last ten
    // weeks), which are at every open stage.
    let open = [
        IncidentStatus::Contained,
        IncidentStatus::Investigating,
        IncidentStatus::Triaged,
        IncidentStatus::Notified,
    ];
    let first_open = v.incidents - v.incidents / 50;
    let mut indicators = 0;
    for batch in (existing as usize..v.incidents).step_by(BATCH) {
        let mut tx = store.begin().await?;
        for start in (batch..(batch + BATCH).min(v.incidents)).step_by(ROWS) {
            let end = (start + ROWS).min(v.incidents);
            let mut sql = Sql::new(
                "INSERT INTO incidents (org_id, status, fields, title, kind, likelihood, impact, \
             regulator_reportable, nis_reportable, aware_at, notified_at, triaged_at, \
             contained_at, closed_at, next_due_at, reported_late, severity, revision, \
             created_at, updated_at) VALUES ",
            );
            for i in start..end {
                // Oldest first, spread over ten years up to `now`.
                let aware = v.aware_at(i);
                let f = fields(i, aware);
                let notified = aware + ((i * 7919) % 100) as i64 * 3600;
                let status = if i >= first_open {
                    open[i % open.len()]
                } else {
                    IncidentStatus::Closed
                };
                let regulator = f.personal_data && f.likelihood.is_some_and(|l| l.score() >= 3);
                let closed = status == IncidentStatus::Closed;
                let open_due = (!closed).then_some(aware + 72 * 3600);
                let late = regulator && notified - aware > 72 * 3600;
                if i > start {
                    sql.push(", ");
                }
                sql.push("(")
                    .i64(orgs[i % orgs.len()])
                    .push(", ")
                    .text(status.as_str())
                    .push(", ")
                    .text(&serde_json::to_string(&f).expect("fields serialise"))
                    .push(", ")
                    .text(&f.title)
                    .push(", ")
                    .text(f.kind.as_str())
                    .push(", ")
                    .arg(Arg::OptI64(f.likelihood.map(|l| i64::from(l.score()))))
                    .push(", ")
                    .arg(Arg::OptI64(f.impact.map(|l| i64::from(l.score()))))
                    .push(", ")
                    .i64(i64::from(regulator))
                    .push(", ")
                    .i64(0)
                    .push(", ")
                    .i64(aware)
                    .push(", ")
                    .i64(notified)
                    .push(", ")
                    .arg(Arg::OptI64(
                        (status != IncidentStatus::Notified).then_some(notified + 1800),
                    ))
                    .push(", ")
                    .arg(Arg::OptI64(f.contained.then_some(notified + 7200)))
                    .push(", ")
                    .arg(Arg::OptI64(closed.then_some(notified + 86_400)))
                    .push(", ")
                    .arg(Arg::OptI64(open_due))
                    .push(", ")
                    .i64(i64::from(late))
                    .push(", ")
                    .arg(Arg::OptText((status != IncidentStatus::Notified).then(
                        || Severity::ALL[i % Severity::ALL.len()].as_str().to_string(),
                    )))
                    .push(", 1, ")
                    .i64(aware)
                    .push(", ")
                    .i64(notified)
                    .push(")");
            }
            sql.push(" RETURNING id");
            let ids: Vec<i64> = sql.query_scalar().fetch_all(&mut *tx).await?;

            let mut entries = Sql::new(
                "INSERT INTO incident_entries (incident_id, at, kind, text, shared) VALUES ",
            );
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    entries.push(", ");
                }
                entries
                    .push("(")
                    .i64(*id)
                    .push(", 0, 'notification', 'Notified.', 1), (")
                    .i64(*id)
                    .push(", 0, 'update', 'Restoring from backups.', 1)");
            }
            entries.execute(&mut tx).await?;

            let mut rows = Sql::new(
                "INSERT INTO incident_indicators (incident_id, type, value, tlp, created_at, \
             added_ms, stix_id) VALUES ",
            );
            let mut any = false;
            for (n, id) in ids.iter().enumerate() {
                let i = start + n;
                let at = v.aware_at(i);
                for k in 0..v.indicators_per_incident {
                    let (kind, value, tlp) = volume_indicator(i, k);
                    if any {
                        rows.push(", ");
                    }
                    any = true;
                    rows.push("(")
                        .i64(*id)
                        .push(", ")
                        .text(kind.as_str())
                        .push(", ")
                        .text(&value)
                        .push(", ")
                        .text(tlp.as_str())
                        .push(", ")
                        .i64(at)
                        .push(", ")
                        .i64(at * 1000 + k as i64)
                        .push(", ")
                        .text(&stix_id())
                        .push(")");
                    indicators += 1;
                }
            }
            if any {
                rows.execute(&mut tx).await?;
            }
        }
        tx.commit().await?;
    }
    super::analyse(store).await?;
    Ok((v.incidents - existing as usize, indicators))
}
