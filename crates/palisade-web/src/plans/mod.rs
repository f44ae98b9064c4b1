//! Improvement plans: actions for what Met still needs, the SIRO's sign-off and national review.

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
        .routes(routes!(get_plan, put_plan))
        .routes(routes!(progress))
        .routes(routes!(sign_off))
        .routes(routes!(review))
        .routes(routes!(list_plans))
}

pub(crate) fn pages() -> Router<AppState> {
    use pages::*;
    Router::new()
        .route(
            "/organisations/{code}/assessments/{year}/plan",
            get(plan).post(save),
        )
        .route(
            "/organisations/{code}/assessments/{year}/plan/progress",
            post(progress),
        )
        .route(
            "/organisations/{code}/assessments/{year}/plan/sign-off",
            post(sign_off),
        )
        .route(
            "/organisations/{code}/assessments/{year}/plan/review",
            post(review),
        )
        .route("/plans", get(plans))
}
