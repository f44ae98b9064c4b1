//! `orgs import`: the national organisation register from CSV.
//!
//! The whole file is read and checked first; every bad line is reported with its number and
//! reason; only a file with no errors is written, in one transaction.

use crate::{Actor, App, AppError, Result};
use palisade_domain::org::ORG_EXPORT_HEADER;
use palisade_domain::policy::GlobalAction;
use palisade_formats::register::parse_org_csv;
use palisade_store::{ImportAudit, ImportReport, ImportRow};

impl App {
    /// Every organisation the actor may see, active or not, in code order.
    pub async fn export_orgs(&self, actor: &Actor) -> Result<Vec<palisade_store::Organisation>> {
        let scope = actor
            .principal
            .scope(palisade_domain::policy::OrgAction::View);
        Ok(self.store.export_orgs(&scope).await?)
    }

    /// The register as CSV in the import format, limited to what the actor may see, so an export
    /// can be edited and imported again.
    pub async fn export_orgs_csv(&self, actor: &Actor) -> Result<Vec<u8>> {
        let orgs = self.export_orgs(actor).await?;
        let mut w = palisade_formats::csv_out::CsvOut::new(&ORG_EXPORT_HEADER, orgs.len());
        for o in &orgs {
            let category = o.category.number().to_string();
            let record: [&str; 7] = [
                &o.code,
                &o.name,
                o.org_type.as_str(),
                &category,
                &o.region,
                o.parent_code.as_deref().unwrap_or(""),
                if o.active { "true" } else { "false" },
            ];
            w.row(&record);
        }
        Ok(w.finish())
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
