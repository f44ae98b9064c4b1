//! Exposure: which organisations run what an alert, a CVE or a known exploited vulnerability
//! names. Every organisation's current components are held in one in-memory index (identity,
//! then versions in the ecosystem's order, each with the organisations running it), built from
//! the database once and then brought up to date from the upload history before each question:
//! an upload records what it added and removed, and upload ids are committed in order, so every
//! server follows every upload whoever took it.

use palisade_formats::csv_out::CsvOut;
use std::collections::{BTreeMap, HashMap};

use crate::{Actor, App, AppError, Result};
use std::sync::Arc;

use palisade_domain::exposure::{ExposureIndex, Identity, Rule, rules_for_product};
use palisade_domain::ident::{Cpe23, CveId, Purl};
use palisade_domain::inventory::{Component, identity_of};
use palisade_domain::kev::KevEntry;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction, OrgId, Scope};
use palisade_store::{InventoryChange, Organisation};

pub use crate::org_exposure::{ORG_MATCH_LISTED, OrgMatch};

/// Organisations read per statement while the index is built.
const BUILD_BATCH: i64 = 500;

pub(crate) struct Held {
    pub(crate) index: ExposureIndex<OrgId>,
    /// Which organisations known exploited vulnerabilities reach, worked out on first asking
    /// and then moved with the index.
    pub(crate) kev: Option<crate::known_exploited::KevReach>,
    /// Every upload up to this id is in the index.
    pub(crate) last_upload: i64,
    /// The upload each organisation's components in the index come from.
    pub(crate) org_upload: HashMap<OrgId, i64>,
    /// Read from its snapshot when the server started, rather than built from the database.
    pub(crate) from_snapshot: bool,
    /// The last upload the snapshot on disk holds (none written yet: -1).
    pub(crate) written_upload: i64,
}

/// The index, built on first use (or when the server starts) and shared by every request, and
/// the published alerts' rules, compiled again only when something is published.
#[derive(Default)]
pub(crate) struct EstateIndex {
    pub(crate) held: tokio::sync::Mutex<Option<Held>>,
    /// The index has been built once (it is then only brought up to date).
    ready: std::sync::atomic::AtomicBool,
    /// Suppliers' SBOMs in force, by product version (`supplier_exposure`).
    pub(crate) sboms: tokio::sync::Mutex<Option<crate::supplier_exposure::HeldSboms>>,
    alerts: std::sync::Mutex<Option<(PublishedStamp, Arc<Vec<RuleSet>>)>>,
}

/// What changes whenever anything is published (see `PublishedStore::published_stamp`).
type PublishedStamp = (i64, Option<i64>);

/// An alert or advisory ready to match: where it came from, the CVEs it names and its products
/// as rules, compiled once rather than on every question.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub source: Source,
    pub cves: Vec<CveId>,
    pub rules: Vec<Rule>,
}

/// The rules of products; one whose range cannot be read in its ecosystem is left out (the
/// alert or advisory was checked when it was written).
pub(crate) fn rules_of(products: &[palisade_domain::alert::AffectedProduct]) -> Vec<Rule> {
    products
        .iter()
        .filter_map(|p| rules_for_product(p).ok())
        .flatten()
        .collect()
}

/// Where the rules of an exposure question came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A published alert (its reference and title), with versions where its products give them.
    Alert { reference: String, title: String },
    /// An advisory from a feed (`osv` or `csaf`), with the versions its products give.
    Advisory {
        feed: &'static str,
        id: String,
        title: String,
    },
    /// A known exploited vulnerability with no advisory giving versions: every version of the
    /// product its catalogue entry names.
    KevProduct { cve: CveId },
}

/// One exposed organisation and its components the rules name.
#[derive(Debug, Clone)]
pub struct ExposedOrg {
    pub code: String,
    /// The organisation's name, for national roles only: anyone else sees their own
    /// organisations by code.
    pub name: Option<String>,
    pub components: Vec<MatchedComponent>,
    /// Suppliers' product versions it uses whose SBOMs the rules name.
    pub through: Vec<crate::supplier_exposure::SupplierPath>,
}

