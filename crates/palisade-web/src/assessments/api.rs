//! `/api/v1` for one organisation's assessment: answers, certificates, evidence documents,
//! submission, reopening and the OSCAL export.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use palisade_app::assessments::{AnswerInput, AssessmentView, CertificateInput};
use palisade_domain::assessment::{Evaluation, answer_json, year_label};
use palisade_domain::clock::{from_unix, rfc3339, rfc3339_opt};
use palisade_domain::dates::date_text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An answer as the API gives it: a boolean, a number or text.
fn answer_value() -> utoipa::openapi::schema::Schema {
    answer_types(false)
}

/// An answer as the API takes it: a boolean, a number, text, or `null` to clear it.
fn answer_value_or_null() -> utoipa::openapi::schema::Schema {
    answer_types(true)
}

fn answer_types(null: bool) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    let mut kinds = vec![Type::Boolean, Type::Number, Type::String];
    if null {
        kinds.push(Type::Null);
    }
    kinds
        .into_iter()
        .fold(OneOfBuilder::new(), |b, t| {
            b.item(ObjectBuilder::new().schema_type(t))
        })
        .build()
        .into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerDto {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `true`/`false` for yes/no items and indicators, a number for number items, else text.
    #[schema(schema_with = answer_value)]
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
        interim_baseline: v
            .tree
            .interim_baseline_for(v.org.org.category)
            .map(date_text),
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
    #[schema(schema_with = answer_value_or_null)]
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

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path, description = "Cycle start year: 2026 is 2026-27")),
    responses((status = 200, body = AssessmentDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn get_assessment(
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
pub(crate) async fn put_answers(
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
pub(crate) async fn put_certificates(
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
pub(crate) async fn submit(
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
pub(crate) async fn reopen(
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
pub(crate) async fn upload_evidence(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    form: axum::extract::Multipart,
) -> ApiResult<Response> {
    // Permission and an open assessment before the file is read.
    s.app.check_evidence_upload(&actor, &code, year).await?;
    let up = crate::kit::files::read_upload(form, "the document is larger than the upload limit")
        .await?;
    let reference = up.field("ref").to_string();
    let (filename, bytes) = up.file.unwrap_or_default();
    let (e, _) = s
        .app
        .upload_evidence(&actor, &code, year, &reference, &filename, bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(EvidenceDto::from(&e))).into_response())
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The document, as uploaded", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub(crate) async fn download_evidence(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year, id)): Path<(String, i32, i64)>,
) -> ApiResult<Response> {
    let (e, bytes) = s.app.evidence_file(&actor, &code, year, id).await?;
    Ok(crate::kit::files::download(
        bytes,
        &e.content_type,
        &e.filename,
    ))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path), ("id" = i64, Path)),
    responses((status = 200, body = AssessmentDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn remove_evidence(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year, id)): Path<(String, i32, i64)>,
) -> ApiResult<Json<AssessmentDto>> {
    let v = s.app.remove_evidence(&actor, &code, year, id).await?;
    Ok(Json(assessment_dto(v, None)))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}/oscal", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)),
    responses((status = 200, description = "The assessment as OSCAL 1.1 assessment results: a finding per applicable item or outcome, an observation per evidence document", body = Object),
        (status = 404, body = ErrorBody)))]
pub(crate) async fn assessment_oscal(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(s.app.assessment_oscal(&actor, &code, year).await?))
}
