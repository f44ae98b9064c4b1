//! What IT suppliers offer and who uses it: products (named by CPE 2.3 and package URL
//! identities, with their versions) and services (hosting, managed service, support), and an
//! organisation's links to them, one at a time or as a CSV file.

use crate::dates::parse_date;
use crate::error::{FieldError, FieldErrors, bounded_text, long_text};
use crate::ident::{Cpe23, Purl};
use crate::org::{OrgCode, string_enum};
use time::Date;

string_enum! {
    /// What a supplier offers: software it ships in versions, or a service it runs.
    OfferingKind {
        Product => "product", "Product",
        Service => "service", "Service",
    }
}

string_enum! {
    /// The kind of service a supplier runs for its customers.
    ServiceType {
        Hosting => "hosting", "Hosting",
        ManagedService => "managed_service", "Managed service",
        Support => "support", "Support",
    }
}

string_enum! {
    /// What a supplier says of a vulnerability in one of its product versions (VEX).
    VexStatus {
        NotAffected => "not_affected", "Not affected",
        Affected => "affected", "Affected",
        Fixed => "fixed", "Fixed",
        UnderInvestigation => "under_investigation", "Under investigation",
    }
}

impl VexStatus {
    /// Whether the statement takes the product version out of an exposure answer for its CVE.
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }
}

/// The most versions one product lists.
pub const MAX_VERSIONS: usize = 200;

/// A product or service as typed.
#[derive(Debug, Clone, Default)]
pub struct OfferingInput {
    pub name: String,
    pub description: String,
    /// `product` (the default) or `service`.
    pub kind: String,
    /// A service's type; empty for a product.
    pub service_type: String,
    pub cpe: String,
    pub purl: String,
    /// A product's versions, as its supplier numbers them.
    pub versions: Vec<String>,
}

/// A product or service as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offering {
    pub name: String,
    pub description: String,
    pub kind: OfferingKind,
    pub service_type: Option<ServiceType>,
    pub cpe: Option<Cpe23>,
    pub purl: Option<Purl>,
    pub versions: Vec<String>,
}

fn given(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

/// A product version as its supplier writes it: 1 to 100 characters, no spaces.
pub fn parse_version(field: &str, raw: &str) -> Result<String, FieldError> {
    let v = bounded_text(field, raw, 1, 100)?;
    if v.chars().any(char::is_whitespace) {
        return Err(FieldError::new(field, "must not contain spaces"));
    }
    Ok(v)
}

impl OfferingInput {
    pub fn validate(&self) -> Result<Offering, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.take(bounded_text("name", &self.name, 1, 200));
        let description = e.take(long_text("description", &self.description, 0, 2000));
        let kind = match given(&self.kind) {
            None => Some(OfferingKind::Product),
            Some(k) => e.take(k.parse().map_err(|m| FieldError::new("kind", m))),
        };
        let service_type = match (kind, given(&self.service_type)) {
            (Some(OfferingKind::Service), None) => {
                e.push(
                    "service_type",
                    "is required for a service: hosting, managed_service or support",
                );
                None
            }
            (Some(OfferingKind::Service), Some(t)) => {
                e.take(t.parse().map_err(|m| FieldError::new("service_type", m)))
            }
            (_, Some(_)) => {
                e.push("service_type", "is for services only");
                None
            }
            (_, None) => None,
        };
        let is_service = kind == Some(OfferingKind::Service);
        let cpe = given(&self.cpe).and_then(|c| {
            if is_service {
                e.push("cpe", "is for products only");
                return None;
            }
            e.take(Cpe23::parse(c).map_err(|m| FieldError::new("cpe", m)))
        });
        let purl = given(&self.purl).and_then(|p| {
            if is_service {
                e.push("purl", "is for products only");
                return None;
            }
            let purl = e.take(Purl::parse(p).map_err(|m| FieldError::new("purl", m)))?;
            if purl.has_version() {
                e.push(
                    "purl",
                    "must name the product without a version: list the versions apart",
                );
                return None;
            }
            Some(purl)
        });
        let mut versions: Vec<String> = Vec::with_capacity(self.versions.len());
        if is_service && !self.versions.is_empty() {
            e.push("versions", "are for products only");
        } else if !is_service && self.versions.is_empty() {
            e.push(
                "versions",
                "give at least one version the customers may use",
            );
        } else if self.versions.len() > MAX_VERSIONS {
            e.push("versions", format!("at most {MAX_VERSIONS} versions"));
        } else {
            for (i, raw) in self.versions.iter().enumerate() {
                let field = format!("versions[{i}]");
                if let Some(v) = e.take(parse_version(&field, raw)) {
                    if versions.contains(&v) {
                        e.push(field, format!("'{v}' is listed twice"));
                    } else {
                        versions.push(v);
                    }
                }
            }
        }
        e.into_result()?;
        match (name, description, kind) {
            (Some(name), Some(description), Some(kind)) => Ok(Offering {
                name,
                description,
                kind,
                service_type,
                cpe,
                purl,
                versions,
            }),
            _ => Err(FieldErrors::one("name", "is required")),
        }
    }
}

