//! One search box for the national team: organisations by code or name, alerts by reference,
//! CVE or title, notified incidents by reference, people by email or name, grouped by kind.

use crate::{Actor, App, AppError, Result};
use palisade_domain::ident::CveId;
use palisade_domain::incident::IncidentStatus;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::GlobalAction;
use palisade_domain::search::search_key;
use palisade_store::{AlertTitle, IncidentRecord, OrgFilter, Organisation, User, incident_id};

/// Results shown of each kind; the totals say how many more there are.
pub const SEARCH_SHOWN: u32 = 10;

/// What a search found, by kind.
#[derive(Debug, Clone)]
pub struct SearchResults {
    /// The question as searched (trimmed).
    pub q: String,
    pub organisations: Page<Organisation>,
    pub alerts: Vec<AlertTitle>,
    /// How many alerts matched in all.
    pub alerts_total: usize,
    pub incidents: Vec<IncidentRecord>,
    pub people: Page<User>,
}

impl SearchResults {
    pub fn is_empty(&self) -> bool {
        self.organisations.items.is_empty()
            && self.alerts.is_empty()
            && self.incidents.is_empty()
            && self.people.items.is_empty()
    }
}

impl App {
    /// Searches everything the national team can see for `q` (2 to 100 characters).
    pub async fn search(&self, actor: &Actor, q: &str) -> Result<SearchResults> {
        actor.require(GlobalAction::SearchEverything)?;
        let q = q.trim();
        let length = q.chars().count();
        if !(2..=100).contains(&length) {
            return Err(AppError::invalid(
                "q",
                "type between 2 and 100 characters to search",
            ));
        }
        let first = PageRequest::new(Some(1), Some(SEARCH_SHOWN));
        let filter = OrgFilter {
            q: Some(q.to_string()),
            ..OrgFilter::default()
        };
        let organisations = self.list_orgs(actor, &filter, first).await?;
        let people = self.list_people(actor, q, first).await?;

        // Alerts: the reference exactly, the CVE among those it names, or words of the title.
        let cve = CveId::parse(q).ok().map(|c| c.to_string());
        let key = search_key(q);
        let matched: Vec<AlertTitle> = self
            .store
            .alert_titles(cve.as_deref())
            .await?
            .into_iter()
            .filter(|a| {
                a.reference.eq_ignore_ascii_case(q)
                    || a.names_cve
                    || search_key(&a.title).contains(&key)
            })
            .collect();
        let alerts_total = matched.len();
        let alerts = matched.into_iter().take(SEARCH_SHOWN as usize).collect();

        // Incidents: by reference only (`INC-000042`), and only those notified.
        let mut incidents = Vec::new();
        if q.to_ascii_uppercase().starts_with("INC-")
            && let Some(id) = incident_id(&q.to_ascii_uppercase())
            && let Some(record) = self.store.incident(id).await?
            && record.state.status != IncidentStatus::Draft
        {
            incidents.push(record);
        }
        Ok(SearchResults {
            q: q.to_string(),
            organisations,
            alerts,
            alerts_total,
            incidents,
            people,
        })
    }
}
