//! `/api/v1`: the same features as the pages, for integrations, with bearer tokens.
//!
//! Conventions: snake_case fields, RFC 3339 UTC times, lists as `{"items": [...], "meta": {...}}`,
//! errors as `{"error": {"code", "message", "field"}}`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::identity::ApiUser;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use palisade_app::AppError;
use palisade_app::orgs::OrgPatch;
use palisade_app::people::NewPersonInput;
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt};
use palisade_domain::org::{Category, OrgInput, OrgType};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::people::{ContactInput, Role};
use palisade_domain::policy::Scope;
use palisade_store::{
    ApiToken, AuditFilter, AuditRecord, Contact, GrantRecord, OrgFilter, Organisation, User,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/organisations", get(list_orgs).post(create_org))
        .route(
            "/api/v1/organisations/import",
            post(import_orgs).layer(axum::extract::DefaultBodyLimit::max(
                palisade_app::import::MAX_IMPORT_BYTES,
            )),
        )
        .route(
            "/api/v1/organisations/{code}",
            get(get_org).patch(update_org),
        )
        .route("/api/v1/organisations/{code}/children", get(children))
        .route(
            "/api/v1/organisations/{code}/contacts",
            get(list_contacts).post(create_contact),
        )
        .route(
            "/api/v1/organisations/{code}/contacts/{id}",
            get(get_contact).put(update_contact).delete(delete_contact),
        )
        .route("/api/v1/organisations/{code}/people", get(org_people))
        .route("/api/v1/people", get(list_people).post(create_person))
        .route("/api/v1/people/{id}", get(get_person))
        .route(
            "/api/v1/people/{id}/roles",
            post(grant_role).delete(revoke_role),
        )
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(list_audit))
}

// ---------- extractors with errors in the API's envelope ----------

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(match r {
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as application/json",
                    None,
                ),
                JsonRejection::JsonSyntaxError(e) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("the body is not valid JSON: {}", e.body_text()),
                    None,
                ),
                JsonRejection::JsonDataError(e) => {
                    let text = e.body_text();
                    let field = text
                        .split(": ")
                        .nth(1)
                        .filter(|f| !f.contains(' '))
                        .map(str::to_string);
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", text, field)
                }
                JsonRejection::BytesRejection(_) => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the body is too large",
                    None,
                ),
                other => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    other.body_text(),
                    None,
                ),
            }),
        }
    }
}

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", e.body_text(), None)
            })
    }
}

type ApiResult<T> = Result<T, ApiError>;

// ---------- representations ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub total_pages: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationList {
    pub items: Vec<OrganisationDto>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonList {
    pub items: Vec<PersonDto>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub items: Vec<AuditEntryDto>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactDto>,
}

/// Refuses (415) a body that is not `text/csv`, saying what was expected.
pub(crate) fn require_csv(headers: &HeaderMap, what: &str) -> Result<(), ApiError> {
    require_media(headers, "text/csv", what)
}

/// Refuses with 415 unless the request's content type is `media` (parameters allowed).
pub(crate) fn require_media(headers: &HeaderMap, media: &str, what: &str) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with(media) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("send {what} as {media}"),
        None,
    ))
}

pub(crate) fn items_and_meta<T, D: From<T>>(p: Page<T>) -> (Vec<D>, ListMeta) {
    let meta = meta(&p);
    (p.items.into_iter().map(Into::into).collect(), meta)
}

