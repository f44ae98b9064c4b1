//! `/api/v1` for assessment frameworks: the list, one framework, and importing a new version.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiQuery, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::AppError;
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_formats::catalogs::CatalogParams;
use palisade_store::FrameworkRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The largest framework file accepted.
pub const MAX_FRAMEWORK_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkSummaryDto {
    pub id: i64,
    pub key: String,
    /// The cycle's start year: 2026 is the 2026-27 assessment.
    pub year: i32,
    pub version: String,
    /// `ten_standard` or `caf`.
    pub kind: String,
    pub name: String,
    /// YYYY-MM-DD.
    pub deadline: String,
    pub categories: Vec<u8>,
    pub imported_at: String,
}

impl From<FrameworkRecord> for FrameworkSummaryDto {
    fn from(f: FrameworkRecord) -> Self {
        Self {
            id: f.id,
            key: f.key,
            year: f.year,
            version: f.version,
            kind: f.kind.as_str().into(),
            name: f.name,
            deadline: f.deadline,
            categories: f.categories.iter().map(|c| c.number()).collect(),
            imported_at: rfc3339(from_unix(f.imported_at)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkList {
    pub items: Vec<FrameworkSummaryDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkImported {
    pub framework: FrameworkSummaryDto,
    /// False when exactly this content was imported before (nothing changed).
    pub created: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FrameworkImportQuery {
    /// For OSCAL catalogs and CISO Assistant libraries: the family key to store them under.
    pub key: Option<String>,
    pub year: Option<i32>,
    /// Comma-separated categories, e.g. `3,4`.
    pub categories: Option<String>,
    /// YYYY-MM-DD.
    pub deadline: Option<String>,
    pub interim_baseline: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/frameworks", tag = "assessments", security(("bearer" = [])),
    responses((status = 200, body = FrameworkList), (status = 401, body = ErrorBody)))]
pub(crate) async fn list_frameworks(
    State(s): State<AppState>,
    ApiUser(_actor): ApiUser,
) -> ApiResult<Json<FrameworkList>> {
    let items = s.app.list_frameworks().await?;
    Ok(Json(FrameworkList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/frameworks/{id}", tag = "assessments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "The framework's full tree: standards, assertions and items (with `ref`, `answer_type`, `mandatory_for`, `approaching_for`, `optional_for`), or objectives, principles, outcomes with their IGPs (`ref`, `level`) and profile `targets` per category.", body = Object),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn get_framework(
    State(s): State<AppState>,
    ApiUser(_actor): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let (record, tree) = s.app.framework(id).await?;
    let mut v = serde_json::to_value(&*tree).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), record.id.into());
        o.insert(
            "imported_at".into(),
            rfc3339(from_unix(record.imported_at)).into(),
        );
    }
    Ok(Json(v))
}

#[utoipa::path(post, path = "/api/v1/frameworks", tag = "assessments", security(("bearer" = [])), params(FrameworkImportQuery),
    request_body(content = String, description = "A framework file (YAML or JSON, docs/FORMATS.md), an OSCAL catalog JSON or a CISO Assistant library YAML; the last two need `key`, `year`, `categories` and `deadline`."),
    responses((status = 201, body = FrameworkImported), (status = 200, body = FrameworkImported), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn import_framework(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FrameworkImportQuery>,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<FrameworkImported>)> {
    actor.require(palisade_domain::policy::GlobalAction::ManageFrameworks)?;
    let body = crate::kit::extract::read_body(body, MAX_FRAMEWORK_BYTES).await?;
    let text =
        std::str::from_utf8(&body).map_err(|_| AppError::invalid("file", "is not UTF-8 text"))?;
    let params = catalog_params(&q)?;
    let (record, created) = s.app.import_framework(&actor, text, params).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(FrameworkImported {
            framework: record.into(),
            created,
        }),
    ))
}

pub(crate) fn catalog_params(q: &FrameworkImportQuery) -> Result<Option<CatalogParams>, AppError> {
    let (Some(key), Some(year), Some(categories), Some(deadline)) =
        (&q.key, q.year, &q.categories, &q.deadline)
    else {
        return Ok(None);
    };
    let categories = categories
        .split(',')
        .map(|c| {
            c.trim().parse::<u8>().map_err(|_| {
                AppError::invalid("categories", format!("'{c}' is not a category number"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(CatalogParams {
        key: key.clone(),
        year,
        categories,
        deadline: deadline.clone(),
        interim_baseline: q.interim_baseline.clone(),
    }))
}
