//! Who is asking: session cookies for pages, bearer tokens for the API; and the CSRF check every
//! form post passes before any handler runs.

use crate::AppState;
use crate::kit::error::{ApiError, PageError};
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use palisade_app::auth::{SessionContext, secrets_equal};
use palisade_app::{Actor, AppError};

pub const SESSION_COOKIE: &str = "palisade_session";

/// A random value set before sign-in, echoed by the sign-in form (double-submit CSRF defence).
pub const PRESESSION_COOKIE: &str = "palisade_presession";

/// The identity resolved for a request.
#[derive(Clone)]
pub enum Identity {
    Session(Box<SessionContext>),
    Api(Box<Actor>),
}

/// The value of the cookie `name` the request carries, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value for one of Palisade's cookies: whole site, never readable by scripts,
/// never sent from another site, `Secure` unless configured off for a local demo; `max_age`
/// in seconds (0 removes the cookie, `None` lasts the browser session).
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    cookie_header(state, name, value, max_age, SameSite::Strict)
}

/// A cookie with its `SameSite` chosen: `Lax` only for the single sign-on flow's cookie, which
/// must come back on the provider's redirect to the callback (a top-level navigation from
/// another site).
pub fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: SameSite,
) -> HeaderValue {
    let mut c = Cookie::build((name.to_string(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .secure(state.cfg.cookie_secure);
    if let Some(a) = max_age {
        c = c.max_age(time::Duration::seconds(a));
    }
    HeaderValue::from_str(&c.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) async fn identify(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path.starts_with("/assets/") {
        return next.run(req).await;
    }
    let mut rotated = None;
    // The API, and the TAXII server whose indicators collection answers by bearer token.
    if path.starts_with("/api/") || path.starts_with("/taxii2/") {
        let bearer = crate::kit::limits::bearer(req.headers()).map(str::to_string);
        if let Some(token) = bearer {
            match state.app.bearer(&token).await {
                Ok(Some(actor)) => {
                    req.extensions_mut().insert(Identity::Api(Box::new(actor)));
                }
                Ok(None) => {}
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
    } else if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        match state.app.session(&token).await {
            Ok(Some(ctx)) => {
                rotated = ctx.rotated_token.clone();
                req.extensions_mut()
                    .insert(Identity::Session(Box::new(ctx)));
            }
            Ok(None) => {}
            Err(e) => return PageError(e).into_response(),
        }
    }
    let mut res = next.run(req).await;
    if let Some(t) = rotated
        && !res.headers().contains_key(header::SET_COOKIE)
    {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, SESSION_COOKIE, &t, None),
        );
    }
    res
}

pub(crate) fn form_value(body: &[u8], key: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn is_multipart(parts: &axum::http::request::Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"))
}

pub(crate) fn forged() -> Response {
    crate::kit::views::error_page(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Go back, reload the page and try again. If you were signed out, sign in again first.",
    )
}

/// Every form post (anything but the bearer-token API) must carry the CSRF token of its session,
/// or for sign-in the value of the pre-session cookie.
pub(crate) async fn csrf_guard(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    // A back-channel logout comes from the identity provider, not a browser: it carries no
    // cookie and is authenticated by its signed logout token.
    if req.method() != Method::POST
        || req.uri().path().starts_with("/api/")
        || crate::auth::sso::is_backchannel_logout(req.uri().path())
    {
        return next.run(req).await;
    }
    let expected = if req.uri().path() == "/sign-in" {
        cookie(req.headers(), PRESESSION_COOKIE)
    } else {
        match req.extensions().get::<Identity>() {
            Some(Identity::Session(s)) => Some(s.csrf_token.clone()),
            _ => {
                return crate::kit::views::error_page(
                    StatusCode::UNAUTHORIZED,
                    "Your session has ended",
                    "Nothing was saved. Sign in again, then repeat what you were doing.",
                );
            }
        }
    };
    let Some(expected) = expected else {
        return forged();
    };
    let (parts, body) = req.into_parts();
    if is_multipart(&parts) {
        // File uploads are not buffered here: their handler takes a `CheckedMultipart`, which
        // checks the token (the form's first field) before any file is read. Only the routes
        // listed as doing so may receive multipart posts at all.
        return if accepts_multipart(parts.uri.path()) {
            next.run(Request::from_parts(parts, body)).await
        } else {
            forged()
        };
    }
    let bytes = match axum::body::to_bytes(body, state.cfg.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            return crate::kit::views::error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is too large",
                "Send less at once.",
            );
        }
    };
    match form_value(&bytes, "csrf_token") {
        Some(given) if secrets_equal(&given, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => {
            tracing::warn!(path = %parts.uri.path(), "form post refused: CSRF token missing or wrong");
            forged()
        }
    }
}

/// The routes whose handlers take a [`CheckedMultipart`] (the only ones multipart posts reach):
/// the register import, CSAF advisory imports, evidence uploads
/// (`/organisations/{code}/assessments/{year}/evidence`), inventory uploads
/// (`/organisations/{code}/estate/inventory`), charter documents
/// (`/organisations/{code}/charter/commitments/{key}/evidence`), supplier files
/// (`/organisations/{code}/suppliers/import`) and supplier SBOMs and VEX
/// (`/organisations/{code}/products/{id}/sbom`, `.../vex`).
pub(crate) fn accepts_multipart(path: &str) -> bool {
    if path == crate::organisations::register::IMPORT_PATH
        || path == crate::alerts::import_page::IMPORT_CSAF_PATH
    {
        return true;
    }
    let parts: Vec<&str> = path.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "organisations", code, "assessments", year, "evidence"]
            if !code.is_empty() && !year.is_empty()
    ) || matches!(
        parts.as_slice(),
        ["", "organisations", code, "estate", "inventory"] if !code.is_empty()
    ) || matches!(
        parts.as_slice(),
        ["", "organisations", code, "charter", "commitments", key, "evidence"]
            if !code.is_empty() && !key.is_empty()
    ) || matches!(
        parts.as_slice(),
        ["", "organisations", code, "suppliers", "import"] if !code.is_empty()
    ) || matches!(
        parts.as_slice(),
        ["", "organisations", code, "products", id, "sbom" | "vex"]
            if !code.is_empty() && !id.is_empty()
    )
}

/// A multipart form whose first field, `csrf_token`, matched the session's token. The rest of
/// the form (the file) is left unread, so a handler can check permission before reading it.
pub struct CheckedMultipart(pub axum::extract::Multipart);

impl FromRequest<AppState> for CheckedMultipart {
    type Rejection = Response;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let expected = match req.extensions().get::<Identity>() {
            Some(Identity::Session(s)) => s.csrf_token.clone(),
            _ => return Err(forged()),
        };
        let mut form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| forged())?;
        let first = form.next_field().await.ok().flatten();
        let given = match first {
            Some(field) if field.name() == Some("csrf_token") => field.text().await.ok(),
            _ => None,
        };
        match given {
            Some(given) if secrets_equal(&given, &expected) => Ok(CheckedMultipart(form)),
            _ => {
                tracing::warn!("upload refused: CSRF token missing, wrong or not first");
                Err(forged())
            }
        }
    }
}

