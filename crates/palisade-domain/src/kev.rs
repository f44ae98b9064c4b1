//! Known exploited vulnerabilities: CISA's catalogue (KEV). Each entry names a CVE, the vendor
//! and product it affects (as names, without versions), when it was added and the date by which
//! US federal agencies must act. Entries join the estate by CVE, through the advisories that give
//! versions, and otherwise by the product's name.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::exposure::{Affects, Identity, Rule};
use crate::ident::CveId;
use crate::inventory::cpe_name;

/// One catalogue entry, as Palisade keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve: CveId,
    pub vendor_project: String,
    pub product: String,
    pub name: String,
    #[serde(with = "crate::dates::iso_date")]
    pub date_added: Date,
    #[serde(default, with = "crate::dates::opt_iso_date")]
    pub due_date: Option<Date>,
    /// Known to be used in ransomware campaigns.
    pub ransomware: bool,
    pub short_description: String,
    pub required_action: String,
}

impl KevEntry {
    /// The rule a catalogue entry alone gives: every version of the product it names, matched by
    /// the vendor and product names in CPE form (the catalogue gives no versions).
    pub fn product_rule(&self) -> Rule {
        Rule {
            identity: Identity::Product {
                vendor: cpe_name(&self.vendor_project),
                product: cpe_name(&self.product),
            },
            affects: Affects::All,
        }
    }
}
