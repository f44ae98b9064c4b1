//! `/api/v1/tokens`: a person's own API tokens.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt};
use palisade_store::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    pub label: String,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])), responses((status = 200, body = TokenList)))]
pub(crate) async fn list_tokens(
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
pub(crate) async fn create_token(
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
pub(crate) async fn revoke_token(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.app.revoke_api_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
