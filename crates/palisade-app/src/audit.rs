//! Reading and verifying the audit log.

use crate::{Actor, App, AppError, Result};
use palisade_domain::audit::{ChainBreak, ChainVerifier};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{GlobalAction, OrgAction, Scope};
use palisade_store::{AuditFilter, AuditRecord};

impl App {
    /// National admins read the whole log; organisation leads read the entries about the
    /// organisations they lead (and those beneath).
    pub async fn list_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>> {
        let scope = if actor.principal.may_global(GlobalAction::ViewWholeAuditLog) {
            Scope::All
        } else {
            actor.principal.scope(OrgAction::ViewAudit)
        };
        if scope.is_empty() {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.list_audit(&scope, filter, page).await?)
    }

    /// Walks the whole chain. `Ok(n)` is the number of intact entries.
    pub async fn verify_audit(&self) -> Result<std::result::Result<u64, ChainBreak>> {
        let mut v = ChainVerifier::default();
        let mut after = 0;
        loop {
            let batch = self.store.audit_batch(after, 5000).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            for e in &batch {
                if let Err(b) = v.push(e) {
                    return Ok(Err(b));
                }
            }
        }
        let (seq, hash) = self.store.audit_head().await?;
        Ok(v.finish(seq, &hash))
    }
}
