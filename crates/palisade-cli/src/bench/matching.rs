//! `palisade bench matching`: the exposure engine on a synthetic national estate, in memory
//! (no database): building the index, one advisory's exposure, a full re-match of every
//! advisory beside a straightforward scan, and parsing a large inventory CSV.
//!
//! The estate is generated, deterministically: each organisation runs components drawn from a
//! catalogue of packages (Maven, npm, PyPI, NuGet, Debian, RPM) and CPE-named products, each
//! with a spread of real-looking versions; advisories name one package or product with a `vers`
//! range, as OSV and CSAF records do.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use palisade_domain::exposure::{Affects, ExposureIndex, Identity, Rule};
use palisade_domain::sample::Xorshift as Gen;
use palisade_domain::version::{Scheme, Version, VersionRange};

/// One identity of the catalogue and the versions organisations run.
pub(super) struct Entry {
    pub(super) identity: Identity,
    pub(super) scheme: Scheme,
    pub(super) versions: Vec<(String, Version)>,
}

const KINDS: [(&str, Scheme); 6] = [
    ("maven", Scheme::Maven),
    ("npm", Scheme::Semver),
    ("pypi", Scheme::Pypi),
    ("nuget", Scheme::Nuget),
    ("deb", Scheme::Deb),
    ("rpm", Scheme::Rpm),
];

fn version_text(scheme: Scheme, major: usize, minor: usize, patch: usize) -> String {
    match scheme {
        Scheme::Deb => format!("{major}.{minor}.{patch}-{}", 1 + patch % 3),
        Scheme::Rpm => format!("{major}.{minor}.{patch}-{}.el9", 1 + patch % 3),
        _ => format!("{major}.{minor}.{patch}"),
    }
}

pub(super) fn catalogue(g: &mut Gen, packages: usize, products: usize) -> Vec<Entry> {
    let mut out = Vec::with_capacity(packages + products);
    for i in 0..packages + products {
        let (identity, scheme) = if i < packages {
            let (kind, scheme) = KINDS[i % KINDS.len()];
            (
                Identity::Package {
                    kind: kind.into(),
                    namespace: if kind == "maven" {
                        format!("org.example{}", i % 97)
                    } else {
                        String::new()
                    },
                    name: format!("package-{i}"),
                },
                scheme,
            )
        } else {
            (
                Identity::Product {
                    vendor: format!("vendor_{}", i % 211),
                    product: format!("product_{i}"),
                },
                Scheme::Generic,
            )
        };
        let count = 5 + g.below(40);
        let versions = (0..count)
            .map(|_| {
                let t = version_text(scheme, 1 + g.below(4), g.below(20), g.below(30));
                let v = Version::parse(scheme, &t).expect("generated versions parse");
                (t, v)
            })
            .collect();
        out.push(Entry {
            identity,
            scheme,
            versions,
        });
    }
    out
}

/// Peak resident memory of this process so far, in MiB (Linux), if known.
fn peak_mib() -> Option<f64> {
    memory_mib("VmHWM:")
}

/// A memory figure of this process (`VmHWM:` the peak, `VmRSS:` now), in MiB (Linux), if known.
pub(super) fn memory_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn mib(label: &str) -> String {
    peak_mib().map_or_else(String::new, |m| {
        format!(" ({label} peak memory {m:.0} MiB)")
    })
}

