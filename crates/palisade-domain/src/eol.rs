//! End of support: product lifecycles in the endoflife.date format, and which of an inventory's
//! components are unsupported on a given day.
//!
//! A product file is Markdown with YAML front matter: a title, identifiers (CPE names and package
//! URLs) and releases keyed by `releaseCycle`, each with an `eol` (a date, or `true`/`false` when
//! no date is published) and optionally `eoes` (the end of paid extended support). A component is
//! joined to a product by its package URL or CPE identity, else by its product name (or vendor and
//! product) against the product's file name and title; its version finds the release cycle by
//! prefix (`3.11.4` is in `3.11`, `7 SP1` is `7-sp1`), by the start of a cycle (`7` can only be
//! `7-sp1`) or by the cycle's latest version (`6.1.7601` is Windows 7). A version that fits
//! several cycles is unsupported only when every one of them has ended.
//!
//! A release is supported through its `eol` day and unsupported from the day after, as
//! endoflife.date counts it (`today > eol`); an extended-support agreement covers the days from
//! its start to its end, both included.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::dates::{date_text, parse_date};
use crate::exposure::Identity;
use crate::ident::{Cpe23, Purl};
use crate::inventory::Component;

/// When support ends (or ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "on")]
pub enum Support {
    /// Supported up to and including this day, unsupported from the next: endoflife.date's own
    /// rule is `today > eol`, so the end day is still a supported day.
    Until(#[serde(with = "crate::dates::iso_date")] Date),
    /// Has ended, on a day the data does not give.
    Ended,
    /// No end announced.
    Ongoing,
}

impl Support {
    /// Whether support has ended by `day`: the day after the end day, as the data's source
    /// counts it.
    pub fn ended_on(self, day: Date) -> bool {
        match self {
            Support::Until(d) => day > d,
            Support::Ended => true,
            Support::Ongoing => false,
        }
    }

    /// The day, when there is one.
    pub fn date(self) -> Option<Date> {
        match self {
            Support::Until(d) => Some(d),
            _ => None,
        }
    }

    /// Which of two ends comes later (an ongoing one is latest, an undated end earliest).
    fn later(self, other: Support) -> Support {
        use Support::*;
        match (self, other) {
            (Ongoing, _) | (_, Ongoing) => Ongoing,
            (Until(a), Until(b)) => Until(a.max(b)),
            (Until(a), Ended) | (Ended, Until(a)) => Until(a),
            (Ended, Ended) => Ended,
        }
    }
}

/// One release cycle of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub cycle: String,
    pub label: Option<String>,
    pub eol: Support,
    /// The end of extended (paid) support, when the vendor offers it.
    pub eoes: Option<Support>,
    pub latest: Option<String>,
    /// When the cycle's latest version came out (else the cycle itself).
    #[serde(default, with = "crate::dates::opt_iso_date")]
    pub latest_release: Option<Date>,
}

impl Cycle {
    /// The name people know the cycle by.
    pub fn name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.cycle)
    }
}

/// One product's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// The file name without `.md`: the product's key.
    pub slug: String,
    pub title: String,
    pub category: Option<String>,
    /// CPE names and package URLs as the file gives them.
    pub identifiers: Vec<String>,
    pub cycles: Vec<Cycle>,
}

impl Product {
    /// The newest release the data records: how current it is (ends of support are often
    /// years ahead, so they do not count).
    pub fn newest_date(&self) -> Option<Date> {
        self.cycles.iter().filter_map(|c| c.latest_release).max()
    }
}

/// The identity an identifier names: a package URL, or a CPE (2.3, possibly cut short after the
/// product, or the older URI form). `None` for what this does not read.
fn identifier_identity(id: &str) -> Option<Identity> {
    if id.starts_with("pkg:") {
        return Purl::parse(id).ok().map(|p| Identity::of_purl(&p));
    }
    let cpe = if let Some(rest) = id.strip_prefix("cpe:2.3:") {
        let mut parts: Vec<&str> = rest.split(':').collect();
        parts.resize(11, "*");
        Cpe23::parse(&format!("cpe:2.3:{}", parts.join(":"))).ok()
    } else {
        Cpe23::from_uri(id).ok()
    };
    cpe.map(|c| Identity::of_cpe(&c))
}

