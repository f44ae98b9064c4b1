//! National incident figures for a year: how many, of what kind and grade, from which types and
//! regions, how many were reportable or reported late, and how long each step took.

use super::*;
use palisade_domain::incident::{Impact, IncidentKind, Scale};
use palisade_domain::org::OrgType;
use palisade_store::IncidentFacts;

/// One line of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: u64,
}

/// How long a step took from awareness, over the incidents that took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration {
    pub key: &'static str,
    pub label: &'static str,
    /// Incidents that reached the step.
    pub count: u64,
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFigures {
    pub year: i32,
    pub total: u64,
    pub reportable: u64,
    /// Of all, reportable to the regulator or under NIS: whole percent, rounded once.
    pub reportable_percent: Option<u64>,
    /// With a report (the notification, the full or the final report) made after its due time.
    pub late: u64,
    /// `YYYY-MM` for each month of the year, with its count (notified that month).
    pub by_month: Vec<Count>,
    pub by_kind: Vec<Count>,
    /// By impact as reported (`not graded` when none was given).
    pub by_impact: Vec<Count>,
    pub by_type: Vec<Count>,
    pub by_region: Vec<Count>,
    pub durations: Vec<Duration>,
}

impl IncidentFigures {
    /// Every figure as one table: `section,key,label,count,median_seconds,p90_seconds`.
    pub fn to_csv(&self) -> String {
        let mut w = palisade_formats::csv_out::CsvOut::new(
            &[
                "section",
                "key",
                "label",
                "count",
                "median_seconds",
                "p90_seconds",
            ],
            64,
        );
        let total = [
            ("total", "Notified incidents", self.total),
            ("reportable", "Reportable", self.reportable),
            ("late", "Reported late", self.late),
        ];
        for (key, label, n) in total {
            w.row(&["summary", key, label, &n.to_string(), "", ""]);
        }
        let sections = [
            ("month", &self.by_month),
            ("kind", &self.by_kind),
            ("impact", &self.by_impact),
            ("type", &self.by_type),
            ("region", &self.by_region),
        ];
        for (section, counts) in sections {
            for c in counts {
                w.row(&[section, &c.key, &c.label, &c.count.to_string(), "", ""]);
            }
        }
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        for d in &self.durations {
            w.row(&[
                "duration",
                d.key,
                d.label,
                &d.count.to_string(),
                &opt(d.median_seconds),
                &opt(d.p90_seconds),
            ]);
        }
        w.finish_text()
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: u64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() as u64 * p).div_ceil(100).max(1);
    sorted.get(rank as usize - 1).copied()
}

fn count_by(
    facts: &[IncidentFacts],
    all: impl IntoIterator<Item = (String, String)>,
    key: impl Fn(&IncidentFacts) -> String,
) -> Vec<Count> {
    all.into_iter()
        .map(|(k, label)| Count {
            count: facts.iter().filter(|f| key(f) == k).count() as u64,
            key: k,
            label,
        })
        .collect()
}