/// A component an exposure answer names, and which of the answer's sources name it.
#[derive(Debug, Clone)]
pub struct MatchedComponent {
    pub component: Component,
    /// Positions in [`ExposureReport::sources`], in order.
    pub sources: Vec<usize>,
}

/// The answer to an exposure question.
#[derive(Debug, Clone)]
pub struct ExposureReport {
    pub sources: Vec<Source>,
    /// The catalogue entry, when the question is about a known exploited vulnerability.
    pub kev: Option<KevEntry>,
    /// Exposed organisations the actor may see, by code.
    pub organisations: Page<ExposedOrg>,
    /// Matching components across those organisations.
    pub components: usize,
    /// Suppliers' product versions left out: their VEX says not affected or fixed.
    pub suppressed: Vec<crate::supplier_exposure::Suppressed>,
}

/// The identity of a change as the history stores it (its CPE and package URL as text).
fn change_identity(c: &InventoryChange) -> Result<Identity> {
    let bad =
        |what: &str, v: &str| AppError::Internal(format!("stored {what} '{v}' is not recognised"));
    let cpe = c
        .cpe
        .as_deref()
        .map(|v| Cpe23::parse(v).map_err(|_| bad("CPE", v)))
        .transpose()?;
    let purl = c
        .purl
        .as_deref()
        .map(|v| Purl::parse(v).map_err(|_| bad("package URL", v)))
        .transpose()?;
    Ok(identity_of(
        &c.vendor,
        &c.product,
        cpe.as_ref(),
        purl.as_ref(),
    ))
}

impl App {
    /// Builds the exposure index now, if it is not built: the server calls this as it starts,
    /// so the first question does not wait. Returns the components held.
    pub async fn warm_exposure_index(&self) -> Result<usize> {
        self.with_index(|ix| ix.len()).await
    }

