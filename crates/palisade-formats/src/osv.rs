//! OSV records (osv.dev): a package per ecosystem with version ranges, read as an advisory whose
//! products are package URLs with `vers` ranges.

use palisade_domain::advisory::Advisory;
use palisade_domain::alert::AffectedProduct;
use palisade_domain::exposure::rules_for_product;
use palisade_domain::ident::{CveId, Purl, Vers};
use palisade_domain::version::{Scheme, Version};
use serde::Deserialize;

/// The package URL type of an OSV ecosystem, and how its names split into namespace and name.
fn purl_of(ecosystem: &str, name: &str) -> Option<String> {
    // Debian and Ubuntu ecosystems carry a release after a colon ("Debian:12").
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    let enc = |s: &str| s.replace('@', "%40");
    Some(match base {
        "npm" => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => format!("pkg:npm/%40{scope}/{n}"),
            None => format!("pkg:npm/{name}"),
        },
        "PyPI" => format!("pkg:pypi/{}", name.to_lowercase().replace('_', "-")),
        "Maven" => {
            let (group, artifact) = name.split_once(':')?;
            format!("pkg:maven/{group}/{artifact}")
        }
        "Go" => format!("pkg:golang/{}", enc(name)),
        "crates.io" => format!("pkg:cargo/{name}"),
        "NuGet" => format!("pkg:nuget/{name}"),
        "Packagist" => format!("pkg:composer/{name}"),
        "Debian" => format!("pkg:deb/debian/{name}"),
        "Ubuntu" => format!("pkg:deb/ubuntu/{name}"),
        "Red Hat" | "AlmaLinux" | "Rocky Linux" => format!("pkg:rpm/redhat/{name}"),
        _ => return None,
    })
}

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    summary: String,
    modified: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    affected: Vec<OsvAffected>,
}

#[derive(Deserialize)]
struct OsvAffected {
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Vec<OsvRange>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<std::collections::BTreeMap<String, String>>,
}

/// The `vers` constraints of one OSV range, or `None` when it holds every version. Events are
/// read in version order (the OSV schema's evaluation sorts them; `introduced: 0` comes first),
/// in the package's order when Palisade has it: each `introduced` opens an interval, each `fixed`
/// closes it before that version and each `last_affected` at it; an interval still open at the
/// end runs on without limit. A range of only `introduced: 0` (as malicious-package records are
/// written) is every version.
fn range_constraints(
    events: &[std::collections::BTreeMap<String, String>],
    scheme: Option<Scheme>,
) -> Option<Vec<String>> {
    let mut flat: Vec<(&str, &str)> = events
        .iter()
        .flat_map(|e| e.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .filter(|(k, _)| matches!(*k, "introduced" | "fixed" | "last_affected"))
        .collect();
    if let Some(scheme) = scheme {
        let parsed: Option<Vec<Option<Version>>> = flat
            .iter()
            .map(|(k, v)| match (*k, *v) {
                ("introduced", "0") => Some(None),
                (_, v) => Version::parse(scheme, v).ok().map(Some),
            })
            .collect();
        // Sorted only when every version reads; otherwise as written.
        if let Some(parsed) = parsed {
            let mut keyed: Vec<_> = parsed.into_iter().zip(flat).collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            flat = keyed.into_iter().map(|(_, e)| e).collect();
        }
    }
    let mut out = Vec::new();
    // Whether an interval is open, and whether it was opened from the very start.
    let mut open: Option<bool> = None;
    for (k, v) in flat {
        match (k, open) {
            ("introduced", None) if v == "0" => open = Some(true),
            ("introduced", None) => {
                out.push(format!(">={v}"));
                open = Some(false);
            }
            ("fixed", Some(_)) => {
                out.push(format!("<{v}"));
                open = None;
            }
            ("last_affected", Some(_)) => {
                out.push(format!("<={v}"));
                open = None;
            }
            // A repeated `introduced` inside an open interval, or a close with none open,
            // changes nothing.
            _ => {}
        }
    }
    match open {
        Some(true) => None,
        _ => Some(out),
    }
}

/// The version ranges of one OSV `affected` entry as `vers` texts of the package's type: one per
/// `SEMVER` or `ECOSYSTEM` range and one for the explicit `versions` list. They are a union (a
/// version in any of them is affected), so they stay separate ranges: osv.dev lists a range's
/// boundary versions in `versions` as well, and one `vers` may not name a version twice. `None`
/// when some range holds every version.
fn affected_ranges(kind: &str, a: &OsvAffected) -> Option<Vec<String>> {
    let scheme = Scheme::from_type(kind).ok();
    let mut out = Vec::new();
    for r in a
        .ranges
        .iter()
        .filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM")
    {
        let constraints = range_constraints(&r.events, scheme)?;
        if !constraints.is_empty() {
            out.push(format!("vers:{kind}/{}", constraints.join("|")));
        }
    }
    // Listed once each, by the package's own order where Palisade has it (`1.0` and `1.0.0` are
    // one PyPI version); a version that order cannot read is kept for the matcher to refuse.
    let mut versions: Vec<&str> = Vec::new();
    let mut seen: Vec<Version> = Vec::new();
    for v in a
        .versions
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        match scheme.and_then(|s| Version::parse(s, v).ok()) {
            Some(parsed) if seen.contains(&parsed) => {}
            Some(parsed) => {
                seen.push(parsed);
                versions.push(v);
            }
            None if versions.contains(&v) => {}
            None => versions.push(v),
        }
    }
    if !versions.is_empty() {
        out.push(format!("vers:{kind}/{}", versions.join("|")));
    }
    Some(out)
}

