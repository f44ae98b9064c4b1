//! The framework file format, as written by people (`docs/FORMATS.md`), and its checks. Every
//! struct refuses unknown fields, so a typo is an error rather than a silently ignored setting.

use super::*;
use crate::dates::parse_date;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkFile {
    pub format: String,
    pub key: String,
    pub version: String,
    pub year: i32,
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    pub categories: Vec<u8>,
    pub deadline: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interim_baseline: Option<String>,
    #[serde(default)]
    pub assurance_ratings: Vec<String>,
    /// Months within which improvement-plan actions must fall due (6 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_horizon_months: Option<u32>,
    #[serde(default)]
    pub certificates: Vec<CertificateFile>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub type_groups: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standards: Vec<StandardFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objectives: Vec<ObjectiveFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateFile {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub exceeds: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardFile {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    pub group: String,
    #[serde(default)]
    pub assertions: Vec<AssertionFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssertionFile {
    #[serde(rename = "ref")]
    pub reference: String,
    pub text: String,
    #[serde(default)]
    pub items: Vec<ItemFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemFile {
    #[serde(rename = "ref")]
    pub reference: String,
    pub text: String,
    pub answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    #[serde(default)]
    pub mandatory: Vec<String>,
    #[serde(default)]
    pub optional: Vec<String>,
    #[serde(default)]
    pub approaching: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveFile {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(default)]
    pub principles: Vec<PrincipleFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipleFile {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(default)]
    pub outcomes: Vec<OutcomeFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFile {
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    #[serde(default)]
    pub igps: Vec<IgpFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgpFile {
    #[serde(rename = "ref")]
    pub reference: String,
    pub level: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub name: String,
    #[serde(default)]
    pub targets: BTreeMap<String, BTreeMap<String, String>>,
}

fn type_names(set: &BTreeSet<OrgType>) -> Vec<String> {
    set.iter().map(|t| t.as_str().to_string()).collect()
}

impl From<&CertificateKind> for CertificateFile {
    fn from(c: &CertificateKind) -> Self {
        Self {
            key: c.key.clone(),
            name: c.name.clone(),
            exceeds: c.exceeds,
        }
    }
}

impl From<&Standard> for StandardFile {
    fn from(s: &Standard) -> Self {
        Self {
            reference: s.reference.clone(),
            title: s.title.clone(),
            group: s.group.as_str().to_string(),
            assertions: s.assertions.iter().map(AssertionFile::from).collect(),
        }
    }
}

impl From<&Assertion> for AssertionFile {
    fn from(a: &Assertion) -> Self {
        Self {
            reference: a.reference.clone(),
            text: a.text.clone(),
            items: a.items.iter().map(ItemFile::from).collect(),
        }
    }
}

impl From<&Item> for ItemFile {
    fn from(i: &Item) -> Self {
        Self {
            reference: i.reference.clone(),
            text: i.text.clone(),
            answer: i.answer_type.as_str().to_string(),
            min: i.min,
            certificate: i.certificate.clone(),
            source_ref: i.source_ref.clone(),
            mandatory: type_names(&i.mandatory_for),
            optional: type_names(&i.optional_for),
            approaching: type_names(&i.approaching_for),
        }
    }
}

impl From<&Objective> for ObjectiveFile {
    fn from(o: &Objective) -> Self {
        Self {
            reference: o.reference.clone(),
            title: o.title.clone(),
            principles: o.principles.iter().map(PrincipleFile::from).collect(),
        }
    }
}

impl From<&Principle> for PrincipleFile {
    fn from(p: &Principle) -> Self {
        Self {
            reference: p.reference.clone(),
            title: p.title.clone(),
            outcomes: p.outcomes.iter().map(OutcomeFile::from).collect(),
        }
    }
}

impl From<&Outcome> for OutcomeFile {
    fn from(o: &Outcome) -> Self {
        Self {
            reference: o.reference.clone(),
            title: o.title.clone(),
            igps: o
                .igps
                .iter()
                .map(|g| IgpFile {
                    reference: g.reference.clone(),
                    level: g.level.as_str().to_string(),
                    text: g.text.clone(),
                })
                .collect(),
        }
    }
}

/// The longest text any framework field may hold.
const MAX_TEXT: usize = 4000;

/// Parses and validates a framework file (YAML, or JSON, which YAML reads too).
pub fn parse(text: &str) -> Result<Framework, FieldErrors> {
    let file: FrameworkFile = yaml_serde::from_str(text)
        .map_err(|e| FieldErrors::from(FieldError::new("file", e.to_string())))?;
    validate(file)
}

/// Checks a file's tree and turns it into a [`Framework`], reporting every problem at once.
pub fn validate(file: FrameworkFile) -> Result<Framework, FieldErrors> {
    let mut errs = FieldErrors::default();
    if file.format != FORMAT {
        errs.push("format", format!("must be \"{FORMAT}\""));
    }
    if file.key.is_empty()
        || file.key.len() > 60
        || !file
            .key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errs.push("key", "must be 1-60 lowercase letters, digits and hyphens");
    }
    text_field(&mut errs, "version", &file.version, 40);
    text_field(&mut errs, "name", &file.name, 200);
    if let Some(n) = &file.notice {
        text_field(&mut errs, "notice", n, MAX_TEXT);
    }
    if !YEARS.contains(&file.year) {
        errs.push("year", "must be between 2000 and 2100");
    }
    let kind =
        errs.take(FrameworkKind::from_str(&file.kind).map_err(|m| FieldError::new("kind", m)));
    let mut categories = Vec::new();
    for (i, n) in file.categories.iter().enumerate() {
        if let Some(c) = errs.take(
            Category::try_from(*n).map_err(|m| FieldError::new(format!("categories[{i}]"), m)),
        ) {
            if categories.contains(&c) {
                errs.push(
                    format!("categories[{i}]"),
                    format!("category {n} is listed twice"),
                );
            }
            categories.push(c);
        }
    }
    if file.categories.is_empty() {
        errs.push("categories", "must list at least one category");
    }
    let deadline = errs.take(parse_date("deadline", &file.deadline));
    let interim_baseline = match &file.interim_baseline {
        Some(d) => errs.take(parse_date("interim_baseline", d)),
        None => None,
    };
    if let (Some(d), Some(b)) = (deadline, interim_baseline)
        && b >= d
    {
        errs.push("interim_baseline", "must be before the deadline");
    }
    if file.assurance_ratings.is_empty() {
        errs.push(
            "assurance_ratings",
            "must list the audit rating scale, best first",
        );
    }
    for (i, r) in file.assurance_ratings.iter().enumerate() {
        text_field(&mut errs, &format!("assurance_ratings[{i}]"), r, 80);
    }
    if file
        .plan_horizon_months
        .is_some_and(|m| !(1..=24).contains(&m))
    {
        errs.push("plan_horizon_months", "must be between 1 and 24");
    }
    let mut certificates = Vec::new();
    for (i, c) in file.certificates.iter().enumerate() {
        if c.key.is_empty()
            || !c
                .key
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        {
            errs.push(
                format!("certificates[{i}].key"),
                "must be lowercase letters, digits and underscores",
            );
        }
        if certificates
            .iter()
            .any(|k: &CertificateKind| k.key == c.key)
        {
            errs.push(
                format!("certificates[{i}].key"),
                format!("\"{}\" is listed twice", c.key),
            );
        }
        text_field(&mut errs, &format!("certificates[{i}].name"), &c.name, 120);
        certificates.push(CertificateKind {
            key: c.key.clone(),
            name: c.name.clone(),
            exceeds: c.exceeds,
        });
    }
    let groups = resolve_groups(&file.type_groups, &mut errs);
    let mut seen = HashSet::new();
    let body = match kind {
        Some(FrameworkKind::TenStandard) => {
            if !file.objectives.is_empty() || file.profile.is_some() {
                errs.push(
                    "objectives",
                    "a ten_standard framework has standards, not objectives or a profile",
                );
            }
            if file.standards.is_empty() {
                errs.push("standards", "must list at least one standard");
            }
            let ctx = Ctx {
                groups: &groups,
                certificates: &certificates,
            };
            Some(Body::TenStandard {
                standards: file
                    .standards
                    .iter()
                    .enumerate()
                    .map(|(i, s)| ctx.standard(i, s, &mut seen, &mut errs))
                    .collect(),
            })
        }
        Some(FrameworkKind::Caf) => {
            if !file.standards.is_empty() {
                errs.push("standards", "a caf framework has objectives, not standards");
            }
            if file.objectives.is_empty() {
                errs.push("objectives", "must list at least one objective");
            }
            let profile = file.profile.clone().unwrap_or_else(|| {
                errs.push(
                    "profile",
                    "a caf framework needs a profile of target levels",
                );
                ProfileFile {
                    name: String::new(),
                    targets: BTreeMap::new(),
                }
            });
            let objectives: Vec<Objective> = file
                .objectives
                .iter()
                .enumerate()
                .map(|(i, o)| caf_objective(i, o, &categories, &profile, &mut seen, &mut errs))
                .collect();
            for key in profile.targets.keys() {
                if !seen.contains(key.as_str()) {
                    errs.push(
                        format!("profile.targets.{key}"),
                        "is not an outcome of this framework",
                    );
                }
            }
            if file.profile.is_some() {
                text_field(&mut errs, "profile.name", &profile.name, 200);
            }
            Some(Body::Caf {
                objectives,
                profile_name: profile.name,
            })
        }
        None => None,
    };
    errs.into_result()?;
    let mut framework = Framework {
        key: file.key,
        version: file.version,
        year: file.year,
        kind: kind.expect("checked"),
        name: file.name,
        notice: file.notice,
        categories,
        deadline: deadline.expect("checked"),
        interim_baseline,
        assurance_ratings: file.assurance_ratings,
        plan_horizon_months: file
            .plan_horizon_months
            .unwrap_or(DEFAULT_PLAN_HORIZON_MONTHS),
        certificates,
        body: body.expect("checked"),
        index: HashMap::new(),
    };
    framework.build_index();
    Ok(framework)
}

fn text_field(errs: &mut FieldErrors, field: &str, value: &str, max: usize) {
    if let Err(e) = crate::error::bounded_text(field, value, 1, max) {
        errs.0.push(e);
    }
}

fn resolve_groups(
    raw: &BTreeMap<String, Vec<String>>,
    errs: &mut FieldErrors,
) -> HashMap<String, BTreeSet<OrgType>> {
    let mut out = HashMap::new();
    out.insert("all".to_string(), OrgType::ALL.iter().copied().collect());
    for (name, types) in raw {
        if name == "all" || OrgType::from_str(name).is_ok() {
            errs.push(
                format!("type_groups.{name}"),
                "a group may not take the name of a type or \"all\"",
            );
            continue;
        }
        let mut set = BTreeSet::new();
        for (i, t) in types.iter().enumerate() {
            match OrgType::from_str(t) {
                Ok(t) => {
                    set.insert(t);
                }
                Err(m) => errs.push(format!("type_groups.{name}[{i}]"), m),
            }
        }
        out.insert(name.clone(), set);
    }
    out
}

fn check_ref(
    errs: &mut FieldErrors,
    path: &str,
    reference: &str,
    parent: Option<(&str, &str)>,
    seen: &mut HashSet<String>,
) {
    if reference.is_empty()
        || reference.len() > 40
        || !reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
    {
        errs.push(
            format!("{path}.ref"),
            format!("\"{reference}\" must be 1-40 letters, digits, dots, hyphens or underscores"),
        );
        return;
    }
    if let Some((what, p)) = parent {
        let under = reference
            .strip_prefix(p)
            .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1);
        if !under {
            errs.push(
                format!("{path}.ref"),
                format!("\"{reference}\" is not under {what} \"{p}\""),
            );
        }
    }
    if !seen.insert(reference.to_string()) {
        errs.push(
            format!("{path}.ref"),
            format!("\"{reference}\" is used more than once"),
        );
    }
}

struct Ctx<'a> {
    groups: &'a HashMap<String, BTreeSet<OrgType>>,
    certificates: &'a [CertificateKind],
}

impl Ctx<'_> {
    fn standard(
        &self,
        i: usize,
        s: &StandardFile,
        seen: &mut HashSet<String>,
        errs: &mut FieldErrors,
    ) -> Standard {
        let path = format!("standards[{i}]");
        check_ref(errs, &path, &s.reference, None, seen);
        text_field(errs, &format!("{path}.title"), &s.title, 200);
        let group = errs
            .take(
                StandardGroup::from_str(&s.group)
                    .map_err(|m| FieldError::new(format!("{path}.group"), m)),
            )
            .unwrap_or(StandardGroup::People);
        if s.assertions.is_empty() {
            errs.push(
                format!("{path}.assertions"),
                "must list at least one assertion",
            );
        }
        let assertions = s
            .assertions
            .iter()
            .enumerate()
            .map(|(j, a)| {
                let path = format!("{path}.assertions[{j}]");
                check_ref(
                    errs,
                    &path,
                    &a.reference,
                    Some(("standard", &s.reference)),
                    seen,
                );
                text_field(errs, &format!("{path}.text"), &a.text, MAX_TEXT);
                if a.items.is_empty() {
                    errs.push(format!("{path}.items"), "must list at least one item");
                }
                Assertion {
                    reference: a.reference.clone(),
                    text: a.text.clone(),
                    items: a
                        .items
                        .iter()
                        .enumerate()
                        .map(|(k, it)| {
                            self.item(&format!("{path}.items[{k}]"), &a.reference, it, seen, errs)
                        })
                        .collect(),
                }
            })
            .collect();
        Standard {
            reference: s.reference.clone(),
            title: s.title.clone(),
            group,
            assertions,
        }
    }

    fn item(
        &self,
        path: &str,
        parent: &str,
        it: &ItemFile,
        seen: &mut HashSet<String>,
        errs: &mut FieldErrors,
    ) -> Item {
        check_ref(errs, path, &it.reference, Some(("assertion", parent)), seen);
        text_field(errs, &format!("{path}.text"), &it.text, MAX_TEXT);
        let answer_type = errs
            .take(
                AnswerType::from_str(&it.answer)
                    .map_err(|m| FieldError::new(format!("{path}.answer"), m)),
            )
            .unwrap_or(AnswerType::YesNo);
        if it.min.is_some() && answer_type != AnswerType::Number {
            errs.push(
                format!("{path}.min"),
                "only number items may have a minimum",
            );
        }
        if it.min.is_some_and(|m| !m.is_finite()) {
            errs.push(format!("{path}.min"), "must be a finite number");
        }
        match (&it.certificate, answer_type) {
            (Some(key), AnswerType::Certificate) => {
                if !self.certificates.iter().any(|c| &c.key == key) {
                    errs.push(
                        format!("{path}.certificate"),
                        format!("\"{key}\" is not one of the framework's certificates"),
                    );
                }
            }
            (None, AnswerType::Certificate) => errs.push(
                format!("{path}.certificate"),
                "a certificate item must name its certificate kind",
            ),
            (Some(_), _) => errs.push(
                format!("{path}.certificate"),
                "only certificate items name a certificate",
            ),
            (None, _) => {}
        }
        let mandatory_for = self.types(&format!("{path}.mandatory"), &it.mandatory, errs);
        let optional_for = self.types(&format!("{path}.optional"), &it.optional, errs);
        let approaching_for = self.types(&format!("{path}.approaching"), &it.approaching, errs);
        if let Some(t) = mandatory_for.intersection(&optional_for).next() {
            errs.push(
                format!("{path}.optional"),
                format!("\"{t}\" is both mandatory and optional"),
            );
        }
        if let Some(t) = approaching_for.difference(&mandatory_for).next() {
            errs.push(
                format!("{path}.approaching"),
                format!("\"{t}\" is in the Approaching set but the item is not mandatory for it"),
            );
        }
        Item {
            reference: it.reference.clone(),
            text: it.text.clone(),
            answer_type,
            min: it.min,
            certificate: it.certificate.clone(),
            source_ref: it.source_ref.clone(),
            mandatory_for,
            optional_for,
            approaching_for,
        }
    }

    fn types(&self, path: &str, names: &[String], errs: &mut FieldErrors) -> BTreeSet<OrgType> {
        let mut set = BTreeSet::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(g) = self.groups.get(name) {
                set.extend(g.iter().copied());
            } else {
                match OrgType::from_str(name) {
                    Ok(t) => {
                        set.insert(t);
                    }
                    Err(m) => errs.push(format!("{path}[{i}]"), format!("{m}, or a type group")),
                }
            }
        }
        set
    }
}

fn caf_objective(
    i: usize,
    o: &ObjectiveFile,
    categories: &[Category],
    profile: &ProfileFile,
    seen: &mut HashSet<String>,
    errs: &mut FieldErrors,
) -> Objective {
    let path = format!("objectives[{i}]");
    check_ref(errs, &path, &o.reference, None, seen);
    text_field(errs, &format!("{path}.title"), &o.title, 200);
    let principles = o
        .principles
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let path = format!("{path}.principles[{j}]");
            // Principles are written A1, A2 under A: the parent is a plain prefix, no dot.
            check_ref(errs, &path, &p.reference, None, seen);
            if !p.reference.starts_with(&o.reference) || p.reference.len() == o.reference.len() {
                errs.push(
                    format!("{path}.ref"),
                    format!(
                        "\"{}\" is not under objective \"{}\"",
                        p.reference, o.reference
                    ),
                );
            }
            text_field(errs, &format!("{path}.title"), &p.title, 200);
            let outcomes = p
                .outcomes
                .iter()
                .enumerate()
                .map(|(k, oc)| {
                    caf_outcome(
                        &format!("{path}.outcomes[{k}]"),
                        &p.reference,
                        oc,
                        categories,
                        profile,
                        seen,
                        errs,
                    )
                })
                .collect();
            Principle {
                reference: p.reference.clone(),
                title: p.title.clone(),
                outcomes,
            }
        })
        .collect();
    Objective {
        reference: o.reference.clone(),
        title: o.title.clone(),
        principles,
    }
}

