//! Extractors whose errors use the API's envelope, and content-type checks.
//!
//! Conventions: snake_case fields, RFC 3339 UTC times, lists as `{"items": [...], "meta": {...}}`,
//! errors as `{"error": {"code", "message", "field"}}`.

use crate::kit::error::ApiError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use palisade_app::AppError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

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

/// Tells a field sent as `null` (`Some(None)`) from a field not sent (`None`, by `default`).
pub(crate) fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A JSON body that may be left out (or blank), for actions whose fields all have defaults.
pub(crate) fn optional_json<T: Default + serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| AppError::invalid("body", format!("is not a valid {what}: {e}")))
}

pub(crate) fn parse_opt<T: std::str::FromStr<Err = String>>(
    field: &str,
    v: &Option<String>,
) -> Result<Option<T>, AppError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|m| AppError::invalid(field, m)))
        .transpose()
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;
