//! An organisation's contacts (SIRO, security lead, alert contacts ...).

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
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
}

pub(crate) fn pages() -> Router<AppState> {
    use pages::*;
    Router::new()
        .route("/organisations/{code}/contacts", post(create_contact))
        .route("/organisations/{code}/contacts/new", get(new_contact))
        .route(
            "/organisations/{code}/contacts/{id}/edit",
            get(edit_contact).post(update_contact),
        )
        .route(
            "/organisations/{code}/contacts/{id}/delete",
            post(delete_contact),
        )
}
