//! Improvement plans: drafted, signed off, reviewed nationally, and followed to their dates.

use crate::support::*;

per_engine!(
    improvement_plans_are_signed_off_reviewed_and_agree_the_status,
    improvement_plans_are_signed_off_reviewed_and_agree_the_status_sqlite,
    improvement_plans_are_signed_off_reviewed_and_agree_the_status_postgres
);

async fn improvement_plans_are_signed_off_reviewed_and_agree_the_status(h: H) {
    let w = world(&h).await;
    let (admin, analyst, lead, member, foreign) = (
        &w.admin.1,
        &w.analyst.1,
        &w.lead.1,
        &w.member.1,
        &w.foreign.1,
    );
    h.import_framework(admin, TEN_STANDARD).await;
    let base = "/api/v1/organisations/A81001/assessments/2026";
    let plan_url = format!("{base}/plan");
    // Nothing answered: the lead submits and Standards Not Met is published.
    let one = json!({"answers": [{"ref": "1.1.2", "value": false}]});
    h.api(
        Method::PUT,
        &format!("{base}/answers"),
        Some(member),
        Some(one),
    )
    .await;
    let r = h
        .api(Method::POST, &format!("{base}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.json()["status"], "standards_not_met");

    let p = h.api(Method::GET, &plan_url, Some(member), None).await;
    assert_eq!(p.status, StatusCode::OK);
    let p = p.json();
    assert_eq!(
        (
            p["state"].as_str(),
            p["revision"].as_i64(),
            p["covers"].as_bool()
        ),
        (Some("draft"), Some(0), Some(false))
    );
    let needed: Vec<String> = p["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ref"].as_str().unwrap().to_string())
        .collect();
    assert!(needed.len() > 10);
    assert_eq!(
        h.api(Method::GET, &plan_url, Some(foreign), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Today is 2025-06-15: actions fall due within six months, by 2025-12-15.
    let actions = |due: &str| -> Vec<Value> {
        needed.iter().map(|r| json!({"ref": r, "action": format!("Put {r} in place"), "owner": "IG lead", "target_date": due})).collect()
    };
    let body =
        |rev: i64, actions: Vec<Value>| Some(json!({"expected_revision": rev, "actions": actions}));
    let r = h
        .api(
            Method::PUT,
            &plan_url,
            Some(member),
            body(0, actions("2025-12-16")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("must be within 6 months, by 2025-12-15"),
        "{}",
        r.text()
    );
    let stray =
        vec![json!({"ref": "99.9.9", "action": "x", "owner": "y", "target_date": "2025-07-01"})];
    let r = h
        .api(Method::PUT, &plan_url, Some(member), body(0, stray))
        .await;
    assert!(r.text().contains("actions.99.9.9"), "{}", r.text());
    let r = h
        .api(
            Method::PUT,
            &plan_url,
            Some(w.auditor.1.as_str()),
            body(0, actions("2025-09-30")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .api(
            Method::PUT,
            &plan_url,
            Some(member),
            body(0, actions("2025-09-30")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["revision"].as_i64(), r.json()["covers"].as_bool()),
        (Some(1), Some(true))
    );
    let r = h
        .api(
            Method::PUT,
            &plan_url,
            Some(lead),
            body(0, actions("2025-10-31")),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a stale revision is refused"
    );

    // The lead records the SIRO's sign-off; a signed-off plan no longer changes.
    let sign = format!("{plan_url}/sign-off");
    let r = h
        .api(
            Method::POST,
            &sign,
            Some(member),
            Some(json!({"expected_revision": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .api(
            Method::POST,
            &sign,
            Some(lead),
            Some(json!({"expected_revision": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["state"].as_str(), r.json()["siro_name"].as_str()),
        (Some("signed_off"), Some("Sam Patel"))
    );
    let r = h
        .api(
            Method::PUT,
            &plan_url,
            Some(member),
            body(2, actions("2025-09-30")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The national team returns it (saying why), the organisation revises, signs off again,
    // and approval turns Standards Not Met into Plan Agreed.
    let review = format!("{plan_url}/review");
    let r = h
        .api(
            Method::POST,
            &review,
            Some(analyst),
            Some(json!({"expected_revision": 2, "decision": "approve"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .api(
            Method::POST,
            &review,
            Some(admin),
            Some(json!({"expected_revision": 2, "decision": "return"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .api(
            Method::POST,
            &review,
            Some(admin),
            Some(json!({"expected_revision": 2, "decision": "maybe", "note": "x"})),
        )
        .await;
    assert!(r.text().contains("decision"), "{}", r.text());
    let r = h.api(Method::POST, &review, Some(admin), Some(json!({"expected_revision": 2, "decision": "return", "note": "Owners must be named people"}))).await;
    assert_eq!(r.json()["state"], "returned");
    let r = h
        .api(
            Method::PUT,
            &plan_url,
            Some(member),
            body(3, actions("2025-09-30")),
        )
        .await;
    assert_eq!(r.json()["state"], "draft");
    assert_eq!(
        (&r.json()["siro_name"], &r.json()["signed_off_at"]),
        (&Value::Null, &Value::Null),
        "a changed plan needs signing off again"
    );
    h.api(
        Method::POST,
        &sign,
        Some(lead),
        Some(json!({"expected_revision": 4})),
    )
    .await;
    // The national figures read before the review: the report read after it must not be these.
    let before = national_2026(&h, analyst).await["overall"]["statuses"].clone();
    assert_eq!(before["standards_not_met"], 1);
    assert_eq!(before["plan_agreed"], 0);
    let r = h
        .api(
            Method::POST,
            &review,
            Some(admin),
            Some(json!({"expected_revision": 5, "decision": "approve"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["state"].as_str(), r.json()["status"].as_str()),
        (Some("approved"), Some("plan_agreed"))
    );
    let view = h.api(Method::GET, base, Some(member), None).await.json();
    assert_eq!(view["status"], "plan_agreed");
    assert_eq!(view["publications"][0]["status"], "plan_agreed");
    assert_eq!(view["publications"].as_array().unwrap().len(), 2);
    let after = national_2026(&h, analyst).await["overall"]["statuses"].clone();
    assert_eq!(after["plan_agreed"], 1);
    // It moved from Standards Not Met: counted once, under its new status.
    assert_eq!(after["standards_not_met"], 0);

    // Progress, and overdue actions once their date has passed.
    let first = &needed[0];
    let r = h
        .api(
            Method::POST,
            &format!("{plan_url}/progress"),
            Some(member),
            Some(
                json!({"actions": [{"ref": first, "done": true}, {"ref": "99.9.9", "done": true}]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .api(
            Method::POST,
            &format!("{plan_url}/progress"),
            Some(member),
            Some(json!({"actions": [{"ref": first, "done": true}]})),
        )
        .await;
    assert_eq!(r.json()["lines"][0]["done_on"], "2025-06-15");
    let overdue = "/api/v1/plans?overdue=true&year=2026";
    assert_eq!(
        h.api(Method::GET, overdue, Some(admin), None).await.json()["meta"]["total"],
        0
    );
    // The actions are due on 2025-09-30: not overdue that day, overdue the day after, in
    // the unfiltered list's counts too.
    let all = "/api/v1/plans?year=2026";
    h.clock.advance(time::Duration::days(107)); // 2025-09-30
    assert_eq!(
        h.api(Method::GET, overdue, Some(admin), None).await.json()["meta"]["total"],
        0
    );
    assert_eq!(
        h.api(Method::GET, all, Some(admin), None).await.json()["items"][0]["overdue"],
        0
    );
    h.clock.advance(time::Duration::days(1)); // 2025-10-01
    let unfiltered = h.api(Method::GET, all, Some(admin), None).await.json();
    assert_eq!(
        unfiltered["items"][0]["overdue"].as_i64(),
        Some(needed.len() as i64 - 1)
    );
    h.clock.advance(time::Duration::days(12)); // 2025-10-13
    let list = h.api(Method::GET, overdue, Some(admin), None).await.json();
    assert_eq!(list["items"][0]["org_code"], "A81001");
    assert_eq!(
        list["items"][0]["overdue"].as_i64(),
        Some(needed.len() as i64 - 1)
    );
    assert_eq!(
        h.api(Method::GET, overdue, Some(foreign), None)
            .await
            .json()["meta"]["total"],
        0
    );
    let p = h.api(Method::GET, &plan_url, Some(lead), None).await.json();
    assert_eq!(p["overdue"].as_u64(), Some(needed.len() as u64 - 1));

    // The pages: the plan for the organisation, the list for the national team.
    let (session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(
            Method::GET,
            "/organisations/A81001/assessments/2026/plan",
            &session,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("Approved by the national team") && page.text().contains("Overdue")
    );
    let (admin_session, _) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let list = h
        .page(
            Method::GET,
            "/plans?year=2026&overdue=yes",
            &admin_session,
            None,
        )
        .await
        .text();
    assert!(list.contains("/organisations/A81001/assessments/2026/plan"));
}

#[tokio::test]
async fn the_plan_page_saves_signs_off_and_names_its_errors() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    h.import_framework(&w.admin.1, TEN_STANDARD).await;
    let one = json!({"answers": [{"ref": "1.1.2", "value": false}]});
    h.api(
        Method::PUT,
        "/api/v1/organisations/A81001/assessments/2026/answers",
        Some(&w.member.1),
        Some(one),
    )
    .await;
    let (lead, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let url = "/organisations/A81001/assessments/2026/plan";
    let page = h.page(Method::GET, url, &lead, None).await.text();
    assert!(page.contains("name=\"action:1.1.2\""), "{page}");
    let r = h
        .page(Method::POST, url, &lead, Some(format!("csrf_token={csrf}&revision=0&action%3A1.1.2=Appoint+a+lead&owner%3A1.1.2=&due%3A1.1.2=2025-07-01")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("href=\"#actions.1.1.2.owner\"")
            && r.text().contains("The owner for 1.1.2 is required"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("Appoint a lead"), "what was typed stays");
    let r = h
        .page(Method::POST, url, &lead, Some(format!("csrf_token={csrf}&revision=0&action%3A1.1.2=Appoint+a+lead&owner%3A1.1.2=Practice+manager&due%3A1.1.2=2025-07-01")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // Signing off a plan that does not cover everything Met needs is refused, saying what is missing.
    let r = h
        .page(
            Method::POST,
            &format!("{url}/sign-off"),
            &lead,
            Some(format!("csrf_token={csrf}&revision=1")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("has no action yet for"), "{}", r.text());
}
