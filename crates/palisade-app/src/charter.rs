//! The supplier cyber security charter (`docs/SUPPLIERS.md`): its versions (the shipped one
//! installed when the database opens, others imported), IT suppliers' signatures, and where each
//! stands today.

mod standing;

pub(crate) use standing::Standing;

use crate::auth::sha256_hex;
use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::charter::{
    self, Charter, Commitment, CommitmentKey, CommitmentState, SignatureFacts, SignatureState,
};
use palisade_domain::dates::{date_text, parse_date};
use palisade_domain::error::{bounded_text, long_text};
use palisade_domain::org::OrgType;
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{
    CharterCertificate, CharterDocument, CharterRecord, CommitmentRecord, NewCharterDocument,
    NewCommitment, NewSignature, Organisation, Signatory, SignatureRecord,
};
use serde_json::json;
use time::Date;

/// The charter version in force, with its content.
#[derive(Debug, Clone)]
pub struct CharterView {
    pub record: CharterRecord,
    pub charter: Charter,
}

/// A signature as typed on the form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct SignatureInput {
    pub signatory_name: String,
    pub signatory_position: String,
    /// `YYYY-MM-DD`.
    pub signed_on: String,
    /// The lead confirms the signatory signed on the supplier's behalf (a call to the API is
    /// itself the confirmation).
    pub confirmed: bool,
}

/// A supplier's charter today: its signature and where it stands.
#[derive(Debug, Clone)]
pub struct SupplierCharter {
    pub org: Organisation,
    pub state: SignatureState,
    /// The newest signature, withdrawn or not.
    pub signature: Option<SignatureRecord>,
    pub expires_on: Option<Date>,
    /// The charter version in force (a signature of an older one is due for reaffirmation).
    pub current_version: u32,
    /// The caller may sign, reaffirm or withdraw, and keep the evidence (the supplier's lead).
    pub may_sign: bool,
    /// Each commitment of the charter in force with its state today.
    pub commitments: Vec<CommitmentView>,
}

/// A commitment with its state today, why, and what the supplier shows for it.
#[derive(Debug, Clone)]
pub struct CommitmentView {
    pub commitment: Commitment,
    pub state: CommitmentState,
    pub reason: String,
    pub evidence: Option<CommitmentRecord>,
    /// The documents shown for it, oldest first.
    pub documents: Vec<CharterDocument>,
}

/// What a supplier shows for a commitment, as typed.
#[derive(Debug, Clone, Default)]
pub struct CommitmentInput {
    pub statement: String,
    /// `YYYY-MM-DD`: until when the statement holds.
    pub expires_on: String,
    pub certificate: Option<CertificateInput>,
}

#[derive(Debug, Clone, Default)]
pub struct CertificateInput {
    pub kind: String,
    pub reference: String,
    pub expires_on: String,
}

/// How far back the live checks look.
const LIVE_WINDOW_SECS: i64 = 365 * 86_400;

/// A supplier on a list of signatories, with its state today.
#[derive(Debug, Clone)]
pub struct SignatoryView {
    pub signatory: Signatory,
    pub state: SignatureState,
    pub expires_on: Date,
}

/// Whether the actor is a lead of the supplier itself: a lead of an organisation above it (an
/// ICB above a supplier) acts for the organisations beneath it elsewhere, but a signature at
/// board level and its evidence are the supplier's own.
fn own_lead(actor: &Actor, org: &crate::orgs::OrgView) -> bool {
    actor.principal.may(
        OrgAction::SignCharter,
        &org.ancestry[..org.ancestry.len().min(1)],
    )
}

pub(crate) fn facts(s: &SignatureRecord) -> SignatureFacts {
    SignatureFacts {
        signed_on: s.signed_on,
        version: u32::try_from(s.charter_version).unwrap_or(0),
        withdrawn: s.withdrawn_at.is_some(),
    }
}

