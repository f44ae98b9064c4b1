//! National figures: every status counted by organisation type, category and region, the
//! "met or exceeded" share ministers quote, submission progress against the deadline, and the
//! change from the year before. One grouped query per year feeds every breakdown.

use crate::assessments::check_year;
use crate::{Actor, App, Result};
use palisade_domain::assessment::{Status, year_label};
use palisade_domain::dates::date_text;
use palisade_domain::org::OrgType;
use palisade_domain::policy::GlobalAction;
use palisade_store::StatusCount;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use time::Date;

/// Counts for one group of organisations (a type, a category, a region, or everyone).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub key: String,
    pub label: String,
    pub total: i64,
    /// Every status, including those with no organisations (keys sorted by name).
    pub statuses: BTreeMap<&'static str, i64>,
    pub met_or_exceeded: i64,
    pub met_or_exceeded_percent: f64,
    /// Organisations that have published, and how many of them first did so after the deadline.
    pub published: i64,
    pub published_late: i64,
    pub published_percent: f64,
    /// The same share a year earlier, when that year has any publication.
    pub previous_met_or_exceeded_percent: Option<f64>,
    pub change_points: Option<f64>,
    /// A year earlier: organisations that met or exceeded, of how many; every share and the
    /// change are rounded once, from counts.
    #[serde(skip)]
    pub previous_counts: Option<(i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NationalReport {
    pub year: i32,
    pub year_label: String,
    /// The day the figures describe (YYYY-MM-DD).
    pub as_of: String,
    /// The year's deadline (the earliest among its frameworks), when a framework is loaded.
    pub deadline: Option<String>,
    pub days_to_deadline: Option<i64>,
    pub overall: Figures,
    pub nhs_trusts: Figures,
    pub by_type: Vec<Figures>,
    pub by_category: Vec<Figures>,
    pub by_region: Vec<Figures>,
}

/// `part` of `whole` as a percentage with `places` decimals, rounded half up once from the
/// counts (5 of 11 is 45.5 to one place and 45 to none, never 46 by rounding 45.5 again).
fn percent_to(part: i64, whole: i64, places: u32) -> f64 {
    if whole <= 0 {
        return 0.0;
    }
    let scale = 100 * 10i128.pow(places);
    let (part, whole) = (i128::from(part), i128::from(whole));
    let scaled = (2 * part * scale + whole).div_euclid(2 * whole);
    scaled as f64 / 10f64.powi(places as i32)
}

/// A percentage to one decimal place, as the JSON and CSV report give it.
pub(crate) fn percent(part: i64, whole: i64) -> f64 {
    percent_to(part, whole, 1)
}

/// The change in points from `before` (met, total) to `now`, to one place, from the counts.
fn change_points((met, total): (i64, i64), (pm, pt): (i64, i64)) -> f64 {
    // met/total - pm/pt over the common denominator total × pt.
    let (met, total, pm, pt) = (
        i128::from(met),
        i128::from(total),
        i128::from(pm),
        i128::from(pt),
    );
    let num = met * pt - pm * total;
    let den = total * pt;
    // Half away from zero, once: |num| × 1000 / den, then the sign.
    let tenths = (2 * num.abs() * 1000 + den).div_euclid(2 * den);
    num.signum() as f64 * tenths as f64 / 10.0
}

fn figures<'a>(
    key: String,
    label: String,
    now: impl Iterator<Item = &'a StatusCount>,
    before: Option<Vec<&'a StatusCount>>,
) -> Figures {
    let mut statuses: BTreeMap<&'static str, i64> =
        Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    let mut late = 0;
    for c in now {
        *statuses.entry(c.status.as_str()).or_default() += c.orgs;
        late += c.late;
    }
    let total: i64 = statuses.values().sum();
    let met =
        statuses[Status::StandardsMet.as_str()] + statuses[Status::StandardsExceeded.as_str()];
    let published = total - statuses[Status::NotPublished.as_str()];
    let pct = percent(met, total);
    let previous_counts = before.and_then(|b| {
        let total: i64 = b.iter().map(|c| c.orgs).sum();
        let met: i64 = b
            .iter()
            .filter(|c| c.status.met_or_exceeded())
            .map(|c| c.orgs)
            .sum();
        (total > 0).then_some((met, total))
    });
    let previous = previous_counts.map(|(m, t)| percent(m, t));
    Figures {
        key,
        label,
        total,
        statuses,
        met_or_exceeded: met,
        met_or_exceeded_percent: pct,
        published,
        published_late: late,
        published_percent: percent(published, total),
        previous_met_or_exceeded_percent: previous,
        change_points: previous_counts
            .filter(|_| total > 0)
            .map(|b| change_points((met, total), b)),
        previous_counts,
    }
}

