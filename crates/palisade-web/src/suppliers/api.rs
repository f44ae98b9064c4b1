//! Suppliers over the API: an IT supplier's products and services, and the product versions and
//! services an organisation uses (one at a time, or a CSV file that replaces them).

use crate::AppState;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiResult, read_body};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use palisade_app::suppliers::{OrgSuppliers, SupplierProducts, SupplierSummary};
use palisade_domain::dates::date_text;
use palisade_domain::supplier::{LinkInput, OfferingInput};
use palisade_store::{LinkRecord, ProductRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A product version and, for the supplier's own people and the national team, how many
/// active organisations use it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDto {
    pub version: String,
    /// Null unless the caller is the supplier's own or national.
    pub customers: Option<i64>,
    /// The SBOM in force for this version; null when none, or for other callers.
    pub sbom: Option<SbomDto>,
}

/// An SBOM a supplier uploaded for a product version.
#[derive(Debug, Serialize, ToSchema)]
pub struct SbomDto {
    pub product_id: i64,
    pub version: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    pub components: i64,
    /// SHA-256 of the document as uploaded.
    pub sha256: String,
    pub uploaded_at: String,
    pub uploaded_by: Option<String>,
}

impl From<palisade_store::SbomRecord> for SbomDto {
    fn from(s: palisade_store::SbomRecord) -> Self {
        Self {
            product_id: s.product_id,
            version: s.version,
            format: s.format,
            components: s.components,
            sha256: s.sha256,
            uploaded_at: palisade_domain::clock::rfc3339_opt(Some(s.uploaded_at))
                .unwrap_or_default(),
            uploaded_by: s.uploaded_by,
        }
    }
}

/// A product or service an IT supplier lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDto {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `product` or `service`.
    pub kind: String,
    /// A service's type: `hosting`, `managed_service` or `support`.
    pub service_type: Option<String>,
    /// CPE 2.3 name.
    pub cpe: Option<String>,
    /// Package URL, without a version.
    pub purl: Option<String>,
    /// A product's versions in the order listed; empty for a service.
    pub versions: Vec<VersionDto>,
    /// Organisations using a service; null for the caller who may not see counts.
    pub customers: Option<i64>,
}

fn product_dto(p: ProductRecord, counts: bool, sboms: &[palisade_store::SbomRecord]) -> ProductDto {
    let sbom_of = |v: &str| {
        sboms
            .iter()
            .find(|s| s.product_id == p.id && s.version == v)
            .cloned()
            .map(Into::into)
    };
    ProductDto {
        id: p.id,
        name: p.name,
        description: p.description,
        kind: p.kind.as_str().into(),
        service_type: p.service_type.map(|t| t.as_str().into()),
        cpe: p.cpe,
        purl: p.purl,
        versions: p
            .versions
            .into_iter()
            .map(|v| VersionDto {
                sbom: sbom_of(&v.version),
                version: v.version,
                customers: counts.then_some(v.customers),
            })
            .collect(),
        customers: counts.then_some(p.customers),
    }
}

/// An IT supplier's catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    pub supplier_code: String,
    pub supplier_name: String,
    /// By name; every product and service (a supplier lists tens, not thousands).
    pub items: Vec<ProductDto>,
}

impl From<SupplierProducts> for ProductList {
    fn from(v: SupplierProducts) -> Self {
        Self {
            supplier_code: v.org.code,
            supplier_name: v.org.name,
            items: v
                .products
                .into_iter()
                .map(|p| product_dto(p, v.shows_customers, &v.sboms))
                .collect(),
        }
    }
}

/// A product or service to list (or its new content).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `product` (the default) or `service`.
    #[serde(default)]
    pub kind: String,
    /// Required for a service: `hosting`, `managed_service` or `support`.
    #[serde(default)]
    pub service_type: String,
    /// CPE 2.3 name, optional.
    #[serde(default)]
    pub cpe: String,
    /// Package URL without a version, optional.
    #[serde(default)]
    pub purl: String,
    /// A product's versions (at least one); none for a service.
    #[serde(default)]
    pub versions: Vec<String>,
}

impl From<ProductBody> for OfferingInput {
    fn from(b: ProductBody) -> Self {
        Self {
            name: b.name,
            description: b.description,
            kind: b.kind,
            service_type: b.service_type,
            cpe: b.cpe,
            purl: b.purl,
            versions: b.versions,
        }
    }
}

/// A product version or service the organisation uses.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkDto {
    pub id: i64,
    pub supplier_code: String,
    pub product_id: i64,
    /// The product's or service's name.
    pub product: String,
    /// `product` or `service`.
    pub kind: String,
    pub service_type: Option<String>,
    /// Empty for a service.
    pub version: String,
    pub contract_end: Option<String>,
}

