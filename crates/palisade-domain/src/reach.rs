//! Reach: how much of a fixed set of weighted targets (each a few exposure rules) names each
//! key's components, kept current as components come and go.
//!
//! Worked out once from an [`ExposureIndex`] and then moved with each component added or
//! removed, so a question about a few keys (the organisations one person acts for) never
//! matches every target against the national estate again. Known exploited vulnerabilities in
//! worklists are the use: a target is a catalogue product (weighted by its entries) or an
//! advisory naming an exploited CVE (weight one), and a key's weight is how many of them name
//! what it runs.

use std::hash::Hash;

use foldhash::HashMap;

use crate::exposure::{ExposureIndex, Identity, Rule};

/// A target: rules that name components, and how much it counts once any of them names one.
#[derive(Debug, Clone)]
pub struct Target {
    pub rules: Vec<Rule>,
    pub weight: u32,
}

/// Each key's weight: the sum of the weights of the targets naming any of its components.
#[derive(Debug)]
pub struct Reach<K> {
    targets: Vec<Target>,
    /// The targets with a rule for each identity.
    by_identity: HashMap<Identity, Vec<u32>>,
    /// Components of the key each target names (absent when none).
    named: HashMap<(K, u32), u32>,
    weights: HashMap<K, u32>,
}

impl<K: Copy + Eq + Hash> Reach<K> {
    /// The reach of `targets` over every component `index` holds.
    pub fn new(targets: Vec<Target>, index: &ExposureIndex<K>) -> Self {
        let mut by_identity: HashMap<Identity, Vec<u32>> = HashMap::default();
        let mut named: HashMap<(K, u32), u32> = HashMap::default();
        for (t, target) in targets.iter().enumerate() {
            let t = t as u32;
            for rule in &target.rules {
                let of = by_identity.entry(rule.identity.clone()).or_default();
                if of.last() != Some(&t) {
                    of.push(t);
                }
            }
            index.for_each_match_of_any(&target.rules, |_, key| {
                *named.entry((key, t)).or_default() += 1;
            });
        }
        let mut weights: HashMap<K, u32> = HashMap::default();
        for (key, t) in named.keys() {
            *weights.entry(*key).or_default() += targets[*t as usize].weight;
        }
        Self {
            targets,
            by_identity,
            named,
            weights,
        }
    }

    /// The targets naming a component of `identity` at `version`.
    fn naming<'a>(
        &'a self,
        identity: &'a Identity,
        version: Option<&'a str>,
    ) -> impl Iterator<Item = u32> + 'a {
        self.by_identity
            .get(identity)
            .into_iter()
            .flatten()
            .copied()
            .filter(move |t| {
                self.targets[*t as usize]
                    .rules
                    .iter()
                    .any(|r| r.names(identity, version))
            })
    }

    /// A component the index took in.
    pub fn add(&mut self, identity: &Identity, version: Option<&str>, key: K) {
        let naming: Vec<u32> = self.naming(identity, version).collect();
        for t in naming {
            let count = self.named.entry((key, t)).or_default();
            *count += 1;
            if *count == 1 {
                *self.weights.entry(key).or_default() += self.targets[t as usize].weight;
            }
        }
    }

    /// A component the index let go of (one it held).
    pub fn remove(&mut self, identity: &Identity, version: Option<&str>, key: K) {
        let naming: Vec<u32> = self.naming(identity, version).collect();
        for t in naming {
            let Some(count) = self.named.get_mut(&(key, t)) else {
                continue;
            };
            *count -= 1;
            if *count > 0 {
                continue;
            }
            self.named.remove(&(key, t));
            let weight = self.targets[t as usize].weight;
            if let Some(w) = self.weights.get_mut(&key) {
                *w -= weight;
                if *w == 0 {
                    self.weights.remove(&key);
                }
            }
        }
    }

    /// The key's weight: zero when no target names what it runs.
    pub fn weight(&self, key: K) -> u32 {
        self.weights.get(&key).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposure::Affects;
    use crate::version::{Scheme, Version};

    fn product(name: &str) -> Identity {
        Identity::Product {
            vendor: "microsoft".into(),
            product: name.into(),
        }
    }

    fn every_version(name: &str) -> Rule {
        Rule {
            identity: product(name),
            affects: Affects::All,
        }
    }

    fn exactly(name: &str, v: &str) -> Rule {
        Rule {
            identity: product(name),
            affects: Affects::Exactly(Version::parse(Scheme::Generic, v).unwrap()),
        }
    }

    /// Each change applied to the index and the reach together, as the estate applies uploads.
    fn apply(
        index: &mut ExposureIndex<u32>,
        reach: &mut Reach<u32>,
        added: bool,
        name: &str,
        version: Option<&str>,
        key: u32,
    ) {
        if added {
            index.insert(&product(name), version, key).unwrap();
            reach.add(&product(name), version, key);
        } else {
            assert!(index.remove(&product(name), version, key));
            reach.remove(&product(name), version, key);
        }
    }

    fn targets() -> Vec<Target> {
        vec![
            // Three catalogue entries for Windows, every version.
            Target {
                rules: vec![every_version("windows")],
                weight: 3,
            },
            // An advisory naming one Exchange version, or any SharePoint.
            Target {
                rules: vec![exactly("exchange", "15.2"), every_version("sharepoint")],
                weight: 1,
            },
        ]
    }

    #[test]
    fn weights_count_each_target_once_however_many_components_it_names() {
        let mut index = ExposureIndex::new();
        for key in [1, 1, 2] {
            index.insert(&product("windows"), Some("10"), key).unwrap();
        }
        index.insert(&product("exchange"), Some("15.2"), 1).unwrap();
        index.insert(&product("sharepoint"), None, 1).unwrap();
        index.insert(&product("exchange"), Some("15.1"), 3).unwrap();
        let reach = Reach::new(targets(), &index);
        assert_eq!(reach.weight(1), 4);
        assert_eq!(reach.weight(2), 3);
        assert_eq!(reach.weight(3), 0, "another version of Exchange");
        assert_eq!(reach.weight(4), 0);
    }

    #[test]
    fn changes_move_the_weights_as_a_fresh_reach_would_find_them() {
        let mut index = ExposureIndex::new();
        let mut reach = Reach::new(targets(), &index);
        let steps: [(bool, &str, Option<&str>, u32); 9] = [
            (true, "windows", Some("10"), 1),
            (true, "windows", Some("11"), 1),
            (true, "exchange", Some("15.1"), 2),
            (true, "exchange", Some("15.2"), 2),
            (true, "sharepoint", None, 2),
            (false, "windows", Some("10"), 1),
            (false, "exchange", Some("15.2"), 2),
            (false, "windows", Some("11"), 1),
            (false, "sharepoint", None, 2),
        ];
        let expected = [
            (3, 0),
            (3, 0),
            (3, 0),
            (3, 1),
            (3, 1),
            (3, 1),
            (3, 1),
            (0, 1),
            (0, 0),
        ];
        for ((added, name, version, key), want) in steps.into_iter().zip(expected) {
            apply(&mut index, &mut reach, added, name, version, key);
            assert_eq!(
                (reach.weight(1), reach.weight(2)),
                want,
                "after {name} {version:?}"
            );
            let fresh = Reach::new(targets(), &index);
            assert_eq!((fresh.weight(1), fresh.weight(2)), want);
        }
        assert!(reach.named.is_empty() && reach.weights.is_empty());
    }
}
