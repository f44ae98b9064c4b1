//! One search over organisations, alerts, incidents and people, for the national team.

pub(crate) mod api;
pub(crate) mod page;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::search))
}

pub(crate) fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/search", axum::routing::get(page::search))
}
