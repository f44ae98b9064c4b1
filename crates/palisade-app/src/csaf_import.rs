//! Alerts from CSAF 2.0 advisories: another publisher's advisory becomes a draft alert for the
//! national team to review, scope and publish. Nothing is published by an import; the document
//! is read by `palisade_formats::csaf`.

use crate::{Actor, App, Result};
use palisade_domain::policy::GlobalAction;
use palisade_formats::csaf::alert_from_csaf;
use palisade_store::AlertRecord;

/// What an import made of an advisory.
#[derive(Debug, Clone)]
pub struct CsafImport {
    pub alert: AlertRecord,
    /// The advisory's own id and publisher.
    pub source_id: String,
    pub source_publisher: String,
    /// Things read but not kept, for the person reviewing the draft.
    pub notes: Vec<String>,
}

impl App {
    /// Makes a draft alert of a CSAF 2.0 advisory (national alert managers).
    pub async fn import_csaf(&self, actor: &Actor, bytes: &[u8]) -> Result<CsafImport> {
        actor.require(GlobalAction::ManageAlerts)?;
        let (input, source_id, source_publisher, notes) = alert_from_csaf(bytes)?;
        let source = serde_json::json!({
            "format": "CSAF 2.0",
            "id": source_id,
            "publisher": source_publisher,
            "notes": notes,
        });
        let alert = self
            .create_alert_noting(actor, &input, false, Some(source))
            .await?;
        Ok(CsafImport {
            alert,
            source_id,
            source_publisher,
            notes,
        })
    }
}
