//! The annual assessment's rules: which answers are valid, when an item is met, how a CAF
//! outcome's level derives from its indicators, and which status an organisation earns.
//! Everything here is a pure function of its inputs, including the day (`today`).

use crate::dates::parse_date;
use crate::error::FieldError;
use crate::framework::{AnswerType, Framework, FrameworkKind, Item, Level, Node, Outcome};
use crate::org::{Category, OrgType, string_enum};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use time::Date;

string_enum! {
    /// An organisation's status for one assessment year (domain §2).
    Status {
        StandardsExceeded => "standards_exceeded", "Standards Exceeded",
        StandardsMet => "standards_met", "Standards Met",
        ApproachingStandards => "approaching_standards", "Approaching Standards",
        StandardsNotMet => "standards_not_met", "Standards Not Met",
        PlanAgreed => "plan_agreed", "Standards Not Fully Met (Plan Agreed)",
        NotPublished => "not_published", "Registered, not published",
    }
}

impl Status {
    /// "Met or exceeded": the figure ministers quote.
    pub fn met_or_exceeded(self) -> bool {
        matches!(self, Status::StandardsExceeded | Status::StandardsMet)
    }
}

/// The longest free-text answer or comment.
pub const MAX_ANSWER: usize = 5000;

/// A certificate as the assessment holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateFact {
    pub kind: String,
    pub expires_on: Date,
}

impl CertificateFact {
    pub fn valid_on(&self, day: Date) -> bool {
        self.expires_on >= day
    }
}

/// Everything recorded against one assessment that the rules look at.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Reference → canonical answer text (see [`canonical_answer`]).
    pub answers: BTreeMap<String, String>,
    /// Item reference → number of evidence documents attached.
    pub documents: BTreeMap<String, u32>,
    pub certificates: Vec<CertificateFact>,
}

impl Facts {
    fn igp_true(&self, reference: &str) -> bool {
        self.answers.get(reference).is_some_and(|v| v == "yes")
    }
    fn has_certificate(&self, kind: &str, today: Date) -> bool {
        self.certificates
            .iter()
            .any(|c| c.kind == kind && c.valid_on(today))
    }
}

/// Checks one answer against the framework and returns its canonical text, or `None` when the
/// value is `null` (the answer is cleared). `value` comes from JSON; forms send strings, which
/// are accepted wherever the type can be read from text.
pub fn canonical_answer(
    framework: &Framework,
    org_type: OrgType,
    reference: &str,
    value: &Value,
) -> Result<Option<String>, FieldError> {
    let field = format!("answers.{reference}");
    let node = framework.node(reference).ok_or_else(|| {
        FieldError::new(
            &field,
            format!("\"{reference}\" is not an item of this framework"),
        )
    })?;
    if value.is_null() {
        return Ok(None);
    }
    if let Node::Item(item) = node
        && !item.applicability(org_type).applies()
    {
        return Err(FieldError::new(
            &field,
            format!(
                "item \"{reference}\" does not apply to {}",
                org_type.plural()
            ),
        ));
    }
    let text = match (node.answer_type(), value) {
        (AnswerType::YesNo, Value::Bool(b)) => yes_no(*b),
        (AnswerType::YesNo, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" => yes_no(true),
            "no" | "false" => yes_no(false),
            _ => return Err(FieldError::new(field, "must be yes or no")),
        },
        (AnswerType::Text, Value::String(s)) => {
            let t = s.trim();
            if t.chars().count() > MAX_ANSWER {
                return Err(FieldError::new(
                    field,
                    format!("must be at most {MAX_ANSWER} characters"),
                ));
            }
            if t.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                return Err(FieldError::new(
                    field,
                    "must not contain control characters",
                ));
            }
            if t.is_empty() {
                return Ok(None);
            }
            t.to_string()
        }
        (AnswerType::Date, Value::String(s)) => {
            if s.trim().is_empty() {
                return Ok(None);
            }
            crate::dates::date_text(parse_date(&field, s)?)
        }
        (AnswerType::Number, Value::Number(n)) => number_text(&field, n.as_f64())?,
        (AnswerType::Number, Value::String(s)) => {
            if s.trim().is_empty() {
                return Ok(None);
            }
            number_text(&field, s.trim().parse::<f64>().ok())?
        }
        (AnswerType::Document, _) => {
            return Err(FieldError::new(
                field,
                "is answered by uploading an evidence document",
            ));
        }
        (AnswerType::Certificate, _) => {
            return Err(FieldError::new(
                field,
                "is answered by recording a certificate",
            ));
        }
        (kind, _) => {
            return Err(FieldError::new(
                field,
                format!("must be {}", expected(kind)),
            ));
        }
    };
    Ok(Some(text))
}