    /// Holds the index as its first build does, until the returned guard is dropped: what every
    /// question sees while a server is starting. For tests of that state, before any question
    /// has built the index (once built, questions wait for the guard instead).
    #[doc(hidden)]
    pub async fn hold_exposure_index(&self) -> impl Send + '_ {
        self.estate_index.held.lock().await
    }

    async fn with_index<R>(&self, f: impl FnOnce(&ExposureIndex<OrgId>) -> R) -> Result<R> {
        self.with_index_held(|held| f(&held.index)).await
    }

    /// `f` over the index, or `None` while it is being built for the first time (as the server
    /// starts: seconds at national scale), so that a page need not wait for it.
    async fn with_index_if_ready<R>(
        &self,
        f: impl FnOnce(&ExposureIndex<OrgId>) -> R,
    ) -> Result<Option<R>> {
        self.with_held_if_ready(|held| f(&held.index)).await
    }

    /// `f` over the index and what is kept with it, or `None` while the index is first built.
    pub(crate) async fn with_held_if_ready<R>(
        &self,
        f: impl FnOnce(&mut Held) -> R,
    ) -> Result<Option<R>> {
        let ready = self
            .estate_index
            .ready
            .load(std::sync::atomic::Ordering::Acquire);
        if !ready && self.estate_index.held.try_lock().is_err() {
            return Ok(None);
        }
        self.with_index_held(f).await.map(Some)
    }

    pub(crate) async fn with_index_held<R>(&self, f: impl FnOnce(&mut Held) -> R) -> Result<R> {
        let mut guard = self.estate_index.held.lock().await;
        let first = guard.is_none();
        if first {
            *guard = Some(match self.read_index_snapshot().await {
                Some(held) => held,
                None => self.build_index().await?,
            });
            self.estate_index
                .ready
                .store(true, std::sync::atomic::Ordering::Release);
        }
        let held = guard.as_mut().expect("built above");
        let before = held.last_upload;
        self.refresh_index(held).await?;
        // Kept for the next start: a build, or a snapshot that had uploads to catch up on.
        if first && (!held.from_snapshot || held.last_upload != before) {
            self.write_index_snapshot(held).await;
        }
        Ok(f(held))
    }

    async fn build_index(&self) -> Result<Held> {
        let started = std::time::Instant::now();
        // Read the last upload first: anything later is applied from the history afterwards,
        // unless the snapshot read already holds it.
        let last_upload = self.store.last_upload_id().await?;
        let mut held = Held {
            index: ExposureIndex::new(),
            last_upload,
            org_upload: HashMap::new(),
            kev: None,
            from_snapshot: false,
            written_upload: -1,
        };
        let mut after = 0;
        loop {
            let batch = self.store.snapshot_batch(after, BUILD_BATCH).await?;
            let Some((last, _, _)) = batch.last() else {
                break;
            };
            after = *last;
            for (org, upload, components) in batch {
                for c in &components {
                    // Every stored component was checked at upload, so its version orders.
                    let _ = held.index.insert(&c.identity(), c.version.as_deref(), org);
                }
                held.org_upload.insert(org, upload);
            }
        }
        tracing::info!(
            components = held.index.len(),
            organisations = held.org_upload.len(),
            seconds = started.elapsed().as_secs_f64(),
            "exposure index built"
        );
        Ok(held)
    }

    pub(crate) async fn refresh_index(&self, held: &mut Held) -> Result<()> {
        for (id, org) in self.store.uploads_after(held.last_upload).await? {
            if held.org_upload.get(&org).is_none_or(|u| *u < id) {
                for c in self.store.all_changes(id).await? {
                    let identity = change_identity(&c)?;
                    let version = c.version.as_deref();
                    if c.added {
                        if held.index.insert(&identity, version, org).is_ok()
                            && let Some(kev) = &mut held.kev
                        {
                            kev.reach.add(&identity, version, org);
                        }
                    } else if held.index.remove(&identity, version, org)
                        && let Some(kev) = &mut held.kev
                    {
                        kev.reach.remove(&identity, version, org);
                    }
                }
                held.org_upload.insert(org, id);
            }
            held.last_upload = id;
        }
        Ok(())
    }

    /// Every published alert's and feed advisory's rules: the alerts compiled again only when
    /// something is published, the advisories when their feed changes.
    pub(crate) async fn rule_sets(&self) -> Result<Vec<Arc<Vec<RuleSet>>>> {
        let stamp = self.store.published_stamp().await?;
        let held = self
            .estate_index
            .alerts
            .lock()
            .map_err(|_| AppError::Internal("the alert rules lock was poisoned".into()))?
            .as_ref()
            .filter(|(s, _)| *s == stamp)
            .map(|(_, sets)| sets.clone());
        let alerts = match held {
            Some(sets) => sets,
            None => {
                let sets: Arc<Vec<RuleSet>> = Arc::new(
                    self.all_published(true, false)
                        .await?
                        .into_iter()
                        .map(|v| RuleSet {
                            rules: rules_of(&v.fields.products),
                            source: Source::Alert {
                                reference: v.reference,
                                title: v.fields.title,
                            },
                            cves: v.fields.cves,
                        })
                        .collect(),
                );
                *self.estate_index.alerts.lock().map_err(|_| {
                    AppError::Internal("the alert rules lock was poisoned".into())
                })? = Some((stamp, sets.clone()));
                sets
            }
        };
        let mut out = vec![alerts];
        out.extend(self.advisory_rules().await?);
        Ok(out)
    }

    /// How many organisations run what each published alert names (their own estate), most
    /// first: (reference, title, organisations); `None` while the index is first being built.
    pub(crate) async fn published_alert_reach(
        &self,
    ) -> Result<Option<Vec<(String, String, usize)>>> {
        Ok(self
            .organisations_per_published_alert(|_| true)
            .await?
            .map(|per_alert| {
                let mut reach: Vec<(String, String, usize)> = per_alert
                    .into_iter()
                    .map(|(reference, title, hit)| (reference, title, hit.len()))
                    .filter(|r| r.2 > 0)
                    .collect();
                reach.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
                reach
            }))
    }

    /// For each published alert, the organisations `keep` admits whose components its rules
    /// name, each once: (reference, title, organisations).
    async fn organisations_per_published_alert(
        &self,
        keep: impl Fn(OrgId) -> bool,
    ) -> Result<Option<Vec<(String, String, Vec<OrgId>)>>> {
        let alerts = self.rule_sets().await?.swap_remove(0);
        self.with_index_if_ready(|index| per_published_alert(index, &alerts, keep))
            .await
    }

    /// The organisation's components any source's rules name, each with the sources naming it.
    async fn matching_components(
        &self,
        org: OrgId,
        sets: &[(Source, Vec<Rule>)],
    ) -> Result<Vec<MatchedComponent>> {
        let mut matched = Vec::new();
        self.store
            .each_component(org, &mut |c| {
                let identity = c.identity();
                let sources: Vec<usize> = sets
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, rules))| {
                        rules
                            .iter()
                            .any(|r| r.names(&identity, c.version.as_deref()))
                    })
                    .map(|(i, _)| i)
                    .collect();
                if !sources.is_empty() {
                    matched.push(MatchedComponent {
                        component: c,
                        sources,
                    });
                }
            })
            .await?;
        Ok(matched)
    }

    /// Who is exposed to a CVE: the published alerts and the feeds' advisories naming it (with
    /// the versions their products give) and, when none does, the known exploited
    /// vulnerability's product.
    pub async fn exposure_by_cve(
        &self,
        actor: &Actor,
        cve: &str,
        page: PageRequest,
    ) -> Result<ExposureReport> {
        let cve = CveId::parse(cve).map_err(|e| AppError::invalid("cve", e))?;
        // Every alert and advisory naming the CVE: their products together (a union).
        let mut sets: Vec<(Source, Vec<Rule>)> = Vec::new();
        for set in self.rule_sets().await?.iter().flat_map(|s| s.iter()) {
            if set.cves.contains(&cve) {
                sets.push((set.source.clone(), set.rules.clone()));
            }
        }
        let (kev, _) = self.kev_catalogue().await?;
        let kev = kev
            .binary_search_by(|e| e.cve.cmp(&cve))
            .ok()
            .map(|i| kev[i].clone());
        if sets.iter().all(|(_, rules)| rules.is_empty())
            && let Some(entry) = &kev
        {
            sets.push((
                Source::KevProduct { cve: cve.clone() },
                vec![entry.product_rule()],
            ));
        }
        self.exposure(actor, sets, kev, &[cve], page).await
    }

    /// Who is exposed to an alert's products; the organisations' own view shows only theirs.
    pub async fn alert_exposure(
        &self,
        actor: &Actor,
        reference: &str,
        page: PageRequest,
    ) -> Result<ExposureReport> {
        let alert = self.readable_alert(actor, reference).await?;
        let sets = vec![(
            Source::Alert {
                reference: alert.reference,
                title: alert.fields.title,
            },
            rules_of(&alert.fields.products),
        )];
        self.exposure(actor, sets, None, &alert.fields.cves, page)
            .await
    }

    async fn exposure(
        &self,
        actor: &Actor,
        sets: Vec<(Source, Vec<Rule>)>,
        kev: Option<KevEntry>,
        cves: &[CveId],
        page: PageRequest,
    ) -> Result<ExposureReport> {
        // Matching components per organisation, from the index: each once, however many
        // sources name it.
        let rules: Vec<Rule> = sets.iter().flat_map(|(_, r)| r.iter().cloned()).collect();
        let counts: BTreeMap<OrgId, usize> = self
            .with_index(|ix| {
                let mut counts = BTreeMap::new();
                ix.for_each_match_of_any(&rules, |_, org| *counts.entry(org).or_insert(0) += 1);
                counts
            })
            .await?;
        // Organisations using a supplier's product version whose SBOM the rules name are
        // exposed through it, each matching SBOM component counted once per organisation.
        let mut through = self.supplier_matches(&rules, cves).await?;
        let mut counts = counts;
        let direct: std::collections::HashSet<OrgId> = counts.keys().copied().collect();
        let mut through_counts: BTreeMap<OrgId, usize> = BTreeMap::new();
        for (org, used) in &through.users {
            let n: usize = used
                .iter()
                .filter_map(|k| through.versions.get(k))
                .map(|(_, at)| at.len())
                .sum();
            *counts.entry(*org).or_insert(0) += n;
            through_counts.insert(*org, n);
        }
        // National roles see every organisation; anyone else only those they act for.
        let mut visible: std::collections::HashSet<OrgId> =
            match actor.principal.scope(OrgAction::ViewInventory) {
                Scope::All => counts.keys().copied().collect(),
                scope => {
                    let mine: std::collections::HashSet<OrgId> = self
                        .store
                        .export_orgs(&scope)
                        .await?
                        .into_iter()
                        .map(|o| o.id)
                        .collect();
                    counts
                        .keys()
                        .copied()
                        .filter(|id| mine.contains(id))
                        .collect()
                }
            };
        // Only active organisations are exposed through a supplier (the links of one closed
        // since stay until its successor records its own).
        if !through_counts.is_empty() {
            for id in self.store.inactive_orgs().await? {
                if let Some(n) = through_counts.get(&id) {
                    *counts.entry(id).or_insert(0) -= n;
                    through.users.remove(&id);
                    if !direct.contains(&id) {
                        visible.remove(&id);
                    }
                }
            }
        }
        let components = visible.iter().map(|id| counts[id]).sum();
        // Only the page's organisations are read whole.
        let ids = self.store.org_page_by_code(&visible, page).await?;
        let mut orgs = self.store.orgs_by_ids(&ids).await?;
        orgs.sort_by(|a, b| a.code.cmp(&b.code));
        self.describe_paths(&mut through, &ids).await?;
        let names = actor.principal.may_global(GlobalAction::ViewNationalEstate);
        let mut items = Vec::with_capacity(orgs.len());
        for org in orgs {
            let matching = if direct.contains(&org.id) {
                self.matching_components(org.id, &sets).await?
            } else {
                Vec::new()
            };
            items.push(ExposedOrg {
                through: through.paths_of(org.id),
                code: org.code,
                name: names.then_some(org.name),
                components: matching,
            });
        }
        Ok(ExposureReport {
            sources: sets.into_iter().map(|(s, _)| s).collect(),
            kev,
            organisations: Page::of(items, visible.len() as i64, page),
            components,
            suppressed: through.suppressed,
        })
    }
}

