//! Assessment frameworks as data: the ten-standard toolkit (standard → assertion → evidence item)
//! and the CAF-aligned one (objective → principle → contributing outcome → indicators of good
//! practice, plus a profile). The file format is described in `docs/FORMATS.md`; this module
//! parses it, checks the tree and turns it into validated types the rest of the system trusts.

use crate::dates::{date_text, ser_date, ser_opt_date};
use crate::error::{FieldError, FieldErrors};
use crate::org::{Category, OrgType, string_enum};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::str::FromStr;
use time::Date;

mod file;
pub use file::*;

/// The assessment years Palisade accepts, in files and in requests.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The only value accepted in a file's `format` field.
pub const FORMAT: &str = "palisade-framework/1";

string_enum! {
    /// Which of the two shapes a framework has.
    FrameworkKind {
        TenStandard => "ten_standard", "Ten-standard",
        Caf => "caf", "CAF-aligned",
    }
}

string_enum! {
    /// How an evidence item is answered.
    AnswerType {
        YesNo => "yes_no", "Yes or no",
        Text => "text", "Text",
        Date => "date", "Date",
        Number => "number", "Number",
        Document => "document", "Document upload",
        Certificate => "certificate", "Certificate",
    }
}

string_enum! {
    /// A CAF contributing outcome's level; ordered so that `Achieved` is the greatest.
    Level {
        NotAchieved => "not_achieved", "Not achieved",
        PartiallyAchieved => "partially_achieved", "Partially achieved",
        Achieved => "achieved", "Achieved",
    }
}

string_enum! {
    /// The National Data Guardian's grouping of the ten standards.
    StandardGroup {
        People => "people", "People",
        Process => "process", "Process",
        Technology => "technology", "Technology",
    }
}

/// Whether an evidence item applies to an organisation type, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applicability {
    Mandatory { approaching: bool },
    Optional,
    NotApplicable,
}