impl From<LinkRecord> for LinkDto {
    fn from(l: LinkRecord) -> Self {
        Self {
            id: l.id,
            supplier_code: l.supplier_code,
            product_id: l.product_id,
            product: l.product,
            kind: l.kind.as_str().into(),
            service_type: l.service_type.map(|t| t.as_str().into()),
            version: l.version,
            contract_end: l.contract_end.map(date_text),
        }
    }
}

/// A commitment's state as a customer sees it (not the supplier's evidence).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerCommitmentDto {
    pub key: String,
    pub title: String,
    /// `evidenced`, `live_met`, `live_not_met`, `expired` or `missing`.
    pub state: String,
}

/// One of the organisation's suppliers and what it uses of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierDto {
    pub code: String,
    pub name: String,
    /// The supplier's charter state: `not_signed`, `signed`, `reaffirmation_due`, `lapsed` or
    /// `withdrawn`.
    pub charter_state: String,
    pub charter_expires_on: Option<String>,
    pub commitments: Vec<CustomerCommitmentDto>,
    /// The supplier's latest published assessment status (this year or last), e.g.
    /// `standards_met`; null when none is published.
    pub dspt_status: Option<String>,
    /// The year of that assessment, e.g. `2025-26`.
    pub dspt_year: Option<String>,
    pub uses: Vec<LinkDto>,
}

impl From<SupplierSummary> for SupplierDto {
    fn from(s: SupplierSummary) -> Self {
        Self {
            code: s.supplier.code,
            name: s.supplier.name,
            charter_state: s.charter.as_str().into(),
            charter_expires_on: s.charter_expires_on.map(date_text),
            commitments: s
                .commitments
                .into_iter()
                .map(|(key, title, state)| CustomerCommitmentDto {
                    key: key.as_str().into(),
                    title,
                    state: state.as_str().into(),
                })
                .collect(),
            dspt_status: s.dspt.map(|(_, st)| st.as_str().into()),
            dspt_year: s
                .dspt
                .map(|(y, _)| palisade_domain::assessment::year_label(y)),
            uses: s.uses.into_iter().map(Into::into).collect(),
        }
    }
}

/// The suppliers an organisation uses, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierList {
    pub items: Vec<SupplierDto>,
}

impl From<OrgSuppliers> for SupplierList {
    fn from(v: OrgSuppliers) -> Self {
        Self {
            items: v.suppliers.into_iter().map(Into::into).collect(),
        }
    }
}

/// A product version or service the organisation uses: `product` with `version`, or `service`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkBody {
    pub supplier_code: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub service: String,
    /// `YYYY-MM-DD`, optional; not in the past.
    #[serde(default)]
    pub contract_end: String,
}

impl From<LinkBody> for LinkInput {
    fn from(b: LinkBody) -> Self {
        Self {
            supplier_code: b.supplier_code,
            product: b.product,
            version: b.version,
            service: b.service,
            contract_end: b.contract_end,
        }
    }
}

/// How many links a supplier file left the organisation with.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkImportDto {
    pub links: usize,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/products", tag = "suppliers", params(("code" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = ProductList),
        (status = 404, description = "No such active IT supplier", body = ErrorBody)))]
