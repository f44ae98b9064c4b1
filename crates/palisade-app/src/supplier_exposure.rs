//! Exposure through suppliers: every SBOM in force (a supplier's product version and its
//! components) is held in a second in-memory index keyed by SBOM, built once and brought up to
//! date from the SBOM uploads before each question. A rule that names a component of a product
//! version's SBOM exposes every organisation using that version, through it.

use crate::{App, Result};
use palisade_domain::exposure::{ExposureIndex, Rule};
use palisade_domain::inventory::Component;
use palisade_domain::policy::OrgId;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The SBOM index and what it holds.
#[derive(Default)]
pub(crate) struct HeldSboms {
    /// Keyed by (SBOM, the component's position in it).
    index: ExposureIndex<(i64, u32)>,
    /// Every SBOM up to this id is applied.
    last: i64,
    /// The SBOM in force for each product version.
    current: HashMap<(i64, String), i64>,
    /// Which product version each SBOM in the index describes.
    of_sbom: HashMap<i64, (i64, String)>,
    /// Who uses each product version (active or not: answers read the register), read whole
    /// once and then brought up to date from the link changes.
    users: Option<HeldUsers>,
}

/// The organisations using each product version, and the last link change applied.
struct HeldUsers {
    of_version: HashMap<(i64, String), BTreeSet<OrgId>>,
    last: i64,
}

/// A supplier's product version an organisation is exposed through, and its SBOM's components
/// the rules name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierPath {
    pub supplier_code: String,
    pub supplier_name: String,
    pub product_id: i64,
    pub product: String,
    pub version: String,
    pub components: Vec<Component>,
}

impl SupplierPath {
    /// The path in words: `through supplier product CareRecord 4.2 (8J000)`.
    pub fn describe(&self) -> String {
        format!(
            "through supplier product {} {} ({})",
            self.product, self.version, self.supplier_code
        )
    }
}

/// The product versions whose SBOMs the rules name, each with how many of its components, and
/// the organisations using each.
#[derive(Debug, Clone, Default)]
pub(crate) struct SupplierMatches {
    /// (product, version) to its SBOM's id and the positions of the components the rules name.
    pub versions: BTreeMap<(i64, String), (i64, Vec<u32>)>,
    /// Organisation to the product versions it uses that match.
    pub users: BTreeMap<OrgId, Vec<(i64, String)>>,
    /// Product versions whose SBOMs the rules name, taken out by their supplier's VEX.
    pub suppressed: Vec<Suppressed>,
    /// Each version's path once described, so a page of its users reads its SBOM once.
    described: HashMap<(i64, String), Option<SupplierPath>>,
}

/// A product version an exposure answer leaves out because its supplier says, for every CVE
/// asked about, that it is not affected or is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub supplier_code: String,
    pub product: String,
    pub version: String,
    pub statements: Vec<palisade_store::VexRecord>,
}

impl App {
    /// Applies SBOMs uploaded since the index was last brought up to date: each replaces what
    /// the index held for its product version.
    async fn refresh_sboms(&self, held: &mut HeldSboms) -> Result<()> {
        let (fresh, newest) = self.store.sboms_since(held.last).await?;
        // Fifty SBOMs (and those they replace) read a statement at a time.
        for batch in fresh.chunks(50) {
            let replaced: Vec<i64> = batch
                .iter()
                .filter_map(|sbom| {
                    held.current
                        .get(&(sbom.product_id, sbom.version.clone()))
                        .copied()
                })
                .collect();
            let mut ids: Vec<i64> = batch
                .iter()
                .map(|s| s.id)
                .chain(replaced.iter().copied())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            // An SBOM may replace itself: a refresh that failed part-way put it in without
            // moving `last`. Its components are taken out, then put back, never lost.
            let components = self.store.sbom_components(&ids).await?;
            let none = Vec::new();
            for old in replaced {
                for (n, c) in (0..).zip(components.get(&old).unwrap_or(&none)) {
                    held.index
                        .remove(&c.identity(), c.version.as_deref(), (old, n));
                }
                held.of_sbom.remove(&old);
            }
            for sbom in batch {
                for (n, c) in (0..).zip(components.get(&sbom.id).unwrap_or(&none)) {
                    // Every stored component was checked at upload, so its version orders.
                    let _ = held
                        .index
                        .insert(&c.identity(), c.version.as_deref(), (sbom.id, n));
                }
                let key = (sbom.product_id, sbom.version.clone());
                held.current.insert(key.clone(), sbom.id);
                held.of_sbom.insert(sbom.id, key);
            }
        }
        held.last = held.last.max(newest);
        Ok(())
    }

