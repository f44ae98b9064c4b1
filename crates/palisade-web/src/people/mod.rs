//! People, their roles, and who the caller is.

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
        .routes(routes!(me))
        .routes(routes!(org_people))
        .routes(routes!(list_people, create_person))
        .routes(routes!(get_person))
        .routes(routes!(grant_role, revoke_role))
}

pub(crate) fn pages() -> Router<AppState> {
    use pages::*;
    Router::new()
        .route("/people", get(people).post(create_person))
        .route("/people/new", get(new_person))
        .route("/people/{id}", get(person))
        .route("/people/{id}/roles", post(grant_role))
        .route("/people/{id}/roles/remove", post(revoke_role))
        .route("/people/{id}/active", post(set_active))
        .route("/people/{id}/identities/invite", post(invite_identity))
        .route(
            "/people/{id}/identities/{identity}/unlink",
            post(unlink_identity),
        )
}
