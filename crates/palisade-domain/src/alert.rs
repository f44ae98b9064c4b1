//! Cyber alerts: what an alert says, whom it reaches, and the response loop each organisation in
//! scope works through (acknowledge → applicability → remediation → close), with its deadlines.
//!
//! Every deadline is computed from a `now` passed in; nothing here reads a clock.

use crate::error::{FieldErrors, bounded_text, long_text};
use crate::ident::{Cpe23, CveId, Purl, Vers};
use crate::org::{Category, OrgCode, OrgType, parse_region, string_enum};
use serde::{Deserialize, Serialize};

string_enum! {
    /// How urgent an alert is.
    Severity {
        High => "high", "High",
        Medium => "medium", "Medium",
        Low => "low", "Low",
        InformationOnly => "information_only", "Information only",
    }
}

string_enum! {
    /// What kind of alert it is.
    AlertType {
        Vulnerability => "vulnerability", "Vulnerability",
        AttackMethodology => "attack_methodology", "Attack methodology",
        ThreatBulletin => "threat_bulletin", "Threat bulletin",
        Advisory => "advisory", "Advisory",
    }
}

string_enum! {
    /// Where an alert is in its life: drafts are seen only by the national team.
    AlertState {
        Draft => "draft", "Draft",
        Published => "published", "Published",
    }
}

string_enum! {
    /// Where one organisation's response to an alert stands.
    ResponseStatus {
        AwaitingAcknowledgement => "awaiting_acknowledgement", "Awaiting acknowledgement",
        InProgress => "in_progress", "In progress",
        Closed => "closed", "Closed",
    }
}

string_enum! {
    /// How a response was closed.
    Closure {
        Remediated => "remediated", "Remediated",
        RiskAccepted => "risk_accepted", "Risk accepted by the SIRO",
        NotApplicable => "not_applicable", "Does not apply",
    }
}

/// An alert's reference: a configurable prefix and a sequence number (`CC-4123`).
pub fn alert_reference(prefix: &str, seq: i64) -> String {
    format!("{prefix}-{seq}")
}

/// Checks a configured reference prefix: 1 to 8 capital letters.
pub fn parse_prefix(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if (1..=8).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(v.to_string())
    } else {
        Err(format!("'{v}' must be 1 to 8 capital letters"))
    }
}

/// One product an alert names, by CPE 2.3 name and/or package URL, with an optional `vers` range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedProduct {
    /// What people call it ("Microsoft Windows 7").
    pub name: String,
    pub cpe: Option<Cpe23>,
    pub purl: Option<Purl>,
    pub vers: Option<Vers>,
}

/// The organisations an alert reaches. Types, categories and codes add organisations (an
/// organisation matching any of them is in); regions narrow the result to those regions. With no
/// types, categories or codes, every organisation (in the regions) is in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    #[serde(default)]
    pub org_types: Vec<OrgType>,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub codes: Vec<OrgCode>,
}

impl Audience {
    pub fn includes(
        &self,
        code: &str,
        org_type: OrgType,
        category: Category,
        region: &str,
    ) -> bool {
        let named =
            self.org_types.is_empty() && self.categories.is_empty() && self.codes.is_empty()
                || self.org_types.contains(&org_type)
                || self.categories.contains(&category)
                || self.codes.iter().any(|c| c.as_str() == code);
        named && (self.regions.is_empty() || self.regions.iter().any(|r| r == region))
    }

    /// "Acute trusts, ICBs and 2 named organisations in London", for pages.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .org_types
            .iter()
            .map(|t| t.plural().to_string())
            .collect();
        parts.extend(
            self.categories
                .iter()
                .map(|c| format!("category {} bodies", *c as u8)),
        );
        if !self.codes.is_empty() {
            let codes: Vec<&str> = self.codes.iter().map(OrgCode::as_str).collect();
            parts.push(codes.join(", "));
        }
        let mut text = if parts.is_empty() {
            "every organisation".to_string()
        } else {
            parts.join("; ")
        };
        if !self.regions.is_empty() {
            text.push_str(" in ");
            text.push_str(&self.regions.join(", "));
        }
        text
    }
}

