//! Generated advisories against an independent reading: OSV records with random ranges (events
//! in any order, `introduced: 0`, open ends, `last_affected`, version lists repeating range
//! boundaries) and CSAF product trees with random ranges, exact versions and product statuses.
//! For every version of a pool, whether Palisade's reading of the advisory names it is compared
//! with `tests/versions/advisory_affected.py`, which evaluates the OSV schema's algorithm and
//! CSAF's statuses with `univers`.
//!
//! Runs when `PALISADE_TEST_PYTHON` names a Python with `univers` (CI installs it); without it
//! the test says so and passes, except under CI.

use std::io::Write;
use std::process::{Command, Stdio};

use palisade_domain::alert::AffectedProduct;
use palisade_domain::exposure::{Identity, rules_for_product};
use palisade_domain::ident::{Cpe23, Purl, Vers};
use palisade_domain::sample::Xorshift;
use serde_json::{Value, json};

/// Ecosystems: OSV's name, the package URL, the `vers` scheme, and a pool of versions in order.
struct Eco {
    osv: &'static str,
    name: &'static str,
    purl: &'static str,
    scheme: &'static str,
    pool: Vec<String>,
}

fn ecosystems() -> Vec<Eco> {
    let semver: Vec<String> = (0..4)
        .flat_map(|a| (0..3).flat_map(move |b| (0..3).map(move |c| format!("{a}.{b}.{c}"))))
        .collect();
    let pypi: Vec<String> = (0..4)
        .flat_map(|a| (0..4).map(move |b| format!("{a}.{b}")))
        .chain(["1.0rc1".into(), "2.1.post1".into(), "3.0.1".into()])
        .collect();
    vec![
        Eco {
            osv: "npm",
            name: "left-pad",
            purl: "pkg:npm/left-pad",
            scheme: "npm",
            pool: semver.clone(),
        },
        Eco {
            osv: "PyPI",
            name: "requests",
            purl: "pkg:pypi/requests",
            scheme: "pypi",
            pool: pypi,
        },
        Eco {
            osv: "Maven",
            name: "org.x:core",
            purl: "pkg:maven/org.x/core",
            scheme: "maven",
            pool: semver,
        },
    ]
}

/// `k` distinct versions of the pool, in the pool's order.
fn boundaries(g: &mut Xorshift, pool: &[String], k: usize) -> Vec<String> {
    let mut idx: Vec<usize> = Vec::new();
    while idx.len() < k {
        let i = g.below(pool.len());
        if !idx.contains(&i) {
            idx.push(i);
        }
    }
    idx.sort_unstable();
    idx.into_iter().map(|i| pool[i].clone()).collect()
}

/// One OSV `affected` entry with random ranges and versions.
fn osv_affected(g: &mut Xorshift, eco: &Eco) -> Value {
    let mut ranges = Vec::new();
    for _ in 0..1 + g.below(2) {
        let k = 2 * (1 + g.below(2));
        let b = boundaries(g, &eco.pool, k);
        let mut events = Vec::new();
        for (i, pair) in b.chunks(2).enumerate() {
            let start = if i == 0 && g.chance(2) {
                "0".to_string()
            } else {
                pair[0].clone()
            };
            events.push(json!({"introduced": start}));
            let last = i == b.len() / 2 - 1;
            if last && g.chance(2) {
                continue; // open to the end
            }
            let close = if g.chance(3) {
                "last_affected"
            } else {
                "fixed"
            };
            events.push(json!({close: pair[1]}));
        }
        if g.chance(4) {
            events.reverse(); // any order: evaluators sort them
        }
        let kind = if g.chance(5) { "SEMVER" } else { "ECOSYSTEM" };
        ranges.push(json!({"type": kind, "events": events}));
    }
    let mut versions = Vec::new();
    if g.chance(6) {
        // As osv.dev writes records: range boundaries listed again, and some others.
        for r in &ranges {
            for e in r["events"].as_array().unwrap() {
                let v = e.as_object().unwrap().values().next().unwrap();
                if v != "0" && g.chance(5) {
                    versions.push(v.clone());
                }
            }
        }
        for _ in 0..g.below(3) {
            versions.push(json!(eco.pool[g.below(eco.pool.len())]));
        }
    }
    json!({"package": {"ecosystem": eco.osv, "name": eco.name}, "ranges": ranges, "versions": versions})
}

/// Random CSAF products of one package: ranges and exact versions with random statuses.
fn csaf_products(g: &mut Xorshift, eco: &Eco) -> Vec<Value> {
    let statuses = [
        "known_affected",
        "first_affected",
        "last_affected",
        "fixed",
        "first_fixed",
        "known_not_affected",
        "recommended",
    ];
    (0..1 + g.below(3))
        .map(|_| {
            let status = g.pick(&statuses);
            if g.chance(5) {
                let b = boundaries(g, &eco.pool, 2);
                let vers = match g.below(3) {
                    0 => format!("vers:{}/>={}|<{}", eco.scheme, b[0], b[1]),
                    1 => format!("vers:{}/<={}", eco.scheme, b[1]),
                    _ => format!("vers:{}/>{}", eco.scheme, b[0]),
                };
                json!({"vers": vers, "version": null, "status": status})
            } else {
                let v = &eco.pool[g.below(eco.pool.len())];
                json!({"vers": null, "version": v, "status": status})
            }
        })
        .collect()
}