/// The signed-in person on a page; otherwise a redirect to sign in.
pub struct PageUser(pub Box<SessionContext>);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Identity>() {
            Some(Identity::Session(s)) => Ok(PageUser(s.clone())),
            _ => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = if parts.method == Method::GET && next != "/" {
                    format!(
                        "/sign-in?next={}",
                        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                    )
                } else {
                    "/sign-in".to_string()
                };
                Err(crate::kit::views::see_other(&target))
            }
        }
    }
}

/// The person or integration behind a bearer token; otherwise 401.
pub struct ApiUser(pub Box<Actor>);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Identity>() {
            Some(Identity::Api(a)) => Ok(ApiUser(a.clone())),
            _ => Err(ApiError::from(AppError::Unauthenticated)),
        }
    }
}

/// Maybe signed in (for the sign-in page itself).
pub struct MaybeUser(pub Option<Box<SessionContext>>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(match parts.extensions.get::<Identity>() {
            Some(Identity::Session(s)) => Some(s.clone()),
            _ => None,
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_upload_routes_take_multipart_posts() {
        assert!(super::accepts_multipart("/organisations/import"));
        assert!(super::accepts_multipart(
            "/organisations/R41/assessments/2026/evidence"
        ));
        assert!(super::accepts_multipart(
            "/organisations/R41/estate/inventory"
        ));
        assert!(super::accepts_multipart(
            "/organisations/8J000/charter/commitments/mfa/evidence"
        ));
        assert!(super::accepts_multipart(
            "/organisations/R41/suppliers/import"
        ));
        assert!(super::accepts_multipart(
            "/organisations/8J000/products/3/sbom"
        ));
        assert!(super::accepts_multipart(
            "/organisations/8J000/products/3/vex"
        ));
        for path in [
            "/organisations/8J000/charter/commitments/mfa",
            "/organisations/8J000/charter/commitments//evidence",
            "/organisations//suppliers/import",
            "/organisations/8J000/products//sbom",
            "/organisations/R41/suppliers",
            "/organisations/R41/assessments/2026/evidence/3/remove",
            "/organisations/R41/assessments/2026/submit",
            "/organisations//assessments/2026/evidence",
            "/organisations//estate/inventory",
            "/organisations/R41/estate/mitigation",
            "/people",
        ] {
            assert!(!super::accepts_multipart(path), "{path}");
        }
    }
}
