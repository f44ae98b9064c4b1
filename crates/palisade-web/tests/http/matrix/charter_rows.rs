//! The charter's and suppliers' rows of the API matrix. YGM01 is an IT supplier beneath QAA:
//! QAA's lead and member read its charter but never sign or keep evidence for it; QAA itself is
//! not a supplier. YGM01 lists product 1 (CareRecord 4.1 and 4.2) from the fixtures.

use super::{Row, row};
use crate::support::*;

pub fn charter() -> Vec<Row> {
    let upload = evidence_form(None, "", "keys.pdf", PDF);
    let sign = json!({"signatory_name": "Ada Lovelace", "signatory_position": "Chief Executive",
        "signed_on": "2025-06-01"});
    vec![
        row(
            Method::GET,
            "/api/v1/charter",
            &[],
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            Method::GET,
            "/api/v1/organisations/{code}/charter",
            &["YGM01"],
            [200, 200, 200, 200, 403, 404],
        ),
        // Only the supplier's lead signs: never the national team, on anyone's behalf.
        row(
            Method::POST,
            "/api/v1/organisations/{code}/charter/signatures",
            &["YGM01"],
            [403, 403, 403, 403, 403, 404],
        )
        .json(sign.clone()),
        row(
            Method::POST,
            "/api/v1/organisations/{code}/charter/signatures",
            &["QAA"],
            [403, 403, 422, 403, 403, 404],
        )
        .json(sign),
        row(
            Method::PUT,
            "/api/v1/organisations/{code}/charter/commitments/{key}",
            &["YGM01", "mfa"],
            [403, 403, 403, 403, 403, 404],
        )
        .json(json!({"statement": "Hardware keys for every account.",
            "expires_on": "2027-01-01"})),
        row(
            Method::POST,
            "/api/v1/organisations/{code}/charter/commitments/{key}/evidence",
            &["YGM01", "mfa"],
            [403, 403, 403, 403, 403, 404],
        )
        .raw(&upload.0, &upload.1),
        // No document: the ICB's lead may not upload one for the supplier beneath it.
        row(
            Method::GET,
            "/api/v1/organisations/{code}/charter/documents/{id}",
            &["YGM01", "1"],
            [404, 404, 404, 404, 403, 404],
        ),
        row(
            Method::DELETE,
            "/api/v1/organisations/{code}/charter/documents/{id}",
            &["YGM01", "1"],
            [403, 403, 403, 403, 403, 404],
        ),
        row(
            Method::DELETE,
            "/api/v1/organisations/{code}/charter/signatures/current",
            &["YGM01"],
            [403, 403, 403, 403, 403, 404],
        ),
    ]
}

/// An IT supplier's catalogue, and what an organisation uses: anyone signed in reads a
/// catalogue; only the organisation's own (never the national team) changes either.
pub fn suppliers() -> Vec<Row> {
    let product = json!({"name": "PathLab", "versions": ["1.0"],
        "purl": "pkg:generic/ygm/pathlab"});
    let csv = "supplier_code,product,version,service,contract_end\nYGM01,CareRecord,4.1,,\n";
    vec![
        row(
            Method::GET,
            "/api/v1/organisations/{code}/products",
            &["YGM01"],
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            Method::POST,
            "/api/v1/organisations/{code}/products",
            &["YGM01"],
            [403, 403, 201, 409, 403, 404],
        )
        .json(product.clone()),
        row(
            Method::POST,
            "/api/v1/organisations/{code}/products",
            &["QAA"],
            [403, 403, 422, 422, 403, 404],
        )
        .json(product),
        row(
            Method::PUT,
            "/api/v1/organisations/{code}/products/{id}",
            &["YGM01", "1"],
            [403, 403, 200, 200, 403, 404],
        )
        .json(json!({"name": "CareRecord", "versions": ["4.1", "4.2", "4.3"]})),
        row(
            Method::PUT,
            "/api/v1/organisations/{code}/products/{id}/versions/{version}/sbom",
            &["YGM01", "1", "4.2"],
            [403, 403, 200, 200, 403, 404],
        )
        .raw(
            "application/vnd.cyclonedx+json",
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
                {"type": "library", "name": "log4j-core", "version": "2.14.1",
                 "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}"#,
        ),
        // After the SBOM above: a statement about its one component.
        row(
            Method::PUT,
            "/api/v1/organisations/{code}/products/{id}/versions/{version}/vex",
            &["YGM01", "1", "4.2"],
            [403, 403, 200, 200, 403, 404],
        )
        .raw(
            "application/json",
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
                {"id": "CVE-2021-44228", "analysis": {"state": "resolved"},
                 "affects": [{"ref": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}]}"#,
        ),
        row(
            Method::GET,
            "/api/v1/organisations/{code}/suppliers",
            &["A81001"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            Method::POST,
            "/api/v1/organisations/{code}/suppliers",
            &["A81001"],
            [403, 403, 201, 409, 403, 404],
        )
        .json(json!({"supplier_code": "YGM01", "product": "CareRecord", "version": "4.2"})),
        row(
            Method::PUT,
            "/api/v1/organisations/{code}/suppliers",
            &["A81001"],
            [403, 403, 200, 200, 403, 404],
        )
        .raw("text/csv", csv.as_bytes()),
        // The national view, and a supplier's customers by name: national only until the
        // national admin lets the supplier's own people see them.
        row(
            Method::GET,
            "/api/v1/charter/figures",
            &[],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            Method::GET,
            "/api/v1/organisations/{code}/customers",
            &["YGM01"],
            [200, 200, 403, 403, 404, 404],
        ),
        row(
            Method::PUT,
            "/api/v1/organisations/{code}/customers/names",
            &["YGM01"],
            [200, 403, 403, 403, 403, 403],
        )
        .json(json!({"allowed": true})),
        // Supplier incident notices: sent by the supplier's own about its own incidents, read
        // by its own and national eyes, received and acknowledged by each customer.
        row(
            Method::POST,
            "/api/v1/organisations/{code}/incidents/{reference}/supplier-notices",
            &["YGM01", "INC-999999"],
            [404, 404, 404, 404, 403, 404],
        )
        .json(json!({"title": "Outage", "message": "Reset passwords.", "products": [1]})),
        row(
            Method::GET,
            "/api/v1/organisations/{code}/supplier-notices",
            &["YGM01"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            Method::GET,
            "/api/v1/organisations/{code}/supplier-notices/received",
            &["A81001"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            Method::POST,
            "/api/v1/organisations/{code}/supplier-notices/{id}/acknowledge",
            &["A81001", "999999"],
            [403, 403, 404, 404, 403, 404],
        ),
        row(
            Method::GET,
            "/api/v1/supplier-notices/{id}/recipients",
            &["999999"],
            [404, 404, 403, 403, 403, 403],
        ),
        // No such link: refused before it is looked for when the caller may not change links.
        row(
            Method::DELETE,
            "/api/v1/organisations/{code}/suppliers/{id}",
            &["A81001", "999999"],
            [403, 403, 404, 404, 403, 404],
        ),
    ]
}
