//! The estate: data feeds (product lifecycles from endoflife.date so far), an organisation's
//! unsupported systems as of a day, and the mitigations it records for them.

use std::sync::Arc;

use crate::exposure::{RuleSet, Source, rules_of};
use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::advisory::Advisory;
use palisade_domain::dates::parse_date;
use palisade_domain::eol::{Catalogue, Cycle, MitigationInput, Product, Support};
use palisade_domain::inventory::Component;
use palisade_domain::kev::KevEntry;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_formats::eol::{parse_eol_files, parse_eol_zip};
use palisade_formats::files::Documents;
use palisade_formats::files::MAX_FEED_BYTES;
use palisade_formats::kev::parse_catalogue;
use palisade_store::{FeedRecord, StoredMitigation};
use sha2::{Digest, Sha256};
use time::Date;

/// The product lifecycle feed's name.
pub const EOL_FEED: &str = "eol";
/// The known exploited vulnerabilities feed's name.
pub const KEV_FEED: &str = "kev";

/// What a feed import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedImport {
    pub feed: &'static str,
    pub items: usize,
    /// `false` when the feed already held exactly this data: nothing was written.
    pub changed: bool,
    /// The newest date the data gives, as Unix time.
    pub data_time: Option<i64>,
}

/// One system that is past its end of support on the day asked about.
#[derive(Debug, Clone)]
pub struct UnsupportedSystem {
    pub component: Component,
    pub product_slug: String,
    pub product_title: String,
    pub cycle: Cycle,
    /// The version fits several cycles, all ended; `cycle` is the one supported longest.
    pub ambiguous: bool,
    pub eol: Support,
    pub eoes: Option<Support>,
    /// What the organisation has recorded doing about it (never an extended-support agreement
    /// still running: that makes the system supported).
    pub mitigation: Option<StoredMitigation>,
}

/// An organisation's unsupported systems on a day.
#[derive(Debug, Clone)]
pub struct UnsupportedReport {
    pub on: Date,
    pub systems: Page<UnsupportedSystem>,
    /// Components in the inventory.
    pub components: usize,
    /// Components past their end of support but under a running extended-support agreement.
    pub covered: usize,
    /// Of `systems`, those with no mitigation in force on the day: none recorded, or an
    /// extended-support agreement that does not run that day.
    pub unmitigated: usize,
    /// The lifecycle data used, and how current it is; `None` before any import.
    pub feed: Option<FeedRecord>,
}

/// A digest of a feed's items as stored: the same data always gives the same digest.
fn digest<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for item in items {
        h.update((item.len() as u64).to_be_bytes());
        h.update(item.as_bytes());
    }
    hex::encode(h.finalize())
}

fn midnight(d: Date) -> i64 {
    d.midnight().assume_utc().unix_timestamp()
}

impl App {
    /// Replaces the product lifecycles with these files (national admins only). Importing the
    /// same data again changes nothing and writes no audit entry.
    pub async fn import_eol(
        &self,
        actor: &Actor,
        files: &[(String, String)],
    ) -> Result<FeedImport> {
        actor.require(GlobalAction::ImportFeeds)?;
        let products = parse_eol_files(files)?;
        self.store_eol(actor, products).await
    }

    /// [`App::import_eol`] from a ZIP archive of the product files, read a file at a time.
    pub async fn import_eol_zip(&self, actor: &Actor, archive: &[u8]) -> Result<FeedImport> {
        actor.require(GlobalAction::ImportFeeds)?;
        self.store_eol_zip(actor, archive).await
    }

    /// [`App::import_eol_zip`] for a caller that checked the actor (or is the feeds job).
    pub(crate) async fn store_eol_zip(&self, actor: &Actor, archive: &[u8]) -> Result<FeedImport> {
        let products = parse_eol_zip(archive)?;
        self.store_eol(actor, products).await
    }

    async fn store_eol(&self, actor: &Actor, products: Vec<Product>) -> Result<FeedImport> {
        let rows = products
            .iter()
            .map(|p| json_item(p.slug.clone(), p))
            .collect::<Result<Vec<_>>>()?;
        let data_time = products.iter().filter_map(Product::newest_date).max();
        self.store_feed(actor, EOL_FEED, rows, data_time.map(midnight))
            .await
    }

    /// Replaces the known exploited vulnerabilities with CISA's catalogue (its JSON), national
    /// admins only; the same catalogue again changes nothing.
    pub async fn import_kev(&self, actor: &Actor, data: &[u8]) -> Result<FeedImport> {
        actor.require(GlobalAction::ImportFeeds)?;
        self.store_kev(actor, data).await
    }

