//! Incidents: the organisation's notification and updates, the national board and triage.

pub(crate) mod api;
pub(crate) mod dto;

use crate::AppState;
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
        .routes(routes!(incident_board))
        .routes(routes!(get_incident))
        .routes(routes!(triage_incident))
        .routes(routes!(national_incident_message))
}