/// Lower case, with every run of characters other than letters, digits and dots made one `-`:
/// `11 24H2 (E)` and `11-24h2-e` read alike.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_alphanumeric() || ch == '.' {
            out.extend(ch.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// `version` starts with `prefix` and then a separator (or ends there).
fn starts_at_boundary(version: &str, prefix: &str) -> bool {
    version
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-', '+', '_', '~']))
}

/// Where a component's product and cycle were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle<'a> {
    pub product: &'a Product,
    /// The cycle the version fits, or, when it fits several, the one supported longest.
    pub cycle: &'a Cycle,
    /// More than one cycle fits the version.
    pub ambiguous: bool,
    /// When support ends: for several cycles, the latest of their ends.
    pub eol: Support,
    pub eoes: Option<Support>,
}

/// Every product's lifecycle, with lookups by identity and by name.
#[derive(Debug, Default)]
pub struct Catalogue {
    products: Vec<Product>,
    by_identity: std::collections::HashMap<Identity, usize>,
    by_name: std::collections::HashMap<String, usize>,
}

impl Catalogue {
    pub fn new(products: Vec<Product>) -> Self {
        let mut c = Catalogue::default();
        for (i, p) in products.iter().enumerate() {
            for id in &p.identifiers {
                if let Some(identity) = identifier_identity(id) {
                    c.by_identity.entry(identity).or_insert(i);
                }
            }
            c.by_name.entry(normalise(&p.slug)).or_insert(i);
            c.by_name.entry(normalise(&p.title)).or_insert(i);
        }
        c.products = products;
        c
    }

    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The product of an identity: by its package URL or CPE first, then by the names it holds
    /// (a CPE's product, or vendor and product; a package's name) against the product's file
    /// name and title. A component without either identifies by its vendor and product names in
    /// CPE form, so every component is judged by its identity alone, on one page and in the
    /// national figures alike.
    pub fn product_of(&self, identity: &Identity) -> Option<&Product> {
        let by_names = || {
            let names = match identity {
                Identity::Product { vendor, product } => {
                    vec![
                        normalise(product),
                        normalise(&format!("{vendor} {product}")),
                    ]
                }
                Identity::Package { name, .. } => vec![normalise(name)],
            };
            names.into_iter().find_map(|n| self.by_name.get(&n))
        };
        self.by_identity
            .get(identity)
            .or_else(by_names)
            .map(|&i| &self.products[i])
    }

    /// The component's product and cycle, when both are known.
    pub fn lifecycle_of(&self, c: &Component) -> Option<Lifecycle<'_>> {
        self.lifecycle(&c.identity(), c.version.as_deref()?)
    }

    /// The product and cycle of `version` of an identity, when both are known.
    pub fn lifecycle(&self, identity: &Identity, version: &str) -> Option<Lifecycle<'_>> {
        let product = self.product_of(identity)?;
        let fits = cycles_for(product, version);
        let (first, rest) = fits.split_first()?;
        let mut best = *first;
        let mut eol = first.eol;
        let mut eoes = first.eoes;
        for &other in rest {
            eol = eol.later(other.eol);
            eoes = match (eoes, other.eoes) {
                (Some(a), Some(b)) => Some(a.later(b)),
                (a, b) => a.or(b),
            };
            if other.eol.later(best.eol) != best.eol {
                best = other;
            }
        }
        Some(Lifecycle {
            product,
            cycle: best,
            ambiguous: !rest.is_empty(),
            eol,
            eoes,
        })
    }
}

/// The cycles a version fits: the longest cycle (or label) the version starts with; else the
/// cycles that start with the version; else those whose latest version the version starts with.
fn cycles_for<'a>(product: &'a Product, version: &str) -> Vec<&'a Cycle> {
    let v = normalise(version);
    if v.is_empty() {
        return Vec::new();
    }
    let names = |c: &'a Cycle| {
        [Some(c.cycle.as_str()), c.label.as_deref()]
            .into_iter()
            .flatten()
            .map(normalise)
    };
    let prefixed = product
        .cycles
        .iter()
        .filter_map(|c| {
            names(c)
                .filter(|n| starts_at_boundary(&v, n))
                .map(|n| n.len())
                .max()
                .map(|len| (len, c))
        })
        .collect::<Vec<_>>();
    if let Some(longest) = prefixed.iter().map(|(len, _)| *len).max() {
        return prefixed
            .into_iter()
            .filter(|(len, _)| *len == longest)
            .map(|(_, c)| c)
            .collect();
    }
    let started: Vec<&Cycle> = product
        .cycles
        .iter()
        .filter(|c| names(c).any(|n| starts_at_boundary(&n, &v)))
        .collect();
    if !started.is_empty() {
        return started;
    }
    product
        .cycles
        .iter()
        .filter(|c| {
            c.latest
                .as_deref()
                .is_some_and(|l| starts_at_boundary(&v, &normalise(l)))
        })
        .collect()
}

