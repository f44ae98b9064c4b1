//! Errors as people and programs see them, and the headers every response carries.

use crate::kit::views;
use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use palisade_app::AppError;
use serde::Serialize;

/// The API's error envelope: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `unauthenticated`, `forbidden`, `not_found`, `method_not_allowed`, `invalid`, `conflict`,
    /// `bad_request`, `unsupported_media_type`, `payload_too_large`, `rate_limited`,
    /// `unavailable` or `internal`.
    pub code: String,
    pub message: String,
    /// The first field (or CSV line) at fault, when there is one.
    pub field: Option<String>,
    /// Every problem found, for inputs with several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldDetail>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldDetail {
    pub field: String,
    pub message: String,
}

pub struct ApiError(pub StatusCode, pub ErrorDetail);

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        field: Option<String>,
    ) -> Self {
        Self(
            status,
            ErrorDetail {
                code: code.into(),
                message: message.into(),
                field,
                details: vec![],
            },
        )
    }

    /// An error about several fields: the first names `field`, `details` lists them all.
    fn fields(status: StatusCode, code: &str, errs: palisade_domain::FieldErrors) -> Self {
        let field = errs.first().map(|e| e.field.clone());
        let mut me = Self::new(status, code, errs.to_string(), field);
        me.1.details = errs
            .0
            .into_iter()
            .map(|e| FieldDetail {
                field: e.field,
                message: e.message,
            })
            .collect();
        me
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a valid bearer token is required",
                None,
            ),
            AppError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "you do not have permission to do that",
                None,
            ),
            AppError::NotFound => Self::new(StatusCode::NOT_FOUND, "not_found", "not found", None),
            AppError::Conflict { field, message } => {
                Self::new(StatusCode::CONFLICT, "conflict", message, Some(field))
            }
            AppError::Invalid(errs) => {
                Self::fields(StatusCode::UNPROCESSABLE_ENTITY, "invalid", errs)
            }
            AppError::Stale(errs) => Self::fields(StatusCode::CONFLICT, "conflict", errs),
            AppError::Internal(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side",
                None,
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

/// An error on a page: a plain page that names no internals.
pub struct PageError(pub AppError);

/// A file or form refused field by field (a format's parser, before any use-case ran).
impl From<palisade_domain::FieldErrors> for ApiError {
    fn from(e: palisade_domain::FieldErrors) -> Self {
        AppError::Invalid(e).into()
    }
}

impl From<palisade_domain::FieldErrors> for PageError {
    fn from(e: palisade_domain::FieldErrors) -> Self {
        Self(AppError::Invalid(e))
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self.0 {
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "Sign in required", "Sign in to see this page.".to_string()),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "You do not have permission", "Your roles do not allow this. Ask your organisation lead or the national team if you need it.".to_string()),
            AppError::NotFound => (StatusCode::NOT_FOUND, "Page not found", "If you typed the web address, check it is correct.".to_string()),
            AppError::Invalid(e) => (StatusCode::UNPROCESSABLE_ENTITY, "There is a problem", e.to_string()),
            AppError::Stale(e) => (StatusCode::CONFLICT, "There is a problem", e.to_string()),
            AppError::Conflict { message, .. } => (StatusCode::CONFLICT, "There is a problem", message.clone()),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service", "Try again later.".to_string()),
        };
        views::error_page(status, title, &message)
    }
}

pub(crate) async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::from(AppError::NotFound).into_response()
    } else {
        PageError(AppError::NotFound).into_response()
    }
}

/// Whether a path names a control character (`%00`-`%1F`, `%7F`) once decoded: no code,
/// reference or id Palisade serves has one.
fn names_a_control_character(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .is_some_and(|b| b < 0x20 || b == 0x7f)
    })
}

/// Path parameters checked before any handler sees them: a path naming a control character is
/// answered 404 at once, so no handler can echo one into a header or a log line.
pub(crate) async fn refuse_control_characters(req: Request, next: Next) -> Response {
    if names_a_control_character(req.uri().path()) {
        return fallback(req).await;
    }
    next.run(req).await
}

/// Every error an `/api/` route answers is in the envelope, whoever made it: axum's own
/// rejections (a path that is not UTF-8 or does not parse, a method the route does not have, a
/// body over the limit) and the time limit answer plain text or nothing, which a client cannot
/// read as the API's errors. Their text, when short, becomes the message.
pub(crate) async fn api_envelope(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (code, fallback) = match status {
        StatusCode::NOT_FOUND => ("not_found", "not found"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this path does not take that method")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "this content type is not accepted here",
        ),
        StatusCode::SERVICE_UNAVAILABLE => {
            ("unavailable", "the request took too long; try again later")
        }
        s if s.is_server_error() => ("internal", "something went wrong on our side"),
        _ => ("bad_request", "the request could not be read"),
    };
    let keep: Vec<_> = [header::ALLOW, header::RETRY_AFTER]
        .into_iter()
        .filter_map(|h| res.headers().get(&h).cloned().map(|v| (h, v)))
        .collect();
    // A rejection's own words say what was wrong with the request; never a server error's.
    let said = if status.is_client_error() {
        axum::body::to_bytes(res.into_body(), 512)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    let mut out = ApiError::new(
        status,
        code,
        said.unwrap_or_else(|| fallback.to_string()),
        None,
    )
    .into_response();
    for (h, v) in keep {
        out.headers_mut().insert(h, v);
    }
    out
}

/// Strict headers on every response: no framing, no sniffing, no referrer, nothing loaded from
/// any host but this one, and nothing cached unless it is a static asset.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        h,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    if !is_asset && !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_however_they_are_spelled() {
        for bad in [
            "/organisations/%0A/x",
            "/a%0d%0ab",
            "/x%00",
            "/x%7F",
            "/api/v1/alerts/%1f",
        ] {
            assert!(names_a_control_character(bad), "{bad}");
        }
        for good in ["/organisations/RX1", "/a%20b", "/%C3%A9", "/100%", "/x%2"] {
            assert!(!names_a_control_character(good), "{good}");
        }
    }
}
