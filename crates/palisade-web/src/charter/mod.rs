//! The supplier cyber security charter: the charter in force, an IT supplier's signature (page
//! and API) and the public list of signatories.

pub(crate) mod api;
pub(crate) mod pages;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::new()
        .routes(routes!(get_charter))
        .routes(routes!(supplier_charter))
        .routes(routes!(sign_charter))
        .routes(routes!(withdraw_signature))
        .routes(routes!(save_commitment))
        .routes(routes!(public_signatories))
        .routes(routes!(public_signatories_csv))
}

pub(crate) fn pages() -> Router<AppState> {
    Router::new()
        .route("/charter", get(pages::charter))
        .route("/charter/signatories", get(pages::signatories))
        .route("/organisations/{code}/charter", get(pages::supplier))
        .route("/organisations/{code}/charter/sign", post(pages::sign))
        .route(
            "/organisations/{code}/charter/withdraw",
            post(pages::withdraw),
        )
        .route(
            "/organisations/{code}/charter/commitments/{key}",
            get(pages::commitment).post(pages::save_commitment),
        )
}
