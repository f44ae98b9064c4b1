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

    /// Walks the chain up to the head as it was when the walk began (entries appended meanwhile
    /// are left for the next run). `anchors` are (entry, hash) pairs recorded earlier outside the
    /// database: a chain rewritten from an anchored entry onwards is caught even if every later
    /// hash was recomputed. `Ok(Ok((entries, head_seq, head_hash)))` when intact.
    pub async fn verify_audit(
        &self,
        anchors: &[(i64, String)],
    ) -> Result<std::result::Result<(u64, i64, String), ChainBreak>> {
        let (head_seq, head_hash) = self.store.audit_head().await?;
        let mut v = ChainVerifier::default();
        let mut after = 0;
        'walk: while after < head_seq {
            let batch = self.store.audit_batch(after, 5000).await?;
            if batch.is_empty() {
                break;
            }
            for e in batch {
                if e.seq > head_seq {
                    break 'walk;
                }
                if let Err(b) = v.push(&e) {
                    return Ok(Err(b));
                }
                if let Some((_, h)) = anchors.iter().find(|(s, _)| *s == e.seq)
                    && *h != e.hash
                {
                    return Ok(Err(ChainBreak {
                        seq: e.seq,
                        reason: "differs from the anchor recorded for it: history was rewritten"
                            .into(),
                    }));
                }
                after = e.seq;
            }
        }
        if let Some((s, _)) = anchors.iter().find(|(s, _)| *s > head_seq) {
            return Ok(Err(ChainBreak {
                seq: *s,
                reason: "an anchored entry is missing: the log was cut back".into(),
            }));
        }
        Ok(v.finish(head_seq, &head_hash)
            .map(|n| (n, head_seq, head_hash)))
    }
}
