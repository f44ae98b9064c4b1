//! An organisation's inventory: the components (systems, software, packages) it runs, each
//! identified by package URL, CPE 2.3 or vendor and product names, with the version in its
//! ecosystem's order.

use serde::{Deserialize, Serialize};

use crate::error::{FieldError, FieldErrors, bounded_text};
use crate::exposure::Identity;
use crate::ident::{Cpe23, Purl};
use crate::version::Version;

/// The inventory CSV header, in order (integrators depend on these names). A `location` column
/// may follow.
pub const INVENTORY_CSV_HEADER: [&str; 8] = [
    "asset",
    "asset_type",
    "vendor",
    "product",
    "version",
    "cpe",
    "purl",
    "internet_facing",
];

/// The optional column after [`INVENTORY_CSV_HEADER`].
pub const INVENTORY_CSV_LOCATION: &str = "location";

/// The file an inventory came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryFormat {
    Csv,
    Cyclonedx,
    Spdx,
}

impl InventoryFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            InventoryFormat::Csv => "csv",
            InventoryFormat::Cyclonedx => "cyclonedx",
            InventoryFormat::Spdx => "spdx",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Csv, Self::Cyclonedx, Self::Spdx]
            .into_iter()
            .find(|f| f.as_str() == raw)
    }
}

/// What kind of thing an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetType {
    Workstation,
    Server,
    NetworkDevice,
    MedicalDevice,
    MobileDevice,
    OperatingSystem,
    Application,
    Library,
    Firmware,
    CloudService,
    Other,
}

impl AssetType {
    pub const ALL: [AssetType; 11] = [
        AssetType::Workstation,
        AssetType::Server,
        AssetType::NetworkDevice,
        AssetType::MedicalDevice,
        AssetType::MobileDevice,
        AssetType::OperatingSystem,
        AssetType::Application,
        AssetType::Library,
        AssetType::Firmware,
        AssetType::CloudService,
        AssetType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Workstation => "workstation",
            AssetType::Server => "server",
            AssetType::NetworkDevice => "network_device",
            AssetType::MedicalDevice => "medical_device",
            AssetType::MobileDevice => "mobile_device",
            AssetType::OperatingSystem => "operating_system",
            AssetType::Application => "application",
            AssetType::Library => "library",
            AssetType::Firmware => "firmware",
            AssetType::CloudService => "cloud_service",
            AssetType::Other => "other",
        }
    }

    /// For people: `Network device`.
    pub fn label(self) -> String {
        let s = self.as_str().replace('_', " ");
        let mut chars = s.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let v = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == v)
            .ok_or_else(|| {
                let all: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
                format!(
                    "'{}' is not an asset type (one of: {})",
                    raw.trim(),
                    all.join(", ")
                )
            })
    }
}

/// One inventory line as given (CSV columns, or fields drawn from an SBOM).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentInput {
    pub asset: String,
    pub asset_type: String,
    pub vendor: String,
    pub product: String,
    pub version: String,
    pub cpe: String,
    pub purl: String,
    pub internet_facing: String,
    pub location: String,
}

/// A checked component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub asset: String,
    pub asset_type: AssetType,
    pub vendor: String,
    pub product: String,
    /// The version as written; `None` when unknown.
    pub version: Option<String>,
    pub cpe: Option<Cpe23>,
    pub purl: Option<Purl>,
    pub internet_facing: bool,
    pub location: Option<String>,
}

/// Text fields' longest lengths.
pub const NAME_MAX: usize = 200;

/// Lower-case words joined by `_`, as CPE writes vendor and product names (`Microsoft
/// Windows 7` → `microsoft`, `windows_7`), so inventories without CPE still meet the data.
pub fn cpe_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

fn flag(field: &str, raw: &str) -> Result<bool, FieldError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "n" | "0" => Ok(false),
        "yes" | "true" | "y" | "1" => Ok(true),
        other => Err(FieldError::new(
            field,
            format!("'{other}' is not yes or no"),
        )),
    }
}

