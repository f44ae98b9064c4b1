//! Cyber alerts on the pages: the form with its preview, the response steps, bulk acknowledgement.

use crate::support::*;
use palisade_store::AlertStore as _;

per_engine!(
    alert_pages_publish_with_a_preview_and_take_the_response_steps,
    alert_pages_publish_with_a_preview_and_take_the_response_steps_sqlite,
    alert_pages_publish_with_a_preview_and_take_the_response_steps_postgres
);

async fn alert_pages_publish_with_a_preview_and_take_the_response_steps(h: H) {
    let _w = world(&h).await;
    let (admin, admin_csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let (lead, lead_csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let (member, _) = h.sign_in("member@x.nhs.uk", PASSWORD).await.unwrap();

    let r = h.page(Method::GET, "/alerts", &admin, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("There are no alerts"));
    let r = h.page(Method::GET, "/alerts/new", &lead, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.page(Method::GET, "/alerts/new", &admin, None).await;
    assert_eq!(r.status, StatusCode::OK);

    let form = |intent: &str, title: &str, cves: &str| {
        format!(
            "csrf_token={admin_csrf}&expected_version=0&title={}&severity=high&type=vulnerability\
             &summary=Patch+now&body=&cves={}&products={}&remediation=Update&exploited=yes\
             &response_required=yes&org_types=gp_practice&org_types=acute_trust&regions=&codes=&intent={intent}",
            urlenc(title),
            urlenc(cves),
            urlenc(
                "PAN-OS | cpe:2.3:o:paloaltonetworks:pan-os:*:*:*:*:*:*:*:* | vers:generic/<11.1.2"
            )
        )
    };
    // A bad CVE is named, and nothing is written.
    let r = h
        .page(
            Method::POST,
            "/alerts",
            &admin,
            Some(form("preview", "VPN flaw", "CVE-24-1")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("There is a problem"), "{}", r.text());
    // The preview shows the alert as it will read, and stores nothing.
    let r = h
        .page(
            Method::POST,
            "/alerts",
            &admin,
            Some(form("preview", "VPN flaw", "CVE-2024-3400")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Preview: VPN flaw") && r.text().contains("CVE-2024-3400"));
    assert_eq!(h.db.store.outbox(false, 10).await.unwrap().len(), 0);
    let r = h
        .page(
            Method::POST,
            "/alerts",
            &admin,
            Some(form("publish", "VPN flaw", "CVE-2024-3400")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.headers[header::LOCATION],
        "/alerts/CC-1000?done=published"
    );

    // The national view: the board, its drill-down, the late list.
    let r = h.page(Method::GET, "/alerts/CC-1000", &admin, None).await;
    assert!(
        r.text().contains("Organisations in scope: 2. Late: 0."),
        "{}",
        r.text()
    );
    let r = h
        .page(
            Method::GET,
            "/alerts/CC-1000/responses?status=awaiting_acknowledgement",
            &admin,
            None,
        )
        .await;
    assert!(r.text().contains("A81001") && r.text().contains("RX1"));
    assert!(
        r.text()
            .contains("/alerts/CC-1000/responses.csv?status=awaiting_acknowledgement"),
        "the download keeps the page's filters: {}",
        r.text()
    );
    // The page's download: every match, with the page's filters and session.
    let r = h
        .page(
            Method::GET,
            "/alerts/CC-1000/responses.csv?status=awaiting_acknowledgement&q=RX1",
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"CC-1000-responses.csv\""),
    );
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("org_code,org_name,"), "{lines:?}");
    assert_eq!(lines.len(), 2, "the header and RX1 only: {lines:?}");
    assert!(lines[1].starts_with("RX1,"), "{lines:?}");
    let r = h
        .page(
            Method::GET,
            "/alerts/CC-1000/responses.csv?status=sleeping",
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    for path in ["/alerts/CC-1000/responses", "/alerts/CC-1000/responses.csv"] {
        let r = h.page(Method::GET, path, &lead, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }

    // The lead sees the practice's response only, and takes the steps.
    let r = h.page(Method::GET, "/alerts", &lead, None).await;
    assert!(r.text().contains("/alerts/CC-1000/responses/A81001"));
    assert!(!r.text().contains("RX1"));
    let r = h
        .page(Method::GET, "/alerts/CC-1000/responses/RX1", &lead, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let base = "/alerts/CC-1000/responses/A81001";
    let post = |step: &str, body: &str| {
        (
            format!("{base}/{step}"),
            format!("csrf_token={lead_csrf}&{body}"),
        )
    };
    let (u, b) = post("close", "closure=remediated&siro=");
    let r = h.page(Method::POST, &u, &lead, Some(b)).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "close before acknowledge"
    );
    let (u, b) = post("acknowledge", "");
    let r = h.page(Method::POST, &u, &lead, Some(b)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (u, b) = post("applicability", "applies=yes&reason=");
    assert_eq!(
        h.page(Method::POST, &u, &lead, Some(b)).await.status,
        StatusCode::SEE_OTHER
    );
    let (u, b) = post(
        "remediation",
        "action=Upgrade+PAN-OS&owner=Infra&due_on=2020-01-01",
    );
    let r = h.page(Method::POST, &u, &lead, Some(b)).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a date in the past"
    );
    assert!(
        r.text().contains("Upgrade PAN-OS") && r.text().contains("value=\"Infra\""),
        "what was typed is kept"
    );
    let (u, b) = post(
        "remediation",
        "action=Upgrade+PAN-OS&owner=Infra&due_on=2025-06-20",
    );
    assert_eq!(
        h.page(Method::POST, &u, &lead, Some(b)).await.status,
        StatusCode::SEE_OTHER
    );
    let actions = h
        .app
        .alert_response(&Actor::cli(), "CC-1000", "A81001")
        .await
        .unwrap()
        .actions;
    let (u, b) = post(
        "remediation",
        &format!(
            "action_id={}&progress=Done+overnight&done=yes",
            actions[0].id
        ),
    );
    assert_eq!(
        h.page(Method::POST, &u, &lead, Some(b)).await.status,
        StatusCode::SEE_OTHER
    );
    let (u, b) = post("close", "closure=remediated&siro=");
    assert_eq!(
        h.page(Method::POST, &u, &lead, Some(b)).await.status,
        StatusCode::SEE_OTHER
    );
    let r = h.page(Method::GET, base, &member, None).await;
    assert!(
        r.text().contains("Closed") && r.text().contains("Done overnight"),
        "{}",
        r.text()
    );
    assert!(!r.text().contains("Acknowledge this alert"));

    // An update through the form is versioned and names what changed.
    let r = h
        .page(Method::GET, "/alerts/CC-1000/edit", &admin, None)
        .await;
    assert!(r.text().contains("Publish the update"));
    let mut update = form("publish", "VPN flaw under attack", "CVE-2024-3400");
    update = update.replace("expected_version=0", "expected_version=1");
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/edit",
            &admin,
            Some(update.clone()),
        )
        .await;
    assert_eq!(r.headers[header::LOCATION], "/alerts/CC-1000?done=updated");
    let r = h
        .page(Method::POST, "/alerts/CC-1000/edit", &admin, Some(update))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a stale version"
    );
    let r = h.page(Method::GET, "/alerts/CC-1000", &member, None).await;
    assert!(r.text().contains("VPN flaw under attack") && r.text().contains("Version 2"));
    assert!(r.text().contains(": title"), "what changed: {}", r.text());

    // Chase and relay from the page (admin only).
    h.clock.advance(time::Duration::hours(49));
    let (admin, admin_csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let (lead, lead_csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let r = h.page(Method::GET, "/alerts/CC-1000", &admin, None).await;
    assert!(r.text().contains("Late: 1."), "{} {}", r.status, r.text());
    // RX1 has only a SIRO so far: nobody to chase, and the page says so.
    let none = format!("csrf_token={admin_csrf}");
    let r = h
        .page(Method::POST, "/alerts/CC-1000/chase", &admin, Some(none))
        .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/alerts/CC-1000?done=chased&n=0"
    );
    let desk = ContactInput {
        name: "Cyber Desk".into(),
        role: "alert_contact".into(),
        email: "desk@rx1.nhs.uk".into(),
        mobile: "07700 900456".into(),
        ..Default::default()
    };
    h.app
        .create_contact(&Actor::cli(), "RX1", &desk)
        .await
        .unwrap();
    let chase = format!("csrf_token={admin_csrf}");
    let r = h
        .page(Method::POST, "/alerts/CC-1000/chase", &admin, Some(chase))
        .await;
    let queued = h.db.store.outbox(false, 100).await.unwrap().len();
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/alerts/CC-1000?done=chased&n=") && !location.ends_with("n=0"),
        "{location}"
    );
    let r = h.page(Method::GET, &location, &admin, None).await;
    assert!(
        r.text().contains("reminders are on their way"),
        "{}",
        r.text()
    );
    // A second chase the same day queues nothing, and the page says so.
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/chase",
            &admin,
            Some(format!("csrf_token={admin_csrf}")),
        )
        .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/alerts/CC-1000?done=chased&n=0"
    );
    assert_eq!(h.db.store.outbox(false, 100).await.unwrap().len(), queued);
    let r = h
        .page(Method::GET, "/alerts/CC-1000?done=chased&n=0", &admin, None)
        .await;
    assert!(r.text().contains("No reminder was queued"), "{}", r.text());
    // A refused relay keeps the text as typed; a good one says how many went.
    let long = "x".repeat(170);
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/relay",
            &admin,
            Some(format!("csrf_token={admin_csrf}&text={long}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains(&long), "the text is kept");
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/relay",
            &admin,
            Some(format!("csrf_token={admin_csrf}&text=Patch+tonight")),
        )
        .await;
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/alerts/CC-1000?done=relayed&n=") && !location.ends_with("n=0"),
        "{location}"
    );
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/chase",
            &lead,
            Some(format!("csrf_token={lead_csrf}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// Each organisation's response status to CC-1000, by code.
async fn response_statuses(h: &H, token: &str) -> Vec<(String, String)> {
    let r = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses",
            Some(token),
            None,
        )
        .await;
    let mut out: Vec<(String, String)> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["org_code"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_lead_of_several_organisations_acknowledges_them_together_on_the_alert_page() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    let mut body = high_alert(true);
    body["audience"] = json!({"org_types": ["icb", "gp_practice", "acute_trust"]});
    let r = h
        .api(Method::POST, "/api/v1/alerts", Some(&w.admin.1), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (lead, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/alerts/CC-1000", &lead, None).await;
    let text = page.text();
    assert!(
        text.contains("Acknowledge for the selected organisations")
            && text.contains("id=\"org-QAA\"")
            && text.contains("id=\"org-A81001\"")
            && !text.contains("org-RX1"),
        "the lead's two organisations, and not another's: {text}"
    );
    let before = response_statuses(&h, &w.admin.1).await;
    let ack = |orgs: &str| format!("csrf_token={csrf}{orgs}");

    // Nothing chosen: the error links to the list; another organisation's code: nothing changes.
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/acknowledge",
            &lead,
            Some(ack("")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("href=\"#org_codes\"") && r.text().contains("id=\"org_codes\""),
        "{}",
        r.text()
    );
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/acknowledge",
            &lead,
            Some(ack("&org=QAA&org=RX1")),
        )
        .await;
    assert_ne!(
        r.status,
        StatusCode::SEE_OTHER,
        "another organisation's code"
    );
    assert_eq!(
        response_statuses(&h, &w.admin.1).await,
        before,
        "all or nothing"
    );

    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/acknowledge",
            &lead,
            Some(ack("&org=QAA&org=A81001")),
        )
        .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/alerts/CC-1000?done=acknowledged"
    );
    let after = response_statuses(&h, &w.admin.1).await;
    for (code, status) in &after {
        let expected = if code == "RX1" {
            "awaiting_acknowledgement"
        } else {
            "in_progress"
        };
        assert_eq!(status, expected, "{code}");
    }
    assert_eq!(after.len(), 3);
}
