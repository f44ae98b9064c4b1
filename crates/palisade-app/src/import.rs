//! `orgs import`: the national organisation register from CSV.
//!
//! The whole file is read and checked first; every bad line is reported with its number and
//! reason; only a file with no errors is written, in one transaction.

use crate::exports::{Download, csv_in_chunks, in_chunks};
use crate::{Actor, App, AppError, Result};
use palisade_domain::org::ORG_EXPORT_HEADER;
use palisade_domain::policy::{GlobalAction, OrgAction};
use palisade_formats::register::parse_org_csv;
use palisade_store::{ImportAudit, ImportReport, ImportRow, Organisation};

impl App {
    /// Every organisation the actor may see, active or not, in code order.
    pub async fn export_orgs(&self, actor: &Actor) -> Result<Vec<palisade_store::Organisation>> {
        let scope = actor.principal.scope(OrgAction::View);
        Ok(self.store.export_orgs(&scope).await?)
    }

    /// The register as CSV in the import format, limited to what the actor may see, so an export
    /// can be edited and imported again; read as the download is sent.
    pub async fn export_orgs_csv(&self, actor: &Actor) -> Result<Download> {
        let store = self.store.clone();
        let scope = actor.principal.scope(OrgAction::View);
        let next = move |after: Option<String>, limit| {
            let (store, scope) = (store.clone(), scope.clone());
            async move {
                store
                    .export_orgs_after(&scope, after.as_deref(), limit)
                    .await
            }
        };
        Ok(csv_in_chunks(
            &ORG_EXPORT_HEADER,
            in_chunks(next, |o: &Organisation| &o.code).await?,
            |o| {
                vec![
                    o.code.clone(),
                    o.name.clone(),
                    o.org_type.as_str().to_string(),
                    o.category.number().to_string(),
                    o.region.clone(),
                    o.parent_code.clone().unwrap_or_default(),
                    o.active.to_string(),
                ]
            },
        ))
    }

    /// The whole register import, as every door (page, API, command line) runs it: permission
    /// first, so a refused caller's file is never parsed; then every line checked; then one
    /// all-or-nothing write. `progress` hears the count of lines checked.
    pub async fn import_orgs_csv(
        &self,
        actor: &Actor,
        data: &[u8],
        progress: impl FnMut(usize),
    ) -> Result<ImportReport> {
        actor.require(GlobalAction::ImportOrganisations)?;
        let rows = parse_org_csv(data, progress).map_err(AppError::Invalid)?;
        self.import_orgs(actor, &rows).await
    }

    pub async fn import_orgs(&self, actor: &Actor, rows: &[ImportRow]) -> Result<ImportReport> {
        actor.require(GlobalAction::ImportOrganisations)?;
        let who = ImportAudit {
            at: self.now(),
            actor_user_id: actor.user_id,
            actor: actor.label.clone(),
        };
        Ok(self.store.import_orgs(rows, who).await?)
    }
}