    /// Reads who uses each product version, the first time, then applies the link changes
    /// since. The snapshot is read after the last change's id, so replaying the changes after
    /// that id (some perhaps already in it) ends where the database is.
    async fn refresh_users(&self, held: &mut HeldSboms) -> Result<()> {
        let users = match &mut held.users {
            Some(users) => users,
            None => {
                let last = self.store.last_link_change().await?;
                let mut of_version: HashMap<(i64, String), BTreeSet<OrgId>> = HashMap::new();
                for (org, product, version) in self.store.all_links().await? {
                    of_version
                        .entry((product, version))
                        .or_default()
                        .insert(org);
                }
                held.users.insert(HeldUsers { of_version, last })
            }
        };
        for c in self.store.link_changes_after(users.last).await? {
            let orgs = users
                .of_version
                .entry((c.product_id, c.version))
                .or_default();
            if c.added {
                orgs.insert(c.org_id);
            } else {
                orgs.remove(&c.org_id);
            }
            users.last = c.id;
        }
        Ok(())
    }

    /// How many active organisations use anything each supplier offers, by supplier code:
    /// counted from who uses each product version as held for exposure answers, so the national
    /// figures read no links.
    pub(crate) async fn customers_by_supplier(&self) -> Result<HashMap<String, usize>> {
        let inactive: HashSet<OrgId> = self.store.inactive_orgs().await?.into_iter().collect();
        let per_product: HashMap<i64, HashSet<OrgId>> = {
            let mut guard = self.estate_index.sboms.lock().await;
            let held = guard.get_or_insert_with(HeldSboms::default);
            self.refresh_users(held).await?;
            let users = held.users.as_ref().expect("read above");
            let mut per: HashMap<i64, HashSet<OrgId>> = HashMap::new();
            for ((product, _), orgs) in &users.of_version {
                per.entry(*product)
                    .or_default()
                    .extend(orgs.iter().filter(|o| !inactive.contains(o)));
            }
            per
        };
        let products: Vec<i64> = per_product.keys().copied().collect();
        let owners = self.store.product_suppliers(&products).await?;
        let mut per_supplier: HashMap<String, HashSet<OrgId>> = HashMap::new();
        for (product, orgs) in per_product {
            if let Some((code, _, _)) = owners.get(&product) {
                per_supplier.entry(code.clone()).or_default().extend(orgs);
            }
        }
        Ok(per_supplier
            .into_iter()
            .map(|(code, orgs)| (code, orgs.len()))
            .collect())
    }

