//! Incidents: what an organisation reports when something goes wrong, how it is graded, and the
//! clocks the grade starts.
//!
//! One notification covers a personal-data breach and a network-and-information-systems (NIS)
//! incident. The grade is harm likelihood × impact on two five-point scales; whether the data
//! regulator or the NIS rules must hear of it, and by when, follows from the grade and a few facts
//! by [`GradingRules`], which are data with the published defaults. Times are Unix seconds (UTC).

use crate::error::{FieldError, FieldErrors};
use crate::org::{Category, OrgType, string_enum};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

string_enum! {
    /// What kind of incident it is.
    IncidentKind {
        Ransomware => "ransomware", "Ransomware",
        Malware => "malware", "Malware",
        Phishing => "phishing", "Phishing",
        AccountCompromise => "account_compromise", "Account compromise",
        DenialOfService => "denial_of_service", "Denial of service",
        SupplierCompromise => "supplier_compromise", "Supplier compromise",
        UnsupportedSystemExploited => "unsupported_system_exploited", "Unsupported system exploited",
        LostOrStolenDevice => "lost_or_stolen_device", "Lost or stolen device",
        MisdirectedData => "misdirected_data", "Data sent to the wrong person",
        UnauthorisedAccess => "unauthorised_access", "Unauthorised access",
        Other => "other", "Other",
    }
}

string_enum! {
    /// How likely harm is to the people the data is about, or to the service: 1 to 5.
    Likelihood {
        NotOccurred => "not_occurred", "Not occurred",
        NotLikely => "not_likely", "Not likely",
        Likely => "likely", "Likely",
        HighlyLikely => "highly_likely", "Highly likely",
        Occurred => "occurred", "Occurred",
    }
}

string_enum! {
    /// How bad the effect is: 1 to 5.
    Impact {
        NoAdverseEffect => "no_adverse_effect", "No adverse effect",
        Minor => "minor", "Minor",
        Adverse => "adverse", "Adverse",
        Serious => "serious", "Serious",
        Catastrophic => "catastrophic", "Catastrophic",
    }
}

string_enum! {
    /// Which property of information or a service was affected.
    Cia {
        Confidentiality => "confidentiality", "Confidentiality",
        Integrity => "integrity", "Integrity",
        Availability => "availability", "Availability",
    }
}

string_enum! {
    /// Where an incident stands. A draft is the organisation's alone; the rest follow notification.
    IncidentStatus {
        Draft => "draft", "Draft",
        Notified => "notified", "Notified",
        Triaged => "triaged", "Triaged",
        Investigating => "investigating", "Investigating",
        Contained => "contained", "Contained",
        Closed => "closed", "Closed",
        Reopened => "reopened", "Reopened",
    }
}

string_enum! {
    /// The national team's own view of how serious an incident is.
    Severity {
        Low => "low", "Low",
        Medium => "medium", "Medium",
        High => "high", "High",
        Critical => "critical", "Critical",
    }
}

string_enum! {
    /// The deadlines a grade can start.
    ClockName {
        Regulator => "regulator", "Data regulator",
        NisInitial => "nis_initial", "NIS initial notification",
        NisFull => "nis_full", "NIS full report",
        NisFinal => "nis_final", "NIS final report",
    }
}

string_enum! {
    /// A later report an update can be marked as, meeting the matching NIS clock.
    ReportStage {
        Full => "full", "Full report",
        Final => "final", "Final report",
    }
}

/// The one-to-five score of a point on either scale.
pub trait Scale: Copy + 'static {
    const ALL_POINTS: &'static [Self];
    fn score(self) -> u8;
    fn from_score(n: u8) -> Self;
}

macro_rules! scale {
    ($name:ident) => {
        impl Scale for $name {
            const ALL_POINTS: &'static [Self] = $name::ALL;
            fn score(self) -> u8 {
                self as u8 + 1
            }
            fn from_score(n: u8) -> Self {
                $name::ALL[usize::from(n.clamp(1, 5) - 1)]
            }
        }
    };
}
scale!(Likelihood);
scale!(Impact);

impl IncidentStatus {
    /// The national team may move a notified incident to these.
    pub const TRIAGE: [IncidentStatus; 6] = [
        IncidentStatus::Notified,
        IncidentStatus::Triaged,
        IncidentStatus::Investigating,
        IncidentStatus::Contained,
        IncidentStatus::Closed,
        IncidentStatus::Reopened,
    ];

    pub fn is_open(self) -> bool {
        !matches!(self, IncidentStatus::Draft | IncidentStatus::Closed)
    }
}