/// The national reports this server worked out, by year, each with the figures' version and the
/// day it was worked out for: one stands until either moves, so people opening the figures at
/// once cost one small read each, and a change anywhere (on any server) is seen at once.
#[derive(Default)]
pub struct ReportCache(std::sync::Mutex<HashMap<i32, CachedReport>>);

/// A report with the figures' version and the day it was worked out for.
type CachedReport = (i64, Date, Arc<NationalReport>);

impl ReportCache {
    fn get(&self, year: i32, version: i64, today: Date) -> Option<Arc<NationalReport>> {
        let held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.get(&year)
            .filter(|(v, day, _)| *v == version && *day == today)
            .map(|(_, _, r)| r.clone())
    }

    fn put(&self, year: i32, version: i64, today: Date, report: Arc<NationalReport>) {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(year, (version, today, report));
    }
}

impl App {
    /// The national figures for `year`, worked out again only when what they rest on changed
    /// (the figures' version) or the day did.
    pub async fn national_report(&self, actor: &Actor, year: i32) -> Result<Arc<NationalReport>> {
        actor.require(GlobalAction::ViewNationalReport)?;
        check_year(year)?;
        // Read before the figures: a change after this is worked out under a later version.
        let version = self.store.figures_version().await?;
        let today = self.today();
        if let Some(report) = self.report_cache.get(year, version, today) {
            return Ok(report);
        }
        let report = Arc::new(self.work_out_report(year, today).await?);
        self.report_cache.put(year, version, today, report.clone());
        Ok(report)
    }

    /// The national figures worked out now, past the cache and without filling it: what the
    /// first request after a change costs (benchmarks).
    pub async fn national_report_now(&self, actor: &Actor, year: i32) -> Result<NationalReport> {
        actor.require(GlobalAction::ViewNationalReport)?;
        check_year(year)?;
        self.work_out_report(year, self.today()).await
    }

    async fn work_out_report(&self, year: i32, today: Date) -> Result<NationalReport> {
        let now = self.store.status_counts(year).await?;
        let before = self.store.status_counts(year - 1).await?;
        let had_previous = before.iter().any(|c| c.status != Status::NotPublished);
        let prior = |f: &dyn Fn(&StatusCount) -> bool| {
            had_previous.then(|| before.iter().filter(|c| f(c)).collect::<Vec<_>>())
        };
        let group = |key: String, label: String, f: &dyn Fn(&StatusCount) -> bool| {
            figures(key, label, now.iter().filter(|c| f(c)), prior(f))
        };
        let by_type = OrgType::ALL
            .iter()
            .filter(|t| now.iter().any(|c| c.org_type == **t))
            .map(|t| group(t.as_str().into(), t.label().into(), &|c| c.org_type == *t))
            .collect();
        let mut categories: Vec<_> = now.iter().map(|c| c.category).collect();
        categories.sort();
        categories.dedup();
        let by_category = categories
            .into_iter()
            .map(|k| {
                group(
                    k.number().to_string(),
                    format!("Category {}", k.number()),
                    &|c| c.category == k,
                )
            })
            .collect();
        let mut regions: Vec<&str> = now.iter().map(|c| c.region.as_str()).collect();
        regions.sort();
        regions.dedup();
        let by_region = regions
            .into_iter()
            .map(|r| group(r.into(), r.into(), &|c| c.region == r))
            .collect();
        let deadline = self.year_deadline(year).await?;
        Ok(NationalReport {
            year,
            year_label: year_label(year),
            as_of: date_text(today),
            deadline: deadline.map(date_text),
            days_to_deadline: deadline.map(|d| palisade_domain::assessment::days_left(d, today)),
            overall: group("all".into(), "All organisations".into(), &|_| true),
            nhs_trusts: group("nhs_trusts".into(), "NHS trusts".into(), &|c| {
                c.org_type.is_trust()
            }),
            by_type,
            by_category,
            by_region,
        })
    }
}