/// One product release's unsupported systems across the organisations counted.
#[derive(Debug, Clone)]
pub struct ReleaseCount {
    pub slug: String,
    pub title: String,
    pub cycle: String,
    pub cycle_name: String,
    pub eol: palisade_domain::eol::Support,
    pub organisations: usize,
    pub devices: usize,
}

/// Organisations with unsupported systems and those systems, for one group (a type, a region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCount {
    pub group: String,
    pub organisations: usize,
    pub devices: usize,
}

/// The national estate on a day: what is unsupported where.
#[derive(Debug, Clone)]
pub struct NationalEstate {
    pub on: time::Date,
    /// Organisations with an inventory (of those the filter keeps).
    pub estates: usize,
    pub organisations: usize,
    pub devices: usize,
    /// Systems past their end but under a running extended-support agreement (not counted).
    pub covered: usize,
    /// Most devices first.
    pub releases: Vec<ReleaseCount>,
    pub by_type: Vec<GroupCount>,
    pub by_region: Vec<GroupCount>,
    /// Every organisation counted, with its unsupported systems per release (slug, cycle).
    pub per_org: Vec<(Organisation, OrgReleases)>,
    pub feed: Option<palisade_store::FeedRecord>,
}

/// Which organisations the national figures count.
#[derive(Debug, Clone, Default)]
pub struct EstateFilter {
    pub org_type: Option<palisade_domain::org::OrgType>,
    pub region: Option<String>,
}