    /// [`App::import_kev`] for a caller that checked the actor (or is the feeds job).
    pub(crate) async fn store_kev(&self, actor: &Actor, data: &[u8]) -> Result<FeedImport> {
        if data.len() > MAX_FEED_BYTES {
            return Err(AppError::invalid(
                "file",
                format!("is larger than {} MB", MAX_FEED_BYTES / (1024 * 1024)),
            ));
        }
        let catalogue = parse_catalogue(data).map_err(|e| AppError::invalid("file", e))?;
        let rows = catalogue
            .entries
            .iter()
            .map(|e| json_item(e.cve.as_str().to_string(), e))
            .collect::<Result<Vec<_>>>()?;
        self.store_feed(actor, KEV_FEED, rows, Some(catalogue.released))
            .await
    }

    /// Writes a feed's items with its record and audit entry, unless it holds the same already.
    async fn store_feed(
        &self,
        actor: &Actor,
        name: &'static str,
        rows: Vec<(String, String)>,
        data_time: Option<i64>,
    ) -> Result<FeedImport> {
        let feed = FeedRecord {
            name: name.into(),
            digest: digest(rows.iter().map(|(_, body)| body.as_str())),
            items: rows.len() as i64,
            data_time,
            imported_at: self.now(),
        };
        let audit = self.draft(
            actor,
            "feed.import",
            "feed",
            name,
            None,
            serde_json::json!({"feed": name, "items": rows.len(), "digest": feed.digest}),
        );
        let changed = self
            .store
            .replace_feed(&feed, &rows, self.stamp(actor), audit)
            .await?;
        Ok(FeedImport {
            feed: name,
            items: rows.len(),
            changed,
            data_time,
        })
    }

    /// Every feed's latest import: anyone signed in may see how current the data is.
    pub async fn feeds(&self) -> Result<Vec<FeedRecord>> {
        Ok(self.store.feeds().await?)
    }

    /// The lifecycle catalogue, read again only when the feed has changed (by any server).
    pub async fn eol_catalogue(&self) -> Result<(Arc<Catalogue>, Option<FeedRecord>)> {
        self.feeds_cache
            .eol
            .load(self, EOL_FEED, |products: Vec<Product>| {
                Catalogue::new(products)
            })
            .await
    }

    /// The known exploited vulnerabilities, by CVE, read again only when the feed has changed.
    pub async fn kev_catalogue(&self) -> Result<(Arc<Vec<KevEntry>>, Option<FeedRecord>)> {
        self.feeds_cache
            .kev
            .load(self, KEV_FEED, |entries: Vec<KevEntry>| entries)
            .await
    }

