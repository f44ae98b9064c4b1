//! Software bills of materials as inventories: CycloneDX JSON (specification 1.2 to 1.6; 1.4 to
//! 1.6 are what suppliers send today) and SPDX 2.3 JSON (2.2 reads the same). Every component or
//! package becomes an inventory component of the system the document describes, checked as a CSV
//! line is; errors name the JSON path (`components[3].purl`).

use palisade_domain::FieldErrors;
use palisade_domain::inventory::{Component, ComponentInput, InventoryFormat};
use serde::Deserialize;
use std::cell::Cell;

use crate::inventory::{Checker, too_many_components};

thread_local! {
    /// Components the document being read may still list: the parse stops when it runs out, so
    /// an oversized document is refused before it is held.
    static BUDGET: Cell<usize> = const { Cell::new(usize::MAX) };
    /// Whether the document being read ran out of it.
    static SPENT: Cell<bool> = const { Cell::new(false) };
}

/// Reads `data` as `T` with at most `max` components listed (in lists marked `counted`); past
/// that, the error says the inventory is too large.
fn read_counted<T: serde::de::DeserializeOwned>(
    data: &[u8],
    max: usize,
    what: &str,
) -> Result<T, FieldErrors> {
    BUDGET.set(max);
    SPENT.set(false);
    let read = serde_json::from_slice::<T>(data);
    BUDGET.set(usize::MAX);
    let spent = SPENT.replace(false);
    read.map_err(|e| {
        if spent {
            one("file", too_many_components(max))
        } else {
            one("file", format!("is not {what} JSON: {e}"))
        }
    })
}

/// A list of components, each taken from the document's budget as it is read.
fn counted<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Items<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Items<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                let left = BUDGET.get();
                if left == 0 {
                    SPENT.set(true);
                    return Err(serde::de::Error::custom("too many components"));
                }
                BUDGET.set(left - 1);
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Items(std::marker::PhantomData))
}

/// Which format a JSON document is, from its own markers (`bomFormat`, `spdxVersion`).
pub fn detect_json(data: &[u8]) -> Option<InventoryFormat> {
    #[derive(Deserialize)]
    struct Markers {
        #[serde(rename = "bomFormat")]
        bom_format: Option<String>,
        #[serde(rename = "spdxVersion")]
        spdx_version: Option<String>,
    }
    let m: Markers = serde_json::from_slice(data).ok()?;
    match (m.bom_format.as_deref(), m.spdx_version) {
        (Some("CycloneDX"), _) => Some(InventoryFormat::Cyclonedx),
        (_, Some(_)) => Some(InventoryFormat::Spdx),
        _ => None,
    }
}

// CycloneDX: only what an inventory needs; everything else is skipped unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    bom_format: Option<String>,
    spec_version: Option<String>,
    metadata: Option<BomMetadata>,
    #[serde(default, deserialize_with = "counted")]
    components: Vec<BomComponent>,
}

#[derive(Deserialize)]
struct BomMetadata {
    component: Option<BomComponent>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

#[derive(Deserialize)]
struct BomComponent {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    group: Option<String>,
    version: Option<String>,
    supplier: Option<Named>,
    publisher: Option<String>,
    cpe: Option<String>,
    purl: Option<String>,
    #[serde(default, deserialize_with = "counted")]
    components: Vec<BomComponent>,
}

/// The inventory asset type of a CycloneDX component type.
fn cyclonedx_asset_type(kind: Option<&str>) -> &'static str {
    match kind.unwrap_or("library") {
        "application" => "application",
        "library" | "framework" => "library",
        "operating-system" => "operating_system",
        "firmware" => "firmware",
        "device" => "other",
        _ => "other",
    }
}

/// Checked components and the errors of the bad ones, capped as a CSV's are.
#[derive(Default)]
struct Collect {
    components: Vec<Component>,
    errors: FieldErrors,
    checker: Checker,
}

impl Collect {
    fn push(&mut self, path: &str, input: ComponentInput) {
        if let Some(c) = self
            .checker
            .check(&mut self.errors, &format!("{path}."), &input)
        {
            self.components.push(c);
        }
    }

    fn finish(mut self, what: &str) -> Result<Vec<Component>, FieldErrors> {
        self.checker.finish(
            &mut self.errors,
            what,
            self.components.is_empty(),
            &format!("lists no {what}"),
        );
        self.errors.into_result().map(|()| self.components)
    }
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or_default().trim().to_string()
}