/// A CSAF 2.0 document with those products under branches, and their statuses.
fn csaf_document(eco: &Eco, products: &[Value]) -> Value {
    let mut branches = Vec::new();
    let mut status = serde_json::Map::new();
    for (i, p) in products.iter().enumerate() {
        let id = format!("P{i}");
        let (category, name, purl) = match p["vers"].as_str() {
            Some(v) => ("product_version_range", v.to_string(), eco.purl.to_string()),
            None => {
                let v = p["version"].as_str().unwrap();
                (
                    "product_version",
                    v.to_string(),
                    format!("{}@{v}", eco.purl),
                )
            }
        };
        branches.push(json!({"category": category, "name": name, "product": {
            "product_id": id, "name": format!("{} {name}", eco.name),
            "product_identification_helper": {"purl": purl}}}));
        status
            .entry(p["status"].as_str().unwrap())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(json!(id));
    }
    json!({
        "document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "Generated",
            "publisher": {"name": "Test", "category": "other", "namespace": "https://test.example"},
            "tracking": {"id": "GEN-1"}},
        "product_tree": {"branches": [{"category": "product_name", "name": eco.name, "branches": branches}]},
        "vulnerabilities": [{"cve": "CVE-2026-0001", "product_status": status}],
    })
}

/// Whether Palisade's products name the package at each version of the pool.
fn ours(products: &[AffectedProduct], eco: &Eco) -> Vec<bool> {
    let identity = Identity::of_purl(&Purl::parse(eco.purl).unwrap());
    let rules: Vec<_> = products
        .iter()
        .flat_map(|p| rules_for_product(p).unwrap())
        .collect();
    eco.pool
        .iter()
        .map(|v| rules.iter().any(|r| r.names(&identity, Some(v))))
        .collect()
}

fn affected_products(input: &palisade_domain::alert::AlertInput) -> Vec<AffectedProduct> {
    input
        .products
        .iter()
        .map(|p| AffectedProduct {
            name: p.name.clone(),
            cpe: p.cpe.as_deref().map(|c| Cpe23::parse(c).unwrap()),
            purl: p.purl.as_deref().map(|c| Purl::parse(c).unwrap()),
            vers: p.vers.as_deref().map(|v| Vers::parse(v).unwrap()),
        })
        .collect()
}

#[test]
fn generated_osv_and_csaf_advisories_agree_with_an_independent_reading() {
    let Some(python) = std::env::var_os("PALISADE_TEST_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI sets PALISADE_TEST_PYTHON for the generated advisory tests"
        );
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with univers");
        return;
    };
    let ecos = ecosystems();
    let mut g = Xorshift::new(0x05f0_2026_1204);
    let mut cases = Vec::new();
    let mut mine = Vec::new();
    for round in 0..300 {
        let eco = &ecos[round % ecos.len()];
        if round % 2 == 0 {
            let affected = osv_affected(&mut g, eco);
            let record = json!({"id": format!("GEN-{round}"), "affected": [affected.clone()]});
            let (advisory, notes) =
                palisade_formats::osv::parse_osv(record.to_string().as_bytes()).unwrap();
            assert!(notes.is_empty(), "{record}: {notes:?}");
            mine.push((record, &eco.pool, ours(&advisory.products, eco)));
            cases.push(json!({"kind": "osv", "scheme": eco.scheme, "affected": affected, "versions": eco.pool}));
        } else {
            let products = csaf_products(&mut g, eco);
            let doc = csaf_document(eco, &products);
            let (input, _, _, _) =
                palisade_formats::csaf::alert_from_csaf(doc.to_string().as_bytes()).unwrap();
            mine.push((doc, &eco.pool, ours(&affected_products(&input), eco)));
            cases.push(json!({"kind": "csaf", "scheme": eco.scheme, "products": products, "versions": eco.pool}));
        }
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/versions/advisory_affected.py"
    );
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the independent reading");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&cases).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "advisory_affected.py failed");
    let theirs: Vec<Vec<bool>> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(theirs.len(), mine.len());
    let mut wrong = Vec::new();
    let mut exposed = 0;
    for ((doc, pool, ours), theirs) in mine.iter().zip(&theirs) {
        exposed += ours.iter().filter(|x| **x).count();
        if ours != theirs {
            let differ: Vec<String> = ours
                .iter()
                .zip(theirs)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, (a, _))| {
                    format!("{} (ours {a})", pool.get(i).cloned().unwrap_or_default())
                })
                .collect();
            wrong.push(format!("{doc}\n  differs at {differ:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        mine.len(),
        wrong.join("\n")
    );
    assert!(
        exposed > 500,
        "the generated advisories expose too little to test: {exposed}"
    );
}
