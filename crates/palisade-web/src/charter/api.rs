//! The charter over the API: the version in force, a supplier's signature, signing and
//! withdrawing, and the public list of signatories (JSON and CSV).

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiResult};
use crate::kit::files::csv_download;
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use palisade_app::charter::{
    CertificateInput, CharterView, CommitmentInput, CommitmentView, SignatoryView, SignatureInput,
    SupplierCharter,
};
use palisade_domain::clock::rfc3339_opt;
use palisade_domain::dates::date_text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One commitment of the charter.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentDto {
    /// `supported_systems`, `dspt_standards_met`, `mfa`, `monitoring`, `immutable_backups`,
    /// `board_exercising`, `incident_reporting` or `secure_development`.
    pub key: String,
    pub title: String,
    pub wording: String,
    /// The evidence it expects.
    pub evidence: String,
}

/// The charter version in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct CharterDto {
    pub version: u32,
    pub title: String,
    pub published_on: String,
    pub commitments: Vec<CommitmentDto>,
}

impl From<CharterView> for CharterDto {
    fn from(v: CharterView) -> Self {
        let c = v.charter;
        Self {
            version: c.version,
            title: c.title,
            published_on: date_text(c.published_on),
            commitments: c
                .commitments
                .into_iter()
                .map(|m| CommitmentDto {
                    key: m.key.as_str().into(),
                    title: m.title,
                    wording: m.wording,
                    evidence: m.evidence,
                })
                .collect(),
        }
    }
}

/// An IT supplier's charter signature today.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierCharterDto {
    pub code: String,
    pub name: String,
    /// `not_signed`, `signed`, `reaffirmation_due` (from 30 days before expiry, or once a newer
    /// charter version is in force), `lapsed` (from the day after expiry) or `withdrawn`.
    pub state: String,
    /// The charter version in force.
    pub charter_version: u32,
    /// The version the newest signature was given to.
    pub signed_version: Option<i64>,
    pub signatory_name: Option<String>,
    pub signatory_position: Option<String>,
    /// The day signed, and the day the signature expires (12 months on).
    pub signed_on: Option<String>,
    pub expires_on: Option<String>,
    /// Who recorded the signature.
    pub recorded_by: Option<String>,
    pub withdrawn_at: Option<String>,
    /// Each commitment of the charter in force, with its state today.
    pub commitments: Vec<CommitmentStateDto>,
}

/// A commitment's state today and why, with what the supplier shows for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentStateDto {
    pub key: String,
    pub title: String,
    /// `evidenced`, `live_met`, `live_not_met`, `expired` or `missing`.
    pub state: String,
    pub reason: String,
    /// Null until the supplier shows something (never for the commitments checked live).
    pub evidence: Option<CommitmentEvidenceDto>,
    /// The documents shown for it, oldest first.
    pub documents: Vec<CharterDocumentDto>,
}

/// A document a supplier shows for a commitment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CharterDocumentDto {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: String,
    pub uploaded_by: Option<String>,
}

/// A document for a commitment: one field, `file`. Describes the multipart body for the
/// OpenAPI document only; the handler reads the parts itself.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DocumentUpload {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentEvidenceDto {
    pub statement: String,
    pub expires_on: String,
    pub certificate: Option<CertificateDto>,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificateDto {
    pub kind: String,
    pub reference: String,
    /// `YYYY-MM-DD`, not in the past.
    pub expires_on: String,
}

impl From<CommitmentView> for CommitmentStateDto {
    fn from(v: CommitmentView) -> Self {
        Self {
            key: v.commitment.key.as_str().into(),
            title: v.commitment.title,
            state: v.state.as_str().into(),
            reason: v.reason,
            documents: v
                .documents
                .into_iter()
                .map(|d| CharterDocumentDto {
                    id: d.id,
                    filename: d.filename,
                    content_type: d.content_type,
                    size: d.size,
                    sha256: d.sha256,
                    uploaded_at: rfc3339_opt(Some(d.uploaded_at)).unwrap_or_default(),
                    uploaded_by: d.uploaded_by,
                })
                .collect(),
            evidence: v.evidence.map(|e| CommitmentEvidenceDto {
                statement: e.statement,
                expires_on: date_text(e.expires_on),
                certificate: e.certificate.map(|c| CertificateDto {
                    kind: c.kind,
                    reference: c.reference,
                    expires_on: date_text(c.expires_on),
                }),
                updated_at: rfc3339_opt(Some(e.updated_at)).unwrap_or_default(),
                updated_by: e.updated_by,
            }),
        }
    }
}

