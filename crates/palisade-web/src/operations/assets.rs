//! Static assets compiled into the binary: the stylesheet and the design system's images.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) mod built {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

pub(crate) static CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/palisade.css"));

pub(crate) const CACHE: &str = "public, max-age=3600";

pub(crate) async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        CSS,
    )
        .into_response()
}

pub(crate) fn serve_image(name: &str) -> Response {
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

pub(crate) async fn image(Path(name): Path<String>) -> Response {
    serve_image(&name)
}

pub(crate) async fn favicon() -> Response {
    serve_image("favicon.ico")
}
