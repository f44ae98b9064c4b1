//! A `vers` range compiled in its scheme's order: constraints parsed and sorted, so that
//! containment follows the specification's algorithm and the index can turn a range into
//! version intervals to search.

use std::fmt;

use super::{Scheme, Version};
use crate::ident::{Comparator, Vers};

/// One end of an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound<'a> {
    Unbounded,
    Included(&'a Version),
    Excluded(&'a Version),
}

/// A stretch of versions from `low` to `high`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval<'a> {
    pub low: Bound<'a>,
    pub high: Bound<'a>,
}

impl Interval<'_> {
    pub fn contains(&self, v: &Version) -> bool {
        let above = match self.low {
            Bound::Unbounded => true,
            Bound::Included(l) => v >= l,
            Bound::Excluded(l) => v > l,
        };
        let below = match self.high {
            Bound::Unbounded => true,
            Bound::Included(h) => v <= h,
            Bound::Excluded(h) => v < h,
        };
        above && below
    }
}

#[derive(Debug, Clone)]
struct Compiled {
    comparator: Comparator,
    version: Version,
    /// As written (percent-encoded), for display.
    text: String,
}

/// A `vers` range whose versions are parsed in its scheme, with constraints in version order.
#[derive(Debug, Clone)]
pub struct VersionRange {
    vers_scheme: String,
    scheme: Scheme,
    /// Empty for `*`.
    constraints: Vec<Compiled>,
}

impl VersionRange {
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::from_vers(&Vers::parse(raw)?)
    }

    /// Compiles a checked `vers`: every version must be valid in the scheme, and two constraints
    /// may not name the same version (`1.0` and `1.0.0` are one PyPI version).
    pub fn from_vers(v: &Vers) -> Result<Self, String> {
        Self::from_vers_as(v, Scheme::from_type(&v.scheme)?)
    }

    /// Compiles a `vers` in another order than its own: an advisory's Maven range read in the
    /// generic order, to match products known only by CPE.
    pub fn from_vers_as(v: &Vers, scheme: Scheme) -> Result<Self, String> {
        let mut constraints = v
            .constraints
            .iter()
            .map(|c| {
                let decoded = percent_decode(&c.version)?;
                Ok(Compiled {
                    comparator: c.comparator,
                    version: Version::parse(scheme, &decoded)?,
                    text: c.version.clone(),
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| format!("'{v}': {e}"))?;
        constraints.sort_by(|a, b| a.version.cmp(&b.version));
        if let Some(w) = constraints
            .windows(2)
            .find(|w| w[0].version == w[1].version)
        {
            return Err(format!(
                "'{v}': {} and {} are the same version",
                w[0].text, w[1].text
            ));
        }
        Ok(Self {
            vers_scheme: v.scheme.clone(),
            scheme,
            constraints,
        })
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether a `!=` constraint takes versions out of the range's intervals.
    pub fn has_exclusions(&self) -> bool {
        self.constraints
            .iter()
            .any(|c| c.comparator == Comparator::Ne)
    }

    /// The constraints in version order: comparator, parsed version and the version as written.
    pub fn constraints(&self) -> impl Iterator<Item = (Comparator, &Version, &str)> {
        self.constraints
            .iter()
            .map(|c| (c.comparator, &c.version, c.text.as_str()))
    }

    /// Whether `v` is in the range, by the `vers` specification's algorithm. A range made only of
    /// `!=` constraints holds every other version.
    pub fn contains(&self, v: &Version) -> bool {
        if self.constraints.is_empty() {
            return true;
        }
        for c in &self.constraints {
            if c.version == *v {
                match c.comparator {
                    Comparator::Eq | Comparator::Le | Comparator::Ge => return true,
                    Comparator::Ne => return false,
                    Comparator::Lt | Comparator::Gt => {}
                }
            }
        }
        use Comparator::*;
        if self.constraints.iter().all(|c| c.comparator == Ne) {
            return true;
        }
        // Pairs of consecutive range constraints: below the first `<`, between a `>` and the
        // next `<`, above the last `>` (equal versions were settled above).
        let mut previous: Option<&Compiled> = None;
        for c in self
            .constraints
            .iter()
            .filter(|c| matches!(c.comparator, Lt | Le | Gt | Ge))
        {
            let inside = match previous {
                None => matches!(c.comparator, Lt | Le) && *v < c.version,
                Some(p) => {
                    matches!(p.comparator, Gt | Ge)
                        && matches!(c.comparator, Lt | Le)
                        && p.version < *v
                        && *v < c.version
                }
            };
            if inside {
                return true;
            }
            previous = Some(c);
        }
        previous.is_some_and(|last| matches!(last.comparator, Gt | Ge) && *v > last.version)
    }

    /// The disjoint version intervals the range's `<`, `<=`, `>`, `>=` constraints make, then one
    /// interval per version named by `=`, `<=` or `>=` outside them. Versions named by `!=` are not removed: check candidates with
    /// [`VersionRange::contains`].
    pub fn intervals(&self) -> Vec<Interval<'_>> {
        use Comparator::*;
        if self.constraints.is_empty() || self.constraints.iter().all(|c| c.comparator == Ne) {
            return vec![Interval {
                low: Bound::Unbounded,
                high: Bound::Unbounded,
            }];
        }
        fn bound(c: &Compiled) -> Bound<'_> {
            match c.comparator {
                Comparator::Le | Comparator::Ge => Bound::Included(&c.version),
                _ => Bound::Excluded(&c.version),
            }
        }
        let mut out = Vec::new();
        let ranged: Vec<&Compiled> = self
            .constraints
            .iter()
            .filter(|c| matches!(c.comparator, Lt | Le | Gt | Ge))
            .collect();
        if let Some(first) = ranged.first()
            && matches!(first.comparator, Lt | Le)
        {
            out.push(Interval {
                low: Bound::Unbounded,
                high: bound(first),
            });
        }
        for pair in ranged.windows(2) {
            if matches!(pair[0].comparator, Gt | Ge) && matches!(pair[1].comparator, Lt | Le) {
                out.push(Interval {
                    low: bound(pair[0]),
                    high: bound(pair[1]),
                });
            }
        }
        if let Some(last) = ranged.last()
            && matches!(last.comparator, Gt | Ge)
        {
            out.push(Interval {
                low: bound(last),
                high: Bound::Unbounded,
            });
        }
        // The versions `=`, `<=` and `>=` name are in the range even where no interval holds them
        // (`>=1.7|>1.8` holds 1.7 and what is above 1.8). One already inside an interval is
        // covered: intervals stay disjoint, so no version is found twice.
        let ranges = out.len();
        for c in self
            .constraints
            .iter()
            .filter(|c| matches!(c.comparator, Eq | Le | Ge))
        {
            if !out[..ranges].iter().any(|i| i.contains(&c.version)) {
                out.push(Interval {
                    low: Bound::Included(&c.version),
                    high: Bound::Included(&c.version),
                });
            }
        }
        out
    }
}

/// The canonical form: constraints in version order (`vers:pypi/>=0.0.0|0.0.1|0.0.2`).
impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.vers_scheme)?;
        if self.constraints.is_empty() {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            let sep = if i > 0 { "|" } else { "" };
            let op = if c.comparator == Comparator::Eq {
                ""
            } else {
                c.comparator.as_str()
            };
            write!(f, "{sep}{op}{}", c.text)?;
        }
        Ok(())
    }
}

/// Decodes `%XX` triplets; a `%` not followed by two hex digits is an error, not kept as text.
pub(super) fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .ok_or_else(|| format!("'{s}' has an invalid percent-encoding"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("'{s}' does not decode to UTF-8"))
}
