//! Exposure: which organisations run what an alert, a CVE or a known exploited vulnerability
//! names. Every organisation's current components are held in one in-memory index (identity,
//! then versions in the ecosystem's order, each with the organisations running it), built from
//! the database once and then brought up to date from the upload history before each question:
//! an upload records what it added and removed, and upload ids are committed in order, so every
//! server follows every upload whoever took it.

use std::collections::{BTreeMap, HashMap};

use crate::{Actor, App, AppError, Result};
use palisade_domain::exposure::{ExposureIndex, Identity, Rule, rules_for_product};
use palisade_domain::ident::{Cpe23, CveId, Purl};
use palisade_domain::inventory::{Component, identity_of};
use palisade_domain::kev::KevEntry;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction, OrgId, Scope};
use palisade_store::{InventoryChange, Organisation};

/// Organisations read per statement while the index is built.
const BUILD_BATCH: i64 = 500;

struct Held {
    index: ExposureIndex<OrgId>,
    /// Every upload up to this id is in the index.
    last_upload: i64,
    /// The upload each organisation's components in the index come from.
    org_upload: HashMap<OrgId, i64>,
}

/// The index, built on first use (or when the server starts) and shared by every request.
#[derive(Default)]
pub(crate) struct EstateIndex(tokio::sync::Mutex<Option<Held>>);

/// Where the rules of an exposure question came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A published alert (its reference and title), with versions where its products give them.
    Alert { reference: String, title: String },
    /// A known exploited vulnerability with no advisory giving versions: every version of the
    /// product its catalogue entry names.
    KevProduct { cve: CveId },
}

/// One exposed organisation and its components the rules name.
#[derive(Debug, Clone)]
pub struct ExposedOrg {
    pub org: Organisation,
    pub components: Vec<Component>,
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

    async fn with_index<R>(&self, f: impl FnOnce(&ExposureIndex<OrgId>) -> R) -> Result<R> {
        let mut guard = self.estate_index.0.lock().await;
        if guard.is_none() {
            *guard = Some(self.build_index().await?);
        }
        let held = guard.as_mut().expect("built above");
        self.refresh_index(held).await?;
        Ok(f(&held.index))
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

    async fn refresh_index(&self, held: &mut Held) -> Result<()> {
        for (id, org) in self.store.uploads_after(held.last_upload).await? {
            if held.org_upload.get(&org).is_none_or(|u| *u < id) {
                for c in self.store.all_changes(id).await? {
                    let identity = change_identity(&c)?;
                    if c.added {
                        let _ = held.index.insert(&identity, c.version.as_deref(), org);
                    } else {
                        held.index.remove(&identity, c.version.as_deref(), org);
                    }
                }
                held.org_upload.insert(org, id);
            }
            held.last_upload = id;
        }
        Ok(())
    }

    /// Who is exposed to a CVE: the published alerts naming it (with the versions their
    /// products give) and, when no alert does, the known exploited vulnerability's product.
    pub async fn exposure_by_cve(
        &self,
        actor: &Actor,
        cve: &str,
        page: PageRequest,
    ) -> Result<ExposureReport> {
        let cve = CveId::parse(cve).map_err(|e| AppError::invalid("cve", e))?;
        let mut sources = Vec::new();
        let mut rules = Vec::new();
        for v in self.all_published(true, false).await? {
            if v.fields.cves.contains(&cve) {
                rules.extend(
                    v.fields
                        .products
                        .iter()
                        .filter_map(|p| rules_for_product(p).ok())
                        .flatten(),
                );
                sources.push(Source::Alert {
                    reference: v.reference,
                    title: v.fields.title,
                });
            }
        }
        let (kev, _) = self.kev_catalogue().await?;
        let kev = kev
            .binary_search_by(|e| e.cve.cmp(&cve))
            .ok()
            .map(|i| kev[i].clone());
        if rules.is_empty()
            && let Some(entry) = &kev
        {
            rules.push(entry.product_rule());
            sources.push(Source::KevProduct { cve: cve.clone() });
        }
        self.exposure(actor, sources, kev, rules, page).await
    }

    /// Who is exposed to an alert's products; the organisations' own view shows only theirs.
    pub async fn alert_exposure(
        &self,
        actor: &Actor,
        reference: &str,
        page: PageRequest,
    ) -> Result<ExposureReport> {
        let alert = self.readable_alert(actor, reference).await?;
        let rules = alert
            .fields
            .products
            .iter()
            .map(rules_for_product)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(AppError::Internal)?
            .into_iter()
            .flatten()
            .collect();
        let sources = vec![Source::Alert {
            reference: alert.reference,
            title: alert.fields.title,
        }];
        self.exposure(actor, sources, None, rules, page).await
    }

    async fn exposure(
        &self,
        actor: &Actor,
        sources: Vec<Source>,
        kev: Option<KevEntry>,
        rules: Vec<Rule>,
        page: PageRequest,
    ) -> Result<ExposureReport> {
        // Matching components per organisation, from the index.
        let counts: BTreeMap<OrgId, usize> = self
            .with_index(|ix| {
                let mut counts = BTreeMap::new();
                for rule in &rules {
                    ix.for_each_match(rule, |_, org| *counts.entry(org).or_insert(0) += 1);
                }
                counts
            })
            .await?;
        // National roles see every organisation; anyone else only those they act for.
        let visible: Vec<OrgId> = if actor.principal.may_global(GlobalAction::ViewNationalEstate) {
            counts.keys().copied().collect()
        } else {
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
            }
        };
        let components = visible.iter().map(|id| counts[id]).sum();
        let mut orgs = self.store.orgs_by_ids(&visible).await?;
        orgs.sort_by(|a, b| a.code.cmp(&b.code));
        let page_of = Page::slice(orgs, page);
        let mut items = Vec::with_capacity(page_of.items.len());
        for org in page_of.items {
            let matching = self
                .store
                .current_components(org.id)
                .await?
                .into_iter()
                .filter(|c| {
                    let identity = c.identity();
                    rules
                        .iter()
                        .any(|r| r.names(&identity, c.version.as_deref()))
                })
                .collect();
            items.push(ExposedOrg {
                org,
                components: matching,
            });
        }
        Ok(ExposureReport {
            sources,
            kev,
            organisations: Page::of(items, page_of.total as i64, page),
            components,
        })
    }
}