pub(crate) fn meta<T>(p: &Page<T>) -> ListMeta {
    ListMeta {
        total: p.total,
        page: p.page,
        per_page: p.per_page,
        total_pages: p.total_pages(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationDto {
    pub code: String,
    pub name: String,
    /// One of `acute_trust`, `mental_health_trust`, `community_trust`, `ambulance_trust`, `icb`,
    /// `csu`, `arms_length_body`, `gp_practice`, `pharmacy`, `dentist`, `optician`,
    /// `adult_social_care`, `it_supplier`, `national_body`.
    #[serde(rename = "type")]
    pub org_type: String,
    /// DSPT category, 1 to 4.
    pub category: u8,
    pub region: String,
    pub parent_code: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Organisation> for OrganisationDto {
    fn from(o: Organisation) -> Self {
        Self {
            code: o.code,
            name: o.name,
            org_type: o.org_type.as_str().into(),
            category: o.category.number(),
            region: o.region,
            parent_code: o.parent_code,
            active: o.active,
            created_at: rfc3339(from_unix(o.created_at)),
            updated_at: rfc3339(from_unix(o.updated_at)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    pub id: i64,
    pub name: String,
    /// One of `siro`, `security_lead`, `ig_lead`, `caldicott_guardian`, `dpo`, `alert_contact`.
    pub role: String,
    pub email: String,
    /// E.164, e.g. `+447700900123`.
    pub mobile: Option<String>,
    /// How the contact takes alert notifications: `both`, `email` or `sms`.
    pub alert_channels: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Contact> for ContactDto {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id,
            name: c.name,
            role: c.role.as_str().into(),
            email: c.email,
            mobile: c.mobile,
            alert_channels: c.alert_channels.as_str().into(),
            created_at: rfc3339(from_unix(c.created_at)),
            updated_at: rfc3339(from_unix(c.updated_at)),
        }
    }
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

fn person(u: User, roles: Option<Vec<GrantRecord>>) -> PersonDto {
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

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub label: String,
    /// The first characters, to recognise a token without revealing it.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            label: t.label,
            prefix: t.prefix,
            created_at: rfc3339(from_unix(t.created_at)),
            last_used_at: rfc3339_opt(t.last_used_at),
            revoked_at: rfc3339_opt(t.revoked_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenDto {
    /// Shown once: store it now. Only its hash is kept.
    pub token: String,
    #[serde(flatten)]
    pub details: TokenDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub id: Option<i64>,
    pub email: String,
    pub roles: Vec<RoleDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
}

// ---------- inputs ----------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Matches code or name.
    pub q: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub org_type: Option<String>,
    pub category: Option<u8>,
    pub region: Option<String>,
    pub active: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl OrgQuery {
    pub fn filter(&self) -> Result<OrgFilter, AppError> {
        Ok(OrgFilter {
            q: self.q.clone(),
            org_type: type_param(&self.org_type)?,
            category: category_param(self.category)?,
            region: self.region.clone().filter(|r| !r.is_empty()),
            active: self.active,
        })
    }
}

/// `?type=`: empty means any.
pub(crate) fn type_param(v: &Option<String>) -> Result<Option<OrgType>, AppError> {
    v.as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().map_err(|m: String| AppError::invalid("type", m)))
        .transpose()
}

/// `?category=`, 1 to 4.
pub(crate) fn category_param(v: Option<u8>) -> Result<Option<Category>, AppError> {
    v.map(|c| {
        c.try_into()
            .map_err(|m: String| AppError::invalid("category", m))
    })
    .transpose()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: String,
    /// Defaults from the type when absent.
    pub category: Option<u8>,
    pub region: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub org_type: Option<String>,
    pub category: Option<u8>,
    pub region: Option<String>,
    /// `null` removes the parent; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    pub parent_code: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`, by `default`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl From<OrganisationPatch> for OrgPatch {
    fn from(p: OrganisationPatch) -> Self {
        OrgPatch {
            name: p.name,
            org_type: p.org_type,
            category: p.category.map(|c| c.to_string()),
            region: p.region,
            parent_code: p.parent_code,
            active: p.active,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub name: String,
    pub role: String,
    pub email: String,
    pub mobile: Option<String>,
    /// `both`, `email` or `sms`; by default both with a mobile number, email without one.
    pub alert_channels: Option<String>,
}

impl From<ContactBody> for ContactInput {
    fn from(b: ContactBody) -> Self {
        ContactInput {
            name: b.name,
            role: b.role,
            email: b.email,
            mobile: b.mobile.unwrap_or_default(),
            alert_channels: b.alert_channels.unwrap_or_default(),
        }
    }
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    pub label: String,
}

fn parse_role(s: &str) -> Result<Role, AppError> {
    s.parse().map_err(|m: String| AppError::invalid("role", m))
}

// ---------- handlers ----------

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(State(s): State<AppState>) -> Response {
    match s.app.store.ping().await {
        Ok(()) => Json(Health {
            status: "ok".into(),
            database: "up".into(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable".into(),
                    database: "down".into(),
                }),
            )
                .into_response()
        }
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics(State(s): State<AppState>) -> Response {
    let up = s.app.store.ping().await.is_ok();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(up),
    )
        .into_response()
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "people", security(("bearer" = [])), responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
async fn me(State(s): State<AppState>, ApiUser(actor): ApiUser) -> ApiResult<Json<MeDto>> {
    let grants = match actor.user_id {
        Some(id) => s
            .app
            .store
            .grants_of(id, &Scope::All)
            .await
            .map_err(AppError::from)?,
        None => vec![],
    };
    Ok(Json(MeDto {
        id: actor.user_id,
        email: actor.label.clone(),
        roles: grants.into_iter().map(RoleDto::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", params(OrgQuery), security(("bearer" = [])),
    responses((status = 200, body = OrganisationList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_orgs(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> ApiResult<Json<OrganisationList>> {
    let page = s
        .app
        .list_orgs(&actor, &q.filter()?, PageRequest::new(q.page, q.per_page))
        .await?;
    let (items, meta) = items_and_meta(page);
    Ok(Json(OrganisationList { items, meta }))
}

#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations", request_body = NewOrganisation, security(("bearer" = [])),
    responses((status = 201, body = OrganisationDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_org(
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
async fn import_orgs(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<ImportReportDto>> {
    require_csv(&headers, "the register")?;
    let r = s.app.import_orgs_csv(&actor, &body, |_| {}).await?;
    Ok(Json(ImportReportDto {
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
    }))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}", tag = "organisations", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrganisationDto), (status = 404, body = ErrorBody)))]
async fn get_org(
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
async fn update_org(
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
async fn children(
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

#[utoipa::path(get, path = "/api/v1/organisations/{code}/contacts", tag = "contacts", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ContactList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_contacts(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<ContactList>> {
    let (_, cs) = s.app.list_contacts(&actor, &code).await?;
    Ok(Json(ContactList {
        items: cs.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/contacts", tag = "contacts", params(("code" = String, Path)), request_body = ContactBody,
    security(("bearer" = [])), responses((status = 201, body = ContactDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_contact(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ContactBody>,
) -> ApiResult<(StatusCode, Json<ContactDto>)> {
    let c = s.app.create_contact(&actor, &code, &b.into()).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/contacts/{id}", tag = "contacts", params(("code" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = ContactDto), (status = 404, body = ErrorBody)))]
async fn get_contact(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<ContactDto>> {
    let (_, c) = s.app.get_contact(&actor, &code, id).await?;
    Ok(Json(c.into()))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/contacts/{id}", tag = "contacts", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = ContactBody, security(("bearer" = [])), responses((status = 200, body = ContactDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_contact(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    ApiJson(b): ApiJson<ContactBody>,
) -> ApiResult<Json<ContactDto>> {
    Ok(Json(
        s.app
            .update_contact(&actor, &code, id, &b.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{code}/contacts/{id}", tag = "contacts", params(("code" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_contact(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    s.app.delete_contact(&actor, &code, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgPeopleList {
    pub items: Vec<OrgPersonDto>,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/people", tag = "people", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrgPeopleList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn org_people(
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
async fn list_people(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PersonList>> {
    let page = s
        .app
        .list_people(
            &actor,
            q.q.as_deref().unwrap_or(""),
            PageRequest::new(q.page, q.per_page),
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
async fn create_person(
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
    let grants = s
        .app
        .store
        .grants_of(u.id, &Scope::All)
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(person(u, Some(grants)))))
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = PersonDto), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonDto>> {
    let (u, g) = s.app.get_person(&actor, id).await?;
    Ok(Json(person(u, Some(g))))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/roles", tag = "people", params(("id" = i64, Path)), request_body = RoleBody, security(("bearer" = [])),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn grant_role(
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
async fn revoke_role(
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

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])), responses((status = 200, body = TokenList)))]
async fn list_tokens(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
) -> ApiResult<Json<TokenList>> {
    Ok(Json(TokenList {
        items: s
            .app
            .list_api_tokens(&actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenBody, security(("bearer" = [])),
    responses((status = 201, body = NewTokenDto), (status = 422, body = ErrorBody)))]
async fn create_token(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiJson(b): ApiJson<NewTokenBody>,
) -> ApiResult<(StatusCode, Json<NewTokenDto>)> {
    let (t, plain) = s.app.create_api_token(&actor, &b.label).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenDto {
            token: plain,
            details: t.into(),
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditList), (status = 403, body = ErrorBody)))]
async fn list_audit(
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
        .list_audit(&actor, &filter, PageRequest::new(q.page, q.per_page))
        .await?;
    let (items, meta) = items_and_meta(page);
    Ok(Json(AuditList { items, meta }))
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API token (`pal_...`) from the Tokens page or `palisade admin create-token`.")).build()),
        );
    }
}

/// The OpenAPI document, generated from the handlers above.
#[derive(OpenApi)]
#[openapi(
    info(title = "Palisade API", description = "Cyber-security assurance and threat response for health and care organisations."),
    paths(
        healthz, metrics, me, list_orgs, create_org, import_orgs, get_org, update_org, children, list_contacts, create_contact,
        get_contact, update_contact, delete_contact, org_people, list_people, create_person, get_person, grant_role, revoke_role,
        list_tokens, create_token, revoke_token, list_audit,
        crate::api_assessments::list_frameworks, crate::api_assessments::get_framework,
        crate::api_assessments::import_framework, crate::api_assessments::get_assessment,
        crate::api_assessments::put_answers, crate::api_assessments::put_certificates,
        crate::api_assessments::submit, crate::api_assessments::reopen,
        crate::api_assessments::upload_evidence, crate::api_assessments::download_evidence,
        crate::api_assessments::remove_evidence, crate::api_assessments::assessment_oscal,
        crate::api_assessments::public_organisations_xlsx,
        crate::api_plans::get_plan, crate::api_plans::put_plan, crate::api_plans::progress,
        crate::api_plans::sign_off, crate::api_plans::review, crate::api_plans::list_plans,
        crate::api_independent_audit::get_audit, crate::api_independent_audit::put_audit,
        crate::api_inventory::put_inventory, crate::api_inventory::list_inventory,
        crate::api_inventory::list_uploads, crate::api_inventory::list_changes,
        crate::api_estate::list_feeds, crate::api_estate::import_eol, crate::api_estate::import_kev, crate::api_estate::import_osv, crate::api_estate::import_csaf,
        crate::api_estate::exposure_by_cve, crate::api_estate::alert_exposure, crate::api_estate::org_exposure,
        crate::api_estate::national_estate, crate::api_estate::national_estate_csv,
        crate::api_estate::release_organisations, crate::api_estate::unsupported,
        crate::api_estate::list_mitigations, crate::api_estate::save_mitigation,
        crate::api_estate::delete_mitigation,
        crate::api_alerts::list_alerts, crate::api_alerts::create_alert, crate::api_alerts::import_csaf, crate::api_alerts::get_alert,
        crate::api_alerts::update_alert, crate::api_alerts::list_responses, crate::api_alerts::responses_csv,
        crate::api_alerts::board, crate::api_alerts::get_response, crate::api_alerts::step_one,
        crate::api_alerts::step_many, crate::api_alerts::chase_list, crate::api_alerts::alert_chase_list,
        crate::api_alerts::chase, crate::api_alerts::relay, crate::api_alerts::outbox,
        crate::api_assessments::list_statuses, crate::api_assessments::public_organisations,
        crate::api_assessments::public_organisations_csv, crate::api_assessments::national_report
    ),
    modifiers(&BearerAuth),
    tags((name = "organisations"), (name = "contacts"), (name = "people"), (name = "tokens"), (name = "audit"), (name = "assessments"), (name = "plans"), (name = "alerts"), (name = "inventory"), (name = "estate"), (name = "public"), (name = "reports"), (name = "operations"))
)]
pub struct ApiDoc;
