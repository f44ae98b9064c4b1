//! The charter's pages: the charter in force, the public list of signatories, and an IT
//! supplier's page where its lead records, renews or withdraws the signature.

use crate::AppState;
use crate::kit::identity::{MaybeUser, PageUser};
use crate::kit::views::{PageResult, *};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use palisade_app::charter::{CertificateInput, CommitmentInput, SignatureInput, SupplierCharter};
use palisade_domain::charter::{Commitment, CommitmentState, SignatureState};
use palisade_domain::clock::uk_time;
use palisade_domain::dates::date_text;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "charter.html")]
pub struct CharterPage {
    pub l: Layout,
    pub title: String,
    pub version: u32,
    pub published_on: String,
    pub commitments: Vec<Commitment>,
    /// The caller is national: the page links to the national view.
    pub national: bool,
}

/// The charter in force, for anyone signed in.
pub(crate) async fn charter(State(s): State<AppState>, u: PageUser) -> PageResult {
    let c = s.app.charter().await?.charter;
    Ok(render(&CharterPage {
        l: Layout::for_session(&u.0),
        title: c.title,
        version: c.version,
        published_on: date_text(c.published_on),
        commitments: c.commitments,
        national: u
            .0
            .actor
            .principal
            .may_global(palisade_domain::policy::GlobalAction::ViewNationalReport),
    }))
}

pub struct SignatoryRow {
    pub code: String,
    pub name: String,
    pub signed_on: String,
    pub expires_on: String,
    pub state: SignatureState,
}

#[derive(Template)]
#[template(path = "charter_signatories.html")]
pub struct SignatoriesPage {
    pub l: Layout,
    pub rows: Vec<SignatoryRow>,
}

/// Open to everyone, signed in or not: each supplier's code, name and dates, nothing else.
pub(crate) async fn signatories(State(s): State<AppState>, maybe: MaybeUser) -> PageResult {
    let rows = s
        .app
        .charter_signatories()
        .await?
        .into_iter()
        .map(|v| SignatoryRow {
            signed_on: date_text(v.signatory.signature.signed_on),
            expires_on: date_text(v.expires_on),
            code: v.signatory.org_code,
            name: v.signatory.org_name,
            state: v.state,
        })
        .collect();
    Ok(render(&SignatoriesPage {
        l: maybe
            .0
            .as_deref()
            .map(Layout::for_session)
            .unwrap_or_default(),
        rows,
    }))
}

/// The sign form as typed.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignForm {
    #[serde(default)]
    pub signatory_name: String,
    #[serde(default)]
    pub signatory_position: String,
    #[serde(default)]
    pub signed_on: String,
    /// `yes` when ticked; absent when not.
    #[serde(default)]
    pub confirmation: Option<String>,
}

/// The sign form's values for the template.
#[derive(Debug, Default)]
pub struct SignValues {
    pub signatory_name: String,
    pub signatory_position: String,
    pub signed_on: String,
    pub confirmation: bool,
}

pub struct SignatureView {
    pub signatory: String,
    pub position: String,
    pub signed_on: String,
    pub version: i64,
    pub expires_on: String,
    pub withdrawn: Option<String>,
}

#[derive(Template)]
#[template(path = "charter_supplier.html")]
pub struct SupplierPage {
    pub l: Layout,
    pub errors: Errors,
    pub code: String,
    pub name: String,
    pub state: SignatureState,
    pub signature: Option<SignatureView>,
    /// What the state asks of the supplier next.
    pub advice: String,
    pub current_version: u32,
    pub may_sign: bool,
    pub may_withdraw: bool,
    pub f: SignValues,
    pub commitments: Vec<CommitmentRow>,
}

/// A commitment on the supplier's page.
pub struct CommitmentRow {
    pub key: String,
    pub title: String,
    pub state: CommitmentState,
    pub reason: String,
}

fn advice(state: SignatureState, current_version: u32) -> String {
    match state {
        SignatureState::NotSigned => {
            "Sign the charter to join the public list of signatories.".into()
        }
        SignatureState::Signed => {
            "The signature is in force. It is due for reaffirmation 30 days before it expires."
                .into()
        }
        SignatureState::ReaffirmationDue => format!(
            "Sign version {current_version} of the charter again before the signature expires, or it lapses and leaves the public list."
        ),
        SignatureState::Lapsed => {
            "The signature has expired: sign the charter again to return to the public list.".into()
        }
        SignatureState::Withdrawn => {
            "The signature was withdrawn: sign the charter again to return to the public list."
                .into()
        }
    }
}