impl App {
    /// Keeps the charter Palisade ships unless its version is kept already (with this content
    /// or, from an operator's own import, another). Run when Palisade opens its database.
    pub async fn install_shipped_charter(&self) -> Result<bool> {
        let c = charter::parse(charter::SHIPPED).map_err(|e| {
            AppError::Internal(format!("the shipped charter does not check: {e:?}"))
        })?;
        match self.keep_charter(&Actor::system(), &c).await {
            Ok((_, added)) => Ok(added),
            Err(AppError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Keeps a charter file (`docs/SUPPLIERS.md`); the same version again answers the one kept
    /// (`false`), other content under a kept version is refused. A new version asks every
    /// signatory to sign again.
    pub async fn import_charter(&self, actor: &Actor, text: &str) -> Result<(CharterRecord, bool)> {
        actor.require(GlobalAction::ManageFrameworks)?;
        let c = charter::parse(text)?;
        self.keep_charter(actor, &c).await
    }

    async fn keep_charter(&self, actor: &Actor, c: &Charter) -> Result<(CharterRecord, bool)> {
        let document = c.canonical_json();
        let hash = sha256_hex(&document);
        let audit = self.draft(
            actor,
            "charter.import",
            "charter",
            "",
            None,
            json!({"version": c.version, "title": c.title, "content_hash": hash}),
        );
        Ok(self
            .store
            .import_charter(c.version, &document, &hash, audit)
            .await?)
    }

    /// The charter version in force: the newest published on or before today, so a version
    /// imported ahead of its day asks no one to sign again until then. Anyone signed in may
    /// read it.
    pub async fn charter(&self) -> Result<CharterView> {
        let today = self.today();
        for (record, document) in self.store.charters().await? {
            let charter: Charter = serde_json::from_str(&document)
                .map_err(|e| AppError::Internal(format!("stored charter: {e}")))?;
            if charter.published_on <= today {
                return Ok(CharterView { record, charter });
            }
        }
        Err(AppError::NotFound)
    }

    /// An IT supplier's charter today, for its own people and the national team; not found for
    /// an organisation that is not an IT supplier.
    pub async fn supplier_charter(&self, actor: &Actor, code: &str) -> Result<SupplierCharter> {
        let org = self.org_for(actor, code, OrgAction::ViewCharter).await?;
        if org.org.org_type != OrgType::ItSupplier {
            return Err(AppError::NotFound);
        }
        let current = self.charter().await?;
        let standing = self
            .standings(std::slice::from_ref(&org.org), Some(&current.charter))
            .await?
            .pop()
            .ok_or(AppError::NotFound)?;
        Ok(SupplierCharter {
            commitments: standing.commitments,
            state: standing.state,
            expires_on: standing.expires_on,
            signature: standing.signature,
            current_version: current.charter.version,
            may_sign: own_lead(actor, &org),
            org: org.org,
        })
    }

    /// The supplier's lead signs (or reaffirms) the charter in force on the supplier's behalf.
    pub async fn sign_charter(
        &self,
        actor: &Actor,
        code: &str,
        input: &SignatureInput,
    ) -> Result<SupplierCharter> {
        let org = self.org_for(actor, code, OrgAction::SignCharter).await?;
        if !own_lead(actor, &org) {
            return Err(AppError::Forbidden);
        }
        if org.org.org_type != OrgType::ItSupplier {
            return Err(AppError::invalid(
                "code",
                format!(
                    "{} is not an IT supplier: only IT suppliers sign the charter",
                    org.org.code
                ),
            ));
        }
        let current = self.charter().await?;
        let today = self.today();
        let mut e = FieldErrors::default();
        let name = e.take(bounded_text(
            "signatory_name",
            &input.signatory_name,
            1,
            200,
        ));
        let position = e.take(
            bounded_text("signatory_position", &input.signatory_position, 1, 200).map_err(
                |mut f| {
                    f.message = format!("{}: the signatory's board-level position", f.message);
                    f
                },
            ),
        );
        let signed_on = e.take(parse_date("signed_on", &input.signed_on));
        if let Some(d) = signed_on {
            if d > today {
                e.push("signed_on", "is in the future");
            } else if d < current.charter.published_on {
                e.push(
                    "signed_on",
                    format!(
                        "is before this charter was published ({})",
                        date_text(current.charter.published_on)
                    ),
                );
            }
        }
        if !input.confirmed {
            e.push(
                "confirmation",
                "must be ticked: the signatory signed on the supplier's behalf",
            );
        }
        let (Some(signatory_name), Some(signatory_position), Some(signed_on)) =
            (name, position, signed_on)
        else {
            return Err(e.into());
        };
        e.into_result()?;
        let audit = self.draft(
            actor,
            "charter.sign",
            "charter_signature",
            "",
            Some(org.org.id),
            json!({"charter_version": current.charter.version, "signatory_name": signatory_name,
                   "signatory_position": signatory_position, "signed_on": date_text(signed_on)}),
        );
        self.store
            .sign_charter(
                org.org.id,
                &NewSignature {
                    charter_version: current.charter.version,
                    signatory_name,
                    signatory_position,
                    signed_on,
                },
                self.stamp(actor),
                audit,
            )
            .await?;
        self.supplier_charter(actor, code).await
    }

    /// The supplier's lead withdraws its signature.
    pub async fn withdraw_charter(&self, actor: &Actor, code: &str) -> Result<SupplierCharter> {
        let org = self.org_for(actor, code, OrgAction::SignCharter).await?;
        if !own_lead(actor, &org) {
            return Err(AppError::Forbidden);
        }
        // What is withdrawn, for the record; the store refuses when nothing is in force.
        let summary = match self.store.latest_signature(org.org.id).await? {
            Some(s) => json!({"charter_version": s.charter_version,
                "signatory_name": s.signatory_name, "signed_on": date_text(s.signed_on)}),
            None => json!({}),
        };
        let audit = self.draft(
            actor,
            "charter.withdraw",
            "charter_signature",
            "",
            Some(org.org.id),
            summary,
        );
        self.store
            .withdraw_signature(org.org.id, self.stamp(actor), audit)
            .await?;
        self.supplier_charter(actor, code).await
    }

    /// The public list: every supplier whose signature is in force today (signed, or due for
    /// reaffirmation), by name. Needs no sign-in.
    pub async fn charter_signatories(&self) -> Result<Vec<SignatoryView>> {
        let current = self.charter().await?.charter.version;
        let today = self.today();
        Ok(self
            .store
            .signatories()
            .await?
            .into_iter()
            .map(|s| SignatoryView {
                state: charter::signature_state(Some(facts(&s.signature)), current, today),
                expires_on: charter::expires_on(s.signature.signed_on),
                signatory: s,
            })
            .filter(|s| {
                matches!(
                    s.state,
                    SignatureState::Signed | SignatureState::ReaffirmationDue
                )
            })
            .collect())
    }
}

impl App {
    /// The public list as CSV: `code,name,state,signed_on,expires_on,charter_version`.
    pub async fn charter_signatories_csv(&self) -> Result<String> {
        let all = self.charter_signatories().await?;
        let mut w = palisade_formats::csv_out::CsvOut::new(
            &[
                "code",
                "name",
                "state",
                "signed_on",
                "expires_on",
                "charter_version",
            ],
            all.len(),
        );
        for s in &all {
            let sig = &s.signatory.signature;
            w.row(&[
                s.signatory.org_code.as_str(),
                s.signatory.org_name.as_str(),
                s.state.as_str(),
                &date_text(sig.signed_on),
                &date_text(s.expires_on),
                &sig.charter_version.to_string(),
            ]);
        }
        Ok(w.finish_text())
    }
}

impl App {
    /// The supplier and the commitment its lead keeps evidence for: not found for another
    /// organisation or an unknown key, refused for a commitment checked live.
    async fn evidence_target(
        &self,
        actor: &Actor,
        code: &str,
        key: &str,
    ) -> Result<(crate::orgs::OrgView, CommitmentKey)> {
        let org = self.org_for(actor, code, OrgAction::SignCharter).await?;
        if !own_lead(actor, &org) {
            return Err(AppError::Forbidden);
        }
        if org.org.org_type != OrgType::ItSupplier {
            return Err(AppError::NotFound);
        }
        let key: CommitmentKey = key.parse().map_err(|_| AppError::NotFound)?;
        if key.checked_live() {
            return Err(AppError::invalid(
                "key",
                format!(
                    "{} is checked live from what Palisade knows: it takes no evidence",
                    key.as_str()
                ),
            ));
        }
        Ok((org, key))
    }

    /// The commitment as it stands after a change.
    async fn commitment_after(
        &self,
        actor: &Actor,
        code: &str,
        key: CommitmentKey,
    ) -> Result<CommitmentView> {
        self.supplier_charter(actor, code)
            .await?
            .commitments
            .into_iter()
            .find(|c| c.commitment.key == key)
            .ok_or(AppError::NotFound)
    }

    /// The supplier's lead adds a document to a commitment checked from evidence (the types
    /// and size assessment evidence allows, checked by content).
    pub async fn upload_commitment_document(
        &self,
        actor: &Actor,
        code: &str,
        key: &str,
        filename: &str,
        bytes: bytes::Bytes,
    ) -> Result<CommitmentView> {
        let (org, key) = self.evidence_target(actor, code, key).await?;
        let doc = self
            .store_document(
                &format!("charter/{}/{}", org.org.code, key.as_str()),
                filename,
                bytes,
            )
            .await?;
        let audit = self.draft(
            actor,
            "charter.document",
            "charter_document",
            "",
            Some(org.org.id),
            json!({"key": key.as_str(), "filename": doc.filename, "size": doc.size,
                   "content_type": doc.content_type, "sha256": doc.sha256}),
        );
        let new = NewCharterDocument {
            key,
            filename: doc.filename,
            content_type: doc.content_type.to_string(),
            size: doc.size,
            sha256: doc.sha256,
            object_key: doc.key.clone(),
        };
        if let Err(e) = self
            .store
            .add_charter_document(org.org.id, &new, self.stamp(actor), audit)
            .await
        {
            self.forget_document(&doc.key).await;
            return Err(e.into());
        }
        self.commitment_after(actor, code, key).await
    }

    /// A supplier's document and its bytes, for those who may read its charter.
    pub async fn commitment_document(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
    ) -> Result<(CharterDocument, bytes::Bytes)> {
        let org = self.org_for(actor, code, OrgAction::ViewCharter).await?;
        let doc = self
            .store
            .charter_document(org.org.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let bytes = self.read_document(&doc.object_key).await?;
        Ok((doc, bytes))
    }

    /// The supplier's lead removes a document it showed; the object goes with it.
    pub async fn remove_commitment_document(
        &self,
        actor: &Actor,
        code: &str,
        id: i64,
    ) -> Result<CommitmentView> {
        let org = self.org_for(actor, code, OrgAction::SignCharter).await?;
        if !own_lead(actor, &org) {
            return Err(AppError::Forbidden);
        }
        let doc = self
            .store
            .charter_document(org.org.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let audit = self.draft(
            actor,
            "charter.document.remove",
            "charter_document",
            "",
            Some(org.org.id),
            json!({"key": doc.commitment, "filename": doc.filename, "sha256": doc.sha256}),
        );
        let gone = self
            .store
            .remove_charter_document(org.org.id, id, audit)
            .await?;
        self.forget_document(&gone.object_key).await;
        let key: CommitmentKey = gone
            .commitment
            .parse()
            .map_err(|_| AppError::Internal(format!("stored commitment {}", gone.commitment)))?;
        self.commitment_after(actor, code, key).await
    }

    /// The supplier's lead keeps what it shows for a commitment checked from evidence.
    pub async fn save_commitment(
        &self,
        actor: &Actor,
        code: &str,
        key: &str,
        input: &CommitmentInput,
    ) -> Result<CommitmentView> {
        let (org, key) = self.evidence_target(actor, code, key).await?;
        let today = self.today();
        let mut e = FieldErrors::default();
        let statement = e.take(long_text("statement", &input.statement, 1, 4000));
        let not_past = |field: &str, raw: &str, e: &mut FieldErrors| {
            let day = e.take(parse_date(field, raw))?;
            if day < today {
                e.push(field, "is in the past: give a day from today on");
                return None;
            }
            Some(day)
        };
        let expires_on = not_past("expires_on", &input.expires_on, &mut e);
        let certificate = match &input.certificate {
            None => Some(None),
            Some(c) => {
                let kind = e.take(bounded_text("certificate.kind", &c.kind, 1, 100));
                let reference = e.take(bounded_text("certificate.reference", &c.reference, 1, 200));
                let expires = not_past("certificate.expires_on", &c.expires_on, &mut e);
                match (kind, reference, expires) {
                    (Some(kind), Some(reference), Some(expires_on)) => {
                        Some(Some(CharterCertificate {
                            kind,
                            reference,
                            expires_on,
                        }))
                    }
                    _ => None,
                }
            }
        };
        let (Some(statement), Some(expires_on), Some(certificate)) =
            (statement, expires_on, certificate)
        else {
            return Err(e.into());
        };
        e.into_result()?;
        let audit = self.draft(
            actor,
            "charter.commitment",
            "charter_commitment",
            "",
            Some(org.org.id),
            json!({"key": key.as_str(), "statement_sha256": sha256_hex(&statement),
                   "expires_on": date_text(expires_on),
                   "certificate": certificate.as_ref().map(|c| json!({"kind": c.kind,
                       "reference": c.reference, "expires_on": date_text(c.expires_on)}))}),
        );
        self.store
            .save_commitment(
                org.org.id,
                &NewCommitment {
                    key,
                    statement,
                    expires_on,
                    certificate,
                },
                self.stamp(actor),
                audit,
            )
            .await?;
        self.commitment_after(actor, code, key).await
    }
}