/// The header of an organisation's supplier file: one line per product version or service used.
pub const LINK_CSV_HEADER: [&str; 5] = [
    "supplier_code",
    "product",
    "version",
    "service",
    "contract_end",
];

/// One product version or service an organisation uses, as typed (a form, the API or a line of
/// the supplier file).
#[derive(Debug, Clone, Default)]
pub struct LinkInput {
    pub supplier_code: String,
    pub product: String,
    pub version: String,
    pub service: String,
    /// `YYYY-MM-DD`, optional.
    pub contract_end: String,
}

/// A link as checked, before the supplier's catalogue is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFields {
    pub supplier_code: OrgCode,
    pub kind: OfferingKind,
    /// The product's or service's name as the supplier lists it.
    pub offering: String,
    /// The product version; empty for a service.
    pub version: String,
    pub contract_end: Option<Date>,
}

impl LinkInput {
    /// Checks the link; `prefix` names the line of a file (`line 3: `). A contract that ended
    /// before `today` is refused: a link records what the organisation uses now.
    pub fn validate(&self, prefix: &str, today: Date) -> Result<LinkFields, FieldErrors> {
        let f = |name: &str| format!("{prefix}{name}");
        let mut e = FieldErrors::default();
        let supplier_code = e.take(OrgCode::parse(&f("supplier_code"), &self.supplier_code));
        let kind = match (given(&self.product), given(&self.service)) {
            (Some(p), None) => Some((OfferingKind::Product, p)),
            (None, Some(s)) => Some((OfferingKind::Service, s)),
            (Some(_), Some(_)) => {
                e.push(f("service"), "give a product or a service, not both");
                None
            }
            (None, None) => {
                e.push(
                    f("product"),
                    "give a product (with its version) or a service",
                );
                None
            }
        };
        let offering = kind.and_then(|(k, name)| {
            let field = f(k.as_str());
            e.take(bounded_text(&field, name, 1, 200)).map(|n| (k, n))
        });
        let version = match (offering.as_ref().map(|o| o.0), given(&self.version)) {
            (Some(OfferingKind::Product), None) => {
                e.push(f("version"), "is required for a product");
                None
            }
            (Some(OfferingKind::Product), Some(v)) => e.take(parse_version(&f("version"), v)),
            (Some(OfferingKind::Service), Some(_)) => {
                e.push(f("version"), "is for products only");
                None
            }
            _ => Some(String::new()),
        };
        let contract_end = match given(&self.contract_end) {
            None => Some(None),
            Some(raw) => match e.take(parse_date(&f("contract_end"), raw)) {
                Some(d) if d < today => {
                    e.push(
                        f("contract_end"),
                        "is in the past: give a day from today on",
                    );
                    None
                }
                d => d.map(Some),
            },
        };
        e.into_result()?;
        match (supplier_code, offering, version, contract_end) {
            (Some(supplier_code), Some((kind, offering)), Some(version), Some(contract_end)) => {
                Ok(LinkFields {
                    supplier_code,
                    kind,
                    offering,
                    version,
                    contract_end,
                })
            }
            _ => Err(FieldErrors::one(f("supplier_code"), "is required")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn product() -> OfferingInput {
        OfferingInput {
            name: "CareRecord".into(),
            kind: "product".into(),
            cpe: "cpe:2.3:a:example:carerecord:*:*:*:*:*:*:*:*".into(),
            purl: "pkg:maven/com.example/carerecord".into(),
            versions: vec!["4.1".into(), "4.2".into()],
            ..Default::default()
        }
    }

    fn fields(e: FieldErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn products_need_valid_identities_and_versions() {
        let p = product().validate().unwrap();
        assert_eq!(p.kind, OfferingKind::Product);
        assert_eq!(p.versions, ["4.1", "4.2"]);
        let mut bad = product();
        bad.cpe = "cpe:/a:example".into();
        bad.purl = "pkg:maven/com.example/carerecord@4.2".into();
        bad.versions = vec!["4.1".into(), "4.1".into(), "four two".into()];
        assert_eq!(
            fields(bad.validate().unwrap_err()),
            ["cpe", "purl", "versions[1]", "versions[2]"]
        );
        let mut none = product();
        none.versions.clear();
        assert_eq!(fields(none.validate().unwrap_err()), ["versions"]);
    }

    #[test]
    fn services_have_a_type_and_no_versions() {
        let s = OfferingInput {
            name: "Hosted CareRecord".into(),
            kind: "service".into(),
            service_type: "hosting".into(),
            ..Default::default()
        };
        assert_eq!(
            s.validate().unwrap().service_type,
            Some(ServiceType::Hosting)
        );
        let bad = OfferingInput {
            service_type: String::new(),
            versions: vec!["1".into()],
            cpe: "cpe:2.3:a:example:x:*:*:*:*:*:*:*:*".into(),
            ..s
        };
        assert_eq!(
            fields(bad.validate().unwrap_err()),
            ["service_type", "cpe", "versions"]
        );
        let mut typed = product();
        typed.service_type = "support".into();
        assert_eq!(fields(typed.validate().unwrap_err()), ["service_type"]);
    }

    #[test]
    fn links_name_a_product_version_or_a_service() {
        let today = date!(2026 - 12 - 04);
        let link = LinkInput {
            supplier_code: "8j000".into(),
            product: "CareRecord".into(),
            version: "4.2".into(),
            contract_end: "2027-03-31".into(),
            ..Default::default()
        };
        let l = link.validate("", today).unwrap();
        assert_eq!(
            (l.supplier_code.as_str(), l.kind, l.version.as_str()),
            ("8J000", OfferingKind::Product, "4.2")
        );
        assert_eq!(l.contract_end, Some(date!(2027 - 03 - 31)));
        // A contract ending today still holds; yesterday's is refused (below).
        let ends_today = LinkInput {
            contract_end: "2026-12-04".into(),
            ..link.clone()
        };
        assert!(ends_today.validate("", today).is_ok());
        let service = LinkInput {
            supplier_code: "8J000".into(),
            service: "Hosted CareRecord".into(),
            ..Default::default()
        };
        assert_eq!(
            service.validate("", today).unwrap().kind,
            OfferingKind::Service
        );
        let both = LinkInput {
            product: "CareRecord".into(),
            version: "4.2".into(),
            ..service.clone()
        };
        assert_eq!(
            fields(both.validate("line 3: ", today).unwrap_err()),
            ["line 3: service"]
        );
        let bad = LinkInput {
            supplier_code: "n-o".into(),
            product: "CareRecord".into(),
            contract_end: "2026-12-03".into(),
            ..Default::default()
        };
        assert_eq!(
            fields(bad.validate("line 2: ", today).unwrap_err()),
            [
                "line 2: supplier_code",
                "line 2: version",
                "line 2: contract_end"
            ]
        );
    }
}
