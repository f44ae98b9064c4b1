//! The charter's rows of the API matrix. YGM01 is an IT supplier beneath QAA: QAA's lead and
//! member read its charter but never sign or keep evidence for it; QAA itself is not a supplier.

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
            "/api/v1/organisations/{code}/charter/signatures/current",
            &["YGM01"],
            [403, 403, 403, 403, 403, 404],
        ),
    ]
}