/// An alert's content as validated: what is stored, versioned and published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFields {
    pub title: String,
    pub severity: Severity,
    pub alert_type: AlertType,
    pub summary: String,
    pub body: String,
    pub cves: Vec<CveId>,
    pub products: Vec<AffectedProduct>,
    /// Exploitation is known to be happening.
    pub exploited: bool,
    pub remediation: String,
    pub audience: Audience,
    /// Organisations in scope must respond (with a deadline where the severity has one).
    pub response_required: bool,
}

impl AlertFields {
    /// The names of the fields that differ from `older`, for "what changed" notes.
    pub fn changes_since(&self, older: &AlertFields) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name, differs: bool| {
            if differs {
                out.push(name);
            }
        };
        check("title", self.title != older.title);
        check("severity", self.severity != older.severity);
        check("type", self.alert_type != older.alert_type);
        check("summary", self.summary != older.summary);
        check("body", self.body != older.body);
        check("CVEs", self.cves != older.cves);
        check("affected products", self.products != older.products);
        check("known exploitation", self.exploited != older.exploited);
        check("remediation", self.remediation != older.remediation);
        check("organisations in scope", self.audience != older.audience);
        check(
            "response required",
            self.response_required != older.response_required,
        );
        out
    }
}

/// One published version of an alert, as the public feeds show it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedVersion {
    pub alert_id: i64,
    pub reference: String,
    pub version: i64,
    /// When this version was published.
    pub at: i64,
    /// When the alert was first published.
    pub first_published_at: i64,
    /// The fields that differ from the version before.
    pub changed: Vec<String>,
    pub fields: AlertFields,
}

/// A product as typed into a form or a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ProductInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub cpe: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
    #[serde(default)]
    pub vers: Option<String>,
}

/// The most CVEs and affected products one alert lists.
pub const MAX_CVES: usize = 100;
pub const MAX_PRODUCTS: usize = 100;