impl ComponentInput {
    /// Checks every field; errors name `{prefix}field` (`line 7: version`).
    pub fn validate(&self, prefix: &str) -> Result<Component, FieldErrors> {
        let f = |name: &str| format!("{prefix}{name}");
        let mut e = FieldErrors::default();
        let asset = e.take(bounded_text(&f("asset"), &self.asset, 1, NAME_MAX));
        let asset_type = e.take(
            AssetType::parse(&self.asset_type).map_err(|m| FieldError::new(f("asset_type"), m)),
        );
        let vendor = e.take(bounded_text(&f("vendor"), &self.vendor, 0, NAME_MAX));
        let product = e.take(bounded_text(&f("product"), &self.product, 0, NAME_MAX));
        let location = e.take(bounded_text(&f("location"), &self.location, 0, NAME_MAX));
        let internet_facing = e.take(flag(&f("internet_facing"), &self.internet_facing));
        let cpe = match self.cpe.trim() {
            "" => None,
            c => e.take(Cpe23::parse(c).map_err(|m| FieldError::new(f("cpe"), m))),
        };
        let purl = match self.purl.trim() {
            "" => None,
            p => e.take(Purl::parse(p).map_err(|m| FieldError::new(f("purl"), m))),
        };
        let mut version = match self.version.trim() {
            "" => None,
            v => e.take(bounded_text(
                &f("version"),
                v,
                1,
                crate::version::MAX_VERSION_LEN,
            )),
        };
        if let Some(p) = &purl {
            match (p.version(), &version) {
                (Some(pinned), Some(v)) if pinned != v => e.push(
                    f("version"),
                    format!("'{v}' differs from the package URL's version {pinned}"),
                ),
                (Some(pinned), None) => version = Some(pinned.to_string()),
                _ => {}
            }
        }
        // A CPE that names one version gives it, where the row does not (a version written
        // in both may be spelt differently, as vendors' CPEs often are).
        if version.is_none() {
            version = cpe.as_ref().and_then(Cpe23::version);
        }
        if let (Some(product), None, None) = (&product, &cpe, &purl)
            && product.is_empty()
        {
            e.push(f("product"), "is required when there is no cpe or purl");
        }
        if !e.is_empty() {
            return Err(e);
        }
        let component = Component {
            asset: asset.unwrap_or_default(),
            asset_type: asset_type.unwrap_or(AssetType::Other),
            vendor: vendor.unwrap_or_default(),
            product: product.unwrap_or_default(),
            version,
            cpe,
            purl,
            internet_facing: internet_facing.unwrap_or_default(),
            location: location.filter(|l| !l.is_empty()),
        };
        // The version must be one its ecosystem can order, and the package type one Palisade knows.
        if let Err(m) = component.ordered_version() {
            let field = if component.purl.is_some() && self.version.trim().is_empty() {
                "purl"
            } else {
                "version"
            };
            e.push(f(field), m);
            return Err(e);
        }
        Ok(component)
    }
}

/// How an inventory line is matched: by package URL, else by CPE, else by vendor and product
/// names in CPE form.
pub fn identity_of(
    vendor: &str,
    product: &str,
    cpe: Option<&Cpe23>,
    purl: Option<&Purl>,
) -> Identity {
    match (purl, cpe) {
        (Some(p), _) => Identity::of_purl(p),
        (None, Some(c)) => Identity::of_cpe(c),
        (None, None) => Identity::Product {
            vendor: cpe_name(vendor),
            product: cpe_name(product),
        },
    }
}

impl Component {
    /// How the component is matched: by package URL, else by CPE, else by vendor and product
    /// names in CPE form.
    pub fn identity(&self) -> Identity {
        identity_of(
            &self.vendor,
            &self.product,
            self.cpe.as_ref(),
            self.purl.as_ref(),
        )
    }

    /// The version in the identity's order (`None` when unknown); an error when the package type
    /// has no order Palisade knows or the ecosystem cannot order the version.
    pub fn ordered_version(&self) -> Result<Option<Version>, String> {
        let scheme = self.identity().scheme()?;
        self.version
            .as_deref()
            .map(|v| Version::parse(scheme, v))
            .transpose()
    }
}

/// What makes two inventory lines the same component, in the text a store keeps: asset, asset
/// type, vendor, product, version, CPE and package URL (a location or internet-facing change is
/// neither).
pub type ComponentKey<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

/// Anything that names an inventory component: a checked [`Component`], or a stored row, which a
/// store can compare without parsing it again.
pub trait Keyed {
    fn key(&self) -> ComponentKey<'_>;
}

impl Keyed for Component {
    fn key(&self) -> ComponentKey<'_> {
        (
            &self.asset,
            self.asset_type.as_str(),
            &self.vendor,
            &self.product,
            self.version.as_deref(),
            self.cpe.as_ref().map(Cpe23::as_str),
            self.purl.as_ref().map(Purl::as_str),
        )
    }
}

