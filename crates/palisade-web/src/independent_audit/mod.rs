//! Independent audit of an assessment: the auditor's report, its findings and rating.

pub(crate) mod api;
pub(crate) mod pages;

use crate::AppState;
use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::get_audit, api::put_audit))
        .routes(routes!(api::issue_audit))
}

pub(crate) fn pages() -> Router<AppState> {
    Router::new().route(
        "/organisations/{code}/assessments/{year}/independent-audit",
        get(pages::page).post(pages::save),
    )
}
