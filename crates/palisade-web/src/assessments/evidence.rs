//! Evidence documents on a section page: upload, download and removal.

use crate::AppState;
use crate::assessments::overview::{assessment_url, section_url};
use crate::assessments::section::{Typed, section_page};
use crate::kit::identity::PageUser;
use crate::kit::params::year_param;
use crate::kit::views::{Errors, PageResult, ShownError, render_status};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::AppError;

pub(crate) fn evidence_url(code: &str, year: i32) -> String {
    format!("{}/evidence", assessment_url(code, year))
}

/// The section page again, with an upload's problem shown at its item.
pub(crate) async fn section_with_errors(
    s: &AppState,
    u: &PageUser,
    code: &str,
    year: i32,
    reference: &str,
    e: AppError,
) -> PageResult {
    let errs = match e {
        AppError::Invalid(errs) => errs,
        AppError::Conflict { message, .. } => {
            palisade_domain::FieldError::new("file", message).into()
        }
        other => return Err(other.into()),
    };
    let view = s.app.assessment(&u.0.actor, code, year).await?;
    let section = view.tree.section_of(reference).unwrap_or_default();
    if section.is_empty() {
        return Err(AppError::Invalid(errs).into());
    }
    let errors = Errors(
        errs.0
            .into_iter()
            .map(|f| ShownError {
                field: format!("answers.{reference}"),
                message: f.message,
            })
            .collect(),
    );
    let page = section_page(u, &view, section, &Typed::new(), errors, None)?;
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

pub(crate) async fn upload_evidence(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year)): Path<(String, String)>,
    crate::kit::identity::CheckedMultipart(form): crate::kit::identity::CheckedMultipart,
) -> PageResult {
    let year = year_param(&year)?;
    // Permission and an open assessment before the file is read.
    s.app.check_evidence_upload(&u.0.actor, &code, year).await?;
    let upload =
        crate::kit::files::read_upload(form, "the document is larger than the upload limit")
            .await?;
    let reference = upload.field("ref").to_string();
    let (filename, bytes) = upload.file.unwrap_or_default();
    match s
        .app
        .upload_evidence(&u.0.actor, &code, year, &reference, &filename, bytes)
        .await
    {
        Ok((_, section)) => Ok(crate::kit::views::see_other(&format!(
            "{}?uploaded=1#item-{reference}",
            section_url(&code, year, &section)
        ))),
        Err(e) => section_with_errors(&s, &u, &code, year, &reference, e).await,
    }
}

pub(crate) async fn download_evidence(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, id)): Path<(String, String, i64)>,
) -> PageResult {
    let year = year_param(&year)?;
    let (e, bytes) = s.app.evidence_file(&u.0.actor, &code, year, id).await?;
    Ok(crate::kit::files::download(
        bytes,
        &e.content_type,
        &e.filename,
    ))
}

pub(crate) async fn remove_evidence(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, year, id)): Path<(String, String, i64)>,
) -> PageResult {
    let year = year_param(&year)?;
    let before = s.app.assessment(&u.0.actor, &code, year).await?;
    let reference = before
        .evidence
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.reference.clone())
        .ok_or(AppError::NotFound)?;
    match s.app.remove_evidence(&u.0.actor, &code, year, id).await {
        Ok(view) => Ok(crate::kit::views::see_other(&format!(
            "{}#item-{reference}",
            section_url(
                &code,
                year,
                view.tree.section_of(&reference).unwrap_or_default()
            )
        ))),
        Err(e) => section_with_errors(&s, &u, &code, year, &reference, e).await,
    }
}
