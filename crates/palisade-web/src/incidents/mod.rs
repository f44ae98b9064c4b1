//! Incidents: the organisation's notification and updates, the national board and triage.

pub(crate) mod api;
pub(crate) mod board_page;
pub(crate) mod dto;
pub(crate) mod figures;
pub(crate) mod pages;
pub(crate) mod playbooks;
pub(crate) mod view;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::new()
        .routes(routes!(report_incident, list_org_incidents))
        .routes(routes!(get_org_incident, patch_incident))
        .routes(routes!(notify_incident))
        .routes(routes!(add_incident_update))
        .routes(routes!(org_incident_message))
        .routes(routes!(regulator_report))
        .routes(routes!(incident_board))
        .routes(routes!(get_incident))
        .routes(routes!(triage_incident))
        .routes(routes!(national_incident_message))
        .routes(routes!(add_indicator))
        .routes(routes!(draft_alert))
        .routes(routes!(text_contacts))
        .routes(routes!(search_indicators))
        .routes(routes!(playbooks::list_playbooks))
        .routes(routes!(playbooks::get_playbook))
        .routes(routes!(playbooks::playbook_cacao))
        .routes(routes!(playbooks::apply_playbook))
        .routes(routes!(playbooks::set_task))
        .routes(routes!(figures::figures_api))
        .routes(routes!(figures::figures_csv_api))
}

pub(crate) fn pages() -> Router<AppState> {
    let org = "/organisations/{code}/incidents";
    Router::new()
        .route(org, get(pages::list).post(pages::create))
        .route(&format!("{org}/new"), get(pages::new))
        .route(&format!("{org}/{{id}}"), get(pages::show))
        .route(
            &format!("{org}/{{id}}/edit"),
            get(pages::edit).post(pages::save_edit),
        )
        .route(&format!("{org}/{{id}}/notify"), post(pages::notify))
        .route(&format!("{org}/{{id}}/updates"), post(pages::add_update))
        .route(&format!("{org}/{{id}}/messages"), post(pages::message))
        .route(&format!("{org}/{{id}}/regulator"), get(pages::regulator))
        .route("/incidents", get(board_page::board))
        .route("/incidents/figures", get(figures::figures_page))
        .route("/incidents/{id}", get(board_page::show))
        .route("/incidents/{id}/triage", post(board_page::triage))
        .route("/incidents/{id}/messages", post(board_page::message))
        .route(
            "/incidents/{id}/indicators",
            post(board_page::add_indicator),
        )
        .route("/incidents/{id}/alert", post(board_page::draft_alert))
        .route("/incidents/{id}/text", post(board_page::text_contacts))
        .route("/incidents/{id}/playbooks", post(playbooks::apply_page))
        .route("/incidents/{id}/tasks/{task}", post(playbooks::task_page))
        .route("/playbooks", get(playbooks::list_page))
        .route("/playbooks/{key}", get(playbooks::show_page))
        .route("/playbooks/{key}/cacao.json", get(playbooks::cacao_page))
}
