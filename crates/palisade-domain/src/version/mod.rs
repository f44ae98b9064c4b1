//! Versions in each package ecosystem's own order, and `vers` ranges evaluated in that order.
//!
//! A [`Version`] is parsed once under a [`Scheme`] and then compares by value (`Ord`), so the
//! estate index can sort components by version and find a range's members by binary search. Where
//! a well-kept crate implements an ecosystem's order it is used (SemVer: `semver`; PyPI: `pep440_rs`;
//! Debian: `debversion`); Maven, NuGet, RPM and the generic order are implemented here, each
//! proven against the `vers` specification's test files or a real implementation (see the tests).

mod generic;
mod maven;
mod nuget;
mod range;
mod rpm;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

pub use range::{Bound, Interval, VersionRange};

/// The version orders Palisade can compare. Named by package type (`purl` type, `vers` scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// SemVer 2.0 (`semver`), also used by npm, Cargo, Go modules and Composer.
    Semver,
    /// PEP 440 (`pypi`).
    Pypi,
    /// Debian policy order (`deb`), epochs and tildes included.
    Deb,
    /// `rpmvercmp` order (`rpm`), `epoch:version-release`.
    Rpm,
    /// Maven's `ComparableVersion` order (`maven`).
    Maven,
    /// NuGet's order (`nuget`): up to four numbers, case-insensitive pre-release labels.
    Nuget,
    /// Numbers and words split at separators, for products without a package ecosystem (`generic`,
    /// and CPE versions).
    Generic,
}

impl Scheme {
    /// The scheme for a `vers` scheme or package URL type, or a message naming the unsupported one.
    pub fn from_type(t: &str) -> Result<Self, String> {
        Ok(match t.to_ascii_lowercase().as_str() {
            "semver" | "npm" | "cargo" | "golang" | "composer" | "hex" | "pub" | "swift" => {
                Scheme::Semver
            }
            "pypi" => Scheme::Pypi,
            "deb" => Scheme::Deb,
            "rpm" => Scheme::Rpm,
            "maven" => Scheme::Maven,
            "nuget" => Scheme::Nuget,
            "generic" | "cpe" => Scheme::Generic,
            other => {
                return Err(format!(
                    "the version scheme '{other}' is not supported (supported: semver, npm, cargo, \
                     golang, composer, pypi, deb, rpm, maven, nuget, generic)"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Semver => "semver",
            Scheme::Pypi => "pypi",
            Scheme::Deb => "deb",
            Scheme::Rpm => "rpm",
            Scheme::Maven => "maven",
            Scheme::Nuget => "nuget",
            Scheme::Generic => "generic",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version parsed in its scheme. Versions of one scheme compare in that ecosystem's order;
/// versions of different schemes never meet in practice (the index keys ranges by package
/// identity) and order by scheme, so that `Ord` stays total.
#[derive(Debug, Clone)]
pub enum Version {
    Semver(semver::Version),
    Pypi(pep440_rs::Version),
    Deb(debversion::Version),
    Rpm(rpm::RpmVersion),
    Maven(maven::MavenVersion),
    Nuget(nuget::NugetVersion),
    Generic(generic::GenericVersion),
}

/// The longest version string accepted: no ecosystem needs more, and it bounds the work of parsing.
pub const MAX_VERSION_LEN: usize = 128;

impl Version {
    /// Parses `raw` in `scheme`'s order; the message says why the ecosystem cannot order it.
    pub fn parse(scheme: Scheme, raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the version is empty".into());
        }
        if raw.len() > MAX_VERSION_LEN {
            return Err(format!(
                "the version is longer than {MAX_VERSION_LEN} characters"
            ));
        }
        let refused = |e: &dyn fmt::Display| format!("'{raw}' is not a {scheme} version: {e}");
        Ok(match scheme {
            Scheme::Semver => {
                // npm and Go write a leading v (v1.2.3) or = (=1.2.3); neither is part of the version.
                let bare = raw.strip_prefix(['v', 'V', '=']).unwrap_or(raw);
                Version::Semver(semver::Version::parse(bare).map_err(|e| refused(&e))?)
            }
            Scheme::Pypi => {
                Version::Pypi(pep440_rs::Version::from_str(raw).map_err(|e| refused(&e))?)
            }
            Scheme::Deb => {
                Version::Deb(debversion::Version::from_str(raw).map_err(|e| refused(&e))?)
            }
            Scheme::Rpm => Version::Rpm(rpm::RpmVersion::parse(raw).map_err(|e| refused(&e))?),
            Scheme::Maven => Version::Maven(maven::MavenVersion::parse(raw)),
            Scheme::Nuget => {
                Version::Nuget(nuget::NugetVersion::parse(raw).map_err(|e| refused(&e))?)
            }
            Scheme::Generic => Version::Generic(generic::GenericVersion::parse(raw)),
        })
    }

    pub fn scheme(&self) -> Scheme {
        match self {
            Version::Semver(_) => Scheme::Semver,
            Version::Pypi(_) => Scheme::Pypi,
            Version::Deb(_) => Scheme::Deb,
            Version::Rpm(_) => Scheme::Rpm,
            Version::Maven(_) => Scheme::Maven,
            Version::Nuget(_) => Scheme::Nuget,
            Version::Generic(_) => Scheme::Generic,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // Build metadata has no precedence in SemVer (1.0.0+a equals 1.0.0+b).
            (Version::Semver(a), Version::Semver(b)) => a.cmp_precedence(b),
            (Version::Pypi(a), Version::Pypi(b)) => a.cmp(b),
            (Version::Deb(a), Version::Deb(b)) => a.cmp(b),
            (Version::Rpm(a), Version::Rpm(b)) => a.cmp(b),
            (Version::Maven(a), Version::Maven(b)) => a.cmp(b),
            (Version::Nuget(a), Version::Nuget(b)) => a.cmp(b),
            (Version::Generic(a), Version::Generic(b)) => a.cmp(b),
            (a, b) => a.scheme().cmp(&b.scheme()),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal in the ecosystem's order (`1.0` and `1.0.0` are the same PyPI version).
impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests;
