//! The rows of the API matrix, in the order they run: a row may rely on what an earlier one did
//! (a 409 in a row is a repeat of what an earlier column already did).
//!
//! Columns: admin, analyst, lead (of QAA), member (of QAA), auditor (of QAA), foreign (lead of
//! RX1). A81001 is a practice beneath QAA; RX1 an unrelated trust.

use super::{Fixtures, Row, charter_rows, row};
use crate::support::*;

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

pub fn rows(f: &Fixtures) -> Vec<Row> {
    [
        alerts_and_responses(f),
        organisations_and_people(f),
        register_and_inventory(f),
        more_alerts(f),
        assessments(f),
        audits_and_plans(f),
        estate(f),
        incidents(f),
        charter_rows::charter(),
        charter_rows::suppliers(),
        jobs(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The alert every practice and trust responds to: reading, the national board, responding.
fn alerts_and_responses(f: &Fixtures) -> Vec<Row> {
    let a = f.alert.as_str();
    vec![
        row(
            GET,
            "/api/v1/alerts/{id}",
            &[a],
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/responses/{org_code}",
            &[a, "RX1"],
            [200, 200, 404, 404, 404, 200],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/responses/{org_code}",
            &[a, "A81001"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/board",
            &[a],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            GET,
            "/api/v1/chase-list",
            &[],
            [200, 200, 403, 403, 403, 403],
        ),
        row(GET, "/api/v1/outbox", &[], [200, 200, 403, 403, 403, 403]),
        row(
            POST,
            "/api/v1/alerts/{id}/chase",
            &[a],
            [202, 403, 403, 403, 403, 403],
        ),
        row(
            POST,
            "/api/v1/alerts/{id}/relay",
            &[a],
            [202, 403, 403, 403, 403, 403],
        ),
        row(
            POST,
            "/api/v1/alerts/{id}/responses/{org_code}/{step}",
            &[a, "RX1", "acknowledge"],
            [403, 403, 404, 404, 404, 200],
        ),
        // The member finds it acknowledged by the lead a moment before: allowed, but late.
        row(
            POST,
            "/api/v1/alerts/{id}/responses/{org_code}/{step}",
            &[a, "A81001", "acknowledge"],
            [403, 403, 200, 409, 403, 404],
        ),
    ]
}

/// The register and its people, as the matrix always had them.
fn organisations_and_people(f: &Fixtures) -> Vec<Row> {
    let contact = json!({"name": "Kim Lee", "role": "alert_contact", "email": "kim@nhs.net", "mobile": "07700 900999"});
    let new_org =
        json!({"code": "FAB01", "name": "New Org", "type": "pharmacy", "region": "London"});
    let (rx1c, childc) = (f.w.c_rx1.to_string(), f.w.c_child.to_string());
    let (rx1c, childc) = (rx1c.as_str(), childc.as_str());
    let foreign_id = f.w.foreign.0.to_string();
    let foreign_id = foreign_id.as_str();
    vec![
        row(GET, "/api/v1/me", &[], [200, 200, 200, 200, 200, 200]),
        row(
            GET,
            "/api/v1/me/worklist",
            &[],
            [200, 200, 200, 200, 200, 200],
        ),
        row(GET, "/api/v1/search", &[], [200, 200, 403, 403, 403, 403]).query("q=rx"),
        row(GET, "/api/v1/posture", &[], [200, 200, 403, 403, 403, 403]),
        row(
            GET,
            "/api/v1/organisations/{code}",
            &["RX1"],
            [200, 200, 404, 404, 404, 200],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}",
            &["a81001"],
            [200, 200, 200, 200, 200, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/children",
            &["QAA"],
            [200, 200, 200, 200, 200, 404],
        ),
        row(
            PATCH,
            "/api/v1/organisations/{code}",
            &["RX1"],
            [200, 403, 404, 404, 404, 403],
        )
        .json(json!({"region": "North West"})),
        row(
            GET,
            "/api/v1/organisations/{code}/contacts",
            &["RX1"],
            [200, 200, 404, 404, 404, 200],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/contacts",
            &["A81001"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/contacts/{id}",
            &["RX1", rx1c],
            [200, 200, 404, 404, 404, 200],
        ),
        // A contact id that exists, asked for through the wrong organisation.
        row(
            GET,
            "/api/v1/organisations/{code}/contacts/{id}",
            &["A81001", rx1c],
            [404, 404, 404, 404, 403, 404],
        ),
        row(
            PUT,
            "/api/v1/organisations/{code}/contacts/{id}",
            &["RX1", rx1c],
            [200, 403, 404, 404, 404, 200],
        )
        .json(contact.clone()),
        row(
            POST,
            "/api/v1/organisations/{code}/contacts",
            &["RX1"],
            [201, 403, 404, 404, 404, 201],
        )
        .json(contact.clone()),
        row(
            POST,
            "/api/v1/organisations/{code}/contacts",
            &["A81001"],
            [201, 403, 201, 403, 403, 404],
        )
        .json(contact.clone()),
        row(
            PUT,
            "/api/v1/organisations/{code}/contacts/{id}",
            &["A81001", rx1c],
            [404, 403, 404, 403, 403, 404],
        )
        .json(contact),
        row(
            DELETE,
            "/api/v1/organisations/{code}/contacts/{id}",
            &["A81001", rx1c],
            [404, 403, 404, 403, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/people",
            &["RX1"],
            [200, 200, 404, 404, 404, 200],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/people",
            &["QAA"],
            [200, 200, 200, 403, 403, 404],
        ),
        row(
            POST,
            "/api/v1/organisations",
            &[],
            [201, 403, 403, 403, 403, 403],
        )
        .json(new_org),
        row(
            GET,
            "/api/v1/people/{id}",
            &[foreign_id],
            [200, 200, 404, 404, 404, 200],
        ),
        row(
            POST,
            "/api/v1/people/{id}/roles",
            &[foreign_id],
            [204, 403, 404, 404, 404, 409],
        )
        .json(json!({"role": "org_member", "org_code": "RX1"})),
        // The second time (the foreign lead), the person exists: they are invited to the role
        // they already hold, and the answer is the same as for someone new (no 409 naming them).
        row(POST, "/api/v1/people", &[], [201, 403, 422, 422, 422, 201]).json(
            json!({"email": "x@rx1.nhs.uk", "name": "X", "role": "org_member", "org_code": "RX1"}),
        ),
        // Within the QAA tree: visibility passes, so the role rule itself decides (the lead
        // invites the admin's person, unaware that they exist).
        row(POST, "/api/v1/people", &[], [201, 403, 201, 403, 403, 422]).json(
            json!({"email": "y@qaa.nhs.uk", "name": "Y", "role": "org_member", "org_code": "QAA"}),
        ),
        row(GET, "/api/v1/audit", &[], [200, 403, 404, 404, 404, 200]).query("org_code=RX1"),
        row(GET, "/api/v1/tokens", &[], [200, 200, 200, 200, 200, 200]),
        row(
            DELETE,
            "/api/v1/organisations/{code}/contacts/{id}",
            &["RX1", rx1c],
            [204, 403, 404, 404, 404, 404],
        ),
        row(
            DELETE,
            "/api/v1/organisations/{code}/contacts/{id}",
            &["A81001", childc],
            [204, 403, 404, 403, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations",
            &[],
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/children",
            &["RX1"],
            [200, 200, 404, 404, 404, 200],
        ),
        row(GET, "/api/v1/people", &[], [200, 200, 200, 200, 200, 200]),
        row(POST, "/api/v1/tokens", &[], [201, 201, 201, 201, 201, 201])
            .json(json!({"label": "matrix"})),
        row(
            DELETE,
            "/api/v1/tokens/{id}",
            &["999999"],
            [404, 404, 404, 404, 404, 404],
        ),
        row(
            DELETE,
            "/api/v1/people/{id}/roles",
            &[foreign_id],
            [204, 403, 404, 404, 404, 404],
        )
        .query("role=org_member&org_code=RX1"),
        // Tokens are revoked only by their owner.
        row(
            DELETE,
            "/api/v1/tokens/{id}",
            &[&f.lead_spare_token.to_string()],
            [404, 404, 204, 404, 404, 404],
        ),
    ]
}

/// The register import, which takes CSV rather than JSON; inventories, uploaded by the
/// organisation itself and read by it and the national team.
fn register_and_inventory(f: &Fixtures) -> Vec<Row> {
    let csv =
        "code,name,type,category,region,parent_code\nZZ001,Matrix Pharmacy,pharmacy,3,London,\n";
    let inventory = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing\nPC-1,workstation,Microsoft,Windows 10,10.0.19045,,,no\n";
    let (up_a, up_rx1) = (f.upload_a81001.to_string(), f.upload_rx1.to_string());
    let mut rows = vec![
        row(
            POST,
            "/api/v1/organisations/import",
            &[],
            [200, 403, 403, 403, 403, 403],
        )
        .raw("text/csv", csv),
        row(
            PUT,
            "/api/v1/organisations/{code}/inventory",
            &["A81001"],
            [403, 403, 200, 200, 403, 404],
        )
        .raw("text/csv", inventory),
    ];
    for (code, expected) in [
        ("A81001", [200, 200, 200, 200, 403, 404]),
        ("RX1", [200, 200, 404, 404, 404, 200]),
    ] {
        for route in [
            "/api/v1/organisations/{code}/inventory",
            "/api/v1/organisations/{code}/inventory/uploads",
        ] {
            rows.push(row(GET, route, &[code], expected));
        }
    }
    rows.extend([
        row(
            GET,
            "/api/v1/organisations/{code}/inventory/uploads/{id}/changes",
            &["A81001", &up_a],
            [200, 200, 200, 200, 403, 404],
        ),
        // Another organisation's upload, through this one.
        row(
            GET,
            "/api/v1/organisations/{code}/inventory/uploads/{id}/changes",
            &["A81001", &up_rx1],
            [404, 404, 404, 404, 403, 404],
        ),
    ]);
    rows
}

/// Drafting, importing and updating alerts is the national admin's; drafts stay national; a
/// second alert's responses are taken in bulk.
fn more_alerts(f: &Fixtures) -> Vec<Row> {
    let (a, a2, d) = (f.alert.as_str(), f.alert2.as_str(), f.draft.as_str());
    let mut edit = high_alert(false);
    edit["title"] = json!("Critical SMB vulnerability: a second draft");
    edit["expected_version"] = json!(1);
    vec![
        row(GET, "/api/v1/alerts", &[], [200, 200, 200, 200, 200, 200]),
        row(POST, "/api/v1/alerts", &[], [201, 403, 403, 403, 403, 403]).json(high_alert(false)),
        row(
            POST,
            "/api/v1/alerts/import/csaf",
            &[],
            [201, 403, 403, 403, 403, 403],
        )
        .raw("application/json", example_csaf().to_string()),
        row(
            GET,
            "/api/v1/alerts/{id}",
            &[d],
            [200, 200, 404, 404, 404, 404],
        ),
        row(
            PUT,
            "/api/v1/alerts/{id}",
            &[d],
            [200, 403, 403, 403, 403, 403],
        )
        .json(edit),
        row(
            GET,
            "/api/v1/alerts/{id}/responses",
            &[a],
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/responses",
            &[d],
            [200, 200, 404, 404, 404, 404],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/responses.csv",
            &[a],
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/chase",
            &[a],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/exposure",
            &[a],
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            GET,
            "/api/v1/alerts/{id}/exposure",
            &[d],
            [200, 200, 404, 404, 404, 404],
        ),
        // All or nothing, and only for organisations the caller responds for.
        row(
            POST,
            "/api/v1/alerts/{id}/bulk-responses/{step}",
            &[a2, "acknowledge"],
            [403, 403, 200, 409, 403, 404],
        )
        .json(json!({"org_codes": ["A81001"]})),
        row(
            POST,
            "/api/v1/alerts/{id}/bulk-responses/{step}",
            &[a2, "acknowledge"],
            [403, 403, 404, 404, 404, 200],
        )
        .json(json!({"org_codes": ["RX1"]})),
    ]
}

/// Frameworks, the practice's self-assessment, its evidence and its submission.
fn assessments(f: &Fixtures) -> Vec<Row> {
    let (ten, evidence) = (f.ten_id.to_string(), f.evidence.to_string());
    let (ten, evidence) = (ten.as_str(), evidence.as_str());
    let gp = ["A81001", "2026"];
    let (ct, upload) = evidence_form(None, &f.document_ref, "policy.pdf", PDF);
    vec![
        row(GET, "/api/v1/frameworks", &[], [200, 200, 200, 200, 200, 200]),
        // Already imported: the admin's import changes nothing (200), and nobody else may.
        row(POST, "/api/v1/frameworks", &[], [200, 403, 403, 403, 403, 403])
            .raw("application/yaml", TEN_STANDARD),
        row(
            GET,
            "/api/v1/frameworks/{id}",
            &[ten],
            [200, 200, 200, 200, 200, 200],
        ),
        row(GET, "/api/v1/assessments", &[], [200, 200, 200, 200, 200, 200]).query("year=2026"),
        row(
            GET,
            "/api/v1/reports/national",
            &[],
            [200, 200, 403, 403, 403, 403],
        )
        .query("year=2026"),
        row(GET, "/api/v1/plans", &[], [200, 200, 200, 200, 200, 200]).query("year=2026"),
        row(
            GET,
            "/api/v1/organisations/{code}/assessments/{year}",
            &gp,
            [200, 200, 200, 200, 200, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/assessments/{year}",
            &["RX1", "2026"],
            [200, 200, 404, 404, 404, 200],
        ),
        row(
            PUT,
            "/api/v1/organisations/{code}/assessments/{year}/answers",
            &gp,
            [403, 403, 200, 200, 403, 404],
        )
        .json(json!({"answers": [{"ref": "1.1.2", "value": true}]})),
        row(
            PUT,
            "/api/v1/organisations/{code}/assessments/{year}/answers",
            &["RX1", "2026"],
            [403, 403, 404, 404, 404, 200],
        )
        .json(json!({"answers": [{"ref": "A1.a.1", "value": false}]})),
        row(
            PUT,
            "/api/v1/organisations/{code}/assessments/{year}/certificates",
            &gp,
            [403, 403, 200, 200, 403, 404],
        )
        .json(json!({"certificates": [{"kind": "cyber_essentials_plus", "reference": "CEP-1", "expires_on": "2027-01-01"}]})),
        row(
            POST,
            "/api/v1/organisations/{code}/assessments/{year}/evidence",
            &gp,
            [403, 403, 201, 201, 403, 404],
        )
        .raw(&ct, upload),
        row(
            GET,
            "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}",
            &["A81001", "2026", evidence],
            [200, 200, 200, 200, 200, 404],
        ),
        // The practice's document, asked for through the trust.
        row(
            GET,
            "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}",
            &["RX1", "2026", evidence],
            [404, 404, 404, 404, 404, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/assessments/{year}/oscal",
            &gp,
            [200, 200, 200, 200, 200, 404],
        ),
        row(
            DELETE,
            "/api/v1/organisations/{code}/assessments/{year}/evidence/{id}",
            &["A81001", "2026", evidence],
            [403, 403, 200, 404, 403, 404],
        ),
        row(
            POST,
            "/api/v1/organisations/{code}/assessments/{year}/submit",
            &gp,
            [403, 403, 200, 403, 403, 404],
        ),
        row(
            POST,
            "/api/v1/organisations/{code}/assessments/{year}/reopen",
            &gp,
            [403, 403, 200, 403, 403, 404],
        ),
    ]
}

/// The ICB's submitted assessment: the auditor's report, then its improvement plan from the
/// organisation's draft to the national team's approval.
fn audits_and_plans(f: &Fixtures) -> Vec<Row> {
    let icb = ["QAA", "2026"];
    let report = json!({"expected_revision": 0, "rating": "Limited assurance", "veracity": "partly_supported",
        "summary": "Board oversight is not evidenced.", "findings": [{"ref": "A1.a", "judgement": "agree"}], "issue": false});
    let actions: Vec<Value> = f
        .plan_refs
        .iter()
        .map(|r| json!({"ref": r, "action": format!("Put {r} in place"), "owner": "IG lead", "target_date": "2025-09-30"}))
        .collect();
    vec![
        row(
            GET,
            "/api/v1/organisations/{code}/assessments/{year}/independent-audit",
            &icb,
            [200, 200, 200, 200, 200, 404],
        ),
        row(
            PUT,
            "/api/v1/organisations/{code}/assessments/{year}/independent-audit",
            &icb,
            [403, 403, 403, 403, 200, 404],
        )
        .json(report),
        // The auditor issues what was saved above; the report is then fixed (409 after).
        row(
            POST,
            "/api/v1/organisations/{code}/assessments/{year}/independent-audit/issue",
            &icb,
            [403, 403, 403, 403, 200, 404],
        )
        .json(json!({"expected_revision": 1})),
        row(
            GET,
            "/api/v1/organisations/{code}/assessments/{year}/plan",
            &icb,
            [200, 200, 200, 200, 200, 404],
        ),
        // The member's copy of the same revision is stale once the lead's has landed.
        row(
            PUT,
            "/api/v1/organisations/{code}/assessments/{year}/plan",
            &icb,
            [403, 403, 200, 409, 403, 404],
        )
        .json(json!({"expected_revision": 0, "actions": actions})),
        row(
            POST,
            "/api/v1/organisations/{code}/assessments/{year}/plan/sign-off",
            &icb,
            [403, 403, 200, 403, 403, 404],
        )
        .json(json!({"expected_revision": 1})),
        // A national act: refused to everyone else before the organisation is looked at.
        row(
            POST,
            "/api/v1/organisations/{code}/assessments/{year}/plan/review",
            &icb,
            [200, 403, 403, 403, 403, 403],
        )
        .json(json!({"expected_revision": 2, "decision": "approve"})),
        row(
            POST,
            "/api/v1/organisations/{code}/assessments/{year}/plan/progress",
            &icb,
            [403, 403, 200, 200, 403, 404],
        )
        .json(json!({"actions": [{"ref": &f.plan_refs[0], "done": true}]})),
    ]
}

/// Feeds are imported by the national admin; mitigations are the organisation's; the national
/// estate is the national team's.
fn estate(f: &Fixtures) -> Vec<Row> {
    let mitigation = f.mitigation.to_string();
    let mitigation = mitigation.as_str();
    let csaf = zip_of(&[("example.json".into(), example_csaf().to_string())]);
    vec![
        row(GET, "/api/v1/feeds", &[], [200, 200, 200, 200, 200, 200]),
        row(
            PUT,
            "/api/v1/feeds/eol",
            &[],
            [200, 403, 403, 403, 403, 403],
        )
        .raw(
            "application/zip",
            zip_of(&[("windows.md".into(), WINDOWS_EOL.into())]),
        ),
        row(
            PUT,
            "/api/v1/feeds/kev",
            &[],
            [200, 403, 403, 403, 403, 403],
        )
        .raw("application/json", KEV_JSON),
        row(
            PUT,
            "/api/v1/feeds/osv",
            &[],
            [200, 403, 403, 403, 403, 403],
        )
        .raw("application/json", OSV_LOG4J),
        row(
            PUT,
            "/api/v1/feeds/csaf",
            &[],
            [200, 403, 403, 403, 403, 403],
        )
        .raw("application/zip", csaf),
        row(
            GET,
            "/api/v1/organisations/{code}/mitigations",
            &["A81001"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            POST,
            "/api/v1/organisations/{code}/mitigations",
            &["A81001"],
            [403, 403, 201, 201, 403, 404],
        )
        .json(
            json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows 10",
            "action": "isolate", "evidence": "VLAN 99"}),
        ),
        // The practice's mitigation, through the trust.
        row(
            DELETE,
            "/api/v1/organisations/{code}/mitigations/{id}",
            &["RX1", mitigation],
            [403, 403, 404, 404, 404, 404],
        ),
        row(
            DELETE,
            "/api/v1/organisations/{code}/mitigations/{id}",
            &["A81001", mitigation],
            [403, 403, 204, 404, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/unsupported",
            &["A81001"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/exposure",
            &["A81001"],
            [200, 200, 200, 200, 403, 404],
        ),
        // Everyone may ask; the answer names only the organisations the caller may see.
        row(GET, "/api/v1/exposure", &[], [200, 200, 200, 200, 200, 200])
            .query("cve=CVE-2017-0144"),
        row(GET, "/api/v1/estate", &[], [200, 200, 403, 403, 403, 403]),
        row(
            GET,
            "/api/v1/estate.csv",
            &[],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            GET,
            "/api/v1/estate/releases/{lifecycle}/{cycle}",
            &["windows", "7-sp1"],
            [200, 200, 403, 403, 403, 403],
        ),
    ]
}

/// The ICB's incidents: its notified one, its draft (the organisation's alone until notified),
/// and the trust's, which no one of the ICB may reach, not even through the ICB's own code.
fn incidents(f: &Fixtures) -> Vec<Row> {
    let (i, d, x) = (
        f.incident.as_str(),
        f.incident_draft.as_str(),
        f.incident_rx1.as_str(),
    );
    vec![
        row(
            POST,
            "/api/v1/organisations/{code}/incidents",
            &["QAA"],
            [403, 403, 201, 201, 403, 404],
        )
        .json(incident_body(false)),
        row(
            GET,
            "/api/v1/organisations/{code}/incidents",
            &["QAA"],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/incidents/{id}",
            &["QAA", i],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/incidents/{id}",
            &["QAA", d],
            [404, 404, 200, 200, 403, 404],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/incidents/{id}",
            &["RX1", x],
            [200, 200, 404, 404, 404, 200],
        ),
        row(
            GET,
            "/api/v1/organisations/{code}/incidents/{id}",
            &["QAA", x],
            [404, 404, 404, 404, 403, 404],
        ),
        row(
            PATCH,
            "/api/v1/organisations/{code}/incidents/{id}",
            &["QAA", d],
            [404, 404, 200, 200, 403, 404],
        )
        .json(json!({"title": "Ransomware on the imaging server (PACS)"})),
        row(
            PATCH,
            "/api/v1/organisations/{code}/incidents/{id}",
            &["QAA", i],
            [403, 403, 409, 409, 403, 404],
        )
        .json(json!({"title": "Changed after notification"})),
        row(
            POST,
            "/api/v1/organisations/{code}/incidents/{id}/notify",
            &["QAA", d],
            [404, 404, 200, 409, 403, 404],
        )
        .json(json!({})),
        row(
            POST,
            "/api/v1/organisations/{code}/incidents/{id}/updates",
            &["QAA", i],
            [403, 403, 200, 200, 403, 404],
        )
        .json(json!({"text": "Restoring from last night's backup."})),
        row(
            POST,
            "/api/v1/organisations/{code}/incidents/{id}/messages",
            &["QAA", i],
            [403, 403, 200, 200, 403, 404],
        )
        .json(json!({"text": "Our supplier is on site."})),
        row(
            GET,
            "/api/v1/organisations/{code}/incidents/{id}/regulator",
            &["QAA", i],
            [200, 200, 200, 200, 403, 404],
        ),
        row(
            GET,
            "/api/v1/incidents",
            &[],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            GET,
            "/api/v1/incidents/{id}",
            &[i],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            POST,
            "/api/v1/incidents/{id}/triage",
            &[i],
            [200, 403, 403, 403, 403, 403],
        )
        .json(json!({"severity": "high", "note": "Imaging down at one site"})),
        row(
            POST,
            "/api/v1/incidents/{id}/messages",
            &[i],
            [200, 403, 403, 403, 403, 403],
        )
        .json(json!({"text": "Liaising with the supplier", "internal": true})),
        row(
            POST,
            "/api/v1/incidents/{id}/indicators",
            &[i],
            [201, 403, 403, 403, 403, 403],
        )
        .json(json!({"type": "domain", "value": "evil.example", "tlp": "amber"})),
        row(
            GET,
            "/api/v1/indicators",
            &[],
            [200, 200, 403, 403, 403, 403],
        )
        .query("value=evil.example"),
        row(
            POST,
            "/api/v1/incidents/{id}/alert",
            &[i],
            [201, 403, 403, 403, 403, 403],
        )
        .json(json!({})),
        row(
            POST,
            "/api/v1/incidents/{id}/text",
            &[i],
            [200, 403, 403, 403, 403, 403],
        )
        .json(json!({"text": "Call the cyber desk now"})),
        row(
            GET,
            "/api/v1/playbooks",
            &[],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            GET,
            "/api/v1/playbooks/{key}",
            &["ransomware"],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            GET,
            "/api/v1/playbooks/{key}/cacao",
            &["ransomware"],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            POST,
            "/api/v1/incidents/{id}/playbooks",
            &[i],
            [201, 403, 403, 403, 403, 403],
        )
        .json(json!({"key": "ransomware"})),
        row(
            POST,
            "/api/v1/incidents/{id}/playbooks",
            &[x],
            [201, 403, 403, 403, 403, 403],
        )
        .json(json!({"key": "ransomware"})),
        row(
            POST,
            "/api/v1/incidents/{id}/tasks/{task_id}",
            &[i, &f.task],
            [200, 403, 403, 403, 403, 403],
        )
        .json(json!({"state": "done", "note": "Supplier access suspended"})),
        row(
            POST,
            "/api/v1/incidents/{id}/tasks/{task_id}",
            &[x, &f.task],
            [404, 403, 403, 403, 403, 403],
        )
        .json(json!({"state": "done"})),
        row(
            GET,
            "/api/v1/incidents/figures",
            &[],
            [200, 200, 403, 403, 403, 403],
        ),
        row(
            GET,
            "/api/v1/incidents/figures.csv",
            &[],
            [200, 200, 403, 403, 403, 403],
        ),
    ]
}

/// The background jobs: national administrators only.
fn jobs() -> Vec<Row> {
    vec![
        row(GET, "/api/v1/jobs", &[], [200, 403, 403, 403, 403, 403]),
        row(
            GET,
            "/api/v1/jobs/{name}/runs",
            &["reminders"],
            [200, 403, 403, 403, 403, 403],
        ),
        row(
            POST,
            "/api/v1/jobs/{name}/run",
            &["housekeeping"],
            [202, 403, 403, 403, 403, 403],
        ),
    ]
}
