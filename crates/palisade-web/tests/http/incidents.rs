//! Incidents: reporting, grading, the clocks to the second, appended updates, national triage,
//! and what each side sees.

use crate::support::*;
use palisade_store::AlertStore as _;

/// The test clock's now: 2025-06-15T15:06:40Z.
const NOW: i64 = 1_750_000_000;

fn at(secs: i64) -> String {
    palisade_domain::clock::rfc3339(from_unix(secs))
}

fn clock<'a>(incident: &'a Value, name: &str) -> &'a Value {
    incident["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} clock in {incident}"))
}

async fn send(h: &H, method: Method, uri: &str, token: &str, body: Value) -> Resp {
    h.api(method, uri, Some(token), Some(body)).await
}

per_engine!(
    an_incident_is_graded_clocked_notified_and_updated,
    an_incident_is_graded_clocked_notified_and_updated_sqlite,
    an_incident_is_graded_clocked_notified_and_updated_postgres
);

async fn an_incident_is_graded_clocked_notified_and_updated(h: H) {
    let w = world(&h).await;
    let lead = w.lead.1.as_str();
    let base = "/api/v1/organisations/QAA/incidents";

    // A draft without a grade: no clocks yet, and it cannot be notified.
    let mut body = incident_body(false);
    body.as_object_mut().unwrap().remove("likelihood");
    let r = send(&h, Method::POST, base, lead, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let draft = r.json();
    let reference = draft["reference"].as_str().unwrap().to_string();
    assert!(reference.starts_with("INC-"), "{reference}");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["grade"], Value::Null);
    assert_eq!(draft["clocks"], json!([]));
    let one = format!("{base}/{reference}");
    let r = send(&h, Method::POST, &format!("{one}/notify"), lead, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "likelihood");

    // Graded on the draft: an ICB is category 1, so both rules apply and four clocks run.
    let r = send(
        &h,
        Method::PATCH,
        &one,
        lead,
        json!({"likelihood": "likely", "revision": draft["revision"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let graded = r.json();
    assert_eq!(
        graded["grade"],
        json!({"likelihood": "likely", "impact": "serious",
               "regulator_reportable": true, "nis_reportable": true})
    );
    let names: Vec<&str> = graded["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nis_initial", "regulator", "nis_full", "nis_final"]);
    assert_eq!(
        clock(&graded, "nis_initial")["due_at"],
        "2025-06-16T07:00:00Z"
    );
    assert_eq!(
        clock(&graded, "regulator")["due_at"],
        "2025-06-18T07:00:00Z"
    );
    assert_eq!(clock(&graded, "nis_final")["due_at"], Value::Null);
    // A stale revision is refused.
    let r = send(
        &h,
        Method::PATCH,
        &one,
        lead,
        json!({"title": "x", "revision": draft["revision"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

    // Notified exactly 24 hours after awareness: on time to the second.
    let aware = NOW - 8 * 3600 - 6 * 60 - 40; // 2025-06-15T07:00:00Z
    h.clock
        .advance(time::Duration::seconds(aware + 24 * 3600 - NOW));
    let r = send(&h, Method::POST, &format!("{one}/notify"), lead, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let notified = r.json();
    assert_eq!(notified["status"], "notified");
    let initial = clock(&notified, "nis_initial");
    assert_eq!(initial["met_at"], "2025-06-16T07:00:00Z");
    assert_eq!(initial["late"], false);
    assert_eq!(clock(&notified, "regulator")["late"], false);
    assert_eq!(notified["updates"][0]["kind"], "notification");

    // Once notified, nothing is edited: it is appended.
    let r = send(&h, Method::PATCH, &one, lead, json!({"title": "Changed"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = send(&h, Method::POST, &format!("{one}/notify"), lead, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let updates = format!("{one}/updates");
    let r = send(
        &h,
        Method::POST,
        &updates,
        lead,
        json!({"text": "Final report", "report": "final"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "report");
    h.clock.advance(time::Duration::hours(60));
    let r = send(
        &h,
        Method::POST,
        &updates,
        lead,
        json!({"text": "Full report: restored from backup", "report": "full",
               "contained": true, "impact": "adverse", "systems": ["Radiology RIS", "PACS"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let full = r.json();
    // 84 hours after awareness: the full report is 12 hours late.
    let nis_full = clock(&full, "nis_full");
    assert_eq!(nis_full["late"], true);
    assert_eq!(nis_full["late_by_seconds"], 12 * 3600);
    assert_eq!(clock(&full, "nis_final")["due_at"], "2025-07-18T19:00:00Z");
    assert_eq!(full["contained"], true);
    assert_eq!(full["systems"], json!(["PACS", "Radiology RIS"]));
    assert_eq!(full["grade"]["impact"], "adverse");
    let update = full["updates"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(update["report"], "full");
    assert_eq!(update["changes"]["impact"], json!(["serious", "adverse"]));
    assert_eq!(update["changes"]["contained"], json!([false, true]));
    let r = send(
        &h,
        Method::POST,
        &updates,
        lead,
        json!({"text": "Final report", "report": "final", "closed": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let closed = r.json();
    assert_eq!(closed["status"], "closed");
    assert_eq!(clock(&closed, "nis_final")["late"], false);

    // Every step is in the audit log.
    let actions = h.audit_actions(&w.admin.1).await;
    for a in [
        "incident.draft",
        "incident.edit",
        "incident.notify",
        "incident.update",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
}

per_engine!(
    the_regulator_clock_is_met_at_72_hours_and_late_a_second_after,
    the_regulator_clock_is_met_at_72_hours_and_late_a_second_after_sqlite,
    the_regulator_clock_is_met_at_72_hours_and_late_a_second_after_postgres
);

async fn the_regulator_clock_is_met_at_72_hours_and_late_a_second_after(h: H) {
    let w = world(&h).await;
    for (aware, late, late_by) in [
        (NOW - 72 * 3600, false, Value::Null),
        (NOW - 72 * 3600 - 1, true, json!(1)),
    ] {
        let mut body = incident_body(true);
        body["started_at"] = json!(at(aware - 3600));
        body["aware_at"] = json!(at(aware));
        // A practice: the NIS rules do not apply, the regulator's clock does.
        let uri = "/api/v1/organisations/A81001/incidents";
        let r = send(&h, Method::POST, uri, &w.lead.1, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let i = r.json();
        assert_eq!(i["grade"]["nis_reportable"], false);
        assert_eq!(i["clocks"].as_array().unwrap().len(), 1);
        let reg = clock(&i, "regulator");
        assert_eq!(reg["late"], late, "aware {}", at(aware));
        assert_eq!(reg["late_by_seconds"], late_by);
        assert_eq!(reg["met_at"], at(NOW));
    }
    // The board's late filter finds the late one only.
    let r = h
        .api(
            Method::GET,
            "/api/v1/incidents?late=true",
            Some(&w.analyst.1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["meta"]["total"], 1);
}

per_engine!(
    an_incident_reportable_to_no_one_needs_a_reason_and_bad_input_is_named,
    an_incident_reportable_to_no_one_needs_a_reason_and_bad_input_is_named_sqlite,
    an_incident_reportable_to_no_one_needs_a_reason_and_bad_input_is_named_postgres
);

async fn an_incident_reportable_to_no_one_needs_a_reason_and_bad_input_is_named(h: H) {
    let w = world(&h).await;
    let uri = "/api/v1/organisations/A81001/incidents";
    let mut minor = incident_body(true);
    minor["kind"] = json!("lost_or_stolen_device");
    minor["likelihood"] = json!("not_likely");
    minor["impact"] = json!("minor");
    let r = send(&h, Method::POST, uri, &w.member.1, minor.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "not_reported_reason");
    minor["not_reported_reason"] = json!("Encrypted laptop; the key was not with it");
    let r = send(&h, Method::POST, uri, &w.member.1, minor.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let i = r.json();
    assert_eq!(i["grade"]["regulator_reportable"], false);
    assert_eq!(
        i["not_reported_reason"],
        "Encrypted laptop; the key was not with it"
    );
    // Vulnerable groups raise the floor: not_occurred x no_adverse_effect counts as 2 x 2.
    minor["likelihood"] = json!("not_occurred");
    minor["impact"] = json!("no_adverse_effect");
    minor["vulnerable_groups"] = json!(true);
    let r = send(&h, Method::POST, uri, &w.member.1, minor).await;
    assert_eq!(r.json()["grade"]["likelihood"], "not_likely");
    assert_eq!(r.json()["grade"]["impact"], "minor");

    let bad = |change: Value| {
        let mut b = incident_body(true);
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    for (change, field) in [
        (json!({"kind": "flood"}), "kind"),
        (json!({"likelihood": "maybe"}), "likelihood"),
        (json!({"impact": "huge"}), "impact"),
        (json!({"aware_at": "2030-01-01T00:00:00Z"}), "aware_at"),
        (json!({"aware_at": "2025-06-14T21:00:00Z"}), "aware_at"),
        (json!({"aware_at": "yesterday"}), "aware_at"),
        (json!({"cia": ["secrecy"]}), "cia[0]"),
        (json!({"people_affected": -3}), "people_affected"),
        (json!({"colour": "red"}), "colour"),
    ] {
        let r = send(&h, Method::POST, uri, &w.lead.1, bad(change.clone())).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["field"], field, "{change}");
    }
    let list = h.api(Method::GET, uri, Some(&w.lead.1), None).await.json();
    assert_eq!(list["meta"]["total"], 2, "nothing bad was written");
}

per_engine!(
    the_national_team_triages_with_notes_the_organisation_never_sees,
    the_national_team_triages_with_notes_the_organisation_never_sees_sqlite,
    the_national_team_triages_with_notes_the_organisation_never_sees_postgres
);

async fn the_national_team_triages_with_notes_the_organisation_never_sees(h: H) {
    let w = world(&h).await;
    let (admin, lead) = (w.admin.1.as_str(), w.lead.1.as_str());
    let reference = h.incident("QAA", lead, incident_body(true)).await;
    let draft = h.incident("QAA", lead, incident_body(false)).await;
    let national = format!("/api/v1/incidents/{reference}");
    let own = format!("/api/v1/organisations/QAA/incidents/{reference}");

    // The board holds notified incidents only.
    let board = h
        .api(Method::GET, "/api/v1/incidents", Some(admin), None)
        .await
        .json();
    assert_eq!(board["meta"]["total"], 1);
    assert_eq!(board["items"][0]["reference"], reference.as_str());
    let r = h
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{draft}"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "a draft is the organisation's alone"
    );

    for (body, field) in [
        (json!({"severity": "extreme"}), "severity"),
        (json!({"status": "draft"}), "status"),
        (json!({"assignee": "lead@x.nhs.uk"}), "assignee"),
        (json!({"shared_with": ["NOPE1"]}), "shared_with"),
        (json!({}), "note"),
    ] {
        let r = send(
            &h,
            Method::POST,
            &format!("{national}/triage"),
            admin,
            body.clone(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text()
        );
        assert_eq!(r.json()["error"]["field"], field, "{body}");
    }
    let r = send(
        &h,
        Method::POST,
        &format!("{national}/triage"),
        admin,
        json!({"severity": "high", "assignee": "analyst@x.nhs.uk", "status": "investigating",
               "shared_with": ["rx1"], "note": "Same strain as last week's"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let t = r.json();
    assert_eq!(t["status"], "investigating");
    assert_eq!(t["severity"], "high");
    assert_eq!(t["assignee"], "analyst@x.nhs.uk");
    assert_eq!(t["shared_with"], json!(["RX1"]));
    let r = send(
        &h,
        Method::POST,
        &format!("{national}/messages"),
        admin,
        json!({"text": "Internal: supplier briefed", "internal": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = send(
        &h,
        Method::POST,
        &format!("{national}/messages"),
        admin,
        json!({"text": "Please send the ransom note"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = send(
        &h,
        Method::POST,
        &format!("{own}/messages"),
        lead,
        json!({"text": "Attached to the case file"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let kinds = |v: &Value| -> Vec<String> {
        v["updates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_string())
            .collect()
    };
    let seen = h.api(Method::GET, &own, Some(lead), None).await.json();
    assert_eq!(kinds(&seen), ["notification", "message", "message"]);
    assert!(!seen.to_string().contains("supplier briefed"));
    let all = h
        .api(Method::GET, &national, Some(&w.analyst.1), None)
        .await
        .json();
    // The regulator's report holds the organisation's own updates, never the national notes.
    let r = h
        .api(Method::GET, &format!("{own}/regulator"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = r.json();
    assert_eq!(report["organisation"]["code"], "QAA");
    assert_eq!(report["aware_at"], "2025-06-15T07:00:00Z");
    assert_eq!(report["grade"]["regulator_reportable"], true);
    assert_eq!(report["reported_by"], "lead@x.nhs.uk");
    let text = report.to_string();
    assert!(
        !text.contains("supplier briefed") && !text.contains("Same strain"),
        "{text}"
    );
    assert_eq!(
        kinds(&all),
        ["notification", "triage", "note", "message", "message"]
    );
    assert_eq!(
        all["updates"][1]["changes"]["assignee"],
        json!([null, "analyst@x.nhs.uk"]),
        "the assignee is recorded as people read it"
    );

    // The board's filters.
    let count = |q: &'static str| {
        let h = &h;
        async move {
            let r = h
                .api(
                    Method::GET,
                    &format!("/api/v1/incidents?{q}"),
                    Some(admin),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text());
            r.json()["meta"]["total"].as_u64().unwrap()
        }
    };
    assert_eq!(count("status=investigating").await, 1);
    assert_eq!(count("status=closed").await, 0);
    assert_eq!(
        count("assignee=analyst@x.nhs.uk&kind=ransomware&type=icb").await,
        1
    );
    assert_eq!(count("severity=low").await, 0);
    assert_eq!(count("reportable=yes&impact=serious").await, 1);
    assert_eq!(count("reportable=no").await, 0);
    assert_eq!(count("open=true&late=false").await, 1);
    let r = h
        .api(
            Method::GET,
            "/api/v1/incidents?kind=flood",
            Some(admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "kind");
}

per_engine!(
    the_report_form_shows_the_grade_then_notifies,
    the_report_form_shows_the_grade_then_notifies_sqlite,
    the_report_form_shows_the_grade_then_notifies_postgres
);

async fn the_report_form_shows_the_grade_then_notifies(h: H) {
    let _ = world(&h).await;
    let (session, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let form = |action: &str, aware: &str| {
        format!(
            "csrf_token={csrf}&title=Phishing+led+account+takeover&description=Mailbox+rules+forwarded+mail\
             &kind=account_compromise&started_at=2025-06-14T08:00&aware_at={aware}\
             &cia=confidentiality&personal_data=yes&likelihood=likely&impact=adverse\
             &systems=Email%0D%0ARota&action={action}"
        )
    };
    let uri = "/organisations/QAA/incidents";
    // "Check the grade" saves nothing and says what the grade means, in UK time.
    let r = h
        .page(
            Method::POST,
            uri,
            &session,
            Some(form("check", "2025-06-15T09:00")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.text();
    assert!(page.contains("Reportable to the data regulator"), "{page}");
    assert!(
        page.contains("18 June 2025, 09:00 BST"),
        "due 72 hours after 09:00 BST"
    );
    assert!(page.contains("Not reportable under the network and information systems rules"));
    let list = h.page(Method::GET, uri, &session, None).await.text();
    assert!(
        list.contains("has reported no incidents"),
        "nothing saved by a check"
    );

    // A bad time is named on the form, with the rest kept.
    let r = h
        .page(
            Method::POST,
            uri,
            &session,
            Some(form("notify", "tomorrow")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text();
    assert!(page.contains("href=\"#aware_at\""), "{page}");
    assert!(page.contains("Phishing led account takeover"));

    let r = h
        .page(
            Method::POST,
            uri,
            &session,
            Some(form("notify", "2025-06-15T09:00")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let case = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let page = h.page(Method::GET, &case, &session, None).await.text();
    assert!(page.contains("Notified"), "{page}");
    assert!(
        page.contains("15 June 2025, 09:00 BST"),
        "awareness in UK time: {page}"
    );
    assert!(page.contains("Add an update"));
    // An update from the page meets nothing it should not, and shows on the timeline.
    let r = h
        .page(
            Method::POST,
            &format!("{case}/updates"),
            &session,
            Some(format!(
                "csrf_token={csrf}&text=Passwords+reset&contained=yes"
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = h.page(Method::GET, &case, &session, None).await.text();
    assert!(page.contains("Passwords reset"));
    assert!(page.contains("contained: false → true"), "{page}");
    let r = h
        .page(
            Method::POST,
            &format!("{case}/updates"),
            &session,
            Some(format!("csrf_token={csrf}&text=")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

per_engine!(
    running_clocks_warn_the_organisation_once_at_half_and_four_fifths,
    running_clocks_warn_the_organisation_once_at_half_and_four_fifths_sqlite,
    running_clocks_warn_the_organisation_once_at_half_and_four_fifths_postgres
);

async fn running_clocks_warn_the_organisation_once_at_half_and_four_fifths(h: H) {
    let w = world(&h).await;
    // A practice's draft (its one contact, the SIRO, takes email and texts), aware at NOW: only the regulator's 72-hour clock runs.
    let mut body = incident_body(false);
    body["started_at"] = json!(at(NOW - 3600));
    body["aware_at"] = json!(at(NOW));
    let reference = h.incident("A81001", &w.lead.1, body).await;
    let incident_mail = |h: &H| {
        let store = h.db.store.clone();
        async move {
            let all = store.outbox(false, 100).await.unwrap();
            all.into_iter()
                .filter(|m| m.key.starts_with("incident:"))
                .map(|m| (m.channel, m.subject))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        h.app.warn_incident_clocks().await.unwrap(),
        0,
        "nothing due yet"
    );
    // What the lead's open page holds: a warning going out later must not make it stale.
    let own = format!("/api/v1/organisations/A81001/incidents/{reference}");
    let read = h.api(Method::GET, &own, Some(&w.lead.1), None).await.json();
    // 36 hours less a second: not yet half.
    h.clock.advance(time::Duration::seconds(36 * 3600 - 1));
    assert_eq!(h.app.warn_incident_clocks().await.unwrap(), 0);
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(h.app.warn_incident_clocks().await.unwrap(), 1);
    assert_eq!(h.app.warn_incident_clocks().await.unwrap(), 0, "once");
    let sent = incident_mail(&h).await;
    assert_eq!(sent.len(), 2, "an email and a text to the SIRO: {sent:?}");
    assert!(
        sent[0].1
            == format!(
                "{reference}: the report to the data regulator is due by 18 June 2025, 16:06 BST"
            ),
        "{sent:?}"
    );
    // Past 80% the second warning; notified then, nothing more.
    h.clock.advance(time::Duration::hours(22));
    assert_eq!(h.app.warn_incident_clocks().await.unwrap(), 1);
    assert_eq!(incident_mail(&h).await.len(), 4);
    let uri = format!("{own}/notify");
    let r = send(
        &h,
        Method::POST,
        &uri,
        &w.lead.1,
        json!({"revision": read["revision"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    h.clock.advance(time::Duration::hours(20));
    assert_eq!(h.app.warn_incident_clocks().await.unwrap(), 0);
    assert_eq!(incident_mail(&h).await.len(), 4);
    let warned = h
        .audit_actions(&w.admin.1)
        .await
        .iter()
        .filter(|a| *a == "incident.warn")
        .count();
    assert_eq!(warned, 2);
}

per_engine!(
    indicators_are_checked_shown_by_tlp_and_searched,
    indicators_are_checked_shown_by_tlp_and_searched_sqlite,
    indicators_are_checked_shown_by_tlp_and_searched_postgres
);

async fn indicators_are_checked_shown_by_tlp_and_searched(h: H) {
    let w = world(&h).await;
    let (admin, lead) = (w.admin.1.as_str(), w.lead.1.as_str());
    let reference = h.incident("QAA", lead, incident_body(true)).await;
    let uri = format!("/api/v1/incidents/{reference}/indicators");
    for (body, status, field) in [
        (
            json!({"type": "hostname", "value": "a.example", "tlp": "red"}),
            422,
            "type",
        ),
        (
            json!({"type": "ipv4", "value": "999.1.1.1", "tlp": "red"}),
            422,
            "value",
        ),
        (
            json!({"type": "sha256", "value": "abc", "tlp": "red"}),
            422,
            "value",
        ),
        (
            json!({"type": "ipv4", "value": "203.0.113.9", "tlp": "purple"}),
            422,
            "tlp",
        ),
    ] {
        let r = send(&h, Method::POST, &uri, admin, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], field, "{body}");
    }
    let marked = [
        ("ipv4", "203.0.113.9", "clear"),
        ("domain", "EVIL.example.", "green"),
        ("url", "https://evil.example/payload", "amber"),
        ("email", "payroll@evil.example", "amber+strict"),
        ("sha256", &"AB".repeat(32), "red"),
    ];
    for (kind, value, tlp) in marked {
        let body = json!({"type": kind, "value": value, "tlp": tlp});
        let r = send(&h, Method::POST, &uri, admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let again = json!({"type": "domain", "value": "evil.example", "tlp": "clear"});
    let r = send(&h, Method::POST, &uri, admin, again).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "the same indicator twice");

    let tlps = |v: Value| -> Vec<String> {
        v["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["tlp"].as_str().unwrap().to_string())
            .collect()
    };
    let own = format!("/api/v1/organisations/QAA/incidents/{reference}");
    let seen = h.api(Method::GET, &own, Some(lead), None).await.json();
    assert_eq!(
        tlps(seen),
        ["clear", "green", "amber", "amber+strict"],
        "red is national only"
    );
    let all = h
        .api(
            Method::GET,
            &format!("/api/v1/incidents/{reference}"),
            Some(&w.analyst.1),
            None,
        )
        .await
        .json();
    assert_eq!(
        tlps(all.clone()),
        ["clear", "green", "amber", "amber+strict", "red"]
    );
    assert_eq!(all["indicators"][1]["value"], "evil.example");

    // "Has anyone seen this?" in any case, for the national team only.
    let search = |q: String| {
        let h = &h;
        let token = w.analyst.1.clone();
        async move {
            h.api(
                Method::GET,
                &format!("/api/v1/indicators?value={q}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    let r = search("Evil.Example.COM".replace("COM", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = search("EVIL.EXAMPLE".into()).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["items"][0]["incident"], reference.as_str());
    assert_eq!(r["items"][0]["org_code"], "QAA");
    let r = search("ab".repeat(32)).await.json();
    assert_eq!(r["items"][0]["indicator"]["type"], "sha256");
    let r = search("nothing.example".into()).await.json();
    assert_eq!(r["items"], json!([]));
    let r = search(String::new()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .api(
            Method::GET,
            "/api/v1/indicators?value=evil.example",
            Some(lead),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

per_engine!(
    later_changes_keep_the_record_honest,
    later_changes_keep_the_record_honest_sqlite,
    later_changes_keep_the_record_honest_postgres
);

async fn later_changes_keep_the_record_honest(h: H) {
    let w = world(&h).await;
    let (admin, lead) = (w.admin.1.as_str(), w.lead.1.as_str());
    let reference = h.incident("QAA", lead, incident_body(true)).await;
    let own = format!("/api/v1/organisations/QAA/incidents/{reference}");
    let updates = format!("{own}/updates");
    // Lowered until no one must hear: the reason is asked for, then kept.
    let lower =
        json!({"text": "Backups were intact", "likelihood": "not_occurred", "impact": "minor"});
    let r = send(&h, Method::POST, &updates, lead, lower.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "not_reported_reason");
    let mut reasoned = lower;
    reasoned["not_reported_reason"] = json!("Nothing was taken or lost");
    let r = send(&h, Method::POST, &updates, lead, reasoned).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let i = r.json();
    assert_eq!(i["not_reported_reason"], "Nothing was taken or lost");
    assert_eq!(
        (i["likelihood"].clone(), i["impact"].clone()),
        (json!("not_occurred"), json!("minor"))
    );

    // An explicit status is kept; contained by triage marks the incident contained.
    let triage = format!("/api/v1/incidents/{reference}/triage");
    let r = send(
        &h,
        Method::POST,
        &triage,
        admin,
        json!({"status": "notified", "severity": "low"}),
    )
    .await;
    assert_eq!(r.json()["status"], "notified", "{}", r.text());
    let r = send(
        &h,
        Method::POST,
        &triage,
        admin,
        json!({"status": "contained"}),
    )
    .await;
    assert_eq!(r.json()["contained"], true, "{}", r.text());

    // Closed with its NIS full report never made: still late on the board.
    let second = h.incident("QAA", lead, incident_body(true)).await;
    h.clock.advance(time::Duration::hours(80));
    let close = json!({"text": "Over", "closed": true});
    let r = send(
        &h,
        Method::POST,
        &format!("/api/v1/organisations/QAA/incidents/{second}/updates"),
        lead,
        close,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let board = h
        .api(
            Method::GET,
            "/api/v1/incidents?late=true&status=closed",
            Some(admin),
            None,
        )
        .await
        .json();
    assert_eq!(board["meta"]["total"], 1, "{board}");
    assert_eq!(board["items"][0]["reference"], second.as_str());
}

per_engine!(
    national_figures_count_a_years_incidents,
    national_figures_count_a_years_incidents_sqlite,
    national_figures_count_a_years_incidents_postgres
);

async fn national_figures_count_a_years_incidents(h: H) {
    let w = world(&h).await;
    h.incident("QAA", &w.lead.1, incident_body(true)).await;
    let mut minor = incident_body(true);
    minor["likelihood"] = json!("not_likely");
    minor["impact"] = json!("minor");
    minor["not_reported_reason"] = json!("Contained at once");
    h.incident("A81001", &w.lead.1, minor).await;
    h.incident("QAA", &w.lead.1, incident_body(false)).await; // a draft: not counted
    let analyst = w.analyst.1.as_str();
    let r = h
        .api(
            Method::GET,
            "/api/v1/incidents/figures?year=2025",
            Some(analyst),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let f = r.json();
    assert_eq!(f["total"], 2);
    assert_eq!(f["reportable"], 1);
    assert_eq!(f["reportable_percent"], 50);
    let june = f["by_month"].as_array().unwrap()[5].clone();
    assert_eq!(
        june,
        json!({"key": "2025-06", "label": "2025-06", "count": 2})
    );
    let notification = f["durations"][0].clone();
    assert_eq!(notification["key"], "notification");
    // Aware at 07:00, notified at the test clock's 15:06:40.
    assert_eq!(notification["median_seconds"], 8 * 3600 + 6 * 60 + 40);
    let types: Vec<&str> = f["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["icb", "gp_practice"],
        "in the register's order of types"
    );
    let r = h
        .api(
            Method::GET,
            "/api/v1/incidents/figures?year=1999",
            Some(analyst),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "year");
    let csv = h
        .api(
            Method::GET,
            "/api/v1/incidents/figures.csv?year=2025",
            Some(analyst),
            None,
        )
        .await
        .text();
    assert!(
        csv.starts_with("section,key,label,count,median_seconds,p90_seconds\n"),
        "{csv}"
    );
    assert!(
        csv.contains("summary,total,Notified incidents,2,,\n"),
        "{csv}"
    );
    let empty = h
        .api(
            Method::GET,
            "/api/v1/incidents/figures?year=2024",
            Some(analyst),
            None,
        )
        .await
        .json();
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["reportable_percent"], Value::Null);
}

per_engine!(
    a_case_drafts_an_alert_and_texts_its_organisations,
    a_case_drafts_an_alert_and_texts_its_organisations_sqlite,
    a_case_drafts_an_alert_and_texts_its_organisations_postgres
);

async fn a_case_drafts_an_alert_and_texts_its_organisations(h: H) {
    let w = world(&h).await;
    let admin = w.admin.1.as_str();
    let reference = h.incident("QAA", &w.lead.1, incident_body(true)).await;
    let case = format!("/api/v1/incidents/{reference}");
    for (kind, value, tlp) in [
        ("domain", "c2.example", "clear"),
        ("domain", "community.example", "green"),
        ("ipv4", "198.51.100.4", "red"),
    ] {
        let body = json!({"type": kind, "value": value, "tlp": tlp});
        let r = send(&h, Method::POST, &format!("{case}/indicators"), admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = send(&h, Method::POST, &format!("{case}/alert"), admin, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let drafted = r.json();
    let alert = drafted["alert"].as_str().unwrap().to_string();
    assert_eq!(drafted["incident"]["alert"], alert.as_str());
    let a = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{alert}"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let text = a.text();
    assert!(
        text.contains("c2.example"),
        "a TLP:CLEAR indicator is carried over: {text}"
    );
    assert!(!text.contains("198.51.100.4"), "a TLP:RED one is not");
    assert!(
        !text.contains("community.example"),
        "nor a TLP:GREEN one: a published alert is public"
    );
    // The draft is the national team's: the organisation's audit log does not name it.
    let lead_log = h
        .api(
            Method::GET,
            "/api/v1/audit?per_page=200",
            Some(&w.lead.1),
            None,
        )
        .await;
    assert_eq!(lead_log.status, StatusCode::OK);
    assert!(!lead_log.text().contains(&alert), "{}", lead_log.text());
    assert!(
        h.audit_actions(admin)
            .await
            .contains(&"incident.alert".to_string())
    );
    assert!(
        !text.contains("QAA"),
        "the alert does not name the reporting organisation"
    );
    let r = send(&h, Method::POST, &format!("{case}/alert"), admin, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let board = h
        .api(
            Method::GET,
            &format!("/api/v1/incidents?alert={alert}"),
            Some(admin),
            None,
        )
        .await
        .json();
    assert_eq!(board["meta"]["total"], 1, "the alert's cases");
    let own = h
        .api(
            Method::GET,
            &format!("/api/v1/organisations/QAA/incidents/{reference}"),
            Some(&w.lead.1),
            None,
        )
        .await
        .json();
    assert_eq!(
        own["alert"],
        Value::Null,
        "the organisation is not told of the draft"
    );

    // Texts to the reporting organisation and those named on the case.
    let texts = format!("{case}/text");
    let r = send(
        &h,
        Method::POST,
        &texts,
        admin,
        json!({"text": "x".repeat(161)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = send(
        &h,
        Method::POST,
        &texts,
        admin,
        json!({"text": "Isolate PACS now"}),
    )
    .await;
    assert_eq!(r.json()["queued"], 0, "QAA has no contacts: {}", r.text());
    let share = json!({"shared_with": ["RX1", "A81001"]});
    let r = send(&h, Method::POST, &format!("{case}/triage"), admin, share).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = send(
        &h,
        Method::POST,
        &texts,
        admin,
        json!({"text": "Isolate PACS now"}),
    )
    .await;
    assert_eq!(r.json()["queued"], 2, "{}", r.text());
}

per_engine!(
    edges_of_lateness_reopening_containment_and_notes,
    edges_of_lateness_reopening_containment_and_notes_sqlite,
    edges_of_lateness_reopening_containment_and_notes_postgres
);

async fn edges_of_lateness_reopening_containment_and_notes(h: H) {
    let w = world(&h).await;
    let (admin, lead) = (w.admin.1.as_str(), w.lead.1.as_str());
    // A practice notified at NOW, aware at NOW: only the regulator's clock, met. An ICB's draft
    // aware at NOW: its NIS initial clock (24 h) runs unmet.
    let mut body = incident_body(true);
    body["started_at"] = json!(at(NOW - 3600));
    body["aware_at"] = json!(at(NOW));
    h.incident("A81001", lead, body.clone()).await;
    body["notify"] = json!(true);
    let icb = h.incident("QAA", lead, body).await;
    let own = format!("/api/v1/organisations/QAA/incidents/{icb}");
    // Notified at once: the full report's 72 hours run unmet.
    h.clock.advance(time::Duration::hours(72));
    assert_eq!(
        late_count(&h, admin).await,
        0,
        "exactly at the due second: not late"
    );
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(late_count(&h, admin).await, 1, "a second after: late");

    // Closed, then moved on by triage: no longer closed; reopened likewise.
    let triage = format!("/api/v1/incidents/{icb}/triage");
    let r = send(
        &h,
        Method::POST,
        &triage,
        admin,
        json!({"status": "closed"}),
    )
    .await;
    assert!(r.json()["closed_at"].is_string(), "{}", r.text());
    let r = send(
        &h,
        Method::POST,
        &triage,
        admin,
        json!({"status": "investigating"}),
    )
    .await;
    assert_eq!(r.json()["closed_at"], Value::Null, "{}", r.text());
    send(
        &h,
        Method::POST,
        &triage,
        admin,
        json!({"status": "closed"}),
    )
    .await;
    let r = send(
        &h,
        Method::POST,
        &triage,
        admin,
        json!({"status": "reopened"}),
    )
    .await;
    assert_eq!(r.json()["status"], "reopened");
    assert_eq!(r.json()["closed_at"], Value::Null);

    // A national note leaves the organisation's open form current.
    let read = h.api(Method::GET, &own, Some(lead), None).await.json();
    let note = json!({"text": "Briefed the supplier", "internal": true});
    let r = send(
        &h,
        Method::POST,
        &format!("/api/v1/incidents/{icb}/messages"),
        admin,
        note,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let update = json!({"text": "Isolated", "contained": true, "revision": read["revision"]});
    let r = send(&h, Method::POST, &format!("{own}/updates"), lead, update).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["contained_at"].is_string());
    // Found not contained after all: the containment time goes with it.
    let r = send(
        &h,
        Method::POST,
        &format!("{own}/updates"),
        lead,
        json!({"text": "It spread again", "contained": false}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["contained"], false);
    assert_eq!(r.json()["contained_at"], Value::Null);

    // An indicator with both a bad type and a bad marking names both.
    let bad = json!({"type": "hostname", "value": "x.example", "tlp": "purple"});
    let r = send(
        &h,
        Method::POST,
        &format!("/api/v1/incidents/{icb}/indicators"),
        admin,
        bad,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text();
    assert!(
        text.contains("\"type\"") && text.contains("\"tlp\""),
        "{text}"
    );
}

/// How many incidents the board's late filter finds.
async fn late_count(h: &H, token: &str) -> Value {
    h.api(
        Method::GET,
        "/api/v1/incidents?late=true",
        Some(token),
        None,
    )
    .await
    .json()["meta"]["total"]
        .clone()
}