    /// The organisation's unsupported systems on `on` (`YYYY-MM-DD`, today when empty).
    pub async fn unsupported(
        &self,
        actor: &Actor,
        code: &str,
        on: Option<&str>,
        page: PageRequest,
    ) -> Result<UnsupportedReport> {
        let view = self.org_for(actor, code, OrgAction::ViewInventory).await?;
        let on = match on.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => parse_date("on", raw).map_err(FieldErrors::from)?,
            None => self.today(),
        };
        self.unsupported_of(view.org.id, on, page).await
    }

    /// The organisation's unsupported systems on day `on`, for a caller that has checked who
    /// may see them.
    pub(crate) async fn unsupported_of(
        &self,
        org_id: i64,
        on: time::Date,
        page: PageRequest,
    ) -> Result<UnsupportedReport> {
        let (catalogue, feed) = self.eol_catalogue().await?;
        let mitigations = self.store.mitigations(org_id).await?;
        let mut tally = Tally::new(&catalogue, &mitigations, on);
        // Component by component: only the unsupported ones are kept.
        let components = self
            .store
            .each_component(org_id, &mut |c| tally.see(c))
            .await?
            .components;
        let unmitigated = tally.unmitigated();
        let Tally { covered, all, .. } = tally;
        Ok(UnsupportedReport {
            on,
            unmitigated,
            systems: Page::slice(all, page),
            components,
            covered,
            feed,
        })
    }

    /// How many components each of these organisations holds and how many of them are
    /// unsupported on `on` without a mitigation, read a few statements for many organisations
    /// (those without an inventory hold none). An organisation's inventory is read again only
    /// when a new upload, its mitigations, the day or the lifecycles changed since it was last
    /// counted: a worklist over hundreds of organisations would otherwise read every component
    /// of each on every request.
    pub(crate) async fn unmitigated_counts(
        &self,
        org_ids: &[i64],
        on: Date,
    ) -> Result<std::collections::HashMap<i64, (usize, usize)>> {
        let (catalogue, _) = self.eol_catalogue().await?;
        let mut out = std::collections::HashMap::new();
        for chunk in org_ids.chunks(250) {
            let uploads = self.store.snapshot_uploads(chunk).await?;
            let mut mitigations = self.store.mitigations_of(chunk).await?;
            let stale: Vec<i64> = {
                let held = self.unmitigated_cache.lock(&catalogue, on)?;
                chunk
                    .iter()
                    .filter(|org| {
                        let Some(upload) = uploads.get(org) else {
                            return false;
                        };
                        let kept = mitigations.get(org).map_or(&[][..], Vec::as_slice);
                        match held.orgs.get(org) {
                            Some((u, m, counts)) if u == upload && m.as_slice() == kept => {
                                out.insert(**org, *counts);
                                false
                            }
                            _ => true,
                        }
                    })
                    .copied()
                    .collect()
            };
            // Fifty inventories held at a time.
            for part in stale.chunks(50) {
                for (org, upload, components) in self.store.snapshots_of(part).await? {
                    let kept = mitigations.remove(&org).unwrap_or_default();
                    let mut tally = Tally::new(&catalogue, &kept, on);
                    let held = components.len();
                    components.into_iter().for_each(|c| tally.see(c));
                    let counts = (held, tally.unmitigated());
                    out.insert(org, counts);
                    self.unmitigated_cache
                        .lock(&catalogue, on)?
                        .orgs
                        .insert(org, (upload, kept, counts));
                }
            }
        }
        Ok(out)
    }

    /// Records what the organisation does about one of its systems (its lead or members).
    pub async fn save_mitigation(
        &self,
        actor: &Actor,
        code: &str,
        input: &MitigationInput,
    ) -> Result<StoredMitigation> {
        let view = self
            .org_for(actor, code, OrgAction::ManageInventory)
            .await?;
        let m = input.validate(self.today())?;
        let audit = self.draft(
            actor,
            "mitigation.save",
            "mitigation",
            "",
            Some(view.org.id),
            serde_json::json!({
                "asset": m.asset, "vendor": m.vendor, "product": m.product,
                "action": m.action.as_str(),
                "from": m.from.map(palisade_domain::dates::date_text),
                "until": m.until.map(palisade_domain::dates::date_text),
            }),
        );
        Ok(self
            .store
            .save_mitigation(view.org.id, &m, self.stamp(actor), audit)
            .await?)
    }

    /// Withdraws one of the organisation's mitigations.
    pub async fn delete_mitigation(&self, actor: &Actor, code: &str, id: i64) -> Result<()> {
        let view = self
            .org_for(actor, code, OrgAction::ManageInventory)
            .await?;
        let audit = self.draft(
            actor,
            "mitigation.delete",
            "mitigation",
            id.to_string(),
            Some(view.org.id),
            serde_json::json!({}),
        );
        if self.store.delete_mitigation(view.org.id, id, audit).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The organisation's mitigations.
    pub async fn mitigations(&self, actor: &Actor, code: &str) -> Result<Vec<StoredMitigation>> {
        let view = self.org_for(actor, code, OrgAction::ViewInventory).await?;
        Ok(self.store.mitigations(view.org.id).await?)
    }
}

fn json_item<T: serde::Serialize>(key: String, item: &T) -> Result<(String, String)> {
    serde_json::to_string(item)
        .map(|body| (key, body))
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// One feed's items as last read, with the digest they were read at: every server reads them
/// again when the feed's digest changes, whoever imported it.
pub(crate) struct Cached<T>(std::sync::Mutex<Option<(String, Arc<T>)>>);

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Self(std::sync::Mutex::new(None))
    }
}

impl<T> Cached<T> {
    async fn load<I: serde::de::DeserializeOwned>(
        &self,
        app: &App,
        feed: &str,
        build: impl FnOnce(Vec<I>) -> T,
    ) -> Result<(Arc<T>, Option<FeedRecord>)> {
        let record = app.store.feed(feed).await?;
        let digest = record
            .as_ref()
            .map(|f| f.digest.clone())
            .unwrap_or_default();
        if let Some((d, held)) = self.0.lock().map_err(poisoned)?.as_ref()
            && *d == digest
        {
            return Ok((held.clone(), record));
        }
        let items = app
            .store
            .feed_items(feed)
            .await?
            .iter()
            .map(|body| serde_json::from_str::<I>(body))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| AppError::Internal(format!("stored {feed} item: {e}")))?;
        let built = Arc::new(build(items));
        *self.0.lock().map_err(poisoned)? = Some((digest, built.clone()));
        Ok((built, record))
    }
}

