//! The indicators TAXII collection: the TLP 2.0 marking definitions, then every indicator the
//! caller may see under TLP as a STIX 2.1 `indicator`, oldest added first. Anyone may read it
//! (TLP:CLEAR only); a bearer token decides what more a caller receives.

use super::*;
use palisade_domain::indicator::Tlp;
use palisade_formats::publish::indicators::{self as stix, IndicatorFacts, TLP2_CREATED};
use palisade_formats::publish::stix::{MAX_PAGE, StixEntry, StixPage, StixQuery};
use palisade_store::{FeedIndicator, FeedQuery, FeedReader};

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

/// A new STIX id for an indicator (random: see [`stix::object_id`]).
pub fn new_stix_id() -> String {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).expect("the operating system's random source failed");
    stix::object_id(random)
}

/// The indicator as its reader receives it: the case it was seen on is named only to a reader
/// who may see the case.
fn entry(f: &FeedIndicator) -> Result<StixEntry> {
    let r = &f.indicator;
    let id = r
        .stix_id
        .as_deref()
        .ok_or_else(|| AppError::Internal(format!("indicator {} has no STIX id", r.id)))?;
    let reference = incident_reference(r.incident_id);
    let object = stix::indicator(IndicatorFacts {
        stix_id: id,
        kind: r.indicator_type,
        value: &r.value,
        tlp: r.tlp,
        description: &r.description,
        reference: f.case_visible.then_some(reference.as_str()),
        created_at: r.created_at,
    });
    Ok(StixEntry::new(object, r.added_ms))
}

/// The five marking definitions, first in the collection.
fn markings() -> Vec<StixEntry> {
    Tlp::ALL
        .iter()
        .map(|t| StixEntry::new(stix::marking(*t), TLP2_CREATED * 1000))
        .collect()
}

/// Where a page starts: at the n-th marking definition (`m3`), or after an indicator
/// (`i1750000000004.42`).
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
    // `i` and the last indicator's added time (ms) and id. A token without the prefix is one
    // from before times were in milliseconds, and would start the walk over: refused.
    let (at, id) = token
        .strip_prefix('i')
        .and_then(|t| t.split_once('.'))
        .ok_or_else(bad)?;
    Ok(Start::After(
        at.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    ))
}

/// What of the query the store answers: the indicators it asks for, or none at all when its
/// filters leave no indicator in (other types, other spec versions, ids of other objects).
fn feed_query(q: &StixQuery, after: Option<(i64, i64)>) -> Option<FeedQuery> {
    let types = q.types.is_empty() || q.types.iter().any(|t| t == "indicator");
    let spec = q.spec_versions.is_empty() || q.spec_versions.iter().any(|v| v == "2.1");
    let stix_ids = (!q.ids.is_empty()).then(|| {
        q.ids
            .iter()
            .filter(|id| id.starts_with("indicator--"))
            .cloned()
            .collect::<Vec<_>>()
    });
    let ids = stix_ids.as_ref().is_none_or(|ids| !ids.is_empty());
    (types && spec && ids).then_some(FeedQuery {
        after,
        added_after_ms: q.added_after_ms,
        stix_ids,
    })
}

impl App {
    /// A page of the indicators collection for `actor` (anyone without one). The page holds
    /// at most `limit` objects (1000 at most): the marking definitions first, then indicators.
    pub async fn indicator_page(&self, actor: Option<&Actor>, q: &StixQuery) -> Result<StixPage> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let reader = reader(actor);
        let mut entries = Vec::new();
        let mut after = None;
        match start_of(q.next.as_deref())? {
            Start::Marking(from) => {
                // The markings the query admits, by position, so a token names where the
                // next page starts whatever the filters leave out.
                let mut marks = markings()
                    .into_iter()
                    .enumerate()
                    .skip(from)
                    .filter(|(_, e)| q.admits(e))
                    .peekable();
                while entries.len() < limit {
                    let Some((_, e)) = marks.next() else { break };
                    entries.push(e);
                }
                if let Some((at, _)) = marks.peek() {
                    return Ok(StixPage {
                        entries,
                        more: true,
                        next: Some(format!("m{at}")),
                    });
                }
            }
            Start::After(at, id) => after = Some((at, id)),
        }
        let Some(query) = feed_query(q, after) else {
            return Ok(StixPage {
                entries,
                more: false,
                next: None,
            });
        };
        // One more than there is room for says whether another page follows; a page full of
        // markings asks the same of one indicator.
        let room = limit - entries.len();
        let mut rows = self
            .store
            .indicator_feed(&reader, &query, room as i64 + 1)
            .await?;
        let more = rows.len() > room;
        rows.truncate(room);
        let next = if !more {
            None
        } else if let Some(last) = rows.last() {
            Some(format!(
                "i{}.{}",
                last.indicator.added_ms, last.indicator.id
            ))
        } else {
            Some(format!("m{}", Tlp::ALL.len()))
        };
        // The store answered every filter but exact versions (`match[version]` with times),
        // which only this page's own indicators can be held against.
        for r in &rows {
            let e = entry(r)?;
            if q.admits(&e) {
                entries.push(e);
            }
        }
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
            match self.store.feed_indicator(&reader(actor), id).await? {
                Some(f) => Some(entry(&f)?),
                None => None,
            }
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
        Ok(self.store.fill_stix_ids(new_stix_id).await?)
    }
}
