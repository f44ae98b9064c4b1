//! Extractors whose errors use the API's envelope, and content-type checks.
//!
//! Conventions: snake_case fields, RFC 3339 UTC times, lists as `{"items": [...], "meta": {...}}`,
//! errors as `{"error": {"code", "message", "field"}}`.

use crate::kit::error::ApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use palisade_app::AppError;
use palisade_domain::page::PageRequest;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

/// A JSON body of `T`. Every field the body sends must be one `T` reads: an unknown one (a typo,
/// a field of another version) is refused with 422 naming it, rather than silently ignored.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
                None,
            ));
        }
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the body is too large",
                    None,
                )
            })?;
        strict_json(&body).map(ApiJson)
    }
}

/// Reads an upload's body once the caller may send it: handlers of large uploads take the body
/// unread (`axum::body::Body`), decide permission from the path and the caller first, then read
/// it here with their route's limit, so a refused caller's upload is never taken in.
pub(crate) async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if too_large {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "the body is larger than this route accepts ({} MB)",
                    limit / (1024 * 1024)
                ),
                None,
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the body could not be read",
                None,
            )
        }
    })
}

/// `application/json` or `application/<anything>+json`, as axum's own JSON extractor accepts.
pub(crate) fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json") || sub.to_ascii_lowercase().ends_with("+json"))
}

/// Reads a JSON body as `T`, refusing a field `T` does not read (anywhere in the body, named by
/// its path such as `products.0.colour`), invalid JSON (400) and values of the wrong shape (422).
pub(crate) fn strict_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut unknown: Vec<String> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = serde_ignored::deserialize(&mut de, |path| unknown.push(path.to_string()))
        .and_then(|v: T| de.end().map(|()| v));
    match parsed {
        Ok(_) if !unknown.is_empty() => {
            let field = unknown[0].clone();
            let list = unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let message = if unknown.len() == 1 {
                format!("unknown field {list}: it is not one this request reads")
            } else {
                format!("unknown fields {list}: they are not ones this request reads")
            };
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                message,
                Some(field),
            ))
        }
        Ok(v) => Ok(v),
        Err(e) if e.is_syntax() || e.is_eof() => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the body is not valid JSON: {e}"),
            None,
        )),
        Err(e) => {
            let text = e.to_string();
            // serde names the field in backticks: "missing field `title`".
            let field = text
                .split('`')
                .nth(1)
                .filter(|f| !f.contains(' '))
                .map(str::to_string);
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("the body does not fit: {text}"),
                field,
            ))
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

/// `?page=&per_page=` of a list, on its own where a route takes other parameters too.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// From 1 (the default).
    pub page: Option<u32>,
    /// From 1 to 200 (default 50).
    pub per_page: Option<u32>,
}

impl Paging {
    pub(crate) fn request(&self) -> Result<PageRequest, palisade_domain::FieldErrors> {
        PageRequest::checked(self.page, self.per_page)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A JSON body that may be left out (or blank), for actions whose fields all have defaults;
/// one that is sent is read as strictly as [`ApiJson`].
pub(crate) fn optional_json<T: Default + serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    strict_json(body)
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