/// A release: its product's slug and its cycle.
pub type ReleaseKey = (String, String);

/// One organisation's unsupported systems per release.
pub type OrgReleases = Vec<(ReleaseKey, usize)>;

/// Unsupported systems per (product slug, cycle), then per organisation.
type Tally = BTreeMap<ReleaseKey, BTreeMap<OrgId, usize>>;

impl App {
    /// The national estate on `on` (today when empty): national roles only. Counted from the
    /// exposure index, one lifecycle lookup per distinct version of each identity, less the
    /// systems an extended-support agreement covers, so the figures agree with every
    /// organisation's own page. Today's unfiltered figures are recorded for the trend.
    pub async fn national_estate(
        &self,
        actor: &Actor,
        on: Option<&str>,
        filter: &EstateFilter,
    ) -> Result<NationalEstate> {
        actor.require(GlobalAction::ViewNationalEstate)?;
        self.estate_on(on, filter).await
    }

    /// The national estate on a day, recording today's unfiltered figures for the trend: for
    /// [`App::national_estate`] and the daily job that keeps the trend when no one looks.
    pub(crate) async fn estate_on(
        &self,
        on: Option<&str>,
        filter: &EstateFilter,
    ) -> Result<NationalEstate> {
        let today = self.today();
        let on = match on.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => palisade_domain::dates::parse_date("on", raw)
                .map_err(palisade_domain::FieldErrors::from)?,
            None => today,
        };
        let (catalogue, feed) = self.eol_catalogue().await?;
        let (mut tally, estates): (Tally, Vec<OrgId>) = self
            .with_index_held(|held| {
                let mut tally = Tally::new();
                held.index.for_each_version(|identity, text, orgs| {
                    let Some(life) = catalogue.lifecycle(identity, text) else {
                        return;
                    };
                    if !life.eol.ended_on(on) {
                        return;
                    }
                    let key = (life.product.slug.clone(), life.cycle.cycle.clone());
                    let per_org = tally.entry(key).or_default();
                    for org in orgs {
                        *per_org.entry(*org).or_insert(0) += 1;
                    }
                });
                (tally, held.org_upload.keys().copied().collect())
            })
            .await?;
        // Take out the systems under a running extended-support agreement, counted by
        // organisation so that the filter below applies to them too.
        let mut covered: BTreeMap<OrgId, usize> = BTreeMap::new();
        let mut agreements: BTreeMap<OrgId, Vec<palisade_domain::eol::Mitigation>> =
            BTreeMap::new();
        for (org, m) in self.store.extended_support().await? {
            if m.mitigation.covers(on) {
                agreements.entry(org).or_default().push(m.mitigation);
            }
        }
        for (org, held) in agreements {
            self.store
                .each_component(org, &mut |c| {
                    if !held.iter().any(|m| m.is_for(&c)) {
                        return;
                    }
                    let Some(life) = catalogue.lifecycle_of(&c) else {
                        return;
                    };
                    if !life.eol.ended_on(on) {
                        return;
                    }
                    let key = (life.product.slug.clone(), life.cycle.cycle.clone());
                    if let Some(per_org) = tally.get_mut(&key)
                        && let Some(n) = per_org.get_mut(&org)
                    {
                        *covered.entry(org).or_insert(0) += 1;
                        *n -= 1;
                        if *n == 0 {
                            per_org.remove(&org);
                        }
                    }
                })
                .await?;
        }
        let orgs: HashMap<OrgId, Organisation> = self
            .store
            .orgs_by_ids(&estates)
            .await?
            .into_iter()
            .filter(|o| filter.org_type.is_none_or(|t| o.org_type == t))
            .filter(|o| filter.region.as_ref().is_none_or(|r| &o.region == r))
            .map(|o| (o.id, o))
            .collect();
        let mut releases = Vec::new();
        let mut per_org: BTreeMap<OrgId, OrgReleases> = BTreeMap::new();
        for ((slug, cycle), counts) in &tally {
            let kept: Vec<(OrgId, usize)> = counts
                .iter()
                .filter(|(org, _)| orgs.contains_key(org))
                .map(|(o, n)| (*o, *n))
                .collect();
            if kept.is_empty() {
                continue;
            }
            for (org, n) in &kept {
                per_org
                    .entry(*org)
                    .or_default()
                    .push(((slug.clone(), cycle.clone()), *n));
            }
            let product = catalogue.products().iter().find(|p| &p.slug == slug);
            let found = product.and_then(|p| p.cycles.iter().find(|c| &c.cycle == cycle));
            releases.push(ReleaseCount {
                title: product.map_or_else(|| slug.clone(), |p| p.title.clone()),
                cycle_name: found.map_or_else(|| cycle.clone(), |c| c.name().to_string()),
                eol: found.map_or(palisade_domain::eol::Support::Ended, |c| c.eol),
                slug: slug.clone(),
                cycle: cycle.clone(),
                organisations: kept.len(),
                devices: kept.iter().map(|(_, n)| n).sum(),
            });
        }
        releases.sort_by(|a, b| b.devices.cmp(&a.devices).then(a.title.cmp(&b.title)));
        let group = |key: &dyn Fn(&Organisation) -> String| {
            let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
            for (org, systems) in &per_org {
                let g = groups.entry(key(&orgs[org])).or_default();
                g.0 += 1;
                g.1 += systems.iter().map(|(_, n)| n).sum::<usize>();
            }
            groups
                .into_iter()
                .map(|(group, (organisations, devices))| GroupCount {
                    group,
                    organisations,
                    devices,
                })
                .collect::<Vec<_>>()
        };
        let by_type = group(&|o| o.org_type.label().to_string());
        let by_region = group(&|o| o.region.clone());
        let devices = releases.iter().map(|r| r.devices).sum();
        let estate = NationalEstate {
            on,
            estates: orgs.len(),
            organisations: per_org.len(),
            devices,
            covered: covered
                .iter()
                .filter(|(org, _)| orgs.contains_key(org))
                .map(|(_, n)| n)
                .sum(),
            releases,
            by_type,
            by_region,
            per_org: per_org
                .into_iter()
                .map(|(id, systems)| (orgs[&id].clone(), systems))
                .collect(),
            feed,
        };
        if on == today && filter.org_type.is_none() && filter.region.is_none() {
            self.store
                .record_estate_day(&palisade_store::EstateDay {
                    day: palisade_domain::dates::date_text(on),
                    organisations: estate.organisations as i64,
                    devices: estate.devices as i64,
                    estates: estate.estates as i64,
                })
                .await?;
        }
        Ok(estate)
    }

    /// The national count as recorded day by day (the latest `days`), oldest first.
    pub async fn estate_trend(
        &self,
        actor: &Actor,
        days: i64,
    ) -> Result<Vec<palisade_store::EstateDay>> {
        actor.require(GlobalAction::ViewNationalEstate)?;
        Ok(self.store.estate_days(days).await?)
    }
}

