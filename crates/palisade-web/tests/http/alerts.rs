//! Cyber alerts over the API: publication, the response loop, escalation, chasing and relaying.

use crate::support::*;
use palisade_store::AlertStore as _;

async fn step(h: &H, token: &str, alert: &str, org: &str, step: &str, body: Value) -> Resp {
    let url = format!("/api/v1/alerts/{alert}/responses/{org}/{step}");
    h.api(Method::POST, &url, Some(token), Some(body)).await
}

per_engine!(
    alerts_publish_respond_in_order_and_stay_within_their_organisations,
    alerts_publish_respond_in_order_and_stay_within_their_organisations_sqlite,
    alerts_publish_respond_in_order_and_stay_within_their_organisations_postgres
);

async fn alerts_publish_respond_in_order_and_stay_within_their_organisations(h: H) {
    use palisade_domain::clock::Clock;
    let w = world(&h).await;
    let alert_contact = ContactInput {
        name: "Cyber Desk".into(),
        role: "alert_contact".into(),
        email: "cyber@a81001.nhs.uk".into(),
        mobile: "07700 900555".into(),
        ..Default::default()
    };
    h.app
        .create_contact(&Actor::cli(), "A81001", &alert_contact)
        .await
        .unwrap();
    let (admin, analyst, lead, foreign) = (&w.admin.1, &w.analyst.1, &w.lead.1, &w.foreign.1);
    let published_at = h.clock.now().unix_timestamp();

    // Only the national admin publishes; bad identifiers are named and change nothing.
    for (who, token) in [("analyst", analyst), ("lead", lead)] {
        let r = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(token),
                Some(high_alert(true)),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    for (field, patch) in [
        ("cves[0]", json!({"cves": ["CVE-17-1"]})),
        (
            "products[0].cpe",
            json!({"products": [{"name": "W", "cpe": "cpe:2.3:o:microsoft"}]}),
        ),
        (
            "products[0].purl",
            json!({"products": [{"name": "W", "purl": "log4j@2"}]}),
        ),
        (
            "products[0].vers",
            json!({"products": [{"name": "W", "purl": "pkg:npm/x", "vers": "vers:npm/>>1"}]}),
        ),
        ("codes", json!({"audience": {"codes": ["ZZZ99"]}})),
    ] {
        let mut body = high_alert(true);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = h
            .api(Method::POST, "/api/v1/alerts", Some(admin), Some(body))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text()
        );
        assert!(r.text().contains(field), "{field}: {}", r.text());
    }
    let none = h
        .api(Method::GET, "/api/v1/alerts", Some(admin), None)
        .await;
    assert_eq!(none.json()["meta"]["total"], 0);

    let r = h
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(admin),
            Some(high_alert(true)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let a = r.json();
    assert_eq!(a["id"], "CC-1000");
    assert_eq!(a["state"], "published");
    assert_eq!(a["responses"], 2, "the practice and the trust, not the ICB");
    assert_eq!(a["products"][1]["vers"], "vers:maven/>=2.0.0|<2.15.0");

    // Each side sees the responses it may: the national team all, a lead its own.
    let all = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses",
            Some(analyst),
            None,
        )
        .await
        .json();
    assert_eq!(all["meta"]["total"], 2);
    for item in all["items"].as_array().unwrap() {
        assert_eq!(item["status"], "awaiting_acknowledgement");
        assert_eq!(item["late"], false);
        assert_eq!(
            item["due_at"],
            palisade_domain::clock::rfc3339(from_unix(published_at + 48 * 3600))
        );
    }
    let mine = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses",
            Some(lead),
            None,
        )
        .await
        .json();
    let codes: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["org_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["A81001"]);
    let theirs = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses",
            Some(foreign),
            None,
        )
        .await
        .json();
    assert_eq!(theirs["items"][0]["org_code"], "RX1");
    assert_eq!(theirs["meta"]["total"], 1);
    let listed = h
        .api(Method::GET, "/api/v1/alerts", Some(lead), None)
        .await
        .json();
    assert_eq!(listed["items"][0]["response"]["org_code"], "A81001");
    for (token, code, status) in [
        (foreign, "A81001", 404),
        (lead, "RX1", 404),
        (&w.auditor.1, "A81001", 403),
    ] {
        let r = h
            .api(
                Method::GET,
                &format!("/api/v1/alerts/CC-1000/responses/{code}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(r.status.as_u16(), status, "{code}");
    }

    // Steps out of order are refused and change nothing.
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "close",
        json!({"closure": "remediated"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("acknowledge the alert first"));
    let r = step(&h, foreign, "CC-1000", "A81001", "acknowledge", json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = step(&h, lead, "CC-1000", "QAA", "acknowledge", json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("not in scope"), "{}", r.text());
    let r = step(&h, admin, "CC-1000", "A81001", "acknowledge", json!({})).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the national team does not respond for an organisation"
    );

    // The loop, in order.
    h.clock.advance(time::Duration::hours(1));
    let now = h.clock.now().unix_timestamp();
    let r = h
        .send(
            Request::post("/api/v1/alerts/CC-1000/responses/A81001/acknowledge")
                .header(header::AUTHORIZATION, format!("Bearer {lead}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "in_progress");
    assert_eq!(
        r.json()["due_at"],
        palisade_domain::clock::rfc3339(from_unix(now + 72 * 3600))
    );
    let r = step(&h, lead, "CC-1000", "A81001", "acknowledge", json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "remediation",
        json!({"action": "Patch", "owner": "IT", "due_on": "2025-07-01"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "remediation before applicability"
    );
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "applicability",
        json!({"applies": false}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no reason: {}", r.text());
    for (step_name, body, field) in [
        (
            "applicability",
            json!({"applies": false, "reason": "x".repeat(2001)}),
            "reason",
        ),
        (
            "close",
            json!({"closure": "risk_accepted", "siro": "x".repeat(201)}),
            "siro",
        ),
    ] {
        let r = step(&h, lead, "CC-1000", "A81001", step_name, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text()
        );
        assert!(r.text().contains(field), "{}", r.text());
    }
    // A reason typed over lines is stored as validated: trimmed, with plain line breaks.
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "applicability",
        json!({"applies": false, "reason": "  No Windows 7 here.\r\nChecked by the desk.  "}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["reason"],
        "No Windows 7 here.\nChecked by the desk.",
        "{}",
        r.text()
    );
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "applicability",
        json!({"applies": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "remediation",
        // Yesterday: the clock reads 2025-06-15 (UTC).
        json!({"action": "Patch", "owner": "IT", "due_on": "2025-06-14"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("due_on") && r.text().contains("past"),
        "{}",
        r.text()
    );
    let r = step(
        &h,
        w.member.1.as_str(),
        "CC-1000",
        "A81001",
        "remediation",
        // Today is allowed.
        // Typed into a text area: line breaks are fine.
        json!({"action": "Patch every host.\r\nThen reboot.", "owner": "IT desk", "due_on": "2025-06-15"}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "members take steps too: {}",
        r.text()
    );
    assert_eq!(r.json()["open_actions"], 1);
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "close",
        json!({"closure": "remediated"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("1 remediation action"), "{}", r.text());
    let detail = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses/A81001",
            Some(lead),
            None,
        )
        .await
        .json();
    let action_id = detail["actions"][0]["id"].as_i64().unwrap();
    assert_eq!(detail["actions"][0]["due_on"], "2025-06-15");
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "remediation",
        json!({"action_id": action_id, "progress": "All hosts patched.\nRebooted.", "done": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "close",
        json!({"closure": "risk_accepted", "siro": " "}),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "risk acceptance names the SIRO"
    );
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "close",
        json!({"closure": "remediated"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "closed");
    assert_eq!(r.json()["due_at"], Value::Null);
    let r = step(
        &h,
        lead,
        "CC-1000",
        "A81001",
        "remediation",
        json!({"action": "More", "owner": "IT", "due_on": "2025-07-01"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "closed is closed");

    // Exactly 48 hours after publication the trust's response is due, not yet late (the
    // store's filter and count agree with the domain's rule); one second on, it is late and
    // the board counts it.
    h.clock.advance(time::Duration::hours(47));
    assert_eq!(h.clock.now().unix_timestamp(), published_at + 48 * 3600);
    let on_time = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses?late=true",
            Some(analyst),
            None,
        )
        .await
        .json();
    assert_eq!(on_time["meta"]["total"], 0);
    let board = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/board",
            Some(analyst),
            None,
        )
        .await
        .json();
    assert_eq!(board["late"], 0);
    h.clock.advance(time::Duration::seconds(1));
    let late = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses?late=true",
            Some(analyst),
            None,
        )
        .await
        .json();
    assert_eq!(late["meta"]["total"], 1);
    assert_eq!(late["items"][0]["org_code"], "RX1");
    assert_eq!(late["items"][0]["late"], true);
    let board = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/board",
            Some(analyst),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            board["total"].as_i64(),
            board["closed"].as_i64(),
            board["late"].as_i64()
        ),
        (Some(2), Some(1), Some(1))
    );
    let r = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/board",
            Some(lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let csv = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses.csv",
            Some(analyst),
            None,
        )
        .await
        .text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "org_code,org_name,org_type,region,status,due_at,late,applies,closure,closed_at,escalated_at"
    );
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with("A81001,")
            && lines[1].contains(",closed,")
            && lines[1].contains(",remediated,")
    );
    assert!(
        lines[2].starts_with("RX1,")
            && lines[2].contains(",awaiting_acknowledgement,")
            && lines[2].contains(",true,")
    );

    // Bulk steps are all or nothing: a foreign organisation in the batch stops all of it.
    let mut second = high_alert(true);
    second["severity"] = json!("low");
    second["audience"] = json!({"codes": ["A81001", "RX1"]});
    let r = h
        .api(Method::POST, "/api/v1/alerts", Some(admin), Some(second))
        .await;
    assert_eq!(r.json()["id"], "CC-1001");
    let body = json!({"org_codes": ["RX1", "A81001"]});
    let r = h
        .api(
            Method::POST,
            "/api/v1/alerts/CC-1001/bulk-responses/acknowledge",
            Some(foreign),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let rx1 = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1001/responses/RX1",
            Some(foreign),
            None,
        )
        .await
        .json();
    assert_eq!(
        rx1["status"], "awaiting_acknowledgement",
        "nothing was written"
    );
    assert_eq!(rx1["due_at"], Value::Null, "low severity has no deadline");
    let r = h
        .api(
            Method::POST,
            "/api/v1/alerts/CC-1001/bulk-responses/acknowledge",
            Some(foreign),
            Some(json!({"org_codes": ["RX1"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["items"][0]["status"], "in_progress");
    assert_eq!(
        r.json()["items"][0]["due_at"],
        Value::Null,
        "acknowledging gives no deadline to a response that had none"
    );

    // Updates are versioned and name what changed; a stale version is refused.
    let mut update = high_alert(false);
    update["severity"] = json!("medium");
    update["expected_version"] = json!(1);
    let r = put_json(&h, "/api/v1/alerts/CC-1000", admin, update.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
    assert_eq!(r.json()["state"], "published");
    assert_eq!(r.json()["versions"][0]["changed"], json!(["severity"]));
    let r = put_json(&h, "/api/v1/alerts/CC-1000", admin, update).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Drafts stay with the national team.
    let r = h
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(admin),
            Some(high_alert(false)),
        )
        .await;
    assert_eq!(r.json()["state"], "draft");
    assert_eq!(r.json()["responses"], 0);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{id}"),
            Some(lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{id}"),
            Some(analyst),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A draft's edits are versions naming what changed; its publication is news, not an
    // update, and nothing changing is refused unless it publishes.
    let url = format!("/api/v1/alerts/{id}");
    let mut edit = high_alert(false);
    edit["title"] = json!("Critical SMB vulnerability: second wave");
    edit["expected_version"] = json!(1);
    let r = put_json(&h, &url, admin, edit.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "draft");
    assert_eq!(r.json()["versions"][0]["changed"], json!(["title"]));
    edit["expected_version"] = json!(2);
    let r = put_json(&h, &url, admin, edit.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing changed"
    );
    edit["publish"] = json!(true);
    let r = put_json(&h, &url, admin, edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["state"], "published");
    assert_eq!(r.json()["responses"], 2);
    // Its draft edits stay internal: the first published version changes nothing, and the
    // public page and feed call it published, not updated.
    assert_eq!(r.json()["versions"][0]["changed"], json!([]));
    let public = anonymous(&h, &format!("/public/alerts/{id}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(!public.text().contains("Updated"), "{}", public.text());
    let atom = anonymous(&h, "/alerts.atom").await.text();
    let entry = &atom[atom.find(&format!("{id} (")).unwrap()..];
    let entry = &entry[..entry.find("</entry>").unwrap()];
    assert!(!entry.contains("Updated:"), "{entry}");

    // Notifications were queued with the change, once each: an email to the practice's
    // alert contact for each publication and for the update, and a text for the High ones
    // (the update made CC-1000 Medium; CC-1001 is not High).
    let outbox = h.db.store.outbox(false, 100).await.unwrap();
    let keys: Vec<&str> = outbox.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(outbox.len(), 6, "{keys:?}");
    let sms: Vec<_> = outbox.iter().filter(|m| m.channel == "sms").collect();
    assert_eq!(sms.len(), 2);
    assert!(
        sms.iter()
            .all(|m| m.recipient.replace(' ', "").ends_with("7700900555")),
        "{sms:?}"
    );
    assert!(
        sms[0].body.starts_with("NHS Cyber Alert CC-1000 (High)"),
        "{}",
        sms[0].body
    );
    let email = outbox.iter().find(|m| m.channel == "email").unwrap();
    assert_eq!(email.recipient, "cyber@a81001.nhs.uk");
    assert!(
        email.subject.starts_with("[CC-1000] New High alert"),
        "{}",
        email.subject
    );
    let updated = outbox
        .iter()
        .find(|m| m.subject.starts_with("[CC-1000] Updated Medium alert"))
        .expect("the update is sent");
    assert!(
        updated.body.contains("What changed: severity")
            && !updated.body.contains("record your response by"),
        "an update names no new deadline: {}",
        updated.body
    );
    assert!(
        email.body.contains("record your response by"),
        "publication names the deadline: {}",
        email.body
    );
    let news = format!("[{id}] New High alert: Critical SMB vulnerability: second wave");
    assert!(
        outbox.iter().any(|m| m.subject == news),
        "{:?}",
        outbox.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );

    // Every step is in the audit log.
    let actions = h.audit_actions(admin).await;
    for a in [
        "alert.create",
        "alert.publish",
        "alert.update",
        "alert.acknowledge",
        "alert.applicability",
        "alert.remediation",
        "alert.close",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
}

per_engine!(
    late_responses_escalate_once_to_the_siro_then_are_chased_and_relayed,
    late_responses_escalate_once_to_the_siro_then_are_chased_and_relayed_sqlite,
    late_responses_escalate_once_to_the_siro_then_are_chased_and_relayed_postgres
);

async fn late_responses_escalate_once_to_the_siro_then_are_chased_and_relayed(h: H) {
    let w = world(&h).await;
    let (admin, analyst, lead) = (&w.admin.1, &w.analyst.1, &w.lead.1);
    h.alert_contacts(
        "RX1",
        &[
            ("Cyber Desk", "desk@rx1.nhs.uk", "07700 900201", ""),
            ("Mail Only", "mail@rx1.nhs.uk", "07700 900202", "email"),
        ],
    )
    .await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(admin),
            Some(high_alert(true)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let outbox = h.db.store.outbox(false, 100).await.unwrap();
    let texted: Vec<&str> = outbox
        .iter()
        .filter(|m| m.channel == "sms")
        .map(|m| m.recipient.as_str())
        .collect();
    assert_eq!(
        texted,
        ["+447700900201"],
        "the email-only contact gets no text"
    );
    assert_eq!(outbox.iter().filter(|m| m.channel == "email").count(), 2);

    // Nothing is late yet; the practice acknowledges in time, the hospital does not.
    assert_eq!(h.app.escalate_late().await.unwrap(), 0);
    let r = step(&h, lead, &id, "A81001", "acknowledge", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // At the due time itself the response is not late yet; a second later it is.
    h.clock.advance(time::Duration::hours(48));
    assert_eq!(h.app.escalate_late().await.unwrap(), 0, "due, not late");
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(h.app.escalate_late().await.unwrap(), 1);
    assert_eq!(h.app.escalate_late().await.unwrap(), 0, "escalated once");
    let siro: Vec<_> =
        h.db.store
            .outbox(false, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.key.starts_with(&format!("escalation:{id}:RX1:")))
            .collect();
    assert_eq!(siro.len(), 2, "an email and a text to the SIRO");
    assert!(siro.iter().any(|m| m.recipient == "siro@rx1.nhs.uk"));
    assert!(
        siro.iter()
            .all(|m| m.subject.contains("Escalation: Org RX1 has not responded")),
        "{siro:?}"
    );

    // The chase list shows it to the national team only.
    for url in [
        "/api/v1/chase-list".to_string(),
        format!("/api/v1/alerts/{id}/chase"),
    ] {
        let r = h.api(Method::GET, &url, Some(analyst), None).await;
        assert_eq!(r.status, StatusCode::OK, "{url}");
        let items = r.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{url}");
        assert_eq!(items[0]["org_code"], "RX1");
        assert_eq!(items[0]["status"], "awaiting_acknowledgement");
        assert!(items[0]["escalated_at"].is_string());
        assert!(items[0]["chased_at"].is_null());
        let r = h.api(Method::GET, &url, Some(lead), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{url}");
    }

    // Chasing reaches the late organisation's alert contacts by their channels, once a day.
    let chase = format!("/api/v1/alerts/{id}/chase");
    let r = h.api(Method::POST, &chase, Some(analyst), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An organisation that answered in time is not chased, even with an alert contact.
    let answered = ContactInput {
        name: "Practice Desk".into(),
        role: "alert_contact".into(),
        email: "desk@a81001.nhs.uk".into(),
        ..Default::default()
    };
    h.app
        .create_contact(&Actor::cli(), "A81001", &answered)
        .await
        .unwrap();
    let r = h.api(Method::POST, &chase, Some(admin), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert_eq!(
        r.json()["messages"],
        3,
        "RX1's two contacts, by their channels"
    );
    let r = h.api(Method::POST, &chase, Some(admin), None).await;
    assert_eq!(r.json()["messages"], 0, "one chase a day");
    h.clock.advance(time::Duration::days(1));
    let r = h.api(Method::POST, &chase, Some(admin), None).await;
    // The next day RX1 is chased again, and the practice too: its update, due three days
    // after it acknowledged, is now overdue (its desk takes email only).
    assert_eq!(r.json()["messages"], 4, "and again the next day");
    let r = h.api(Method::GET, &chase, Some(admin), None).await;
    assert!(r.json()["items"][0]["chased_at"].is_string());

    // The relay texts every alert contact with a mobile, whatever their channels.
    let relay = format!("/api/v1/alerts/{id}/relay");
    let r = h
        .api(
            Method::POST,
            &relay,
            Some(admin),
            Some(json!({"text": "x".repeat(161)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("160"));
    let r = h.api(Method::POST, &relay, Some(admin), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert_eq!(r.json()["messages"], 2);
    let texts: Vec<_> =
        h.db.store
            .outbox(false, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.key.starts_with(&format!("relay:{id}:")))
            .collect();
    assert!(texts.iter().any(|m| m.recipient == "+447700900202"));
    assert!(
        texts[0]
            .body
            .starts_with(&format!("NHS Cyber Alert {id} (High)"))
    );
    let r = h.api(Method::POST, &relay, Some(lead), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let draft = h
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(admin),
            Some(high_alert(false)),
        )
        .await;
    let draft_id = draft.json()["id"].as_str().unwrap().to_string();
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/alerts/{draft_id}/relay"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Once answered, the response leaves the chase list.
    let r = step(&h, &w.foreign.1, &id, "RX1", "acknowledge", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = h
        .api(Method::GET, "/api/v1/chase-list", Some(admin), None)
        .await;
    assert_eq!(r.json()["meta"]["total"], 0);

    let r = h
        .api(Method::GET, "/api/v1/outbox", Some(analyst), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // 10 as before, and the next day's 4 reminders.
    assert_eq!(r.json()["pending"], 14, "{}", r.text());
    let r = h.api(Method::GET, "/api/v1/outbox", Some(lead), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Exactly 160 characters is one text, and goes, even in the same second as another.
    let y160 = json!({"text": "y".repeat(160)});
    let r = h
        .api(Method::POST, &relay, Some(admin), Some(y160.clone()))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert_eq!(r.json()["messages"], 2);
    let r = h.api(Method::POST, &relay, Some(admin), Some(y160)).await;
    assert_eq!(
        r.json()["messages"],
        0,
        "the same text in the same second is queued once"
    );

    let actions = h.audit_actions(admin).await;
    for a in ["alert.escalate", "alert.chase", "alert.relay"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
    let log = h
        .api(Method::GET, "/api/v1/audit?per_page=200", Some(admin), None)
        .await
        .json();
    let escalation = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "alert.escalate")
        .unwrap();
    assert_eq!(
        escalation["summary"]["messages"], 2,
        "the audit says how many messages the SIRO was sent"
    );
}

per_engine!(
    a_publication_is_one_instant,
    a_publication_is_one_instant_sqlite,
    a_publication_is_one_instant_postgres
);

/// An alert's publication time and its responses' first deadline come from one reading of the
/// clock: with a clock that moves on at every reading, the deadline is still exactly 48 hours
/// after the publication.
async fn a_publication_is_one_instant(h: H) {
    let w = world(&h).await;
    h.clock.tick_each_read(time::Duration::seconds(1));
    let id = h.create_alert(&w.admin.1, high_alert(true)).await;
    h.clock.tick_each_read(time::Duration::ZERO);
    let alert = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{id}"),
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    let responses = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{id}/responses"),
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    let parse = |v: &Value| {
        time::OffsetDateTime::parse(
            v.as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let published = parse(&alert["published_at"]);
    for r in responses["items"].as_array().unwrap() {
        assert_eq!(
            parse(&r["due_at"]) - published,
            time::Duration::hours(48),
            "{alert} {r}"
        );
    }
    assert!(!responses["items"].as_array().unwrap().is_empty());
}

per_engine!(
    a_stale_revision_is_a_conflict,
    a_stale_revision_is_a_conflict_sqlite,
    a_stale_revision_is_a_conflict_postgres
);

/// A step sent with the response's revision as last read is refused once the response moved on.
async fn a_stale_revision_is_a_conflict(h: H) {
    let w = world(&h).await;
    let id = h.create_alert(&w.admin.1, high_alert(true)).await;
    let step = |name: &str, body: Value| {
        let (h, token) = (&h, w.lead.1.clone());
        let uri = format!("/api/v1/alerts/{id}/responses/A81001/{name}");
        async move { h.api(Method::POST, &uri, Some(&token), Some(body)).await }
    };
    let r = step("acknowledge", json!({"revision": 0})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let now_at = r.json()["revision"].as_i64().unwrap();
    assert!(now_at > 0);
    let stale = step("applicability", json!({"applies": true, "revision": 0})).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text());
    assert_eq!(stale.json()["error"]["field"], "revision");
    let fresh = step(
        "applicability",
        json!({"applies": true, "revision": now_at}),
    )
    .await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text());
    // Without a revision the step is taken on whatever the response is now.
    let r = step(
        "remediation",
        json!({"action": "Patched", "owner": "IT", "due_on": "2099-01-01"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Several organisations at once take no revision.
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/alerts/{id}/bulk-responses/acknowledge"),
            Some(&w.lead.1),
            Some(json!({"org_codes": ["A81001"], "revision": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
}

per_engine!(
    texts_follow_the_severity_and_the_contact_s_choice,
    texts_follow_the_severity_and_the_contact_s_choice_sqlite,
    texts_follow_the_severity_and_the_contact_s_choice_postgres
);

/// A Medium alert is texted only to contacts who chose texts alone (High is the configured
/// default for texting everyone who takes texts); every other contact has it by email.
async fn texts_follow_the_severity_and_the_contact_s_choice(h: H) {
    let w = world(&h).await;
    h.alert_contacts(
        "RX1",
        &[
            ("Cyber Desk", "desk@rx1.nhs.uk", "07700 900201", "both"),
            ("Mail Only", "mail@rx1.nhs.uk", "07700 900202", "email"),
            ("Texts Only", "texts@rx1.nhs.uk", "07700 900203", "sms"),
        ],
    )
    .await;
    for (severity, texted) in [
        ("medium", &["+447700900203"][..]),
        ("low", &["+447700900203"]),
        ("high", &["+447700900201", "+447700900203"]),
    ] {
        let mut alert = high_alert(true);
        alert["severity"] = json!(severity);
        let id = h.create_alert(&w.admin.1, alert).await;
        let outbox = h.db.store.outbox(false, 100).await.unwrap();
        let to = |channel: &str| -> Vec<String> {
            let mut v: Vec<String> = outbox
                .iter()
                .filter(|m| m.channel == channel && m.key.contains(&format!(":{id}:")))
                .map(|m| m.recipient.clone())
                .collect();
            v.sort();
            v
        };
        assert_eq!(to("sms"), texted, "{severity}");
        assert_eq!(
            to("email"),
            ["desk@rx1.nhs.uk", "mail@rx1.nhs.uk"],
            "{severity}"
        );
    }
}

per_engine!(
    the_board_s_kept_counts_follow_every_step,
    the_board_s_kept_counts_follow_every_step_sqlite,
    the_board_s_kept_counts_follow_every_step_postgres
);

/// The board's counts are kept as responses step on and as organisations change type (one by
/// one and by import): after each change they equal a count of the responses themselves, and
/// the board and the alert list read them.
async fn the_board_s_kept_counts_follow_every_step(h: H) {
    use palisade_domain::clock::Clock;
    let w = world(&h).await;
    h.org("A81002", "gp_practice", "QAA").await;
    h.org("RX2", "acute_trust", "").await;
    let (admin, analyst, lead, foreign) = (&w.admin.1, &w.analyst.1, &w.lead.1, &w.foreign.1);
    let id = h.create_alert(admin, high_alert(true)).await;
    let alert_id = h.db.store.find_alert(&id).await.unwrap().unwrap().id;
    let board_url = format!("/api/v1/alerts/{id}/board");
    let check = |what: &'static str| {
        let (h, board_url) = (&h, &board_url);
        async move {
            let now = h.clock.now().unix_timestamp();
            let kept = h.db.store.response_counts(alert_id, now).await.unwrap();
            let recounted =
                h.db.store
                    .response_counts_recounted(alert_id, now)
                    .await
                    .unwrap();
            assert_eq!(kept, recounted, "after {what}");
            let board = h
                .api(Method::GET, board_url, Some(analyst), None)
                .await
                .json();
            let by_type = |t: &str| {
                kept.iter()
                    .filter(|c| c.org_type.as_str() == t)
                    .map(|c| c.count)
                    .sum::<i64>()
            };
            assert_eq!(board["total"], 4, "after {what}: {board}");
            (
                board["awaiting_acknowledgement"].as_i64().unwrap(),
                board["in_progress"].as_i64().unwrap(),
                board["closed"].as_i64().unwrap(),
                board["late"].as_i64().unwrap(),
                by_type("gp_practice"),
            )
        }
    };
    assert_eq!(check("the publication").await, (4, 0, 0, 0, 2));

    let r = step(&h, lead, &id, "A81001", "acknowledge", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(check("an acknowledgement").await, (3, 1, 0, 0, 2));
    for (s, body) in [
        ("acknowledge", json!({})),
        (
            "applicability",
            json!({"applies": false, "reason": "No Windows 7."}),
        ),
    ] {
        let r = step(&h, foreign, &id, "RX1", s, body).await;
        assert_eq!(r.status, StatusCode::OK, "{s}: {}", r.text());
    }
    assert_eq!(check("not applicable").await, (2, 2, 0, 0, 2));
    let closure = json!({"closure": "not_applicable"});
    let r = step(&h, foreign, &id, "RX1", "close", closure).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(check("a closure").await, (2, 1, 1, 0, 2));

    // Two days on, the two still awaiting acknowledgement are late.
    h.clock.advance(time::Duration::hours(49));
    assert_eq!(check("the deadline").await, (2, 1, 1, 2, 2));

    // A practice becomes a pharmacy; by import, the other trust becomes a mental health trust
    // and the first practice a pharmacy too.
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/A81002",
            Some(admin),
            Some(json!({"type": "pharmacy"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(check("a change of type").await, (2, 1, 1, 2, 1));
    let csv = "code,name,type,category,region,parent_code\n\
               RX2,Org RX2,mental_health_trust,,London,\n\
               A81001,Org A81001,pharmacy,,London,QAA\n";
    let report = h
        .app
        .import_orgs_csv(&Actor::cli(), csv.as_bytes(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.updated, 2, "{report:?}");
    assert_eq!(check("an import").await, (2, 1, 1, 2, 0));

    let r = step(&h, lead, &id, "A81002", "acknowledge", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(check("a late acknowledgement").await, (1, 2, 1, 1, 0));
    let listed = h
        .api(Method::GET, "/api/v1/alerts", Some(analyst), None)
        .await
        .json();
    assert_eq!(listed["items"][0]["responses"], 4, "{listed}");

    // A server of the version before closed a response without keeping the counts (as during a
    // rolling upgrade): the board no longer adds up until the next start counts them again.
    h.db.execute(&format!(
        "UPDATE alert_responses SET status = 'closed' WHERE alert_id = {alert_id} \
         AND org_id = (SELECT id FROM organisations WHERE code = 'A81002')"
    ))
    .await
    .unwrap();
    let now = h.clock.now().unix_timestamp();
    assert_ne!(
        h.db.store.response_counts(alert_id, now).await.unwrap(),
        h.db.store
            .response_counts_recounted(alert_id, now)
            .await
            .unwrap(),
        "the write went around the counts"
    );
    h.db.store.migrate().await.unwrap();
    assert_eq!(
        check("a start after a write around the counts").await,
        (1, 1, 2, 1, 0)
    );
}
