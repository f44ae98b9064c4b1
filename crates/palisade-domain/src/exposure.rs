//! Exposure matching: which inventory components an advisory (an alert's product, a KEV entry,
//! an OSV or CSAF record) names.
//!
//! Components are indexed by [`Identity`] (a package by its URL's type, namespace and name; a
//! product by its CPE vendor and product), and within an identity by [`Version`] in a sorted map,
//! so an advisory's range is answered by a few ordered-map range scans, never by looking at every
//! component. The index changes incrementally: an inventory upload removes the organisation's old
//! components and inserts the new ones.

use std::collections::BTreeMap;

// foldhash: several times faster than the standard SipHash on these short keys, and seeded per
// map, so crafted package names cannot force collisions.
use foldhash::HashMap;

mod snapshot;
pub use snapshot::{read_numbers, write_numbers};
use std::ops::Bound as MapBound;

use crate::alert::AffectedProduct;
use crate::ident::{Cpe23, Purl, Vers};
use crate::version::{Bound, Scheme, Version, VersionRange};

/// What a component is, independent of its version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    /// A package: its URL's type, namespace (empty when it has none) and name.
    Package {
        kind: String,
        namespace: String,
        name: String,
    },
    /// A product named by CPE: vendor and product (lower case, CPE-escaped).
    Product { vendor: String, product: String },
}

impl Identity {
    pub fn of_purl(p: &Purl) -> Self {
        Identity::Package {
            kind: p.purl_type().to_string(),
            namespace: p.namespace().unwrap_or_default().to_string(),
            name: p.name().to_string(),
        }
    }

    pub fn of_cpe(c: &Cpe23) -> Self {
        let a = c.attributes();
        Identity::Product {
            vendor: a[1].clone(),
            product: a[2].clone(),
        }
    }

    /// The order versions of this identity compare in: the package type's, or the generic order
    /// for CPE products. Fails for a package type Palisade cannot order.
    pub fn scheme(&self) -> Result<Scheme, String> {
        match self {
            Identity::Package { kind, .. } => Scheme::from_type(kind),
            Identity::Product { .. } => Ok(Scheme::Generic),
        }
    }
}

/// The versions an advisory names for one identity.
#[derive(Debug, Clone)]
pub enum Affects {
    /// Every version, and components whose version is unknown.
    All,
    Exactly(Version),
    Range(VersionRange),
}

/// One identity and the versions of it an advisory names.
#[derive(Debug, Clone)]
pub struct Rule {
    pub identity: Identity,
    pub affects: Affects,
}

impl Rule {
    /// Whether the rule names a component of `identity` at `version` (as written): the same
    /// answer the index gives, for checking one component.
    pub fn names(&self, identity: &Identity, version: Option<&str>) -> bool {
        if *identity != self.identity {
            return false;
        }
        let parsed = || {
            let scheme = identity.scheme().ok()?;
            Version::parse(scheme, version?).ok()
        };
        match &self.affects {
            Affects::All => true,
            Affects::Exactly(v) => parsed().is_some_and(|p| p == *v),
            Affects::Range(r) => parsed().is_some_and(|p| r.contains(&p)),
        }
    }
}

/// A CPE version attribute that names one version (not `*` any, `-` not applicable or a
/// pattern).
fn cpe_version(c: &Cpe23) -> Option<Version> {
    c.version()
        .and_then(|v| Version::parse(Scheme::Generic, &v).ok())
}

/// The rules an alert's product gives: by package URL in the package's order, and by CPE in the
/// generic order (a Maven range also matches the product's CPE, read as generic versions).
pub fn rules_for_product(p: &AffectedProduct) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    if let Some(purl) = &p.purl {
        let identity = Identity::of_purl(purl);
        let scheme = identity.scheme()?;
        let affects = match (&p.vers, purl.version()) {
            (Some(v), _) => Affects::Range(VersionRange::from_vers_as(v, scheme)?),
            (None, Some(pinned)) => Affects::Exactly(Version::parse(scheme, pinned)?),
            (None, None) => Affects::All,
        };
        rules.push(Rule { identity, affects });
    }
    if let Some(cpe) = &p.cpe {
        if p.vers.is_none() && cpe.version_is_pattern() {
            return Err(pattern_refused(cpe));
        }
        let affects = match (&p.vers, cpe_version(cpe)) {
            (Some(v), _) => Affects::Range(generic_range(v)?),
            (None, Some(exact)) => Affects::Exactly(exact),
            (None, None) => Affects::All,
        };
        rules.push(Rule {
            identity: Identity::of_cpe(cpe),
            affects,
        });
    }
    Ok(rules)
}

