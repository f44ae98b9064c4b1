//! `/api/v1/audit`: the audit log entries the caller may read, filtered and paged.

use crate::AppState;
use crate::kit::envelope::{ListMeta, items_and_meta};
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiQuery, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::State;
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::page::PageRequest;
use palisade_store::{AuditFilter, AuditRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntryDto>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub org_code: Option<String>,
    /// Before/after summary.
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
}

impl From<AuditRecord> for AuditEntryDto {
    fn from(a: AuditRecord) -> Self {
        Self {
            seq: a.seq,
            at: rfc3339(from_unix(a.at)),
            actor: a.actor,
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            org_code: a.org_code,
            summary: serde_json::from_str(&a.summary)
                .unwrap_or(serde_json::Value::String(a.summary)),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub entity_type: Option<String>,
    pub org_code: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditList), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_audit(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditList>> {
    let org_id = match q.org_code.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => Some(
            s.app
                .org_for(&actor, code, palisade_domain::policy::OrgAction::View)
                .await?
                .org
                .id,
        ),
        None => None,
    };
    let filter = AuditFilter {
        action: q.action,
        actor: q.actor,
        org_id,
        entity_type: q.entity_type,
    };
    let page = s
        .app
        .list_audit(&actor, &filter, PageRequest::checked(q.page, q.per_page)?)
        .await?;
    let (items, meta) = items_and_meta(page);
    Ok(Json(AuditList { items, meta }))
}