pub fn matching(
    components: usize,
    organisations: usize,
    advisories: usize,
    csv_rows: usize,
) -> Result<()> {
    let mut g = Gen::new(0x9e37_79b9_7f4a_7c15);
    let entries = catalogue(&mut g, 20_000, 3_000);
    println!(
        "estate: {components} components in {organisations} organisations, {} identities; {advisories} advisories",
        entries.len()
    );

    // Components: (organisation, component id) keys; popular identities are far commoner.
    let t = Instant::now();
    let mut ix: ExposureIndex<(u32, u32)> = ExposureIndex::new();
    let mut per_identity = vec![0usize; entries.len()];
    // What was drawn (catalogue entry, version), kept for the baseline.
    let mut drawn: Vec<(u32, u16)> = Vec::with_capacity(components);
    for id in 0..components {
        let org = (id % organisations) as u32;
        let e = g.below(entries.len()).min(g.below(entries.len())); // skewed towards the first
        let entry = &entries[e];
        let vi = g.below(entry.versions.len());
        ix.insert(
            &entry.identity,
            Some(&entry.versions[vi].0),
            (org, id as u32),
        )
        .map_err(anyhow::Error::msg)?;
        per_identity[e] += 1;
        drawn.push((e as u32, vi as u16));
    }
    println!(
        "index built: {} components in {:.2} s{}",
        ix.len(),
        t.elapsed().as_secs_f64(),
        mib("process")
    );

    // Advisories: a range over one identity's versions, as OSV and CSAF give them.
    let rules: Vec<(usize, Rule)> = (0..advisories)
        .map(|_| {
            let e = g.below(entries.len()).min(g.below(entries.len()));
            let entry = &entries[e];
            let mut texts: Vec<&(String, Version)> = entry.versions.iter().collect();
            texts.sort_by(|a, b| a.1.cmp(&b.1));
            texts.dedup_by(|a, b| a.1 == b.1);
            let lo = g.below(texts.len());
            let hi = (lo + 1 + g.below(texts.len())).min(texts.len() - 1);
            let vers = if hi > lo {
                format!("vers:{}/>={}|<{}", entry.scheme, texts[lo].0, texts[hi].0)
            } else {
                format!("vers:{}/<{}", entry.scheme, texts[lo].0)
            };
            let range = VersionRange::parse(&vers).expect("generated ranges parse");
            (
                e,
                Rule {
                    identity: entry.identity.clone(),
                    affects: Affects::Range(range),
                },
            )
        })
        .collect();

    // One advisory's exposure: the organisations and components it touches.
    let mut times = Vec::new();
    let mut touched = 0usize;
    for (_, rule) in rules.iter().take(200) {
        let t = Instant::now();
        let mut orgs: HashMap<u32, Vec<u32>> = HashMap::new();
        ix.for_each_match(rule, |_, (org, id)| orgs.entry(org).or_default().push(id));
        times.push(t.elapsed());
        touched += orgs.len();
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "one advisory's exposure (exposed organisations with their components): median {:.3} ms, p95 {:.3} ms, max {:.3} ms over {} advisories ({} organisations touched on average)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1]),
        times.len(),
        touched / times.len()
    );

    // Full re-match, through the index.
    let t = Instant::now();
    let mut matched = 0usize;
    for (_, rule) in &rules {
        ix.for_each_match(rule, |_, _| matched += 1);
    }
    let indexed = t.elapsed().as_secs_f64();
    // The pairs a straightforward matcher checks: every component of the advisory's identity.
    let checks: usize = rules.iter().map(|(e, _)| per_identity[*e]).sum();
    println!(
        "full re-match through the index: {matched} matches in {indexed:.3} s = {:.1} million component checks/s ({checks} component-advisory pairs of the same identity)",
        checks as f64 / indexed / 1e6
    );

    // The straightforward baseline: each component of the identity tested with `contains`.
    let t = Instant::now();
    let mut by_identity: HashMap<&Identity, Vec<&Version>> = HashMap::new();
    for (e, vi) in &drawn {
        let entry = &entries[*e as usize];
        by_identity
            .entry(&entry.identity)
            .or_default()
            .push(&entry.versions[*vi as usize].1);
    }
    let grouped = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut scanned = 0usize;
    for (_, rule) in &rules {
        if let (Some(vs), Affects::Range(r)) = (by_identity.get(&rule.identity), &rule.affects) {
            scanned += vs.iter().filter(|v| r.contains(v)).count();
        }
    }
    let scan = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        scanned == matched,
        "the scan found {scanned}, the index {matched}"
    );
    println!(
        "full re-match by scanning (baseline, components grouped by identity in {grouped:.2} s first): {scanned} matches in {scan:.3} s = {:.1} million component checks/s; the index is {:.1}x faster",
        checks as f64 / scan / 1e6,
        scan / indexed
    );

    if csv_rows > 0 {
        let csv = inventory_csv(&entries, &mut g, csv_rows, 0);
        let t = Instant::now();
        let rows = palisade_formats::inventory::parse_inventory_csv(csv.as_bytes(), usize::MAX)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "inventory CSV of {} rows ({:.0} MB) parsed and checked in {:.2} s{}",
            rows.len(),
            csv.len() as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            mib("process")
        );
    }
    Ok(())
}

/// An inventory CSV of `rows` components drawn from the catalogue; `moved` of them (the first
/// ones) take another version, as an upgrade between two uploads would.
pub(super) fn inventory_csv(entries: &[Entry], g: &mut Gen, rows: usize, moved: usize) -> String {
    let mut csv =
        String::from("asset,asset_type,vendor,product,version,cpe,purl,internet_facing\n");
    for i in 0..rows {
        let entry = &entries[g.below(entries.len())];
        let pick = g.below(entry.versions.len());
        let pick = if i < moved {
            (pick + 1) % entry.versions.len()
        } else {
            pick
        };
        let (text, _) = &entry.versions[pick];
        match &entry.identity {
            Identity::Package {
                kind,
                namespace,
                name,
            } => {
                let ns = if namespace.is_empty() {
                    String::new()
                } else {
                    format!("{namespace}/")
                };
                csv.push_str(&format!(
                    "host-{i},library,,,{text},,pkg:{kind}/{ns}{name}@{text},no\n"
                ));
            }
            Identity::Product { vendor, product } => csv.push_str(&format!(
                "host-{i},server,{vendor},{product},{text},,,{}\n",
                if i % 7 == 0 { "yes" } else { "no" }
            )),
        }
    }
    csv
}