/// Each organisation's counts of [`App::unmitigated_counts`] as last worked out, with the upload
/// and mitigations they were counted from, for one day and one lifecycle catalogue.
#[derive(Default)]
pub(crate) struct UnmitigatedCache(std::sync::Mutex<UnmitigatedHeld>);

/// Per organisation: (upload, mitigations, (components, unsupported without a mitigation)).
type Counted = (i64, Vec<StoredMitigation>, (usize, usize));

#[derive(Default)]
pub(crate) struct UnmitigatedHeld {
    catalogue: Option<Arc<Catalogue>>,
    day: Option<Date>,
    orgs: std::collections::HashMap<i64, Counted>,
}

impl UnmitigatedCache {
    /// The counts held for this catalogue and day (emptied first when either changed).
    fn lock(
        &self,
        catalogue: &Arc<Catalogue>,
        day: Date,
    ) -> Result<std::sync::MutexGuard<'_, UnmitigatedHeld>> {
        let mut held = self
            .0
            .lock()
            .map_err(|_| AppError::Internal("the unsupported counts lock was poisoned".into()))?;
        let same = held.day == Some(day)
            && held
                .catalogue
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(c, catalogue));
        if !same {
            *held = UnmitigatedHeld {
                catalogue: Some(catalogue.clone()),
                day: Some(day),
                orgs: Default::default(),
            };
        }
        Ok(held)
    }
}

/// The feeds each server holds in memory.
#[derive(Default)]
pub(crate) struct FeedsCache {
    eol: Cached<Catalogue>,
    kev: Cached<Vec<KevEntry>>,
    osv: Cached<Vec<RuleSet>>,
    csaf: Cached<Vec<RuleSet>>,
}

fn poisoned<T>(_: T) -> AppError {
    AppError::Internal("a feed cache lock was poisoned".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_follows_the_data() {
        assert_eq!(
            digest(["a", "b"].into_iter()),
            digest(["a", "b"].into_iter())
        );
        assert_ne!(digest(["ab"].into_iter()), digest(["a", "b"].into_iter()));
    }
}

/// The OSV advisories feed's name.
pub const OSV_FEED: &str = "osv";
/// The CSAF advisories feed's name (product trees kept for matching, not alerts).
pub const CSAF_FEED: &str = "csaf";

/// What an advisory import did: advisories are added or replaced by id and the others kept, so
/// importing the same files again changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryImport {
    pub feed: &'static str,
    /// Advisories read from the files.
    pub read: usize,
    /// Of those, new or different from what the feed held.
    pub changed: usize,
    /// Things read but not kept (an ecosystem Palisade does not order, a git-only range).
    pub notes: Vec<String>,
}

/// The most notes an import reports one by one.
const MAX_NOTES: usize = 50;

impl App {
    /// Adds OSV records (JSON files) to the advisories, national admins only. Every file is
    /// checked first; one bad file refuses the lot, naming it.
    pub async fn import_osv(
        &self,
        actor: &Actor,
        documents: &Documents<'_>,
    ) -> Result<AdvisoryImport> {
        actor.require(GlobalAction::ImportFeeds)?;
        self.import_advisories(actor, OSV_FEED, documents, |bytes| {
            palisade_formats::osv::parse_osv(bytes).map_err(|e| vec![e])
        })
        .await
    }

    /// Adds CSAF 2.0 advisories (JSON files) to the advisories matched against inventories,
    /// national admins only; unlike `alerts import-csaf`, no alert is drafted.
    pub async fn import_csaf_advisories(
        &self,
        actor: &Actor,
        documents: &Documents<'_>,
    ) -> Result<AdvisoryImport> {
        actor.require(GlobalAction::ImportFeeds)?;
        self.import_advisories(actor, CSAF_FEED, documents, |bytes| {
            let refused = |e: AppError| match e {
                AppError::Invalid(errs) => errs
                    .0
                    .into_iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect(),
                other => vec![other.to_string()],
            };
            let (input, id, _, notes) =
                palisade_formats::csaf::alert_from_csaf(bytes).map_err(|e| refused(e.into()))?;
            let fields = input
                .validate()
                .map_err(|e| refused(AppError::Invalid(e)))?;
            Ok((
                palisade_domain::advisory::Advisory {
                    id,
                    title: fields.title,
                    cves: fields.cves,
                    products: fields.products,
                    modified: None,
                },
                notes,
            ))
        })
        .await
    }

