//! The supplier cyber security charter on SQL: its versions as imported, and the signatures IT
//! suppliers make and withdraw (an organisation's newest signature is the one in force).

mod facts;

pub use facts::CharterFacts;

use crate::audit::append;
use crate::error::corrupt;
use crate::{Result, SqlStore, Stamp, StoreError};
use async_trait::async_trait;
use palisade_domain::audit::AuditDraft;
use palisade_domain::charter::CommitmentKey;
use palisade_domain::dates::{date_text, parse_date};
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};
use time::Date;

/// A version of the charter as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharterRecord {
    pub version: i64,
    pub content_hash: String,
    pub imported_at: i64,
}

/// A signature, withdrawn or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureRecord {
    pub id: i64,
    pub org_id: i64,
    pub charter_version: i64,
    pub signatory_name: String,
    pub signatory_position: String,
    pub signed_on: Date,
    /// Who recorded it (an email), and when.
    pub signed_by: Option<String>,
    pub signed_at: i64,
    pub withdrawn_at: Option<i64>,
}

/// A supplier's newest signature with the supplier's code and name, for the lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signatory {
    pub org_code: String,
    pub org_name: String,
    pub signature: SignatureRecord,
}

/// A signature to record, checked.
#[derive(Debug, Clone)]
pub struct NewSignature {
    pub charter_version: u32,
    pub signatory_name: String,
    pub signatory_position: String,
    pub signed_on: Date,
}

/// A certificate shown for a commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharterCertificate {
    pub kind: String,
    pub reference: String,
    pub expires_on: Date,
}

/// What a supplier shows for one commitment, checked.
#[derive(Debug, Clone)]
pub struct NewCommitment {
    pub key: CommitmentKey,
    pub statement: String,
    pub expires_on: Date,
    pub certificate: Option<CharterCertificate>,
}

/// What a supplier shows for one commitment, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitmentRecord {
    pub key: CommitmentKey,
    pub statement: String,
    pub expires_on: Date,
    pub certificate: Option<CharterCertificate>,
    pub updated_at: i64,
    /// Who last changed it (an email).
    pub updated_by: Option<String>,
}

/// A document a supplier shows for a commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct CharterDocument {
    pub id: i64,
    #[sqlx(rename = "key")]
    pub commitment: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    #[serde(skip)]
    pub object_key: String,
    pub uploaded_by: Option<String>,
    pub uploaded_at: i64,
}

/// A document written to the object store, for its row.
#[derive(Debug, Clone)]
pub struct NewCharterDocument {
    pub key: CommitmentKey,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub object_key: String,
}

/// An organisation's answer to a High alert, for the live check of `supported_systems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAnswer {
    pub reference: String,
    /// When its acknowledgement was first due, from the publication that brought the
    /// organisation into scope.
    pub due_at: i64,
    pub acknowledged_at: Option<i64>,
}

#[async_trait]
pub trait CharterStore: Send + Sync {
    /// Keeps a charter version: the same content again answers the kept one (`false`); other
    /// content under a version already kept is a conflict.
    async fn import_charter(
        &self,
        version: u32,
        document: &str,
        content_hash: &str,
        audit: AuditDraft,
    ) -> Result<(CharterRecord, bool)>;

    /// Every charter version imported, with its document, newest first.
    async fn charters(&self) -> Result<Vec<(CharterRecord, String)>>;

