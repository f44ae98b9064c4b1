//! Static assets compiled into the binary: the stylesheet and the design system's images.

use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

mod built {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

static CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/palisade.css"));

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/palisade.css", get(css))
        .route("/assets/images/{name}", get(image))
        .route("/favicon.ico", get(favicon))
}

const CACHE: &str = "public, max-age=3600";

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        CSS,
    )
        .into_response()
}

fn serve_image(name: &str) -> Response {
    match built::IMAGES.iter().find(|(n, _)| *n == name) {
        Some((n, bytes)) => {
            let ct = if n.ends_with(".svg") {
                "image/svg+xml"
            } else if n.ends_with(".ico") {
                "image/x-icon"
            } else {
                "image/png"
            };
            (
                [(header::CONTENT_TYPE, ct), (header::CACHE_CONTROL, CACHE)],
                *bytes,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn image(Path(name): Path<String>) -> Response {
    serve_image(&name)
}

async fn favicon() -> Response {
    serve_image("favicon.ico")
}
