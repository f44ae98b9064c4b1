//! The national posture: the open High alerts, this year's assessments against last year's, the
//! estate, exposures, incidents, plans and the outbox, at most a minute old.

use crate::support::*;

/// 2026-11-02 09:00 UTC, in the 2026-27 assessment year.
const MONDAY: i64 = 1_793_610_000;

async fn posture(h: &H, token: &str) -> Value {
    let r = h
        .api(Method::GET, "/api/v1/posture", Some(token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

per_engine!(
    the_posture_counts_the_whole_system,
    the_posture_counts_the_whole_system_sqlite,
    the_posture_counts_the_whole_system_postgres
);

async fn the_posture_counts_the_whole_system(h: H) {
    h.clock
        .advance(time::Duration::seconds(MONDAY - 1_750_000_000));
    let w = world(&h).await;
    let (admin, analyst, lead, foreign) = (&w.admin.1, &w.analyst.1, &w.lead.1, &w.foreign.1);

    // Nothing yet: said plainly, not left out.
    let empty = posture(&h, analyst).await;
    assert_eq!(empty["alerts"], json!([]));
    assert_eq!(empty["estate"]["latest"], Value::Null);
    assert_eq!(empty["exposures"], json!([]));
    assert_eq!(empty["plans_awaiting_review"], 0);
    assert_eq!(empty["assessments"]["overall"]["total"], 3);
    assert_eq!(empty["assessments"]["overall"]["submitted"], 0);
    assert_eq!(empty["age_seconds"], 0);

    h.import_frameworks(admin).await;
    h.alert_contacts("RX1", &[("Ana Duty", "duty@rx1.nhs.uk", "", "email")])
        .await;
    let reference = h.create_alert(admin, high_alert(true)).await;
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/alerts/{reference}/responses/RX1/acknowledge"),
            Some(foreign),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let base = "/api/v1/organisations/A81001/assessments/2026";
    let r = h
        .api(
            Method::PUT,
            &format!("{base}/answers"),
            Some(lead),
            Some(json!({"answers": [{"ref": "1.1.2", "value": false}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = h
        .api(Method::POST, &format!("{base}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    h.incident("QAA", lead, incident_body(true)).await;
    let inventory = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing\n\
         app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,no\n";
    let r = h
        .put_inventory("RX1", foreign, "text/csv", inventory.to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    h.app
        .run_job_now(&Actor::cli(), "estate_trend", "test")
        .await
        .unwrap();

    // Until they are due for renewal, the figures worked out before stand, and say their age.
    h.clock.advance(time::Duration::seconds(45));
    let cached = posture(&h, analyst).await;
    assert_eq!(cached["age_seconds"], 45);
    assert_eq!(cached["computed_at"], empty["computed_at"]);
    assert_eq!(cached["alerts"], json!([]));

    // A second later they are still given, while a renewal starts in the background...
    h.clock.advance(time::Duration::seconds(1));
    let renewing = posture(&h, analyst).await;
    assert_eq!(renewing["age_seconds"], 46);
    assert_eq!(renewing["computed_at"], empty["computed_at"]);
    // ...whose figures the next request is given.
    h.app.posture_settled().await;
    let p = posture(&h, admin).await;
    assert_eq!(p["age_seconds"], 0);
    let a = &p["alerts"][0];
    assert_eq!(
        (
            &a["reference"],
            &a["in_scope"],
            &a["acknowledged"],
            &a["late"]
        ),
        (&json!(reference), &json!(2), &json!(1), &json!(0)),
        "{a}"
    );
    assert_eq!(a["acknowledged_percent"], 50.0);
    assert_eq!(
        a["trend"],
        json!([{"day": 1, "acknowledged": 1, "percent": 50.0}])
    );
    assert_eq!(a["url"], format!("/alerts/{reference}/responses"));

    let s = &p["assessments"];
    assert_eq!(
        (&s["year"], &s["deadline"], &s["days_to_deadline"]),
        (&json!(2026), &json!("2027-06-30"), &json!(240))
    );
    assert_eq!(s["last_year_as_of"], "2025-11-02");
    assert_eq!(
        (
            &s["overall"]["total"],
            &s["overall"]["submitted"],
            &s["overall"]["met_or_exceeded"]
        ),
        (&json!(3), &json!(1), &json!(0))
    );
    assert_eq!(s["overall"]["submitted_percent"], 33.3);
    assert_eq!(
        s["overall"]["last_year_submitted_percent"],
        Value::Null,
        "no one had submitted by this point last year"
    );
    let practices = s["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "gp_practice")
        .unwrap();
    assert_eq!(
        (&practices["total"], &practices["submitted"]),
        (&json!(1), &json!(1))
    );

    assert_eq!(p["estate"]["latest"]["day"], "2026-11-02");
    assert_eq!(p["estate"]["latest"]["estates"], 1);
    assert_eq!(
        p["exposures"],
        json!([{"reference": reference, "title": "Critical SMB vulnerability exploited",
            "organisations": 1, "url": format!("/alerts/{reference}/exposure")}])
    );
    assert_eq!(p["incidents"], json!([{"severity": null, "open": 1}]));
    assert_eq!(p["outbox"]["pending"], 1, "the alert to RX1's contact");
    assert_eq!(p["outbox"]["failed"], 0);

    // The national home shows the same, for national roles only.
    let (session, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/", &session, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for shown in [
        "The state of the system",
        &format!("href=\"/alerts/{reference}/responses\""),
        "1 (50%)",
        "1 (33.3%)",
        "Day 1",
    ] {
        assert!(html.contains(shown), "{shown} in the national home");
    }
    let (session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/", &session, None).await.text();
    assert!(!page.contains("The state of the system"));
    let r = h
        .api(Method::GET, "/api/v1/posture", Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The practice's response is late from the second after its deadline, not at it; the trend
    // gains a day for each day since publication.
    let due = h
        .app
        .alert_response(&Actor::cli(), &reference, "A81001")
        .await
        .unwrap()
        .response
        .due_at
        .unwrap();
    let now = h.app.now();
    h.clock.advance(time::Duration::seconds(due - now));
    let at_deadline = h.app.posture_now(&Actor::cli()).await.unwrap();
    assert_eq!(at_deadline.alerts[0].late, 0);
    assert_eq!(
        at_deadline.alerts[0].trend.len(),
        3,
        "{:?}",
        at_deadline.alerts[0].trend
    );
    h.clock.advance(time::Duration::seconds(1));
    let after = h.app.posture_now(&Actor::cli()).await.unwrap();
    assert_eq!(
        after.alerts[0].late, 1,
        "the practice; the trust acknowledged"
    );
    assert_eq!(
        after.alerts[0]
            .trend
            .last()
            .map(|t| (t.day, t.acknowledged)),
        Some((3, 1))
    );
}
