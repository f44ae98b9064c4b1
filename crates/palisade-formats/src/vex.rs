//! VEX documents, the statements a supplier makes about vulnerabilities in a product version:
//! CycloneDX VEX (`vulnerabilities[].analysis`), the CSAF 2.0 VEX profile
//! (`document.category: csaf_vex`) and OpenVEX JSON. Each becomes the same statements: a CVE,
//! a status (`not_affected`, `affected`, `fixed`, `under_investigation`), the justification and
//! detail given, and the components it names by package URL (none: the whole product version).
//! Errors name the JSON path (`vulnerabilities[1].analysis.state`).

use palisade_domain::FieldErrors;
use palisade_domain::ident::CveId;
use palisade_domain::supplier::VexStatus;
use serde::Deserialize;
use std::collections::HashMap;

/// The VEX formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexFormat {
    CycloneDx,
    Csaf,
    OpenVex,
}

impl VexFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            VexFormat::CycloneDx => "cyclonedx",
            VexFormat::Csaf => "csaf",
            VexFormat::OpenVex => "openvex",
        }
    }
}

/// One statement about one CVE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    pub cve: CveId,
    pub status: VexStatus,
    pub justification: Option<String>,
    pub detail: Option<String>,
    /// The package URLs of the components it names, each with the JSON path that named it;
    /// empty when it speaks of the whole product version.
    pub components: Vec<(String, String)>,
}

/// Which VEX format a JSON document is, from its own markers.
pub fn detect_vex(data: &[u8]) -> Option<VexFormat> {
    #[derive(Deserialize)]
    struct Markers {
        #[serde(rename = "bomFormat")]
        bom_format: Option<String>,
        #[serde(rename = "@context")]
        context: Option<String>,
        document: Option<DocMarker>,
    }
    #[derive(Deserialize)]
    struct DocMarker {
        category: Option<String>,
    }
    let m: Markers = serde_json::from_slice(data).ok()?;
    if m.bom_format.as_deref() == Some("CycloneDX") {
        return Some(VexFormat::CycloneDx);
    }
    if m.context.is_some_and(|c| c.contains("openvex")) {
        return Some(VexFormat::OpenVex);
    }
    if m.document.and_then(|d| d.category).as_deref() == Some("csaf_vex") {
        return Some(VexFormat::Csaf);
    }
    None
}

