//! Data feeds Palisade imports: product lifecycles (endoflife.date), known exploited
//! vulnerabilities (KEV), OSV records and CSAF advisories.

pub(crate) mod api;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use palisade_formats::files::MAX_FEED_BYTES;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn api() -> OpenApiRouter<AppState> {
    use api::*;
    let imports = OpenApiRouter::new()
        .routes(routes!(import_eol))
        .routes(routes!(import_kev))
        .routes(routes!(import_osv))
        .routes(routes!(import_csaf_advisories))
        .layer(DefaultBodyLimit::max(MAX_FEED_BYTES));
    OpenApiRouter::new()
        .routes(routes!(list_feeds))
        .merge(imports)
}