/// Reads a CycloneDX JSON document listing at most `max_components` components: they (nested
/// ones too) are the inventory of the system its metadata names.
pub fn parse_cyclonedx(data: &[u8], max_components: usize) -> Result<Vec<Component>, FieldErrors> {
    let bom: Bom = read_counted(data, max_components, "CycloneDX")?;
    if bom.bom_format.as_deref() != Some("CycloneDX") {
        return Err(one("bomFormat", "must be CycloneDX"));
    }
    let spec = bom.spec_version.unwrap_or_default();
    if !matches!(spec.as_str(), "1.2" | "1.3" | "1.4" | "1.5" | "1.6") {
        return Err(one(
            "specVersion",
            format!("'{spec}' is not a CycloneDX version read here (1.2 to 1.6)"),
        ));
    }
    let system = bom
        .metadata
        .and_then(|m| m.component)
        .map(|c| {
            [text(&c.name), text(&c.version)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "SBOM".into());
    let mut out = Collect::default();
    fn walk(out: &mut Collect, system: &str, path: &str, components: &[BomComponent]) {
        for (i, c) in components.iter().enumerate() {
            let here = format!("{path}[{i}]");
            let vendor = c
                .supplier
                .as_ref()
                .and_then(|s| s.name.clone())
                .or_else(|| c.publisher.clone())
                .or_else(|| c.group.clone());
            out.push(
                &here,
                ComponentInput {
                    asset: system.to_string(),
                    asset_type: cyclonedx_asset_type(c.kind.as_deref()).into(),
                    vendor: text(&vendor),
                    product: text(&c.name),
                    version: text(&c.version),
                    cpe: text(&c.cpe),
                    purl: text(&c.purl),
                    internet_facing: String::new(),
                    location: String::new(),
                },
            );
            walk(out, system, &format!("{here}.components"), &c.components);
        }
    }
    walk(&mut out, &system, "components", &bom.components);
    out.finish("components")
}

// SPDX 2.3: packages with their external references.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDocument {
    spdx_version: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "counted")]
    packages: Vec<SpdxPackage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    name: Option<String>,
    version_info: Option<String>,
    supplier: Option<String>,
    primary_package_purpose: Option<String>,
    #[serde(default)]
    external_refs: Vec<SpdxRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRef {
    reference_type: String,
    reference_locator: String,
}

/// `Organization: Example Ltd` or `Person: Jo Bloggs` as a name; `NOASSERTION` as none.
fn spdx_party(s: &Option<String>) -> String {
    let t = text(s);
    if t == "NOASSERTION" {
        return String::new();
    }
    t.split_once(':')
        .map_or(t.as_str(), |(_, name)| name)
        .trim()
        .to_string()
}

/// Reads an SPDX 2.3 JSON document listing at most `max_components` packages: they are the
/// inventory of the system it is named for.
pub fn parse_spdx(data: &[u8], max_components: usize) -> Result<Vec<Component>, FieldErrors> {
    let doc: SpdxDocument = read_counted(data, max_components, "SPDX")?;
    let version = doc.spdx_version.unwrap_or_default();
    if !matches!(version.as_str(), "SPDX-2.2" | "SPDX-2.3") {
        return Err(one(
            "spdxVersion",
            format!("'{version}' is not an SPDX version read here (SPDX-2.2 or SPDX-2.3)"),
        ));
    }
    let system = Some(text(&doc.name))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "SBOM".into());
    let mut out = Collect::default();
    for (i, p) in doc.packages.iter().enumerate() {
        let reference = |kind: &str| {
            p.external_refs
                .iter()
                .find(|r| r.reference_type == kind)
                .map(|r| r.reference_locator.trim().to_string())
                .unwrap_or_default()
        };
        let version = text(&p.version_info);
        let asset_type = match p.primary_package_purpose.as_deref() {
            Some("APPLICATION") => "application",
            Some("OPERATING-SYSTEM") => "operating_system",
            Some("FIRMWARE") => "firmware",
            Some("LIBRARY" | "FRAMEWORK") | None => "library",
            Some(_) => "other",
        };
        out.push(
            &format!("packages[{i}]"),
            ComponentInput {
                asset: system.clone(),
                asset_type: asset_type.into(),
                vendor: spdx_party(&p.supplier),
                product: text(&p.name),
                version: if version == "NOASSERTION" {
                    String::new()
                } else {
                    version
                },
                cpe: reference("cpe23Type"),
                purl: reference("purl"),
                internet_facing: String::new(),
                location: String::new(),
            },
        );
    }
    out.finish("packages")
}

