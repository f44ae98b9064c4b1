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
mod charter;
mod contacts;
mod estate;
mod exposure;
mod feeds;
mod home;
mod incidents;
mod independent_audit;
mod inventory;
mod jobs;
mod kit;
mod operations;
mod organisations;
mod people;
mod plans;
mod publications;
mod reports;
mod search;
mod server;
mod suppliers;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Router, middleware};
pub use kit::limits::{Rate, RateLimits};
pub use operations::ApiDoc;
pub use operations::metrics::Metrics;
use palisade_app::App;
pub use server::{ConnectionLimits, serve};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI document of every `/api` route, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api_routes(0).into_openapi();
    operations::describe_responses(&mut doc);
    doc
}

/// Every documented route, each registered once with its OpenAPI description.
fn api_routes(evidence_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(operations::api())
        .merge(people::api())
        .merge(home::api())
        .merge(search::api())
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
        .merge(incidents::api())
        .merge(charter::api(evidence_limit))
        .merge(suppliers::api())
        .merge(reports::api())
        .merge(jobs::api())
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve behind HTTPS). Off only for a local demo over plain HTTP.
    pub cookie_secure: bool,
    /// Largest request body accepted, except register imports.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered 503; its work is then abandoned.
    pub request_timeout: Duration,
    /// Requests per client and per token; `None` only where requests are made in-process
    /// (tests, benchmarks), never for a server.
    pub rate_limits: Option<RateLimits>,
    /// The bearer token `/metrics` asks of the scraper; unset, `/metrics` is not served.
    pub metrics_token: Option<Secret>,
    /// Time to send headers (and to idle between requests) and connections held at once.
    pub connections: ConnectionLimits,
    /// Requests for the national figures worked on at once; more wait their turn (at least 1).
    pub figures_at_once: usize,
}

/// [`WebConfig::figures_at_once`] unless configured: one per core, so the figures can use the
/// machine, never more of it.
pub fn default_figures_at_once() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A configured secret: compared, never printed (its `Debug` says only that it is set).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(set)")
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            cookie_secure: true,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            rate_limits: Some(RateLimits::default()),
            metrics_token: None,
            connections: ConnectionLimits::default(),
            figures_at_once: default_figures_at_once(),
        }
    }
}

/// What every handler and layer shares. Cloned by each layer for each request, so a clone is
/// one reference count, never a copy of the app's settings.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state behind an [`AppState`].
pub struct Shared {
    pub app: App,
    pub cfg: WebConfig,
    pub metrics: Metrics,
    limiter: Option<kit::limits::Limiter>,
    figures_gate: Arc<tokio::sync::Semaphore>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(app: App, cfg: WebConfig) -> Self {
        Self(Arc::new(Shared {
            app,
            limiter: cfg.rate_limits.as_ref().map(kit::limits::Limiter::new),
            figures_gate: Arc::new(tokio::sync::Semaphore::new(
                cfg.figures_at_once
                    .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            )),
            cfg,
            metrics: Metrics::default(),
        }))
    }
}

/// The whole application as an axum router.
pub fn router(state: AppState) -> Router {
    // The document limit and room for the rest of the form.
    let evidence_limit = state.app.max_evidence_bytes() + 64 * 1024;
    let (api, _) = api_routes(evidence_limit).split_for_parts();
    let routes = Router::new()
        .merge(home::pages())
        .merge(search::pages())
        .merge(auth::pages())
        .merge(organisations::pages())
        .merge(contacts::pages())
        .merge(people::pages())
        .merge(audit_log::pages())
        .merge(assessments::pages(evidence_limit))
        .merge(plans::pages())
        .merge(independent_audit::pages())
        .merge(alerts::pages())
        .merge(incidents::pages())
        .merge(charter::pages(evidence_limit))
        .merge(suppliers::pages())
        .merge(estate::pages())
        .merge(exposure::pages())
        .merge(reports::pages())
        .merge(jobs::pages())
        .merge(publications::pages())
        .merge(operations::pages())
        .merge(api);
    with_layers(routes, state)
}

/// `routes` behind the layers every request passes through, outermost first: tracing (method
/// and path, never the query), metrics, strict headers, the API's error envelope, a 404 for a
/// path naming a control character, the rate limit per client, the time limit, the panic guard, the body limit, identity, the rate limit
/// per token and CSRF.
/// Public so that a test can put a route of its own (a slow one, say) behind the same layers.
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    let limit = state.cfg.max_body_bytes;
    routes
        .fallback(kit::error::fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            kit::identity::csrf_guard,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            kit::limits::limit_token,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            kit::identity::identify,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(|_| {
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.cfg.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            kit::limits::limit_client,
        ))
        .layer(middleware::from_fn(kit::error::refuse_control_characters))
        .layer(middleware::from_fn(kit::error::api_envelope))
        .layer(middleware::from_fn(kit::error::security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            operations::metrics::track,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}