impl App {
    /// The year's deadline: the earliest among its frameworks, when one is loaded.
    pub(crate) async fn year_deadline(&self, year: i32) -> Result<Option<Date>> {
        Ok(self
            .store
            .list_frameworks()
            .await?
            .into_iter()
            .filter(|f| f.year == year)
            .filter_map(|f| palisade_domain::dates::parse_date("deadline", &f.deadline).ok())
            .min())
    }
}

impl NationalReport {
    /// Every group as one CSV table, one row per group.
    pub fn to_csv(&self) -> String {
        let mut header = vec!["dimension", "key", "label", "total"];
        header.extend(Status::ALL.iter().map(|s| s.as_str()));
        header.extend([
            "met_or_exceeded",
            "met_or_exceeded_percent",
            "published",
            "published_late",
            "previous_met_or_exceeded_percent",
            "change_points",
        ]);
        let mut w = palisade_formats::csv_out::CsvOut::new(&header, 16);
        let rows = std::iter::once(("overall", &self.overall))
            .chain(std::iter::once(("group", &self.nhs_trusts)))
            .chain(self.by_type.iter().map(|f| ("type", f)))
            .chain(self.by_category.iter().map(|f| ("category", f)))
            .chain(self.by_region.iter().map(|f| ("region", f)));
        for (dimension, f) in rows {
            let mut r = vec![
                dimension.to_string(),
                f.key.clone(),
                f.label.clone(),
                f.total.to_string(),
            ];
            r.extend(
                Status::ALL
                    .iter()
                    .map(|s| f.statuses[s.as_str()].to_string()),
            );
            r.extend([
                f.met_or_exceeded.to_string(),
                format!("{:.1}", f.met_or_exceeded_percent),
                f.published.to_string(),
                f.published_late.to_string(),
                f.previous_met_or_exceeded_percent
                    .map(|p| format!("{p:.1}"))
                    .unwrap_or_default(),
                f.change_points
                    .map(|p| format!("{p:+.1}"))
                    .unwrap_or_default(),
            ]);
            w.row(&r);
        }
        w.finish_text()
    }

    /// Sentences fit for a parliamentary answer.
    pub fn to_text(&self) -> String {
        let as_of = long_date(&self.as_of);
        let mut out = String::new();
        let sentence = |label: &str, noun: &dyn Fn(i64) -> String, f: &Figures| {
            let mut s = format!(
                "As of {as_of}, {}% of {label}, or {} {}, had met or exceeded the standard in the {} assessment",
                percent_to(f.met_or_exceeded, f.total, 0),
                fmt_int(f.met_or_exceeded),
                noun(f.met_or_exceeded),
                self.year_label,
            );
            if let (Some((pm, pt)), Some(c)) = (f.previous_counts, f.change_points) {
                let change = if c == 0.0 {
                    "unchanged".to_string()
                } else {
                    let sign = if c > 0.0 { "up" } else { "down" };
                    let unit = if c.abs() == 1.0 { "point" } else { "points" };
                    format!("{sign} {} {unit}", format_points(c.abs()))
                };
                s.push_str(&format!(
                    ", {change} on the year before ({}%)",
                    percent_to(pm, pt, 0)
                ));
            }
            s.push_str(".\n");
            s
        };
        if self.nhs_trusts.total > 0 {
            let trusts = |n: i64| if n == 1 { "trust" } else { "trusts" }.to_string();
            out.push_str(&sentence("NHS trusts", &trusts, &self.nhs_trusts));
        }
        for f in &self.by_type {
            let t: OrgType = f.key.parse().expect("report keys are organisation types");
            if !t.is_trust() {
                out.push_str(&sentence(t.plural(), &|n| t.count_noun(n), f));
            }
        }
        out.push_str(&format!(
            "{} of {} organisations ({}%) had published their {} assessment",
            fmt_int(self.overall.published),
            fmt_int(self.overall.total),
            percent_to(self.overall.published, self.overall.total, 0),
            self.year_label
        ));
        match (&self.deadline, self.days_to_deadline) {
            (Some(d), Some(n)) if n >= 0 => out.push_str(&format!(
                "; the deadline is {} ({} days away).\n",
                long_date(d),
                n
            )),
            (Some(d), Some(_)) => out.push_str(&format!(
                "; the deadline was {}, and {} published after it.\n",
                long_date(d),
                fmt_int(self.overall.published_late)
            )),
            _ => out.push_str(".\n"),
        }
        out
    }
}