    /// Records a signature for the organisation (a renewal is a new one).
    async fn sign_charter(
        &self,
        org_id: i64,
        signature: &NewSignature,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<SignatureRecord>;

    /// Withdraws the organisation's signature in force; `NotFound` when it has none, a conflict
    /// when it is withdrawn already.
    async fn withdraw_signature(
        &self,
        org_id: i64,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<SignatureRecord>;

    /// The organisation's newest signature.
    async fn latest_signature(&self, org_id: i64) -> Result<Option<SignatureRecord>>;

    /// What these organisations' charter states rest on, each organisation asked for present:
    /// alert answers and incidents from `since` on, assessment statuses of `years`.
    async fn charter_facts(
        &self,
        org_ids: &[i64],
        since: i64,
        years: &[i32],
    ) -> Result<std::collections::HashMap<i64, CharterFacts>>;

    /// The newest signature of every active IT supplier, by organisation name.
    async fn signatories(&self) -> Result<Vec<Signatory>>;

    /// Keeps what the supplier shows for a commitment, in place of what it showed before.
    async fn save_commitment(
        &self,
        org_id: i64,
        commitment: &NewCommitment,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<CommitmentRecord>;

    /// Records a document shown for a commitment.
    async fn add_charter_document(
        &self,
        org_id: i64,
        document: &NewCharterDocument,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<CharterDocument>;

    /// One of the supplier's documents.
    async fn charter_document(&self, org_id: i64, id: i64) -> Result<Option<CharterDocument>>;

    /// Removes one of the supplier's documents (its row; the caller forgets the object);
    /// `NotFound` when the supplier has no such document.
    async fn remove_charter_document(
        &self,
        org_id: i64,
        id: i64,
        audit: AuditDraft,
    ) -> Result<CharterDocument>;
}

const DOCUMENT_SELECT: &str = "SELECT d.id, d.key, d.filename, d.content_type, d.size, \
     d.sha256, d.object_key, u.email AS uploaded_by, d.uploaded_at FROM charter_documents d \
     LEFT JOIN users u ON u.id = d.uploaded_by";

async fn documents_where(
    conn: &mut AnyConnection,
    org_id: i64,
    id: Option<i64>,
) -> Result<Vec<CharterDocument>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DOCUMENT_SELECT} WHERE d.org_id = $1 AND ($2 < 0 OR d.id = $2) ORDER BY d.key, d.id"
    )))
    .bind(org_id)
    .bind(id.unwrap_or(-1))
    .fetch_all(conn)
    .await?)
}

const COMMITMENT_SELECT: &str = "SELECT c.key, c.statement, c.expires_on, c.certificate_kind, \
     c.certificate_reference, c.certificate_expires_on, c.updated_at, u.email AS updated_by \
     FROM charter_commitments c LEFT JOIN users u ON u.id = c.updated_by";

#[derive(FromRow)]
struct CommitmentRow {
    key: String,
    statement: String,
    expires_on: String,
    certificate_kind: Option<String>,
    certificate_reference: Option<String>,
    certificate_expires_on: Option<String>,
    updated_at: i64,
    updated_by: Option<String>,
}

impl TryFrom<CommitmentRow> for CommitmentRecord {
    type Error = StoreError;
    fn try_from(r: CommitmentRow) -> Result<Self> {
        let day = |raw: &str| parse_date("day", raw).map_err(|_| corrupt("commitment day", raw));
        let certificate = match (
            r.certificate_kind,
            r.certificate_reference,
            r.certificate_expires_on,
        ) {
            (Some(kind), Some(reference), Some(expires)) => Some(CharterCertificate {
                kind,
                reference,
                expires_on: day(&expires)?,
            }),
            _ => None,
        };
        Ok(CommitmentRecord {
            key: r
                .key
                .parse()
                .map_err(|_| corrupt("commitment key", &r.key))?,
            expires_on: day(&r.expires_on)?,
            statement: r.statement,
            certificate,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
        })
    }
}

async fn commitments_where(
    conn: &mut AnyConnection,
    org_id: i64,
    key: Option<CommitmentKey>,
) -> Result<Vec<CommitmentRecord>> {
    let rows: Vec<CommitmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COMMITMENT_SELECT} WHERE c.org_id = $1 AND ($2 = '' OR c.key = $2) ORDER BY c.key"
    )))
    .bind(org_id)
    .bind(key.map_or("", CommitmentKey::as_str).to_string())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

const SIGNATURE_COLUMNS: &str = "SELECT s.id, s.org_id, s.charter_version, s.signatory_name, \
     s.signatory_position, s.signed_on, u.email AS signed_by, s.signed_at, s.withdrawn_at";
const SIGNATURE_FROM: &str = " FROM charter_signatures s LEFT JOIN users u ON u.id = s.signed_by";

/// Only each organisation's newest signature.
const NEWEST: &str =
    "s.id = (SELECT MAX(n.id) FROM charter_signatures n WHERE n.org_id = s.org_id)";

