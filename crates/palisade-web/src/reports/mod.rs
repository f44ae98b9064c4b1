//! What the assessments add up to: every organisation's published status, the public register
//! and the national figures.

pub(crate) mod api;
pub(crate) mod national;
pub(crate) mod public_register;
pub(crate) mod statuses;

use crate::AppState;
use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::new()
        .routes(routes!(list_statuses))
        .routes(routes!(public_organisations))
        .routes(routes!(public_organisations_csv))
        .routes(routes!(public_organisations_xlsx))
        .routes(routes!(national_report))
}

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route("/public", get(public_register::public_register))
        .route("/reports/national", get(national::national))
        .route("/reports/national.csv", get(national::national_csv))
        .route("/assessments", get(statuses::statuses))
}