/// The rules that turn a grade into duties. Data, with the published values as defaults; an
/// operator may change them in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradingRules {
    /// The data regulator must hear when personal data is involved and the grade reaches both.
    pub regulator_min_likelihood: u8,
    pub regulator_min_impact: u8,
    /// Hours after awareness the regulator must hear within.
    pub regulator_hours: i64,
    /// NIS rules apply to category 1 organisations and IT suppliers when a service's
    /// availability or integrity was affected and the impact reaches this.
    pub nis_min_impact: u8,
    pub nis_initial_hours: i64,
    pub nis_full_hours: i64,
    /// Days after the full report the final report is due.
    pub nis_final_days: i64,
    /// An incident involving vulnerable groups counts as at least these.
    pub vulnerable_min_likelihood: u8,
    pub vulnerable_min_impact: u8,
    /// A running clock warns the organisation's contacts when this share of its time has
    /// passed without the matching report (once each).
    pub warn_at_percent: Vec<u8>,
}

impl Default for GradingRules {
    fn default() -> Self {
        Self {
            regulator_min_likelihood: 3,
            regulator_min_impact: 2,
            regulator_hours: 72,
            nis_min_impact: 3,
            nis_initial_hours: 24,
            nis_full_hours: 72,
            nis_final_days: 30,
            vulnerable_min_likelihood: 2,
            vulnerable_min_impact: 2,
            warn_at_percent: vec![50, 80],
        }
    }
}

/// What the grade is decided from.
#[derive(Debug, Clone, Copy)]
pub struct GradeFacts<'a> {
    pub likelihood: Likelihood,
    pub impact: Impact,
    pub personal_data: bool,
    pub vulnerable_groups: bool,
    pub cia: &'a [Cia],
    /// The organisation falls under the NIS rules (see [`nis_scope`]).
    pub nis_scope: bool,
}

/// A grade with what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grade {
    /// As reported, raised to the floor for vulnerable groups.
    pub likelihood: Likelihood,
    pub impact: Impact,
    pub regulator_reportable: bool,
    pub nis_reportable: bool,
}

/// Category 1 organisations and IT suppliers fall under the NIS rules.
pub fn nis_scope(org_type: OrgType, category: Category) -> bool {
    category == Category::One || org_type == OrgType::ItSupplier
}

/// One deadline, and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub name: ClockName,
    /// When the clock started (awareness, or the full report for the final one).
    pub started_at: Option<i64>,
    /// None while the clock has not started (the final report's, before the full report).
    pub due_at: Option<i64>,
    pub met_at: Option<i64>,
    /// Met after its due time, or unmet with the due time passed. A report exactly at the due
    /// second is on time.
    pub late: bool,
    /// Seconds past the due time (at the report, or now while unmet).
    pub late_by: Option<i64>,
}

impl Clock {
    /// Still waiting for its report.
    pub fn running(&self) -> bool {
        self.met_at.is_none() && self.due_at.is_some()
    }

    /// The share of the clock's time gone at `now`, in whole percent (0 before it starts).
    pub fn percent_gone(&self, now: i64) -> i64 {
        match (self.started_at, self.due_at) {
            (Some(s), Some(d)) if d > s => ((now - s) * 100).div_euclid(d - s),
            _ => 0,
        }
    }
}

/// When the reports a clock waits for were made.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reports {
    pub aware_at: i64,
    /// The notification: meets the regulator and NIS initial clocks.
    pub notified_at: Option<i64>,
    pub full_at: Option<i64>,
    pub final_at: Option<i64>,
}

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// The longest clock the rules accept: a year, in hours and in days.
pub const MAX_CLOCK_HOURS: i64 = 366 * 24;
pub const MAX_CLOCK_DAYS: i64 = 366;