/// How an answer is read back: the answer type of `reference` decides it. IGP and yes/no answers
/// are `true`/`false`, numbers are numbers, everything else is the stored text. The inverse of
/// [`canonical_answer`].
pub fn answer_json(framework: &Framework, reference: &str, stored: &str) -> Value {
    let kind = framework
        .node(reference)
        .map_or(AnswerType::Text, Node::answer_type);
    match kind {
        AnswerType::YesNo => Value::Bool(stored == "yes"),
        AnswerType::Number => stored
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| stored.into(), Value::Number),
        _ => stored.into(),
    }
}

fn expected(kind: AnswerType) -> &'static str {
    match kind {
        AnswerType::YesNo => "yes or no (true or false)",
        AnswerType::Text => "text",
        AnswerType::Date => "a date (YYYY-MM-DD)",
        AnswerType::Number => "a number",
        AnswerType::Document => "a document",
        AnswerType::Certificate => "a certificate",
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn number_text(field: &str, n: Option<f64>) -> Result<String, FieldError> {
    match n {
        Some(n) if n.is_finite() && n.abs() < 1e15 => Ok(format!("{n}")),
        _ => Err(FieldError::new(field, "must be a number")),
    }
}

/// Whether one evidence item is met, on `today` (certificates must be valid that day).
pub fn item_met(item: &Item, facts: &Facts, today: Date) -> bool {
    let answer = facts.answers.get(&item.reference);
    match item.answer_type {
        AnswerType::YesNo => answer.is_some_and(|a| a == "yes"),
        AnswerType::Text | AnswerType::Date => answer.is_some_and(|a| !a.is_empty()),
        AnswerType::Number => answer
            .and_then(|a| a.parse::<f64>().ok())
            .is_some_and(|n| item.min.is_none_or(|m| n >= m)),
        AnswerType::Document => facts.documents.get(&item.reference).is_some_and(|n| *n > 0),
        AnswerType::Certificate => item
            .certificate
            .as_deref()
            .is_some_and(|k| facts.has_certificate(k, today)),
    }
}

/// A CAF outcome's level from its IGP answers (domain §2): any true Not-achieved indicator makes
/// it Not achieved; otherwise every Achieved indicator true makes it Achieved; otherwise every
/// Partially-achieved indicator true (where the outcome has that column) makes it Partially
/// achieved; otherwise it is Not achieved. An unanswered indicator counts as not true.
pub fn outcome_level(outcome: &Outcome, facts: &Facts) -> Level {
    let all_true = |level: Level| {
        let mut of_level = outcome.igps.iter().filter(|g| g.level == level).peekable();
        of_level.peek().is_some() && of_level.all(|g| facts.igp_true(&g.reference))
    };
    if outcome
        .igps
        .iter()
        .any(|g| g.level == Level::NotAchieved && facts.igp_true(&g.reference))
    {
        Level::NotAchieved
    } else if all_true(Level::Achieved) {
        Level::Achieved
    } else if all_true(Level::PartiallyAchieved) {
        Level::PartiallyAchieved
    } else {
        Level::NotAchieved
    }
}

/// Progress through one standard or objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionProgress {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    /// Items (or outcomes) that count towards Standards Met.
    pub required: u32,
    pub required_met: u32,
    /// Items (or outcomes) with any answer at all.
    pub answered: u32,
    pub applicable: u32,
}