fn caf_outcome(
    path: &str,
    parent: &str,
    oc: &OutcomeFile,
    categories: &[Category],
    profile: &ProfileFile,
    seen: &mut HashSet<String>,
    errs: &mut FieldErrors,
) -> Outcome {
    check_ref(errs, path, &oc.reference, Some(("principle", parent)), seen);
    text_field(errs, &format!("{path}.title"), &oc.title, 200);
    let mut igps = Vec::new();
    for (n, g) in oc.igps.iter().enumerate() {
        let gpath = format!("{path}.igps[{n}]");
        check_ref(
            errs,
            &gpath,
            &g.reference,
            Some(("outcome", &oc.reference)),
            seen,
        );
        text_field(errs, &format!("{gpath}.text"), &g.text, MAX_TEXT);
        if let Some(level) = errs.take(
            Level::from_str(&g.level).map_err(|m| FieldError::new(format!("{gpath}.level"), m)),
        ) {
            igps.push(Igp {
                reference: g.reference.clone(),
                level,
                text: g.text.clone(),
            });
        }
    }
    for needed in [Level::NotAchieved, Level::Achieved] {
        if !igps.iter().any(|g| g.level == needed) && igps.len() == oc.igps.len() {
            errs.push(
                format!("{path}.igps"),
                format!(
                    "outcome \"{}\" needs at least one {} indicator",
                    oc.reference,
                    needed.label()
                ),
            );
        }
    }
    let mut outcome = Outcome {
        reference: oc.reference.clone(),
        title: oc.title.clone(),
        igps,
        targets: BTreeMap::new(),
    };
    let raw = profile.targets.get(&oc.reference);
    for c in categories {
        let key = c.number().to_string();
        let field = format!("profile.targets.{}.{key}", oc.reference);
        match raw.and_then(|m| m.get(&key)) {
            None => errs.push(
                field,
                format!(
                    "outcome \"{}\" has no target for category {key}",
                    oc.reference
                ),
            ),
            Some(l) => {
                if let Some(level) =
                    errs.take(Level::from_str(l).map_err(|m| FieldError::new(&field, m)))
                {
                    if level == Level::PartiallyAchieved && !outcome.has_partial() {
                        errs.push(field, "this outcome has no Partially achieved level");
                    } else {
                        outcome.targets.insert(*c, level);
                    }
                }
            }
        }
    }
    if let Some(m) = raw {
        for key in m.keys() {
            if !categories.iter().any(|c| c.number().to_string() == *key) {
                errs.push(
                    format!("profile.targets.{}.{key}", oc.reference),
                    "is not one of the framework's categories",
                );
            }
        }
    }
    outcome
}