impl NationalEstate {
    /// The organisations running a release past its end, most devices first.
    pub fn release_organisations(&self, slug: &str, cycle: &str) -> Vec<(&Organisation, usize)> {
        let mut out: Vec<(&Organisation, usize)> = self
            .per_org
            .iter()
            .filter_map(|(org, systems)| {
                systems
                    .iter()
                    .find(|((s, c), _)| s == slug && c == cycle)
                    .map(|(_, n)| (org, *n))
            })
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code.cmp(&b.0.code)));
        out
    }

    /// One row per organisation and release: who runs how many unsupported systems of what.
    pub fn to_csv(&self) -> String {
        let mut w = CsvOut::new(
            &[
                "org_code",
                "org_name",
                "org_type",
                "region",
                "lifecycle",
                "release",
                "end_of_support",
                "devices",
            ],
            self.per_org.len(),
        );
        let names: HashMap<(&str, &str), (&str, String)> = self
            .releases
            .iter()
            .map(|r| {
                (
                    (r.slug.as_str(), r.cycle.as_str()),
                    (
                        r.cycle_name.as_str(),
                        palisade_domain::eol::support_text(r.eol),
                    ),
                )
            })
            .collect();
        for (org, systems) in &self.per_org {
            for ((slug, cycle), n) in systems {
                let (release, ended) = names
                    .get(&(slug.as_str(), cycle.as_str()))
                    .cloned()
                    .unwrap_or((cycle.as_str(), String::new()));
                w.row(&[
                    org.code.as_str(),
                    org.name.as_str(),
                    org.org_type.as_str(),
                    org.region.as_str(),
                    slug.as_str(),
                    release,
                    ended.as_str(),
                    &n.to_string(),
                ]);
            }
        }
        w.finish_text()
    }
}

