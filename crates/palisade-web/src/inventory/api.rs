//! `/api/v1` for inventories: an organisation uploads its components (the content type says
//! the format) and reads them back with the history of its uploads.

use crate::AppState;
use crate::kit::envelope::{ListMeta, items_and_meta};
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiQuery, ApiResult, Paging, read_body};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::inventory::{Component, InventoryFormat};
use palisade_store::{InventoryChange, InventoryUpload, StoredComponent};
use serde::Serialize;
use utoipa::ToSchema;

/// What an inventory line says about a component.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentFields {
    pub asset: String,
    /// One of `workstation`, `server`, `network_device`, `medical_device`, `mobile_device`,
    /// `operating_system`, `application`, `library`, `firmware`, `cloud_service`, `other`.
    pub asset_type: String,
    pub vendor: String,
    pub product: String,
    pub version: Option<String>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
    pub internet_facing: bool,
    pub location: Option<String>,
}

impl From<Component> for ComponentFields {
    fn from(c: Component) -> Self {
        Self {
            asset: c.asset,
            asset_type: c.asset_type.as_str().into(),
            vendor: c.vendor,
            product: c.product,
            version: c.version,
            cpe: c.cpe.map(|x| x.as_str().into()),
            purl: c.purl.map(|x| x.as_str().into()),
            internet_facing: c.internet_facing,
            location: c.location,
        }
    }
}

/// One component of an organisation's inventory.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentDto {
    /// Where the component stands in the uploaded file, from 1.
    pub position: i64,
    #[serde(flatten)]
    pub fields: ComponentFields,
}

impl From<StoredComponent> for ComponentDto {
    fn from(s: StoredComponent) -> Self {
        Self {
            position: s.position,
            fields: s.component.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentList {
    pub items: Vec<ComponentDto>,
    pub meta: ListMeta,
}

/// One upload: when, in what format, and what it changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadDto {
    pub id: i64,
    /// `csv`, `cyclonedx` or `spdx`.
    pub format: String,
    /// Components in the inventory after the upload.
    pub components: i64,
    pub added: i64,
    pub removed: i64,
    pub uploaded_at: String,
}

impl From<InventoryUpload> for UploadDto {
    fn from(u: InventoryUpload) -> Self {
        Self {
            id: u.id,
            format: u.format.as_str().into(),
            components: u.components,
            added: u.added,
            removed: u.removed,
            uploaded_at: rfc3339(from_unix(u.uploaded_at)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadList {
    pub items: Vec<UploadDto>,
    pub meta: ListMeta,
}

/// A component an upload added or removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeDto {
    /// `added` or `removed`.
    pub change: String,
    pub asset: String,
    pub asset_type: String,
    pub vendor: String,
    pub product: String,
    pub version: Option<String>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
}

impl From<InventoryChange> for ChangeDto {
    fn from(c: InventoryChange) -> Self {
        Self {
            change: if c.added { "added" } else { "removed" }.into(),
            asset: c.asset,
            asset_type: c.asset_type.as_str().into(),
            vendor: c.vendor,
            product: c.product,
            version: c.version,
            cpe: c.cpe,
            purl: c.purl,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeList {
    pub items: Vec<ChangeDto>,
    pub meta: ListMeta,
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/inventory", tag = "inventory", params(("code" = String, Path)), security(("bearer" = [])),
    request_body(content(
        (String = "text/csv", example = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing"),
        (String = "application/vnd.cyclonedx+json"),
        (String = "application/spdx+json"),
        (String = "application/json")),
        description = "CSV with the header asset,asset_type,vendor,product,version,cpe,purl,internet_facing (then optionally location; cpe, purl and internet_facing may be empty), CycloneDX JSON (1.2 to 1.6) or SPDX 2.3 JSON; application/json is read as whichever the document says it is"),
    responses((status = 200, description = "The inventory was replaced", body = UploadDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, description = "Every bad line named; the previous inventory stays", body = ErrorBody)))]
pub(crate) async fn put_inventory(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<UploadDto>> {
    // Permission before the body is read: a refused caller's file is never taken in.
    s.app
        .org_for(
            &actor,
            &code,
            palisade_domain::policy::OrgAction::ManageInventory,
        )
        .await?;
    let (format, body) = read_inventory(&headers, body, true).await?;
    let upload = s.app.upload_inventory(&actor, &code, format, &body).await?;
    Ok(Json(upload.into()))
}

/// Reads an inventory or SBOM body (up to the inventory limit) and the format its content type
/// names (`application/json` read as whichever SBOM the document says it is); CSV only when
/// `csv` allows it, else `415`.
pub(crate) async fn read_inventory(
    headers: &HeaderMap,
    body: axum::body::Body,
    csv: bool,
) -> Result<(InventoryFormat, axum::body::Bytes), ApiError> {
    let body = read_body(body, palisade_formats::inventory::MAX_INVENTORY_BYTES).await?;
    let media = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match palisade_formats::inventory::format_of(media, &body) {
        Some(InventoryFormat::Csv) if !csv => {}
        Some(f) => return Ok((f, body)),
        None if media.starts_with("application/json") => {
            return Err(palisade_app::AppError::invalid(
                "file",
                "is neither CycloneDX JSON (bomFormat) nor SPDX JSON (spdxVersion)",
            )
            .into());
        }
        None => {}
    }
    let accepted = if csv {
        "text/csv, application/vnd.cyclonedx+json, application/spdx+json or application/json"
    } else {
        "application/vnd.cyclonedx+json, application/spdx+json or application/json"
    };
    Err(ApiError::new(
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("send it as {accepted}"),
        None,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/inventory", tag = "inventory", params(("code" = String, Path), Paging), security(("bearer" = [])),
    responses((status = 200, body = ComponentList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_inventory(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ComponentList>> {
    let (items, meta) = items_and_meta(s.app.inventory(&actor, &code, q.request()?).await?);
    Ok(Json(ComponentList { items, meta }))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/inventory/uploads", tag = "inventory", params(("code" = String, Path), Paging), security(("bearer" = [])),
    responses((status = 200, body = UploadList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_uploads(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<UploadList>> {
    let (items, meta) = items_and_meta(s.app.inventory_uploads(&actor, &code, q.request()?).await?);
    Ok(Json(UploadList { items, meta }))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/inventory/uploads/{id}/changes", tag = "inventory", params(("code" = String, Path), ("id" = i64, Path), Paging), security(("bearer" = [])),
    responses((status = 200, body = ChangeList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_changes(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    ApiQuery(q): ApiQuery<Paging>,
) -> ApiResult<Json<ChangeList>> {
    let (items, meta) = items_and_meta(
        s.app
            .inventory_changes(&actor, &code, id, q.request()?)
            .await?,
    );
    Ok(Json(ChangeList { items, meta }))
}
