//! Each person's worklist: what the organisations they act for must do, most urgent first, and
//! nothing of anyone else's.

use crate::support::*;

/// 2026-11-02 09:00 UTC, in the 2026-27 assessment year.
const MONDAY: i64 = 1_793_610_000;

async fn worklist(h: &H, token: &str) -> Value {
    let r = h
        .api(Method::GET, "/api/v1/me/worklist", Some(token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.json()
}

/// (kind, organisation code, title) of each item, in order.
fn summary(list: &Value) -> Vec<(String, String, String)> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["organisation"]["code"].as_str().unwrap().to_string(),
                i["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn first_of<'a>(list: &'a Value, kind: &str, org: &str) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == kind && i["organisation"]["code"] == org)
        .unwrap_or_else(|| panic!("no {kind} item for {org} in {list}"))
}

fn has(list: &Value, kind: &str, org: &str) -> bool {
    summary(list).iter().any(|(k, o, _)| k == kind && o == org)
}

per_engine!(
    a_worklist_holds_what_its_organisations_must_do,
    a_worklist_holds_what_its_organisations_must_do_sqlite,
    a_worklist_holds_what_its_organisations_must_do_postgres
);

async fn a_worklist_holds_what_its_organisations_must_do(h: H) {
    h.clock
        .advance(time::Duration::seconds(MONDAY - 1_750_000_000));
    let w = world(&h).await;
    let (admin, lead, member, foreign) = (&w.admin.1, &w.lead.1, &w.member.1, &w.foreign.1);
    h.import_frameworks(admin).await;

    // National roles and auditors act for no organisation: nothing to list, and said so.
    for token in [admin, &w.analyst.1, &w.auditor.1] {
        assert_eq!(
            worklist(&h, token).await,
            json!({"items": [], "organisations": 0, "truncated": false, "exposure_pending": false})
        );
    }

    // The lead acts for the ICB and the practice beneath it: both assessments, not started.
    let list = worklist(&h, lead).await;
    assert_eq!(list["organisations"], 2);
    assert_eq!(
        summary(&list),
        vec![
            (
                "assessment".into(),
                "A81001".into(),
                "Assessment 2026-27 not started: 240 days left".into()
            ),
            (
                "assessment".into(),
                "QAA".into(),
                "Assessment 2026-27 not started: 240 days left".into()
            ),
        ]
    );
    let a = first_of(&list, "assessment", "A81001");
    // The deadline is England's 30 June: it ends at 23:59:59 BST.
    assert_eq!(
        (&a["due_at"], &a["late"], &a["url"]),
        (
            &json!("2027-06-30T22:59:59Z"),
            &json!(false),
            &json!("/organisations/A81001/assessments/2026")
        )
    );
    // Only large organisations record an interim baseline: the ICB (category 1), not the
    // practice (category 4).
    assert!(
        !a["detail"].as_str().unwrap().contains("Interim baseline"),
        "{a}"
    );
    let icb = first_of(&list, "assessment", "QAA");
    assert!(
        icb["detail"]
            .as_str()
            .unwrap()
            .contains("Interim baseline: 59 days left."),
        "{icb}"
    );
    assert_eq!(
        worklist(&h, member).await,
        list,
        "a member acts as the lead"
    );
    assert_eq!(
        summary(&worklist(&h, foreign).await),
        vec![(
            "assessment".into(),
            "RX1".into(),
            "Assessment 2026-27 not started: 240 days left".into()
        )]
    );

    // A High alert to practices and trusts: the practice must acknowledge within 48 hours, the
    // ICB is not asked; the trust's is the foreign lead's alone.
    let reference = h.create_alert(admin, high_alert(true)).await;
    let list = worklist(&h, lead).await;
    let first = &list["items"][0];
    assert_eq!(
        (
            &first["kind"],
            &first["organisation"]["code"],
            &first["title"]
        ),
        (
            &json!("alert_response"),
            &json!("A81001"),
            &json!(format!("Acknowledge {reference}"))
        )
    );
    assert_eq!(
        (&first["due_at"], &first["late"], &first["url"]),
        (
            &json!("2026-11-04T09:00:00Z"),
            &json!(false),
            &json!(format!("/alerts/{reference}/responses/A81001"))
        )
    );
    assert!(!has(&list, "alert_response", "QAA") && !has(&list, "alert_response", "RX1"));
    let theirs = worklist(&h, foreign).await;
    assert!(has(&theirs, "alert_response", "RX1"));
    assert!(!has(&theirs, "alert_response", "A81001"));

    // One second past the deadline it is late; acknowledged, an update falls due instead.
    h.clock.advance(time::Duration::seconds(48 * 3600 + 1));
    let list = worklist(&h, lead).await;
    assert_eq!(list["items"][0]["late"], true, "{list}");
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/alerts/{reference}/responses/A81001/acknowledge"),
            Some(member),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = worklist(&h, lead).await;
    let update = first_of(&list, "alert_response", "A81001");
    assert_eq!(
        (&update["title"], &update["late"]),
        (
            &json!(format!("Update your response to {reference}")),
            &json!(false)
        )
    );

    // The estate: Windows 7 is out of support, and log4j 2.14.1 is what the alert names.
    let eol = zip_of(&[("windows.md".to_string(), WINDOWS_EOL.to_string())]);
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/feeds/eol",
            admin,
            "application/zip",
            eol,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let inventory = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing\n\
         PC-1,workstation,Microsoft,Windows,7 SP1,,,no\n\
         app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,no\n";
    for code in ["A81001", "QAA", "RX1"] {
        let token = if code == "RX1" { foreign } else { lead };
        let r = h
            .put_inventory(code, token, "text/csv", inventory.to_string())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let list = worklist(&h, lead).await;
    for code in ["A81001", "QAA"] {
        let u = first_of(&list, "unsupported_system", code);
        assert_eq!(
            (&u["title"], &u["due_at"], &u["url"]),
            (
                &json!("1 unsupported system without a mitigation"),
                &Value::Null,
                &json!(format!("/organisations/{code}/estate"))
            )
        );
    }
    // The ICB runs what the alert names without being asked to answer it; the practice is
    // already answering, so its exposure is not listed twice.
    let e = first_of(&list, "exposure", "QAA");
    assert_eq!(e["url"], json!(format!("/alerts/{reference}")));
    assert!(!has(&list, "exposure", "A81001"));
    assert!(!has(&list, "unsupported_system", "RX1") && !has(&list, "exposure", "RX1"));
    assert!(has(
        &worklist(&h, foreign).await,
        "unsupported_system",
        "RX1"
    ));
    // Counts follow each change at once: the practice's Windows 7 covered by extended support,
    // a second one in the ICB's new inventory, and the agreement's end.
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/A81001/mitigations",
            Some(lead),
            Some(
                json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows",
                "action": "extended_support", "until": "2026-11-08", "evidence": "ESU 2026-1"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let second = format!("{inventory}PC-2,workstation,Microsoft,Windows,7 SP1,,,no\n");
    let r = h.put_inventory("QAA", lead, "text/csv", second).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = worklist(&h, lead).await;
    assert!(!has(&list, "unsupported_system", "A81001"), "{list}");
    assert_eq!(
        first_of(&list, "unsupported_system", "QAA")["title"],
        "2 unsupported systems without a mitigation"
    );
    let r = h
        .put_inventory("QAA", lead, "text/csv", inventory.to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    h.clock.advance(time::Duration::days(7));
    let list = worklist(&h, lead).await;
    assert!(
        has(&list, "unsupported_system", "A81001"),
        "the agreement ended"
    );
    assert_eq!(
        first_of(&list, "unsupported_system", "QAA")["title"],
        "1 unsupported system without a mitigation"
    );
    h.clock.advance(time::Duration::days(-7));

    // The practice submits (Standards Not Met) and plans its gaps: the assessment leaves the
    // list, the action due this week joins it, and becomes late once its day has passed.
    let base = "/api/v1/organisations/A81001/assessments/2026";
    // What the assessment still needs follows each answer (worked out once per change).
    // (unanswered, evidence missing, answered but not meeting the item)
    let needed = |list: &Value| -> [i64; 3] {
        let detail = first_of(list, "assessment", "A81001")["detail"]
            .as_str()
            .unwrap()
            .to_string();
        let mut out = [0; 3];
        let counts = detail
            .strip_prefix("Standards Met still needs: ")
            .unwrap_or_else(|| panic!("{detail}"));
        for part in counts
            .split(". ")
            .next()
            .unwrap()
            .trim_end_matches('.')
            .split(", ")
        {
            let (n, what) = part.split_once(' ').unwrap();
            let at = if what.contains("unanswered") {
                0
            } else if what.contains("evidence") {
                1
            } else {
                2
            };
            out[at] = n.parse().unwrap();
        }
        out
    };
    let before = needed(&worklist(&h, lead).await);
    assert!(before[0] > 0 && before[1] > 0, "{before:?}");
    let [unanswered, evidence, not_met] = before;
    let yes = json!({"answers": [{"ref": "1.1.2", "value": true}]});
    let r = h
        .api(
            Method::PUT,
            &format!("{base}/answers"),
            Some(member),
            Some(yes),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        needed(&worklist(&h, lead).await),
        [unanswered - 1, evidence, not_met]
    );
    let one = json!({"answers": [{"ref": "1.1.2", "value": false}]});
    let r = h
        .api(
            Method::PUT,
            &format!("{base}/answers"),
            Some(member),
            Some(one),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        needed(&worklist(&h, lead).await),
        [unanswered - 1, evidence, not_met + 1],
        "answered, but no"
    );
    let r = h
        .api(Method::POST, &format!("{base}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.json()["status"], "standards_not_met", "{}", r.text());
    let plan = h
        .api(Method::GET, &format!("{base}/plan"), Some(member), None)
        .await
        .json();
    let actions: Vec<Value> = plan["lines"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let due = if i == 0 { "2026-11-05" } else { "2027-03-01" };
            json!({"ref": l["ref"], "action": "Put it in place", "owner": "IG lead", "target_date": due})
        })
        .collect();
    let first_ref = actions[0]["ref"].as_str().unwrap().to_string();
    let r = h
        .api(
            Method::PUT,
            &format!("{base}/plan"),
            Some(member),
            Some(json!({"expected_revision": 0, "actions": actions})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = worklist(&h, lead).await;
    assert!(!has(&list, "assessment", "A81001"));
    let p = first_of(&list, "plan_action", "A81001");
    assert_eq!(
        (&p["title"], &p["due_at"], &p["late"], &p["url"]),
        (
            &json!("1 improvement-plan action due this week"),
            &json!("2026-11-05T23:59:59Z"),
            &json!(false),
            &json!("/organisations/A81001/assessments/2026/plan")
        )
    );
    assert!(p["detail"].as_str().unwrap().contains(&first_ref), "{p}");
    h.clock.advance(time::Duration::days(2));
    let list = worklist(&h, lead).await;
    let p = first_of(&list, "plan_action", "A81001");
    assert_eq!(
        (&p["title"], &p["late"]),
        (&json!("1 improvement-plan action overdue"), &json!(true))
    );
    // Late items come first, most overdue first.
    let lates: Vec<bool> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["late"].as_bool().unwrap())
        .collect();
    assert!(lates.windows(2).all(|p| p[0] >= p[1]), "{list}");

    // Closed as not applicable, the response leaves the list, and the alert it answered is not
    // listed again as an exposure.
    let steps = [
        (
            "applicability",
            json!({"applies": false, "reason": "Not in use here."}),
        ),
        ("close", json!({"closure": "not_applicable"})),
    ];
    for (step, body) in steps {
        let url = format!("/api/v1/alerts/{reference}/responses/A81001/{step}");
        let r = h.api(Method::POST, &url, Some(lead), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.text());
    }
    let list = worklist(&h, lead).await;
    assert!(!has(&list, "alert_response", "A81001") && !has(&list, "exposure", "A81001"));
    assert!(has(&list, "exposure", "QAA"));

    // An incident with a playbook applied: the organisation's open tasks, one item per case.
    assert_eq!(h.app.install_shipped_playbooks().await.unwrap(), 6);
    let incident = h.incident("QAA", lead, incident_body(true)).await;
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/incidents/{incident}/playbooks"),
            Some(admin),
            Some(json!({"key": "ransomware"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    let list = worklist(&h, lead).await;
    let t = first_of(&list, "incident_task", "QAA");
    assert!(
        t["title"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{incident}: ")),
        "{t}"
    );
    assert_eq!(
        t["url"],
        json!(format!("/organisations/QAA/incidents/{incident}"))
    );
    assert!(!has(&worklist(&h, foreign).await, "incident_task", "QAA"));
}

per_engine!(
    a_national_message_waits_in_the_worklist_until_answered,
    a_national_message_waits_in_the_worklist_until_answered_sqlite,
    a_national_message_waits_in_the_worklist_until_answered_postgres
);

async fn a_national_message_waits_in_the_worklist_until_answered(h: H) {
    let w = world(&h).await;
    let (admin, lead, foreign) = (&w.admin.1, &w.lead.1, &w.foreign.1);
    let incident = h.incident("QAA", lead, incident_body(true)).await;
    let national = format!("/api/v1/incidents/{incident}/messages");
    let own = format!("/api/v1/organisations/QAA/incidents/{incident}/messages");
    let say = |uri: String, token: String, body: Value| {
        let h = &h;
        async move {
            let r = h.api(Method::POST, &uri, Some(&token), Some(body)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
    };
    let asked = |list: &Value| has(list, "incident_task", "QAA");
    // A national note is never seen by the organisation: nothing to answer.
    say(
        national.clone(),
        admin.clone(),
        json!({"text": "Internal: supplier briefed", "internal": true}),
    )
    .await;
    assert!(!asked(&worklist(&h, lead).await));

    say(
        national.clone(),
        admin.clone(),
        json!({"text": "Please send the ransom note"}),
    )
    .await;
    let list = worklist(&h, lead).await;
    let m = first_of(&list, "incident_task", "QAA");
    assert_eq!(
        (&m["title"], &m["due_at"], &m["late"], &m["url"]),
        (
            &json!(format!(
                "{incident}: the national team is waiting for your reply"
            )),
            &Value::Null,
            &json!(false),
            &json!(format!("/organisations/QAA/incidents/{incident}"))
        )
    );
    assert!(
        m["detail"]
            .as_str()
            .unwrap()
            .ends_with(": \"Please send the ransom note\""),
        "{m}"
    );
    assert!(
        !asked(&worklist(&h, foreign).await),
        "another organisation's"
    );
    say(
        national.clone(),
        admin.clone(),
        json!({"text": "And the firewall logs"}),
    )
    .await;
    let list = worklist(&h, lead).await;
    let detail = first_of(&list, "incident_task", "QAA")["detail"].clone();
    assert!(
        detail
            .as_str()
            .unwrap()
            .starts_with("2 messages unanswered; the latest, "),
        "{detail}"
    );

    // The organisation answers: the item goes; a new question brings it back.
    say(own, lead.clone(), json!({"text": "Both attached"})).await;
    assert!(!asked(&worklist(&h, lead).await));
    say(national, admin.clone(), json!({"text": "Thank you"})).await;
    assert!(asked(&worklist(&h, lead).await));
}

per_engine!(
    a_supplier_lead_is_asked_to_sign_the_charter,
    a_supplier_lead_is_asked_to_sign_the_charter_sqlite,
    a_supplier_lead_is_asked_to_sign_the_charter_postgres
);

async fn a_supplier_lead_is_asked_to_sign_the_charter(h: H) {
    assert!(h.app.install_shipped_charter().await.unwrap());
    h.org("SUP1", "it_supplier", "").await;
    let (_, lead) = h
        .person("lead@sup1.example", Role::OrgLead, Some("SUP1"))
        .await;
    let (_, member) = h
        .person("member@sup1.example", Role::OrgMember, Some("SUP1"))
        .await;
    let list = worklist(&h, &lead).await;
    let c = first_of(&list, "charter", "SUP1");
    assert_eq!(
        (&c["title"], &c["due_at"], &c["url"]),
        (
            &json!("Sign the supplier charter"),
            &Value::Null,
            &json!("/organisations/SUP1/charter")
        )
    );
    // Signing is the lead's act: a member is not asked to.
    assert!(!has(&worklist(&h, &member).await, "charter", "SUP1"));
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/SUP1/charter/signatures",
            Some(&lead),
            Some(json!({
                "signatory_name": "Ada Lovelace",
                "signatory_position": "Chief Executive",
                "signed_on": "2025-06-15"
            })),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    assert!(!has(&worklist(&h, &lead).await, "charter", "SUP1"));
    // Eleven months on, reaffirmation falls due, with the expiry as its deadline.
    h.clock.advance(time::Duration::days(340));
    let list = worklist(&h, &lead).await;
    let c = first_of(&list, "charter", "SUP1");
    assert_eq!(
        (&c["title"], &c["due_at"], &c["late"]),
        (
            &json!("Reaffirm the supplier charter"),
            // The end of the UK day (British Summer Time).
            &json!("2026-06-15T22:59:59Z"),
            &json!(false)
        )
    );
}

#[tokio::test]
async fn the_home_page_shows_the_worklist_to_those_who_act() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.clock
        .advance(time::Duration::seconds(MONDAY - 1_750_000_000));
    let w = world(&h).await;
    // While a starting server first builds the exposure index, the list says that part is
    // pending rather than waiting for it; once built, the note goes.
    let session = {
        let _building = h.app.hold_exposure_index().await;
        let wait = std::time::Duration::from_secs(10);
        let (session, _) = tokio::time::timeout(wait, h.sign_in("lead@x.nhs.uk", PASSWORD))
            .await
            .expect("signing in does not wait for the index")
            .unwrap();
        let list = tokio::time::timeout(wait, worklist(&h, &w.lead.1))
            .await
            .expect("the worklist does not wait for the index");
        assert_eq!(list["exposure_pending"], true, "{list}");
        let page = tokio::time::timeout(wait, h.page(Method::GET, "/", &session, None))
            .await
            .expect("the home page does not wait for the index")
            .text();
        assert!(page.contains("still being worked out"), "{page}");
        session
    };
    assert_eq!(worklist(&h, &w.lead.1).await["exposure_pending"], false);
    let page = h.page(Method::GET, "/", &session, None).await.text();
    assert!(!page.contains("still being worked out"), "{page}");
    let admin = h
        .person("admin2@x.nhs.uk", Role::NationalAdmin, None)
        .await
        .1;
    h.import_framework(&admin, TEN_STANDARD).await;
    h.create_alert(&admin, high_alert(true)).await;
    let (session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/", &session, None).await.text();
    assert!(page.contains("What needs doing"), "{page}");
    assert!(
        page.contains("for the 2 organisations you act for"),
        "{page}"
    );
    assert!(page.contains("/alerts/CC-1000/responses/A81001"), "{page}");
    assert!(page.contains("due in 2 days"), "{page}");
    let (session, _) = h.sign_in("foreign@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/", &session, None).await.text();
    assert!(page.contains("Org RX1 (RX1)"), "{page}");
    assert!(!page.contains("A81001"), "{page}");
    // National roles see no worklist section at all.
    let (session, _) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/", &session, None).await.text();
    assert!(!page.contains("What needs doing"), "{page}");
}

per_engine!(
    a_group_lead_sees_every_level_beneath_and_no_more_than_the_cap,
    a_group_lead_sees_every_level_beneath_and_no_more_than_the_cap_sqlite,
    a_group_lead_sees_every_level_beneath_and_no_more_than_the_cap_postgres
);

async fn a_group_lead_sees_every_level_beneath_and_no_more_than_the_cap(h: H) {
    h.clock
        .advance(time::Duration::seconds(MONDAY - 1_750_000_000));
    let w = world(&h).await;
    h.import_frameworks(&w.admin.1).await;
    // A care group, a region of it, and homes beneath the region: three levels, plus 500
    // more homes straight under the group, imported as the register's keeper would.
    let mut csv = String::from("code,name,type,category,region,parent_code,active\n");
    csv.push_str("CG000,Care Group,adult_social_care,,London,,true\n");
    csv.push_str("CG001,Care Group North,adult_social_care,,London,CG000,true\n");
    csv.push_str("CG002,Home in the North,adult_social_care,,London,CG001,true\n");
    for i in 0..500 {
        csv.push_str(&format!(
            "CH{i:04},Home {i},adult_social_care,,London,CG000,true\n"
        ));
    }
    h.app
        .import_orgs_csv(&Actor::cli(), csv.as_bytes(), |_| {})
        .await
        .unwrap();
    let (_, region) = h
        .person("region@cg.example", Role::OrgLead, Some("CG001"))
        .await;
    let (_, group) = h
        .person("group@cg.example", Role::OrgLead, Some("CG000"))
        .await;

    // The region's lead: the region and the home two levels down, each with its assessment.
    let list = worklist(&h, &region).await;
    assert_eq!(list["organisations"], 2, "{list}");
    assert_eq!(list["truncated"], false);
    assert!(has(&list, "assessment", "CG001") && has(&list, "assessment", "CG002"));
    assert!(!has(&list, "assessment", "CG000"), "not the group above");

    // The group's lead acts for 503 organisations: the list covers the first 500 by code and
    // says it stopped there.
    let list = worklist(&h, &group).await;
    assert_eq!(
        (&list["organisations"], &list["truncated"]),
        (&json!(500), &json!(true)),
        "{}",
        list["organisations"]
    );
    assert!(has(&list, "assessment", "CG002"), "three levels down");
    assert!(!has(&list, "assessment", "CH0499"), "past the cap by code");
}

per_engine!(
    known_exploited_vulnerabilities_follow_the_catalogue_feeds_and_uploads,
    known_exploited_vulnerabilities_follow_the_catalogue_feeds_and_uploads_sqlite,
    known_exploited_vulnerabilities_follow_the_catalogue_feeds_and_uploads_postgres
);

async fn known_exploited_vulnerabilities_follow_the_catalogue_feeds_and_uploads(h: H) {
    let w = world(&h).await;
    let (admin, lead) = (&w.admin.1, &w.lead.1);
    let windows = "PC-1,workstation,Microsoft,Windows,10 22H2,,,no\n";
    let log4j = "app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,no\n";
    h.put_inventory_rows("A81001", lead, &format!("{windows}{log4j}"))
        .await;
    h.put_inventory_rows("RX1", &w.foreign.1, &format!("{windows}{log4j}"))
        .await;
    let exploited = |list: &Value| -> Vec<String> {
        summary(list)
            .into_iter()
            .filter(|(k, _, t)| k == "exposure" && t.contains("known exploited"))
            .map(|(_, o, t)| format!("{o}: {t}"))
            .collect()
    };
    assert!(
        exploited(&worklist(&h, lead).await).is_empty(),
        "no catalogue yet"
    );

    // The catalogue names Windows (every version) and SMBv1, which the estate does not run.
    h.import_json_feed("kev", admin, KEV_JSON.into()).await;
    let list = worklist(&h, lead).await;
    assert_eq!(
        exploited(&list),
        ["A81001: A known exploited vulnerability names what your estate runs"]
    );
    let item = first_of(&list, "exposure", "A81001");
    assert_eq!(
        (&item["url"], &item["due_at"], &item["late"]),
        (
            &json!("/organisations/A81001/estate#exposure"),
            &Value::Null,
            &json!(false)
        )
    );

    // Log4Shell enters the catalogue, and an advisory gives its versions: both now count,
    // as the organisation's own exposure lists them.
    let with_log4shell = KEV_JSON.replace(
        "\"count\": 2, \"vulnerabilities\": [",
        "\"count\": 3, \"vulnerabilities\": [\n  {\"cveID\": \"CVE-2021-44228\", \
         \"vendorProject\": \"Apache\", \"product\": \"Log4j2\", \"vulnerabilityName\": \
         \"Log4Shell\", \"dateAdded\": \"2021-12-10\", \"shortDescription\": \"\", \
         \"requiredAction\": \"Apply updates.\", \"dueDate\": \"2021-12-24\", \
         \"knownRansomwareCampaignUse\": \"Known\", \"notes\": \"\"},",
    );
    h.import_json_feed("kev", admin, with_log4shell).await;
    h.import_json_feed("osv", admin, OSV_LOG4J.into()).await;
    let list = worklist(&h, lead).await;
    assert_eq!(
        exploited(&list),
        ["A81001: 2 known exploited vulnerabilities name what your estate runs"]
    );
    let own = h
        .api(
            Method::GET,
            "/api/v1/organisations/A81001/exposure",
            Some(lead),
            None,
        )
        .await
        .json();
    let tagged = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["known_exploited"] == true && m["kind"] != "alert")
        .count();
    assert_eq!(tagged, 2, "{own}");

    // Each upload moves the count: Log4j gone, then Windows gone too.
    h.put_inventory_rows("A81001", lead, windows).await;
    assert_eq!(
        exploited(&worklist(&h, lead).await),
        ["A81001: A known exploited vulnerability names what your estate runs"]
    );
    h.put_inventory_rows("A81001", lead, "PC-1,workstation,Apple,macOS,15,,,no\n")
        .await;
    assert!(exploited(&worklist(&h, lead).await).is_empty());
    // Another organisation's estate is its own lead's to see.
    assert_eq!(
        exploited(&worklist(&h, &w.foreign.1).await),
        ["RX1: 2 known exploited vulnerabilities name what your estate runs"]
    );
    // An alert naming SMBGhost but no products (a bulletin) leaves it to the catalogue's
    // product, as a question about the CVE does.
    let mut bulletin = high_alert(true);
    bulletin["cves"] = json!(["CVE-2020-0796"]);
    bulletin["products"] = json!([]);
    h.create_alert(admin, bulletin).await;
    assert_eq!(
        exploited(&worklist(&h, &w.foreign.1).await),
        ["RX1: 2 known exploited vulnerabilities name what your estate runs"]
    );
    let own = |code: &'static str, token: String| {
        let h = &h;
        async move {
            h.api(
                Method::GET,
                &format!("/api/v1/organisations/{code}/exposure"),
                Some(&token),
                None,
            )
            .await
            .json()
        }
    };
    let rx1 = own("RX1", w.foreign.1.clone()).await;
    assert!(
        rx1["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["known_exploited"] == true && m["cves"] == json!(["CVE-2020-0796"])),
        "{rx1}"
    );
    // An alert giving versions for SMBGhost takes it over: the catalogue entry no longer
    // counts by its product, and the alert names another Windows than the one RX1 runs.
    let mut smbghost = high_alert(true);
    smbghost["cves"] = json!(["CVE-2020-0796"]);
    smbghost["products"] = json!([{"name": "Microsoft Windows 7",
        "cpe": "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"}]);
    h.create_alert(admin, smbghost).await;
    let list = worklist(&h, &w.foreign.1).await;
    assert_eq!(
        exploited(&list),
        ["RX1: A known exploited vulnerability names what your estate runs"]
    );
    assert!(
        !summary(&list)
            .iter()
            .any(|(k, _, t)| k == "exposure" && t.contains("CC-")),
        "{list}"
    );
}
