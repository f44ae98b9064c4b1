//! The estate: each organisation's unsupported systems and mitigations, and the national
//! figures per product release.

pub(crate) mod api;
pub(crate) mod national_pages;
pub(crate) mod organisation_pages;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use palisade_formats::inventory::MAX_INVENTORY_BYTES;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::new()
        .routes(routes!(national_estate))
        .routes(routes!(national_estate_csv))
        .routes(routes!(release_organisations))
        .routes(routes!(unsupported))
        .routes(routes!(list_mitigations, save_mitigation))
        .routes(routes!(delete_mitigation))
}

pub(crate) fn pages() -> Router<AppState> {
    use national_pages::*;
    use organisation_pages::*;
    Router::new()
        .route("/estate", get(national))
        .route("/estate.csv", get(national_pages::national_csv))
        .route("/estate/releases/{lifecycle}/{cycle}", get(release))
        .route("/organisations/{code}/estate", get(estate))
        .route(
            "/organisations/{code}/estate/inventory",
            post(upload).layer(DefaultBodyLimit::max(MAX_INVENTORY_BYTES + 64 * 1024)),
        )
        .route(
            "/organisations/{code}/estate/mitigation",
            get(mitigation_form).post(save_mitigation),
        )
}