/// What an upload changed: the components that appeared and those that disappeared, each in
/// its own file order. Repeats count, as a multiset.
pub fn diff<'a, O: Keyed, N: Keyed>(old: &'a [O], new: &'a [N]) -> (Vec<&'a N>, Vec<&'a O>) {
    // One count per old key (foldhash, seeded per map: these keys are seven short strings and
    // SipHash made the diff of a million components take seconds). The new side takes from the
    // counts; what it does not take was removed.
    let mut left: foldhash::HashMap<ComponentKey<'_>, usize> =
        foldhash::HashMap::with_capacity_and_hasher(old.len(), Default::default());
    for c in old {
        *left.entry(c.key()).or_default() += 1;
    }
    let added = new
        .iter()
        .filter(|c| match left.get_mut(&c.key()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect();
    let removed = old
        .iter()
        .filter(|c| match left.get_mut(&c.key()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .collect();
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::Scheme;

    fn input(
        asset_type: &str,
        product: &str,
        version: &str,
        cpe: &str,
        purl: &str,
    ) -> ComponentInput {
        ComponentInput {
            asset: "PC-0042".into(),
            asset_type: asset_type.into(),
            vendor: "Microsoft".into(),
            product: product.into(),
            version: version.into(),
            cpe: cpe.into(),
            purl: purl.into(),
            internet_facing: "yes".into(),
            location: String::new(),
        }
    }

    #[test]
    fn diff_names_what_appeared_and_disappeared() {
        let c = |asset: &str, version: &str| {
            let mut i = input("workstation", "Windows 10", version, "", "");
            i.asset = asset.into();
            i.validate("").unwrap()
        };
        let old = vec![
            c("PC-1", "10.0.19044"),
            c("PC-2", "10.0.19044"),
            c("PC-2", "10.0.19044"),
        ];
        let mut moved = c("PC-1", "10.0.19044");
        moved.location = Some("Ward 9".into());
        let new = vec![
            moved,
            c("PC-2", "10.0.19045"),
            c("PC-2", "10.0.19044"),
            c("PC-3", "10.0.19045"),
        ];
        let (added, removed) = diff(&old, &new);
        let names = |v: Vec<&Component>| -> Vec<String> {
            v.iter()
                .map(|c| format!("{} {}", c.asset, c.version.as_deref().unwrap_or("")))
                .collect()
        };
        assert_eq!(names(added), ["PC-2 10.0.19045", "PC-3 10.0.19045"]);
        assert_eq!(
            names(removed),
            ["PC-2 10.0.19044"],
            "one of the two repeats went"
        );
        assert_eq!(diff(&old, &old).0.len() + diff(&old, &old).1.len(), 0);
    }

    #[test]
    fn a_named_product_matches_by_cpe_style_names() {
        let c = input("Workstation", "Windows 7", "6.1.7601", "", "")
            .validate("line 2: ")
            .unwrap();
        assert_eq!(c.asset_type, AssetType::Workstation);
        assert!(c.internet_facing);
        assert_eq!(
            c.identity(),
            Identity::Product {
                vendor: "microsoft".into(),
                product: "windows_7".into()
            }
        );
        assert!(c.ordered_version().unwrap().is_some());
    }

    #[test]
    fn a_package_takes_its_version_from_the_purl() {
        let c = input(
            "library",
            "",
            "",
            "",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        )
        .validate("")
        .unwrap();
        assert_eq!(c.version.as_deref(), Some("2.14.1"));
        assert_eq!(c.identity().scheme().unwrap(), Scheme::Maven);
    }

    #[test]
    fn a_cpe_gives_its_version_where_the_row_gives_none() {
        let cpe = "cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*";
        let c = input("server", "", "", cpe, "").validate("").unwrap();
        assert_eq!(c.version.as_deref(), Some("2.4.49"));
        // The row's own spelling stands; a pattern or `*` gives none.
        let c = input("server", "", "2.4.49-r1", cpe, "")
            .validate("")
            .unwrap();
        assert_eq!(c.version.as_deref(), Some("2.4.49-r1"));
        for any in ["*", "2.4.*"] {
            let cpe = format!("cpe:2.3:a:apache:http_server:{any}:*:*:*:*:*:*:*");
            let c = input("server", "", "", &cpe, "").validate("").unwrap();
            assert_eq!(c.version, None, "{any}");
        }
    }

    #[test]
    fn bad_fields_are_named_with_the_line() {
        let e = input("toaster", "", "x", "cpe:2.3:x", "")
            .validate("line 9: ")
            .unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["line 9: asset_type", "line 9: cpe", "line 9: product"]
        );
        let e = input("library", "", "2.0", "", "pkg:npm/left-pad@1.0.0")
            .validate("line 3: ")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("differs from the package URL's version 1.0.0"),
            "{e}"
        );
        let e = input("library", "", "", "", "pkg:alpm/arch/pacman@6.0.1")
            .validate("line 4: ")
            .unwrap_err();
        assert_eq!(e.0[0].field, "line 4: purl");
        assert!(e.0[0].message.contains("'alpm' is not supported"), "{e}");
        let e = input("library", "", "not.a.version!", "", "pkg:npm/left-pad")
            .validate("line 5: ")
            .unwrap_err();
        assert_eq!(e.0[0].field, "line 5: version");
        assert!(e.0[0].message.contains("is not a semver version"), "{e}");
        let unknown = input("server", "Windows", "", "", "").validate("").unwrap();
        assert_eq!(unknown.version, None, "an unknown version is allowed");
        let mut bad = input("server", "Windows", "", "", "");
        bad.internet_facing = "maybe".into();
        assert!(
            bad.validate("")
                .unwrap_err()
                .to_string()
                .contains("'maybe' is not yes or no")
        );
    }
}