impl GradingRules {
    /// Refuses rules that make no sense, each fault under the name of its key: scores outside
    /// 1 to 5, clocks that are not positive (or longer than a year), an initial NIS notification
    /// due after the full report, and warning thresholds outside 1 to 99 or not strictly rising.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        for (field, score) in [
            ("regulator_min_likelihood", self.regulator_min_likelihood),
            ("regulator_min_impact", self.regulator_min_impact),
            ("nis_min_impact", self.nis_min_impact),
            ("vulnerable_min_likelihood", self.vulnerable_min_likelihood),
            ("vulnerable_min_impact", self.vulnerable_min_impact),
        ] {
            if !(1..=5).contains(&score) {
                e.push(field, format!("must be a score from 1 to 5, not {score}"));
            }
        }
        for (field, n, max, unit) in [
            (
                "regulator_hours",
                self.regulator_hours,
                MAX_CLOCK_HOURS,
                "hours",
            ),
            (
                "nis_initial_hours",
                self.nis_initial_hours,
                MAX_CLOCK_HOURS,
                "hours",
            ),
            (
                "nis_full_hours",
                self.nis_full_hours,
                MAX_CLOCK_HOURS,
                "hours",
            ),
            (
                "nis_final_days",
                self.nis_final_days,
                MAX_CLOCK_DAYS,
                "days",
            ),
        ] {
            if n <= 0 {
                e.push(
                    field,
                    format!("must be a positive number of {unit}, not {n}"),
                );
            } else if n > max {
                e.push(
                    field,
                    format!("must be at most {max} {unit} (a year), not {n}"),
                );
            }
        }
        if self.nis_full_hours > 0 && self.nis_initial_hours > self.nis_full_hours {
            e.push(
                "nis_initial_hours",
                format!(
                    "must not be more than nis_full_hours ({}): the initial notification comes before the full report",
                    self.nis_full_hours
                ),
            );
        }
        let percents = &self.warn_at_percent;
        if let Some(p) = percents.iter().find(|p| !(1..=99).contains(*p)) {
            e.push(
                "warn_at_percent",
                format!("must hold percentages from 1 to 99, not {p}"),
            );
        } else if percents.windows(2).any(|w| w[0] >= w[1]) {
            e.push(
                "warn_at_percent",
                format!("must rise without repeats, such as [50, 80], not {percents:?}"),
            );
        }
        e.into_result()
    }

    pub fn grade(&self, f: &GradeFacts<'_>) -> Grade {
        let (mut likelihood, mut impact) = (f.likelihood, f.impact);
        if f.vulnerable_groups {
            likelihood =
                Likelihood::from_score(likelihood.score().max(self.vulnerable_min_likelihood));
            impact = Impact::from_score(impact.score().max(self.vulnerable_min_impact));
        }
        let regulator_reportable = f.personal_data
            && likelihood.score() >= self.regulator_min_likelihood
            && impact.score() >= self.regulator_min_impact;
        let service = f
            .cia
            .iter()
            .any(|c| matches!(c, Cia::Availability | Cia::Integrity));
        let nis_reportable = f.nis_scope && service && impact.score() >= self.nis_min_impact;
        Grade {
            likelihood,
            impact,
            regulator_reportable,
            nis_reportable,
        }
    }

    /// The clocks a grade runs, in the order they fall due, as they stand at `now`.
    pub fn clocks(&self, grade: &Grade, r: &Reports, now: i64) -> Vec<Clock> {
        let mut out = Vec::new();
        let aware = Some(r.aware_at);
        if grade.regulator_reportable {
            let due = r.aware_at + self.regulator_hours * HOUR;
            out.push(clock(
                ClockName::Regulator,
                aware,
                Some(due),
                r.notified_at,
                now,
            ));
        }
        if grade.nis_reportable {
            let initial = r.aware_at + self.nis_initial_hours * HOUR;
            out.push(clock(
                ClockName::NisInitial,
                aware,
                Some(initial),
                r.notified_at,
                now,
            ));
            let full = r.aware_at + self.nis_full_hours * HOUR;
            out.push(clock(ClockName::NisFull, aware, Some(full), r.full_at, now));
            let final_due = r.full_at.map(|f| f + self.nis_final_days * DAY);
            out.push(clock(
                ClockName::NisFinal,
                r.full_at,
                final_due,
                r.final_at,
                now,
            ));
        }
        out.sort_by_key(|c| (c.due_at.is_none(), c.due_at));
        out
    }

    /// The warnings due at `now` that `sent` (`clock@percent` keys) does not hold yet: for each
    /// running clock, the highest threshold passed (a clock first seen at 85% warns once, at 80).
    pub fn warnings_due(
        &self,
        clocks: &[Clock],
        sent: &[String],
        now: i64,
    ) -> Vec<(ClockName, u8)> {
        let mut out = Vec::new();
        for c in clocks.iter().filter(|c| c.running()) {
            let gone = c.percent_gone(now);
            let passed = self
                .warn_at_percent
                .iter()
                .copied()
                .filter(|p| gone >= i64::from(*p))
                .max();
            if let Some(p) = passed {
                let already = self
                    .warn_at_percent
                    .iter()
                    .filter(|q| **q >= p)
                    .any(|q| sent.contains(&warning_key(c.name, *q)));
                if !already {
                    out.push((c.name, p));
                }
            }
        }
        out
    }
}

