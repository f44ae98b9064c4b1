//! Signing in (a double-submit pre-session token guards the form) and signing out.

use crate::AppState;
use crate::kit::identity::{
    MaybeUser, PRESESSION_COOKIE, PageUser, SESSION_COOKIE, cookie, set_cookie,
};
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use palisade_app::auth::random_hex;
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    pub(crate) next: Option<String>,
}

pub(crate) fn sign_in_page(
    status: StatusCode,
    errors: Errors,
    email: String,
    next: String,
    presession: String,
    state: &AppState,
) -> Response {
    let mut res = render_status(
        status,
        &SignIn {
            l: Layout::default(),
            errors,
            email,
            next,
            presession: presession.clone(),
            providers: state.app.sso_providers(),
            password_on: state.app.password_sign_in_on(),
        },
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, PRESESSION_COOKIE, &presession, Some(3600)),
    );
    res
}

pub(crate) async fn sign_in_form(
    State(s): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(q): Query<NextQuery>,
) -> Response {
    if user.is_some() {
        return see_other("/");
    }
    sign_in_page(
        StatusCode::OK,
        Errors::default(),
        String::new(),
        q.next.unwrap_or_default(),
        random_hex(32),
        &s,
    )
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) next: String,
}

pub(crate) async fn sign_in(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> PageResult {
    let presession = cookie(&headers, PRESESSION_COOKIE).unwrap_or_else(|| random_hex(32));
    let mut errors = Vec::new();
    if f.email.trim().is_empty() {
        errors.push(ShownError {
            field: "email".into(),
            message: "Enter your email address".into(),
        });
    }
    if f.password.is_empty() {
        errors.push(ShownError {
            field: "password".into(),
            message: "Enter your password".into(),
        });
    }
    if !errors.is_empty() {
        return Ok(sign_in_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors(errors),
            f.email,
            f.next,
            presession,
            &s,
        ));
    }
    match s.app.sign_in(&f.email, &f.password).await? {
        Ok(signed) => {
            let mut res = see_other(safe_next(&f.next));
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&s, SESSION_COOKIE, &signed.session_token, None),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(&s, PRESESSION_COOKIE, "", Some(0)),
            );
            Ok(res)
        }
        Err(e) => {
            let msg = e.to_string();
            Ok(sign_in_page(
                StatusCode::UNAUTHORIZED,
                Errors::one("email", &msg),
                f.email,
                f.next,
                presession,
                &s,
            ))
        }
    }
}

pub(crate) async fn sign_out(
    State(s): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
) -> PageResult {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        s.app.sign_out(&token, &u.actor).await?;
    }
    // A session begun at an identity provider is ended there too (RP-initiated logout), which
    // then sends the person back to the sign-in page. Not by a redirect: the form's answer may
    // lead only to this site (`form-action 'self'`), so a page moves on to the provider.
    let provider_end = match &u.idp {
        Some(idp) => {
            s.app
                .sso_end_session_url(idp, &s.app.public_link("/sign-in"))
                .await
        }
        None => None,
    };
    let clear = set_cookie(&s, SESSION_COOKIE, "", Some(0));
    let mut res = match provider_end {
        Some(next) => render(&SignedOut {
            l: Layout::default(),
            next,
        }),
        None => see_other("/sign-in"),
    };
    res.headers_mut().append(header::SET_COOKIE, clear);
    Ok(res)
}

/// After signing out of a session begun at an identity provider: a page that moves on to the
/// provider's end-session address.
#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOut {
    pub l: Layout,
    pub next: String,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignIn {
    pub l: Layout,
    pub errors: Errors,
    pub email: String,
    pub next: String,
    pub presession: String,
    /// The identity providers offered: (name, label).
    pub providers: Vec<(String, String)>,
    pub password_on: bool,
}