/// Why a CPE whose version is a pattern names no rule: read as one version it would match
/// none of those it stands for.
pub fn pattern_refused(cpe: &Cpe23) -> String {
    format!(
        "the version in {} is a pattern; give the CPE with * as its version and the versions \
         as a vers range",
        cpe.as_str()
    )
}

fn generic_range(v: &Vers) -> Result<VersionRange, String> {
    VersionRange::from_vers_as(v, Scheme::Generic)
}

/// The components of one identity. Each distinct version is parsed once and has a slot; the
/// text a version was written in finds its slot by hash, so loading millions of components costs
/// a hash lookup each, and only a new version touches the ordered map.
#[derive(Debug)]
struct Versions<K> {
    scheme: Scheme,
    by_text: HashMap<Box<str>, usize>,
    slots: Vec<(Version, Vec<K>)>,
    /// Slot numbers in version order (equal versions written differently share a slot).
    order: BTreeMap<Version, usize>,
    unknown: Vec<K>,
    /// Components held (known and unknown versions), so emptiness is not a scan of every slot.
    len: usize,
}

impl<K> Versions<K> {
    fn new(scheme: Scheme) -> Self {
        Self {
            scheme,
            by_text: HashMap::default(),
            slots: Vec::new(),
            order: BTreeMap::new(),
            unknown: Vec::new(),
            len: 0,
        }
    }

    /// Calls `visit` with the slot of every version `affects` names, and with `None` when it
    /// names the components of unknown version.
    fn matching_slots(&self, affects: &Affects, mut visit: impl FnMut(Option<usize>)) {
        match affects {
            Affects::All => {
                self.order.values().for_each(|i| visit(Some(*i)));
                visit(None);
            }
            Affects::Exactly(v) => {
                if let Some(&i) = self.order.get(v) {
                    visit(Some(i));
                }
            }
            Affects::Range(range) => {
                let exclusions = range.has_exclusions();
                for i in range.intervals() {
                    let (low, high) = (bound(&i.low), bound(&i.high));
                    if !ordered(&low, &high) {
                        continue;
                    }
                    for (v, i) in self.order.range::<Version, _>((low, high)) {
                        // Intervals ignore `!=`; containment settles it where there is one.
                        if !exclusions || range.contains(v) {
                            visit(Some(*i));
                        }
                    }
                }
            }
        }
    }

    /// The slot of a version as written, parsing it the first time it is seen.
    fn slot(&mut self, text: &str) -> Result<usize, String> {
        if let Some(&i) = self.by_text.get(text) {
            return Ok(i);
        }
        let v = Version::parse(self.scheme, text)?;
        let i = match self.order.get(&v) {
            Some(&i) => i,
            None => {
                self.slots.push((v.clone(), Vec::new()));
                self.order.insert(v, self.slots.len() - 1);
                self.slots.len() - 1
            }
        };
        self.by_text.insert(text.into(), i);
        Ok(i)
    }
}

/// Components by identity and version; `K` is whatever the caller needs back (an organisation
/// and component id).
#[derive(Debug)]
pub struct ExposureIndex<K> {
    by_identity: HashMap<Identity, Versions<K>>,
    len: usize,
}

impl<K> Default for ExposureIndex<K> {
    fn default() -> Self {
        Self {
            by_identity: HashMap::default(),
            len: 0,
        }
    }
}

fn bound<'a>(b: &Bound<'a>) -> MapBound<&'a Version> {
    match b {
        Bound::Unbounded => MapBound::Unbounded,
        Bound::Included(v) => MapBound::Included(v),
        Bound::Excluded(v) => MapBound::Excluded(v),
    }
}

