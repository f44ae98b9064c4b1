//! The tamper-evident audit log, as far as the caller may read it.

pub(crate) mod api;
pub(crate) mod pages;

use crate::AppState;
use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::list_audit))
}

pub(crate) fn pages() -> Router<AppState> {
    Router::new().route("/audit", get(pages::audit))
}