    /// The product versions whose SBOMs any of the rules name, and who uses them; a version
    /// whose VEX says, for every one of `cves`, not affected or fixed is left out (and said).
    pub(crate) async fn supplier_matches(
        &self,
        rules: &[Rule],
        cves: &[palisade_domain::ident::CveId],
    ) -> Result<SupplierMatches> {
        let (mut versions, mut users_of) = {
            let mut guard = self.estate_index.sboms.lock().await;
            let held = guard.get_or_insert_with(HeldSboms::default);
            self.refresh_sboms(held).await?;
            let mut per_sbom: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
            held.index.for_each_match_of_any(rules, |_, (sbom, n)| {
                per_sbom.entry(sbom).or_default().push(n)
            });
            let versions: BTreeMap<(i64, String), (i64, Vec<u32>)> = per_sbom
                .into_iter()
                .filter_map(|(sbom, mut at)| {
                    at.sort_unstable();
                    at.dedup();
                    held.of_sbom.get(&sbom).map(|k| (k.clone(), (sbom, at)))
                })
                .collect();
            let mut users_of: BTreeMap<(i64, String), Vec<OrgId>> = BTreeMap::new();
            if !versions.is_empty() {
                self.refresh_users(held).await?;
                let users = held.users.as_ref().expect("read above");
                for key in versions.keys() {
                    if let Some(orgs) = users.of_version.get(key) {
                        users_of.insert(key.clone(), orgs.iter().copied().collect());
                    }
                }
            }
            (versions, users_of)
        };
        let mut suppressed = Vec::new();
        if !versions.is_empty() && !cves.is_empty() {
            let keys: Vec<(i64, String)> = versions.keys().cloned().collect();
            let asked: Vec<String> = cves.iter().map(|c| c.as_str().to_string()).collect();
            let said = self.store.vex_about(&keys, &asked).await?;
            let mut covered = Vec::new();
            for key in keys {
                let about: Vec<palisade_store::VexRecord> = said
                    .iter()
                    .filter(|v| v.product_id == key.0 && v.version == key.1)
                    .cloned()
                    .collect();
                // Suppressed only when the supplier says so of every CVE asked, and nothing it
                // says of one contradicts that: a statement that it is affected (say, of
                // another component of the same version) keeps the version in.
                let settled = |cve: &String| {
                    let of_cve = || about.iter().filter(|v| &v.cve == cve);
                    of_cve().next().is_some() && of_cve().all(|v| v.status.suppresses())
                };
                if asked.iter().all(settled) {
                    versions.remove(&key);
                    users_of.remove(&key);
                    covered.push((key, about));
                }
            }
            let products: Vec<i64> = covered.iter().map(|((p, _), _)| *p).collect();
            let suppliers = self.store.product_suppliers(&products).await?;
            for ((product_id, version), statements) in covered {
                if let Some((supplier_code, _, product)) = suppliers.get(&product_id) {
                    suppressed.push(Suppressed {
                        supplier_code: supplier_code.clone(),
                        product: product.clone(),
                        version,
                        statements,
                    });
                }
            }
        }
        let mut users: BTreeMap<OrgId, Vec<(i64, String)>> = BTreeMap::new();
        for key in versions.keys() {
            for org in users_of.remove(key).unwrap_or_default() {
                users.entry(org).or_default().push(key.clone());
            }
        }
        Ok(SupplierMatches {
            versions,
            users,
            suppressed,
            described: HashMap::new(),
        })
    }

    /// Describes every path these organisations are exposed through that is not described
    /// yet, in two statements: the products' suppliers, and the SBOM components the rules name
    /// (by position, not whole SBOMs).
    pub(crate) async fn describe_paths(
        &self,
        matches: &mut SupplierMatches,
        orgs: &[OrgId],
    ) -> Result<()> {
        let keys: BTreeSet<(i64, String)> = orgs
            .iter()
            .filter_map(|o| matches.users.get(o))
            .flatten()
            .filter(|k| !matches.described.contains_key(*k))
            .cloned()
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        let products: Vec<i64> = keys.iter().map(|(p, _)| *p).collect();
        let suppliers = self.store.product_suppliers(&products).await?;
        let wanted: Vec<(i64, Vec<u32>)> = keys
            .iter()
            .filter_map(|k| matches.versions.get(k).cloned())
            .collect();
        let mut components = self.store.sbom_components_at(&wanted).await?;
        for key in keys {
            let path = match (matches.versions.get(&key), suppliers.get(&key.0)) {
                (Some((sbom, _)), Some((supplier_code, supplier_name, product))) => {
                    Some(SupplierPath {
                        supplier_code: supplier_code.clone(),
                        supplier_name: supplier_name.clone(),
                        product_id: key.0,
                        product: product.clone(),
                        version: key.1.clone(),
                        components: components.remove(sbom).unwrap_or_default(),
                    })
                }
                _ => None,
            };
            matches.described.insert(key, path);
        }
        Ok(())
    }
}

impl SupplierMatches {
    /// The paths an organisation is exposed through, once [`App::describe_paths`] has
    /// described them.
    pub(crate) fn paths_of(&self, org: OrgId) -> Vec<SupplierPath> {
        self.users
            .get(&org)
            .into_iter()
            .flatten()
            .filter_map(|k| self.described.get(k).cloned().flatten())
            .collect()
    }
}
