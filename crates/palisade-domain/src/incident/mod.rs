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
    fn score(self) -> u8;
    fn from_score(n: u8) -> Self;
}

macro_rules! scale {
    ($name:ident) => {
        impl Scale for $name {
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
    let likelihood = e.optional::<Likelihood>("likelihood", &input.likelihood);
    let impact = e.optional::<Impact>("impact", &input.impact);
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

pub mod playbook;
#[cfg(test)]
mod tests;
