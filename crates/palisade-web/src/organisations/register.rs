//! The register's CSV import page and its export.

use crate::AppState;
use crate::kit::files::csv_stream;
use crate::kit::identity::{CheckedMultipart, PageUser};
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use palisade_domain::policy::GlobalAction;

/// Where the register import form posts (it may be larger than other forms).
pub(crate) const IMPORT_PATH: &str = "/organisations/import";

pub(crate) fn import_page(
    u: &PageUser,
    errors: Errors,
    total_errors: usize,
    report: Option<palisade_store::ImportReport>,
) -> ImportPage {
    ImportPage {
        l: Layout::for_session(&u.0),
        errors,
        total_errors,
        report,
    }
}

pub(crate) async fn import_form(u: PageUser) -> PageResult {
    u.0.actor.require(GlobalAction::ImportOrganisations)?;
    Ok(render(&import_page(&u, Errors::default(), 0, None)))
}

/// At most this many problems are listed on the page; the count says how many there were.
pub(crate) const SHOWN_ERRORS: usize = 100;

pub(crate) async fn import_orgs(
    State(s): State<AppState>,
    u: PageUser,
    CheckedMultipart(form): CheckedMultipart,
) -> PageResult {
    // Permission before the file is read: a refused upload is never buffered.
    u.0.actor.require(GlobalAction::ImportOrganisations)?;
    let upload =
        crate::kit::files::read_upload(form, "the file is larger than the import limit").await?;
    let data = upload.file.map(|(_, bytes)| bytes);
    let data = match data {
        Some(d) if !d.is_empty() => d,
        _ => {
            let errors = Errors::one("file", "Select a CSV file to import");
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &import_page(&u, errors, 1, None),
            ));
        }
    };
    match s.app.import_orgs_csv(&u.0.actor, &data, |_| {}).await {
        Ok(report) => Ok(render(&import_page(&u, Errors::default(), 0, Some(report)))),
        Err(e) => {
            // Line problems and conflicts alike are shown on the form; anything else is an
            // error page. Each links to the file field: the line number is in the message.
            let errs = form_errors(e)?;
            let total = errs.0.len();
            let shown = on_file_field(errs, SHOWN_ERRORS);
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &import_page(&u, shown, total, None),
            ))
        }
    }
}

/// Problems with an uploaded file, at most `max` of them, each linked to the file field and
/// naming the part of the file it is about.
pub(crate) fn on_file_field(errors: Errors, max: usize) -> Errors {
    Errors(
        errors
            .0
            .into_iter()
            .take(max)
            .map(|e| ShownError {
                message: if e.field == "file" {
                    e.message
                } else {
                    format!("{}: {}", e.field, e.message)
                },
                field: "file".into(),
            })
            .collect(),
    )
}

pub(crate) async fn export_orgs(State(s): State<AppState>, u: PageUser) -> PageResult {
    let csv = s.app.export_orgs_csv(&u.0.actor).await?;
    Ok(csv_stream(csv, "organisations.csv"))
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub l: Layout,
    pub errors: Errors,
    pub total_errors: usize,
    pub report: Option<palisade_store::ImportReport>,
}
