//! Evidence documents: checked for size and type, stored outside the database row in an object
//! store (a local directory by default, any S3-compatible service at scale), recorded with their
//! SHA-256 in the assessment and the audit log.

use crate::assessments::{AssessmentView, Context};
use crate::auth::random_hex;
use crate::{Actor, App, AppError, Result};
use palisade_domain::FieldError;
use palisade_domain::framework::{AnswerType, Node};
use palisade_domain::policy::OrgAction;
use palisade_store::{EvidenceRecord, NewEvidence};
use std::sync::Arc;

/// The largest evidence document accepted by default (configurable).
pub const DEFAULT_MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;

/// What may be uploaded: the file's extension, the type its content must have, and its name for
/// people. Office formats are ZIP containers recognised by their contents, not their name.
const ALLOWED: &[(&str, &str, &str)] = &[
    ("pdf", "application/pdf", "PDF"),
    ("png", "image/png", "PNG"),
    ("jpg", "image/jpeg", "JPEG"),
    ("jpeg", "image/jpeg", "JPEG"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel",
    ),
    (
        "odt",
        "application/vnd.oasis.opendocument.text",
        "OpenDocument text",
    ),
    (
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        "OpenDocument spreadsheet",
    ),
    ("txt", "text/plain", "plain text"),
    ("csv", "text/csv", "CSV"),
];

/// An object store holding evidence documents by key: the port the storage adapters implement
/// (`palisade-objects`: a local directory or an S3-compatible bucket). Errors are the adapter's
/// own words, for the log; people see a plain "storage failed".
#[async_trait::async_trait]
pub trait ObjectStorage: Send + Sync {
    /// For logs and `palisade serve`'s banner: `local directory /srv/evidence`, `S3 bucket x`.
    fn description(&self) -> String;
    async fn put(&self, key: &str, bytes: bytes::Bytes) -> std::result::Result<(), String>;
    async fn get(&self, key: &str) -> std::result::Result<bytes::Bytes, String>;
    async fn delete(&self, key: &str) -> std::result::Result<(), String>;
}

/// Where evidence documents live, and how large one may be.
#[derive(Clone)]
pub struct Objects {
    storage: Arc<dyn ObjectStorage>,
    pub description: String,
    pub max_bytes: usize,
}

impl Objects {
    pub fn new(storage: Arc<dyn ObjectStorage>, max_bytes: usize) -> Self {
        Self {
            description: storage.description(),
            storage,
            max_bytes,
        }
    }

    pub(crate) async fn put(&self, key: &str, bytes: bytes::Bytes) -> Result<()> {
        self.storage
            .put(key, bytes)
            .await
            .map_err(|e| storage_error("store", &e))
    }

    async fn get(&self, key: &str) -> Result<bytes::Bytes> {
        self.storage
            .get(key)
            .await
            .map_err(|e| storage_error("read", &e))
    }

    async fn delete(&self, key: &str) {
        if let Err(e) = self.storage.delete(key).await {
            tracing::warn!(key, error = %e, "could not remove an evidence object left by a failed upload");
        }
    }
}

fn storage_error(what: &str, e: &str) -> AppError {
    tracing::error!(error = %e, "evidence storage failed to {what} an object");
    AppError::Internal(format!("evidence storage failed to {what} the document"))
}

/// The file name as shown: its last path segment, without control characters, at most 200
/// characters.
fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    base.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Checks a document's name, size and content; returns its content type.
pub fn check_document(
    filename: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<&'static str, FieldError> {
    let field = "file";
    if filename.is_empty() {
        return Err(FieldError::new(field, "choose a file to upload"));
    }
    if bytes.is_empty() {
        return Err(FieldError::new(field, format!("'{filename}' is empty")));
    }
    if bytes.len() > max_bytes {
        return Err(FieldError::new(
            field,
            format!(
                "'{filename}' is {}; the largest document accepted is {}",
                size_text(bytes.len()),
                size_text(max_bytes)
            ),
        ));
    }
    let allowed_names = || {
        let mut names: Vec<&str> = ALLOWED.iter().map(|a| a.2).collect();
        names.dedup();
        names.join(", ")
    };
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, mime, name)) = ALLOWED.iter().find(|a| a.0 == ext) else {
        return Err(FieldError::new(
            field,
            format!(
                "'{filename}' is not a type accepted as evidence ({})",
                allowed_names()
            ),
        ));
    };
    let content_matches = if mime.starts_with("text/") {
        std::str::from_utf8(bytes).is_ok_and(|t| {
            !t.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        })
    } else {
        infer::get(bytes).is_some_and(|k| k.mime_type() == *mime)
    };
    if !content_matches {
        return Err(FieldError::new(
            field,
            format!("'{filename}' is named as {name} but its content is not {name}"),
        ));
    }
    Ok(mime)
}