#[derive(FromRow)]
struct SignatureRow {
    id: i64,
    org_id: i64,
    charter_version: i64,
    signatory_name: String,
    signatory_position: String,
    signed_on: String,
    signed_by: Option<String>,
    signed_at: i64,
    withdrawn_at: Option<i64>,
}

impl TryFrom<SignatureRow> for SignatureRecord {
    type Error = StoreError;
    fn try_from(r: SignatureRow) -> Result<Self> {
        Ok(SignatureRecord {
            signed_on: parse_date("signed_on", &r.signed_on)
                .map_err(|_| corrupt("signature day", &r.signed_on))?,
            id: r.id,
            org_id: r.org_id,
            charter_version: r.charter_version,
            signatory_name: r.signatory_name,
            signatory_position: r.signatory_position,
            signed_by: r.signed_by,
            signed_at: r.signed_at,
            withdrawn_at: r.withdrawn_at,
        })
    }
}

#[derive(FromRow)]
struct SignatoryRow {
    #[sqlx(flatten)]
    signature: SignatureRow,
    org_code: String,
    org_name: String,
}

async fn newest_signature(
    conn: &mut AnyConnection,
    org_id: i64,
) -> Result<Option<SignatureRecord>> {
    let row: Option<SignatureRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SIGNATURE_COLUMNS}{SIGNATURE_FROM} WHERE s.org_id = $1 AND {NEWEST}"
    )))
    .bind(org_id)
    .fetch_optional(conn)
    .await?;
    row.map(TryInto::try_into).transpose()
}

