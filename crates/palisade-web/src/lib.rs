//! Palisade over HTTP: server-rendered pages in the NHS design system (they work without
//! JavaScript) and the `/api/v1` JSON API with bearer tokens, described by an OpenAPI document.
//!
//! Every request passes through the same layers: security headers, identity (a session cookie
//! for pages, a bearer token for the API), CSRF for every form post, and metrics. Handlers only
//! translate HTTP to use-cases in `palisade_app`, which hold the authorisation checks.

mod alerts;
mod assessments;
mod audit_log;
mod auth;
mod contacts;
mod estate;
mod exposure;
mod feeds;
mod home;
mod independent_audit;
mod inventory;
mod kit;
mod operations;
mod organisations;
mod people;
mod plans;
mod publications;
mod reports;

use axum::extract::DefaultBodyLimit;
use axum::{Router, middleware};
pub use operations::ApiDoc;
pub use operations::metrics::Metrics;
use palisade_app::App;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI document of every `/api` route, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes(0).into_openapi()
}

/// Every documented route, each registered once with its OpenAPI description.
fn api_routes(evidence_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(operations::api())
        .merge(people::api())
        .merge(organisations::api())
        .merge(contacts::api())
        .merge(auth::api())
        .merge(audit_log::api())
        .merge(assessments::api(evidence_limit))
        .merge(plans::api())
        .merge(independent_audit::api())
        .merge(inventory::api())
        .merge(feeds::api())
        .merge(exposure::api())
        .merge(estate::api())
        .merge(alerts::api())
        .merge(reports::api())
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve behind HTTPS). Off only for a local demo over plain HTTP.
    pub cookie_secure: bool,
    /// Largest request body accepted, except register imports.
    pub max_body_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            cookie_secure: true,
            max_body_bytes: 1024 * 1024,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(app: App, cfg: WebConfig) -> Self {
        Self {
            app,
            cfg: Arc::new(cfg),
            metrics: Arc::new(Metrics::default()),
        }
    }
}

/// The whole application as an axum router.
pub fn router(state: AppState) -> Router {
    let limit = state.cfg.max_body_bytes;
    // The document limit and room for the rest of the form.
    let evidence_limit = state.app.max_evidence_bytes() + 64 * 1024;
    let (api, _) = api_routes(evidence_limit).split_for_parts();
    Router::new()
        .merge(home::pages())
        .merge(auth::pages())
        .merge(organisations::pages())
        .merge(contacts::pages())
        .merge(people::pages())
        .merge(audit_log::pages())
        .merge(assessments::pages(evidence_limit))
        .merge(plans::pages())
        .merge(independent_audit::pages())
        .merge(alerts::pages())
        .merge(estate::pages())
        .merge(exposure::pages())
        .merge(reports::pages())
        .merge(publications::pages())
        .merge(operations::pages())
        .merge(api)
        .fallback(kit::error::fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            kit::identity::csrf_guard,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            kit::identity::identify,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(kit::error::security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            operations::metrics::track,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
