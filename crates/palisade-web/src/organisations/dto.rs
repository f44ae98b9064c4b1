//! What the organisations API reads and writes.

use crate::kit::envelope::ListMeta;
use crate::kit::extract::present;
use crate::kit::params::{category_param, type_param};
use palisade_app::AppError;
use palisade_app::orgs::OrgPatch;
use palisade_domain::clock::{from_unix, rfc3339};
use palisade_store::{OrgFilter, Organisation};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationList {
    pub items: Vec<OrganisationDto>,
    pub meta: ListMeta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationDto {
    pub code: String,
    pub name: String,
    /// One of `acute_trust`, `mental_health_trust`, `community_trust`, `ambulance_trust`, `icb`,
    /// `csu`, `arms_length_body`, `gp_practice`, `pharmacy`, `dentist`, `optician`,
    /// `adult_social_care`, `it_supplier`, `national_body`.
    #[serde(rename = "type")]
    pub org_type: String,
    /// DSPT category, 1 to 4.
    pub category: u8,
    pub region: String,
    pub parent_code: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Organisation> for OrganisationDto {
    fn from(o: Organisation) -> Self {
        Self {
            code: o.code,
            name: o.name,
            org_type: o.org_type.as_str().into(),
            category: o.category.number(),
            region: o.region,
            parent_code: o.parent_code,
            active: o.active,
            created_at: rfc3339(from_unix(o.created_at)),
            updated_at: rfc3339(from_unix(o.updated_at)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Matches code or name.
    pub q: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub org_type: Option<String>,
    pub category: Option<u8>,
    pub region: Option<String>,
    pub active: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl OrgQuery {
    pub fn filter(&self) -> Result<OrgFilter, AppError> {
        Ok(OrgFilter {
            q: self.q.clone(),
            org_type: type_param(&self.org_type)?,
            category: category_param(self.category)?,
            region: self.region.clone().filter(|r| !r.is_empty()),
            active: self.active,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub org_type: String,
    /// Defaults from the type when absent.
    pub category: Option<u8>,
    pub region: String,
    pub parent_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub org_type: Option<String>,
    pub category: Option<u8>,
    pub region: Option<String>,
    /// `null` removes the parent; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    pub parent_code: Option<Option<String>>,
    pub active: Option<bool>,
}

impl From<OrganisationPatch> for OrgPatch {
    fn from(p: OrganisationPatch) -> Self {
        OrgPatch {
            name: p.name,
            org_type: p.org_type,
            category: p.category.map(|c| c.to_string()),
            region: p.region,
            parent_code: p.parent_code,
            active: p.active,
        }
    }
}
