//! Identifiers of vulnerabilities and products: CVE ids, CPE 2.3 names, package URLs and `vers`
//! version ranges. Each can only be built valid; the error says what is wrong with the value.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A CVE id (`CVE-2017-0144`), kept upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CveId(String);

impl CveId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let v = raw.trim().to_ascii_uppercase();
        let bad = || format!("'{}' is not a CVE id like CVE-2017-0144", raw.trim());
        let rest = v.strip_prefix("CVE-").ok_or_else(bad)?;
        let (year, number) = rest.split_once('-').ok_or_else(bad)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !digits(year) || number.len() < 4 || number.len() > 19 {
            return Err(bad());
        }
        if !digits(number) || year < "1999" {
            return Err(bad());
        }
        Ok(Self(v))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CveId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<CveId> for String {
    fn from(c: CveId) -> String {
        c.0
    }
}

impl fmt::Display for CveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CPE 2.3 formatted string binding (`cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*`): the
/// prefix and eleven attributes separated by unescaped colons.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpe23 {
    text: String,
}

/// The names of a CPE 2.3 name's attributes, in order.
const CPE_ATTRIBUTES: [&str; 11] = [
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
];

impl Cpe23 {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let v = raw.trim();
        let rest = v
            .strip_prefix("cpe:2.3:")
            .ok_or_else(|| format!("'{v}' must start with cpe:2.3:"))?;
        let parts = split_unescaped(rest, ':').map_err(|e| format!("'{v}': {e}"))?;
        if parts.len() != CPE_ATTRIBUTES.len() {
            return Err(format!(
                "'{v}' has {} attributes after cpe:2.3: where a CPE 2.3 name has 11",
                parts.len()
            ));
        }
        for (name, value) in CPE_ATTRIBUTES.iter().zip(&parts) {
            if value.is_empty() {
                return Err(format!("'{v}': {name} is empty (use * for any)"));
            }
            if value.chars().any(|c| c.is_whitespace() || !c.is_ascii()) {
                return Err(format!(
                    "'{v}': {name} may hold only printable ASCII without spaces"
                ));
            }
        }
        if !matches!(parts[0].as_str(), "a" | "o" | "h" | "*") {
            return Err(format!(
                "'{v}': part must be a (application), o (operating system) or h (hardware)"
            ));
        }
        if parts[1] == "*" || parts[2] == "*" {
            return Err(format!("'{v}': vendor and product must be named"));
        }
        Ok(Self {
            text: v.to_ascii_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A CPE 2.3 name from the older URI binding (`cpe:/a:redhat:openshift:4.6::el8`), as
    /// advisories still write it: empty components mean any value (`*`). Percent-encoded and
    /// packed (`~`) components are refused rather than guessed.
    pub fn from_uri(raw: &str) -> Result<Self, String> {
        let v = raw.trim();
        let rest = v
            .strip_prefix("cpe:/")
            .ok_or_else(|| format!("'{v}' is neither a CPE 2.3 name nor a CPE URI"))?;
        let parts: Vec<&str> = rest.split(':').collect();
        if parts.len() > 7 || parts.iter().any(|p| p.contains(['%', '~', '*', '?', '\\'])) {
            return Err(format!("'{v}' is not a CPE URI this reads"));
        }
        let mut attrs: Vec<String> = parts
            .iter()
            .map(|p| {
                if p.is_empty() {
                    "*".into()
                } else {
                    p.to_string()
                }
            })
            .collect();
        attrs.resize(CPE_ATTRIBUTES.len(), "*".into());
        Self::parse(&format!("cpe:2.3:{}", attrs.join(":")))
    }

    /// The attribute values after `cpe:2.3:` (part, vendor, product, version, ...), still escaped.
    pub fn attributes(&self) -> Vec<String> {
        split_unescaped(&self.text["cpe:2.3:".len()..], ':').unwrap_or_default()
    }

    /// The one version the name gives, unescaped: `None` for `*` (any), `-` (not applicable)
    /// or a pattern (see [`Cpe23::version_is_pattern`]).
    pub fn version(&self) -> Option<String> {
        let raw = self.version_attribute();
        if raw == "*" || raw == "-" || wildcards_in(raw) {
            return None;
        }
        Some(raw.replace('\\', ""))
    }

    /// Whether the version is a pattern such as `2.4.*`: CPE 2.3 reads an unescaped `*` or `?`
    /// inside a value as a wildcard, which no one version is.
    pub fn version_is_pattern(&self) -> bool {
        let raw = self.version_attribute();
        raw != "*" && wildcards_in(raw)
    }

    /// The version attribute as written (still escaped), found without splitting the others:
    /// an inventory row asks for it, and an upload has up to a million rows.
    fn version_attribute(&self) -> &str {
        let rest = &self.text["cpe:2.3:".len()..];
        let (mut separators, mut start, mut escaped) = (0, 0, false);
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                ':' => {
                    separators += 1;
                    match separators {
                        3 => start = i + 1,
                        4 => return &rest[start..i],
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        // A parsed name has eleven attributes, so the fourth always ends at a separator.
        &rest[start..]
    }
}

/// Whether an escaped CPE attribute value holds an unescaped `*` or `?`.
fn wildcards_in(value: &str) -> bool {
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// Splits on `sep` except where it is escaped with a backslash.
fn split_unescaped(s: &str, sep: char) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let next = chars
                .next()
                .ok_or_else(|| "ends with a lone backslash".to_string())?;
            let last = out.last_mut().expect("never empty");
            last.push(c);
            last.push(next);
        } else if c == sep {
            out.push(String::new());
        } else {
            out.last_mut().expect("never empty").push(c);
        }
    }
    Ok(out)
}

impl TryFrom<String> for Cpe23 {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Cpe23> for String {
    fn from(c: Cpe23) -> String {
        c.text
    }
}

impl fmt::Display for Cpe23 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A package URL (`pkg:npm/%40angular/core@17.0.1`), parsed by the `packageurl` crate and kept
/// in its canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Purl {
    canonical: String,
    purl_type: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
}

impl Purl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let v = raw.trim();
        let p = packageurl::PackageUrl::from_str(v)
            .map_err(|e| format!("'{v}' is not a package URL: {e}"))?;
        Ok(Self {
            purl_type: p.ty().to_string(),
            namespace: p.namespace().map(str::to_string),
            name: p.name().to_string(),
            version: p.version().map(str::to_string),
            canonical: p.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    pub fn has_version(&self) -> bool {
        self.version.is_some()
    }

    /// The version the URL pins (`1.2.3` in `pkg:npm/left-pad@1.2.3`), decoded.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The namespace (`org.apache.logging.log4j` for Maven, `@angular` for npm), decoded.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The package name, decoded and in the type's canonical case.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The package type (`npm`, `deb`, `maven`...).
    pub fn purl_type(&self) -> &str {
        &self.purl_type
    }
}

impl TryFrom<String> for Purl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Purl> for String {
    fn from(p: Purl) -> String {
        p.canonical
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

/// A comparator of a `vers` constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

/// One `vers` constraint: a comparator and a version (still percent-encoded as written).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Constraint {
    pub comparator: Comparator,
    pub version: String,
}

/// A version range in the `vers` notation (`vers:npm/>=1.0.0|<1.4.2`, `vers:deb/*`). This checks
/// the notation; ordering versions within each scheme is the estate matcher's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vers {
    pub scheme: String,
    /// Empty for `*` (every version).
    pub constraints: Vec<Constraint>,
}

impl Vers {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let v: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = v
            .strip_prefix("vers:")
            .ok_or_else(|| format!("'{v}' must start with vers:"))?;
        let (scheme, constraints) = rest
            .split_once('/')
            .ok_or_else(|| format!("'{v}' needs a scheme and constraints: vers:npm/<1.2.3"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        {
            return Err(format!(
                "'{v}': the scheme '{scheme}' is not a package type"
            ));
        }
        let constraints = constraints.trim_matches('|');
        if constraints.is_empty() {
            return Err(format!(
                "'{v}' has no constraints (use * for every version)"
            ));
        }
        if constraints == "*" {
            return Ok(Self {
                scheme,
                constraints: Vec::new(),
            });
        }
        let mut out: Vec<Constraint> = Vec::new();
        // Stray pipes (`>=1||<2`) separate nothing; the canonical form has none.
        for c in constraints.split('|').filter(|c| !c.is_empty()) {
            let (comparator, version) = [
                (">=", Comparator::Ge),
                ("<=", Comparator::Le),
                ("!=", Comparator::Ne),
                ("<", Comparator::Lt),
                (">", Comparator::Gt),
                ("=", Comparator::Eq),
            ]
            .iter()
            .find_map(|(p, cmp)| c.strip_prefix(p).map(|rest| (*cmp, rest)))
            .unwrap_or((Comparator::Eq, c));
            if c == "*" {
                return Err(format!("'{v}': * must be the only constraint"));
            }
            if version.is_empty() {
                return Err(format!("'{v}': the constraint '{c}' has no version"));
            }
            if version.starts_with(['<', '>', '=', '!']) {
                return Err(format!(
                    "'{v}': the constraint '{c}' has a malformed comparator"
                ));
            }
            if out.iter().any(|o| o.version == version) {
                return Err(format!("'{v}': the version {version} appears twice"));
            }
            out.push(Constraint {
                comparator,
                version: version.to_string(),
            });
        }
        Ok(Self {
            scheme,
            constraints: out,
        })
    }
}

impl fmt::Display for Vers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme)?;
        if self.constraints.is_empty() {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            let op = if c.comparator == Comparator::Eq {
                ""
            } else {
                c.comparator.as_str()
            };
            write!(f, "{op}{}", c.version)?;
        }
        Ok(())
    }
}

impl TryFrom<String> for Vers {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<Vers> for String {
    fn from(v: Vers) -> String {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids() {
        assert_eq!(
            CveId::parse(" cve-2017-0144 ").unwrap().as_str(),
            "CVE-2017-0144"
        );
        assert_eq!(
            CveId::parse("CVE-2021-44228").unwrap().as_str(),
            "CVE-2021-44228"
        );
        assert!(CveId::parse("CVE-2024-1234567").is_ok());
        for bad in [
            "",
            "CVE-17-0144",
            "CVE-2017-144",
            "CVE-2017-01a4",
            "2017-0144",
            "CVE-1980-1234",
        ] {
            assert!(CveId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cpe_uris_become_cpe23_names() {
        let c = Cpe23::from_uri("cpe:/a:redhat:openshift:4.6::el8").unwrap();
        assert_eq!(c.as_str(), "cpe:2.3:a:redhat:openshift:4.6:*:el8:*:*:*:*:*");
        let c = Cpe23::from_uri("cpe:/o:redhat:rhel_tus:7.6::server").unwrap();
        assert_eq!(
            c.as_str(),
            "cpe:2.3:o:redhat:rhel_tus:7.6:*:server:*:*:*:*:*"
        );
        assert!(Cpe23::from_uri("cpe:/a:x%20y:z").is_err());
        assert!(Cpe23::from_uri("cpe:2.3:a:x:y:*:*:*:*:*:*:*:*").is_err());
        assert!(Cpe23::from_uri("cpe:/a").is_err());
    }

    #[test]
    fn cpe_names() {
        let c = Cpe23::parse("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*").unwrap();
        assert_eq!(c.attributes()[2], "windows_7");
        assert!(Cpe23::parse(r"cpe:2.3:a:foo\:bar:baz:1.0:*:*:*:*:*:*:*").is_ok());
        let err = Cpe23::parse("cpe:2.3:o:microsoft:windows_7").unwrap_err();
        assert!(err.contains("has 3 attributes"), "{err}");
        assert!(Cpe23::parse("cpe:/o:microsoft:windows_7").is_err());
        assert!(Cpe23::parse("cpe:2.3:x:microsoft:windows:*:*:*:*:*:*:*:*").is_err());
        assert!(Cpe23::parse("cpe:2.3:a:*:*:*:*:*:*:*:*:*:*").is_err());
        assert!(Cpe23::parse("cpe:2.3:a:ms::1:*:*:*:*:*:*:*").is_err());
        assert!(Cpe23::parse("cpe:2.3:a:ms:w x:1:*:*:*:*:*:*:*").is_err());
        assert!(Cpe23::parse(r"cpe:2.3:a:ms:w:1:*:*:*:*:*:*:\").is_err());
    }

    #[test]
    fn a_cpe_version_is_one_version_or_none() {
        let version = |v: &str| {
            let c =
                Cpe23::parse(&format!("cpe:2.3:a:apache:http_server:{v}:*:*:*:*:*:*:*")).unwrap();
            (c.version(), c.version_is_pattern())
        };
        assert_eq!(version("2.4.49"), (Some("2.4.49".into()), false));
        assert_eq!(version(r"1.0\-beta"), (Some("1.0-beta".into()), false));
        assert_eq!(
            version(r"5\*"),
            (Some("5*".into()), false),
            "escaped: no wildcard"
        );
        assert_eq!(version("*"), (None, false));
        assert_eq!(version("-"), (None, false));
        assert_eq!(version("2.4.*"), (None, true));
        assert_eq!(version("2.?"), (None, true));
        // An escaped separator in the product does not move the version.
        let c = Cpe23::parse(r"cpe:2.3:a:foo\:bar:baz:1.0:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.version().as_deref(), Some("1.0"));
    }

    #[test]
    fn package_urls() {
        let p = Purl::parse("pkg:npm/%40angular/core@17.0.1").unwrap();
        assert!(p.has_version());
        assert_eq!(p.purl_type(), "npm");
        let p = Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core").unwrap();
        assert!(!p.has_version());
        assert!(Purl::parse("log4j-core@2.14.1").is_err());
        assert!(Purl::parse("pkg:/name").is_err());
    }

    #[test]
    fn vers_ranges() {
        let v = Vers::parse("vers:npm/>=1.0.0|<1.4.2").unwrap();
        assert_eq!(v.scheme, "npm");
        assert_eq!(v.constraints.len(), 2);
        assert_eq!(v.constraints[1].comparator, Comparator::Lt);
        assert_eq!(v.to_string(), "vers:npm/>=1.0.0|<1.4.2");
        assert_eq!(Vers::parse("vers:deb/*").unwrap().to_string(), "vers:deb/*");
        assert_eq!(
            Vers::parse("vers:pypi/1.2.3").unwrap().constraints[0].comparator,
            Comparator::Eq
        );
        assert_eq!(
            Vers::parse("vers:maven/ >= 2.0.0 | < 2.15.0")
                .unwrap()
                .to_string(),
            "vers:maven/>=2.0.0|<2.15.0"
        );
        for bad in [
            "npm/>=1.0",
            "vers:npm",
            "vers:/<1.0",
            "vers:npm/",
            "vers:npm/>=",
            "vers:npm/>>1.0",
            "vers:npm/1.0|1.0",
            "vers:npm/*|<1.0",
            "vers:n_pm/<1",
        ] {
            assert!(Vers::parse(bad).is_err(), "{bad}");
        }
    }
}
