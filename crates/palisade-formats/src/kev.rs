//! CISA's known exploited vulnerabilities catalogue (KEV), as JSON.

use palisade_domain::dates::parse_date;
use palisade_domain::ident::CveId;
use palisade_domain::kev::KevEntry;
use serde::Deserialize;

/// The catalogue: its version, when it was released, and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevCatalogue {
    pub version: String,
    /// Unix time of `dateReleased`.
    pub released: i64,
    pub entries: Vec<KevEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCatalogue {
    catalog_version: String,
    date_released: String,
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    #[serde(default)]
    vulnerability_name: String,
    date_added: String,
    #[serde(default)]
    short_description: String,
    #[serde(default)]
    required_action: String,
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: String,
}

/// Reads the catalogue's JSON. Errors name the JSON path (`vulnerabilities[12].dateAdded`), or
/// the line and column where the JSON itself is broken.
pub fn parse_catalogue(data: &[u8]) -> Result<KevCatalogue, String> {
    let raw: RawCatalogue = serde_json::from_slice(data).map_err(|e| e.to_string())?;
    let released = time::OffsetDateTime::parse(
        &raw.date_released,
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| {
        format!(
            "dateReleased: '{}' is not an RFC 3339 time",
            raw.date_released
        )
    })?
    .unix_timestamp();
    let mut entries = Vec::with_capacity(raw.vulnerabilities.len());
    for (i, r) in raw.vulnerabilities.into_iter().enumerate() {
        let at = |f: &str| format!("vulnerabilities[{i}].{f}");
        let cve = CveId::parse(&r.cve_id).map_err(|e| format!("{}: {e}", at("cveID")))?;
        if r.vendor_project.trim().is_empty() || r.product.trim().is_empty() {
            return Err(format!(
                "{}: vendorProject and product are required",
                at("product")
            ));
        }
        let date = |f: &str, raw: &str| {
            parse_date(f, raw).map_err(|e| format!("{}: {}", at(f), e.message))
        };
        entries.push(KevEntry {
            date_added: date("dateAdded", &r.date_added)?,
            due_date: r
                .due_date
                .filter(|d| !d.trim().is_empty())
                .map(|d| date("dueDate", &d))
                .transpose()?,
            ransomware: r
                .known_ransomware_campaign_use
                .eq_ignore_ascii_case("known"),
            cve,
            vendor_project: r.vendor_project.trim().to_string(),
            product: r.product.trim().to_string(),
            name: r.vulnerability_name,
            short_description: r.short_description,
            required_action: r.required_action,
        });
    }
    entries.sort_by(|a, b| a.cve.cmp(&b.cve));
    entries.dedup_by(|a, b| a.cve == b.cve);
    Ok(KevCatalogue {
        version: raw.catalog_version,
        released,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::exposure::Identity;

    const CATALOGUE: &str = r#"{"title": "t", "catalogVersion": "2025.08.25", "dateReleased": "2025-08-25T17:04:19.9796Z", "count": 2,
      "vulnerabilities": [
        {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2", "vulnerabilityName": "Log4Shell",
         "dateAdded": "2021-12-10", "shortDescription": "RCE", "requiredAction": "Patch", "dueDate": "2021-12-24",
         "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-20"]},
        {"cveID": "CVE-2017-0144", "vendorProject": "Microsoft", "product": "Windows SMB", "vulnerabilityName": "EternalBlue",
         "dateAdded": "2022-02-10", "shortDescription": "", "requiredAction": "", "dueDate": "2022-08-10",
         "knownRansomwareCampaignUse": "Unknown"}
      ]}"#;

    #[test]
    fn the_catalogue_reads_with_its_release_time() {
        let c = parse_catalogue(CATALOGUE.as_bytes()).unwrap();
        assert_eq!(c.version, "2025.08.25");
        assert_eq!(c.entries.len(), 2);
        assert_eq!(c.entries[0].cve.as_str(), "CVE-2017-0144", "sorted by CVE");
        assert!(c.entries[1].ransomware && !c.entries[0].ransomware);
        let rule = c.entries[0].product_rule();
        assert_eq!(
            rule.identity,
            Identity::Product {
                vendor: "microsoft".into(),
                product: "windows_smb".into()
            }
        );
    }

    #[test]
    fn errors_name_the_json_path() {
        let bad = CATALOGUE.replace("2022-02-10", "10/02/2022");
        let err = parse_catalogue(bad.as_bytes()).unwrap_err();
        assert!(err.starts_with("vulnerabilities[1].dateAdded:"), "{err}");
        let bad = CATALOGUE.replace("CVE-2017-0144", "MS17-010");
        assert!(
            parse_catalogue(bad.as_bytes())
                .unwrap_err()
                .starts_with("vulnerabilities[1].cveID:")
        );
        assert!(
            parse_catalogue(b"{\"vulnerabilities\": [")
                .unwrap_err()
                .contains("line")
        );
    }
}
