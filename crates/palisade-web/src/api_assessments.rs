//! `/api/v1` for frameworks, assessments, the public register and national figures.

use crate::AppState;
use crate::api::{ApiJson, ApiQuery, ListMeta};
use crate::error::{ApiError, ErrorBody};
use crate::identity::ApiUser;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use palisade_app::AppError;
use palisade_app::assessments::{AnswerInput, AssessmentView, CertificateInput};
use palisade_app::report::NationalReport;
use palisade_domain::assessment::{Evaluation, Status, answer_json, year_label};
use palisade_domain::catalogs::CatalogParams;
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt};
use palisade_domain::framework::date_text;
use palisade_domain::page::{Page, PageRequest};
use palisade_store::{FrameworkRecord, PublicStatus, StatusFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The largest framework file accepted.
pub const MAX_FRAMEWORK_BYTES: usize = 4 * 1024 * 1024;

/// `evidence_limit` is the largest evidence upload body.
pub(crate) fn routes(evidence_limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/organisations/{code}/assessments/{year}/evidence",
            post(upload_evidence).layer(axum::extract::DefaultBodyLimit::max(evidence_limit)),
        )
        .route(
            "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}",
            get(download_evidence).delete(remove_evidence),
        )
        .route(
            "/api/v1/frameworks",
            get(list_frameworks)
                .post(import_framework)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_FRAMEWORK_BYTES)),
        )
        .route("/api/v1/frameworks/{id}", get(get_framework))
        .route(
            "/api/v1/organisations/{code}/assessments/{year}",
            get(get_assessment),
        )
        .route(
            "/api/v1/organisations/{code}/assessments/{year}/answers",
            put(put_answers),
        )
        .route(
            "/api/v1/organisations/{code}/assessments/{year}/certificates",
            put(put_certificates),
        )
        .route(
            "/api/v1/organisations/{code}/assessments/{year}/submit",
            post(submit),
        )
        .route(
            "/api/v1/organisations/{code}/assessments/{year}/reopen",
            post(reopen),
        )
        .route(
            "/api/v1/organisations/{code}/assessments/{year}/oscal",
            get(assessment_oscal),
        )
        .route("/api/v1/assessments", get(list_statuses))
        .route(
            "/api/v1/public/organisations.xlsx",
            get(public_organisations_xlsx),
        )
        .route("/api/v1/public/organisations", get(public_organisations))
        .route(
            "/api/v1/public/organisations.csv",
            get(public_organisations_csv),
        )
        .route("/api/v1/reports/national", get(national_report))
}

type ApiResult<T> = Result<T, ApiError>;

