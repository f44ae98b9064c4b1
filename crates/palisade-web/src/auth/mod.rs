//! Signing in and out, and personal API tokens.

pub(crate) mod sign_in;
pub(crate) mod sso;
pub(crate) mod token_api;
pub(crate) mod token_pages;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use token_api::*;
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

pub(crate) fn pages() -> Router<AppState> {
    use sign_in::*;
    use token_pages::*;
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/auth/oidc/{provider}/start", get(sso::start))
        .route("/auth/oidc/{provider}/callback", get(sso::callback))
        .route(
            "/auth/oidc/{provider}/backchannel-logout",
            post(sso::backchannel_logout),
        )
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
}