/// `palisade bench inventory`: a large inventory uploaded as an organisation lead would, through
/// the use-case the API calls (every line checked, one transaction, history of the changes),
/// first into an empty inventory, then again with 1% of the components upgraded. The limit of
/// components per organisation is lifted to `rows`: this measures the upload, not the limit.
pub async fn inventory(
    mut app: palisade_app::App,
    engine: &str,
    org: &str,
    rows: usize,
) -> Result<()> {
    app.inventory.max_components = app.inventory.max_components.max(rows);
    use palisade_domain::people::Role;
    use palisade_domain::policy::{Grant, Principal};
    let view = app
        .org_for(
            &palisade_app::Actor::cli(),
            org,
            palisade_domain::policy::OrgAction::View,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{org}: {e}"))?;
    let lead = palisade_app::Actor {
        user_id: None,
        label: "bench".into(),
        register_version: None,
        principal: Principal {
            user_id: 0,
            grants: vec![Grant {
                role: Role::OrgLead,
                org_id: Some(view.org.id),
            }],
        },
    };
    let mut g = Gen::new(0x1234_5678_9abc_def0);
    let entries = catalogue(&mut g, 20_000, 3_000);
    println!("database: {engine}; inventory of {org}: {rows} components");
    for (label, moved) in [
        ("into an empty inventory", 0),
        ("again, 1% upgraded", rows / 100),
    ] {
        let mut g = Gen::new(0x0fed_cba9_8765_4321);
        let csv = inventory_csv(&entries, &mut g, rows, moved);
        let t = Instant::now();
        let up = app
            .upload_inventory(
                &lead,
                org,
                palisade_domain::inventory::InventoryFormat::Csv,
                csv.as_bytes(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "upload {label} ({:.0} MB): {:.2} s, {} added, {} removed{}",
            csv.len() as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            up.added,
            up.removed,
            mib("process")
        );
    }
    Ok(())
}

/// `palisade bench sbom`: one software bill of materials parsed, checked and matched against a
/// book of advisories, as an upload's exposure would be, `runs` times; the peak memory of the
/// whole process is reported beside the times. The advisories are generated: one range per
/// package the SBOM names (up to and including the version it runs, so each matches) and the
/// rest over a synthetic catalogue, `advisories` in all.
pub fn sbom(file: &std::path::Path, advisories: usize, runs: usize) -> Result<()> {
    use palisade_domain::inventory::InventoryFormat;
    use palisade_formats::sbom::{detect_json, parse_cyclonedx, parse_spdx};
    let data = std::fs::read(file)?;
    let parse = |data: &[u8]| -> Result<Vec<palisade_domain::inventory::Component>> {
        match detect_json(data) {
            Some(InventoryFormat::Cyclonedx) => parse_cyclonedx(data, usize::MAX),
            Some(InventoryFormat::Spdx) => parse_spdx(data, usize::MAX),
            _ => anyhow::bail!("{} is neither CycloneDX nor SPDX JSON", file.display()),
        }
        .map_err(|e| anyhow::anyhow!("{e}"))
    };
    // The advisories are loaded before the clock starts, as a server holds them.
    let components = parse(&data)?;
    let mut rules = Vec::with_capacity(advisories);
    for c in &components {
        let (Some(purl), Some(v)) = (&c.purl, &c.version) else {
            continue;
        };
        let identity = Identity::of_purl(purl);
        if let Ok(range) = VersionRange::parse(&format!("vers:{}/<={v}", purl.purl_type())) {
            rules.push(Rule {
                identity,
                affects: Affects::Range(range),
            });
        }
    }
    let named = rules.len();
    let mut g = Gen::new(0x5b0b_5b0b_5b0b_5b0b);
    let entries = catalogue(&mut g, advisories.saturating_sub(named).max(1), 0);
    for e in entries.iter().take(advisories.saturating_sub(named)) {
        let (top, _) = &e.versions[g.below(e.versions.len())];
        rules.push(Rule {
            identity: e.identity.clone(),
            affects: Affects::Range(
                VersionRange::parse(&format!(
                    "vers:{}/<{}",
                    match &e.identity {
                        Identity::Package { kind, .. } => kind.as_str(),
                        Identity::Product { .. } => "generic",
                    },
                    top
                ))
                .map_err(|e| anyhow::anyhow!(e))?,
            ),
        });
    }
    println!(
        "{}: {:.2} MB, {} components; {} advisories ({named} naming its packages){}",
        file.display(),
        data.len() as f64 / 1e6,
        components.len(),
        rules.len(),
        mib("before the runs:")
    );
    let mut times = Vec::with_capacity(runs);
    let mut found = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let components = parse(&data)?;
        let mut index = ExposureIndex::new();
        for (i, c) in components.iter().enumerate() {
            index
                .insert(&c.identity(), c.version.as_deref(), i)
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        found = 0;
        for rule in &rules {
            index.for_each_match(rule, |_, _| found += 1);
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "parse, check and match: median {:.1} ms, p95 {:.1} ms, max {:.1} ms over {} runs; {found} matches{}",
        times[times.len() / 2],
        times[(times.len() * 95 / 100).min(times.len() - 1)],
        times[times.len() - 1],
        times.len(),
        mib("process")
    );
    Ok(())
}