impl GradingRules {
    /// When the next warning falls due: the earliest instant a running clock passes a threshold
    /// it has not been warned at (nor at a later one). None when no warning is left to send.
    pub fn next_warning_at(&self, clocks: &[Clock], sent: &[String]) -> Option<i64> {
        clocks
            .iter()
            .filter(|c| c.running())
            .filter_map(|c| {
                let (start, due) = (c.started_at?, c.due_at?);
                self.warn_at_percent
                    .iter()
                    .copied()
                    .filter(|p| {
                        !self
                            .warn_at_percent
                            .iter()
                            .filter(|q| **q >= *p)
                            .any(|q| sent.contains(&warning_key(c.name, *q)))
                    })
                    .map(|p| {
                        // The first whole second at which p% has gone (rounded up).
                        let span = (due - start) * i64::from(p);
                        start + span.div_euclid(100) + i64::from(span.rem_euclid(100) != 0)
                    })
                    .min()
            })
            .min()
    }
}

/// How a sent warning is remembered.
pub fn warning_key(clock: ClockName, percent: u8) -> String {
    format!("{}@{percent}", clock.as_str())
}

fn clock(
    name: ClockName,
    started: Option<i64>,
    due: Option<i64>,
    met: Option<i64>,
    now: i64,
) -> Clock {
    let over = |at: i64| due.filter(|d| at > *d).map(|d| at - d);
    let late_by = match met {
        Some(m) => over(m),
        None => over(now),
    };
    Clock {
        name,
        started_at: started,
        due_at: due,
        met_at: met,
        late: late_by.is_some(),
        late_by,
    }
}

/// A whole number of hours and minutes, for "late by 2 h 05 min".
pub fn duration_text(secs: i64) -> String {
    let mins = secs.div_euclid(60);
    let (d, h, m) = (mins / (24 * 60), (mins / 60) % 24, mins % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m:02} min"),
        _ => format!("{d} d {h} h {m:02} min"),
    }
}

/// An incident's fields as typed (API JSON or a form), before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentInput {
    pub title: String,
    pub description: String,
    pub kind: String,
    /// RFC 3339.
    pub started_at: String,
    pub aware_at: String,
    pub contained: bool,
    pub cia: Vec<String>,
    pub personal_data: bool,
    pub vulnerable_groups: bool,
    pub people_affected: Option<i64>,
    /// Empty while not yet graded (a draft may be saved without a grade).
    pub likelihood: String,
    pub impact: String,
    pub systems: Vec<String>,
    pub not_reported_reason: String,
}

/// An incident's checked fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFields {
    pub title: String,
    pub description: String,
    pub kind: IncidentKind,
    pub started_at: i64,
    pub aware_at: i64,
    pub contained: bool,
    pub cia: Vec<Cia>,
    pub personal_data: bool,
    pub vulnerable_groups: bool,
    pub people_affected: Option<i64>,
    pub likelihood: Option<Likelihood>,
    pub impact: Option<Impact>,
    pub systems: Vec<String>,
    pub not_reported_reason: Option<String>,
}

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 20_000;
pub const MAX_SYSTEMS: usize = 200;
pub const MAX_SYSTEM: usize = 300;

/// Reads an RFC 3339 time into Unix seconds.
pub fn parse_time(field: &str, raw: &str) -> Result<i64, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    OffsetDateTime::parse(t, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| {
            FieldError::new(
                field,
                format!("'{t}' is not a date and time such as 2026-12-03T09:30:00Z"),
            )
        })
}

fn text(errors: &mut FieldErrors, field: &str, raw: &str, max: usize, required: bool) -> String {
    let t = raw.trim();
    if required && t.is_empty() {
        errors.push(field, "is required");
    } else if t.chars().count() > max {
        errors.push(field, format!("is longer than {max} characters"));
    }
    t.to_string()
}

/// Parses an optional scale point: empty means not given.
fn point<T: std::str::FromStr<Err = String>>(
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
) -> Option<T> {
    if raw.trim().is_empty() {
        return None;
    }
    errors.take(raw.parse::<T>().map_err(|m| FieldError::new(field, m)))
}