/// A CAF outcome's derived level against its profile target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeResult {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub level: Level,
    pub target: Level,
}

impl OutcomeResult {
    pub fn at_target(&self) -> bool {
        self.level >= self.target
    }
}

/// The whole picture of an assessment's answers on a day: progress, what is still needed, and
/// whether Met and the Approaching subset are reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub kind: FrameworkKind,
    pub met: bool,
    /// The Approaching subset is met (always false for CAF frameworks, which have none).
    pub approaching_met: bool,
    /// A valid certificate of a kind that lifts Met to Exceeded.
    pub exceeding_certificate: bool,
    pub sections: Vec<SectionProgress>,
    /// Mandatory items (or below-target outcomes) not yet met: what Met still needs.
    pub needed_for_met: Vec<String>,
    /// The same, counted by what is missing.
    pub needs: Needs,
    /// Approaching-subset items not yet met; empty for CAF.
    pub needed_for_approaching: Vec<String>,
    pub outcomes: Vec<OutcomeResult>,
}

/// What Standards Met still needs, counted by what is missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Needs {
    /// Mandatory items with no answer (CAF: outcomes with no indicator answered).
    pub unanswered: usize,
    /// Evidence items without a document, or certificates not held.
    pub evidence: usize,
    /// Answered, but the answer does not meet the item (CAF: outcomes below their target).
    pub not_met: usize,
}

impl Needs {
    pub fn total(&self) -> usize {
        self.unanswered + self.evidence + self.not_met
    }

