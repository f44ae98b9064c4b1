//! Palisade over HTTP: server-rendered pages in the NHS design system (they work without
//! JavaScript) and the `/api/v1` JSON API with bearer tokens, described by an OpenAPI document.
//!
//! Every request passes through the same layers: security headers, identity (a session cookie
//! for pages, a bearer token for the API), CSRF for every form post, and metrics. Handlers only
//! translate HTTP to use-cases in `palisade_app`, which hold the authorisation checks.

mod api;
mod api_alerts;
mod api_assessments;
mod api_estate;
mod api_independent_audit;
mod api_inventory;
mod api_plans;
mod assets;
mod error;
mod feeds;
mod files;
mod identity;
mod metrics;
mod pages;
mod pages_alerts;
mod pages_assessments;
mod pages_estate;
mod pages_independent_audit;
mod pages_plans;
mod taxii;
mod views;

pub use api::ApiDoc;

/// The OpenAPI document of every `/api` route, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    <ApiDoc as utoipa::OpenApi>::openapi()
}
pub use metrics::Metrics;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use palisade_app::App;
use std::sync::Arc;

/// A CSV file for the browser to save as `filename`.
pub(crate) fn csv_download(
    body: impl Into<axum::body::Body>,
    filename: &str,
) -> axum::response::Response {
    files::download(body, "text/csv; charset=utf-8", filename)
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
    Router::new()
        .merge(pages::routes())
        .merge(pages_assessments::routes(evidence_limit))
        .merge(pages_plans::routes())
        .merge(pages_independent_audit::routes())
        .merge(pages_alerts::routes())
        .merge(pages_estate::routes())
        .merge(feeds::routes())
        .merge(taxii::routes())
        .merge(api::routes())
        .merge(api_assessments::routes(evidence_limit))
        .merge(api_plans::routes())
        .merge(api_inventory::routes())
        .merge(api_estate::routes())
        .merge(api_alerts::routes())
        .merge(api_independent_audit::routes())
        .merge(assets::routes())
        .fallback(error::fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::csrf_guard,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::identify,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(error::security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
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