fn one(field: &str, message: impl Into<String>) -> FieldErrors {
    let mut e = FieldErrors::default();
    e.push(field, message);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
      "metadata": {"component": {"type": "application", "name": "ward-app", "version": "3.1"}},
      "components": [
        {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core", "version": "2.14.1",
         "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
         "components": [{"type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20"}]},
        {"type": "operating-system", "supplier": {"name": "Debian"}, "name": "debian", "version": "12",
         "cpe": "cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*"}
      ]}"#;

    const SPDX: &str = r#"{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
      "name": "pharmacy-system", "packages": [
        {"SPDXID": "SPDXRef-1", "name": "django", "versionInfo": "4.2.1", "supplier": "Organization: Django Software Foundation",
         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/django@4.2.1"}]},
        {"SPDXID": "SPDXRef-2", "name": "openssl", "versionInfo": "NOASSERTION", "supplier": "NOASSERTION",
         "primaryPackagePurpose": "LIBRARY",
         "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"}]}
      ]}"#;

    #[test]
    fn cyclonedx_components_nested_or_not_become_the_systems_inventory() {
        assert_eq!(
            detect_json(BOM.as_bytes()),
            Some(InventoryFormat::Cyclonedx)
        );
        let c = parse_cyclonedx(BOM.as_bytes(), 1000).unwrap();
        let names: Vec<_> = c
            .iter()
            .map(|c| (c.asset.as_str(), c.product.as_str(), c.asset_type.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("ward-app 3.1", "log4j-core", "library"),
                ("ward-app 3.1", "lodash", "library"),
                ("ward-app 3.1", "debian", "operating_system"),
            ]
        );
        assert_eq!(c[0].vendor, "org.apache.logging.log4j");
        assert_eq!(c[2].vendor, "Debian");
    }

    #[test]
    fn spdx_packages_read_their_references() {
        assert_eq!(detect_json(SPDX.as_bytes()), Some(InventoryFormat::Spdx));
        let c = parse_spdx(SPDX.as_bytes(), 1000).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].asset.as_str(), c[0].vendor.as_str()),
            ("pharmacy-system", "Django Software Foundation")
        );
        assert_eq!(
            c[0].purl.as_ref().unwrap().as_str(),
            "pkg:pypi/django@4.2.1"
        );
        assert_eq!((c[1].version.as_deref(), c[1].vendor.as_str()), (None, ""));
        assert!(c[1].cpe.is_some());
    }

    #[test]
    fn errors_name_the_json_path_and_nothing_is_returned() {
        let bad = BOM.replace("pkg:npm/lodash@4.17.20", "pkg:nosuch/lodash@4.17.20");
        let e = parse_cyclonedx(bad.as_bytes(), 1000).unwrap_err();
        assert!(
            e.0.iter()
                .any(|f| f.field.starts_with("components[0].components[0].")),
            "{e:?}"
        );
        let e = parse_cyclonedx(BOM.replace("1.5", "2.0").as_bytes(), 1000).unwrap_err();
        assert_eq!(e.0[0].field, "specVersion");
        let e = parse_spdx(
            SPDX.replace("pkg:pypi/django@4.2.1", "pkg:pypi/django@not..a..version")
                .as_bytes(),
            1000,
        )
        .unwrap_err();
        assert!(e.0[0].field.starts_with("packages[0]."), "{e:?}");
        let e = parse_spdx(b"{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [", 1000).unwrap_err();
        assert!(e.0[0].message.contains("line"), "{e:?}");
        assert_eq!(detect_json(b"{\"title\": 1}"), None);
    }

    #[test]
    fn a_document_beyond_the_limit_is_refused_as_it_is_read() {
        // Three components in all, one of them nested.
        assert_eq!(parse_cyclonedx(BOM.as_bytes(), 3).unwrap().len(), 3);
        for (e, max) in [
            (parse_cyclonedx(BOM.as_bytes(), 2).unwrap_err(), 2),
            (parse_spdx(SPDX.as_bytes(), 1).unwrap_err(), 1),
        ] {
            assert_eq!(e.0.len(), 1, "{e}");
            assert_eq!(e.0[0].message, too_many_components(max));
        }
        // The limit belongs to one document: the next is read afresh.
        assert_eq!(parse_spdx(SPDX.as_bytes(), 2).unwrap().len(), 2);
        let e = parse_spdx(b"{\"packages\": 3}", 2).unwrap_err();
        assert!(e.0[0].message.starts_with("is not SPDX JSON"), "{e}");
    }
}
