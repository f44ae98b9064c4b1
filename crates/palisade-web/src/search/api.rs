//! `/api/v1/search`: organisations, alerts, incidents and people matching one question.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiQuery, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::State;
use palisade_app::search::SearchResults;
use palisade_domain::clock::rfc3339_opt;
use palisade_store::incident_reference;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// 2 to 100 characters: an organisation's code or name, an alert's reference, CVE or title
    /// words, an incident's reference (`INC-000042`), a person's email or name.
    #[serde(default)]
    pub q: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchDto {
    pub q: String,
    pub organisations: Found<FoundOrg>,
    pub alerts: Found<FoundAlert>,
    pub incidents: Found<FoundIncident>,
    pub people: Found<FoundPerson>,
}

/// The first results of one kind and how many matched in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct Found<T> {
    pub items: Vec<T>,
    pub total: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FoundOrg {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: String,
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FoundAlert {
    pub reference: String,
    pub title: String,
    pub severity: String,
    /// `draft` or `published`.
    pub state: String,
    pub published_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FoundIncident {
    pub reference: String,
    pub title: String,
    pub status: String,
    pub organisation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FoundPerson {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub active: bool,
}

impl From<SearchResults> for SearchDto {
    fn from(r: SearchResults) -> Self {
        SearchDto {
            organisations: Found {
                total: r.organisations.total,
                items: r
                    .organisations
                    .items
                    .into_iter()
                    .map(|o| FoundOrg {
                        code: o.code,
                        name: o.name,
                        org_type: o.org_type.as_str().to_string(),
                        active: o.active,
                    })
                    .collect(),
            },
            alerts: Found {
                total: r.alerts_total as u64,
                items: r
                    .alerts
                    .into_iter()
                    .map(|a| FoundAlert {
                        reference: a.reference,
                        title: a.title,
                        severity: a.severity,
                        state: a.state,
                        published_at: rfc3339_opt(a.published_at),
                    })
                    .collect(),
            },
            incidents: Found {
                total: r.incidents.len() as u64,
                items: r
                    .incidents
                    .into_iter()
                    .map(|i| FoundIncident {
                        reference: incident_reference(i.id),
                        title: i.state.fields.title.clone(),
                        status: i.state.status.as_str().to_string(),
                        organisation: i.org_code,
                    })
                    .collect(),
            },
            people: Found {
                total: r.people.total,
                items: r
                    .people
                    .items
                    .into_iter()
                    .map(|u| FoundPerson {
                        id: u.id,
                        email: u.email,
                        name: u.name,
                        active: u.active,
                    })
                    .collect(),
            },
            q: r.q,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/search", tag = "people", params(SearchQuery), security(("bearer" = [])),
    responses((status = 200, description = "What matched, by kind: the first ten of each and how many in all (national roles)", body = SearchDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn search(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchDto>> {
    Ok(Json(s.app.search(&actor, &q.q).await?.into()))
}
