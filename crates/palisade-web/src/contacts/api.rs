//! `/api/v1` for an organisation's contacts.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_domain::people::ContactInput;
use palisade_store::Contact;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactDto>,
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
    /// How the contact takes reminders of deadlines days away: `each` as it falls due, or
    /// `daily` in one digest email a day.
    pub reminders: String,
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
            reminders: c.reminders.as_str().into(),
            created_at: rfc3339(from_unix(c.created_at)),
            updated_at: rfc3339(from_unix(c.updated_at)),
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
    /// `each` (the default) or `daily`.
    pub reminders: Option<String>,
}

impl From<ContactBody> for ContactInput {
    fn from(b: ContactBody) -> Self {
        ContactInput {
            name: b.name,
            role: b.role,
            email: b.email,
            mobile: b.mobile.unwrap_or_default(),
            alert_channels: b.alert_channels.unwrap_or_default(),
            reminders: b.reminders.unwrap_or_default(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/contacts", tag = "contacts", params(("code" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ContactList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_contacts(
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
pub(crate) async fn create_contact(
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
pub(crate) async fn get_contact(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<ContactDto>> {
    let (_, c) = s.app.get_contact(&actor, &code, id).await?;
    Ok(Json(c.into()))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/contacts/{id}", tag = "contacts", params(("code" = String, Path), ("id" = i64, Path)),
    request_body = ContactBody, security(("bearer" = [])), responses((status = 200, body = ContactDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn update_contact(
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
pub(crate) async fn delete_contact(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    s.app.delete_contact(&actor, &code, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
