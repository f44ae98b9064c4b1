//! Operations: health, metrics, the OpenAPI document and the static assets.

pub(crate) mod assets;
pub(crate) mod metrics;

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
}

#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub(crate) async fn healthz(State(s): State<AppState>) -> Response {
    match s.app.ping().await {
        Ok(()) => Json(Health {
            status: "ok".into(),
            database: "up".into(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable".into(),
                    database: "down".into(),
                }),
            )
                .into_response()
        }
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text format, for `Authorization: Bearer` with the configured `metrics_token`", content_type = "text/plain"),
    (status = 401, description = "No token, or not the configured one"),
    (status = 404, description = "No `metrics_token` is configured: the metrics are not served")))]
pub(crate) async fn metrics(State(s): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    // Not public: request counts and the database's state are for the operators' scraper only.
    let Some(expected) = s.cfg.metrics_token.as_ref().map(|t| t.0.as_str()) else {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    };
    let given = crate::kit::limits::bearer(&headers).unwrap_or_default();
    if !palisade_app::auth::secrets_equal(given, expected) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "A bearer token is required",
        )
            .into_response();
    }
    let up = s.app.ping().await.is_ok();
    let jobs = match s.app.job_states().await {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::error!(error = %e, "metrics: the jobs' state could not be read");
            Vec::new()
        }
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(up, &jobs, s.app.org_cache_counts()),
    )
        .into_response()
}

pub(crate) async fn openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    Json(DOCUMENT.get_or_init(crate::openapi))
}

/// What a status means wherever an operation does not say more: OpenAPI requires every response
/// to be described, and most routes answer errors the same way (docs/API.md, "Errors").
fn status_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted: queued to be done",
        "204" => "Done; no content",
        "400" => "The request is malformed (`bad_request`)",
        "401" => "No valid credentials (`unauthenticated`)",
        "403" => "The caller may not do this (`forbidden`)",
        "404" => "Not found, or outside the caller's scope (`not_found`)",
        "409" => "In conflict with the current state (`conflict`): reload and try again",
        "413" => "The body is larger than this route accepts (`payload_too_large`)",
        "415" => "The body is not of a type this route reads (`unsupported_media_type`)",
        "422" => {
            "The request is refused; `field` names the first field at fault and `details` lists all (`invalid`)"
        }
        "429" => "Too many requests: wait as `Retry-After` says (`rate_limited`)",
        "503" => "Not ready, or the request took too long (`unavailable`)",
        _ => "See the API conventions (docs/API.md)",
    }
}

/// Gives every response the operation left undescribed its status's meaning.
pub(crate) fn describe_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for op in operations.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && r.description.trim().is_empty()
                {
                    r.description = status_description(status).to_string();
                }
            }
        }
    }
}

pub(crate) struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API token (`pal_...`) from the Tokens page or `palisade admin create-token`.")).build()),
        );
    }
}

/// The OpenAPI document, generated from the handlers above.
#[derive(OpenApi)]
#[openapi(
    info(title = "Palisade API", description = "Cyber-security assurance and threat response for health and care organisations."),
    modifiers(&BearerAuth),
    tags((name = "organisations"), (name = "contacts"), (name = "people"), (name = "tokens"), (name = "audit"), (name = "assessments"), (name = "plans"), (name = "alerts"), (name = "incidents"), (name = "charter"), (name = "suppliers"), (name = "inventory"), (name = "estate"), (name = "public"), (name = "reports"), (name = "operations"))
)]
pub struct ApiDoc;

pub(crate) fn api() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(healthz))
        .routes(utoipa_axum::routes!(metrics))
        .route("/api/openapi.json", axum::routing::get(openapi))
}

pub(crate) fn pages() -> axum::Router<AppState> {
    use assets::*;
    use axum::routing::get;
    axum::Router::new()
        .route("/assets/palisade.css", get(css))
        .route("/assets/images/{name}", get(image))
        .route("/favicon.ico", get(favicon))
}