/// An alert as typed into a form or a request, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertInput {
    pub title: String,
    pub severity: String,
    pub alert_type: String,
    pub summary: String,
    pub body: String,
    pub cves: Vec<String>,
    pub products: Vec<ProductInput>,
    pub exploited: bool,
    pub remediation: String,
    pub org_types: Vec<String>,
    pub categories: Vec<u8>,
    pub regions: Vec<String>,
    pub codes: Vec<String>,
    pub response_required: bool,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl AlertInput {
    /// Validates every field, naming each bad one (`cves[1]`, `products[0].vers`).
    pub fn validate(&self) -> Result<AlertFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = e.take(bounded_text("title", &self.title, 3, 200));
        let severity = e.take(
            self.severity
                .parse::<Severity>()
                .map_err(|m| crate::FieldError::new("severity", m)),
        );
        let alert_type = e.take(
            self.alert_type
                .parse::<AlertType>()
                .map_err(|m| crate::FieldError::new("type", m)),
        );
        let summary = e.take(bounded_text("summary", &self.summary, 1, 1000));
        let body = e.take(long_text("body", &self.body, 0, 20_000));
        let remediation = e.take(long_text("remediation", &self.remediation, 0, 10_000));
        let mut cves: Vec<CveId> = Vec::new();
        if self.cves.len() > MAX_CVES {
            e.push("cves", format!("list at most {MAX_CVES} CVEs"));
        }
        if self.products.len() > MAX_PRODUCTS {
            e.push("products", format!("list at most {MAX_PRODUCTS} products"));
        }
        for (i, raw) in self.cves.iter().take(MAX_CVES).enumerate() {
            match CveId::parse(raw) {
                Ok(c) if cves.contains(&c) => {
                    e.push(format!("cves[{i}]"), format!("{c} is listed twice"))
                }
                Ok(c) => cves.push(c),
                Err(m) => e.push(format!("cves[{i}]"), m),
            }
        }
        let mut products = Vec::new();
        for (i, p) in self.products.iter().take(MAX_PRODUCTS).enumerate() {
            let f = |name: &str| format!("products[{i}].{name}");
            let name = e.take(bounded_text(&f("name"), &p.name, 1, 200));
            let cpe = non_empty(&p.cpe).and_then(|c| {
                e.take(Cpe23::parse(c).map_err(|m| crate::FieldError::new(f("cpe"), m)))
            });
            let purl = non_empty(&p.purl).and_then(|c| {
                e.take(Purl::parse(c).map_err(|m| crate::FieldError::new(f("purl"), m)))
            });
            let vers = non_empty(&p.vers).and_then(|c| {
                e.take(Vers::parse(c).map_err(|m| crate::FieldError::new(f("vers"), m)))
            });
            if non_empty(&p.cpe).is_none() && non_empty(&p.purl).is_none() {
                e.push(f("cpe"), "give a CPE 2.3 name or a package URL");
            }
            if let (Some(cpe), None) = (&cpe, &vers)
                && cpe.version_is_pattern()
            {
                e.push(f("cpe"), crate::exposure::pattern_refused(cpe));
            }
            if let (Some(purl), Some(_)) = (&purl, &vers)
                && purl.has_version()
            {
                e.push(
                    f("vers"),
                    "give a version in the package URL or a vers range, not both",
                );
            }
            if let (Some(purl), Some(vers)) = (&purl, &vers)
                && purl.purl_type() != vers.scheme
            {
                e.push(
                    f("vers"),
                    format!(
                        "the range's scheme '{}' differs from the package URL's type '{}'",
                        vers.scheme,
                        purl.purl_type()
                    ),
                );
            }
            if let Some(name) = name {
                products.push(AffectedProduct {
                    name,
                    cpe,
                    purl,
                    vers,
                });
            }
        }
        let mut org_types = Vec::new();
        for (i, t) in self.org_types.iter().enumerate() {
            if let Some(t) = e.take(
                t.parse::<OrgType>()
                    .map_err(|m| crate::FieldError::new(format!("org_types[{i}]"), m)),
            ) && !org_types.contains(&t)
            {
                org_types.push(t);
            }
        }
        let mut categories = Vec::new();
        for (i, c) in self.categories.iter().enumerate() {
            if let Some(c) = e.take(
                Category::try_from(*c)
                    .map_err(|m| crate::FieldError::new(format!("categories[{i}]"), m.to_string())),
            ) && !categories.contains(&c)
            {
                categories.push(c);
            }
        }
        let mut regions = Vec::new();
        for (i, r) in self.regions.iter().enumerate() {
            if let Some(r) = e.take(parse_region(&format!("regions[{i}]"), r))
                && !regions.contains(&r)
            {
                regions.push(r);
            }
        }
        let mut codes = Vec::new();
        for (i, c) in self.codes.iter().enumerate() {
            if let Some(c) = e.take(OrgCode::parse(&format!("codes[{i}]"), c))
                && !codes.contains(&c)
            {
                codes.push(c);
            }
        }
        e.into_result()?;
        Ok(AlertFields {
            title: title.expect("checked"),
            severity: severity.expect("checked"),
            alert_type: alert_type.expect("checked"),
            summary: summary.expect("checked"),
            body: body.expect("checked"),
            cves,
            products,
            exploited: self.exploited,
            remediation: remediation.expect("checked"),
            audience: Audience {
                org_types,
                categories,
                regions,
                codes,
            },
            response_required: self.response_required,
        })
    }
}

/// Response deadlines, as configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRules {
    /// Seconds after publication a required response is due, per severity; `None`: no deadline.
    pub due_secs: [(Severity, Option<i64>); 4],
    /// Seconds after each step until the next update is due, until the response is closed.
    pub update_every_secs: i64,
}

impl Default for ResponseRules {
    /// High: 48 hours; Medium: 14 days; Low and Information only: no deadline. An update every
    /// 3 days once acknowledged.
    fn default() -> Self {
        Self {
            due_secs: [
                (Severity::High, Some(48 * 3600)),
                (Severity::Medium, Some(14 * 24 * 3600)),
                (Severity::Low, None),
                (Severity::InformationOnly, None),
            ],
            update_every_secs: 3 * 24 * 3600,
        }
    }
}