fn supplier_page(u: &PageUser, v: SupplierCharter, errors: Errors, f: SignValues) -> SupplierPage {
    let may_withdraw = v.may_sign
        && v.signature
            .as_ref()
            .is_some_and(|s| s.withdrawn_at.is_none());
    let commitments = v
        .commitments
        .iter()
        .map(|c| CommitmentRow {
            key: c.commitment.key.as_str().into(),
            title: c.commitment.title.clone(),
            state: c.state,
            reason: c.reason.clone(),
        })
        .collect();
    SupplierPage {
        l: Layout::for_session(&u.0),
        errors,
        commitments,
        advice: advice(v.state, v.current_version),
        signature: v.signature.map(|s| SignatureView {
            signatory: s.signatory_name,
            position: s.signatory_position,
            signed_on: date_text(s.signed_on),
            version: s.charter_version,
            expires_on: v.expires_on.map(date_text).unwrap_or_default(),
            withdrawn: s.withdrawn_at.map(uk_time),
        }),
        code: v.org.code,
        name: v.org.name,
        state: v.state,
        current_version: v.current_version,
        may_sign: v.may_sign,
        may_withdraw,
        f,
    }
}

/// The supplier's charter page, for its people and the national team.
pub(crate) async fn supplier(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let v = s.app.supplier_charter(&u.0.actor, &code).await?;
    Ok(render(&supplier_page(
        &u,
        v,
        Errors::default(),
        SignValues::default(),
    )))
}

/// Records the signature; the page again with its errors when refused.
pub(crate) async fn sign(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
    Form(f): Form<SignForm>,
) -> PageResult {
    let input = SignatureInput {
        signatory_name: f.signatory_name.clone(),
        signatory_position: f.signatory_position.clone(),
        signed_on: f.signed_on.clone(),
        confirmed: f.confirmation.as_deref() == Some("yes"),
    };
    match s.app.sign_charter(&u.0.actor, &code, &input).await {
        Ok(v) => Ok(see_other(&format!("/organisations/{}/charter", v.org.code))),
        Err(e) => {
            let errors = form_errors(e)?;
            let v = s.app.supplier_charter(&u.0.actor, &code).await?;
            let values = SignValues {
                signatory_name: f.signatory_name,
                signatory_position: f.signatory_position,
                signed_on: f.signed_on,
                confirmation: input.confirmed,
            };
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &supplier_page(&u, v, errors, values),
            ))
        }
    }
}

/// Withdraws the signature in force.
pub(crate) async fn withdraw(
    State(s): State<AppState>,
    u: PageUser,
    Path(code): Path<String>,
) -> PageResult {
    let v = s.app.withdraw_charter(&u.0.actor, &code).await?;
    Ok(see_other(&format!("/organisations/{}/charter", v.org.code)))
}

/// The commitment form as typed; the certificate is left out when its three fields are empty.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CommitmentForm {
    #[serde(default)]
    pub statement: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub certificate_kind: String,
    #[serde(default)]
    pub certificate_reference: String,
    #[serde(default)]
    pub certificate_expires_on: String,
}

impl CommitmentForm {
    fn input(&self) -> CommitmentInput {
        let given = [
            &self.certificate_kind,
            &self.certificate_reference,
            &self.certificate_expires_on,
        ]
        .iter()
        .any(|f| !f.trim().is_empty());
        CommitmentInput {
            statement: self.statement.clone(),
            expires_on: self.expires_on.clone(),
            certificate: given.then(|| CertificateInput {
                kind: self.certificate_kind.clone(),
                reference: self.certificate_reference.clone(),
                expires_on: self.certificate_expires_on.clone(),
            }),
        }
    }
}

#[derive(Template)]
#[template(path = "charter_commitment.html")]
pub struct CommitmentPage {
    pub l: Layout,
    pub errors: Errors,
    pub code: String,
    pub name: String,
    pub key: String,
    pub commitment: Commitment,
    pub state: CommitmentState,
    pub reason: String,
    /// The supplier's own lead may change it (never a live commitment); everyone else who may
    /// see the charter reads it.
    pub editable: bool,
    pub f: CommitmentForm,
    /// (id, file name, size) of each document shown.
    pub documents: Vec<(i64, String, String)>,
}

