//! The `vers` specification's own test files (testdata/vers-tests), and differential cases.

use std::cmp::Ordering;

use serde_json::Value;

use super::*;
use crate::ident::Vers;

fn cases(file: &str) -> Vec<Value> {
    let path = format!("{}/testdata/vers-tests/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["tests"].as_array().unwrap().clone()
}

fn v(scheme: Scheme, s: &str) -> Version {
    Version::parse(scheme, s).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a comparison file: `comparison` cases give the versions sorted, `equality` cases whether
/// two versions are equal. Returns how many cases ran.
fn comparison_file(file: &str, scheme: Scheme) -> usize {
    let all = cases(file);
    let mut failures = Vec::new();
    for case in &all {
        let versions: Vec<&str> = case["input"]["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        match case["test_type"].as_str().unwrap() {
            "comparison" => {
                let mut sorted = versions.clone();
                sorted.sort_by_key(|s| v(scheme, s));
                let want: Vec<Version> = case["expected_output"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| v(scheme, x.as_str().unwrap()))
                    .collect();
                let got: Vec<Version> = sorted.iter().map(|s| v(scheme, s)).collect();
                if got != want {
                    failures.push(format!("{versions:?} sorted as {sorted:?}"));
                }
            }
            "equality" => {
                let equal = v(scheme, versions[0]) == v(scheme, versions[1]);
                if equal != case["expected_output"].as_bool().unwrap() {
                    failures.push(format!("{versions:?} equal: {equal}"));
                }
            }
            other => panic!("unexpected test type {other}"),
        }
    }
    assert!(failures.is_empty(), "{file}: {failures:#?}");
    all.len()
}

#[test]
fn maven_order_passes_every_specification_case() {
    assert_eq!(
        comparison_file("maven_version_cmp_test.json", Scheme::Maven),
        977
    );
}

#[test]
fn nuget_order_passes_every_specification_case() {
    assert_eq!(
        comparison_file("nuget_version_cmp_test.json", Scheme::Nuget),
        33
    );
}

#[test]
fn containment_passes_every_specification_case() {
    let mut ran = 0;
    for file in [
        "npm_range_containment_test.json",
        "pypi_range_containment_test.json",
    ] {
        for case in cases(file) {
            let range = VersionRange::parse(case["input"]["vers"].as_str().unwrap()).unwrap();
            let version = v(range.scheme(), case["input"]["version"].as_str().unwrap());
            assert_eq!(
                range.contains(&version),
                case["expected_output"].as_bool().unwrap(),
                "{case}"
            );
            ran += 1;
        }
    }
    assert_eq!(ran, 11);
}

#[test]
fn ranges_print_in_canonical_order() {
    let mut ran = 0;
    for case in cases("pypi_range_validate_test.json") {
        let input = case["input"].as_str().unwrap();
        let want = case["expected_output"].as_str().unwrap();
        // Two cases repeat a constraint (`>=0.0.1|>=0.0.1`); Palisade refuses a range that
        // names one version twice rather than keep a constraint that says nothing.
        if input.contains(">=0.0.1|>=0.0.1") {
            let e = VersionRange::parse(input).unwrap_err();
            assert!(e.contains("0.0.1"), "{e}");
            continue;
        }
        assert_eq!(VersionRange::parse(input).unwrap().to_string(), want);
        ran += 1;
    }
    assert_eq!(ran, 18);
}

#[test]
fn parse_cases_decode_versions_and_refuse_bad_percent_encoding() {
    let mut ran = 0;
    for case in cases("vers_canonical_parse_test.json") {
        let input = case["input"].as_str().unwrap();
        if case["expected_failure"].as_bool() == Some(true) {
            let message = case["expected_message"].as_str().unwrap();
            // Palisade accepts ranges typed by people: it drops whitespace and stray pipes and
            // sorts constraints itself, and prints the canonical form. It refuses what cannot be
            // read: bad percent-encoding and schemes it cannot order (datetime).
            if ["whitespace", "pipe", "sorted"]
                .iter()
                .any(|w| message.contains(w))
            {
                let want = if message.contains("sorted") {
                    "vers:npm/<1.0.0|>=2.0.0"
                } else {
                    "vers:npm/>=1.0.0|<2.0.0"
                };
                assert_eq!(VersionRange::parse(input).unwrap().to_string(), want);
            } else {
                assert!(VersionRange::parse(input).is_err(), "{input}: {message}");
            }
        } else {
            // The notation alone: `1.0%2F0` decodes, though it is no npm version.
            let r = Vers::parse(input).unwrap();
            let want = &case["expected_output"]["version_constraints"];
            let got: Vec<(String, String)> = r
                .constraints
                .iter()
                .map(|c| {
                    let decoded = range::percent_decode(&c.version).unwrap();
                    (c.comparator.as_str().into(), decoded)
                })
                .collect();
            let want: Vec<(String, String)> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
                .collect();
            assert_eq!(got, want, "{input}");
        }
        ran += 1;
    }
    assert_eq!(ran, 12);
}

#[test]
fn semver_ignores_build_metadata_and_a_leading_v() {
    assert_eq!(v(Scheme::Semver, "1.0.0+a"), v(Scheme::Semver, "v1.0.0+b"));
    assert!(v(Scheme::Semver, "1.0.0-rc.1") < v(Scheme::Semver, "1.0.0"));
    assert!(v(Scheme::Semver, "1.0.0-alpha.beta") > v(Scheme::Semver, "1.0.0-alpha.1"));
    assert!(Version::parse(Scheme::Semver, "1.0").is_err());
}

#[test]
fn pypi_and_debian_orders_come_from_their_crates() {
    assert_eq!(v(Scheme::Pypi, "1.0"), v(Scheme::Pypi, "1.0.0"));
    assert!(v(Scheme::Pypi, "1.0rc1") < v(Scheme::Pypi, "1.0"));
    assert!(v(Scheme::Pypi, "1.0.post1") > v(Scheme::Pypi, "1.0"));
    assert!(v(Scheme::Pypi, "1!0.1") > v(Scheme::Pypi, "2.0"));
    assert!(v(Scheme::Deb, "1.0~rc1-1") < v(Scheme::Deb, "1.0-1"));
    assert!(v(Scheme::Deb, "1:0.9-1") > v(Scheme::Deb, "2.0-1"));
    assert!(Version::parse(Scheme::Pypi, "not a version").is_err());
}

#[test]
fn generic_order_puts_words_before_the_release() {
    let g = |s| v(Scheme::Generic, s);
    assert!(g("1.0") < g("1.0.1"));
    assert!(g("1.0rc1") < g("1.0"));
    assert!(g("1.0.rc1") < g("1.0.0"));
    assert!(g("10.0.19045") > g("10.0.9200"));
    assert_eq!(g("2.4.58"), g("2.4.058"));
    assert_eq!(g("SP1"), g("sp1"));
    assert_eq!(g("7").cmp(&g("7.0")), Ordering::Less);
}

#[test]
fn unsupported_schemes_and_bad_versions_say_why() {
    let e = Scheme::from_type("alpm").unwrap_err();
    assert!(e.contains("'alpm' is not supported"), "{e}");
    let e = Version::parse(Scheme::Nuget, "1.2.3.4.5").unwrap_err();
    assert!(e.contains("'1.2.3.4.5' is not a nuget version"), "{e}");
    let e = Version::parse(Scheme::Semver, &"1".repeat(200)).unwrap_err();
    assert!(e.contains("longer than 128"), "{e}");
    let e = VersionRange::parse("vers:pypi/>=1.0|<1.0.0").unwrap_err();
    assert!(e.contains("the same version"), "{e}");
}

#[test]
fn intervals_cover_exactly_what_contains_accepts() {
    let r = VersionRange::parse("vers:maven/<1.0|>=2.0.0|<2.15.0|2.16.0|>=3.0|!=3.1").unwrap();
    let intervals = r.intervals();
    assert_eq!(intervals.len(), 4);
    for s in [
        "0.9", "1.0", "1.5", "2.0.0", "2.14.1", "2.15.0", "2.16.0", "2.17", "3.0", "3.1", "9",
    ] {
        let x = v(Scheme::Maven, s);
        let by_interval = intervals.iter().any(|i| i.contains(&x));
        let excluded = s == "3.1";
        assert_eq!(r.contains(&x), by_interval && !excluded, "{s}");
    }
}