    async fn import_advisories(
        &self,
        actor: &Actor,
        feed: &'static str,
        documents: &Documents<'_>,
        parse: impl Fn(
            &[u8],
        ) -> std::result::Result<
            (palisade_domain::advisory::Advisory, Vec<String>),
            Vec<String>,
        >,
    ) -> Result<AdvisoryImport> {
        let mut errs = FieldErrors::default();
        let mut notes = Vec::new();
        let mut advisories = Vec::new();
        // Each document parsed as it comes and dropped: only the advisories are kept.
        documents.each(|name, bytes| match parse(bytes) {
            Ok((a, n)) => {
                notes.extend(n.into_iter().map(|n| format!("{name}: {n}")));
                advisories.push(a);
            }
            Err(e) => {
                for m in e {
                    errs.push(name, m);
                }
            }
        })?;
        if advisories.is_empty() && errs.is_empty() {
            errs.push("files", "hold no advisories (.json)");
        }
        errs.capped(MAX_NOTES, "problems").into_result()?;
        let data_time = advisories.iter().filter_map(|a| a.modified).max();
        let rows = advisories
            .iter()
            .map(|a| json_item(a.id.clone(), a))
            .collect::<Result<Vec<_>>>()?;
        let audit = self.draft(
            actor,
            "feed.import",
            "feed",
            feed,
            None,
            serde_json::json!({"feed": feed, "read": rows.len()}),
        );
        let changed = self
            .store
            .merge_feed(
                feed,
                &rows,
                &digest(rows.iter().map(|(_, b)| b.as_str())),
                data_time,
                self.stamp(actor),
                audit,
            )
            .await?;
        notes.truncate(MAX_NOTES);
        Ok(AdvisoryImport {
            feed,
            read: rows.len(),
            changed,
            notes,
        })
    }

    /// The OSV and CSAF feeds' advisories as rules, compiled again only when a feed changes.
    pub(crate) async fn advisory_rules(&self) -> Result<Vec<Arc<Vec<RuleSet>>>> {
        let mut out = Vec::new();
        for (feed, cache) in [
            (OSV_FEED, &self.feeds_cache.osv),
            (CSAF_FEED, &self.feeds_cache.csaf),
        ] {
            let (sets, _) = cache
                .load(self, feed, |advisories: Vec<Advisory>| {
                    advisories
                        .into_iter()
                        .map(|a| RuleSet {
                            rules: rules_of(&a.products),
                            source: Source::Advisory {
                                feed,
                                id: a.id,
                                title: a.title,
                            },
                            cves: a.cves,
                        })
                        .collect()
                })
                .await?;
            out.push(sets);
        }
        Ok(out)
    }
}

/// Sorts an organisation's components on a day: unsupported ones kept (with what it recorded
/// doing about each), those under an extended-support agreement running that day counted.
struct Tally<'a> {
    catalogue: &'a Catalogue,
    /// One lookup per component, not a scan of every mitigation.
    by_system: std::collections::HashMap<(&'a str, &'a str, &'a str), &'a StoredMitigation>,
    on: Date,
    covered: usize,
    all: Vec<UnsupportedSystem>,
}

impl<'a> Tally<'a> {
    fn new(catalogue: &'a Catalogue, mitigations: &'a [StoredMitigation], on: Date) -> Self {
        Tally {
            catalogue,
            by_system: mitigations
                .iter()
                .map(|m| (m.mitigation.system(), m))
                .collect(),
            on,
            covered: 0,
            all: Vec::new(),
        }
    }

    fn see(&mut self, c: Component) {
        let Some(life) = self.catalogue.lifecycle_of(&c) else {
            return;
        };
        if !life.eol.ended_on(self.on) {
            return;
        }
        let mitigation = self
            .by_system
            .get(&(c.asset.as_str(), c.vendor.as_str(), c.product.as_str()))
            .copied();
        if mitigation.is_some_and(|m| m.mitigation.covers(self.on)) {
            self.covered += 1;
            return;
        }
        self.all.push(UnsupportedSystem {
            product_slug: life.product.slug.clone(),
            product_title: life.product.title.clone(),
            cycle: life.cycle.clone(),
            ambiguous: life.ambiguous,
            eol: life.eol,
            eoes: life.eoes,
            mitigation: mitigation.cloned(),
            component: c,
        });
    }

    /// Of the unsupported systems, those with no mitigation in force on the day: none
    /// recorded, or an extended-support agreement that does not run that day.
    fn unmitigated(&self) -> usize {
        self.all
            .iter()
            .filter(|s| {
                s.mitigation.as_ref().is_none_or(|m| {
                    m.mitigation.action == palisade_domain::eol::MitigationAction::ExtendedSupport
                })
            })
            .count()
    }
}