/// `12.5 MB`, `300 kB`, `12 bytes`.
pub fn size_text(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{} kB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// A document checked and written to the object store, ready for its row.
#[derive(Debug, Clone)]
pub(crate) struct StoredDocument {
    pub filename: String,
    pub content_type: &'static str,
    pub size: i64,
    pub sha256: String,
    /// Where the object store keeps it.
    pub key: String,
}

impl App {
    fn objects(&self) -> Result<&Objects> {
        self.objects
            .as_deref()
            .ok_or_else(|| AppError::Internal("evidence storage is not configured".into()))
    }

    /// The largest document an upload may carry (for the request limit).
    pub fn max_evidence_bytes(&self) -> usize {
        self.objects
            .as_deref()
            .map_or(DEFAULT_MAX_EVIDENCE_BYTES, |o| o.max_bytes)
    }

    /// Refuses an upload before its document is read: storage must be configured, the actor must
    /// be allowed to answer the assessment, and it must be open. [`Self::upload_evidence`] checks
    /// all three again.
    pub async fn check_evidence_upload(&self, actor: &Actor, code: &str, year: i32) -> Result<()> {
        self.upload_context(actor, code, year).await.map(drop)
    }

    /// The assessment an upload goes to, refused unless storage is configured, the actor may
    /// answer it and it is open; nothing is read before storage is known to be there.
    async fn upload_context(&self, actor: &Actor, code: &str, year: i32) -> Result<Context> {
        self.objects()?;
        let org = self
            .org_for(actor, code, OrgAction::AnswerAssessment)
            .await?;
        let ctx = self.context(org, year).await?;
        ctx.refuse_if_locked()?;
        Ok(ctx)
    }

    /// Uploads an evidence document for a document item. The object is written first and the
    /// database row after; if the row cannot be written the object is removed again. Returns the
    /// document's row and the section its item is in.
    pub async fn upload_evidence(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        reference: &str,
        filename: &str,
        bytes: bytes::Bytes,
    ) -> Result<(EvidenceRecord, String)> {
        let ctx = self.upload_context(actor, code, year).await?;
        match ctx.tree.node(reference) {
            Some(Node::Item(item))
                if item.answer_type == AnswerType::Document
                    && item.applicability(ctx.org.org.org_type).applies() => {}
            Some(Node::Item(item)) if item.answer_type == AnswerType::Document => {
                return Err(AppError::invalid(
                    "ref",
                    format!(
                        "item \"{reference}\" does not apply to {}",
                        ctx.org.org.org_type.plural()
                    ),
                ));
            }
            Some(_) => {
                return Err(AppError::invalid(
                    "ref",
                    format!("\"{reference}\" is not answered by a document"),
                ));
            }
            None => {
                return Err(AppError::invalid(
                    "ref",
                    format!("\"{reference}\" is not an item of this framework"),
                ));
            }
        }
        let doc = self
            .store_document(
                &format!("evidence/{}/{year}", ctx.org.org.code),
                filename,
                bytes,
            )
            .await?;
        let StoredDocument {
            filename,
            content_type,
            size,
            sha256,
            key,
        } = doc;
        let draft = self.draft(
            actor,
            "assessment.evidence.upload",
            "assessment",
            "",
            Some(ctx.org.org.id),
            serde_json::json!({
                "year": year, "ref": reference, "filename": filename, "size": size,
                "content_type": content_type, "sha256": sha256,
            }),
        );
        let new = NewEvidence {
            reference: reference.to_string(),
            filename,
            content_type: content_type.to_string(),
            size,
            sha256,
            object_key: key.clone(),
        };
        let (_, evidence) = match self
            .store
            .add_evidence(ctx.key(), &new, self.stamp(actor), draft)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                self.forget_document(&key).await;
                return Err(e.into());
            }
        };
        let section = ctx.tree.section_of(reference).unwrap_or_default();
        Ok((evidence, section.to_string()))
    }

    /// Removes a document from the assessment. The stored object is kept, so the audit log's
    /// hash still names something that can be produced.
    pub async fn remove_evidence(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        id: i64,
    ) -> Result<AssessmentView> {
        let org = self
            .org_for(actor, code, OrgAction::AnswerAssessment)
            .await?;
        let mut ctx = self.context(org, year).await?;
        ctx.refuse_if_locked()?;
        let Some(record) = &ctx.record else {
            return Err(AppError::NotFound);
        };
        let evidence = self
            .store
            .evidence_item(record.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let draft = self.draft(
            actor,
            "assessment.evidence.remove",
            "assessment",
            record.id.to_string(),
            Some(ctx.org.org.id),
            serde_json::json!({
                "year": year, "ref": evidence.reference, "filename": evidence.filename,
                "sha256": evidence.sha256,
            }),
        );
        let record = self
            .store
            .remove_evidence(ctx.key(), id, self.stamp(actor), draft)
            .await?;
        ctx.record = Some(record);
        self.view(actor, ctx).await
    }

    /// Checks a document (name, size, content) and writes it to the object store under
    /// `prefix`; the caller writes its row, and calls [`App::forget_document`] if that fails.
    pub(crate) async fn store_document(
        &self,
        prefix: &str,
        filename: &str,
        bytes: bytes::Bytes,
    ) -> Result<StoredDocument> {
        let objects = self.objects()?;
        let filename = clean_filename(filename);
        let content_type = check_document(&filename, &bytes, objects.max_bytes)?;
        let doc = StoredDocument {
            sha256: crate::auth::sha256_hex(&bytes),
            key: format!("{prefix}/{}", random_hex(16)),
            size: bytes.len() as i64,
            content_type,
            filename,
        };
        objects.put(&doc.key, bytes).await?;
        Ok(doc)
    }

    /// Removes an object whose row could not be written.
    pub(crate) async fn forget_document(&self, key: &str) {
        if let Ok(objects) = self.objects() {
            objects.delete(key).await;
        }
    }

    /// A stored document's bytes.
    pub(crate) async fn read_document(&self, key: &str) -> Result<bytes::Bytes> {
        self.objects()?.get(key).await
    }

    /// A document and its bytes, for anyone who may read the assessment.
    pub async fn evidence_file(
        &self,
        actor: &Actor,
        code: &str,
        year: i32,
        id: i64,
    ) -> Result<(EvidenceRecord, bytes::Bytes)> {
        crate::assessments::check_year(year)?;
        let org = self.org_for(actor, code, OrgAction::ViewAssessment).await?;
        let record = self
            .store
            .get_assessment(org.org.id, year)
            .await?
            .ok_or(AppError::NotFound)?;
        let evidence = self
            .store
            .evidence_item(record.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let bytes = self.read_document(&evidence.object_key).await?;
        Ok((evidence, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

    #[test]
    fn documents_are_checked_by_name_size_and_content() {
        assert_eq!(
            check_document("policy.pdf", PDF, 1000),
            Ok("application/pdf")
        );
        assert_eq!(check_document("Plan.PDF", PDF, 1000), Ok("application/pdf"));
        assert_eq!(
            check_document("log.csv", b"a,b\n1,2\n", 1000),
            Ok("text/csv")
        );
        let refuse = |name: &str, bytes: &[u8], max: usize| {
            check_document(name, bytes, max).unwrap_err().message
        };
        assert!(
            refuse("policy.pdf", PDF, 10).contains("the largest document accepted is 10 bytes")
        );
        // The limit itself is allowed; one byte over is not.
        assert_eq!(
            check_document("policy.pdf", PDF, PDF.len()),
            Ok("application/pdf")
        );
        assert!(refuse("policy.pdf", PDF, PDF.len() - 1).contains("the largest document accepted"));
        assert!(refuse("tool.exe", b"MZ\x90\x00", 1000).contains("not a type accepted"));
        assert!(refuse("policy.pdf", b"MZ\x90\x00", 1000).contains("its content is not PDF"));
        assert!(refuse("notes.txt", b"a\x00b", 1000).contains("its content is not plain text"));
        assert!(refuse("empty.pdf", b"", 1000).contains("is empty"));
        assert!(refuse("", PDF, 1000).contains("choose a file"));
        assert!(refuse("noextension", PDF, 1000).contains("not a type accepted"));
    }

    #[test]
    fn file_names_lose_their_paths_and_control_characters() {
        assert_eq!(clean_filename("C:\\Users\\x\\plan.pdf"), "plan.pdf");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(clean_filename(&"x".repeat(300)).len(), 200);
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(12), "12 bytes");
        assert_eq!(size_text(300 * 1024), "300 kB");
        assert_eq!(size_text(25 * 1024 * 1024 + 300 * 1024), "25.3 MB");
    }
}