fn format_points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{}", p as i64)
    } else {
        format!("{p:.1}")
    }
}

/// 20278 → "20,278".
pub fn fmt_int(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// "2024-07-14" → "14 July 2024".
pub fn long_date(iso: &str) -> String {
    match palisade_domain::dates::parse_date("date", iso) {
        Ok(d) => format!("{} {} {}", d.day(), d.month(), d.year()),
        Err(_) => iso.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_read_as_in_a_parliamentary_answer() {
        assert_eq!(fmt_int(172), "172");
        assert_eq!(fmt_int(20278), "20,278");
        assert_eq!(fmt_int(1_234_567), "1,234,567");
        assert_eq!(long_date("2024-07-14"), "14 July 2024");
        assert_eq!(percent(172, 210), 81.9);
        assert_eq!(percent(0, 0), 0.0);
    }

    #[test]
    fn shares_are_rounded_once_from_the_counts() {
        // 5 of 11 is 45.45%: 45.5 to one place, 45 to none (not 46 from 45.5).
        assert_eq!(percent(5, 11), 45.5);
        assert_eq!(percent_to(5, 11, 0), 45.0);
        assert_eq!(percent_to(1, 8, 0), 13.0, "12.5 rounds half up");
        assert_eq!(percent_to(1, 3, 1), 33.3);
        assert_eq!(percent_to(2, 3, 1), 66.7);
        // 5/11 − 4/9 = 1.01 points, not 45.5 − 44.4 = 1.1.
        assert_eq!(change_points((5, 11), (4, 9)), 1.0);
        assert_eq!(change_points((4, 9), (5, 11)), -1.0);
        assert_eq!(change_points((1, 2), (1, 2)), 0.0);
    }

    #[test]
    fn the_text_report_quotes_the_share_rounded_once() {
        let count = |status: Status, orgs: i64| StatusCount {
            org_type: OrgType::Optician,
            category: OrgType::Optician.default_category(),
            region: "London".into(),
            status,
            orgs,
            late: 0,
        };
        let now = [
            count(Status::StandardsMet, 5),
            count(Status::NotPublished, 6),
        ];
        let before = [
            count(Status::StandardsMet, 4),
            count(Status::NotPublished, 5),
        ];
        let f = figures(
            "optician".into(),
            "Opticians".into(),
            now.iter(),
            Some(before.iter().collect()),
        );
        assert_eq!(f.met_or_exceeded_percent, 45.5);
        let report = NationalReport {
            year: 2025,
            year_label: "2025-26".into(),
            as_of: "2026-06-30".into(),
            deadline: None,
            days_to_deadline: None,
            overall: f.clone(),
            nhs_trusts: figures("trusts".into(), "NHS trusts".into(), [].iter(), None),
            by_type: vec![f],
            by_category: Vec::new(),
            by_region: Vec::new(),
        };
        let text = report.to_text();
        assert!(text.contains(", 45% of opticians, or 5 "), "{text}");
        assert!(
            text.contains("up 1 point on the year before (44%)"),
            "{text}"
        );
        assert!(text.contains("5 of 11 organisations (45%)"), "{text}");
    }
}
