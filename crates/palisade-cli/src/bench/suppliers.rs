//! `bench suppliers`: the supplier targets at national scale, on the national demo with the
//! suppliers' volume added (written once, straight to the database; a second run finds it):
//! 600 suppliers with 3,000 products of two versions each, every organisation using eight
//! product versions on average (the demo supplier's first product 20,000 of them), an SBOM of
//! 500 components in force for every product version, 20,000 OSV advisories over the same
//! packages and 5,000 VEX statements about them.
//!
//! - One CVE's exposure including the supplier paths (`GET /api/v1/exposure?cve=`), a sample
//!   of CVEs that SBOMs hold, alone and with eight clients at once.
//! - An SBOM uploaded through the API, then the next exposure answer (which brings the SBOM
//!   index up to date first).
//! - A supplier incident notice to the 20,000 customers of one product, outbox rows written.
//!
//! Every package, SBOM and advisory is generated from fixed seeds, so runs compare.

use super::matching::{Entry, catalogue};
use super::{at_once, expect, require_national, router, summary, timed};
use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use palisade_app::{Actor, App};
use palisade_domain::exposure::Identity;
use palisade_domain::inventory::{Component, ComponentInput};
use palisade_domain::org::OrgType;
use palisade_domain::sample::Xorshift as Gen;
use palisade_domain::supplier::VexStatus;
use palisade_store::volume::{SupplierVolume, VolumeProduct, VolumeVex, seed_supplier_volume};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// What `bench suppliers` writes and measures.
pub struct SupplierBench {
    pub runs: usize,
    pub suppliers: usize,
    pub products_per_supplier: usize,
    pub versions: usize,
    pub links_per_org: usize,
    pub components: usize,
    pub advisories: usize,
    pub vex: usize,
    /// Organisations using the demo supplier's first product (the notice's recipients).
    pub notice_customers: usize,
    pub clients: usize,
}

/// The demo's IT supplier and its lead.
const SUPPLIER: &str = "8J000";
const SUPPLIER_LEAD: &str = "supplier@example.nhs.uk";
/// Packages of the ecosystems SBOMs hold (Maven, npm, PyPI, NuGet).
const PACKAGES: usize = 5_000;

/// The generated world: packages, products, who uses what, advisories and VEX.
struct Plan {
    entries: Vec<Entry>,
    components: usize,
    products: Vec<VolumeProduct>,
    links: Vec<(i64, usize, usize)>,
    /// (CVE, package, OSV document).
    advisories: Vec<(String, usize, Vec<u8>)>,
    /// Package to the advisories naming it.
    by_package: HashMap<usize, Vec<usize>>,
    vex: Vec<VolumeVex>,
}

/// A package's URL, without a version.
fn purl(identity: &Identity) -> String {
    match identity {
        Identity::Package {
            kind,
            namespace,
            name,
        } if namespace.is_empty() => format!("pkg:{kind}/{name}"),
        Identity::Package {
            kind,
            namespace,
            name,
        } => format!("pkg:{kind}/{namespace}/{name}"),
        Identity::Product { .. } => unreachable!("the catalogue's first entries are packages"),
    }
}

/// An OSV record naming one package with an `introduced`/`fixed` range of its versions.
fn osv(n: usize, cve: &str, entry: &Entry, g: &mut Gen) -> Vec<u8> {
    let Identity::Package {
        kind,
        namespace,
        name,
    } = &entry.identity
    else {
        unreachable!("advisories name packages")
    };
    let (ecosystem, name) = match kind.as_str() {
        "maven" => ("Maven", format!("{namespace}:{name}")),
        "npm" => ("npm", name.clone()),
        "pypi" => ("PyPI", name.clone()),
        _ => ("NuGet", name.clone()),
    };
    let mut sorted: Vec<&(String, palisade_domain::version::Version)> =
        entry.versions.iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    sorted.dedup_by(|a, b| a.1 == b.1);
    let lo = g.below(sorted.len());
    let mut events = vec![json!({"introduced": sorted[lo].0})];
    let hi = lo + 1 + g.below(sorted.len());
    if hi < sorted.len() {
        events.push(json!({"fixed": sorted[hi].0}));
    }
    serde_json::to_vec(&json!({
        "id": format!("BENCH-{n}"),
        "aliases": [cve],
        "summary": format!("Generated advisory {n}"),
        "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": events}]}]
    }))
    .expect("JSON serialises")
}

