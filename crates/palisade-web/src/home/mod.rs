//! The home page and each person's worklist.

pub(crate) mod api;
pub(crate) mod page;
pub(crate) mod posture_api;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::worklist))
        .routes(routes!(posture_api::posture))
}

pub(crate) fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/", axum::routing::get(page::home))
}