pub(crate) async fn list_products(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<ProductList>> {
    Ok(Json(s.app.supplier_products(&actor, &code).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/products", tag = "suppliers", params(("code" = String, Path)), request_body = ProductBody,
    security(("bearer" = [])), responses((status = 201, body = ProductDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The supplier lists one of that name already", body = ErrorBody),
        (status = 422, description = "A field refused, or not an IT supplier", body = ErrorBody)))]
pub(crate) async fn create_product(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ProductBody>,
) -> ApiResult<(StatusCode, Json<ProductDto>)> {
    let p = s.app.create_product(&actor, &code, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(product_dto(p, true, &[]))))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/products/{id}", tag = "suppliers", params(("code" = String, Path), ("id" = i64, Path)), request_body = ProductBody,
    security(("bearer" = [])), responses((status = 200, body = ProductDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "A version left out is still used, the kind changed, or the name is taken", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub(crate) async fn update_product(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    ApiJson(b): ApiJson<ProductBody>,
) -> ApiResult<Json<ProductDto>> {
    let p = s.app.update_product(&actor, &code, id, &b.into()).await?;
    Ok(Json(product_dto(p, true, &[])))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/suppliers", tag = "suppliers", params(("code" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = SupplierList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_suppliers(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<SupplierList>> {
    Ok(Json(s.app.org_suppliers(&actor, &code).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/suppliers", tag = "suppliers", params(("code" = String, Path)), request_body = LinkBody,
    security(("bearer" = [])), responses((status = 201, body = LinkDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Recorded already", body = ErrorBody),
        (status = 422, description = "A field refused, or an unknown supplier, product or version", body = ErrorBody)))]
pub(crate) async fn add_supplier(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<LinkBody>,
) -> ApiResult<(StatusCode, Json<LinkDto>)> {
    let l = s.app.add_supplier_link(&actor, &code, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(l.into())))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/suppliers", tag = "suppliers", params(("code" = String, Path)), security(("bearer" = [])),
    request_body(content((String = "text/csv", example = "supplier_code,product,version,service,contract_end")),
        description = "CSV with the header supplier_code,product,version,service,contract_end: a product with its version, or a service, per line; contract_end optional (YYYY-MM-DD)"),
    responses((status = 200, description = "What the organisation uses was replaced", body = LinkImportDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, description = "Every bad line named; nothing changed", body = ErrorBody)))]
pub(crate) async fn import_suppliers(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<LinkImportDto>> {
    // Permission before the body is read: a refused caller's file is never taken in.
    s.app
        .org_for(
            &actor,
            &code,
            palisade_domain::policy::OrgAction::ManageSuppliers,
        )
        .await?;
    let media = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !media.starts_with("text/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the supplier file as text/csv",
            None,
        ));
    }
    let body = read_body(body, palisade_formats::suppliers::MAX_LINK_BYTES).await?;
    let links = s.app.import_supplier_links(&actor, &code, &body).await?;
    Ok(Json(LinkImportDto { links }))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{code}/suppliers/{id}", tag = "suppliers", params(("code" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, description = "Removed", body = LinkDto), (status = 403, body = ErrorBody),
        (status = 404, description = "No such link of this organisation", body = ErrorBody)))]
pub(crate) async fn remove_supplier(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<LinkDto>> {
    Ok(Json(
        s.app.remove_supplier_link(&actor, &code, id).await?.into(),
    ))
}

/// Permission to upload a product version's SBOM or VEX, checked before the body is read: a
/// refused caller's file is never taken in.
async fn may_upload(s: &AppState, actor: &palisade_app::Actor, code: &str) -> ApiResult<()> {
    s.app
        .org_for(
            actor,
            code,
            palisade_domain::policy::OrgAction::ManageProducts,
        )
        .await?;
    Ok(())
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/products/{id}/versions/{version}/sbom", tag = "suppliers",
    params(("code" = String, Path), ("id" = i64, Path), ("version" = String, Path)), security(("bearer" = [])),
    request_body(content(
        (String = "application/vnd.cyclonedx+json"),
        (String = "application/spdx+json"),
        (String = "application/json")),
        description = "CycloneDX JSON (1.2 to 1.6) or SPDX 2.3 JSON; application/json is read as whichever the document says it is"),
    responses((status = 200, description = "The version's SBOM was replaced", body = SbomDto), (status = 403, body = ErrorBody),
        (status = 404, description = "No such supplier or product", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "A version the product does not list, a service, or the document refused by JSON path", body = ErrorBody)))]
pub(crate) async fn put_sbom(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id, version)): Path<(String, i64, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<SbomDto>> {
    may_upload(&s, &actor, &code).await?;
    let (format, body) = crate::inventory::api::read_inventory(&headers, body, false).await?;
    let sbom = s
        .app
        .upload_supplier_sbom(&actor, &code, id, &version, format, &body)
        .await?;
    Ok(Json(sbom.into()))
}

/// How many statements a VEX upload left the product version with.
#[derive(Debug, Serialize, ToSchema)]
pub struct VexUploadDto {
    pub statements: usize,
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/products/{id}/versions/{version}/vex", tag = "suppliers",
    params(("code" = String, Path), ("id" = i64, Path), ("version" = String, Path)), security(("bearer" = [])),
    request_body(content(
        (String = "application/vnd.cyclonedx+json"),
        (String = "application/csaf+json"),
        (String = "application/json")),
        description = "CycloneDX VEX, CSAF 2.0 VEX (document.category csaf_vex) or OpenVEX JSON, told apart by the document's own markers"),
    responses((status = 200, description = "The version's VEX statements were replaced", body = VexUploadDto), (status = 403, body = ErrorBody),
        (status = 404, description = "No such supplier or product", body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "No SBOM for the version, a component the SBOM lacks, or the document refused by JSON path", body = ErrorBody)))]
pub(crate) async fn put_vex(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id, version)): Path<(String, i64, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<VexUploadDto>> {
    may_upload(&s, &actor, &code).await?;
    if !crate::kit::extract::json_content_type(&headers) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the VEX as JSON: application/json, application/vnd.cyclonedx+json or application/csaf+json",
            None,
        ));
    }
    let body = read_body(body, palisade_formats::inventory::MAX_INVENTORY_BYTES).await?;
    let statements = s
        .app
        .upload_supplier_vex(&actor, &code, id, &version, &body)
        .await?;
    Ok(Json(VexUploadDto { statements }))
}
