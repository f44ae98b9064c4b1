//! Differential tests: Palisade's version orders against real implementations — Debian's own
//! `dpkg --compare-versions`, Python's `packaging` (PEP 440) and `univers` (Maven, NuGet, RPM,
//! SemVer) — on generated versions, through `tests/versions/compare.py`.
//!
//! Runs when `PALISADE_TEST_PYTHON` names a Python with `packaging` and `univers` (CI installs
//! them); without it the test says so and passes, except under CI.

use std::io::Write;
use std::process::{Command, Stdio};

use palisade_domain::sample::Xorshift;
use palisade_domain::version::{Scheme, Version};

type Gen = Xorshift;

/// A number part, leading zeros and large values included.
fn num(g: &mut Gen) -> String {
    g.pick(&["0", "1", "2", "3", "9", "10", "01", "11", "100", "2024"])
        .to_string()
}

/// A release number; most come from a small pool, so that pairs often share it and are
/// decided by what follows (qualifiers, pre-releases, revisions).
fn numbers(g: &mut Gen, most: usize) -> String {
    if g.chance(7) {
        return g
            .pick(&["1", "1.0", "1.0.0", "1.2", "1.10", "2.0"])
            .to_string();
    }
    let n = 1 + g.below(most);
    (0..n).map(|_| num(g)).collect::<Vec<_>>().join(".")
}

fn deb(g: &mut Gen) -> String {
    let mut v = String::new();
    if g.chance(2) {
        v.push_str(&format!("{}:", g.below(3)));
    }
    v.push_str(&numbers(g, 4));
    for _ in 0..g.below(3) {
        v.push_str(g.pick(&["~rc", "~", "+dfsg", "a", "b", ".", "+", "~beta"]));
        v.push_str(&num(g));
    }
    if g.chance(6) {
        v.push('-');
        v.push_str(&num(g));
        v.push_str(g.pick(&["", "ubuntu1", "+deb12u1", "~bpo1", ".el8", "build2"]));
    }
    v
}

fn pypi(g: &mut Gen) -> String {
    let mut v = String::new();
    if g.chance(1) {
        v.push_str("1!");
    }
    v.push_str(&numbers(g, 4));
    if g.chance(4) {
        v.push_str(g.pick(&["a", "b", "rc", "alpha", "beta", "c", "pre", "preview"]));
        v.push_str(&num(g));
    }
    if g.chance(2) {
        v.push_str(g.pick(&[".post", "-", "post", ".rev"]));
        v.push_str(&num(g));
    }
    if g.chance(2) {
        v.push_str(".dev");
        v.push_str(&num(g));
    }
    if g.chance(1) {
        v.push_str(g.pick(&["+local", "+ubuntu.1", "+1"]));
    }
    v
}

fn maven(g: &mut Gen) -> String {
    let mut v = numbers(g, 3);
    for _ in 0..g.below(3) {
        v.push_str(g.pick(&[".", "-", ""]));
        v.push_str(g.pick(&[
            "alpha", "beta", "rc", "cr", "m", "a", "b", "sp", "SNAPSHOT", "final", "ga", "release",
            "x", "abc", "RELEASE", "Final", "",
        ]));
        if g.chance(5) {
            v.push_str(&num(g));
        }
    }
    v
}

fn nuget(g: &mut Gen) -> String {
    let mut v = numbers(g, 4);
    if g.chance(5) {
        v.push('-');
        let labels = 1 + g.below(3);
        let ls: Vec<String> = (0..labels)
            .map(|_| {
                if g.chance(4) {
                    num(g).trim_start_matches('0').to_string() + "0"
                } else {
                    g.pick(&["beta", "BETA", "alpha", "rc", "pre", "x", "Y", "beta2"])
                        .to_string()
                }
            })
            .collect();
        v.push_str(&ls.join("."));
    }
    if g.chance(2) {
        v.push_str(g.pick(&["+build", "+AA", "+1"]));
    }
    v
}

