//! What Palisade publishes for anyone to read: published alerts as pages, an Atom feed, a CSAF
//! 2.0 provider and a TAXII 2.1 server of STIX 2.1 objects.

pub(crate) mod public_pages;
pub(crate) mod taxii;

use crate::AppState;
use axum::Router;
use axum::routing::get;

pub(crate) fn pages() -> Router<AppState> {
    use public_pages::*;
    use taxii::*;
    Router::new()
        .route("/public/alerts", get(alerts))
        .route("/public/alerts/{id}", get(alert))
        .route("/alerts.atom", get(atom))
        .route("/.well-known/csaf/provider-metadata.json", get(provider))
        .route("/.well-known/csaf/feed-tlp-white.json", get(rolie))
        .route("/.well-known/csaf/white/index.txt", get(index))
        .route("/.well-known/csaf/white/changes.csv", get(changes))
        .route("/.well-known/csaf/white/{year}/{file}", get(document))
        .route("/taxii2/", get(discovery))
        .route("/taxii2/api/", get(api_root))
        .route("/taxii2/api/collections/", get(collections))
        .route("/taxii2/api/collections/{cid}/", get(collection))
        .route("/taxii2/api/collections/{cid}/objects/", get(objects))
        .route("/taxii2/api/collections/{cid}/objects/{oid}/", get(object))
        .route(
            "/taxii2/api/collections/{cid}/objects/{oid}/versions/",
            get(versions),
        )
        .route("/taxii2/api/collections/{cid}/manifest/", get(manifest))
}