    /// "3 mandatory items unanswered, 1 piece of evidence missing"; empty when nothing is
    /// needed.
    pub fn text(&self) -> String {
        let count = |n: usize, one: &str, many: &str| match n {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        };
        [
            count(
                self.unanswered,
                "mandatory item unanswered",
                "mandatory items unanswered",
            ),
            count(
                self.evidence,
                "piece of evidence missing",
                "pieces of evidence missing",
            ),
            count(
                self.not_met,
                "answer not yet meeting its item",
                "answers not yet meeting their items",
            ),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// Evaluates an assessment for an organisation of `org_type` in `category` on `today`.
pub fn evaluate(
    framework: &Framework,
    org_type: OrgType,
    category: Category,
    facts: &Facts,
    today: Date,
) -> Evaluation {
    let mut sections = Vec::new();
    let mut needed_for_met = Vec::new();
    let mut needs = Needs::default();
    let mut needed_for_approaching = Vec::new();
    let mut outcomes = Vec::new();
    let mut has_approaching = false;
    for standard in framework.standards() {
        let mut p = SectionProgress {
            reference: standard.reference.clone(),
            title: standard.title.clone(),
            required: 0,
            required_met: 0,
            answered: 0,
            applicable: 0,
        };
        for item in standard.assertions.iter().flat_map(|a| a.items.iter()) {
            let applicability = item.applicability(org_type);
            if !applicability.applies() {
                continue;
            }
            p.applicable += 1;
            let met = item_met(item, facts, today);
            if facts.answers.contains_key(&item.reference)
                || facts.documents.contains_key(&item.reference)
                || met
            {
                p.answered += 1;
            }
            if applicability.is_mandatory() {
                p.required += 1;
                if met {
                    p.required_met += 1;
                } else {
                    needed_for_met.push(item.reference.clone());
                    match item.answer_type {
                        AnswerType::Document | AnswerType::Certificate => needs.evidence += 1,
                        _ if facts.answers.contains_key(&item.reference) => needs.not_met += 1,
                        _ => needs.unanswered += 1,
                    }
                }
            }
            if applicability.in_approaching() {
                has_approaching = true;
                if !met {
                    needed_for_approaching.push(item.reference.clone());
                }
            }
        }
        sections.push(p);
    }
    for objective in framework.objectives() {
        let mut p = SectionProgress {
            reference: objective.reference.clone(),
            title: objective.title.clone(),
            required: 0,
            required_met: 0,
            answered: 0,
            applicable: 0,
        };
        for outcome in objective
            .principles
            .iter()
            .flat_map(|pr| pr.outcomes.iter())
        {
            let level = outcome_level(outcome, facts);
            let target = outcome
                .targets
                .get(&category)
                .copied()
                .unwrap_or(Level::Achieved);
            p.applicable += 1;
            p.required += 1;
            let answered = outcome
                .igps
                .iter()
                .any(|g| facts.answers.contains_key(&g.reference));
            if answered {
                p.answered += 1;
            }
            let result = OutcomeResult {
                reference: outcome.reference.clone(),
                title: outcome.title.clone(),
                level,
                target,
            };
            if result.at_target() {
                p.required_met += 1;
            } else {
                needed_for_met.push(outcome.reference.clone());
                if answered {
                    needs.not_met += 1;
                } else {
                    needs.unanswered += 1;
                }
            }
            outcomes.push(result);
        }
        sections.push(p);
    }
    let exceeding_certificate = framework
        .certificates
        .iter()
        .filter(|c| c.exceeds)
        .any(|c| facts.has_certificate(&c.key, today));
    Evaluation {
        kind: framework.kind,
        met: needed_for_met.is_empty(),
        needs,
        approaching_met: framework.kind == FrameworkKind::TenStandard
            && has_approaching
            && needed_for_approaching.is_empty(),
        exceeding_certificate,
        sections,
        needed_for_met,
        needed_for_approaching,
        outcomes,
    }
}

/// What decides a published status besides the answers themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusInputs {
    pub met: bool,
    pub approaching_met: bool,
    pub exceeding_certificate: bool,
    /// The improvement plan has an action for every item or outcome Met still needs.
    pub plan_covers_unmet: bool,
    /// The national team approved that plan.
    pub plan_approved: bool,
    /// The status published for the previous assessment year, if any.
    pub previous: Option<Status>,
}

/// The status an assessment earns when published (domain §2, applied in the table's order):
/// Exceeded = Met and a valid Cyber Essentials Plus (or other exceeding) certificate; Met = every
/// mandatory item or every outcome at profile; Approaching = the Approaching subset met and a plan
/// in place, but never two years running; Plan Agreed = otherwise Not Met with an approved plan;
/// otherwise Not Met. Never returns `NotPublished`, which means "no submission".
pub fn decide_status(i: StatusInputs) -> Status {
    if i.met {
        if i.exceeding_certificate {
            Status::StandardsExceeded
        } else {
            Status::StandardsMet
        }
    } else if i.approaching_met
        && i.plan_covers_unmet
        && i.previous != Some(Status::ApproachingStandards)
    {
        Status::ApproachingStandards
    } else if i.plan_approved && i.plan_covers_unmet {
        Status::PlanAgreed
    } else {
        Status::StandardsNotMet
    }
}

/// Whole days from `today` to `deadline` (negative once it has passed).
/// Whether the deadline has not yet passed: the deadline day itself still counts, so a published
/// assessment can be reopened up to and including it.
pub fn before_deadline(deadline: Date, today: Date) -> bool {
    today <= deadline
}

pub fn days_left(deadline: Date, today: Date) -> i64 {
    (deadline - today).whole_days()
}

/// "12 days left", "due today", "3 days overdue".
pub fn days_left_text(deadline: Date, today: Date) -> String {
    match days_left(deadline, today) {
        0 => "due today".to_string(),
        1 => "1 day left".to_string(),
        n if n > 1 => format!("{n} days left"),
        -1 => "1 day overdue".to_string(),
        n => format!("{} days overdue", -n),
    }
}

/// The assessment year running on `today`: a cycle starts on 1 July (year `2026` is 2026-27).
pub fn current_year(today: Date) -> i32 {
    if u8::from(today.month()) >= 7 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// "2026-27" for the cycle starting in 2026.
pub fn year_label(year: i32) -> String {
    format!("{year}-{:02}", (year + 1).rem_euclid(100))
}

/// What the public may know of an organisation's assessment: nothing more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicStatus {
    pub code: String,
    pub name: String,
    pub org_type: OrgType,
    pub status: Status,
    pub published_at: Option<i64>,
}