impl<K: Copy + PartialEq> ExposureIndex<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many components the index holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a component with its version as written (`None` when unknown). Fails, adding
    /// nothing, when the identity's ecosystem cannot order the version or has no order Palisade
    /// knows.
    pub fn insert(
        &mut self,
        identity: &Identity,
        version: Option<&str>,
        key: K,
    ) -> Result<(), String> {
        let slot = match self.by_identity.get_mut(identity) {
            Some(slot) => slot,
            None => self
                .by_identity
                .entry(identity.clone())
                .or_insert(Versions::new(identity.scheme()?)),
        };
        match version {
            Some(text) => {
                let i = slot.slot(text)?;
                slot.slots[i].1.push(key);
            }
            None => slot.unknown.push(key),
        }
        slot.len += 1;
        self.len += 1;
        Ok(())
    }

    /// Removes one component, as it was inserted; returns whether it was there.
    pub fn remove(&mut self, identity: &Identity, version: Option<&str>, key: K) -> bool {
        let Some(slot) = self.by_identity.get_mut(identity) else {
            return false;
        };
        let removed = match version {
            Some(text) => match slot.by_text.get(text) {
                Some(&i) => take(&mut slot.slots[i].1, key),
                None => false,
            },
            None => take(&mut slot.unknown, key),
        };
        if removed {
            slot.len -= 1;
            self.len -= 1;
            if slot.len == 0 {
                self.by_identity.remove(identity);
            }
        }
        removed
    }

    /// Calls `found` with the version (None when unknown) and key of every component the rule
    /// names. Components of unknown version match only a rule for every version.
    pub fn for_each_match(&self, rule: &Rule, mut found: impl FnMut(Option<&Version>, K)) {
        // One rule names each version once (its intervals are disjoint), so nothing needs
        // remembering here, unlike for several rules.
        let Some(slot) = self.by_identity.get(&rule.identity) else {
            return;
        };
        slot.matching_slots(&rule.affects, |i| match i {
            Some(i) => {
                let (v, keys) = &slot.slots[i];
                keys.iter().for_each(|k| found(Some(v), *k));
            }
            None => slot.unknown.iter().for_each(|k| found(None, *k)),
        });
    }

    /// Calls `found` once for every component any of the rules names, however many name it: the
    /// rules of several sources are a union, not a sum.
    pub fn for_each_match_of_any(
        &self,
        rules: &[Rule],
        mut found: impl FnMut(Option<&Version>, K),
    ) {
        if let [rule] = rules {
            return self.for_each_match(rule, found);
        }
        // Per identity: which version slots were visited, and whether the unknown ones were.
        let mut visited: HashMap<&Identity, (Vec<bool>, bool)> = HashMap::default();
        for rule in rules {
            let Some(slot) = self.by_identity.get(&rule.identity) else {
                continue;
            };
            let (seen, seen_unknown) = visited
                .entry(&rule.identity)
                .or_insert_with(|| (vec![false; slot.slots.len()], false));
            slot.matching_slots(&rule.affects, |i| match i {
                Some(i) if !seen[i] => {
                    seen[i] = true;
                    let (v, keys) = &slot.slots[i];
                    keys.iter().for_each(|k| found(Some(v), *k));
                }
                None if !*seen_unknown => {
                    *seen_unknown = true;
                    slot.unknown.iter().for_each(|k| found(None, *k));
                }
                _ => {}
            });
        }
    }

    /// Calls `f` with each identity, one text of each of its versions (the first in byte order
    /// where equal versions were written differently), and the keys of the components at that
    /// version. Components of unknown version are left out.
    pub fn for_each_version(&self, mut f: impl FnMut(&Identity, &str, &[K])) {
        for (identity, slot) in &self.by_identity {
            let mut texts: Vec<Option<&str>> = vec![None; slot.slots.len()];
            for (text, &i) in &slot.by_text {
                let held = &mut texts[i];
                if held.is_none_or(|h| text.as_ref() < h) {
                    *held = Some(text);
                }
            }
            for (i, (_, keys)) in slot.slots.iter().enumerate() {
                if let Some(text) = texts[i]
                    && !keys.is_empty()
                {
                    f(identity, text, keys);
                }
            }
        }
    }

    /// The keys of every component the rule names.
    /// Calls `found` for every component of `identity` whose version is not known: the product
    /// a rule names, in a version no range can place.
    pub fn for_each_unversioned(&self, identity: &Identity, found: impl FnMut(K))
    where
        K: Copy,
    {
        if let Some(slot) = self.by_identity.get(identity) {
            slot.unknown.iter().copied().for_each(found);
        }
    }

    pub fn matches(&self, rule: &Rule) -> Vec<K> {
        let mut out = Vec::new();
        self.for_each_match(rule, |_, k| out.push(k));
        out
    }
}

