//! Single sign-on with an OpenID Connect provider: the start (to the provider), the callback
//! (back with a code), and the provider's back-channel logout. The steps themselves are the
//! app's (`palisade_app::sso`); here they meet HTTP.

use crate::AppState;
use crate::kit::identity::{
    MaybeUser, PRESESSION_COOKIE, SESSION_COOKIE, cookie, cookie_header, set_cookie,
};
use crate::kit::views::{Layout, error_page, render_status, safe_next, see_other};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::SameSite;
use palisade_app::sso::SsoError;
use serde::Deserialize;

/// Binds a sign-in begun here to the browser that finishes it.
pub const FLOW_COOKIE: &str = "palisade_sso";

/// Whether `path` is a provider's back-channel logout address.
pub(crate) fn is_backchannel_logout(path: &str) -> bool {
    path.starts_with("/auth/oidc/") && path.ends_with("/backchannel-logout")
}

/// Where the provider sends the browser back: registered with the provider as is.
pub(crate) fn redirect_uri(s: &AppState, provider: &str) -> String {
    s.app
        .public_link(&format!("/auth/oidc/{provider}/callback"))
}

/// An answer for a refused step: the reason code to the log, one plain sentence to the person.
fn refused(provider: &str, e: SsoError) -> Response {
    match e {
        SsoError::Refused { reason, message } => {
            tracing::info!(provider, reason, "single sign-on refused");
            error_page(
                StatusCode::BAD_REQUEST,
                "You could not be signed in",
                message,
            )
        }
        SsoError::App(palisade_app::AppError::NotFound) => error_page(
            StatusCode::NOT_FOUND,
            "Page not found",
            "No identity provider of that name is set up here.",
        ),
        SsoError::App(e) => crate::kit::error::PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct StartQuery {
    #[serde(default)]
    next: String,
}

pub(crate) async fn start(
    State(s): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    if user.is_some() {
        return see_other("/");
    }
    let next = safe_next(&q.next);
    match s
        .app
        .sso_start(&provider, next, &redirect_uri(&s, &provider))
        .await
    {
        Ok(started) => {
            let mut res = see_other(&started.authorize_url);
            res.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(
                    &s,
                    FLOW_COOKIE,
                    &started.browser_token,
                    Some(600),
                    SameSite::Lax,
                ),
            );
            res
        }
        Err(e) => refused(&provider, e),
    }
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// After the sign-in, a page that moves on by itself: the session cookie is `SameSite=Strict`,
/// and a browser would not send it on a redirect in a chain that began at the provider's site.
#[derive(Template)]
#[template(path = "signed_in.html")]
pub struct SignedIn {
    pub l: Layout,
    pub next: String,
}

pub(crate) async fn callback(
    State(s): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let clear_flow = cookie_header(&s, FLOW_COOKIE, "", Some(0), SameSite::Lax);
    let mut res = match (q.error, q.code, q.state) {
        (Some(error), _, _) => {
            // The provider's own code, bounded; never its description (free text from outside).
            let code: String = error
                .chars()
                .take(40)
                .filter(char::is_ascii_graphic)
                .collect();
            tracing::info!(provider, reason = "provider_error", error = %code, "single sign-on refused");
            error_page(
                StatusCode::BAD_REQUEST,
                "You could not be signed in",
                "Your organisation's account did not sign you in (the sign-in was cancelled or refused). Start again from the sign-in page.",
            )
        }
        (None, Some(code), Some(state)) => {
            let browser = cookie(&headers, FLOW_COOKIE);
            match s
                .app
                .sso_finish(
                    &provider,
                    &state,
                    &code,
                    browser.as_deref(),
                    &redirect_uri(&s, &provider),
                )
                .await
            {
                Ok(done) => {
                    let mut res = render_status(
                        StatusCode::OK,
                        &SignedIn {
                            l: Layout::default(),
                            next: safe_next(&done.next).to_string(),
                        },
                    );
                    let h = res.headers_mut();
                    h.append(
                        header::SET_COOKIE,
                        set_cookie(&s, SESSION_COOKIE, &done.signed.session_token, None),
                    );
                    h.append(
                        header::SET_COOKIE,
                        set_cookie(&s, PRESESSION_COOKIE, "", Some(0)),
                    );
                    res
                }
                Err(e) => refused(&provider, e),
            }
        }
        _ => {
            tracing::info!(
                provider,
                reason = "callback_without_code",
                "single sign-on refused"
            );
            error_page(
                StatusCode::BAD_REQUEST,
                "You could not be signed in",
                "The answer from your organisation's account was incomplete. Start again from the sign-in page.",
            )
        }
    };
    res.headers_mut().append(header::SET_COOKIE, clear_flow);
    res
}

#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    #[serde(default)]
    logout_token: String,
}

/// OpenID Connect Back-Channel Logout 1.0, 2.8: 200 when the sessions ended, 400 with an
/// `invalid_request` otherwise; never cached.
pub(crate) async fn backchannel_logout(
    State(s): State<AppState>,
    Path(provider): Path<String>,
    Form(f): Form<LogoutForm>,
) -> Response {
    let answer = |status: StatusCode, body: serde_json::Value| {
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(body),
        )
            .into_response()
    };
    match s
        .app
        .sso_backchannel_logout(&provider, &f.logout_token)
        .await
    {
        Ok(ended) => {
            tracing::info!(provider, ended, "back-channel logout");
            answer(StatusCode::OK, serde_json::json!({}))
        }
        Err(SsoError::Refused { reason, .. }) => {
            tracing::info!(provider, reason, "back-channel logout refused");
            answer(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "invalid_request", "error_description": reason}),
            )
        }
        Err(SsoError::App(palisade_app::AppError::NotFound)) => answer(
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "invalid_request"}),
        ),
        Err(SsoError::App(e)) => crate::kit::error::PageError::from(e).into_response(),
    }
}