fn one(field: impl Into<String>, message: impl Into<String>) -> FieldErrors {
    FieldErrors::one(field, message)
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Reads a VEX document of the format given.
pub fn parse_vex(data: &[u8], format: VexFormat) -> Result<Vec<VexStatement>, FieldErrors> {
    let statements = match format {
        VexFormat::CycloneDx => cyclonedx(data)?,
        VexFormat::Csaf => csaf(data)?,
        VexFormat::OpenVex => openvex(data)?,
    };
    if statements.is_empty() {
        return Err(one("file", "makes no statement about any vulnerability"));
    }
    Ok(statements)
}

/// What a statement says besides its CVE and status.
struct Said {
    justification: Option<String>,
    detail: Option<String>,
    components: Vec<(String, String)>,
}

/// A statement's checks common to every format: the CVE (at `cve_at`), and a justification or
/// detail for `not_affected` (a claim that needs its reason).
fn statement(
    e: &mut FieldErrors,
    path: &str,
    cve_at: &str,
    cve: &str,
    status: Option<VexStatus>,
    said: Said,
) -> Option<VexStatement> {
    let cve = match CveId::parse(cve) {
        Ok(c) => Some(c),
        Err(m) => {
            e.push(format!("{path}.{cve_at}"), m);
            None
        }
    };
    if status == Some(VexStatus::NotAffected)
        && said.justification.is_none()
        && said.detail.is_none()
    {
        e.push(
            format!("{path}.justification"),
            "not_affected needs a justification or an impact statement",
        );
        return None;
    }
    Some(VexStatement {
        cve: cve?,
        status: status?,
        justification: said.justification,
        detail: said.detail,
        components: said.components,
    })
}

fn cyclonedx(data: &[u8]) -> Result<Vec<VexStatement>, FieldErrors> {
    #[derive(Deserialize)]
    struct Bom {
        #[serde(default)]
        vulnerabilities: Vec<Vuln>,
    }
    #[derive(Deserialize)]
    struct Vuln {
        #[serde(default)]
        id: String,
        analysis: Option<Analysis>,
        #[serde(default)]
        affects: Vec<Affects>,
    }
    #[derive(Deserialize)]
    struct Analysis {
        state: Option<String>,
        justification: Option<String>,
        detail: Option<String>,
    }
    #[derive(Deserialize)]
    struct Affects {
        #[serde(rename = "ref", default)]
        reference: String,
    }
    let bom: Bom = serde_json::from_slice(data)
        .map_err(|e| one("file", format!("is not CycloneDX VEX JSON: {e}")))?;
    let mut e = FieldErrors::default();
    let mut out = Vec::new();
    for (i, v) in bom.vulnerabilities.iter().enumerate() {
        let path = format!("vulnerabilities[{i}]");
        let a = v.analysis.as_ref();
        let status = match a.and_then(|a| a.state.as_deref()) {
            Some("not_affected" | "false_positive") => Some(VexStatus::NotAffected),
            Some("resolved" | "resolved_with_pedigree") => Some(VexStatus::Fixed),
            Some("exploitable") => Some(VexStatus::Affected),
            Some("in_triage") => Some(VexStatus::UnderInvestigation),
            Some(other) => {
                e.push(
                    format!("{path}.analysis.state"),
                    format!("'{other}' is not a CycloneDX analysis state"),
                );
                None
            }
            None => {
                e.push(format!("{path}.analysis.state"), "is required");
                None
            }
        };
        let components = v
            .affects
            .iter()
            .enumerate()
            .map(|(j, a)| {
                (
                    a.reference.trim().to_string(),
                    format!("{path}.affects[{j}].ref"),
                )
            })
            .collect();
        let justification = a.and_then(|a| text(&a.justification));
        let detail = a.and_then(|a| text(&a.detail));
        if let Some(s) = statement(
            &mut e,
            &path,
            "id",
            &v.id,
            status,
            Said {
                justification,
                detail,
                components,
            },
        ) {
            out.push(s);
        }
    }
    e.into_result()?;
    Ok(out)
}

fn csaf(data: &[u8]) -> Result<Vec<VexStatement>, FieldErrors> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        product_tree: Tree,
        #[serde(default)]
        vulnerabilities: Vec<Vuln>,
    }
    #[derive(Deserialize, Default)]
    struct Tree {
        #[serde(default)]
        branches: Vec<Branch>,
        #[serde(default)]
        full_product_names: Vec<Product>,
        #[serde(default)]
        relationships: Vec<Relationship>,
    }
    #[derive(Deserialize)]
    struct Branch {
        #[serde(default)]
        branches: Vec<Branch>,
        product: Option<Product>,
    }
    #[derive(Deserialize)]
    struct Product {
        #[serde(default)]
        product_id: String,
        product_identification_helper: Option<Helper>,
    }
    #[derive(Deserialize)]
    struct Helper {
        purl: Option<String>,
    }
    #[derive(Deserialize)]
    struct Relationship {
        #[serde(default)]
        product_reference: String,
        full_product_name: Product,
    }
    #[derive(Deserialize)]
    struct Vuln {
        cve: Option<String>,
        #[serde(default)]
        product_status: Status,
        #[serde(default)]
        flags: Vec<Flag>,
        #[serde(default)]
        threats: Vec<Threat>,
    }
    #[derive(Deserialize, Default)]
    struct Status {
        #[serde(default)]
        known_not_affected: Vec<String>,
        #[serde(default)]
        fixed: Vec<String>,
        #[serde(default)]
        known_affected: Vec<String>,
        #[serde(default)]
        under_investigation: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Flag {
        #[serde(default)]
        label: String,
        #[serde(default)]
        product_ids: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Threat {
        #[serde(default)]
        category: String,
        #[serde(default)]
        details: String,
        #[serde(default)]
        product_ids: Vec<String>,
    }
    fn walk(b: &[Branch], purls: &mut HashMap<String, Option<String>>) {
        for x in b {
            if let Some(p) = &x.product {
                let purl = p
                    .product_identification_helper
                    .as_ref()
                    .and_then(|h| h.purl.clone());
                purls.insert(p.product_id.clone(), purl);
            }
            walk(&x.branches, purls);
        }
    }
    let doc: Doc = serde_json::from_slice(data)
        .map_err(|e| one("file", format!("is not CSAF VEX JSON: {e}")))?;
    let mut purls: HashMap<String, Option<String>> = HashMap::new();
    walk(&doc.product_tree.branches, &mut purls);
    for p in &doc.product_tree.full_product_names {
        let purl = p
            .product_identification_helper
            .as_ref()
            .and_then(|h| h.purl.clone());
        purls.insert(p.product_id.clone(), purl);
    }
    // A component of a product names the component: the product reference's package URL.
    for r in &doc.product_tree.relationships {
        let own = r
            .full_product_name
            .product_identification_helper
            .as_ref()
            .and_then(|h| h.purl.clone());
        let purl = own.or_else(|| purls.get(&r.product_reference).cloned().flatten());
        purls.insert(r.full_product_name.product_id.clone(), purl);
    }
    let mut e = FieldErrors::default();
    let mut out = Vec::new();
    for (i, v) in doc.vulnerabilities.iter().enumerate() {
        let path = format!("vulnerabilities[{i}]");
        let groups = [
            (
                "known_not_affected",
                VexStatus::NotAffected,
                &v.product_status.known_not_affected,
            ),
            ("fixed", VexStatus::Fixed, &v.product_status.fixed),
            (
                "known_affected",
                VexStatus::Affected,
                &v.product_status.known_affected,
            ),
            (
                "under_investigation",
                VexStatus::UnderInvestigation,
                &v.product_status.under_investigation,
            ),
        ];
        if groups.iter().all(|(_, _, ids)| ids.is_empty()) {
            e.push(format!("{path}.product_status"), "names no product");
            continue;
        }
        for (name, status, ids) in groups {
            if ids.is_empty() {
                continue;
            }
            let mut components = Vec::new();
            for (j, id) in ids.iter().enumerate() {
                let at = format!("{path}.product_status.{name}[{j}]");
                match purls.get(id) {
                    Some(Some(purl)) => components.push((purl.clone(), at)),
                    Some(None) => {
                        e.push(at, format!("{id} has no package URL in the product tree"))
                    }
                    None => e.push(at, format!("{id} is not in the product tree")),
                }
            }
            // Flags and impact threats speak of the products they list (all, when none).
            let about =
                |listed: &[String]| listed.is_empty() || listed.iter().any(|p| ids.contains(p));
            let justification = v
                .flags
                .iter()
                .find(|f| about(&f.product_ids))
                .map(|f| f.label.clone())
                .filter(|l| !l.is_empty());
            let detail = v
                .threats
                .iter()
                .find(|t| t.category == "impact" && about(&t.product_ids))
                .map(|t| t.details.clone())
                .filter(|d| !d.trim().is_empty());
            if let Some(s) = statement(
                &mut e,
                &path,
                "cve",
                v.cve.as_deref().unwrap_or_default(),
                Some(status),
                Said {
                    justification,
                    detail,
                    components,
                },
            ) {
                out.push(s);
            }
        }
    }
    e.into_result()?;
    Ok(out)
}

fn openvex(data: &[u8]) -> Result<Vec<VexStatement>, FieldErrors> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        statements: Vec<Statement>,
    }
    #[derive(Deserialize)]
    struct Statement {
        vulnerability: Option<Vulnerability>,
        #[serde(default)]
        products: Vec<Product>,
        #[serde(default)]
        status: String,
        justification: Option<String>,
        impact_statement: Option<String>,
        status_notes: Option<String>,
    }
    #[derive(Deserialize)]
    struct Vulnerability {
        #[serde(default)]
        name: String,
    }
    /// The product itself is the supplier's product version the upload is for.
    #[derive(Deserialize)]
    struct Product {
        #[serde(default)]
        subcomponents: Vec<Sub>,
    }
    #[derive(Deserialize)]
    struct Sub {
        #[serde(rename = "@id", default)]
        id: String,
    }
    let doc: Doc = serde_json::from_slice(data)
        .map_err(|e| one("file", format!("is not OpenVEX JSON: {e}")))?;
    let mut e = FieldErrors::default();
    let mut out = Vec::new();
    for (i, s) in doc.statements.iter().enumerate() {
        let path = format!("statements[{i}]");
        let status = match s.status.parse::<VexStatus>() {
            Ok(v) => Some(v),
            Err(m) => {
                e.push(format!("{path}.status"), m);
                None
            }
        };
        // The product is the supplier's product version itself; its subcomponents are what
        // the SBOM lists. A product without subcomponents speaks of the whole version.
        let mut components = Vec::new();
        for (j, p) in s.products.iter().enumerate() {
            for (k, c) in p.subcomponents.iter().enumerate() {
                components.push((
                    c.id.trim().to_string(),
                    format!("{path}.products[{j}].subcomponents[{k}].@id"),
                ));
            }
        }
        let name = s
            .vulnerability
            .as_ref()
            .map(|v| v.name.as_str())
            .unwrap_or_default();
        if let Some(st) = statement(
            &mut e,
            &path,
            "vulnerability.name",
            name,
            status,
            Said {
                justification: text(&s.justification),
                detail: text(&s.impact_statement).or_else(|| text(&s.status_notes)),
                components,
            },
        ) {
            out.push(st);
        }
    }
    e.into_result()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG4J: &str = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";

    fn fields(e: FieldErrors) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn cyclonedx_vex_reads_each_analysis() {
        let doc = format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
              {{"id": "CVE-2021-44228", "analysis": {{"state": "not_affected",
                "justification": "code_not_reachable", "detail": "JNDI lookups are disabled"}},
                "affects": [{{"ref": "{LOG4J}"}}]}},
              {{"id": "CVE-2021-45046", "analysis": {{"state": "resolved"}}}}]}}"#
        );
        assert_eq!(detect_vex(doc.as_bytes()), Some(VexFormat::CycloneDx));
        let s = parse_vex(doc.as_bytes(), VexFormat::CycloneDx).unwrap();
        assert_eq!(s[0].status, VexStatus::NotAffected);
        assert_eq!(s[0].justification.as_deref(), Some("code_not_reachable"));
        assert_eq!(s[0].components[0].0, LOG4J);
        assert_eq!((s[1].status, s[1].components.len()), (VexStatus::Fixed, 0));
        let bad = r#"{"bomFormat": "CycloneDX", "vulnerabilities": [
            {"id": "log4shell", "analysis": {"state": "not_affected"}},
            {"id": "CVE-2021-44228", "analysis": {"state": "maybe"}}]}"#;
        assert_eq!(
            fields(parse_vex(bad.as_bytes(), VexFormat::CycloneDx).unwrap_err()),
            [
                "vulnerabilities[0].id",
                "vulnerabilities[0].justification",
                "vulnerabilities[1].analysis.state"
            ]
        );
    }

    #[test]
    fn csaf_vex_maps_product_ids_to_package_urls() {
        let doc = format!(
            r#"{{"document": {{"category": "csaf_vex", "csaf_version": "2.0"}},
              "product_tree": {{
                "full_product_names": [{{"name": "CareRecord 4.2", "product_id": "CR-4.2"}}],
                "branches": [{{"category": "vendor", "name": "Apache", "branches": [
                  {{"category": "product_version", "name": "2.14.1", "product": {{
                    "name": "log4j-core 2.14.1", "product_id": "LOG4J",
                    "product_identification_helper": {{"purl": "{LOG4J}"}}}}}}]}}],
                "relationships": [{{"category": "default_component_of",
                  "product_reference": "LOG4J", "relates_to_product_reference": "CR-4.2",
                  "full_product_name": {{"name": "log4j in CareRecord 4.2", "product_id": "CR-LOG4J"}}}}]}},
              "vulnerabilities": [{{"cve": "CVE-2021-44228",
                "product_status": {{"known_not_affected": ["CR-LOG4J"]}},
                "flags": [{{"label": "vulnerable_code_not_in_execute_path", "product_ids": ["CR-LOG4J"]}}]}}]}}"#
        );
        assert_eq!(detect_vex(doc.as_bytes()), Some(VexFormat::Csaf));
        let s = parse_vex(doc.as_bytes(), VexFormat::Csaf).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (
                s[0].status,
                s[0].justification.as_deref(),
                s[0].components[0].0.as_str()
            ),
            (
                VexStatus::NotAffected,
                Some("vulnerable_code_not_in_execute_path"),
                LOG4J
            )
        );
        let unknown = doc.replace(r#"["CR-LOG4J"]}"#, r#"["NOPE"]}"#);
        let e = parse_vex(unknown.as_bytes(), VexFormat::Csaf).unwrap_err();
        assert_eq!(
            fields(e)[0],
            "vulnerabilities[0].product_status.known_not_affected[0]"
        );
    }

    #[test]
    fn openvex_reads_statements_and_subcomponents() {
        let doc = format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
              "author": "Aldbury", "timestamp": "2026-12-01T00:00:00Z", "version": 1,
              "statements": [{{"vulnerability": {{"name": "CVE-2021-44228"}},
                "products": [{{"@id": "pkg:maven/com.ygm/carerecord@4.2",
                  "subcomponents": [{{"@id": "{LOG4J}"}}]}}],
                "status": "not_affected", "justification": "vulnerable_code_not_present"}},
               {{"vulnerability": {{"name": "CVE-2023-1234"}},
                "products": [{{"@id": "pkg:maven/com.ygm/carerecord@4.2"}}],
                "status": "under_investigation"}}]}}"#
        );
        assert_eq!(detect_vex(doc.as_bytes()), Some(VexFormat::OpenVex));
        let s = parse_vex(doc.as_bytes(), VexFormat::OpenVex).unwrap();
        assert_eq!(
            s[0].components[0].1,
            "statements[0].products[0].subcomponents[0].@id"
        );
        assert_eq!(
            (s[1].status, s[1].components.len()),
            (VexStatus::UnderInvestigation, 0)
        );
        let bad = doc.replace("\"not_affected\"", "\"safe\"");
        assert_eq!(
            fields(parse_vex(bad.as_bytes(), VexFormat::OpenVex).unwrap_err()),
            ["statements[0].status"]
        );
    }
}