async fn commitment_page(
    s: &AppState,
    u: &PageUser,
    code: &str,
    key: &str,
    errors: Errors,
    f: Option<CommitmentForm>,
) -> Result<CommitmentPage, crate::kit::error::PageError> {
    let v = s.app.supplier_charter(&u.0.actor, code).await?;
    let c = v
        .commitments
        .into_iter()
        .find(|c| c.commitment.key.as_str() == key)
        .ok_or(palisade_app::AppError::NotFound)?;
    let editable = v.may_sign && !c.commitment.key.checked_live();
    let f = f.unwrap_or_else(|| {
        let e = c.evidence.as_ref();
        let cert = e.and_then(|e| e.certificate.as_ref());
        CommitmentForm {
            statement: e.map(|e| e.statement.clone()).unwrap_or_default(),
            expires_on: e.map(|e| date_text(e.expires_on)).unwrap_or_default(),
            certificate_kind: cert.map(|c| c.kind.clone()).unwrap_or_default(),
            certificate_reference: cert.map(|c| c.reference.clone()).unwrap_or_default(),
            certificate_expires_on: cert.map(|c| date_text(c.expires_on)).unwrap_or_default(),
        }
    });
    let documents = c
        .documents
        .iter()
        .map(|d| {
            (
                d.id,
                d.filename.clone(),
                palisade_app::evidence::size_text(usize::try_from(d.size).unwrap_or(0)),
            )
        })
        .collect();
    Ok(CommitmentPage {
        l: Layout::for_session(&u.0),
        errors,
        documents,
        code: v.org.code,
        name: v.org.name,
        key: key.into(),
        editable,
        state: c.state,
        reason: c.reason,
        commitment: c.commitment,
        f,
    })
}

/// What the supplier shows for one commitment: its lead changes it, the rest read it.
pub(crate) async fn commitment(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, key)): Path<(String, String)>,
) -> PageResult {
    Ok(render(
        &commitment_page(&s, &u, &code, &key, Errors::default(), None).await?,
    ))
}

/// Keeps the commitment's statement; the form again with its errors when refused.
pub(crate) async fn save_commitment(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, key)): Path<(String, String)>,
    Form(f): Form<CommitmentForm>,
) -> PageResult {
    match s
        .app
        .save_commitment(&u.0.actor, &code, &key, &f.input())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/organisations/{code}/charter"))),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &commitment_page(&s, &u, &code, &key, errors, Some(f)).await?,
            ))
        }
    }
}

/// Adds a document to a commitment; the commitment's page again with the problem when refused.
pub(crate) async fn upload_document(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, key)): Path<(String, String)>,
    crate::kit::identity::CheckedMultipart(form): crate::kit::identity::CheckedMultipart,
) -> PageResult {
    // Permission before the file is read: every reader sees the page, only the lead adds.
    if !s.app.supplier_charter(&u.0.actor, &code).await?.may_sign {
        return Err(palisade_app::AppError::Forbidden.into());
    }
    let (filename, bytes) = super::api::read_document(form).await?;
    match s
        .app
        .upload_commitment_document(&u.0.actor, &code, &key, &filename, bytes)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/organisations/{code}/charter/commitments/{key}"
        ))),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &commitment_page(&s, &u, &code, &key, errors, None).await?,
            ))
        }
    }
}

/// One of the supplier's documents, for those who may read its charter.
pub(crate) async fn download_document(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    let (d, bytes) = s.app.commitment_document(&u.0.actor, &code, id).await?;
    Ok(crate::kit::files::download(
        bytes,
        &d.content_type,
        &d.filename,
    ))
}

/// The lead removes a document; back to its commitment's page.
pub(crate) async fn remove_document(
    State(s): State<AppState>,
    u: PageUser,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    let v = s
        .app
        .remove_commitment_document(&u.0.actor, &code, id)
        .await?;
    Ok(see_other(&format!(
        "/organisations/{code}/charter/commitments/{}",
        v.commitment.key.as_str()
    )))
}