/// Checks what was typed: every fault named at once. Awareness may not be in the future nor
/// before the start.
pub fn check(input: &IncidentInput, now: i64) -> Result<IncidentFields, FieldErrors> {
    let mut e = FieldErrors::default();
    let title = text(&mut e, "title", &input.title, MAX_TITLE, true);
    let description = text(&mut e, "description", &input.description, MAX_TEXT, true);
    let kind = e.take(
        input
            .kind
            .parse::<IncidentKind>()
            .map_err(|m| FieldError::new("kind", m)),
    );
    let started_at = e.take(parse_time("started_at", &input.started_at));
    let aware_at = e.take(parse_time("aware_at", &input.aware_at));
    if let Some(a) = aware_at {
        if a > now {
            e.push("aware_at", "is in the future");
        } else if started_at.is_some_and(|s| a < s) {
            e.push("aware_at", "is before the incident started");
        }
    }
    if started_at.is_some_and(|s| s > now) {
        e.push("started_at", "is in the future");
    }
    let mut cia = Vec::new();
    for (i, raw) in input.cia.iter().enumerate() {
        let parsed = raw
            .parse::<Cia>()
            .map_err(|m| FieldError::new(format!("cia[{i}]"), m));
        if let Some(c) = e.take(parsed)
            && !cia.contains(&c)
        {
            cia.push(c);
        }
    }
    cia.sort();
    if input.people_affected.is_some_and(|n| n < 0) {
        e.push("people_affected", "cannot be negative");
    }
    let likelihood = point::<Likelihood>(&mut e, "likelihood", &input.likelihood);
    let impact = point::<Impact>(&mut e, "impact", &input.impact);
    let systems = check_systems(&mut e, &input.systems);
    let reason = text(
        &mut e,
        "not_reported_reason",
        &input.not_reported_reason,
        MAX_TEXT,
        false,
    );
    e.into_result()?;
    Ok(IncidentFields {
        title,
        description,
        kind: kind.expect("checked"),
        started_at: started_at.expect("checked"),
        aware_at: aware_at.expect("checked"),
        contained: input.contained,
        cia,
        personal_data: input.personal_data,
        vulnerable_groups: input.vulnerable_groups,
        people_affected: input.people_affected,
        likelihood,
        impact,
        systems,
        not_reported_reason: (!reason.is_empty()).then_some(reason),
    })
}

/// The affected services and systems: trimmed, empty lines dropped, each once.
pub fn check_systems(e: &mut FieldErrors, raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let s = s.trim();
        if s.is_empty() || out.iter().any(|o| o == s) {
            continue;
        }
        if s.chars().count() > MAX_SYSTEM {
            e.push(
                format!("systems[{i}]"),
                format!("is longer than {MAX_SYSTEM} characters"),
            );
        }
        out.push(s.to_string());
    }
    if out.len() > MAX_SYSTEMS {
        e.push("systems", format!("lists more than {MAX_SYSTEMS} systems"));
    }
    out
}

impl IncidentFields {
    /// The grade, once both scales are given.
    pub fn grade(&self, rules: &GradingRules, nis_scope: bool) -> Option<Grade> {
        Some(rules.grade(&GradeFacts {
            likelihood: self.likelihood?,
            impact: self.impact?,
            personal_data: self.personal_data,
            vulnerable_groups: self.vulnerable_groups,
            cia: &self.cia,
            nis_scope,
        }))
    }

    /// What must hold before the incident can be notified: a grade, and a reason when the grade
    /// makes it reportable to no one.
    pub fn check_notifiable(
        &self,
        rules: &GradingRules,
        nis_scope: bool,
    ) -> Result<Grade, FieldErrors> {
        let mut e = FieldErrors::default();
        if self.likelihood.is_none() {
            e.push(
                "likelihood",
                "is required to notify: grade the incident first",
            );
        }
        if self.impact.is_none() {
            e.push("impact", "is required to notify: grade the incident first");
        }
        e.into_result()?;
        let grade = self.grade(rules, nis_scope).expect("graded");
        if !grade.regulator_reportable
            && !grade.nis_reportable
            && self.not_reported_reason.is_none()
        {
            return Err(FieldErrors::one(
                "not_reported_reason",
                "is required: the grade makes this incident reportable to no one, so say why it is not reported",
            ));
        }
        Ok(grade)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWARE: i64 = 1_796_000_000;

    fn facts(l: u8, i: u8) -> GradeFacts<'static> {
        GradeFacts {
            likelihood: Likelihood::from_score(l),
            impact: Impact::from_score(i),
            personal_data: true,
            vulnerable_groups: false,
            cia: &[Cia::Confidentiality, Cia::Availability],
            nis_scope: true,
        }
    }

    #[test]
    fn the_grade_table_follows_the_thresholds() {
        let r = GradingRules::default();
        for l in 1..=5u8 {
            for i in 1..=5u8 {
                let g = r.grade(&facts(l, i));
                assert_eq!(
                    g.regulator_reportable,
                    l >= 3 && i >= 2,
                    "regulator {l}x{i}"
                );
                assert_eq!(g.nis_reportable, i >= 3, "nis {l}x{i}");
            }
        }
    }