/// What the supplier shows for a commitment checked from evidence.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommitmentBody {
    pub statement: String,
    /// `YYYY-MM-DD`: until when the statement holds; not in the past.
    pub expires_on: String,
    #[serde(default)]
    pub certificate: Option<CertificateDto>,
}

impl From<SupplierCharter> for SupplierCharterDto {
    fn from(v: SupplierCharter) -> Self {
        let s = v.signature;
        Self {
            code: v.org.code,
            name: v.org.name,
            state: v.state.as_str().into(),
            charter_version: v.current_version,
            signed_version: s.as_ref().map(|s| s.charter_version),
            signatory_name: s.as_ref().map(|s| s.signatory_name.clone()),
            signatory_position: s.as_ref().map(|s| s.signatory_position.clone()),
            signed_on: s.as_ref().map(|s| date_text(s.signed_on)),
            expires_on: v.expires_on.map(date_text),
            recorded_by: s.as_ref().and_then(|s| s.signed_by.clone()),
            withdrawn_at: rfc3339_opt(s.as_ref().and_then(|s| s.withdrawn_at)),
            commitments: v.commitments.into_iter().map(Into::into).collect(),
        }
    }
}

/// A supplier on the public list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatoryDto {
    pub code: String,
    pub name: String,
    /// `signed` or `reaffirmation_due`.
    pub state: String,
    pub signed_on: String,
    pub expires_on: String,
    pub charter_version: i64,
}

impl From<SignatoryView> for SignatoryDto {
    fn from(v: SignatoryView) -> Self {
        Self {
            code: v.signatory.org_code,
            name: v.signatory.org_name,
            state: v.state.as_str().into(),
            signed_on: date_text(v.signatory.signature.signed_on),
            expires_on: date_text(v.expires_on),
            charter_version: v.signatory.signature.charter_version,
        }
    }
}

/// A signature, given by the supplier's lead on behalf of the supplier.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignBody {
    pub signatory_name: String,
    /// The signatory's board-level position.
    pub signatory_position: String,
    /// `YYYY-MM-DD`: not in the future, not before the charter was published.
    pub signed_on: String,
}

#[utoipa::path(get, path = "/api/v1/charter", tag = "charter",
    security(("bearer" = [])), responses((status = 200, body = CharterDto), (status = 401, body = ErrorBody)))]
pub(crate) async fn get_charter(
    State(s): State<AppState>,
    _caller: ApiUser,
) -> ApiResult<Json<CharterDto>> {
    Ok(Json(s.app.charter().await?.into()))
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/charter", tag = "charter", params(("code" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = SupplierCharterDto), (status = 403, body = ErrorBody),
        (status = 404, description = "No such IT supplier, or not one the caller may see", body = ErrorBody)))]
