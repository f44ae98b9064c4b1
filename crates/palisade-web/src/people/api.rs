//! `/api/v1` for people and their roles, and `/api/v1/me`.

use crate::AppState;
use crate::kit::envelope::{ListMeta, meta};
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult, PageQuery};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_app::people::NewPersonInput;
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::page::PageRequest;
use palisade_domain::people::Role;
use palisade_store::{GrantRecord, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonList {
    pub items: Vec<PersonDto>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    pub role: String,
    pub org_code: Option<String>,
}

impl From<GrantRecord> for RoleDto {
    fn from(g: GrantRecord) -> Self {
        Self {
            role: g.role.as_str().into(),
            org_code: g.org_code,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub active: bool,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<RoleDto>>,
}

pub(crate) fn person(u: User, roles: Option<Vec<GrantRecord>>) -> PersonDto {
    PersonDto {
        id: u.id,
        email: u.email,
        name: u.name,
        active: u.active,
        created_at: rfc3339(from_unix(u.created_at)),
        roles: roles.map(|r| r.into_iter().map(RoleDto::from).collect()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgPersonDto {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub id: Option<i64>,
    pub email: String,
    pub roles: Vec<RoleDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub email: String,
    pub name: String,
    /// Optional: at least 12 characters when given.
    pub password: Option<String>,
    pub role: String,
    pub org_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RoleBody {
    pub role: String,
    pub org_code: Option<String>,
}

pub(crate) fn parse_role(s: &str) -> Result<Role, AppError> {
    s.parse().map_err(|m: String| AppError::invalid("role", m))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "people", security(("bearer" = [])), responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<MeDto>> {
    let grants = s.app.my_roles(&actor).await?;
    Ok(Json(MeDto {
        id: actor.user_id,
        email: actor.label.clone(),
        roles: grants.into_iter().map(RoleDto::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgPeopleList {
    pub items: Vec<OrgPersonDto>,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/people", tag = "people", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrgPeopleList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn org_people(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<OrgPeopleList>> {
    let people = s.app.people_of_org(&actor, &code).await?;
    Ok(Json(OrgPeopleList {
        items: people
            .into_iter()
            .map(|(u, r)| OrgPersonDto {
                id: u.id,
                email: u.email,
                name: u.name,
                role: r.as_str().into(),
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PageQuery), security(("bearer" = [])), responses((status = 200, body = PersonList)))]
pub(crate) async fn list_people(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PersonList>> {
    let page = s
        .app
        .list_people(
            &actor,
            q.q.as_deref().unwrap_or(""),
            PageRequest::checked(q.page, q.per_page)?,
        )
        .await?;
    let meta = meta(&page);
    Ok(Json(PersonList {
        items: page.items.into_iter().map(|u| person(u, None)).collect(),
        meta,
    }))
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = NewPerson, security(("bearer" = [])),
    responses((status = 201, body = PersonDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn create_person(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(b): ApiJson<NewPerson>,
) -> ApiResult<(StatusCode, Json<PersonDto>)> {
    let role = parse_role(&b.role)?;
    let input = NewPersonInput {
        email: b.email,
        name: b.name,
        password: b.password.unwrap_or_default(),
    };
    let u = s
        .app
        .create_person(&actor, &input, role, b.org_code.as_deref())
        .await?;
    let (u, grants) = s.app.get_person(&actor, u.id).await?;
    Ok((StatusCode::CREATED, Json(person(u, Some(grants)))))
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = PersonDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_person(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonDto>> {
    let (u, g) = s.app.get_person(&actor, id).await?;
    Ok(Json(person(u, Some(g))))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/roles", tag = "people", params(("id" = i64, Path)), request_body = RoleBody, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn grant_role(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<StatusCode> {
    s.app
        .grant_role(&actor, id, parse_role(&b.role)?, b.org_code.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/people/{id}/roles", tag = "people", params(("id" = i64, Path), RoleBody), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke_role(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
    ApiQuery(b): ApiQuery<RoleBody>,
) -> ApiResult<StatusCode> {
    s.app
        .revoke_role(&actor, id, parse_role(&b.role)?, b.org_code.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