    #[test]
    fn the_rules_need_personal_data_scope_and_a_service() {
        let r = GradingRules::default();
        let mut f = facts(5, 5);
        f.personal_data = false;
        assert!(!r.grade(&f).regulator_reportable);
        let mut f = facts(5, 5);
        f.nis_scope = false;
        assert!(!r.grade(&f).nis_reportable);
        let mut f = facts(5, 5);
        f.cia = &[Cia::Confidentiality];
        assert!(
            !r.grade(&f).nis_reportable,
            "confidentiality alone is not a service"
        );
        f.cia = &[Cia::Integrity];
        assert!(r.grade(&f).nis_reportable);
        assert!(nis_scope(OrgType::ItSupplier, Category::Two));
        assert!(nis_scope(OrgType::AcuteTrust, Category::One));
        assert!(!nis_scope(OrgType::GpPractice, Category::Four));
    }

    #[test]
    fn vulnerable_groups_raise_the_grade_to_the_floor() {
        let r = GradingRules::default();
        let mut f = facts(1, 1);
        f.vulnerable_groups = true;
        let g = r.grade(&f);
        assert_eq!(
            (g.likelihood, g.impact),
            (Likelihood::NotLikely, Impact::Minor)
        );
        let mut f = facts(3, 1);
        f.vulnerable_groups = true;
        assert!(
            r.grade(&f).regulator_reportable,
            "likely x minor after the floor"
        );
        let mut f = facts(4, 4);
        f.vulnerable_groups = true;
        let g = r.grade(&f);
        assert_eq!(
            (g.likelihood, g.impact),
            (Likelihood::HighlyLikely, Impact::Serious)
        );
    }

    fn both() -> Grade {
        GradingRules::default().grade(&facts(4, 4))
    }

    #[test]
    fn a_notification_exactly_at_the_due_second_is_on_time() {
        let r = GradingRules::default();
        let due = AWARE + 72 * 3600;
        let on_time = Reports {
            aware_at: AWARE,
            notified_at: Some(due),
            ..Reports::default()
        };
        let c = r.clocks(&both(), &on_time, due + 10);
        let reg = c.iter().find(|c| c.name == ClockName::Regulator).unwrap();
        assert_eq!(reg.due_at, Some(due));
        assert!(!reg.late);
        let late = Reports {
            notified_at: Some(due + 1),
            ..on_time
        };
        let c = r.clocks(&both(), &late, due + 10);
        let reg = c.iter().find(|c| c.name == ClockName::Regulator).unwrap();
        assert!(reg.late);
        assert_eq!(reg.late_by, Some(1));
        let initial = c.iter().find(|c| c.name == ClockName::NisInitial).unwrap();
        assert_eq!(initial.due_at, Some(AWARE + 24 * 3600));
        assert_eq!(initial.late_by, Some(48 * 3600 + 1));
    }

    #[test]
    fn unmet_clocks_are_late_once_their_time_passes_and_final_starts_at_the_full_report() {
        let r = GradingRules::default();
        let draft = Reports {
            aware_at: AWARE,
            ..Reports::default()
        };
        let at = |c: &[Clock], n: ClockName| *c.iter().find(|c| c.name == n).unwrap();
        let c = r.clocks(&both(), &draft, AWARE + 24 * 3600);
        assert!(
            !at(&c, ClockName::NisInitial).late,
            "exactly at due: not yet late"
        );
        let c = r.clocks(&both(), &draft, AWARE + 24 * 3600 + 1);
        assert!(at(&c, ClockName::NisInitial).late);
        assert!(!at(&c, ClockName::Regulator).late);
        let fin = at(&c, ClockName::NisFinal);
        assert_eq!((fin.due_at, fin.late), (None, false));
        assert_eq!(
            c.last().unwrap().name,
            ClockName::NisFinal,
            "unstarted last"
        );
        let full = Reports {
            notified_at: Some(AWARE + 3600),
            full_at: Some(AWARE + 50 * 3600),
            ..draft
        };
        let c = r.clocks(&both(), &full, AWARE + 51 * 3600);
        assert_eq!(
            at(&c, ClockName::NisFinal).due_at,
            Some(AWARE + 50 * 3600 + 30 * 86_400)
        );
        assert!(!at(&c, ClockName::NisFull).late);
        let none = GradingRules::default().grade(&facts(1, 1));
        assert!(r.clocks(&none, &draft, AWARE).is_empty());
    }