impl Plan {
    fn new(b: &SupplierBench, suppliers: &[i64], orgs: &[i64]) -> Plan {
        let mut g = Gen::new(0x2545_f491_4f6c_dd1d);
        // The matching bench's packages of the four ecosystems SBOMs list here.
        let entries: Vec<Entry> = catalogue(&mut g, PACKAGES * 6 / 4 + 6, 0)
            .into_iter()
            .filter(|e| {
                matches!(&e.identity, Identity::Package { kind, .. }
                    if matches!(kind.as_str(), "maven" | "npm" | "pypi" | "nuget"))
            })
            .take(PACKAGES)
            .collect();
        let versions: Vec<String> = (1..=b.versions).map(|v| format!("{v}.0")).collect();
        let products: Vec<VolumeProduct> = suppliers
            .iter()
            .enumerate()
            .flat_map(|(s, id)| {
                let versions = versions.clone();
                (0..b.products_per_supplier).map(move |k| {
                    let n = s * b.products_per_supplier + k;
                    VolumeProduct {
                        supplier: *id,
                        name: format!("Bench product {n}"),
                        cpe: format!(
                            "cpe:2.3:a:bench_supplier_{s}:bench_product_{n}:*:*:*:*:*:*:*:*"
                        ),
                        versions: versions.clone(),
                    }
                })
            })
            .collect();

        // Every organisation uses `links_per_org` product versions on average, popular
        // products far more than the rest; the first `notice_customers` use the demo
        // supplier's first product.
        let mut links = Vec::with_capacity(orgs.len() * b.links_per_org);
        for (i, org) in orgs.iter().enumerate() {
            let mut mine: HashSet<(usize, usize)> = HashSet::new();
            if i < b.notice_customers {
                mine.insert((0, 0));
            }
            let want = b.links_per_org / 2 + g.below(b.links_per_org + 1);
            while mine.len() < want {
                let p = g.below(products.len()).min(g.below(products.len()));
                mine.insert((p, g.below(b.versions)));
            }
            let mut mine: Vec<_> = mine.into_iter().collect();
            mine.sort();
            links.extend(mine.into_iter().map(|(p, v)| (*org, p, v)));
        }

        let mut by_package: HashMap<usize, Vec<usize>> = HashMap::new();
        let advisories = (0..b.advisories)
            .map(|n| {
                let e = g.below(entries.len()).min(g.below(entries.len()));
                let cve = format!("CVE-2098-{}", 100_000 + n);
                by_package.entry(e).or_default().push(n);
                let doc = osv(n, &cve, &entries[e], &mut g);
                (cve, e, doc)
            })
            .collect();
        let mut plan = Plan {
            entries,
            components: b.components,
            products,
            links,
            advisories,
            by_package,
            vex: Vec::new(),
        };

        // VEX about CVEs the SBOMs really hold: four in ten not affected, two fixed, two
        // affected, two under investigation.
        let mut said: HashSet<(usize, usize, usize)> = HashSet::new();
        let mut tries = 0;
        while plan.vex.len() < b.vex && tries < b.vex * 20 {
            tries += 1;
            let Some((p, v, a)) = plan.held_cve(&mut g) else {
                continue;
            };
            if !said.insert((p, v, a)) {
                continue;
            }
            let status = match g.below(10) {
                0..=3 => VexStatus::NotAffected,
                4 | 5 => VexStatus::Fixed,
                6 | 7 => VexStatus::Affected,
                _ => VexStatus::UnderInvestigation,
            };
            plan.vex.push(VolumeVex {
                product: p,
                version: v,
                cve: plan.advisories[a].0.clone(),
                status,
                justification: (status == VexStatus::NotAffected)
                    .then(|| "vulnerable_code_not_in_execute_path".to_string()),
            });
        }
        plan
    }

    /// A product version, and an advisory naming a package its SBOM holds.
    fn held_cve(&self, g: &mut Gen) -> Option<(usize, usize, usize)> {
        let p = g.below(self.products.len());
        let v = g.below(self.products[p].versions.len());
        let named: Vec<usize> = self
            .sbom_entries(p, v, 0)
            .into_iter()
            .filter(|(e, _)| self.by_package.contains_key(e))
            .map(|(e, _)| e)
            .collect();
        let e = *named.get(g.below(named.len().max(1)))?;
        let advisories = &self.by_package[&e];
        Some((p, v, advisories[g.below(advisories.len())]))
    }

