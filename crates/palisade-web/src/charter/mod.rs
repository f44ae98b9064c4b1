//! The supplier cyber security charter: the charter in force, an IT supplier's signature (page
//! and API) and the public list of signatories.

pub(crate) mod api;
pub(crate) mod pages;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `evidence_limit`: the largest document upload, with room for the rest of the form.
pub(crate) fn api(evidence_limit: usize) -> OpenApiRouter<AppState> {
    use api::*;
    let upload = OpenApiRouter::new()
        .routes(routes!(upload_document))
        .layer(DefaultBodyLimit::max(evidence_limit));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(download_document, remove_document))
        .routes(routes!(get_charter))
        .routes(routes!(supplier_charter))
        .routes(routes!(sign_charter))
        .routes(routes!(withdraw_signature))
        .routes(routes!(save_commitment))
        .routes(routes!(public_signatories))
        .routes(routes!(public_signatories_csv))
}

pub(crate) fn pages(evidence_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/organisations/{code}/charter/commitments/{key}/evidence",
            post(pages::upload_document).layer(DefaultBodyLimit::max(evidence_limit)),
        )
        .route(
            "/organisations/{code}/charter/documents/{id}",
            get(pages::download_document),
        )
        .route(
            "/organisations/{code}/charter/documents/{id}/remove",
            post(pages::remove_document),
        )
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
