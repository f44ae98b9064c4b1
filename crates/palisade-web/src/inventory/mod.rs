//! Each organisation's inventory: uploads (CSV, CycloneDX, SPDX), the components and what each
//! upload changed.

pub(crate) mod api;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use palisade_formats::inventory::MAX_INVENTORY_BYTES;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    let upload = OpenApiRouter::new()
        .routes(routes!(list_inventory, put_inventory))
        .layer(DefaultBodyLimit::max(MAX_INVENTORY_BYTES));
    OpenApiRouter::new()
        .routes(routes!(list_uploads))
        .routes(routes!(list_changes))
        .merge(upload)
}