/// `YYYY-MM-DD` of a support end, or what stands for it.
pub fn support_text(s: Support) -> String {
    match s {
        Support::Until(d) => date_text(d),
        Support::Ended => "ended (no date published)".into(),
        Support::Ongoing => "no end announced".into(),
    }
}

/// What an organisation does about an unsupported system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MitigationAction {
    Replace,
    Remove,
    Isolate,
    /// An extended-support agreement: the system counts as supported until it ends.
    ExtendedSupport,
}

impl MitigationAction {
    pub const ALL: [MitigationAction; 4] = [
        MitigationAction::Replace,
        MitigationAction::Remove,
        MitigationAction::Isolate,
        MitigationAction::ExtendedSupport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MitigationAction::Replace => "replace",
            MitigationAction::Remove => "remove",
            MitigationAction::Isolate => "isolate",
            MitigationAction::ExtendedSupport => "extended_support",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            MitigationAction::Replace => "Replace",
            MitigationAction::Remove => "Remove",
            MitigationAction::Isolate => "Isolate from the network",
            MitigationAction::ExtendedSupport => "Extended support agreement",
        }
    }
}

/// The longest evidence note accepted.
pub const EVIDENCE_MAX: usize = 2000;

/// A mitigation as submitted: the system (asset, vendor and product as the inventory names
/// them), the action, the agreement's first and last day for extended support, and the evidence.
/// Missing fields are empty, as a form leaves them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MitigationInput {
    pub asset: String,
    pub vendor: String,
    pub product: String,
    pub action: String,
    /// The agreement's first day; empty for the day it is recorded.
    pub from: String,
    pub until: String,
    pub evidence: String,
}

/// A checked mitigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mitigation {
    pub asset: String,
    pub vendor: String,
    pub product: String,
    pub action: MitigationAction,
    /// The first day an extended-support agreement covers (only for that action).
    pub from: Option<Date>,
    /// The last day an extended-support agreement covers (only for that action).
    pub until: Option<Date>,
    pub evidence: String,
}

impl Mitigation {
    /// The system a mitigation is recorded for: asset, vendor and product as the inventory
    /// names them.
    pub fn system(&self) -> (&str, &str, &str) {
        (&self.asset, &self.vendor, &self.product)
    }

    /// Whether this is the mitigation of that component's system.
    pub fn is_for(&self, c: &Component) -> bool {
        self.system() == (c.asset.as_str(), c.vendor.as_str(), c.product.as_str())
    }

    /// Whether the system counts as supported on `day` whatever its product's end of life: under
    /// an extended-support agreement running that day (from its first to its last day).
    pub fn covers(&self, day: Date) -> bool {
        self.action == MitigationAction::ExtendedSupport
            && self.from.is_none_or(|f| f <= day)
            && self.until.is_some_and(|u| day <= u)
    }
}

