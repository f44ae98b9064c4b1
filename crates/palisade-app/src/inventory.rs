//! Inventories: an organisation's components, from CSV or an SBOM (read in `palisade-formats`).

use crate::{Actor, App, AppError, Result};
use palisade_domain::inventory::{Component, InventoryFormat};
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::OrgAction;
use palisade_formats::inventory::{MAX_INVENTORY_BYTES, parse_inventory_csv};

/// Bounds on an organisation's inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventorySettings {
    /// The most components one organisation's inventory may hold. Every exposure and estate
    /// answer reads them, so one member's upload must not make those slow for everyone.
    pub max_components: usize,
    /// Where the exposure index is written when built and when the server stops, and read from
    /// when it starts (then brought up to date from the upload history): a restart then need
    /// not read every inventory again. None: built from the database at every start.
    pub index_snapshot: Option<std::path::PathBuf>,
}

/// The largest acute trusts run about 25,000 devices and servers; ten components each, with
/// room to spare, is 250,000.
pub const DEFAULT_MAX_COMPONENTS: usize = 250_000;

impl Default for InventorySettings {
    fn default() -> Self {
        Self {
            max_components: DEFAULT_MAX_COMPONENTS,
            index_snapshot: None,
        }
    }
}
use palisade_formats::sbom;
use palisade_store::{InventoryChange, InventoryUpload, StoredComponent};

impl App {
    /// The components of an uploaded inventory or SBOM in `format`, within the size and
    /// component limits: the one place an uploaded component list is read.
    pub(crate) fn parse_components(
        &self,
        format: InventoryFormat,
        data: &[u8],
    ) -> Result<Vec<Component>> {
        if data.len() > MAX_INVENTORY_BYTES {
            return Err(AppError::invalid(
                "file",
                format!("is larger than {} MB", MAX_INVENTORY_BYTES / (1024 * 1024)),
            ));
        }
        let max = self.inventory.max_components;
        Ok(match format {
            InventoryFormat::Csv => parse_inventory_csv(data, max)?
                .into_iter()
                .map(|r| r.component)
                .collect(),
            InventoryFormat::Cyclonedx => sbom::parse_cyclonedx(data, max)?,
            InventoryFormat::Spdx => sbom::parse_spdx(data, max)?,
        })
    }

    /// Replaces the organisation's inventory with an uploaded file in `format`: permission
    /// first (a refused caller's file is never parsed), then every line or component checked,
    /// then one all-or-nothing write that records what appeared and disappeared.
    pub async fn upload_inventory(
        &self,
        actor: &Actor,
        code: &str,
        format: InventoryFormat,
        data: &[u8],
    ) -> Result<InventoryUpload> {
        let view = self
            .org_for(actor, code, OrgAction::ManageInventory)
            .await?;
        let components = self.parse_components(format, data)?;
        let audit = self.draft(
            actor,
            "inventory.upload",
            "inventory_upload",
            "",
            Some(view.org.id),
            serde_json::json!({"format": format.as_str()}),
        );
        Ok(self
            .store
            .replace_inventory(view.org.id, format, &components, self.stamp(actor), audit)
            .await?)
    }

    /// The organisation's current components.
    pub async fn inventory(
        &self,
        actor: &Actor,
        code: &str,
        page: PageRequest,
    ) -> Result<Page<StoredComponent>> {
        let view = self.org_for(actor, code, OrgAction::ViewInventory).await?;
        Ok(self.store.list_components(view.org.id, page).await?)
    }

    /// The organisation's uploads, newest first.
    pub async fn inventory_uploads(
        &self,
        actor: &Actor,
        code: &str,
        page: PageRequest,
    ) -> Result<Page<InventoryUpload>> {
        let view = self.org_for(actor, code, OrgAction::ViewInventory).await?;
        Ok(self.store.list_uploads(view.org.id, page).await?)
    }

    /// What one upload added and removed.
    pub async fn inventory_changes(
        &self,
        actor: &Actor,
        code: &str,
        upload_id: i64,
        page: PageRequest,
    ) -> Result<Page<InventoryChange>> {
        let view = self.org_for(actor, code, OrgAction::ViewInventory).await?;
        self.store
            .upload_changes(view.org.id, upload_id, page)
            .await?
            .ok_or(AppError::NotFound)
    }
}