pub(crate) async fn supplier_charter(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<SupplierCharterDto>> {
    Ok(Json(s.app.supplier_charter(&actor, &code).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/charter/signatures", tag = "charter", params(("code" = String, Path)), request_body = SignBody,
    security(("bearer" = [])), responses((status = 201, description = "Signed (or reaffirmed): the signature in force", body = SupplierCharterDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Not an IT supplier, or a field refused", body = ErrorBody)))]
pub(crate) async fn sign_charter(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<SignBody>,
) -> ApiResult<(StatusCode, Json<SupplierCharterDto>)> {
    let input = SignatureInput {
        signatory_name: b.signatory_name,
        signatory_position: b.signatory_position,
        signed_on: b.signed_on,
        confirmed: true,
    };
    let signed = s.app.sign_charter(&actor, &code, &input).await?;
    Ok((StatusCode::CREATED, Json(signed.into())))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{code}/charter/signatures/current", tag = "charter", params(("code" = String, Path)),
    security(("bearer" = [])), responses((status = 200, description = "Withdrawn", body = SupplierCharterDto),
        (status = 403, body = ErrorBody), (status = 404, description = "No signature to withdraw", body = ErrorBody),
        (status = 409, description = "Withdrawn already", body = ErrorBody)))]
pub(crate) async fn withdraw_signature(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<SupplierCharterDto>> {
    Ok(Json(s.app.withdraw_charter(&actor, &code).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/charter/commitments/{key}", tag = "charter", params(("code" = String, Path), ("key" = String, Path)), request_body = CommitmentBody,
    security(("bearer" = [])), responses((status = 200, description = "Kept: the commitment's state today", body = CommitmentStateDto),
        (status = 403, body = ErrorBody), (status = 404, description = "No such supplier or commitment", body = ErrorBody),
        (status = 422, description = "A field refused, or a commitment checked live", body = ErrorBody)))]
pub(crate) async fn save_commitment(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, key)): Path<(String, String)>,
    ApiJson(b): ApiJson<CommitmentBody>,
) -> ApiResult<Json<CommitmentStateDto>> {
    let input = CommitmentInput {
        statement: b.statement,
        expires_on: b.expires_on,
        certificate: b.certificate.map(|c| CertificateInput {
            kind: c.kind,
            reference: c.reference,
            expires_on: c.expires_on,
        }),
    };
    let saved = s.app.save_commitment(&actor, &code, &key, &input).await?;
    Ok(Json(saved.into()))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/charter/commitments/{key}/evidence", tag = "charter", params(("code" = String, Path), ("key" = String, Path)),
    request_body(content = DocumentUpload, content_type = "multipart/form-data", description = "`file`: PDF, PNG, JPEG, Word, Excel, OpenDocument, plain text or CSV, checked by content; size limited as assessment evidence."),
    security(("bearer" = [])), responses((status = 201, description = "Kept: the commitment's state today", body = CommitmentStateDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "The file refused, or a commitment checked live", body = ErrorBody)))]
pub(crate) async fn upload_document(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, key)): Path<(String, String)>,
    form: axum::extract::Multipart,
) -> ApiResult<(StatusCode, Json<CommitmentStateDto>)> {
    let (filename, bytes) = read_document(form).await?;
    let v = s
        .app
        .upload_commitment_document(&actor, &code, &key, &filename, bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// The `file` of an upload, refused with 413 when the body passes the limit.
pub(crate) async fn read_document(
    form: axum::extract::Multipart,
) -> Result<(String, bytes::Bytes), palisade_app::AppError> {
    let up = crate::kit::files::read_upload(form, "the document is larger than the upload limit")
        .await?;
    Ok(up.file.unwrap_or_default())
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/charter/documents/{id}", tag = "charter", params(("code" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, description = "The document, as uploaded", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub(crate) async fn download_document(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    let (d, bytes) = s.app.commitment_document(&actor, &code, id).await?;
    Ok(crate::kit::files::download(
        bytes,
        &d.content_type,
        &d.filename,
    ))
}

#[utoipa::path(delete, path = "/api/v1/organisations/{code}/charter/documents/{id}", tag = "charter", params(("code" = String, Path), ("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, description = "Removed: the commitment's state now", body = CommitmentStateDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn remove_document(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<CommitmentStateDto>> {
    Ok(Json(
        s.app
            .remove_commitment_document(&actor, &code, id)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/public/charter-signatories", tag = "public",
    responses((status = 200, description = "Every supplier whose signature is in force today, by name", body = Vec<SignatoryDto>)))]
pub(crate) async fn public_signatories(
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<SignatoryDto>>> {
    let list = s.app.charter_signatories().await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/public/charter-signatories.csv", tag = "public",
    responses((status = 200, description = "The same as CSV: code,name,state,signed_on,expires_on,charter_version", content_type = "text/csv")))]
pub(crate) async fn public_signatories_csv(State(s): State<AppState>) -> ApiResult<Response> {
    let csv = s.app.charter_signatories_csv().await?;
    Ok(csv_download(csv, "palisade-charter-signatories.csv"))
}
