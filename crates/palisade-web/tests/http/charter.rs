//! The supplier cyber security charter: signing, its state over a year to the exact days, the
//! public list, withdrawing, a new version, bad input, and the supplier's page.

use crate::support::*;

/// The charter installed and an IT supplier with its lead and member: (lead, member) tokens.
async fn supplier(h: &H) -> (String, String) {
    assert!(h.app.install_shipped_charter().await.unwrap());
    assert!(!h.app.install_shipped_charter().await.unwrap());
    h.org("YGM01", "it_supplier", "").await;
    let lead = h
        .person("cto@supplier.example", Role::OrgLead, Some("YGM01"))
        .await;
    let member = h
        .person("dev@supplier.example", Role::OrgMember, Some("YGM01"))
        .await;
    (lead.1, member.1)
}

const CHARTER: &str = "/api/v1/organisations/YGM01/charter";
const SIGN: &str = "/api/v1/organisations/YGM01/charter/signatures";

fn signature(signed_on: &str) -> Value {
    json!({"signatory_name": "Ada Lovelace", "signatory_position": "Chief Executive",
        "signed_on": signed_on})
}

/// The supplier's answer to signing on `signed_on` as `token`.
async fn sign(h: &H, token: &str, signed_on: &str) -> Resp {
    h.api(Method::POST, SIGN, Some(token), Some(signature(signed_on)))
        .await
}