    #[test]
    fn warnings_come_once_at_each_threshold() {
        let r = GradingRules::default();
        let g = GradingRules::default().grade(&GradeFacts {
            nis_scope: false,
            ..facts(4, 4)
        });
        let d = Reports {
            aware_at: AWARE,
            ..Reports::default()
        };
        let at = |h: i64| AWARE + h * 3600;
        let clocks = r.clocks(&g, &d, at(35));
        assert!(
            r.warnings_due(&clocks, &[], at(35)).is_empty(),
            "35 of 72 hours"
        );
        let clocks = r.clocks(&g, &d, at(36));
        assert_eq!(
            r.warnings_due(&clocks, &[], at(36)),
            vec![(ClockName::Regulator, 50)]
        );
        let sent = vec![warning_key(ClockName::Regulator, 50)];
        assert!(r.warnings_due(&clocks, &sent, at(40)).is_empty());
        let clocks = r.clocks(&g, &d, at(58));
        assert_eq!(
            r.warnings_due(&clocks, &sent, at(58)),
            vec![(ClockName::Regulator, 80)]
        );
        let sent80 = vec![warning_key(ClockName::Regulator, 80)];
        assert!(
            r.warnings_due(&clocks, &sent80, at(60)).is_empty(),
            "a later warning covers the earlier one"
        );
        let met = Reports {
            notified_at: Some(at(10)),
            ..d
        };
        let clocks = r.clocks(&g, &met, at(60));
        assert!(
            r.warnings_due(&clocks, &[], at(60)).is_empty(),
            "met clocks never warn"
        );
    }

    #[test]
    fn the_next_warning_is_the_earliest_threshold_not_yet_warned() {
        let r = GradingRules::default();
        let g = r.grade(&GradeFacts {
            nis_scope: false,
            ..facts(4, 4)
        });
        let d = Reports {
            aware_at: AWARE,
            ..Reports::default()
        };
        let clocks = r.clocks(&g, &d, AWARE);
        assert_eq!(r.next_warning_at(&clocks, &[]), Some(AWARE + 36 * 3600));
        let sent = vec![warning_key(ClockName::Regulator, 50)];
        assert_eq!(
            r.next_warning_at(&clocks, &sent),
            Some(AWARE + 57 * 3600 + 36 * 60)
        );
        let percent_gone_then = clocks[0].percent_gone(AWARE + 57 * 3600 + 36 * 60);
        assert_eq!(percent_gone_then, 80);
        let all = vec![warning_key(ClockName::Regulator, 80)];
        assert_eq!(r.next_warning_at(&clocks, &all), None);
        let met = Reports {
            notified_at: Some(AWARE + 60),
            ..d
        };
        assert_eq!(r.next_warning_at(&r.clocks(&g, &met, AWARE), &[]), None);
    }

    fn input() -> IncidentInput {
        IncidentInput {
            title: "Ransomware on the PACS server".into(),
            description: "Files encrypted overnight.".into(),
            kind: "ransomware".into(),
            started_at: "2026-12-01T22:00:00Z".into(),
            aware_at: "2026-12-02T07:15:00+00:00".into(),
            cia: vec![
                "availability".into(),
                "confidentiality".into(),
                "availability".into(),
            ],
            personal_data: true,
            likelihood: "likely".into(),
            impact: "serious".into(),
            systems: vec![" PACS ".into(), "".into(), "PACS".into()],
            ..IncidentInput::default()
        }
    }

