//! The generic order, for versions with no package ecosystem (CPE versions, appliance firmware,
//! `vers:generic`): the version splits into runs of digits and runs of letters, separators
//! (anything else) only divide runs. Runs compare in turn: numbers by value, words
//! case-insensitively, and a number after a word (`1.0.1` after `1.0.rc1`). When one version runs
//! out, it is older if the other goes on with a number (`1.0` < `1.0.1`) and newer if the other
//! goes on with a word (`1.0rc1` < `1.0`), so pre-release words sort before the release.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Run {
    /// Digits without leading zeros (compared by length, then text: any length, no overflow).
    Number(String),
    Word(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericVersion(Vec<Run>);

impl GenericVersion {
    pub fn parse(raw: &str) -> Self {
        let mut runs = Vec::new();
        let mut chars = raw.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                let mut digits = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                let trimmed = digits.trim_start_matches('0');
                runs.push(Run::Number(
                    if trimmed.is_empty() { "0" } else { trimmed }.into(),
                ));
            } else if c.is_alphabetic() {
                let mut word = String::new();
                while let Some(&l) = chars.peek().filter(|l| l.is_alphabetic()) {
                    word.extend(l.to_lowercase());
                    chars.next();
                }
                runs.push(Run::Word(word));
            } else {
                chars.next();
            }
        }
        Self(runs)
    }
}

impl Ord for Run {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Run::Number(a), Run::Number(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Run::Word(a), Run::Word(b)) => a.cmp(b),
            (Run::Number(_), Run::Word(_)) => Ordering::Greater,
            (Run::Word(_), Run::Number(_)) => Ordering::Less,
        }
    }
}

impl PartialOrd for Run {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        for (x, y) in a.iter().zip(b) {
            let o = x.cmp(y);
            if o != Ordering::Equal {
                return o;
            }
        }
        // One ran out: a following number makes the longer newer, a word makes it older.
        let tail = |longer: &[Run]| match longer.first() {
            Some(Run::Number(_)) => Ordering::Greater,
            Some(Run::Word(_)) => Ordering::Less,
            None => Ordering::Equal,
        };
        match a.len().cmp(&b.len()) {
            Ordering::Equal => Ordering::Equal,
            Ordering::Greater => tail(&a[b.len()..]),
            Ordering::Less => tail(&b[a.len()..]).reverse(),
        }
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
