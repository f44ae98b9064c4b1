//! Importing a CSAF advisory on a page: it becomes a draft alert.

use crate::AppState;
use crate::kit::identity::{CheckedMultipart, PageUser};
use crate::kit::views::{Errors, Layout, PageResult, form_errors, render, render_status};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use palisade_domain::policy::GlobalAction;

/// Where a CSAF 2.0 advisory is uploaded to become a draft alert.
pub(crate) const IMPORT_CSAF_PATH: &str = "/alerts/import";

/// What an import made, for the page.
pub struct ImportedDraft {
    pub reference: String,
    pub title: String,
    pub source_id: String,
    pub source_publisher: String,
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "alert_import.html")]
pub struct ImportCsafPage {
    pub l: Layout,
    pub errors: Errors,
    pub imported: Option<ImportedDraft>,
}

pub(crate) async fn import_form(u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    Ok(render(&ImportCsafPage {
        l: Layout::for_session(&u.0),
        errors: Errors::default(),
        imported: None,
    }))
}

pub(crate) async fn import_csaf(
    State(s): State<AppState>,
    u: PageUser,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    // Permission before the file is read: a refused upload is never buffered.
    u.0.actor.require(GlobalAction::ManageAlerts)?;
    let refused = |errors: Errors| {
        render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportCsafPage {
                l: Layout::for_session(&u.0),
                errors,
                imported: None,
            },
        )
    };
    let upload =
        match crate::kit::files::read_upload(form, "the advisory is larger than 1 MB").await {
            Ok(up) => up,
            Err(e) => return Ok(refused(form_errors(e)?)),
        };
    let data = match upload.file {
        Some((_, bytes)) if !bytes.is_empty() => bytes,
        _ => {
            return Ok(refused(Errors::one(
                "file",
                "Select a CSAF 2.0 advisory (a JSON file)",
            )));
        }
    };
    match s.app.import_csaf(&u.0.actor, &data).await {
        Ok(done) => Ok(render_status(
            StatusCode::CREATED,
            &ImportCsafPage {
                l: Layout::for_session(&u.0),
                errors: Errors::default(),
                imported: Some(ImportedDraft {
                    reference: done.alert.reference.clone(),
                    title: done.alert.fields.title.clone(),
                    source_id: done.source_id,
                    source_publisher: done.source_publisher,
                    notes: done.notes,
                }),
            },
        )),
        Err(e) => Ok(refused(crate::organisations::register::on_file_field(
            form_errors(e)?,
            usize::MAX,
        ))),
    }
}
