//! One organisation's exposure: every alert, advisory and known exploited vulnerability its
//! own components match, read from its inventory rather than the national index.

use palisade_domain::exposure::{ExposureIndex, Rule};
use palisade_domain::ident::CveId;
use palisade_domain::inventory::Component;
use palisade_domain::policy::{OrgAction, OrgId};

use crate::exposure::Source;
use crate::{Actor, App, AppError, Result};

/// One alert, advisory or known exploited vulnerability an organisation's components match.
#[derive(Debug, Clone)]
pub struct OrgMatch {
    pub source: Source,
    pub cves: Vec<CveId>,
    /// Any of its CVEs is in the known exploited vulnerabilities catalogue.
    pub known_exploited: bool,
    /// How many of the organisation's components it matches.
    pub component_count: usize,
    /// The first [`ORG_MATCH_LISTED`] of them, in inventory order.
    pub components: Vec<Component>,
}

/// Components listed with each of an organisation's matches; the rest are counted.
pub const ORG_MATCH_LISTED: usize = 50;

impl App {
    /// What an organisation's components match: every published alert and feed advisory whose
    /// products and versions name one of them, and every known exploited vulnerability no alert
    /// or advisory gives versions for, by its product. Alerts first, then advisories, then the
    /// catalogue's products; within each, known exploited ones first.
    ///
    /// The inventory is read twice, component by component, and never held whole: once into a
    /// small index (identity and version to position), once more for the components listed.
    pub async fn org_exposure(&self, actor: &Actor, code: &str) -> Result<Vec<OrgMatch>> {
        let view = self.org_for(actor, code, OrgAction::ViewInventory).await?;
        // An upload between the two readings moves positions: read again (an upload takes
        // seconds, so twice in a row is already unlikely).
        let mut attempts = 0;
        let found = loop {
            attempts += 1;
            let (read, found) = self.org_matches(view.org.id).await?;
            if found.is_empty() {
                break Vec::new();
            }
            match self.listed_components(view.org.id, read, found).await? {
                Some(listed) => break listed,
                None if attempts < 3 => continue,
                None => {
                    return Err(AppError::Conflict {
                        field: "inventory".into(),
                        message: "is being replaced; try again in a moment".into(),
                    });
                }
            }
        };
        let mut out = found;
        // Stable: the source order above, known exploited first within each kind.
        let rank = |m: &OrgMatch| match m.source {
            Source::Alert { .. } => 0,
            Source::Advisory { .. } => 1,
            Source::KevProduct { .. } => 2,
        };
        out.sort_by_key(|m| (rank(m), !m.known_exploited));
        Ok(out)
    }

    /// One reading of the organisation's inventory into a small index (identity and version to
    /// position), and every source's matches against it: all counted, the first few positions
    /// kept for listing.
    async fn org_matches(
        &self,
        org: OrgId,
    ) -> Result<(palisade_store::SnapshotRead, Vec<(OrgMatch, Vec<usize>)>)> {
        let mut index = ExposureIndex::new();
        let mut position = 0usize;
        let read = self
            .store
            .each_component(org, &mut |c| {
                let _ = index.insert(&c.identity(), c.version.as_deref(), position);
                position += 1;
            })
            .await?;
        let (kev, _) = self.kev_catalogue().await?;
        let exploited = |cves: &[CveId]| {
            cves.iter()
                .any(|c| kev.binary_search_by(|e| e.cve.cmp(c)).is_ok())
        };
        let mut covered: std::collections::HashSet<CveId> = std::collections::HashSet::new();
        let mut found: Vec<(OrgMatch, Vec<usize>)> = Vec::new();
        let mut add = |source: Source, cves: Vec<CveId>, rules: &[Rule]| {
            let mut hits: Vec<usize> = rules.iter().flat_map(|r| index.matches(r)).collect();
            hits.sort_unstable();
            hits.dedup();
            if !hits.is_empty() {
                let component_count = hits.len();
                hits.truncate(ORG_MATCH_LISTED);
                found.push((
                    OrgMatch {
                        known_exploited: exploited(&cves),
                        source,
                        cves,
                        component_count,
                        components: Vec::new(),
                    },
                    hits,
                ));
            }
        };
        for set in self.rule_sets().await?.iter().flat_map(|s| s.iter()) {
            // Only a source that names products covers its CVEs: one that names none (a
            // bulletin) leaves them to the catalogue's product, as a CVE question does.
            if !set.rules.is_empty() {
                covered.extend(set.cves.iter().cloned());
            }
            add(set.source.clone(), set.cves.clone(), &set.rules);
        }
        for e in kev.iter().filter(|e| !covered.contains(&e.cve)) {
            add(
                Source::KevProduct { cve: e.cve.clone() },
                vec![e.cve.clone()],
                &[e.product_rule()],
            );
        }
        Ok((read, found))
    }

    /// The matches with their listed components, from a second reading of the inventory;
    /// `None` when an upload replaced it since the first (`read`).
    async fn listed_components(
        &self,
        org: OrgId,
        read: palisade_store::SnapshotRead,
        found: Vec<(OrgMatch, Vec<usize>)>,
    ) -> Result<Option<Vec<OrgMatch>>> {
        let mut wanted: std::collections::HashMap<usize, Option<Component>> = found
            .iter()
            .flat_map(|(_, hits)| hits.iter().map(|&i| (i, None)))
            .collect();
        let mut position = 0usize;
        let again = self
            .store
            .each_component(org, &mut |c| {
                if let Some(slot) = wanted.get_mut(&position) {
                    *slot = Some(c);
                }
                position += 1;
            })
            .await?;
        if again != read {
            return Ok(None);
        }
        Ok(Some(
            found
                .into_iter()
                .map(|(mut m, hits)| {
                    m.components = hits
                        .iter()
                        .filter_map(|i| wanted.get(i).cloned().flatten())
                        .collect();
                    m
                })
                .collect(),
        ))
    }
}
