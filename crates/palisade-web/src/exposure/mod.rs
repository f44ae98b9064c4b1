//! Exposure: which organisations' components an alert, an advisory or a known exploited
//! vulnerability touches.

pub(crate) mod api;
pub(crate) mod pages;

use crate::AppState;
use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::new()
        .routes(routes!(exposure_by_cve))
        .routes(routes!(alert_exposure))
        .routes(routes!(org_exposure))
}

pub(crate) fn pages() -> Router<AppState> {
    use pages::*;
    Router::new()
        .route("/estate/exposure", get(exposure_by_cve))
        .route("/alerts/{id}/exposure", get(alert_exposure))
}
