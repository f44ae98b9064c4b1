//! The indicators TAXII collection: the TLP 2.0 marking definitions, then every indicator the
//! caller may see under TLP as a STIX 2.1 `indicator`, oldest added first. Anyone may read it
//! (TLP:CLEAR only); a bearer token decides what more a caller receives.

use super::*;
use palisade_domain::indicator::Tlp;
use palisade_formats::publish::indicators::{self as stix, IndicatorFacts, TLP2_CREATED};
use palisade_formats::publish::stix::{MAX_PAGE, StixEntry, StixPage, StixQuery};
use palisade_store::{FeedCursor, FeedReader, IndicatorRecord};

/// Who reads the collection, as the store filters it: as on a case page, someone who acts for
/// no organisation reads what anyone may.
fn reader(actor: Option<&Actor>) -> FeedReader {
    match actor {
        Some(a) if !a.principal.grants.is_empty() => {
            FeedReader::SignedIn(a.principal.scope(OrgAction::ViewIncidents))
        }
        _ => FeedReader::Anonymous,
    }
}

/// The STIX id of an indicator, as kept or (for one kept before the collection) as it will be.
pub(super) fn stix_id(r: &IndicatorRecord) -> String {
    r.stix_id
        .clone()
        .unwrap_or_else(|| stix::object_id(r.incident_id, r.indicator_type, &r.value))
}

fn entry(r: &IndicatorRecord) -> StixEntry {
    let id = stix_id(r);
    let reference = incident_reference(r.incident_id);
    let object = stix::indicator(IndicatorFacts {
        stix_id: &id,
        kind: r.indicator_type,
        value: &r.value,
        tlp: r.tlp,
        description: &r.description,
        reference: &reference,
        created_at: r.created_at,
    });
    StixEntry::new(object, r.created_at)
}

/// The five marking definitions, first in the collection.
fn markings() -> Vec<StixEntry> {
    Tlp::ALL
        .iter()
        .map(|t| StixEntry::new(stix::marking(*t), TLP2_CREATED))
        .collect()
}

/// Where a page starts: at the n-th marking definition, or after an indicator.
enum Start {
    Marking(usize),
    After(i64, i64),
}

fn start_of(next: Option<&str>) -> Result<Start> {
    let bad = || AppError::invalid("next", "is not a token this collection gave");
    let Some(token) = next else {
        return Ok(Start::Marking(0));
    };
    if let Some(n) = token.strip_prefix('m') {
        return n.parse().map(Start::Marking).map_err(|_| bad());
    }
    let (at, id) = token.split_once('.').ok_or_else(bad)?;
    Ok(Start::After(
        at.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

impl App {
    /// A page of the indicators collection for `actor` (anyone without one). The page holds
    /// at most `limit` objects (1000 at most): the marking definitions first, then indicators.
    pub async fn indicator_page(&self, actor: Option<&Actor>, q: &StixQuery) -> Result<StixPage> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let mut entries = Vec::new();
        let mut after = None;
        match start_of(q.next.as_deref())? {
            Start::Marking(from) => {
                let marks: Vec<StixEntry> = markings()
                    .into_iter()
                    .skip(from)
                    .filter(|e| q.admits(e))
                    .collect();
                if marks.len() > limit {
                    let next = format!("m{}", from + limit);
                    entries.extend(marks.into_iter().take(limit));
                    return Ok(StixPage {
                        entries,
                        more: true,
                        next: Some(next),
                    });
                }
                entries.extend(marks);
            }
            Start::After(at, id) => after = Some((at, id)),
        }
        let room = limit - entries.len();
        let wants = q.types.is_empty() || q.types.iter().any(|t| t == "indicator");
        if room == 0 || !wants {
            // A full page of markings still has indicators after it.
            let more = room == 0 && wants;
            return Ok(StixPage {
                entries,
                more,
                next: more.then(|| format!("m{}", Tlp::ALL.len())),
            });
        }
        let cursor = FeedCursor {
            after,
            added_after: q.added_after_ms.map(|ms| ms.div_euclid(1000)),
        };
        let mut rows = self
            .store
            .indicator_feed(&reader(actor), cursor, room as i64 + 1)
            .await?;
        let more = rows.len() > room;
        rows.truncate(room);
        let next = rows
            .last()
            .filter(|_| more)
            .map(|r| format!("{}.{}", r.created_at, r.id));
        entries.extend(rows.iter().map(entry).filter(|e| q.admits(e)));
        Ok(StixPage {
            entries,
            more,
            next,
        })
    }

    /// One object of the indicators collection, if `actor` may see it (its one version, when
    /// it passes the filters); not found otherwise.
    pub async fn indicator_object(
        &self,
        actor: Option<&Actor>,
        id: &str,
        q: &StixQuery,
    ) -> Result<StixPage> {
        let found = if id.starts_with("marking-definition--") {
            markings().into_iter().find(|e| e.id == id)
        } else {
            self.store
                .feed_indicator(&reader(actor), id)
                .await?
                .map(|r| entry(&r))
        };
        let e = found.ok_or(AppError::NotFound)?;
        Ok(StixPage {
            entries: q.admits(&e).then_some(e).into_iter().collect(),
            more: false,
            next: None,
        })
    }

    /// Gives each indicator kept before the collection existed its STIX id, so it can be looked
    /// up by it; how many were filled. Run when Palisade opens its database.
    pub async fn fill_indicator_ids(&self) -> Result<u64> {
        fn id_of(r: &IndicatorRecord) -> String {
            stix_id(r)
        }
        Ok(self.store.fill_stix_ids(id_of).await?)
    }
}