    /// The packages (and which of their versions) in the SBOM of a product's version, in
    /// document order; `upload` draws another SBOM for the same version.
    fn sbom_entries(&self, p: usize, v: usize, upload: usize) -> Vec<(usize, usize)> {
        let seed = (p as u64 + 1) * 1_000_003 + (v as u64) * 7_919 + upload as u64 * 104_729;
        let mut g = Gen::new(seed);
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(self.components);
        while out.len() < self.components.min(self.entries.len()) {
            let e = g.below(self.entries.len()).min(g.below(self.entries.len()));
            if seen.insert(e) {
                out.push((e, g.below(self.entries[e].versions.len())));
            }
        }
        out
    }

    /// The checked components of a product version's SBOM, as an upload would keep them.
    fn sbom(&self, p: usize, v: usize) -> Vec<Component> {
        let asset = format!("{} {}", self.products[p].name, self.products[p].versions[v]);
        self.sbom_entries(p, v, 0)
            .into_iter()
            .map(|(e, n)| {
                let entry = &self.entries[e];
                let version = &entry.versions[n].0;
                ComponentInput {
                    asset: asset.clone(),
                    asset_type: "library".into(),
                    product: purl(&entry.identity)
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .into(),
                    version: version.clone(),
                    purl: format!("{}@{version}", purl(&entry.identity)),
                    ..Default::default()
                }
                .validate("")
                .expect("generated components are valid")
            })
            .collect()
    }

    /// A CycloneDX SBOM of a product version, as its supplier would upload it.
    fn cyclonedx(&self, p: usize, v: usize, upload: usize) -> Vec<u8> {
        let components: Vec<Value> = self
            .sbom_entries(p, v, upload)
            .into_iter()
            .map(|(e, n)| {
                let entry = &self.entries[e];
                let version = &entry.versions[n].0;
                let base = purl(&entry.identity);
                json!({"type": "library", "name": base.rsplit('/').next(), "version": version,
                       "purl": format!("{base}@{version}")})
            })
            .collect();
        serde_json::to_vec(&json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6",
            "metadata": {"component": {"type": "application",
                "name": self.products[p].name, "version": self.products[p].versions[v]}},
            "components": components
        }))
        .expect("JSON serialises")
    }
}

fn exposure_uri(cve: &str) -> String {
    format!("/api/v1/exposure?cve={cve}")
}

fn request(method: &str, uri: &str, token: &str, body: Option<(&str, Vec<u8>)>) -> Request<Body> {
    let r = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    match body {
        Some((kind, bytes)) => r.header(header::CONTENT_TYPE, kind).body(Body::from(bytes)),
        None => r.body(Body::empty()),
    }
    .expect("a valid request")
}