/// Whether a map range from `low` to `high` is well formed (a map panics on one that is not).
fn ordered(low: &MapBound<&Version>, high: &MapBound<&Version>) -> bool {
    match (low, high) {
        (MapBound::Included(l), MapBound::Included(h)) => l <= h,
        (MapBound::Included(l) | MapBound::Excluded(l), MapBound::Excluded(h))
        | (MapBound::Excluded(l), MapBound::Included(h)) => l < h,
        _ => true,
    }
}

fn take<K: PartialEq>(keys: &mut Vec<K>, key: K) -> bool {
    match keys.iter().position(|k| *k == key) {
        Some(i) => {
            keys.swap_remove(i);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(cpe: Option<&str>, purl: Option<&str>, vers: Option<&str>) -> AffectedProduct {
        AffectedProduct {
            name: "x".into(),
            cpe: cpe.map(|c| Cpe23::parse(c).unwrap()),
            purl: purl.map(|p| Purl::parse(p).unwrap()),
            vers: vers.map(|v| Vers::parse(v).unwrap()),
        }
    }

    /// An index of log4j-core versions (keys are version strings' positions) and Windows builds.
    fn index() -> (ExposureIndex<u32>, Vec<&'static str>) {
        let log4j = Identity::of_purl(
            &Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core").unwrap(),
        );
        let versions = vec![
            "1.2.17", "2.0.0", "2.14.1", "2.15.0", "2.16.0", "2.17.1", "2.3.1",
        ];
        let mut ix = ExposureIndex::new();
        for (i, v) in versions.iter().enumerate() {
            ix.insert(&log4j, Some(v), i as u32).unwrap();
        }
        ix.insert(&log4j, None, 99).unwrap();
        let windows = Identity::of_cpe(
            &Cpe23::parse("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*").unwrap(),
        );
        ix.insert(&windows, Some("6.1.7601"), 100).unwrap();
        ix.insert(&windows, None, 101).unwrap();
        (ix, versions)
    }

    fn matched(ix: &ExposureIndex<u32>, p: &AffectedProduct) -> Vec<u32> {
        let mut out: Vec<u32> = rules_for_product(p)
            .unwrap()
            .iter()
            .flat_map(|r| ix.matches(r))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_range_finds_exactly_the_versions_inside_it() {
        let (ix, versions) = index();
        let log4shell = product(
            None,
            Some("pkg:maven/org.apache.logging.log4j/log4j-core"),
            Some("vers:maven/>=2.0.0|<2.15.0|!=2.3.1"),
        );
        let got: Vec<&str> = matched(&ix, &log4shell)
            .iter()
            .map(|i| versions[*i as usize])
            .collect();
        assert_eq!(got, ["2.0.0", "2.14.1"]);
        assert_eq!(ix.len(), 10);
    }

    #[test]
    fn pinned_and_unversioned_rules() {
        let (ix, _) = index();
        let pinned = product(
            None,
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"),
            None,
        );
        assert_eq!(matched(&ix, &pinned), [5]);
        let every = product(
            None,
            Some("pkg:maven/org.apache.logging.log4j/log4j-core"),
            None,
        );
        assert_eq!(
            matched(&ix, &every),
            [0, 1, 2, 3, 4, 5, 6, 99],
            "unknown versions too"
        );
        let windows = product(
            Some("cpe:2.3:o:microsoft:windows_7:*:*:*:*:*:*:*:*"),
            None,
            None,
        );
        assert_eq!(matched(&ix, &windows), [100, 101]);
        let other = product(
            Some("cpe:2.3:o:microsoft:windows_10:*:*:*:*:*:*:*:*"),
            None,
            None,
        );
        assert!(matched(&ix, &other).is_empty());
    }

    #[test]
    fn a_cpe_with_a_package_range_reads_the_range_in_the_generic_order() {
        let mut ix = ExposureIndex::new();
        let cpe = Cpe23::parse("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*").unwrap();
        for (i, v) in ["2.14.1", "2.15.0", "2.9"].iter().enumerate() {
            ix.insert(&Identity::of_cpe(&cpe), Some(v), i).unwrap();
        }
        let p = product(
            Some("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*"),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core"),
            Some("vers:maven/>=2.0.0|<2.15.0"),
        );
        let rules = rules_for_product(&p).unwrap();
        assert_eq!(rules.len(), 2);
        let mut got: Vec<usize> = rules.iter().flat_map(|r| ix.matches(r)).collect();
        got.sort();
        assert_eq!(got, [0, 2]);
    }

    #[test]
    fn rules_that_overlap_name_each_component_once() {
        let (ix, versions) = index();
        let rules: Vec<Rule> = [
            "vers:maven/>=2.0.0|<2.15.0",
            "vers:maven/>=2.14.0|<2.17.0",
            "vers:maven/2.14.1",
        ]
        .into_iter()
        .flat_map(|v| {
            rules_for_product(&product(
                None,
                Some("pkg:maven/org.apache.logging.log4j/log4j-core"),
                Some(v),
            ))
            .unwrap()
        })
        .collect();
        let mut seen = Vec::new();
        ix.for_each_match_of_any(&rules, |_, k| seen.push(versions[k as usize]));
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(seen.len(), unique.len(), "{seen:?}");
        let separately: usize = rules.iter().map(|r| ix.matches(r).len()).sum();
        assert!(separately > seen.len(), "the rules overlap");
    }

    #[test]
    fn removal_is_exact_and_empties_the_identity() {
        let (mut ix, _) = index();
        let log4j = Identity::of_purl(
            &Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core").unwrap(),
        );
        let v = "2.14.1";
        assert!(!ix.remove(&log4j, Some(v), 0), "wrong key");
        assert!(ix.remove(&log4j, Some(v), 2));
        assert!(!ix.remove(&log4j, Some(v), 2), "already gone");
        assert!(ix.remove(&log4j, None, 99));
        assert_eq!(ix.len(), 8);
        let every = product(
            None,
            Some("pkg:maven/org.apache.logging.log4j/log4j-core"),
            None,
        );
        assert_eq!(matched(&ix, &every), [0, 1, 3, 4, 5, 6]);
    }

    #[test]
    fn a_version_is_parsed_once_and_equal_versions_share_a_place() {
        let mut ix = ExposureIndex::new();
        let pkg = Identity::of_purl(&Purl::parse("pkg:pypi/django").unwrap());
        ix.insert(&pkg, Some("4.2"), 1).unwrap();
        ix.insert(&pkg, Some("4.2.0"), 2).unwrap();
        ix.insert(&pkg, Some("4.2"), 3).unwrap();
        let e = ix.insert(&pkg, Some("four"), 4).unwrap_err();
        assert!(e.contains("is not a pypi version"), "{e}");
        assert_eq!(ix.len(), 3, "the refused one was not added");
        let exact = Rule {
            identity: pkg.clone(),
            affects: Affects::Exactly(Version::parse(Scheme::Pypi, "4.2.0").unwrap()),
        };
        assert_eq!(ix.matches(&exact), [1, 2, 3]);
        assert!(ix.remove(&pkg, Some("4.2.0"), 2));
        assert_eq!(ix.matches(&exact), [1, 3]);
        // Each distinct version is visited once, by its first text in byte order; unknown
        // versions are not visited.
        ix.insert(&pkg, Some("4.1"), 5).unwrap();
        ix.insert(&pkg, None, 6).unwrap();
        let mut seen = Vec::new();
        ix.for_each_version(|_, text, keys| seen.push((text.to_string(), keys.to_vec())));
        seen.sort();
        assert_eq!(
            seen,
            [
                ("4.1".to_string(), vec![5]),
                ("4.2".to_string(), vec![1, 3])
            ]
        );
        let alpm = Identity::of_purl(&Purl::parse("pkg:alpm/arch/pacman").unwrap());
        assert!(ix.insert(&alpm, Some("6.0"), 9).is_err());
        assert!(ix.insert(&alpm, None, 9).is_err(), "no order, no entry");
    }

    #[test]
    fn a_cpe_version_pattern_is_an_error_not_one_version() {
        let cpe = "cpe:2.3:a:apache:http_server:2.4.*:*:*:*:*:*:*:*";
        let e = rules_for_product(&product(Some(cpe), None, None)).unwrap_err();
        assert!(e.contains("is a pattern"), "{e}");
        let ranged = product(Some(cpe), None, Some("vers:generic/>=2.4.0|<2.5.0"));
        assert_eq!(rules_for_product(&ranged).unwrap().len(), 1);
    }

    #[test]
    fn an_unsupported_package_type_is_an_error_not_a_silent_miss() {
        let p = product(None, Some("pkg:alpm/arch/pacman"), Some("vers:alpm/<6"));
        let e = rules_for_product(&p).unwrap_err();
        assert!(e.contains("'alpm' is not supported"), "{e}");
    }
}