/// The figures of a year's incidents. Pure: the facts are all it reads.
pub fn figures(year: i32, facts: &[IncidentFacts]) -> IncidentFigures {
    let total = facts.len() as u64;
    let reportable = facts
        .iter()
        .filter(|f| f.regulator_reportable != 0 || f.nis_reportable != 0)
        .count() as u64;
    let month_of = |t: i64| {
        let d = palisade_domain::clock::from_unix(t);
        format!("{}-{:02}", d.year(), u8::from(d.month()))
    };
    let months = (1..=12).map(|m| (format!("{year}-{m:02}"), format!("{year}-{m:02}")));
    let kinds = IncidentKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.label().to_string()));
    let impacts = std::iter::once(("".to_string(), "Not graded".to_string())).chain(
        Impact::ALL
            .iter()
            .map(|i| (i.as_str().to_string(), i.label().to_string())),
    );
    let types = OrgType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.label().to_string()));
    let mut regions: Vec<String> = facts.iter().map(|f| f.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let step = |key: &'static str, label: &'static str, at: fn(&IncidentFacts) -> Option<i64>| {
        let mut spans: Vec<i64> = facts
            .iter()
            .filter_map(|f| at(f).map(|t| (t - f.aware_at).max(0)))
            .collect();
        spans.sort_unstable();
        Duration {
            key,
            label,
            count: spans.len() as u64,
            median_seconds: percentile(&spans, 50),
            p90_seconds: percentile(&spans, 90),
        }
    };
    IncidentFigures {
        year,
        total,
        reportable,
        reportable_percent: (total > 0).then(|| (reportable * 100 + total / 2) / total),
        late: facts.iter().filter(|f| f.reported_late != 0).count() as u64,
        by_month: count_by(facts, months, |f| month_of(f.notified_at)),
        by_kind: count_by(facts, kinds, |f| f.kind.clone()),
        by_impact: count_by(facts, impacts, |f| {
            f.impact
                .map(|n| Impact::from_score(n as u8).as_str().to_string())
                .unwrap_or_default()
        }),
        by_type: count_by(facts, types, |f| f.org_type.clone())
            .into_iter()
            .filter(|c| c.count > 0)
            .collect(),
        by_region: count_by(facts, regions.into_iter().map(|r| (r.clone(), r)), |f| {
            f.region.clone()
        }),
        durations: vec![
            step("notification", "Awareness to notification", |f| {
                Some(f.notified_at)
            }),
            step("triage", "Awareness to triage", |f| f.triaged_at),
            step("containment", "Awareness to containment", |f| {
                f.contained_at
            }),
            step("closure", "Awareness to closure", |f| f.closed_at),
        ],
    }
}

impl App {
    /// The national incident figures of a calendar year (this year by default).
    pub async fn incident_figures(
        &self,
        actor: &Actor,
        year: Option<i32>,
    ) -> Result<IncidentFigures> {
        actor.require(GlobalAction::ViewAllIncidents)?;
        let this_year = palisade_domain::clock::from_unix(self.now()).year();
        let year = year.unwrap_or(this_year);
        if !(2000..=this_year + 1).contains(&year) {
            return Err(AppError::invalid(
                "year",
                format!("must be a year from 2000 to {}", this_year + 1),
            ));
        }
        let start = |y: i32| {
            time::Date::from_calendar_date(y, time::Month::January, 1)
                .expect("1 January exists")
                .midnight()
                .assume_utc()
                .unix_timestamp()
        };
        let facts = self
            .store
            .incident_facts(start(year), start(year + 1))
            .await?;
        Ok(figures(year, &facts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(aware: i64, notified: i64, impact: Option<i64>, reportable: bool) -> IncidentFacts {
        IncidentFacts {
            kind: "ransomware".into(),
            impact,
            org_type: "acute_trust".into(),
            region: "London".into(),
            regulator_reportable: i64::from(reportable),
            nis_reportable: 0,
            reported_late: i64::from(notified - aware > 72 * 3600),
            aware_at: aware,
            notified_at: notified,
            triaged_at: Some(notified + 600),
            contained_at: None,
            closed_at: None,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn a_year_is_counted_once_and_shares_rounded_once() {
        let jan = 1_767_225_600; // 2026-01-01T00:00:00Z
        let facts = vec![
            fact(jan, jan + 3600, Some(4), true),
            fact(jan, jan + 7200, Some(4), true),
            fact(
                jan + 40 * 86_400,
                jan + 40 * 86_400 + 80 * 3600,
                None,
                false,
            ),
        ];
        let f = figures(2026, &facts);
        assert_eq!(
            (f.total, f.reportable, f.reportable_percent, f.late),
            (3, 2, Some(67), 1)
        );
        assert_eq!(f.by_month[0].count, 2);
        assert_eq!(f.by_month[1].key, "2026-02");
        assert_eq!(f.by_month[1].count, 1);
        assert_eq!(f.by_month.len(), 12);
        let serious = f.by_impact.iter().find(|c| c.key == "serious").unwrap();
        assert_eq!(serious.count, 2);
        assert_eq!(f.by_impact[0].count, 1, "not graded");
        assert_eq!(f.by_type.len(), 1);
        let n = &f.durations[0];
        assert_eq!(
            (n.count, n.median_seconds, n.p90_seconds),
            (3, Some(7200), Some(288_000))
        );
        assert_eq!(f.durations[2].count, 0);
        assert_eq!(f.durations[2].median_seconds, None);
        assert_eq!(figures(2026, &[]).reportable_percent, None);
    }
}