impl Applicability {
    pub fn applies(self) -> bool {
        !matches!(self, Applicability::NotApplicable)
    }
    pub fn is_mandatory(self) -> bool {
        matches!(self, Applicability::Mandatory { .. })
    }
    pub fn in_approaching(self) -> bool {
        matches!(self, Applicability::Mandatory { approaching: true })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateKind {
    pub key: String,
    pub name: String,
    /// A valid certificate of this kind lifts Standards Met to Standards Exceeded.
    pub exceeds: bool,
}

/// Improvement-plan actions fall due within six months unless a framework says otherwise.
pub const DEFAULT_PLAN_HORIZON_MONTHS: u32 = 6;

/// A validated framework: every reference unique and in its place, every type and level known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Framework {
    pub key: String,
    pub version: String,
    pub year: i32,
    pub kind: FrameworkKind,
    pub name: String,
    pub notice: Option<String>,
    pub categories: Vec<Category>,
    #[serde(serialize_with = "ser_date")]
    pub deadline: Date,
    #[serde(serialize_with = "ser_opt_date")]
    pub interim_baseline: Option<Date>,
    pub assurance_ratings: Vec<String>,
    /// Improvement-plan actions must fall due within this many months of being planned.
    pub plan_horizon_months: u32,
    pub certificates: Vec<CertificateKind>,
    #[serde(flatten)]
    pub body: Body,
    #[serde(skip)]
    index: HashMap<String, NodeAt>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Body {
    TenStandard {
        standards: Vec<Standard>,
    },
    Caf {
        objectives: Vec<Objective>,
        profile_name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standard {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub group: StandardGroup,
    pub assertions: Vec<Assertion>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assertion {
    #[serde(rename = "ref")]
    pub reference: String,
    pub text: String,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    #[serde(rename = "ref")]
    pub reference: String,
    pub text: String,
    pub answer_type: AnswerType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    pub mandatory_for: BTreeSet<OrgType>,
    pub optional_for: BTreeSet<OrgType>,
    pub approaching_for: BTreeSet<OrgType>,
}

impl Item {
    pub fn applicability(&self, org_type: OrgType) -> Applicability {
        if self.mandatory_for.contains(&org_type) {
            Applicability::Mandatory {
                approaching: self.approaching_for.contains(&org_type),
            }
        } else if self.optional_for.contains(&org_type) {
            Applicability::Optional
        } else {
            Applicability::NotApplicable
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Objective {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub principles: Vec<Principle>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principle {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub outcomes: Vec<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub igps: Vec<Igp>,
    /// The profile's target level per category.
    pub targets: BTreeMap<Category, Level>,
}

impl Outcome {
    /// Some outcomes have only two columns (Not achieved / Achieved).
    pub fn has_partial(&self) -> bool {
        self.igps
            .iter()
            .any(|i| i.level == Level::PartiallyAchieved)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Igp {
    #[serde(rename = "ref")]
    pub reference: String,
    pub level: Level,
    pub text: String,
}

/// A reference's position in the tree, by index at each level.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NodeAt {
    Item(usize, usize, usize),
    Outcome(usize, usize, usize),
    Igp(usize, usize, usize, usize),
}

/// What a reference in a framework points at.
#[derive(Debug, Clone, Copy)]
pub enum Node<'a> {
    Item(&'a Item),
    Outcome(&'a Outcome),
    Igp(&'a Outcome, &'a Igp),
}

impl<'a> Node<'a> {
    /// How this reference is answered: IGPs are yes/no, an outcome's comment is text.
    pub fn answer_type(self) -> AnswerType {
        match self {
            Node::Item(item) => item.answer_type,
            Node::Igp(..) => AnswerType::YesNo,
            Node::Outcome(_) => AnswerType::Text,
        }
    }

    /// What people read for it: an item's or IGP's text, an outcome's title.
    pub fn text(self) -> &'a str {
        match self {
            Node::Item(i) => &i.text,
            Node::Outcome(o) => &o.title,
            Node::Igp(_, g) => &g.text,
        }
    }
}

impl Framework {
    /// The interim baseline an organisation of `category` records, if any: the framework's,
    /// for large organisations only.
    pub fn interim_baseline_for(&self, category: Category) -> Option<Date> {
        self.interim_baseline
            .filter(|_| category.records_interim_baseline())
    }

    /// The same framework for the cycle starting in `year`: the deadline and interim baseline
    /// moved by as many years, and the cycle's label ("2026-27") in the version and the name
    /// replaced. For the demonstration, which answers the current cycle whatever year it runs
    /// in and ships one cycle's frameworks; a real cycle's framework is published afresh.
    pub fn carried_to(&self, year: i32) -> Framework {
        let by = year - self.year;
        // 29 February becomes the 28th in a year without one.
        let shift = |d: Date| {
            d.replace_year(d.year() + by)
                .or_else(|_| {
                    d.replace_day(28)
                        .and_then(|d| d.replace_year(d.year() + by))
                })
                .expect("the 28th of any month exists in every year")
        };
        let (from, to) = (
            crate::assessment::year_label(self.year),
            crate::assessment::year_label(year),
        );
        let mut carried = self.clone();
        carried.year = year;
        carried.deadline = shift(self.deadline);
        carried.interim_baseline = self.interim_baseline.map(shift);
        carried.version = if self.version.contains(&from) {
            self.version.replace(&from, &to)
        } else {
            format!("{} ({to})", self.version)
        };
        carried.name = self.name.replace(&from, &to);
        carried
    }

    pub fn standards(&self) -> &[Standard] {
        match &self.body {
            Body::TenStandard { standards } => standards,
            Body::Caf { .. } => &[],
        }
    }

    pub fn objectives(&self) -> &[Objective] {
        match &self.body {
            Body::Caf { objectives, .. } => objectives,
            Body::TenStandard { .. } => &[],
        }
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.standards()
            .iter()
            .flat_map(|s| s.assertions.iter().flat_map(|a| a.items.iter()))
    }

    pub fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.objectives()
            .iter()
            .flat_map(|o| o.principles.iter().flat_map(|p| p.outcomes.iter()))
    }

    /// Looks up an answerable reference: an item, a CAF outcome (its comment) or an IGP. One
    /// hash lookup: every answer of a bulk call and every answer shown goes through here.
    pub fn node(&self, reference: &str) -> Option<Node<'_>> {
        Some(match *self.index.get(reference)? {
            NodeAt::Item(s, a, i) => Node::Item(&self.standards()[s].assertions[a].items[i]),
            NodeAt::Outcome(o, p, k) => {
                Node::Outcome(&self.objectives()[o].principles[p].outcomes[k])
            }
            NodeAt::Igp(o, p, k, g) => {
                let outcome = &self.objectives()[o].principles[p].outcomes[k];
                Node::Igp(outcome, &outcome.igps[g])
            }
        })
    }

    /// Where every answerable reference sits in the tree (built once, when validated).
    fn build_index(&mut self) {
        let mut index = HashMap::new();
        for (s, st) in self.standards().iter().enumerate() {
            for (a, asr) in st.assertions.iter().enumerate() {
                for (i, it) in asr.items.iter().enumerate() {
                    index.insert(it.reference.clone(), NodeAt::Item(s, a, i));
                }
            }
        }
        for (o, ob) in self.objectives().iter().enumerate() {
            for (p, pr) in ob.principles.iter().enumerate() {
                for (k, oc) in pr.outcomes.iter().enumerate() {
                    index.insert(oc.reference.clone(), NodeAt::Outcome(o, p, k));
                    for (g, igp) in oc.igps.iter().enumerate() {
                        index.insert(igp.reference.clone(), NodeAt::Igp(o, p, k, g));
                    }
                }
            }
        }
        self.index = index;
    }

    /// The standard or objective a reference sits in (one hash lookup).
    pub fn section_of(&self, reference: &str) -> Option<&str> {
        Some(match *self.index.get(reference)? {
            NodeAt::Item(s, ..) => &self.standards()[s].reference,
            NodeAt::Outcome(o, ..) | NodeAt::Igp(o, ..) => &self.objectives()[o].reference,
        })
    }

    pub fn certificate(&self, key: &str) -> Option<&CertificateKind> {
        self.certificates.iter().find(|c| c.key == key)
    }

    /// The canonical file form of this framework (JSON is YAML, so it reads back with [`parse`]).
    pub fn to_file(&self) -> FrameworkFile {
        let profile = match &self.body {
            Body::TenStandard { .. } => None,
            Body::Caf { profile_name, .. } => Some(ProfileFile {
                name: profile_name.clone(),
                targets: self
                    .outcomes()
                    .map(|o| {
                        let per_category = o
                            .targets
                            .iter()
                            .map(|(c, l)| (c.number().to_string(), l.as_str().to_string()))
                            .collect();
                        (o.reference.clone(), per_category)
                    })
                    .collect(),
            }),
        };
        FrameworkFile {
            format: FORMAT.to_string(),
            key: self.key.clone(),
            version: self.version.clone(),
            year: self.year,
            kind: self.kind.as_str().to_string(),
            name: self.name.clone(),
            notice: self.notice.clone(),
            categories: self.categories.iter().map(|c| c.number()).collect(),
            deadline: date_text(self.deadline),
            interim_baseline: self.interim_baseline.map(date_text),
            assurance_ratings: self.assurance_ratings.clone(),
            plan_horizon_months: (self.plan_horizon_months != DEFAULT_PLAN_HORIZON_MONTHS)
                .then_some(self.plan_horizon_months),
            certificates: self
                .certificates
                .iter()
                .map(CertificateFile::from)
                .collect(),
            type_groups: BTreeMap::new(),
            standards: self.standards().iter().map(StandardFile::from).collect(),
            objectives: self.objectives().iter().map(ObjectiveFile::from).collect(),
            profile,
        }
    }

    /// Canonical JSON: the same framework always gives the same bytes, whatever file it came from.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(&self.to_file()).expect("framework files always serialise")
    }
}