pub async fn suppliers(
    app: App,
    settings: &crate::config::Settings,
    engine: &str,
    b: SupplierBench,
) -> Result<()> {
    let cli = Actor::cli();
    let orgs = app.export_orgs(&cli).await?;
    require_national(orgs.len())?;
    let active: Vec<i64> = orgs.iter().filter(|o| o.active).map(|o| o.id).collect();
    let mut suppliers: Vec<i64> = orgs
        .iter()
        .filter(|o| o.org_type == OrgType::ItSupplier && o.active && o.code != SUPPLIER)
        .map(|o| o.id)
        .collect();
    let demo_supplier = orgs
        .iter()
        .find(|o| o.code == SUPPLIER)
        .context("the demo supplier 8J000 is not in the register")?;
    suppliers.insert(0, demo_supplier.id);
    if suppliers.len() < b.suppliers {
        bail!(
            "the register holds {} active IT suppliers; ask for at most that many with --suppliers",
            suppliers.len()
        );
    }
    suppliers.truncate(b.suppliers);
    anyhow::ensure!(
        b.notice_customers <= active.len(),
        "--notice-customers is more than the {} active organisations",
        active.len()
    );

    let t = Instant::now();
    let plan = Plan::new(&b, &suppliers, &active);
    println!(
        "generated: {} products, {} links, {} advisories, {} VEX statements in {:.1} s",
        plan.products.len(),
        plan.links.len(),
        plan.advisories.len(),
        plan.vex.len(),
        t.elapsed().as_secs_f64()
    );
    let store = palisade_store::SqlStore::connect(&settings.database_url, 4).await?;
    let t = Instant::now();
    let sbom = |p: usize, v: usize| plan.sbom(p, v);
    let (ids, written) = seed_supplier_volume(
        &store,
        SupplierVolume {
            products: &plan.products,
            links: &plan.links,
            sbom: &sbom,
            vex: &plan.vex,
            now: app.now(),
        },
    )
    .await?;
    store.close().await;
    let sboms = plan.products.len() * b.versions;
    if written {
        println!(
            "seeded {} products, {} links, {sboms} SBOMs ({} components) and {} VEX statements in {:.1} s",
            ids.len(),
            plan.links.len(),
            sboms * b.components,
            plan.vex.len(),
            t.elapsed().as_secs_f64()
        );
    }
    // The advisories, as the national administrator imports an OSV dump (again on a second
    // run: an import of the same records changes nothing).
    let files: Vec<(String, Vec<u8>)> = plan
        .advisories
        .iter()
        .enumerate()
        .map(|(n, (_, _, doc))| (format!("BENCH-{n}.json"), doc.clone()))
        .collect();
    let t = Instant::now();
    let import = app
        .import_osv(&cli, &palisade_formats::files::Documents::Files(&files))
        .await?;
    println!(
        "database: {engine} ({} organisations, {} suppliers, {sboms} SBOMs); OSV import of {} advisories ({} changed) in {:.1} s",
        orgs.len(),
        suppliers.len(),
        import.read,
        import.changed,
        t.elapsed().as_secs_f64()
    );

    let router = router(&app);
    let admin = app.find_person_by_email(super::DEMO_ADMIN).await?;
    let (_, token) = app.create_token_for(&cli, admin.id, "bench").await?;

    // The first question builds both indexes: the organisations' components and the SBOMs.
    // The sample is every advisory in turn (a CVE as a feed brings it); the heavy sample takes
    // a package an SBOM holds, so popular packages come up as often as SBOMs hold them (a
    // Log4Shell).
    let step = (plan.advisories.len() / (b.runs * 4)).max(1);
    let sample: Vec<String> = plan
        .advisories
        .iter()
        .step_by(step)
        .map(|(cve, _, _)| cve.clone())
        .collect();
    let mut g = Gen::new(0x9e37_79b9_7f4a_7c15);
    let heavy: Vec<String> = (0..b.runs)
        .filter_map(|_| {
            plan.held_cve(&mut g)
                .map(|(_, _, a)| plan.advisories[a].0.clone())
        })
        .collect();
    let t = Instant::now();
    let first = request("GET", &exposure_uri(&sample[0]), &token, None);
    expect(&router, first, StatusCode::OK).await?;
    println!(
        "{:<44} {:.1} s (once, as the server starts)",
        "exposure indexes built",
        t.elapsed().as_secs_f64()
    );
    for (label, cves) in [
        ("one CVE's exposure, supplier paths included", &sample),
        ("a CVE of a package SBOMs hold (heavy)", &heavy),
    ] {
        let exposed = std::cell::RefCell::new(Vec::new());
        let times = timed(cves.len(), |i| {
            let cve = &cves[if i == usize::MAX { 0 } else { i }];
            let req = request("GET", &exposure_uri(cve), &token, None);
            let router = &router;
            let exposed = &exposed;
            async move {
                let body = expect(router, req, StatusCode::OK).await?;
                let v: Value = serde_json::from_slice(&body)?;
                if i != usize::MAX {
                    exposed
                        .borrow_mut()
                        .push(v["meta"]["total"].as_u64().unwrap_or(0));
                }
                anyhow::Ok(())
            }
        })
        .await?;
        let mut exposed = exposed.into_inner();
        exposed.sort();
        println!("{label:<44} {}", summary(times));
        println!(
            "{:<44} organisations exposed: median {}, least {}, most {}",
            "",
            exposed[exposed.len() / 2],
            exposed[0],
            exposed[exposed.len() - 1]
        );
    }

    // Eight people asking at once, each about the sample in its own order.
    let (shared, key) = (sample.clone(), token.clone());
    let all = at_once(&router, b.clients, sample.len(), move |c, i| {
        let cve = &shared[(i + c * 7) % shared.len()];
        request("GET", &exposure_uri(cve), &key, None)
    })
    .await?;
    println!(
        "{:<44} {}",
        format!("the same, {} clients at once", b.clients),
        summary(all)
    );

    // The national team's charter figures: every supplier's signature, commitments and reach.
    let figures = timed(b.runs.clamp(3, 10), |_| {
        let req = request("GET", "/api/v1/charter/figures", &token, None);
        let router = &router;
        async move { expect(router, req, StatusCode::OK).await }
    })
    .await?;
    println!("{:<44} {}", "national charter figures", summary(figures));

    // An SBOM uploaded by the demo supplier's lead, then the next answer, which applies it.
    let lead = app.find_person_by_email(SUPPLIER_LEAD).await?;
    let (_, lead_token) = app.create_token_for(&cli, lead.id, "bench").await?;
    let (mut uploads, mut answers, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..b.runs.clamp(3, 10) {
        let version = run % b.versions;
        let doc = plan.cyclonedx(0, version, run + 1);
        let uri = format!(
            "/api/v1/organisations/{SUPPLIER}/products/{}/versions/{}/sbom",
            ids[0], plan.products[0].versions[version]
        );
        let put = request(
            "PUT",
            &uri,
            &lead_token,
            Some(("application/vnd.cyclonedx+json", doc)),
        );
        let t = Instant::now();
        expect(&router, put, StatusCode::OK).await?;
        let uploaded = t.elapsed();
        let cve = &sample[run % sample.len()];
        let a = Instant::now();
        expect(
            &router,
            request("GET", &exposure_uri(cve), &token, None),
            StatusCode::OK,
        )
        .await?;
        answers.push(a.elapsed());
        uploads.push(uploaded);
        totals.push(t.elapsed());
    }
    println!(
        "{:<44} {}",
        format!("SBOM upload ({} components, API)", b.components),
        summary(uploads)
    );
    println!(
        "{:<44} {}",
        "next exposure answer (index brought up to date)",
        summary(answers)
    );
    println!("{:<44} {}", "upload and answer together", summary(totals));

    // A notice about an incident at the demo supplier to every customer of its first product.
    let now = palisade_domain::clock::rfc3339(palisade_domain::clock::from_unix(app.now() - 3600));
    let report = json!({
        "title": "Ransomware at a hosting supplier (bench)",
        "description": "Hosting platform encrypted.",
        "kind": "ransomware", "started_at": now, "aware_at": now, "cia": ["availability"],
        "personal_data": false, "likelihood": "likely", "impact": "serious",
        "systems": ["Hosting platform"], "notify": true
    });
    let body = expect(
        &router,
        request(
            "POST",
            &format!("/api/v1/organisations/{SUPPLIER}/incidents"),
            &lead_token,
            Some(("application/json", serde_json::to_vec(&report)?)),
        ),
        StatusCode::CREATED,
    )
    .await?;
    let incident: Value = serde_json::from_slice(&body)?;
    let reference = incident["reference"]
        .as_str()
        .context("the incident has no reference")?
        .to_string();
    let stamp = app.now();
    let mut fanned = Vec::new();
    let (mut recipients, mut messages) = (0, 0);
    for run in 0..b.runs.clamp(3, 10) {
        let notice = json!({
            "title": format!("Hosting outage, update {run} ({stamp})"),
            "message": "Our hosting platform is down; your service may be unavailable.",
            "products": [ids[0]]
        });
        let t = Instant::now();
        let body = expect(
            &router,
            request(
                "POST",
                &format!("/api/v1/organisations/{SUPPLIER}/incidents/{reference}/supplier-notices"),
                &lead_token,
                Some(("application/json", serde_json::to_vec(&notice)?)),
            ),
            StatusCode::CREATED,
        )
        .await?;
        fanned.push(t.elapsed());
        let sent: Value = serde_json::from_slice(&body)?;
        recipients = sent["notice"]["recipients"].as_u64().unwrap_or(0);
        messages = sent["messages"].as_u64().unwrap_or(0);
    }
    println!(
        "{:<44} {}",
        format!("notice to {recipients} customers ({messages} messages queued)"),
        summary(fanned)
    );
    Ok(())
}