impl MitigationInput {
    pub fn validate(&self, today: Date) -> Result<Mitigation, crate::FieldErrors> {
        use crate::error::bounded_text;
        use crate::inventory::NAME_MAX;
        let mut e = crate::FieldErrors::default();
        let asset = e.take(bounded_text("asset", &self.asset, 1, NAME_MAX));
        let vendor = e.take(bounded_text("vendor", &self.vendor, 0, NAME_MAX));
        let product = e.take(bounded_text("product", &self.product, 1, NAME_MAX));
        let evidence = e.take(bounded_text("evidence", &self.evidence, 1, EVIDENCE_MAX));
        let action = MitigationAction::parse(&self.action);
        if action.is_none() {
            let all: Vec<_> = MitigationAction::ALL.iter().map(|a| a.as_str()).collect();
            e.push(
                "action",
                format!("'{}' is not one of: {}", self.action.trim(), all.join(", ")),
            );
        }
        // The agreement's days, only for an agreement: its last day is required and not past,
        // its first defaults to today and may not come after the last.
        let agreement = action == Some(MitigationAction::ExtendedSupport);
        let mut day = |field: &str, raw: &str, check: &dyn Fn(Date) -> Option<String>| match (
            agreement,
            raw.trim(),
        ) {
            (_, "") => None,
            (false, _) => {
                e.push(field, "is only given for an extended support agreement");
                None
            }
            (true, raw) => match parse_date(field, raw) {
                Ok(d) => match check(d) {
                    Some(problem) => {
                        e.push(field, problem);
                        None
                    }
                    None => Some(d),
                },
                Err(err) => {
                    e.push(err.field, err.message);
                    None
                }
            },
        };
        let until = day("until", &self.until, &|d| {
            (d < today).then(|| format!("{} is in the past", date_text(d)))
        });
        let from = day("from", &self.from, &|d| {
            until
                .is_some_and(|u| d > u)
                .then(|| format!("{} is after the last day", date_text(d)))
        });
        if agreement && self.until.trim().is_empty() {
            e.push("until", "is required for an extended support agreement");
        }
        let from = from.or((agreement && self.from.trim().is_empty()).then_some(today));
        e.into_result()?;
        Ok(Mitigation {
            asset: asset.unwrap_or_default(),
            vendor: vendor.unwrap_or_default(),
            product: product.unwrap_or_default(),
            action: action.unwrap_or(MitigationAction::Isolate),
            from,
            until,
            evidence: evidence.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        parse_date("d", s).unwrap()
    }

    #[test]
    fn mitigations_are_checked_and_extended_support_covers_until_its_end() {
        let today = day("2026-11-25");
        let input = |action: &str, until: &str| MitigationInput {
            asset: "PC-1".into(),
            vendor: "Microsoft".into(),
            product: "Windows".into(),
            action: action.into(),
            until: until.into(),
            evidence: "ESU contract 2026-114".into(),
            ..Default::default()
        };
        let m = input("extended_support", "2027-01-10")
            .validate(today)
            .unwrap();
        // From the day it is recorded to its last day, both included.
        assert_eq!(m.from, Some(today));
        assert!(!m.covers(day("2026-11-24")));
        assert!(m.covers(today));
        assert!(m.covers(day("2027-01-10")));
        assert!(!m.covers(day("2027-01-11")));
        // An agreement that started earlier covers from its own first day.
        let earlier = MitigationInput {
            from: "2026-01-01".into(),
            ..input("extended_support", "2027-01-10")
        }
        .validate(today)
        .unwrap();
        assert!(!earlier.covers(day("2025-12-31")));
        assert!(earlier.covers(day("2026-01-01")));
        assert!(!input("isolate", "").validate(today).unwrap().covers(today));
        let fields = |i: MitigationInput| -> Vec<String> {
            i.validate(today)
                .unwrap_err()
                .0
                .into_iter()
                .map(|f| f.field)
                .collect()
        };
        assert_eq!(fields(input("extended_support", "")), ["until"]);
        let after = MitigationInput {
            from: "2027-02-01".into(),
            ..input("extended_support", "2027-01-10")
        };
        assert_eq!(fields(after), ["from"]);
        let isolated = MitigationInput {
            from: "2026-01-01".into(),
            ..input("isolate", "")
        };
        assert_eq!(fields(isolated), ["from"]);
        assert_eq!(fields(input("extended_support", "2026-11-24")), ["until"]);
        // An agreement may end today (and covers today), never yesterday.
        assert!(
            input("extended_support", "2026-11-25")
                .validate(today)
                .unwrap()
                .covers(today)
        );
        assert_eq!(fields(input("isolate", "2027-01-01")), ["until"]);
        assert_eq!(fields(input("patch", "")), ["action"]);
        let mut blank = input("remove", "");
        blank.evidence = " ".into();
        blank.asset = String::new();
        assert_eq!(fields(blank), ["asset", "evidence"]);
    }

    #[test]
    fn support_ends_after_its_day() {
        // Windows 7: end of support 2020-01-14, still a supported day (`today > eol`).
        let s = Support::Until(day("2020-01-14"));
        assert!(!s.ended_on(day("2020-01-13")));
        assert!(!s.ended_on(day("2020-01-14")));
        assert!(s.ended_on(day("2020-01-15")));
        assert!(Support::Ended.ended_on(day("1990-01-01")));
        assert!(!Support::Ongoing.ended_on(day("2999-01-01")));
        assert_eq!(Support::Ended.later(s), s);
        assert_eq!(s.later(Support::Ongoing), Support::Ongoing);
    }
}