impl ResponseRules {
    /// When a response to an alert published at `published_at` is first due.
    pub fn first_due(
        &self,
        severity: Severity,
        response_required: bool,
        published_at: i64,
    ) -> Option<i64> {
        if !response_required {
            return None;
        }
        self.due_secs
            .iter()
            .find(|(s, _)| *s == severity)
            .and_then(|(_, d)| *d)
            .map(|d| published_at + d)
    }
}

/// One organisation's response as the rules need to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseState {
    pub status: ResponseStatus,
    pub due_at: Option<i64>,
    /// `None` until the organisation says whether the alert applies.
    pub applies: Option<bool>,
    /// Remediation actions recorded, and of those not yet complete.
    pub actions: usize,
    pub open_actions: usize,
    pub escalated_at: Option<i64>,
}

impl ResponseState {
    /// Late: not closed and past its due time.
    pub fn late(&self, now: i64) -> bool {
        self.status != ResponseStatus::Closed && self.due_at.is_some_and(|d| now > d)
    }

    /// A late response is escalated to the SIRO once; after that it is on the national chase list.
    pub fn needs_escalation(&self, now: i64) -> bool {
        self.late(now) && self.escalated_at.is_none()
    }
}

/// A step of the response loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Acknowledge,
    Applicability {
        applies: bool,
        reason: String,
    },
    /// A remediation action added or updated (progress, completion).
    Remediation,
    Close {
        closure: Closure,
        siro: String,
    },
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Acknowledge => "acknowledge",
            Step::Applicability { .. } => "applicability",
            Step::Remediation => "remediation",
            Step::Close { .. } => "close",
        }
    }
}

/// What a step changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub status: ResponseStatus,
    pub due_at: Option<i64>,
}

/// Applies a step to a response, or says why it cannot be taken now. Each step but closing makes
/// the next update due `update_every_secs` from now; closing clears the due time.
pub fn take_step(
    state: &ResponseState,
    step: &Step,
    rules: &ResponseRules,
    now: i64,
) -> Result<StepOutcome, String> {
    use ResponseStatus::*;
    // Updates are due every few days only where the response had a deadline to begin with.
    let next = state.due_at.map(|_| now + rules.update_every_secs);
    if state.status == Closed {
        return Err("the response is closed".into());
    }
    match step {
        Step::Acknowledge => {
            if state.status != AwaitingAcknowledgement {
                return Err("the alert is already acknowledged".into());
            }
            Ok(StepOutcome {
                status: InProgress,
                due_at: next,
            })
        }
        _ if state.status == AwaitingAcknowledgement => Err("acknowledge the alert first".into()),
        Step::Applicability { applies, reason } => {
            if !applies && reason.trim().is_empty() {
                return Err("say why the alert does not apply".into());
            }
            Ok(StepOutcome {
                status: InProgress,
                due_at: next,
            })
        }
        Step::Remediation => {
            if state.applies != Some(true) {
                return Err("record that the alert applies before remediation actions".into());
            }
            Ok(StepOutcome {
                status: InProgress,
                due_at: next,
            })
        }
        Step::Close { closure, siro } => {
            match (closure, state.applies) {
                (_, None) => return Err("record whether the alert applies first".into()),
                (Closure::NotApplicable, Some(true)) => {
                    return Err("the alert was recorded as applying: close it as remediated or risk accepted".into());
                }
                (Closure::Remediated | Closure::RiskAccepted, Some(false)) => {
                    return Err(
                        "the alert was recorded as not applying: close it as not applicable".into(),
                    );
                }
                // Remediated says what was done: at least one action, even one already done
                // before the alert came (the response loop, domain.md section 3).
                (Closure::Remediated, Some(true)) if state.actions == 0 => {
                    return Err("record what was done as a remediation action (one already done counts) before closing as remediated, or close as risk accepted".into());
                }
                (Closure::Remediated, Some(true)) if state.open_actions > 0 => {
                    return Err(format!(
                        "{} remediation action(s) are not complete",
                        state.open_actions
                    ));
                }
                (Closure::RiskAccepted, Some(true)) if siro.trim().is_empty() => {
                    return Err("name the SIRO who accepted the risk".into());
                }
                _ => {}
            }
            Ok(StepOutcome {
                status: Closed,
                due_at: None,
            })
        }
    }
}

