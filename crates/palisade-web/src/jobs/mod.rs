//! The background jobs, for national administrators: their state and runs, and running one now.

pub(crate) mod api;
pub(crate) mod page;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_jobs))
        .routes(routes!(api::job_runs))
        .routes(routes!(api::run_job))
}

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(page::jobs))
        .route("/jobs/{name}/run", post(page::run_job))
}
