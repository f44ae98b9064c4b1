//! `/api/v1` for exposure: by CVE, by alert, and for one organisation.

use crate::AppState;
use crate::inventory::api::ComponentFields;
use crate::kit::envelope::ListMeta;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiQuery, ApiResult, Paging};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use palisade_app::exposure::{ExposureReport, Source};
use palisade_domain::dates::date_text;
use palisade_domain::kev::KevEntry;
use palisade_domain::page::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where an exposure answer's rules came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceDto {
    /// `alert` (a published alert, with the versions its products give), `osv` or `csaf` (an
    /// imported advisory, likewise) or `kev_product` (a known exploited vulnerability no alert or
    /// advisory gives versions for: every version of its product).
    pub kind: String,
    pub reference: Option<String>,
    pub title: Option<String>,
}

impl From<Source> for SourceDto {
    fn from(s: Source) -> Self {
        match s {
            Source::Alert { reference, title } => Self {
                kind: "alert".into(),
                reference: Some(reference),
                title: Some(title),
            },
            Source::Advisory { feed, id, title } => Self {
                kind: feed.into(),
                reference: Some(id),
                title: Some(title),
            },
            Source::KevProduct { cve } => Self {
                kind: "kev_product".into(),
                reference: Some(cve.as_str().into()),
                title: None,
            },
        }
    }
}

/// A known exploited vulnerability, from CISA's catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct KevDto {
    pub cve: String,
    pub vendor_project: String,
    pub product: String,
    pub name: String,
    pub date_added: String,
    pub due_date: Option<String>,
    /// Known to be used in ransomware campaigns.
    pub ransomware: bool,
    pub required_action: String,
}

impl From<KevEntry> for KevDto {
    fn from(k: KevEntry) -> Self {
        Self {
            cve: k.cve.as_str().into(),
            vendor_project: k.vendor_project,
            product: k.product,
            name: k.name,
            date_added: date_text(k.date_added),
            due_date: k.due_date.map(date_text),
            ransomware: k.ransomware,
            required_action: k.required_action,
        }
    }
}

/// One exposed organisation with its matching components.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposedOrgDto {
    pub org_code: String,
    /// Shown to national roles only.
    pub org_name: Option<String>,
    pub components: Vec<MatchedComponentDto>,
    /// Suppliers' product versions the organisation uses whose SBOMs the answer's sources name.
    pub through: Vec<SupplierPathDto>,
}

/// A supplier's product version left out of an answer by its VEX.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressedDto {
    pub supplier_code: String,
    pub product: String,
    pub version: String,
    pub statements: Vec<VexStatementDto>,
}

/// What a supplier says of one CVE in one of its product versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct VexStatementDto {
    pub cve: String,
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    pub justification: Option<String>,
    pub detail: Option<String>,
}

impl From<palisade_app::supplier_exposure::Suppressed> for SuppressedDto {
    fn from(s: palisade_app::supplier_exposure::Suppressed) -> Self {
        Self {
            supplier_code: s.supplier_code,
            product: s.product,
            version: s.version,
            statements: s
                .statements
                .into_iter()
                .map(|v| VexStatementDto {
                    cve: v.cve,
                    status: v.status.as_str().into(),
                    justification: v.justification,
                    detail: v.detail,
                })
                .collect(),
        }
    }
}

/// A supplier's product version an organisation is exposed through.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierPathDto {
    pub supplier_code: String,
    pub supplier_name: String,
    pub product_id: i64,
    pub product: String,
    pub version: String,
    /// In words: `through supplier product CareRecord 4.2 (8J000)`.
    pub path: String,
    /// The SBOM's components the sources name.
    pub components: Vec<ComponentFields>,
}

impl From<palisade_app::supplier_exposure::SupplierPath> for SupplierPathDto {
    fn from(p: palisade_app::supplier_exposure::SupplierPath) -> Self {
        Self {
            path: p.describe(),
            supplier_code: p.supplier_code,
            supplier_name: p.supplier_name,
            product_id: p.product_id,
            product: p.product,
            version: p.version,
            components: p.components.into_iter().map(Into::into).collect(),
        }
    }
}

