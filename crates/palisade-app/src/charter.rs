//! The supplier cyber security charter (`docs/SUPPLIERS.md`): its versions (the shipped one
//! installed when the database opens, others imported), IT suppliers' signatures, and where each
//! stands today.

use crate::auth::sha256_hex;
use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldErrors;
use palisade_domain::charter::{self, Charter, SignatureFacts, SignatureState};
use palisade_domain::dates::{date_text, parse_date};
use palisade_domain::error::bounded_text;
use palisade_domain::org::OrgType;
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_store::{CharterRecord, NewSignature, Organisation, Signatory, SignatureRecord};
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
    /// The caller may sign, reaffirm or withdraw (the supplier's lead).
    pub may_sign: bool,
}

/// A supplier on a list of signatories, with its state today.
#[derive(Debug, Clone)]
pub struct SignatoryView {
    pub signatory: Signatory,
    pub state: SignatureState,
    pub expires_on: Date,
}

fn facts(s: &SignatureRecord) -> SignatureFacts {
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

    /// The charter version in force. Anyone signed in may read it.
    pub async fn charter(&self) -> Result<CharterView> {
        let (record, document) = self
            .store
            .current_charter()
            .await?
            .ok_or(AppError::NotFound)?;
        let charter = serde_json::from_str(&document)
            .map_err(|e| AppError::Internal(format!("stored charter: {e}")))?;
        Ok(CharterView { record, charter })
    }

    /// An IT supplier's charter today, for its own people and the national team; not found for
    /// an organisation that is not an IT supplier.
    pub async fn supplier_charter(&self, actor: &Actor, code: &str) -> Result<SupplierCharter> {
        let org = self.org_for(actor, code, OrgAction::ViewCharter).await?;
        if org.org.org_type != OrgType::ItSupplier {
            return Err(AppError::NotFound);
        }
        let signature = self.store.latest_signature(org.org.id).await?;
        let current = self.charter().await?;
        let current_version = current.charter.version;
        Ok(SupplierCharter {
            state: charter::signature_state(
                signature.as_ref().map(facts),
                current_version,
                self.today(),
            ),
            expires_on: signature.as_ref().map(|s| charter::expires_on(s.signed_on)),
            signature,
            current_version,
            may_sign: actor.principal.may(OrgAction::SignCharter, &org.ancestry),
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
        let audit = self.draft(
            actor,
            "charter.withdraw",
            "charter_signature",
            "",
            Some(org.org.id),
            json!({}),
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