#[async_trait]
impl CharterStore for SqlStore {
    async fn import_charter(
        &self,
        version: u32,
        document: &str,
        content_hash: &str,
        mut audit: AuditDraft,
    ) -> Result<(CharterRecord, bool)> {
        let mut tx = self.begin().await?;
        let kept: Option<(String, i64)> =
            sqlx::query_as("SELECT content_hash, imported_at FROM charters WHERE version = $1")
                .bind(i64::from(version))
                .fetch_optional(&mut *tx)
                .await?;
        let (imported_at, created) = match kept {
            Some((hash, at)) if hash == content_hash => (at, false),
            Some(_) => {
                return Err(StoreError::conflict(
                    "version",
                    format!(
                        "version {version} of the charter is already imported with other \
                         content: raise the version"
                    ),
                ));
            }
            None => {
                sqlx::query(
                    "INSERT INTO charters (version, document, content_hash, imported_at, \
                     imported_by) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(i64::from(version))
                .bind(document.to_string())
                .bind(content_hash.to_string())
                .bind(audit.at)
                .bind(audit.actor_user_id)
                .execute(&mut *tx)
                .await?;
                audit.entity_id = format!("charter/{version}");
                append(&mut tx, &audit).await?;
                (audit.at, true)
            }
        };
        tx.commit().await?;
        Ok((
            CharterRecord {
                version: i64::from(version),
                content_hash: content_hash.to_string(),
                imported_at,
            },
            created,
        ))
    }

    async fn charters(&self) -> Result<Vec<(CharterRecord, String)>> {
        let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT version, content_hash, imported_at, document FROM charters \
             ORDER BY version DESC",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(version, content_hash, imported_at, document)| {
                (
                    CharterRecord {
                        version,
                        content_hash,
                        imported_at,
                    },
                    document,
                )
            })
            .collect())
    }

    async fn sign_charter(
        &self,
        org_id: i64,
        s: &NewSignature,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<SignatureRecord> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO charter_signatures (org_id, charter_version, signatory_name, \
             signatory_position, signed_on, signed_by, signed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(i64::from(s.charter_version))
        .bind(s.signatory_name.clone())
        .bind(s.signatory_position.clone())
        .bind(date_text(s.signed_on))
        .bind(stamp.user_id)
        .bind(stamp.at)
        .fetch_one(&mut *tx)
        .await?;
        audit.entity_id = format!("charter-signature/{id}");
        append(&mut tx, &audit).await?;
        let signed = newest_signature(&mut tx, org_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(signed)
    }

    async fn withdraw_signature(
        &self,
        org_id: i64,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<SignatureRecord> {
        let mut tx = self.begin().await?;
        let current = newest_signature(&mut tx, org_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.withdrawn_at.is_some() {
            return Err(StoreError::conflict(
                "signature",
                "the signature is withdrawn already",
            ));
        }
        sqlx::query(
            "UPDATE charter_signatures SET withdrawn_at = $1, withdrawn_by = $2 WHERE id = $3",
        )
        .bind(stamp.at)
        .bind(stamp.user_id)
        .bind(current.id)
        .execute(&mut *tx)
        .await?;
        audit.entity_id = format!("charter-signature/{}", current.id);
        append(&mut tx, &audit).await?;
        let withdrawn = newest_signature(&mut tx, org_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(withdrawn)
    }

    async fn latest_signature(&self, org_id: i64) -> Result<Option<SignatureRecord>> {
        let mut conn = self.read.acquire().await?;
        newest_signature(&mut conn, org_id).await
    }

    async fn charter_facts(
        &self,
        org_ids: &[i64],
        since: i64,
        years: &[i32],
    ) -> Result<std::collections::HashMap<i64, CharterFacts>> {
        self.read_charter_facts(org_ids, since, years).await
    }

    async fn save_commitment(
        &self,
        org_id: i64,
        c: &NewCommitment,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<CommitmentRecord> {
        let mut tx = self.begin().await?;
        let cert = c.certificate.as_ref();
        sqlx::query(
            "INSERT INTO charter_commitments (org_id, key, statement, expires_on, \
             certificate_kind, certificate_reference, certificate_expires_on, updated_at, \
             updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (org_id, key) DO UPDATE SET statement = excluded.statement, \
             expires_on = excluded.expires_on, certificate_kind = excluded.certificate_kind, \
             certificate_reference = excluded.certificate_reference, \
             certificate_expires_on = excluded.certificate_expires_on, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(org_id)
        .bind(c.key.as_str())
        .bind(c.statement.clone())
        .bind(date_text(c.expires_on))
        .bind(cert.map(|x| x.kind.clone()))
        .bind(cert.map(|x| x.reference.clone()))
        .bind(cert.map(|x| date_text(x.expires_on)))
        .bind(stamp.at)
        .bind(stamp.user_id)
        .execute(&mut *tx)
        .await?;
        audit.entity_id = format!("charter-commitment/{}", c.key.as_str());
        append(&mut tx, &audit).await?;
        let saved = commitments_where(&mut tx, org_id, Some(c.key))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn add_charter_document(
        &self,
        org_id: i64,
        d: &NewCharterDocument,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<CharterDocument> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO charter_documents (org_id, key, filename, content_type, size, sha256, \
             object_key, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(org_id)
        .bind(d.key.as_str())
        .bind(d.filename.clone())
        .bind(d.content_type.clone())
        .bind(d.size)
        .bind(d.sha256.clone())
        .bind(d.object_key.clone())
        .bind(stamp.user_id)
        .bind(stamp.at)
        .fetch_one(&mut *tx)
        .await?;
        audit.entity_id = format!("charter-document/{id}");
        append(&mut tx, &audit).await?;
        let kept = documents_where(&mut tx, org_id, Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(kept)
    }

    async fn charter_document(&self, org_id: i64, id: i64) -> Result<Option<CharterDocument>> {
        let mut conn = self.read.acquire().await?;
        Ok(documents_where(&mut conn, org_id, Some(id))
            .await?
            .into_iter()
            .next())
    }

    async fn remove_charter_document(
        &self,
        org_id: i64,
        id: i64,
        mut audit: AuditDraft,
    ) -> Result<CharterDocument> {
        let mut tx = self.begin().await?;
        let gone = documents_where(&mut tx, org_id, Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM charter_documents WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        audit.entity_id = format!("charter-document/{id}");
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(gone)
    }

    async fn signatories(&self) -> Result<Vec<Signatory>> {
        let rows: Vec<SignatoryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SIGNATURE_COLUMNS}, o.code AS org_code, o.name AS org_name{SIGNATURE_FROM} \
             JOIN organisations o ON o.id = s.org_id WHERE {NEWEST} AND o.active = 1 \
             AND o.org_type = 'it_supplier' ORDER BY o.name, o.code"
        )))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Signatory {
                    signature: r.signature.try_into()?,
                    org_code: r.org_code,
                    org_name: r.org_name,
                })
            })
            .collect()
    }
}