async fn state(h: &H, token: &str) -> Value {
    let r = h.api(Method::GET, CHARTER, Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

async fn public_codes(h: &H) -> Vec<String> {
    let r = anonymous(h, "/api/v1/public/charter-signatories").await;
    assert_eq!(r.status, StatusCode::OK);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_string())
        .collect()
}

per_engine!(
    a_signature_is_in_force_for_a_year_and_then_lapses,
    a_signature_is_in_force_for_a_year_and_then_lapses_sqlite,
    a_signature_is_in_force_for_a_year_and_then_lapses_postgres
);

async fn a_signature_is_in_force_for_a_year_and_then_lapses(h: H) {
    let (lead, member) = supplier(&h).await;
    let c = h
        .api(Method::GET, "/api/v1/charter", Some(&member), None)
        .await;
    let c = c.json();
    assert_eq!(c["version"], 1);
    assert_eq!(c["commitments"].as_array().unwrap().len(), 8);
    assert_eq!(c["commitments"][0]["key"], "supported_systems");
    assert_eq!(state(&h, &member).await["state"], "not_signed");
    assert!(public_codes(&h).await.is_empty());

    // The test clock reads 2025-06-15 (UTC): signed today, in force for 12 months.
    let r = sign(&h, &lead, "2025-06-15").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let s = r.json();
    assert_eq!(
        (&s["state"], &s["signed_on"], &s["expires_on"]),
        (&json!("signed"), &json!("2025-06-15"), &json!("2026-06-15"))
    );
    assert_eq!(s["recorded_by"], "cto@supplier.example");
    assert_eq!(public_codes(&h).await, ["YGM01"]);
    let csv = anonymous(&h, "/api/v1/public/charter-signatories.csv")
        .await
        .text();
    assert!(
        csv.contains("YGM01,Org YGM01,signed,2025-06-15,2026-06-15,1"),
        "{csv}"
    );
    // A supplier made inactive leaves the public list, and returns with it.
    h.set_active("YGM01", false).await;
    assert!(public_codes(&h).await.is_empty());
    h.set_active("YGM01", true).await;
    assert_eq!(public_codes(&h).await, ["YGM01"]);
    // So does one re-registered as another type of organisation.
    let retype = |t: &str| {
        let (h, t) = (&h, t.to_string());
        async move {
            let patch = palisade_app::orgs::OrgPatch {
                org_type: Some(t),
                ..Default::default()
            };
            h.app
                .update_org(&palisade_app::Actor::cli(), "YGM01", &patch)
                .await
                .unwrap();
        }
    };
    retype("csu").await;
    assert!(public_codes(&h).await.is_empty());
    retype("it_supplier").await;
    assert_eq!(public_codes(&h).await, ["YGM01"]);

    // Day by day at the edges: signed through 31 days before expiry, due for reaffirmation
    // from 30 days before through the day of expiry, lapsed from the day after.
    let day = time::Duration::days(1);
    h.clock.advance(day * 334); // 2026-05-15: expiry less 31 days
    assert_eq!(state(&h, &member).await["state"], "signed");
    h.clock.advance(day); // 2026-05-16: expiry less 30 days
    assert_eq!(state(&h, &member).await["state"], "reaffirmation_due");
    h.clock.advance(day * 30); // 2026-06-15: the day of expiry
    assert_eq!(state(&h, &member).await["state"], "reaffirmation_due");
    assert_eq!(public_codes(&h).await, ["YGM01"]);
    h.clock.advance(day); // 2026-06-16
    assert_eq!(state(&h, &member).await["state"], "lapsed");
    assert!(public_codes(&h).await.is_empty());

    // Reaffirmed, then withdrawn: off the list; a second withdrawal is refused.
    let r = sign(&h, &lead, "2026-06-16").await;
    assert_eq!(r.json()["state"], "signed");
    let current = format!("{SIGN}/current");
    let r = h.api(Method::DELETE, &current, Some(&lead), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "withdrawn");
    assert!(r.json()["withdrawn_at"].is_string());
    assert!(public_codes(&h).await.is_empty());
    let r = h.api(Method::DELETE, &current, Some(&lead), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // A new version of the charter asks a signatory to sign again, from the day it is
    // published: imported two days ahead, version 1 stays in force until then.
    let r = sign(&h, &lead, "2026-06-16").await;
    assert_eq!(r.json()["state"], "signed");
    let v2 = palisade_domain::charter::SHIPPED
        .replace("version: 1", "version: 2")
        .replace("published_on: 2025-05-01", "published_on: 2026-06-18");
    let (kept, created) = h
        .app
        .import_charter(&palisade_app::Actor::cli(), &v2)
        .await
        .unwrap();
    assert_eq!((kept.version, created), (2, true));
    let s = state(&h, &member).await;
    assert_eq!(
        (&s["state"], &s["charter_version"]),
        (&json!("signed"), &json!(1))
    );
    let r = sign(&h, &lead, "2026-06-16").await;
    assert_eq!(r.json()["signed_version"], 1, "{}", r.text());
    h.clock.advance(day * 2); // 2026-06-18
    let s = state(&h, &member).await;
    assert_eq!(
        (&s["state"], &s["charter_version"], &s["signed_version"]),
        (&json!("reaffirmation_due"), &json!(2), &json!(1))
    );

    let actions = h.audit_actions(&lead).await;
    for a in ["charter.sign", "charter.withdraw"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let withdrawn = h.audit_summary(&lead, "charter.withdraw").await;
    assert_eq!(
        (&withdrawn["signed_on"], &withdrawn["charter_version"]),
        (&json!("2026-06-16"), &json!(1)),
        "{withdrawn}"
    );
}

per_engine!(
    the_uk_day_decides_signing_and_lapsing,
    the_uk_day_decides_signing_and_lapsing_sqlite,
    the_uk_day_decides_signing_and_lapsing_postgres
);

/// Around midnight in a British summer: 23:30 UTC is already the next day in the UK.
async fn the_uk_day_decides_signing_and_lapsing(h: H) {
    let (lead, member) = supplier(&h).await;
    // The test clock reads 2025-06-15 15:06:40 UTC; 22:59:59 UTC is 23:59:59 BST.
    h.clock.advance(time::Duration::seconds(28_399));
    let r = sign(&h, &lead, "2025-06-16").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "signed_on");
    // 23:30:59 UTC: 00:30:59 on 16 June in the UK.
    h.clock.advance(time::Duration::minutes(31));
    let r = sign(&h, &lead, "2025-06-16").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["expires_on"], "2026-06-16");
    // A year on, 22:30:59 UTC on 16 June is still the day of expiry in the UK; an hour later
    // it is the 17th and the signature has lapsed.
    h.clock
        .advance(time::Duration::days(365) + time::Duration::hours(23));
    assert_eq!(state(&h, &member).await["state"], "reaffirmation_due");
    assert_eq!(public_codes(&h).await, ["YGM01"]);
    h.clock.advance(time::Duration::hours(1));
    assert_eq!(state(&h, &member).await["state"], "lapsed");
    assert!(public_codes(&h).await.is_empty());
}

per_engine!(
    bad_signatures_are_refused_by_field_and_nothing_is_written,
    bad_signatures_are_refused_by_field_and_nothing_is_written_sqlite,
    bad_signatures_are_refused_by_field_and_nothing_is_written_postgres
);

async fn bad_signatures_are_refused_by_field_and_nothing_is_written(h: H) {
    let (lead, _) = supplier(&h).await;
    let w = world(&h).await;
    let before = h.audit_actions(&w.admin.1).await.len();
    let cases = [
        (
            json!({"signatory_name": "Ada Lovelace", "signatory_position": " ",
            "signed_on": "2025-06-15"}),
            "signatory_position",
        ),
        (signature("2025-06-16"), "signed_on"),
        (signature("2025-04-30"), "signed_on"),
        (signature("15/06/2025"), "signed_on"),
        (
            json!({"signatory_name": "", "signatory_position": "Chief Executive",
            "signed_on": "2025-06-15"}),
            "signatory_name",
        ),
    ];
    for (body, field) in cases {
        let r = h
            .api(Method::POST, SIGN, Some(&lead), Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.text());
    }
    // Only an IT supplier signs.
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/QAA/charter/signatures",
            Some(&w.lead.1),
            Some(signature("2025-06-15")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "code");
    let r = h
        .api(
            Method::GET,
            "/api/v1/organisations/QAA/charter",
            Some(&w.lead.1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nothing to withdraw yet.
    let r = h
        .api(
            Method::DELETE,
            &format!("{SIGN}/current"),
            Some(&lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(h.audit_actions(&w.admin.1).await.len(), before);
    assert_eq!(state(&h, &lead).await["state"], "not_signed");
}

per_engine!(
    the_supplier_page_signs_with_a_confirmation,
    the_supplier_page_signs_with_a_confirmation_sqlite,
    the_supplier_page_signs_with_a_confirmation_postgres
);

async fn the_supplier_page_signs_with_a_confirmation(h: H) {
    supplier(&h).await;
    let (session, csrf) = h.sign_in("cto@supplier.example", PASSWORD).await.unwrap();
    let page = "/organisations/YGM01/charter";
    let org = h
        .page(Method::GET, "/organisations/YGM01", &session, None)
        .await
        .text();
    assert!(
        org.contains("href=\"/organisations/YGM01/charter\""),
        "{org}"
    );
    let html = h.page(Method::GET, page, &session, None).await.text();
    assert!(html.contains("Not signed"), "{html}");
    assert!(html.contains("Record the signature"));
    assert!(!html.contains("Withdraw the signature"));

    // Without the tick the form comes back with the error beside the box, values kept.
    let form =
        "signatory_name=Ada+Lovelace&signatory_position=Chief+Executive&signed_on=2025-06-15";
    let r = h
        .page(
            Method::POST,
            &format!("{page}/sign"),
            &session,
            Some(format!("csrf_token={csrf}&{form}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("href=\"#confirmation\""), "{html}");
    assert!(html.contains("value=\"Ada Lovelace\""));

    let r = h
        .page(
            Method::POST,
            &format!("{page}/sign"),
            &session,
            Some(format!("csrf_token={csrf}&{form}&confirmation=yes")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h.page(Method::GET, page, &session, None).await.text();
    // The state's tag, not "Signed by" or "Signed on", which any signature shows.
    assert!(
        html.contains("nhsuk-tag--green\">Signed</strong>"),
        "{html}"
    );
    assert!(html.contains("Ada Lovelace, Chief Executive"));
    assert!(html.contains("2026-06-15"));
    assert!(html.contains("Withdraw the signature"));

    // Anyone reads the list; the charter itself to anyone signed in.
    let list = anonymous(&h, "/charter/signatories").await.text();
    assert!(list.contains("YGM01"), "{list}");
    let text = h.page(Method::GET, "/charter", &session, None).await.text();
    assert!(text.contains("Immutable, tested backups"));

    let r = h
        .page(
            Method::POST,
            &format!("{page}/withdraw"),
            &session,
            Some(format!("csrf_token={csrf}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = anonymous(&h, "/charter/signatories").await.text();
    assert!(
        list.contains("No supplier has signed the charter yet"),
        "{list}"
    );
}

/// A commitment of the supplier's charter, from its page in the API.
fn commitment(charter: &Value, key: &str) -> (String, String) {
    let c = charter["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {charter}"));
    (
        c["state"].as_str().unwrap().to_string(),
        c["reason"].as_str().unwrap().to_string(),
    )
}

per_engine!(
    commitments_are_checked_live_or_shown_by_evidence,
    commitments_are_checked_live_or_shown_by_evidence_sqlite,
    commitments_are_checked_live_or_shown_by_evidence_postgres
);

async fn commitments_are_checked_live_or_shown_by_evidence(h: H) {
    let (lead, member) = supplier(&h).await;
    let w = world(&h).await;
    let now = state(&h, &member).await;
    assert_eq!(now["commitments"].as_array().unwrap().len(), 8);
    let (s, why) = commitment(&now, "supported_systems");
    assert_eq!(
        (s.as_str(), why.as_str()),
        ("live_not_met", "no inventory of its own estate in Palisade")
    );
    let (s, why) = commitment(&now, "dspt_standards_met");
    assert_eq!(
        (s.as_str(), why.as_str()),
        ("live_not_met", "no published assessment this year or last")
    );
    assert_eq!(
        commitment(&now, "mfa"),
        ("missing".into(), "no statement yet".into())
    );

    // The supplier's own estate: Windows 7, out of support.
    let eol = zip_of(&[("windows.md".to_string(), WINDOWS_EOL.to_string())]);
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/feeds/eol",
            &w.admin.1,
            "application/zip",
            eol,
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let csv = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing\n\
               PC-1,workstation,Microsoft,Windows,7 SP1,,,no\n";
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/organisations/YGM01/inventory",
            &lead,
            "text/csv",
            csv,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (s, why) = commitment(&state(&h, &member).await, "supported_systems");
    assert_eq!(
        (s.as_str(), why.as_str()),
        (
            "live_not_met",
            "1 unsupported system without a mitigation today"
        )
    );
    // Mitigated today: met, with no High alert to answer.
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/YGM01/mitigations",
            Some(&lead),
            Some(
                json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows",
                "action": "isolate", "evidence": "VLAN 99, no internet"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (s, _) = commitment(&state(&h, &member).await, "supported_systems");
    assert_eq!(s, "live_met");

    // A High alert to IT suppliers, acknowledged exactly at its 48-hour due time: on time.
    let mut alert = high_alert(true);
    alert["audience"] = json!({"org_types": ["it_supplier"]});
    let first = h.create_alert(&w.admin.1, alert.clone()).await;
    h.clock.advance(time::Duration::hours(48));
    let ack = |reference: String| {
        let (h, lead) = (&h, lead.clone());
        async move {
            let url = format!("/api/v1/alerts/{reference}/responses/YGM01/acknowledge");
            let r = h
                .api(Method::POST, &url, Some(&lead), Some(json!({})))
                .await;
            assert!(r.status.is_success(), "{}", r.text());
        }
    };
    ack(first).await;
    let (s, why) = commitment(&state(&h, &member).await, "supported_systems");
    assert_eq!(s, "live_met", "{why}");
    assert!(
        why.contains("1 High alert of the last 12 months answered on time"),
        "{why}"
    );
    // Another, acknowledged one second after its due time: not met, naming it.
    let second = h.create_alert(&w.admin.1, alert.clone()).await;
    h.clock
        .advance(time::Duration::hours(48) + time::Duration::seconds(1));
    ack(second.clone()).await;
    let (s, why) = commitment(&state(&h, &member).await, "supported_systems");
    assert_eq!(
        (s.as_str(), why),
        (
            "live_not_met",
            format!("High alerts answered late: {second}")
        )
    );
    // A High alert that asks for no response is never late, however long it waits.
    let mut quiet = alert.clone();
    quiet["response_required"] = json!(false);
    h.create_alert(&w.admin.1, quiet).await;
    // One that reached the supplier only when an update widened its audience three days
    // later is due 48 hours from that update, not from its first publication.
    let mut trusts = alert.clone();
    trusts["audience"] = json!({"org_types": ["acute_trust"]});
    let widened = h.create_alert(&w.admin.1, trusts).await;
    h.clock.advance(time::Duration::days(3));
    let mut update = alert;
    update["expected_version"] = json!(1);
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/alerts/{widened}"),
            Some(&w.admin.1),
            Some(update),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    h.clock.advance(time::Duration::hours(47));
    ack(widened).await;
    let (_, why) = commitment(&state(&h, &member).await, "supported_systems");
    assert_eq!(why, format!("High alerts answered late: {second}"));

    // Evidence: what the lead shows, refused by field when wrong.
    let put = |key: &str, token: &str, body: Value| {
        let (h, url, token) = (
            &h,
            format!("/api/v1/organisations/YGM01/charter/commitments/{key}"),
            token.to_string(),
        );
        async move { h.api(Method::PUT, &url, Some(&token), Some(body)).await }
    };
    let good = json!({"statement": "Every account signs in with a hardware key.",
        "expires_on": "2026-06-01",
        "certificate": {"kind": "ISO/IEC 27001", "reference": "IS 123456", "expires_on": "2026-03-01"}});
    let r = put("mfa", &member, good.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = put("supported_systems", &lead, good.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "key");
    let r = put("firewalls", &lead, good.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mut past = good.clone();
    past["certificate"]["expires_on"] = json!("2025-06-18");
    let r = put("mfa", &lead, past).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["field"],
        "certificate.expires_on",
        "{}",
        r.text()
    );
    let r = put("mfa", &lead, good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let body = r.json();
    assert_eq!(
        (&body["state"], &body["reason"]),
        (
            &json!("missing"),
            &json!("a statement, but no document yet")
        )
    );
    assert_eq!(body["evidence"]["certificate"]["reference"], "IS 123456");
    // A document makes it evidence; a file that is not what it says is refused by field.
    let docs = "/api/v1/organisations/YGM01/charter/commitments/mfa/evidence";
    let (ct, form) = evidence_form(None, "", "tool.pdf", b"MZ\x90\x00");
    let r = h.raw(Method::POST, docs, &lead, &ct, form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "file");
    let (ct, form) = evidence_form(None, "", "keys.pdf", PDF);
    let r = h.raw(Method::POST, docs, &member, &ct, form.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.raw(Method::POST, docs, &lead, &ct, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let body = r.json();
    assert_eq!(
        (&body["state"], &body["reason"]),
        (
            &json!("evidenced"),
            &json!("a statement and 1 document until 2026-06-01")
        )
    );
    let id = body["documents"][0]["id"].as_i64().unwrap();
    let file = format!("/api/v1/organisations/YGM01/charter/documents/{id}");
    let r = h.api(Method::GET, &file, Some(&member), None).await;
    assert_eq!((r.status, r.body.as_slice()), (StatusCode::OK, PDF));
    let r = h.api(Method::GET, &file, Some(&w.foreign.1), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Another supplier's lead asking for it under its own code finds nothing either.
    h.org("YGM02", "it_supplier", "").await;
    let other = h
        .person("cto@other.example", Role::OrgLead, Some("YGM02"))
        .await;
    let theirs = format!("/api/v1/organisations/YGM02/charter/documents/{id}");
    let r = h.api(Method::GET, &theirs, Some(&other.1), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Removing a document: the lead's act, and only the supplier's own.
    let r = h.api(Method::DELETE, &theirs, Some(&other.1), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.api(Method::DELETE, &file, Some(&member), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.api(Method::DELETE, &file, Some(&lead), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (&r.json()["state"], &r.json()["reason"]),
        (
            &json!("missing"),
            &json!("a statement, but no document yet")
        )
    );
    let r = h.api(Method::GET, &file, Some(&member), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let removed = h.audit_summary(&lead, "charter.document.remove").await;
    assert_eq!(removed["filename"], "keys.pdf");
    let (ct, form) = evidence_form(None, "", "keys.pdf", PDF);
    let r = h.raw(Method::POST, docs, &lead, &ct, form).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // The certificate runs out before the statement does.
    h.clock.advance(time::Duration::days(260));
    let (s, why) = commitment(&state(&h, &member).await, "mfa");
    assert_eq!(
        (s.as_str(), why.as_str()),
        ("expired", "the certificate expired on 2026-03-01")
    );
    let actions = h.audit_actions(&lead).await;
    for a in ["charter.commitment", "charter.document"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let saved = h.audit_summary(&lead, "charter.commitment").await;
    assert_eq!(
        saved["statement_sha256"],
        palisade_app::auth::sha256_hex("Every account signs in with a hardware key."),
        "{saved}"
    );
    assert_eq!(saved["certificate"]["expires_on"], "2026-03-01");
}

per_engine!(
    the_lead_keeps_a_commitments_statement_on_its_page,
    the_lead_keeps_a_commitments_statement_on_its_page_sqlite,
    the_lead_keeps_a_commitments_statement_on_its_page_postgres
);

async fn the_lead_keeps_a_commitments_statement_on_its_page(h: H) {
    let (lead, _) = supplier(&h).await;
    let (session, csrf) = h.sign_in("cto@supplier.example", PASSWORD).await.unwrap();
    let html = h
        .page(Method::GET, "/organisations/YGM01/charter", &session, None)
        .await
        .text();
    // Every commitment has its page; live ones are not the supplier's to edit.
    assert!(
        html.contains("href=\"/organisations/YGM01/charter/commitments/mfa\""),
        "{html}"
    );
    assert!(html.contains("no inventory of its own estate in Palisade"));
    let live = "/organisations/YGM01/charter/commitments/supported_systems";
    let html = h.page(Method::GET, live, &session, None).await.text();
    assert!(html.contains("no inventory of its own estate in Palisade"));
    assert!(!html.contains("<form method=\"post\""), "{html}");
    let form = "/organisations/YGM01/charter/commitments/mfa";
    let html = h.page(Method::GET, form, &session, None).await.text();
    assert!(html.contains("Multi-factor authentication"));
    assert!(html.contains("<form method=\"post\""), "{html}");
    let r = h
        .page(
            Method::POST,
            form,
            &session,
            Some(format!(
                "csrf_token={csrf}&statement=&expires_on=2027-01-01&certificate_kind=ISO&certificate_reference=&certificate_expires_on="
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    for field in [
        "#statement",
        "#certificate.reference",
        "#certificate.expires_on",
    ] {
        assert!(
            html.contains(&format!("href=\"{field}\"")),
            "{field}: {html}"
        );
    }
    assert!(html.contains("value=\"ISO\""), "the typed values stay");
    let r = h
        .page(
            Method::POST,
            form,
            &session,
            Some(format!(
                "csrf_token={csrf}&statement=Hardware+keys+for+every+account.&expires_on=2027-01-01&certificate_kind=&certificate_reference=&certificate_expires_on="
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h.page(Method::GET, form, &session, None).await.text();
    assert!(html.contains("Hardware keys for every account."));
    assert!(html.contains("a statement, but no document yet"));
    let (ct, body) = evidence_form(Some(&csrf), "", "keys.pdf", PDF);
    let r = h
        .send(upload(
            &format!("{form}/evidence"),
            &session,
            (ct, String::from_utf8(body).unwrap()),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h.page(Method::GET, form, &session, None).await.text();
    assert!(html.contains("keys.pdf"), "{html}");
    assert!(html.contains("Evidenced"), "{html}");
    // The member reads what the supplier shows, with no form to change it.
    let member = h.sign_in("dev@supplier.example", PASSWORD).await.unwrap().0;
    let r = h.page(Method::GET, form, &member, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("Hardware keys for every account."), "{html}");
    assert!(html.contains("keys.pdf"), "{html}");
    assert!(!html.contains("<form method=\"post\""), "{html}");
    let r = h
        .page(
            Method::GET,
            "/organisations/YGM01/charter/commitments/firewalls",
            &member,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The lead removes the document from the page.
    let id = state(&h, &lead).await["commitments"][2]["documents"][0]["id"]
        .as_i64()
        .unwrap();
    let remove = format!("/organisations/YGM01/charter/documents/{id}/remove");
    let r = h
        .page(
            Method::POST,
            &remove,
            &session,
            Some(format!("csrf_token={csrf}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h.page(Method::GET, form, &session, None).await.text();
    assert!(!html.contains("keys.pdf"), "{html}");
    assert!(html.contains("a statement, but no document yet"));
}
