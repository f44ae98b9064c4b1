//! The organisation register: the list, each organisation, its edits, and the register's CSV
//! import and export.

pub(crate) mod api;
pub(crate) mod dto;
pub(crate) mod pages;
pub(crate) mod register;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use palisade_formats::register::MAX_IMPORT_BYTES;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    let import = OpenApiRouter::new()
        .routes(routes!(import_orgs))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES));
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org, update_org))
        .routes(routes!(children))
        .merge(import)
}

pub(crate) fn pages() -> Router<AppState> {
    use pages::*;
    use register::*;
    Router::new()
        .route("/organisations", get(orgs).post(create_org))
        .route("/organisations/new", get(new_org))
        .route("/organisations/export.csv", get(export_orgs))
        .route(
            IMPORT_PATH,
            get(import_form)
                .post(import_orgs)
                .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/organisations/{code}", get(org))
        .route("/organisations/{code}/edit", get(edit_org).post(update_org))
}
