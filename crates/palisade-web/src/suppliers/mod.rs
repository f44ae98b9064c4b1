//! Suppliers: an IT supplier's products and services, and the product versions and services
//! each organisation uses, with where each of its suppliers stands (page and API).

pub(crate) mod api;
pub(crate) mod national;
pub(crate) mod national_pages;
pub(crate) mod notices;
pub(crate) mod notices_pages;
pub(crate) mod pages;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use palisade_formats::inventory::MAX_INVENTORY_BYTES;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    // An SBOM is as large as an inventory may be.
    let sbom = OpenApiRouter::new()
        .routes(routes!(put_sbom))
        .routes(routes!(put_vex))
        .layer(DefaultBodyLimit::max(MAX_INVENTORY_BYTES));
    OpenApiRouter::new()
        .merge(sbom)
        .routes(routes!(list_products, create_product))
        .routes(routes!(update_product))
        .routes(routes!(list_suppliers, add_supplier, import_suppliers))
        .routes(routes!(remove_supplier))
        .routes(routes!(national::charter_figures))
        .routes(routes!(national::list_customers))
        .routes(routes!(national::allow_names))
        .routes(routes!(notices::send_notice))
        .routes(routes!(notices::sent_notices))
        .routes(routes!(notices::received_notices))
        .routes(routes!(notices::acknowledge_notice))
        .routes(routes!(notices::notice_recipients))
}

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route(
            "/organisations/{code}/products",
            get(pages::products).post(pages::create_product),
        )
        .route(
            "/organisations/{code}/products/{id}",
            post(pages::update_product),
        )
        .route(
            "/organisations/{code}/products/{id}/edit",
            get(pages::edit_product),
        )
        .route(
            "/organisations/{code}/products/{id}/sbom",
            post(pages::upload_sbom).layer(DefaultBodyLimit::max(MAX_INVENTORY_BYTES)),
        )
        .route(
            "/organisations/{code}/products/{id}/vex",
            post(pages::upload_vex).layer(DefaultBodyLimit::max(MAX_INVENTORY_BYTES)),
        )
        .route(
            "/organisations/{code}/suppliers",
            get(pages::suppliers).post(pages::add_link),
        )
        .route(
            "/organisations/{code}/suppliers/import",
            post(pages::import_links),
        )
        .route(
            "/organisations/{code}/suppliers/{id}/remove",
            post(pages::remove_link),
        )
        .route(
            "/organisations/{code}/supplier-notices",
            get(notices_pages::notices).post(notices_pages::send),
        )
        .route(
            "/organisations/{code}/supplier-notices/{id}/acknowledge",
            post(notices_pages::acknowledge),
        )
        .route("/supplier-notices/{id}", get(notices_pages::recipients))
        .route("/charter/figures", get(national_pages::figures))
        .route(
            "/organisations/{code}/customers",
            get(national_pages::customers),
        )
        .route(
            "/organisations/{code}/customers/names",
            post(national_pages::allow_names),
        )
}
