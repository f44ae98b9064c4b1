//! Advisories from feeds: OSV records (a package per ecosystem with version ranges) and CSAF
//! documents (product trees), kept as the CVEs they name and the products they affect, each a
//! package URL or CPE with a `vers` range, so the exposure index reads them as it reads alerts.

use serde::{Deserialize, Serialize};

use crate::alert::AffectedProduct;
use crate::ident::CveId;

/// One advisory from a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// The feed's own id (`GHSA-…`, `PYSEC-…`, a CSAF tracking id).
    pub id: String,
    pub title: String,
    pub cves: Vec<CveId>,
    pub products: Vec<AffectedProduct>,
    /// Unix time of the record's last change, when it gives one.
    pub modified: Option<i64>,
}