fn rpm(g: &mut Gen) -> String {
    let mut v = String::new();
    if g.chance(2) {
        v.push_str(&format!("{}:", g.below(3)));
    }
    v.push_str(&numbers(g, 4));
    for _ in 0..g.below(3) {
        v.push_str(g.pick(&["~rc", "^git", "a", "_", ".", "p", "~", "^"]));
        v.push_str(&num(g));
    }
    if g.chance(6) {
        v.push('-');
        v.push_str(&num(g));
        v.push_str(g.pick(&["", ".el8", ".fc39", ".el9_2", "~beta"]));
    }
    v
}

fn semver(g: &mut Gen) -> String {
    let mut v = format!(
        "{}.{}.{}",
        num(g).trim_start_matches('0').to_string() + "1",
        g.below(12),
        g.below(12)
    );
    if g.chance(5) {
        v.push('-');
        let n = 1 + g.below(3);
        let ls: Vec<String> = (0..n)
            .map(|_| {
                if g.chance(4) {
                    g.below(20).to_string()
                } else {
                    g.pick(&["alpha", "beta", "rc", "x", "Alpha", "a1"])
                        .to_string()
                }
            })
            .collect();
        v.push_str(&ls.join("."));
    }
    if g.chance(2) {
        v.push_str("+build.5");
    }
    v
}

#[test]
fn version_orders_agree_with_real_implementations() {
    let Some(python) = std::env::var_os("PALISADE_TEST_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI sets PALISADE_TEST_PYTHON for the differential version tests"
        );
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with packaging and univers");
        return;
    };
    type Make = fn(&mut Gen) -> String;
    let schemes: [(&str, Scheme, Make); 6] = [
        ("deb", Scheme::Deb, deb),
        ("pypi", Scheme::Pypi, pypi),
        ("maven", Scheme::Maven, maven),
        ("nuget", Scheme::Nuget, nuget),
        ("rpm", Scheme::Rpm, rpm),
        ("semver", Scheme::Semver, semver),
    ];
    let mut g = Xorshift::new(0x5eed_2026_1125);
    let mut pairs: Vec<(&str, Scheme, String, String)> = Vec::new();
    for (name, scheme, make) in schemes {
        let versions: Vec<String> = (0..120).map(|_| make(&mut g)).collect();
        for i in 0..400 {
            // Neighbours in generation order, and random pairs.
            let a = versions[i % versions.len()].clone();
            let b = if i < versions.len() {
                versions[(i + 1) % versions.len()].clone()
            } else {
                versions[g.below(versions.len())].clone()
            };
            pairs.push((name, scheme, a, b));
        }
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/versions/compare.py"
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the Python comparison script");
    let input: Vec<(&str, &str, &str)> = pairs
        .iter()
        .map(|(n, _, a, b)| (*n, a.as_str(), b.as_str()))
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "compare.py failed");
    let theirs: Vec<Option<i8>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(theirs.len(), pairs.len());

    let mut compared = std::collections::BTreeMap::<&str, usize>::new();
    let mut disagree = Vec::new();
    let mut refused_only_here = Vec::new();
    for ((name, scheme, a, b), their) in pairs.iter().zip(theirs) {
        let ours = match (Version::parse(*scheme, a), Version::parse(*scheme, b)) {
            (Ok(x), Ok(y)) => Some(x.cmp(&y) as i8),
            _ => None,
        };
        match (ours, their) {
            (Some(o), Some(t)) => {
                *compared.entry(name).or_default() += 1;
                if o != t {
                    disagree.push(format!("{name}: {a} vs {b}: ours {o}, theirs {t}"));
                }
            }
            (None, Some(_)) => refused_only_here.push(format!("{name}: {a} / {b}")),
            _ => {}
        }
    }
    eprintln!("pairs compared per scheme: {compared:?}");
    assert!(disagree.is_empty(), "orders differ: {disagree:#?}");
    assert!(
        refused_only_here.is_empty(),
        "versions the real implementation orders but Palisade refuses: {refused_only_here:#?}"
    );
    for (name, _, _) in schemes {
        let n = compared.get(name).copied().unwrap_or(0);
        assert!(n >= 300, "{name}: only {n} pairs compared");
    }
}