// ---------- representations ----------

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

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerDto {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `true`/`false` for yes/no items and indicators, a number for number items, else text.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// Send this back as `expected_version` to refuse overwriting someone else's change.
    pub version: i64,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateDto {
    pub kind: String,
    pub reference: String,
    pub expires_on: String,
    pub valid: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationDto {
    pub status: String,
    pub published_at: String,
    pub published_by: Option<String>,
    pub late: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceDto {
    pub id: i64,
    #[serde(rename = "ref")]
    pub reference: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: String,
}

impl From<&palisade_store::EvidenceRecord> for EvidenceDto {
    fn from(e: &palisade_store::EvidenceRecord) -> Self {
        Self {
            id: e.id,
            reference: e.reference.clone(),
            filename: e.filename.clone(),
            content_type: e.content_type.clone(),
            size: e.size,
            sha256: e.sha256.clone(),
            uploaded_at: rfc3339(from_unix(e.uploaded_at)),
        }
    }
}

/// An evidence upload: the document item it answers and the file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceUpload {
    /// A document item of the framework, e.g. `1.1.1`.
    #[schema(rename = "ref")]
    pub reference: String,
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentDto {
    pub org_code: String,
    pub year: i32,
    /// e.g. `2026-27`.
    pub year_label: String,
    pub framework_id: i64,
    pub framework_name: String,
    /// One of `standards_exceeded`, `standards_met`, `approaching_standards`,
    /// `standards_not_met`, `plan_agreed`, `not_published`.
    pub status: String,
    pub published_at: Option<String>,
    /// Submitted assessments are locked until reopened.
    pub submitted: bool,
    pub deadline: String,
    pub interim_baseline: Option<String>,
    /// Negative once the deadline has passed.
    pub days_left: i64,
    pub answers: Vec<AnswerDto>,
    pub certificates: Vec<CertificateDto>,
    pub evidence: Vec<EvidenceDto>,
    /// Newest first.
    pub publications: Vec<PublicationDto>,
    /// Progress per standard or objective, what Met and Approaching still need, CAF outcome
    /// levels against their targets.
    #[schema(value_type = Object)]
    pub progress: Evaluation,
    /// References whose answers this call changed (bulk answer calls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
}

pub(crate) fn assessment_dto(v: AssessmentView, changed: Option<Vec<String>>) -> AssessmentDto {
    AssessmentDto {
        org_code: v.org.org.code.clone(),
        year: v.year,
        year_label: year_label(v.year),
        framework_id: v.framework.id,
        framework_name: v.framework.name.clone(),
        status: v.status().as_str().into(),
        published_at: rfc3339_opt(v.published_at()),
        submitted: v.submitted(),
        deadline: date_text(v.tree.deadline),
        interim_baseline: v.tree.interim_baseline.map(date_text),
        days_left: v.days_left(),
        answers: v
            .answers
            .values()
            .map(|a| AnswerDto {
                value: answer_json(&v.tree, &a.reference, &a.value),
                reference: a.reference.clone(),
                version: a.version,
                updated_at: rfc3339(from_unix(a.updated_at)),
                updated_by: a.updated_by.clone(),
            })
            .collect(),
        certificates: v
            .certificates
            .iter()
            .map(|c| CertificateDto {
                kind: c.kind.clone(),
                reference: c.reference.clone(),
                expires_on: c.expires_on.clone(),
                valid: v.certificate_valid(c),
            })
            .collect(),
        evidence: v.evidence.iter().map(EvidenceDto::from).collect(),
        publications: v
            .publications
            .iter()
            .map(|p| PublicationDto {
                status: p.status.as_str().into(),
                published_at: rfc3339(from_unix(p.published_at)),
                published_by: p.published_by.clone(),
                late: p.late,
            })
            .collect(),
        progress: v.evaluation,
        changed,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `true`/`false` (or "yes"/"no"), a number, text, a date as YYYY-MM-DD, or `null` to clear.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub value: serde_json::Value,
    /// The `version` you last read (0 if unanswered): the answer is refused if it has changed.
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersBody {
    pub answers: Vec<AnswerBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateBody {
    /// A certificate kind of the framework, e.g. `cyber_essentials_plus`.
    pub kind: String,
    pub reference: String,
    /// YYYY-MM-DD.
    pub expires_on: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificatesBody {
    pub certificates: Vec<CertificateBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatusDto {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: String,
    pub status: String,
    pub published_at: Option<String>,
}

impl From<PublicStatus> for PublicStatusDto {
    fn from(p: PublicStatus) -> Self {
        Self {
            code: p.code,
            name: p.name,
            org_type: p.org_type.as_str().into(),
            status: p.status.as_str().into(),
            published_at: rfc3339_opt(p.published_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStatusList {
    pub items: Vec<PublicStatusDto>,
    pub meta: ListMeta,
}

fn status_list(page: Page<PublicStatus>) -> PublicStatusList {
    let meta = crate::api::meta(&page);
    PublicStatusList {
        items: page.items.into_iter().map(Into::into).collect(),
        meta,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicQuery {
    /// Matches code or name.
    pub q: Option<String>,
    /// Assessment year (cycle start); defaults to the current cycle.
    pub year: Option<i32>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    pub q: Option<String>,
    pub year: Option<i32>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub org_type: Option<String>,
    pub category: Option<u8>,
    pub region: Option<String>,
    /// A status value, e.g. `standards_met`.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl StatusQuery {
    pub(crate) fn filter(&self) -> Result<StatusFilter, AppError> {
        Ok(StatusFilter {
            q: self.q.clone(),
            org_type: crate::api::type_param(&self.org_type)?,
            category: crate::api::category_param(self.category)?,
            region: self.region.clone().filter(|r| !r.trim().is_empty()),
            status: self
                .status
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    s.parse::<Status>()
                        .map_err(|m| AppError::invalid("status", m))
                })
                .transpose()?,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Assessment year (cycle start); defaults to the current cycle.
    pub year: Option<i32>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

// ---------- handlers ----------

#[utoipa::path(get, path = "/api/v1/frameworks", tag = "assessments", security(("bearer" = [])),
    responses((status = 200, body = FrameworkList), (status = 401, body = ErrorBody)))]
async fn list_frameworks(
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
async fn get_framework(
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
async fn import_framework(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<FrameworkImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<FrameworkImported>)> {
    actor.require(palisade_domain::policy::GlobalAction::ManageFrameworks)?;
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

fn catalog_params(q: &FrameworkImportQuery) -> Result<Option<CatalogParams>, AppError> {
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

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path, description = "Cycle start year: 2026 is 2026-27")),
    responses((status = 200, body = AssessmentDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn get_assessment(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
) -> ApiResult<Json<AssessmentDto>> {
    let v = s.app.assessment(&actor, &code, year).await?;
    Ok(Json(assessment_dto(v, None)))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/assessments/{year}/answers", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = AnswersBody,
    responses((status = 200, body = AssessmentDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_answers(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<AnswersBody>,
) -> ApiResult<Json<AssessmentDto>> {
    let inputs: Vec<AnswerInput> = b
        .answers
        .into_iter()
        .map(|a| AnswerInput {
            reference: a.reference,
            value: a.value,
            expected_version: a.expected_version,
        })
        .collect();
    let (v, changed) = s.app.save_answers(&actor, &code, year, &inputs).await?;
    Ok(Json(assessment_dto(v, Some(changed))))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/assessments/{year}/certificates", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = CertificatesBody,
    responses((status = 200, body = AssessmentDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_certificates(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<CertificatesBody>,
) -> ApiResult<Json<AssessmentDto>> {
    let inputs: Vec<CertificateInput> = b
        .certificates
        .into_iter()
        .map(|c| CertificateInput {
            kind: c.kind,
            reference: c.reference,
            expires_on: c.expires_on,
        })
        .collect();
    let v = s.app.set_certificates(&actor, &code, year, &inputs).await?;
    Ok(Json(assessment_dto(v, None)))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/assessments/{year}/submit", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)),
    responses((status = 200, description = "Submitted; `status` is the published status", body = AssessmentDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn submit(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
) -> ApiResult<Json<AssessmentDto>> {
    let v = s.app.submit(&actor, &code, year).await?;
    Ok(Json(assessment_dto(v, None)))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/assessments/{year}/reopen", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)),
    responses((status = 200, body = AssessmentDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reopen(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
) -> ApiResult<Json<AssessmentDto>> {
    let v = s.app.reopen(&actor, &code, year).await?;
    Ok(Json(assessment_dto(v, None)))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/assessments/{year}/evidence", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data", description = "`ref` first, then `file`. PDF, PNG, JPEG, Word, Excel, OpenDocument, plain text or CSV, checked by content; size limited (20 MB unless configured)."),
    responses((status = 201, body = EvidenceDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_evidence(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    form: axum::extract::Multipart,
) -> ApiResult<Response> {
    // Permission before the file is read.
    let view = s.app.assessment(&actor, &code, year).await?;
    if !view.may_answer {
        return Err(AppError::Forbidden.into());
    }
    let up =
        crate::files::read_upload(form, "the document is larger than the upload limit").await?;
    let reference = up.field("ref").to_string();
    let (filename, bytes) = up.file.unwrap_or_default();
    let (_, e) = s
        .app
        .upload_evidence(&actor, &code, year, &reference, &filename, bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(EvidenceDto::from(&e))).into_response())
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The document, as uploaded", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
async fn download_evidence(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year, id)): Path<(String, i32, i64)>,
) -> ApiResult<Response> {
    let (e, bytes) = s.app.evidence_file(&actor, &code, year, id).await?;
    Ok(crate::files::download(bytes, &e.content_type, &e.filename))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path), ("id" = i64, Path)),
    responses((status = 200, body = AssessmentDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn remove_evidence(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year, id)): Path<(String, i32, i64)>,
) -> ApiResult<Json<AssessmentDto>> {
    let v = s.app.remove_evidence(&actor, &code, year, id).await?;
    Ok(Json(assessment_dto(v, None)))
}

#[utoipa::path(get, path = "/api/v1/assessments", tag = "assessments", security(("bearer" = [])), params(StatusQuery),
    responses((status = 200, description = "The current status of every organisation the caller may see", body = PublicStatusList), (status = 422, body = ErrorBody)))]
async fn list_statuses(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> ApiResult<Json<PublicStatusList>> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let page = s
        .app
        .statuses(
            &actor,
            year,
            &q.filter()?,
            PageRequest::new(q.page, q.per_page),
        )
        .await?;
    Ok(Json(status_list(page)))
}

#[utoipa::path(get, path = "/api/v1/public/organisations", tag = "public", params(PublicQuery),
    responses((status = 200, description = "Code, name, type, published status and date only. No sign-in needed.", body = PublicStatusList)))]
async fn public_organisations(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Json<PublicStatusList>> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let page = s
        .app
        .public_statuses(year, q.q, PageRequest::new(q.page, q.per_page))
        .await?;
    Ok(Json(status_list(page)))
}

#[utoipa::path(get, path = "/api/v1/public/organisations.csv", tag = "public", params(PublicQuery),
    responses((status = 200, description = "The same as CSV: code,name,type,status,published_at (every match, not one page)", content_type = "text/csv")))]
async fn public_organisations_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Response> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let csv = s.app.public_statuses_csv(year, q.q).await?;
    Ok(crate::csv_download(
        csv,
        &format!("palisade-statuses-{}.csv", year_label(year)),
    ))
}

#[utoipa::path(get, path = "/api/v1/public/organisations.xlsx", tag = "public", params(PublicQuery),
    responses((status = 200, description = "The same as an Excel workbook: one sheet, a header row, every match", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn public_organisations_xlsx(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Response> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let book = s.app.public_statuses_xlsx(year, q.q).await?;
    Ok(crate::files::download(
        book,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("palisade-statuses-{}.xlsx", year_label(year)),
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}/oscal", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)),
    responses((status = 200, description = "The assessment as OSCAL 1.1 assessment results: a finding per applicable item or outcome, an observation per evidence document", body = Object),
        (status = 404, body = ErrorBody)))]
async fn assessment_oscal(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.app.assessment_oscal(&actor, &code, year).await?))
}

#[utoipa::path(get, path = "/api/v1/reports/national", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, description = "Counts and percentages of every status by organisation type, category and region, met-or-exceeded totals, submission progress and year-on-year change", body = Object),
        (status = 403, body = ErrorBody)))]
async fn national_report(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let year = q.year.unwrap_or_else(|| s.app.current_year());
    let report: NationalReport = s.app.national_report(&actor, year).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "csv" => Ok(crate::csv_download(
            report.to_csv(),
            &format!("palisade-national-{}.csv", report.year_label),
        )),
        other => Err(AppError::invalid("format", format!("'{other}' is not json or csv")).into()),
    }
}
