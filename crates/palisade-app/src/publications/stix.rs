//! The one TAXII 2.1 collection: every published alert as STIX 2.1 objects, written by
//! `palisade_formats::publish::stix`. The catalogue of objects is built from the published
//! versions and kept until something new is published; filtering and paging then work on it in
//! memory.

use crate::{App, AppError, Result};
use palisade_formats::publish::stix::{StixCatalog, StixPage, StixQuery};
use serde_json::Value;
use std::sync::Arc;

/// The catalogue as last built, and the stamp of what was published then.
#[derive(Debug)]
pub(crate) struct CachedCatalog {
    stamp: (i64, Option<i64>),
    catalog: StixCatalog,
}

impl App {
    async fn stix_catalog(&self) -> Result<Arc<CachedCatalog>> {
        let stamp = self.store.published_stamp().await?;
        if let Some(c) = self.stix.lock().expect("stix cache poisoned").as_ref()
            && c.stamp == stamp
        {
            return Ok(c.clone());
        }
        let versions = self.all_published(false, false).await?;
        let cached = Arc::new(CachedCatalog {
            stamp,
            catalog: StixCatalog::build(self.publisher(), &versions),
        });
        *self.stix.lock().expect("stix cache poisoned") = Some(cached.clone());
        Ok(cached)
    }

    /// A page of the collection's objects.
    pub async fn stix_page(&self, q: &StixQuery) -> Result<StixPage> {
        let cached = self.stix_catalog().await?;
        cached
            .catalog
            .page(q)
            .map_err(|m| AppError::invalid("next", m))
    }

    /// One object's versions that match `q` (every version with `all_versions`), oldest first;
    /// not found when the collection has no object with this id at all.
    pub async fn stix_object(
        &self,
        id: &str,
        q: &StixQuery,
        all_versions: bool,
    ) -> Result<StixPage> {
        let cached = self.stix_catalog().await?;
        if !cached.catalog.has_object(id) {
            return Err(AppError::NotFound);
        }
        cached
            .catalog
            .object_page(id, q, all_versions)
            .map_err(|m| AppError::invalid("next", m))
    }

    /// The whole collection as one STIX bundle (every version of every object), named by what
    /// was published.
    pub async fn stix_bundle(&self) -> Result<Value> {
        let cached = self.stix_catalog().await?;
        Ok(cached.catalog.bundle(&format!("{:?}", cached.stamp)))
    }
}