/// A matching component and which of the answer's sources name it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchedComponentDto {
    #[serde(flatten)]
    pub component: ComponentFields,
    /// Positions (from 0) in the answer's `sources` of those naming this component: the answer
    /// is the union of what every source says.
    pub sources: Vec<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureDto {
    /// Suppliers' product versions whose SBOMs the sources name but whose VEX says, for every
    /// CVE asked about, not affected or fixed: left out, with what the supplier said.
    pub suppressed: Vec<SuppressedDto>,
    pub sources: Vec<SourceDto>,
    pub kev: Option<KevDto>,
    /// Matching components across every exposed organisation the caller may see.
    pub components: usize,
    pub items: Vec<ExposedOrgDto>,
    pub meta: ListMeta,
}

pub(crate) fn exposure_dto(r: ExposureReport) -> ExposureDto {
    let meta = crate::kit::envelope::meta(&r.organisations);
    ExposureDto {
        suppressed: r.suppressed.into_iter().map(Into::into).collect(),
        sources: r.sources.into_iter().map(Into::into).collect(),
        kev: r.kev.map(Into::into),
        components: r.components,
        items: r
            .organisations
            .items
            .into_iter()
            .map(|e| ExposedOrgDto {
                through: e.through.into_iter().map(Into::into).collect(),
                org_code: e.code,
                org_name: e.name,
                components: e
                    .components
                    .into_iter()
                    .map(|m| MatchedComponentDto {
                        component: m.component.into(),
                        sources: m.sources,
                    })
                    .collect(),
            })
            .collect(),
        meta,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExposureQuery {
    /// `CVE-YYYY-NNNN`.
    pub cve: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/exposure", tag = "estate", params(ExposureQuery), security(("bearer" = [])),
    responses((status = 200, description = "Exposed organisations by code: every one for national roles, the caller's own otherwise", body = ExposureDto),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn exposure_by_cve(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ExposureQuery>,
) -> ApiResult<Json<ExposureDto>> {
    let report = s
        .app
        .exposure_by_cve(
            &actor,
            q.cve.as_deref().unwrap_or_default(),
            PageRequest::checked(q.page, q.per_page)?,
        )
        .await?;
    Ok(Json(exposure_dto(report)))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}/exposure", tag = "estate", params(("id" = String, Path, description = "The alert's reference, e.g. CC-1000"), Paging), security(("bearer" = [])),
    responses((status = 200, body = ExposureDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn alert_exposure(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ExposureDto>> {
    let report = s.app.alert_exposure(&actor, &id, q.request()?).await?;
    Ok(Json(exposure_dto(report)))
}

/// An alert, advisory or known exploited vulnerability the organisation's components match.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgMatchDto {
    #[serde(flatten)]
    pub source: SourceDto,
    pub cves: Vec<String>,
    /// Any of its CVEs is in CISA's catalogue of known exploited vulnerabilities.
    pub known_exploited: bool,
    /// How many of the organisation's components it matches.
    pub component_count: usize,
    /// The first 50 of them, in inventory order (the inventory itself pages through all).
    pub components: Vec<ComponentFields>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgMatchList {
    pub items: Vec<OrgMatchDto>,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/exposure", tag = "estate", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "Alerts first, then advisories, then known exploited vulnerabilities matched by product; known exploited first within each", body = OrgMatchList),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn org_exposure(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<OrgMatchList>> {
    Ok(Json(OrgMatchList {
        items: s
            .app
            .org_exposure(&actor, &code)
            .await?
            .into_iter()
            .map(|m| OrgMatchDto {
                source: m.source.into(),
                cves: m.cves.iter().map(|c| c.as_str().to_string()).collect(),
                known_exploited: m.known_exploited,
                component_count: m.component_count,
                components: m.components.into_iter().map(Into::into).collect(),
            })
            .collect(),
    }))
}