/// Reads one OSV record (JSON). Affected packages of an ecosystem Palisade does not order, or
/// with only `GIT` ranges, are left out and said in the notes; a record that keeps none is still
/// an advisory (it names its CVEs). Errors name the JSON path.
pub fn parse_osv(data: &[u8]) -> Result<(Advisory, Vec<String>), String> {
    let r: OsvRecord = serde_json::from_slice(data).map_err(|e| e.to_string())?;
    if r.id.trim().is_empty() {
        return Err("id: is required".into());
    }
    let mut notes = Vec::new();
    let mut products = Vec::new();
    for (i, a) in r.affected.iter().enumerate() {
        let Some(p) = &a.package else { continue };
        let base = match p.purl.as_deref() {
            Some(purl) => Some(purl.split('@').next().unwrap_or(purl).to_string()),
            None => purl_of(&p.ecosystem, &p.name),
        };
        let Some(base) = base else {
            notes.push(format!(
                "affected[{i}]: ecosystem '{}' is not matched",
                p.ecosystem
            ));
            continue;
        };
        // One odd package name must not block a whole dump: it is noted and left out.
        let purl = match Purl::parse(&base) {
            Ok(p) => p,
            Err(e) => {
                notes.push(format!("affected[{i}].package: {e}"));
                continue;
            }
        };
        let ranges: Vec<Option<Vers>> = match affected_ranges(purl.purl_type(), a) {
            None => vec![None],
            Some(texts) if texts.is_empty() => {
                notes.push(format!("affected[{i}]: no version range Palisade reads"));
                continue;
            }
            Some(texts) => texts
                .iter()
                .filter_map(|t| match Vers::parse(t) {
                    Ok(v) => Some(Some(v)),
                    Err(e) => {
                        notes.push(format!("affected[{i}]: {e}"));
                        None
                    }
                })
                .collect(),
        };
        for vers in ranges {
            // Every version is a range of `*`, not a package URL without one (which the
            // matcher would read the same way, but says less to a reader of the advisory).
            let vers = vers.or_else(|| Vers::parse(&format!("vers:{}/*", purl.purl_type())).ok());
            let product = AffectedProduct {
                name: p.name.clone(),
                cpe: None,
                purl: Some(purl.clone()),
                vers,
            };
            // A range the package's order cannot read would match nothing: say so here.
            match rules_for_product(&product) {
                Ok(_) => products.push(product),
                Err(e) => notes.push(format!("affected[{i}]: {e}")),
            }
        }
    }
    let mut cves: Vec<CveId> = std::iter::once(&r.id)
        .chain(r.aliases.iter())
        .filter_map(|a| CveId::parse(a).ok())
        .collect();
    cves.sort();
    cves.dedup();
    let modified = r.modified.as_deref().and_then(|m| {
        time::OffsetDateTime::parse(m, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|t| t.unix_timestamp())
    });
    Ok((
        Advisory {
            id: r.id,
            title: r.summary,
            cves,
            products,
            modified,
        },
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"schema_version": "1.6.0", "id": "GHSA-jfh8-c2jp-5v3q", "modified": "2025-01-10T12:00:00Z",
      "summary": "Remote code injection in Log4j", "aliases": ["CVE-2021-44228"],
      "affected": [
        {"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.3.1"}, {"introduced": "2.4"}, {"fixed": "2.12.2"}, {"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]},
        {"package": {"ecosystem": "npm", "name": "@scope/pkg"}, "versions": ["1.0.0", "1.0.1"]},
        {"package": {"ecosystem": "Hackage", "name": "aeson"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]},
        {"package": {"ecosystem": "Go", "name": "github.com/x/y"}, "ranges": [{"type": "GIT", "events": [{"introduced": "abc"}]}]},
        {"package": {"ecosystem": "npm", "name": ""}, "versions": ["1.0.0"]}
      ]}"#;

    #[test]
    fn an_osv_record_becomes_package_ranges() {
        let (a, notes) = parse_osv(RECORD.as_bytes()).unwrap();
        assert_eq!(a.id, "GHSA-jfh8-c2jp-5v3q");
        assert_eq!(a.cves[0].as_str(), "CVE-2021-44228");
        assert_eq!(a.products.len(), 2);
        assert_eq!(
            a.products[0].purl.as_ref().unwrap().as_str(),
            "pkg:maven/org.apache.logging.log4j/log4j-core"
        );
        let rules = palisade_domain::exposure::rules_for_product(&a.products[0]).unwrap();
        let affects = |v: &str| rules[0].names(&rules[0].identity, Some(v));
        assert!(affects("2.14.1") && affects("2.0-beta9") && affects("2.12.1"));
        assert!(
            !affects("2.15.0") && !affects("2.3.1") && !affects("2.12.2") && !affects("1.2.17")
        );
        assert_eq!(
            a.products[1].purl.as_ref().unwrap().as_str(),
            "pkg:npm/%40scope/pkg"
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[2].starts_with("affected[4].package"), "{notes:?}");
        assert!(a.modified.is_some());
    }

    /// Whether the record's products name `purl` at `version`.
    fn affects(a: &Advisory, purl: &str, version: &str) -> bool {
        let identity = palisade_domain::exposure::Identity::of_purl(&Purl::parse(purl).unwrap());
        a.products.iter().any(|p| {
            rules_for_product(p)
                .unwrap()
                .iter()
                .any(|r| r.names(&identity, Some(version)))
        })
    }

    #[test]
    fn a_range_and_a_version_list_naming_its_boundary_are_a_union() {
        // As osv.dev writes records: the range's boundary versions are listed again.
        for (ecosystem, name, purl, inside, fixed) in [
            ("npm", "left-pad", "pkg:npm/left-pad", "1.5.0", "2.0.0"),
            ("PyPI", "Django", "pkg:pypi/django", "1.5.0", "2.0.0"),
            (
                "Maven",
                "org.x:core",
                "pkg:maven/org.x/core",
                "1.5.0",
                "2.0.0",
            ),
            (
                "Debian:12",
                "openssl",
                "pkg:deb/debian/openssl",
                "1.5.0-1",
                "2.0.0-1",
            ),
        ] {
            let record = format!(
                r#"{{"id": "OSV-1", "aliases": ["CVE-2024-0001"], "affected": [{{
                  "package": {{"ecosystem": "{ecosystem}", "name": "{name}"}},
                  "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "1.0.0"}}, {{"fixed": "{fixed}"}}]}}],
                  "versions": ["1.0.0", "{inside}", "1.0.0", "3.0.0"]}}]}}"#
            );
            let (a, notes) = parse_osv(record.as_bytes()).unwrap();
            assert!(notes.is_empty(), "{ecosystem}: {notes:?}");
            assert!(affects(&a, purl, "1.0.0"), "{ecosystem}");
            assert!(affects(&a, purl, inside), "{ecosystem}");
            assert!(
                affects(&a, purl, "3.0.0"),
                "{ecosystem}: listed outside the range"
            );
            assert!(!affects(&a, purl, fixed), "{ecosystem}");
            assert!(!affects(&a, purl, "0.9.0"), "{ecosystem}");
        }
    }

    #[test]
    fn introduced_zero_alone_is_every_version() {
        let record = br#"{"id": "MAL-2024-1", "affected": [{
            "package": {"ecosystem": "npm", "name": "evil-pkg"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#;
        let (a, notes) = parse_osv(record).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(a.products.len(), 1);
        assert_eq!(
            a.products[0].vers.as_ref().unwrap().to_string(),
            "vers:npm/*"
        );
        for v in ["0.0.1", "1.0.0", "99.1.0"] {
            assert!(affects(&a, "pkg:npm/evil-pkg", v), "{v}");
        }
    }

    #[test]
    fn overlapping_ranges_each_keep_their_versions() {
        // Two ranges of one package that overlap (a SEMVER and an ECOSYSTEM reading, or two
        // branches) are not one `vers`: their sorted constraints would lose the overlap.
        let record = br#"{"id": "OSV-2", "affected": [{
            "package": {"ecosystem": "npm", "name": "x"},
            "ranges": [
              {"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "2.0.0"}]},
              {"type": "ECOSYSTEM", "events": [{"introduced": "1.5.0"}, {"last_affected": "3.0.0"}]},
              {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.5.0"}]}]}]}"#;
        let (a, notes) = parse_osv(record).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        for (v, hit) in [
            ("0.1.0", true),
            ("0.5.0", false),
            ("1.2.0", true),
            ("1.7.0", true),
            ("2.5.0", true),
            ("3.0.0", true),
            ("3.0.1", false),
        ] {
            assert_eq!(affects(&a, "pkg:npm/x", v), hit, "{v}");
        }
    }

    #[test]
    fn equal_versions_written_differently_are_listed_once() {
        let record = br#"{"id": "PYSEC-1", "affected": [{
            "package": {"ecosystem": "PyPI", "name": "pkg"}, "versions": ["1.0", "1.0.0", "1.1"]}]}"#;
        let (a, notes) = parse_osv(record).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert!(affects(&a, "pkg:pypi/pkg", "1.0") && affects(&a, "pkg:pypi/pkg", "1.1"));
    }

    #[test]
    fn a_broken_record_names_where() {
        assert!(
            parse_osv(b"{\"id\": \"X\", \"affected\": [")
                .unwrap_err()
                .contains("line")
        );
        assert_eq!(
            parse_osv(b"{\"id\": \" \"}").unwrap_err(),
            "id: is required"
        );
    }
}
