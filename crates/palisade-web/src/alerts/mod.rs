//! Cyber alerts: drafting, publishing and updating them, each organisation's response through
//! acknowledge, applicability, remediation and close, the national board, chasing and relays.

pub(crate) mod alert_page;
pub(crate) mod api;
pub(crate) mod board_page;
pub(crate) mod dto;
pub(crate) mod edit_pages;
pub(crate) mod import_page;
pub(crate) mod list_page;
pub(crate) mod response_page;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::new()
        .routes(routes!(list_alerts, create_alert))
        .routes(routes!(import_csaf))
        .routes(routes!(get_alert, update_alert))
        .routes(routes!(list_responses))
        .routes(routes!(responses_csv))
        .routes(routes!(board))
        .routes(routes!(get_response))
        .routes(routes!(step_one))
        .routes(routes!(step_many))
        .routes(routes!(alert_chase_list, chase))
        .routes(routes!(relay))
        .routes(routes!(chase_list))
        .routes(routes!(outbox))
}

pub(crate) fn pages() -> Router<AppState> {
    use alert_page::*;
    use board_page::*;
    use edit_pages::*;
    use import_page::*;
    use list_page::*;
    use response_page::*;
    Router::new()
        .route("/alerts", get(list).post(create))
        .route("/alerts/new", get(new_form))
        .route(IMPORT_CSAF_PATH, get(import_form).post(import_csaf))
        .route("/alerts/{id}", get(detail))
        .route("/alerts/{id}/edit", get(edit_form).post(update))
        .route("/alerts/{id}/responses", get(board))
        .route("/alerts/{id}/responses.csv", get(board_csv))
        .route("/alerts/{id}/responses/{code}", get(response))
        .route("/alerts/{id}/responses/{code}/{step}", post(step))
        .route("/alerts/{id}/acknowledge", post(bulk_acknowledge))
        .route("/alerts/{id}/chase", post(chase))
        .route("/alerts/{id}/relay", post(relay))
}
