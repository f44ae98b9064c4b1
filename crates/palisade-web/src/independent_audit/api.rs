//! `/api/v1` for the independent audit of a submitted assessment.

use crate::AppState;
use crate::kit::error::ErrorBody;
use crate::kit::extract::{ApiJson, ApiResult};
use crate::kit::identity::ApiUser;
use axum::Json;
use axum::extract::{Path, State};
use palisade_app::independent_audit::AuditView;
use palisade_domain::clock::rfc3339_opt;
use palisade_domain::independent_audit::FindingInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLineDto {
    #[serde(rename = "ref")]
    pub reference: String,
    pub text: String,
    /// What the organisation's answers amount to: `Met`, `Not met`, or an outcome's level.
    pub claimed: String,
    /// The auditor's judgement: `true` agrees, `false` disagrees, absent when not judged.
    pub agrees: Option<bool>,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    pub org_code: String,
    pub year: i32,
    /// The organisation's category needs an independent audit (categories 1 and 2).
    pub required: bool,
    /// `draft` or `issued`; absent before the auditor starts (or, for everyone but the auditor,
    /// until the report is issued).
    pub state: Option<String>,
    pub revision: i64,
    /// The framework's assurance scale, best first.
    pub scale: Vec<String>,
    pub rating: Option<String>,
    /// `supported`, `partly_supported` or `not_supported`.
    pub veracity: Option<String>,
    pub summary: Option<String>,
    pub auditor: Option<String>,
    pub issued_at: Option<String>,
    pub lines: Vec<AuditLineDto>,
}

pub(crate) fn audit_dto(v: AuditView) -> AuditDto {
    let r = v.report.as_ref();
    AuditDto {
        org_code: v.assessment.org.org.code.clone(),
        year: v.assessment.year,
        required: v.required,
        state: v.state().map(|s| s.as_str().to_string()),
        revision: v.revision(),
        scale: v.assessment.tree.assurance_ratings.clone(),
        rating: r.and_then(|r| r.rating.clone()),
        veracity: r.and_then(|r| r.veracity).map(|v| v.as_str().to_string()),
        summary: r.map(|r| r.summary.clone()),
        auditor: r.and_then(|r| r.auditor.clone()),
        issued_at: rfc3339_opt(r.and_then(|r| r.issued_at)),
        lines: v
            .lines
            .into_iter()
            .map(|l| AuditLineDto {
                agrees: l.finding.as_ref().map(|f| f.agrees),
                comment: l.finding.map(|f| f.comment),
                reference: l.reference,
                text: l.text,
                claimed: l.claimed,
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FindingBody {
    #[serde(rename = "ref")]
    pub reference: String,
    /// `agree` or `disagree`.
    pub judgement: String,
    /// Required when disagreeing.
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AuditBody {
    /// The report's `revision` when read (0 for a new one).
    pub expected_revision: i64,
    /// One of the framework's `scale`.
    #[serde(default)]
    pub rating: String,
    /// `supported`, `partly_supported` or `not_supported`.
    #[serde(default)]
    pub veracity: String,
    #[serde(default)]
    pub summary: String,
    /// The whole set of findings: they replace the ones before.
    #[serde(default)]
    pub findings: Vec<FindingBody>,
    /// Issue the report with these fields, all at once; it can then no longer change. To issue
    /// the report as saved, without sending it again, use `POST .../independent-audit/issue`.
    #[serde(default)]
    pub issue: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueBody {
    /// The report's `revision` when read.
    pub expected_revision: i64,
}

#[utoipa::path(get, path = "/api/v1/organisations/{code}/assessments/{year}/independent-audit", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)),
    responses((status = 200, body = AuditDto), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_audit(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
) -> ApiResult<Json<AuditDto>> {
    Ok(Json(audit_dto(
        s.app.independent_audit(&actor, &code, year).await?,
    )))
}

#[utoipa::path(put, path = "/api/v1/organisations/{code}/assessments/{year}/independent-audit", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = AuditBody,
    responses((status = 200, body = AuditDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(crate) async fn put_audit(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<AuditBody>,
) -> ApiResult<Json<AuditDto>> {
    let findings: Vec<FindingInput> = b
        .findings
        .into_iter()
        .map(|f| FindingInput {
            reference: f.reference,
            judgement: f.judgement,
            comment: f.comment,
        })
        .collect();
    let v = s
        .app
        .save_independent_audit(
            &actor,
            &code,
            year,
            b.expected_revision,
            &findings,
            (&b.rating, &b.veracity, &b.summary),
            b.issue,
        )
        .await?;
    Ok(Json(audit_dto(v)))
}

#[utoipa::path(post, path = "/api/v1/organisations/{code}/assessments/{year}/independent-audit/issue", tag = "assessments", security(("bearer" = [])),
    params(("code" = String, Path), ("year" = i32, Path)), request_body = IssueBody,
    responses((status = 200, description = "The report as saved, now issued to the organisation", body = AuditDto),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Issued already, not submitted, or changed since `expected_revision`", body = ErrorBody),
        (status = 422, description = "The saved report lacks a rating, veracity or summary", body = ErrorBody)))]
pub(crate) async fn issue_audit(
    State(s): State<AppState>,
    ApiUser(actor): ApiUser,
    Path((code, year)): Path<(String, i32)>,
    ApiJson(b): ApiJson<IssueBody>,
) -> ApiResult<Json<AuditDto>> {
    Ok(Json(audit_dto(
        s.app
            .issue_independent_audit(&actor, &code, year, b.expected_revision)
            .await?,
    )))
}