/// What an organisation's inventory suggests about an alert: whether it applies, from the
/// components its products name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The organisation has uploaded an inventory (without one there is nothing to suggest).
    pub has_inventory: bool,
    /// Its components the alert's products name: it applies when there are any.
    pub components: Vec<Component>,
    /// Suppliers' product versions it uses whose SBOMs the alert's products name: it applies
    /// through them too.
    pub through: Vec<crate::supplier_exposure::SupplierPath>,
    /// Its components of a product the alert names but without a version, which no range can
    /// place: while nothing matches, they leave the answer open.
    pub unversioned: usize,
}

impl Suggestion {
    /// Whether the alert applies, as far as Palisade can tell: `None` with no inventory and no
    /// supplier path.
    pub fn applies(&self) -> Option<bool> {
        if !self.through.is_empty() || !self.components.is_empty() {
            return Some(true);
        }
        (self.has_inventory && self.unversioned == 0).then_some(false)
    }
}

impl App {
    /// The applicability an organisation's inventory suggests for an alert; `None` when the
    /// actor may not see the organisation's inventory.
    pub async fn suggested_applicability(
        &self,
        actor: &Actor,
        reference: &str,
        code: &str,
    ) -> Result<Option<Suggestion>> {
        let view = match self.org_for(actor, code, OrgAction::ViewInventory).await {
            Ok(v) => v,
            Err(AppError::Forbidden) => return Ok(None),
            Err(e) => return Err(e),
        };
        let alert = self.readable_alert(actor, reference).await?;
        let rules = rules_of(&alert.fields.products);
        let org = view.org.id;
        let (has_inventory, matches, unversioned) = self
            .with_index_held(|held| {
                let mut n = 0usize;
                held.index
                    .for_each_match_of_any(&rules, |_, o| n += usize::from(o == org));
                let mut identities: Vec<&palisade_domain::exposure::Identity> =
                    rules.iter().map(|r| &r.identity).collect();
                identities.sort_unstable();
                identities.dedup();
                let mut unversioned = 0usize;
                for identity in identities {
                    held.index
                        .for_each_unversioned(identity, |o| unversioned += usize::from(o == org));
                }
                (held.org_upload.contains_key(&org), n, unversioned)
            })
            .await?;
        let mut suppliers = self.supplier_matches(&rules, &alert.fields.cves).await?;
        self.describe_paths(&mut suppliers, &[org]).await?;
        let through = suppliers.paths_of(org);
        let components = if matches == 0 {
            Vec::new()
        } else {
            let source = Source::Alert {
                reference: alert.reference,
                title: alert.fields.title,
            };
            self.matching_components(org, &[(source, rules)])
                .await?
                .into_iter()
                .map(|m| m.component)
                .collect()
        };
        Ok(Some(Suggestion {
            has_inventory,
            components,
            through,
            unversioned,
        }))
    }
}

/// For each published alert among `alerts`, the organisations `keep` admits whose components
/// its rules name, each once: (reference, title, organisations).
pub(crate) fn per_published_alert(
    index: &ExposureIndex<OrgId>,
    alerts: &[RuleSet],
    keep: impl Fn(OrgId) -> bool,
) -> Vec<(String, String, Vec<OrgId>)> {
    let mut out = Vec::new();
    for set in alerts {
        let Source::Alert { reference, title } = &set.source else {
            continue;
        };
        let mut hit: Vec<OrgId> = Vec::new();
        for rule in &set.rules {
            index.for_each_match(rule, |_, org| {
                if keep(org) {
                    hit.push(org);
                }
            });
        }
        hit.sort_unstable();
        hit.dedup();
        out.push((reference.clone(), title.clone(), hit));
    }
    out
}