    #[test]
    fn input_is_checked_and_normalised() {
        let now = 1_796_300_000; // 2026-12-02T...
        let f = check(&input(), now).unwrap();
        assert_eq!(f.kind, IncidentKind::Ransomware);
        assert_eq!(f.cia, vec![Cia::Confidentiality, Cia::Availability]);
        assert_eq!(f.systems, vec!["PACS"]);
        assert_eq!(f.aware_at - f.started_at, 9 * 3600 + 15 * 60);
        let bad = IncidentInput {
            kind: "flood".into(),
            aware_at: "2026-12-01T21:00:00Z".into(),
            likelihood: "maybe".into(),
            impact: "9".into(),
            cia: vec!["secrecy".into()],
            title: " ".into(),
            ..input()
        };
        let e = check(&bad, now).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "kind",
                "aware_at",
                "cia[0]",
                "likelihood",
                "impact"
            ]
        );
        let future = IncidentInput {
            aware_at: "2027-01-01T00:00:00Z".into(),
            started_at: "2027-01-01T00:00:00Z".into(),
            ..input()
        };
        let e = check(&future, now).unwrap_err();
        assert_eq!(e.0[0].message, "is in the future");
    }

    #[test]
    fn notifying_needs_a_grade_and_a_reason_when_reportable_to_no_one() {
        let r = GradingRules::default();
        let now = 1_796_300_000;
        let ungraded = check(
            &IncidentInput {
                likelihood: String::new(),
                ..input()
            },
            now,
        )
        .unwrap();
        let e = ungraded.check_notifiable(&r, false).unwrap_err();
        assert_eq!(e.0[0].field, "likelihood");
        let minor = check(
            &IncidentInput {
                likelihood: "not_likely".into(),
                ..input()
            },
            now,
        )
        .unwrap();
        let e = minor.check_notifiable(&r, false).unwrap_err();
        assert_eq!(e.0[0].field, "not_reported_reason");
        let reasoned = IncidentFields {
            not_reported_reason: Some("Contained within minutes; no data left the trust".into()),
            ..minor
        };
        assert!(reasoned.check_notifiable(&r, false).is_ok());
    }

    #[test]
    fn durations_read_in_hours_and_minutes() {
        assert_eq!(duration_text(59), "0 min");
        assert_eq!(duration_text(3600 + 5 * 60), "1 h 05 min");
        assert_eq!(duration_text(86_400 * 2 + 3600), "2 d 1 h 00 min");
    }

    fn faults(r: &GradingRules) -> Vec<String> {
        match r.check() {
            Ok(()) => Vec::new(),
            Err(e) => e.0.iter().map(|e| e.field.clone()).collect(),
        }
    }

    #[test]
    fn the_default_rules_pass_their_own_check() {
        assert_eq!(GradingRules::default().check(), Ok(()));
        let edges = GradingRules {
            regulator_min_likelihood: 1,
            nis_min_impact: 5,
            regulator_hours: 1,
            nis_initial_hours: 72,
            nis_full_hours: 72,
            nis_final_days: MAX_CLOCK_DAYS,
            warn_at_percent: vec![1, 99],
            ..GradingRules::default()
        };
        assert_eq!(
            edges.check(),
            Ok(()),
            "equal NIS hours and the bounds are fine"
        );
        let quiet = GradingRules {
            warn_at_percent: Vec::new(),
            ..GradingRules::default()
        };
        assert_eq!(quiet.check(), Ok(()), "no thresholds: no warnings");
    }

    #[test]
    fn scores_outside_the_scale_are_refused_by_name() {
        let r = GradingRules {
            regulator_min_likelihood: 0,
            regulator_min_impact: 6,
            nis_min_impact: 0,
            vulnerable_min_likelihood: 9,
            vulnerable_min_impact: 0,
            ..GradingRules::default()
        };
        assert_eq!(
            faults(&r),
            [
                "regulator_min_likelihood",
                "regulator_min_impact",
                "nis_min_impact",
                "vulnerable_min_likelihood",
                "vulnerable_min_impact"
            ]
        );
        let e = r.check().unwrap_err();
        assert_eq!(e.0[1].message, "must be a score from 1 to 5, not 6");
    }

    #[test]
    fn clocks_must_be_positive_and_the_initial_notification_first() {
        let r = GradingRules {
            regulator_hours: 0,
            nis_final_days: -1,
            ..GradingRules::default()
        };
        assert_eq!(faults(&r), ["regulator_hours", "nis_final_days"]);
        let r = GradingRules {
            nis_initial_hours: 0,
            nis_full_hours: -5,
            ..GradingRules::default()
        };
        assert_eq!(
            faults(&r),
            ["nis_initial_hours", "nis_full_hours"],
            "one fault each, not an ordering fault on top"
        );
        let r = GradingRules {
            nis_initial_hours: 73,
            ..GradingRules::default()
        };
        let e = r.check().unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].field, "nis_initial_hours");
        assert!(e.0[0].message.contains("nis_full_hours (72)"), "{e}");
        let r = GradingRules {
            regulator_hours: MAX_CLOCK_HOURS + 1,
            nis_final_days: i64::MAX,
            ..GradingRules::default()
        };
        assert_eq!(
            faults(&r),
            ["regulator_hours", "nis_final_days"],
            "no clock so long its due time overflows"
        );
    }

    #[test]
    fn warning_thresholds_must_be_percentages_rising_without_repeats() {
        for (bad, message) in [
            (
                vec![80, 50],
                "must rise without repeats, such as [50, 80], not [80, 50]",
            ),
            (
                vec![50, 50],
                "must rise without repeats, such as [50, 80], not [50, 50]",
            ),
            (vec![0, 50], "must hold percentages from 1 to 99, not 0"),
            (vec![50, 100], "must hold percentages from 1 to 99, not 100"),
        ] {
            let r = GradingRules {
                warn_at_percent: bad.clone(),
                ..GradingRules::default()
            };
            let e = r.check().unwrap_err();
            assert_eq!(e.0.len(), 1, "{bad:?}");
            assert_eq!(e.0[0].field, "warn_at_percent");
            assert_eq!(e.0[0].message, message);
        }
    }
}
