//! The annual assessment: frameworks, answers section by section, certificates, evidence
//! documents, submission and reopening, and the OSCAL export.

pub(crate) mod api;
pub(crate) mod evidence;
pub(crate) mod frameworks;
pub(crate) mod overview;
pub(crate) mod section;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `evidence_limit`: the largest evidence upload, with room for the rest of the form.
pub(crate) fn api(evidence_limit: usize) -> OpenApiRouter<AppState> {
    use api::*;
    use frameworks::*;
    let upload = OpenApiRouter::new()
        .routes(routes!(upload_evidence))
        .layer(DefaultBodyLimit::max(evidence_limit));
    let frameworks = OpenApiRouter::new()
        .routes(routes!(list_frameworks, import_framework))
        .layer(DefaultBodyLimit::max(MAX_FRAMEWORK_BYTES));
    OpenApiRouter::new()
        .routes(routes!(download_evidence, remove_evidence))
        .routes(routes!(get_framework))
        .routes(routes!(get_assessment))
        .routes(routes!(put_answers))
        .routes(routes!(put_certificates))
        .routes(routes!(submit))
        .routes(routes!(reopen))
        .routes(routes!(assessment_oscal))
        .merge(upload)
        .merge(frameworks)
}

pub(crate) fn pages(evidence_limit: usize) -> Router<AppState> {
    use evidence::*;
    use overview::*;
    use section::*;
    Router::new()
        .route(
            "/organisations/{code}/assessments/{year}/evidence",
            post(upload_evidence).layer(DefaultBodyLimit::max(evidence_limit)),
        )
        .route(
            "/organisations/{code}/assessments/{year}/evidence/{id}",
            get(download_evidence),
        )
        .route(
            "/organisations/{code}/assessments/{year}/evidence/{id}/remove",
            post(remove_evidence),
        )
        .route("/organisations/{code}/assessment", get(current_assessment))
        .route("/organisations/{code}/assessments/{year}", get(overview))
        .route(
            "/organisations/{code}/assessments/{year}/sections/{section}",
            get(section).post(save_section),
        )
        .route(
            "/organisations/{code}/assessments/{year}/certificates",
            post(add_certificate),
        )
        .route(
            "/organisations/{code}/assessments/{year}/certificates/remove",
            post(remove_certificate),
        )
        .route(
            "/organisations/{code}/assessments/{year}/submit",
            post(submit),
        )
        .route(
            "/organisations/{code}/assessments/{year}/reopen",
            post(reopen),
        )
        .route(
            "/organisations/{code}/assessments/{year}/oscal.json",
            get(oscal_download),
        )
}
