//! OSV records (osv.dev): a package per ecosystem with version ranges, read as an advisory whose
//! products are package URLs with `vers` ranges.

use palisade_domain::advisory::Advisory;
use palisade_domain::alert::AffectedProduct;
use palisade_domain::ident::{CveId, Purl, Vers};
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

/// The `vers` constraints of one OSV range: each `introduced` opens an interval (`0` from the
/// start), each `fixed` closes it before that version and each `last_affected` at it.
fn range_constraints(events: &[std::collections::BTreeMap<String, String>]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events {
        for (k, v) in e {
            match k.as_str() {
                "introduced" if v != "0" => out.push(format!(">={v}")),
                "introduced" => {}
                "fixed" => out.push(format!("<{v}")),
                "last_affected" => out.push(format!("<={v}")),
                _ => {}
            }
        }
    }
    out
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
        let mut constraints: Vec<String> = a
            .ranges
            .iter()
            .filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM")
            .flat_map(|r| range_constraints(&r.events))
            .collect();
        constraints.extend(a.versions.iter().map(|v| v.to_string()));
        constraints.dedup();
        if constraints.is_empty() {
            notes.push(format!("affected[{i}]: no version range Palisade reads"));
            continue;
        }
        let vers_text = format!("vers:{}/{}", purl.purl_type(), constraints.join("|"));
        match Vers::parse(&vers_text) {
            Ok(vers) => products.push(AffectedProduct {
                name: p.name.clone(),
                cpe: None,
                purl: Some(purl),
                vers: Some(vers),
            }),
            Err(e) => notes.push(format!("affected[{i}]: {e}")),
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
