//! `/api/v1` for the organisation register.

use crate::AppState;
use crate::kit::envelope::{ListMeta, items_and_meta};
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult, require_csv};
use crate::kit::identity::ApiUser;
use crate::organisations::dto::{
    ImportReportDto, NewOrganisation, OrgQuery, OrganisationDto, OrganisationList,
    OrganisationPatch,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use palisade_domain::org::OrgInput;
use palisade_domain::page::PageRequest;

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", params(OrgQuery), security(("bearer" = [])),
    responses((status = 200, body = OrganisationList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn list_orgs(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> ApiResult<Json<OrganisationList>> {
    let page = s
        .app
        .list_orgs(
            &actor,
            &q.filter()?,
            PageRequest::checked(q.page, q.per_page)?,
        )
        .await?;
    let (items, meta) = items_and_meta(page);
    Ok(Json(OrganisationList { items, meta }))
}

#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = NewOrganisation, security(("bearer" = [])),
    responses((status = 201, body = OrganisationDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create_org(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(b): ApiJson<NewOrganisation>,
) -> ApiResult<(StatusCode, Json<OrganisationDto>)> {
    let input = OrgInput {
        code: b.code,
        name: b.name,
        org_type: b.org_type,
        category: b.category.map(|c| c.to_string()).unwrap_or_default(),
        region: b.region,
        parent_code: b.parent_code.unwrap_or_default(),
    };
    let org = s.app.create_org(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

#[utoipa::path(post, path = "/api/v1/organisations/import", tag = "organisations", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv", description = "Header: code,name,type,category,region,parent_code"),
    responses((status = 200, body = ImportReportDto), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn import_orgs(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<ImportReportDto>> {
    // Permission before the register is read: a refused caller's file is never taken in.
    actor.require(palisade_domain::policy::GlobalAction::ImportOrganisations)?;
    require_csv(&headers, "the register")?;
    let body =
        crate::kit::extract::read_body(body, palisade_formats::register::MAX_IMPORT_BYTES).await?;
    let r = s.app.import_orgs_csv(&actor, &body, |_| {}).await?;
    Ok(Json(ImportReportDto {
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
    }))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}", tag = "organisations", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrganisationDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_org(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<OrganisationDto>> {
    let v = s
        .app
        .org_for(&actor, &code, palisade_domain::policy::OrgAction::View)
        .await?;
    Ok(Json(v.org.into()))
}

#[utoipa::path(patch, path = "/api/v1/organisations/{code}", tag = "organisations", params(("code" = String, Path)), request_body = OrganisationPatch,
    security(("bearer" = [])), responses((status = 200, body = OrganisationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update_org(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(p): ApiJson<OrganisationPatch>,
) -> ApiResult<Json<OrganisationDto>> {
    Ok(Json(
        s.app.update_org(&actor, &code, &p.into()).await?.into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/children", tag = "organisations", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrganisationList), (status = 404, body = ErrorBody)))]
pub(crate) async fn children(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<OrganisationList>> {
    let v = s
        .app
        .org_for(&actor, &code, palisade_domain::policy::OrgAction::View)
        .await?;
    let items: Vec<OrganisationDto> = s
        .app
        .children(&v)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let n = items.len() as u64;
    Ok(Json(OrganisationList {
        items,
        meta: ListMeta {
            total: n,
            page: 1,
            per_page: n.max(1) as u32,
            total_pages: 1,
        },
    }))
}
