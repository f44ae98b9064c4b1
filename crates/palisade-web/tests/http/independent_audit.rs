//! The independent audit of a submitted assessment, over the API and the page.

use crate::support::*;

per_engine!(
    independent_audit_is_recorded_by_the_auditor_and_read_once_issued,
    independent_audit_is_recorded_by_the_auditor_and_read_once_issued_sqlite,
    independent_audit_is_recorded_by_the_auditor_and_read_once_issued_postgres
);

async fn independent_audit_is_recorded_by_the_auditor_and_read_once_issued(h: H) {
    let w = world(&h).await;
    let (admin, lead, member, auditor, foreign) = (
        &w.admin.1,
        &w.lead.1,
        &w.member.1,
        &w.auditor.1,
        &w.foreign.1,
    );
    h.import_framework(admin, CAF).await;
    h.import_framework(admin, TEN_STANDARD).await;
    let base = "/api/v1/organisations/QAA/assessments/2026";
    let url = format!("{base}/independent-audit");
    let report = |rev: i64, findings: Value, issue: bool| {
        json!({"expected_revision": rev, "rating": "Limited assurance", "veracity": "partly_supported",
               "summary": if issue { "Board oversight is not evidenced." } else { "" },
               "findings": findings, "issue": issue})
    };
    let findings = json!([
        {"ref": "A1.a", "judgement": "agree"},
        {"ref": "A1.b", "judgement": "disagree", "comment": "No named security lead in the minutes"}
    ]);

    let before = h.api(Method::GET, &url, Some(auditor), None).await.json();
    assert_eq!(
        (before["required"].as_bool(), before["state"].is_null()),
        (Some(true), true)
    );
    let r = put_json(&h, &url, auditor, report(0, findings.clone(), false)).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "not before submission: {}",
        r.text()
    );
    let one = json!({"answers": [{"ref": "A1.a.6", "value": true}]});
    h.api(
        Method::PUT,
        &format!("{base}/answers"),
        Some(member),
        Some(one),
    )
    .await;
    assert_eq!(
        h.api(Method::POST, &format!("{base}/submit"), Some(lead), None)
            .await
            .status,
        StatusCode::OK
    );
    // A reopened assessment is being changed: it is audited again once resubmitted.
    for (step, status) in [("reopen", 200), ("", 409), ("submit", 200)] {
        let r = if step.is_empty() {
            put_json(&h, &url, auditor, report(0, findings.clone(), false)).await
        } else {
            h.api(Method::POST, &format!("{base}/{step}"), Some(lead), None)
                .await
        };
        assert_eq!(r.status.as_u16(), status, "{step}: {}", r.text());
    }

    let analyst = &w.analyst.1;
    for (token, status) in [
        (lead, 403),
        (member, 403),
        (admin, 403),
        (analyst, 403),
        (foreign, 404),
    ] {
        assert_eq!(
            put_json(&h, &url, token, report(0, findings.clone(), false))
                .await
                .status
                .as_u16(),
            status
        );
    }
    let bad =
        json!([{"ref": "A1.b", "judgement": "disagree"}, {"ref": "Z9.z", "judgement": "agree"}]);
    let mut body = report(0, bad, false);
    body["rating"] = json!("Gold");
    let r = put_json(&h, &url, auditor, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text();
    assert!(
        text.contains("findings.A1.b.comment")
            && text.contains("findings.Z9.z")
            && text.contains("not on this framework's scale"),
        "{text}"
    );

    let r = put_json(&h, &url, auditor, report(0, findings.clone(), false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["state"].as_str(), r.json()["revision"].as_i64()),
        (Some("draft"), Some(1))
    );
    let seen = h.api(Method::GET, &url, Some(lead), None).await.json();
    assert!(
        seen["state"].is_null() && seen["lines"][1]["agrees"].is_null(),
        "a draft is the auditor's alone"
    );
    let r = put_json(
        &h,
        &url,
        auditor,
        json!({"expected_revision": 1, "findings": findings, "issue": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("rating")
            && r.text().contains("veracity")
            && r.text().contains("summary")
    );
    // Issuing is its own action: it issues the report as saved, and changes nothing else.
    let issue = |rev: i64| {
        let (h, uri, token) = (&h, format!("{url}/issue"), auditor.to_string());
        async move {
            h.api(
                Method::POST,
                &uri,
                Some(&token),
                Some(json!({"expected_revision": rev})),
            )
            .await
        }
    };
    let r = issue(1).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("summary"), "{}", r.text());
    let mut complete = report(1, findings.clone(), true);
    complete["issue"] = json!(false);
    let r = put_json(&h, &url, auditor, complete).await;
    assert_eq!(
        (r.json()["state"].as_str(), r.json()["revision"].as_i64()),
        (Some("draft"), Some(2)),
        "{}",
        r.text()
    );
    assert_eq!(
        issue(1).await.status,
        StatusCode::CONFLICT,
        "a stale revision"
    );
    // The organisation's own audit log says that the draft moved, not what it says.
    let saved = h.audit_summary(lead, "independent_audit.save").await;
    assert!(saved["findings"].is_number(), "{saved}");
    for hidden in ["rating", "veracity", "disagreements"] {
        assert!(saved[hidden].is_null(), "{hidden} in {saved}");
    }
    let r = issue(2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "issued");
    assert_eq!(
        issue(3).await.status,
        StatusCode::CONFLICT,
        "issued already"
    );
    let seen = h.api(Method::GET, &url, Some(lead), None).await.json();
    assert_eq!(
        (
            seen["state"].as_str(),
            seen["rating"].as_str(),
            seen["veracity"].as_str()
        ),
        (
            Some("issued"),
            Some("Limited assurance"),
            Some("partly_supported")
        )
    );
    let b = seen["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ref"] == "A1.b")
        .unwrap()
        .clone();
    assert_eq!(
        (b["agrees"].as_bool(), b["comment"].as_str()),
        (Some(false), Some("No named security lead in the minutes"))
    );
    assert_eq!(
        put_json(&h, &url, auditor, report(2, findings.clone(), false))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        h.api(Method::GET, &url, Some(foreign), None).await.status,
        StatusCode::NOT_FOUND
    );
    let log = h
        .api(
            Method::GET,
            "/api/v1/audit?action=independent_audit.issue",
            Some(admin),
            None,
        )
        .await
        .json();
    assert_eq!(log["meta"]["total"], 1);

    // A GP practice (category 4) beneath the ICB is not independently audited.
    let gp = "/api/v1/organisations/A81001/assessments/2026/independent-audit";
    assert_eq!(
        h.api(Method::GET, gp, Some(auditor), None).await.json()["required"],
        false
    );
    let r = h
        .api(
            Method::PUT,
            gp,
            Some(auditor),
            Some(report(0, json!([]), false)),
        )
        .await;
    assert!(
        r.status == StatusCode::CONFLICT && r.text().contains("category 4"),
        "{}",
        r.text()
    );

    // The pages: the issued report for the organisation.
    let (session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(
            Method::GET,
            "/organisations/QAA/assessments/2026/independent-audit",
            &session,
            None,
        )
        .await
        .text();
    assert!(
        page.contains("Limited assurance") && page.contains("No named security lead"),
        "{page}"
    );
}

#[tokio::test]
async fn the_auditor_works_through_the_audit_page() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    h.import_framework(&w.admin.1, CAF).await;
    let base = "/api/v1/organisations/QAA/assessments/2026";
    let one = json!({"answers": [{"ref": "A1.a.6", "value": true}]});
    h.api(
        Method::PUT,
        &format!("{base}/answers"),
        Some(&w.member.1),
        Some(one),
    )
    .await;
    h.api(
        Method::POST,
        &format!("{base}/submit"),
        Some(&w.lead.1),
        None,
    )
    .await;
    let (session, csrf) = h.sign_in("auditor@x.nhs.uk", PASSWORD).await.unwrap();
    let url = "/organisations/QAA/assessments/2026/independent-audit";
    let page = h.page(Method::GET, url, &session, None).await.text();
    assert!(page.contains("name=\"j:A1.a\"") && page.contains("Issue the report"));
    let form = |extra: &str| {
        format!(
            "csrf_token={csrf}&revision=0&j%3AA1.b=disagree&c%3AA1.b=&c%3AA1.a=&rating=&veracity=&summary=&issue=0{extra}"
        )
    };
    let r = h.page(Method::POST, url, &session, Some(form(""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("href=\"#findings.A1.b.comment\""),
        "{}",
        r.text()
    );
    let ok = format!(
        "csrf_token={csrf}&revision=0&j%3AA1.b=disagree&c%3AA1.b=Not+evidenced&c%3AA1.a=&rating=Moderate+assurance&veracity=supported&summary=Sound&issue=1"
    );
    let r = h.page(Method::POST, url, &session, Some(ok)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = h.page(Method::GET, url, &session, None).await.text();
    assert!(
        page.contains("Moderate assurance")
            && page.contains("Not evidenced")
            && !page.contains("Issue the report")
    );
}