/// A remediation action's due date must not be before today (both `YYYY-MM-DD`).
pub fn check_action_due(due_on: &str, today: time::Date) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(due_on.trim(), &format)
        .map_err(|_| format!("'{}' is not a date like 2026-12-31", due_on.trim()))?;
    if d < today {
        return Err(format!("{d} is in the past"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AlertInput {
        AlertInput {
            title: "Critical SMB vulnerability".into(),
            severity: "high".into(),
            alert_type: "vulnerability".into(),
            summary: "Patch now".into(),
            body: "Line one\nLine two".into(),
            cves: vec!["CVE-2017-0144".into()],
            products: vec![ProductInput {
                name: "Log4j".into(),
                cpe: None,
                purl: Some("pkg:maven/org.apache.logging.log4j/log4j-core".into()),
                vers: Some("vers:maven/>=2.0.0|<2.15.0".into()),
            }],
            exploited: true,
            remediation: "Apply MS17-010".into(),
            org_types: vec!["acute_trust".into()],
            categories: vec![],
            regions: vec![],
            codes: vec!["a81001".into()],
            response_required: true,
        }
    }

    #[test]
    fn a_good_alert_validates() {
        let f = input().validate().unwrap();
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.body, "Line one\nLine two");
        assert_eq!(f.audience.codes[0].as_str(), "A81001");
        assert_eq!(f.products[0].vers.as_ref().unwrap().scheme, "maven");
    }

    #[test]
    fn an_alert_lists_at_most_a_hundred_cves_and_products() {
        let mut i = input();
        i.cves = (0..MAX_CVES)
            .map(|n| format!("CVE-2026-{}", 10_000 + n))
            .collect();
        i.products = vec![i.products[0].clone(); MAX_PRODUCTS];
        assert_eq!(i.clone().validate().unwrap().cves.len(), MAX_CVES);
        i.cves.push("CVE-2026-99999".into());
        i.products.push(i.products[0].clone());
        let e = i.validate().unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["cves", "products"], "{e:?}");
    }

    #[test]
    fn bad_fields_are_each_named() {
        let mut i = input();
        i.title = "".into();
        i.severity = "urgent".into();
        i.cves = vec![
            "CVE-2017-0144".into(),
            "CVE-17-1".into(),
            "cve-2017-0144".into(),
        ];
        i.products = vec![
            ProductInput {
                name: "X".into(),
                cpe: Some("cpe:2.3:o:microsoft".into()),
                ..Default::default()
            },
            ProductInput {
                name: "Y".into(),
                purl: Some("pkg:npm/left-pad@1.0.0".into()),
                vers: Some("vers:npm/<2".into()),
                ..Default::default()
            },
            ProductInput {
                name: "Z".into(),
                purl: Some("pkg:npm/left-pad".into()),
                vers: Some("vers:pypi/<2".into()),
                ..Default::default()
            },
            ProductInput {
                name: "W".into(),
                ..Default::default()
            },
            ProductInput {
                name: "V".into(),
                cpe: Some("cpe:2.3:a:apache:http_server:2.4.*:*:*:*:*:*:*:*".into()),
                ..Default::default()
            },
            // A pattern beside a range is read by the range.
            ProductInput {
                name: "U".into(),
                cpe: Some("cpe:2.3:a:apache:http_server:2.4.*:*:*:*:*:*:*:*".into()),
                vers: Some("vers:generic/>=2.4.0|<2.5.0".into()),
                ..Default::default()
            },
        ];
        i.categories = vec![7];
        i.org_types = vec!["castle".into()];
        let e = i.validate().unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "severity",
                "cves[1]",
                "cves[2]",
                "products[0].cpe",
                "products[1].vers",
                "products[2].vers",
                "products[3].cpe",
                "products[4].cpe",
                "org_types[0]",
                "categories[0]"
            ]
        );
    }

    #[test]
    fn audience_types_and_codes_widen_and_regions_narrow() {
        let f = input().validate().unwrap();
        let a = &f.audience;
        assert!(a.includes("RX1", OrgType::AcuteTrust, Category::One, "London"));
        assert!(a.includes("A81001", OrgType::GpPractice, Category::Three, "London"));
        assert!(!a.includes("A81002", OrgType::GpPractice, Category::Three, "London"));
        let mut london = a.clone();
        london.regions = vec!["London".into()];
        assert!(!london.includes("RX1", OrgType::AcuteTrust, Category::One, "Midlands"));
        let everyone = Audience::default();
        assert!(everyone.includes("X1", OrgType::Pharmacy, Category::Four, "Midlands"));
        assert_eq!(everyone.describe(), "every organisation");
        assert_eq!(london.describe(), "acute trusts; A81001 in London");
        let cat = Audience {
            categories: vec![Category::One],
            ..Default::default()
        };
        assert!(cat.includes("Q1", OrgType::Icb, Category::One, "London"));
        assert!(!cat.includes("Q2", OrgType::Pharmacy, Category::Four, "London"));
    }

    #[test]
    fn changes_name_the_fields() {
        let a = input().validate().unwrap();
        let mut b = a.clone();
        b.severity = Severity::Medium;
        b.cves.clear();
        assert_eq!(b.changes_since(&a), ["severity", "CVEs"]);
        assert!(a.changes_since(&a).is_empty());
    }

    const H: i64 = 3600;

    #[test]
    fn deadlines_follow_the_severity() {
        let r = ResponseRules::default();
        assert_eq!(r.first_due(Severity::High, true, 1000), Some(1000 + 48 * H));
        assert_eq!(r.first_due(Severity::High, false, 1000), None);
        assert_eq!(r.first_due(Severity::Low, true, 1000), None);
        assert_eq!(r.first_due(Severity::Medium, true, 0), Some(14 * 24 * H));
        assert_eq!(r.first_due(Severity::InformationOnly, true, 1000), None);
    }

    /// A response with two actions recorded, `open` of them not complete.
    fn state(status: ResponseStatus, applies: Option<bool>, open: usize) -> ResponseState {
        ResponseState {
            status,
            due_at: Some(100),
            applies,
            actions: 2,
            open_actions: open,
            escalated_at: None,
        }
    }

    #[test]
    fn only_a_response_with_a_deadline_is_due_updates() {
        let rules = ResponseRules::default();
        let every = rules.update_every_secs;
        let due = state(ResponseStatus::AwaitingAcknowledgement, None, 0);
        let ack = take_step(&due, &Step::Acknowledge, &rules, 1_000).unwrap();
        assert_eq!(ack.due_at, Some(1_000 + every));
        let open_ended = ResponseState {
            due_at: None,
            ..due.clone()
        };
        let ack = take_step(&open_ended, &Step::Acknowledge, &rules, 1_000).unwrap();
        assert_eq!((ack.status, ack.due_at), (ResponseStatus::InProgress, None));
        let in_progress = ResponseState {
            status: ResponseStatus::InProgress,
            ..open_ended
        };
        let applies = Step::Applicability {
            applies: true,
            reason: String::new(),
        };
        assert_eq!(
            take_step(&in_progress, &applies, &rules, 2_000)
                .unwrap()
                .due_at,
            None
        );
        assert!(!in_progress.late(i64::MAX), "never late without a deadline");
    }

    #[test]
    fn the_loop_runs_in_order() {
        use ResponseStatus::*;
        let r = ResponseRules::default();
        let now = 1_000;
        let ack = take_step(
            &state(AwaitingAcknowledgement, None, 0),
            &Step::Acknowledge,
            &r,
            now,
        )
        .unwrap();
        assert_eq!(
            ack,
            StepOutcome {
                status: InProgress,
                due_at: Some(now + 72 * H)
            }
        );
        let waiting = state(AwaitingAcknowledgement, None, 0);
        for step in [
            Step::Applicability {
                applies: true,
                reason: String::new(),
            },
            Step::Remediation,
            Step::Close {
                closure: Closure::Remediated,
                siro: String::new(),
            },
        ] {
            assert_eq!(
                take_step(&waiting, &step, &r, now).unwrap_err(),
                "acknowledge the alert first"
            );
        }
        let open = state(InProgress, None, 0);
        assert!(
            take_step(&open, &Step::Acknowledge, &r, now)
                .unwrap_err()
                .contains("already")
        );
        assert!(
            take_step(
                &open,
                &Step::Applicability {
                    applies: false,
                    reason: " ".into()
                },
                &r,
                now
            )
            .is_err()
        );
        assert!(take_step(&open, &Step::Remediation, &r, now).is_err());
        assert!(
            take_step(
                &open,
                &Step::Close {
                    closure: Closure::Remediated,
                    siro: String::new()
                },
                &r,
                now
            )
            .is_err()
        );
        let applies = state(InProgress, Some(true), 2);
        assert_eq!(
            take_step(&applies, &Step::Remediation, &r, now)
                .unwrap()
                .due_at,
            Some(now + 72 * H)
        );
        assert!(
            take_step(
                &applies,
                &Step::Close {
                    closure: Closure::Remediated,
                    siro: String::new()
                },
                &r,
                now
            )
            .unwrap_err()
            .contains("2 remediation")
        );
        assert!(
            take_step(
                &applies,
                &Step::Close {
                    closure: Closure::NotApplicable,
                    siro: String::new()
                },
                &r,
                now
            )
            .is_err()
        );
        assert!(
            take_step(
                &applies,
                &Step::Close {
                    closure: Closure::RiskAccepted,
                    siro: " ".into()
                },
                &r,
                now
            )
            .is_err()
        );
        let closed = take_step(
            &applies,
            &Step::Close {
                closure: Closure::RiskAccepted,
                siro: "Sam Okafor".into(),
            },
            &r,
            now,
        )
        .unwrap();
        assert_eq!(
            closed,
            StepOutcome {
                status: Closed,
                due_at: None
            }
        );
        let done = state(InProgress, Some(true), 0);
        let remediated = Step::Close {
            closure: Closure::Remediated,
            siro: String::new(),
        };
        assert!(take_step(&done, &remediated, &r, now).is_ok());
        // Remediated with nothing recorded as done is refused: say what was done first.
        let nothing = ResponseState {
            actions: 0,
            ..done.clone()
        };
        assert!(
            take_step(&nothing, &remediated, &r, now)
                .unwrap_err()
                .contains("remediation action")
        );
        let not = state(InProgress, Some(false), 0);
        assert!(
            take_step(
                &not,
                &Step::Close {
                    closure: Closure::Remediated,
                    siro: String::new()
                },
                &r,
                now
            )
            .is_err()
        );
        assert!(
            take_step(
                &not,
                &Step::Close {
                    closure: Closure::NotApplicable,
                    siro: String::new()
                },
                &r,
                now
            )
            .is_ok()
        );
        assert_eq!(
            take_step(&state(Closed, Some(true), 0), &Step::Remediation, &r, now).unwrap_err(),
            "the response is closed"
        );
    }

    #[test]
    fn lateness_and_escalation_at_the_edge() {
        let s = state(ResponseStatus::AwaitingAcknowledgement, None, 0);
        assert!(!s.late(100), "due exactly now is not late");
        assert!(s.late(101) && s.needs_escalation(101));
        let escalated = ResponseState {
            escalated_at: Some(101),
            ..s.clone()
        };
        assert!(escalated.late(200) && !escalated.needs_escalation(200));
        let closed = ResponseState {
            status: ResponseStatus::Closed,
            ..s
        };
        assert!(!closed.late(1_000));
        let none = ResponseState {
            due_at: None,
            ..state(ResponseStatus::InProgress, None, 0)
        };
        assert!(!none.late(i64::MAX));
    }

    #[test]
    fn action_dates_are_today_or_later() {
        let today = time::macros::date!(2026 - 11 - 24);
        assert!(check_action_due("2026-11-24", today).is_ok());
        assert!(
            check_action_due("2026-11-23", today)
                .unwrap_err()
                .contains("past")
        );
        assert!(check_action_due("24/11/2026", today).is_err());
    }

    #[test]
    fn references_and_prefixes() {
        assert_eq!(alert_reference("CC", 4123), "CC-4123");
        assert!(parse_prefix("CC").is_ok());
        assert!(
            parse_prefix("cc").is_err()
                && parse_prefix("").is_err()
                && parse_prefix("C-C").is_err()
        );
    }
}
