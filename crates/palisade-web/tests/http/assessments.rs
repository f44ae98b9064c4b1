//! The self-assessment over the API: frameworks, answers, submission, deadlines and exports.

use crate::support::*;

/// Every yes/no-like answer a body needs to reach its CAF profile: no Not-achieved indicator,
/// every other indicator true.
fn caf_answers(framework: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for o in framework["objectives"].as_array().unwrap() {
        for p in o["principles"].as_array().unwrap() {
            for oc in p["outcomes"].as_array().unwrap() {
                for g in oc["igps"].as_array().unwrap() {
                    out.push(json!({"ref": g["ref"], "value": g["level"] != "not_achieved"}));
                }
            }
        }
    }
    out
}

per_engine!(
    assessment_cycle_through_the_api_with_tenant_checks,
    assessment_cycle_through_the_api_with_tenant_checks_sqlite,
    assessment_cycle_through_the_api_with_tenant_checks_postgres
);

async fn assessment_cycle_through_the_api_with_tenant_checks(h: H) {
    let w = world(&h).await;
    let (admin, analyst, lead, member, auditor, foreign) = (
        &w.admin.1,
        &w.analyst.1,
        &w.lead.1,
        &w.member.1,
        &w.auditor.1,
        &w.foreign.1,
    );

    // Frameworks: only national admins import; importing the same file twice changes nothing.
    let r = h.import_framework(lead, TEN_STANDARD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.import_framework(admin, TEN_STANDARD).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let ten_id = r.json()["framework"]["id"].as_i64().unwrap();
    let r = h.import_framework(admin, TEN_STANDARD).await;
    assert_eq!(
        (r.status, r.json()["created"].clone()),
        (StatusCode::OK, json!(false))
    );
    let r = h.import_framework(admin, CAF).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let caf_id = r.json()["framework"]["id"].as_i64().unwrap();
    let broken = TEN_STANDARD.replacen("ref: \"1.1.1\"", "ref: \"2.1.1\"", 1);
    let r = h.import_framework(admin, &broken).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("is not under assertion"), "{}", r.text());
    // A new version may change the items but not the year's deadline: the assessments already
    // started keep their version, and would keep the old one.
    let moved = TEN_STANDARD.replacen("deadline: 2027-06-30", "deadline: 2027-07-31", 1);
    assert_ne!(moved, TEN_STANDARD);
    let r = h.import_framework(admin, &moved).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(
        r.text().contains("has the deadline 2027-06-30"),
        "{}",
        r.text()
    );

    let list = h
        .api(Method::GET, "/api/v1/frameworks", Some(member), None)
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let ten = h
        .api(
            Method::GET,
            &format!("/api/v1/frameworks/{ten_id}"),
            Some(member),
            None,
        )
        .await
        .json();
    let first = &ten["standards"][0]["assertions"][0]["items"][0];
    assert_eq!(first["ref"], "1.1.1");
    assert!(first["answer_type"].is_string() && first["mandatory_for"].is_array());
    assert!(first["approaching_for"].is_array());
    assert_eq!(ten["deadline"], "2027-06-30");
    let caf = h
        .api(
            Method::GET,
            &format!("/api/v1/frameworks/{caf_id}"),
            Some(member),
            None,
        )
        .await
        .json();
    let outcome = &caf["objectives"][0]["principles"][0]["outcomes"][0];
    assert_eq!(outcome["ref"], "A1.a");
    assert!(outcome["targets"]["1"].is_string() && outcome["igps"][0]["level"].is_string());

    // Who may read, answer and submit: admin, analyst, lead, member, auditor (of QAA), foreign.
    let tokens = w.tokens();
    let gp = "/api/v1/organisations/A81001/assessments/2026";
    let one = json!({"answers": [{"ref": "1.1.2", "value": true}]});
    for (method, uri, body, expected) in [
        (
            Method::GET,
            gp.to_string(),
            None,
            [200, 200, 200, 200, 200, 404],
        ),
        (
            Method::GET,
            "/api/v1/organisations/RX1/assessments/2026".into(),
            None,
            [200, 200, 404, 404, 404, 200],
        ),
        (
            Method::PUT,
            format!("{gp}/answers"),
            Some(one.clone()),
            [403, 403, 200, 200, 403, 404],
        ),
        (
            Method::POST,
            format!("{gp}/reopen"),
            None,
            [403, 403, 409, 403, 403, 404],
        ),
        (
            Method::GET,
            "/api/v1/reports/national?year=2026".into(),
            None,
            [200, 200, 403, 403, 403, 403],
        ),
    ] {
        for (i, (who, token)) in tokens.iter().enumerate() {
            let r = h.api(method.clone(), &uri, Some(token), body.clone()).await;
            assert_eq!(
                r.status.as_u16(),
                expected[i],
                "{method} {uri} as {who}: {}",
                r.text()
            );
        }
    }
    let gp_view = h.api(Method::GET, gp, Some(member), None).await.json();
    assert_eq!(gp_view["status"], "not_published");
    assert_eq!(gp_view["framework_id"], ten_id);
    assert_eq!(gp_view["answers"][0]["ref"], "1.1.2");
    assert_eq!(gp_view["answers"][0]["value"], true);
    let version = gp_view["answers"][0]["version"].as_i64().unwrap();
    assert!(
        gp_view["progress"]["needed_for_met"]
            .as_array()
            .unwrap()
            .len()
            > 10
    );
    assert_eq!(gp_view["days_left"], 745);
    // A practice records no interim baseline; the trust below (category 1) does.
    assert_eq!(gp_view["interim_baseline"], Value::Null);

    // Bad answers are refused, naming the item, and change nothing.
    let not_for_gp = ten["standards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["assertions"].as_array().unwrap())
        .flat_map(|a| a["items"].as_array().unwrap())
        .find(|i| {
            let has = |k: &str| i[k].as_array().unwrap().iter().any(|t| t == "gp_practice");
            !has("mandatory_for") && !has("optional_for")
        })
        .expect("some item does not apply to GP practices")["ref"]
        .as_str()
        .unwrap()
        .to_string();
    for (body, field) in [
        (
            json!({"answers": [{"ref": "99.9.9", "value": true}]}),
            "answers.99.9.9",
        ),
        (
            json!({"answers": [{"ref": "1.1.2", "value": "perhaps"}]}),
            "answers.1.1.2",
        ),
        (
            json!({"answers": [{"ref": &not_for_gp, "value": true}]}),
            &*format!("answers.{not_for_gp}"),
        ),
        (json!({"answers": []}), "answers"),
    ] {
        let r = h
            .api(
                Method::PUT,
                &format!("{gp}/answers"),
                Some(member),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["error"]["field"], field, "{}", r.text());
    }
    // Two people at once: a write against a stale version is refused, a fresh one lands.
    let r = h
        .api(
            Method::PUT,
            &format!("{gp}/answers"),
            Some(lead),
            Some(
                json!({"answers": [{"ref": "1.1.2", "value": false, "expected_version": version}]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["changed"], json!(["1.1.2"]));
    let r = h
        .api(
            Method::PUT,
            &format!("{gp}/answers"),
            Some(member),
            Some(
                json!({"answers": [{"ref": "1.1.2", "value": true, "expected_version": version}]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "answers.1.1.2");

    // Certificates: the kind must be one of the framework's.
    let r = h
        .api(Method::PUT, &format!("{gp}/certificates"), Some(member), Some(json!({"certificates": [{"kind": "gold_star", "reference": "X", "expires_on": "2027-01-01"}]})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "certificates[0].kind");
    let r = h
        .api(Method::PUT, &format!("{gp}/certificates"), Some(member), Some(json!({"certificates": [{"kind": "cyber_essentials_plus", "reference": "CEP-123", "expires_on": "2027-01-01"}]})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["certificates"][0]["valid"], true);

    // Submission is the lead's; it publishes the status and locks the answers.
    let r = h
        .api(Method::POST, &format!("{gp}/submit"), Some(member), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "standards_not_met");
    assert_eq!(r.json()["submitted"], true);
    let r = h
        .api(
            Method::PUT,
            &format!("{gp}/answers"),
            Some(member),
            Some(one.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = h
        .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "already submitted");
    let r = h
        .api(Method::POST, &format!("{gp}/reopen"), Some(lead), None)
        .await;
    assert_eq!(
        (r.status, r.json()["submitted"].clone()),
        (StatusCode::OK, json!(false))
    );
    assert_eq!(
        r.json()["status"],
        "standards_not_met",
        "the published status stands"
    );

    // A CAF body that reaches its profile and holds Cyber Essentials Plus exceeds the standard.
    let rx1 = "/api/v1/organisations/RX1/assessments/2026";
    let r = h
        .api(
            Method::PUT,
            &format!("{rx1}/answers"),
            Some(foreign),
            Some(json!({"answers": caf_answers(&caf)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["progress"]["met"], true);
    assert_eq!(r.json()["interim_baseline"], "2026-12-31");
    let r = h
        .api(Method::POST, &format!("{rx1}/submit"), Some(foreign), None)
        .await;
    assert_eq!(r.json()["status"], "standards_met");
    h.api(Method::POST, &format!("{rx1}/reopen"), Some(foreign), None)
        .await;
    h.api(Method::PUT, &format!("{rx1}/certificates"), Some(foreign), Some(json!({"certificates": [{"kind": "cyber_essentials_plus", "reference": "CEP-9", "expires_on": "2026-12-31"}]}))).await;
    let r = h
        .api(Method::POST, &format!("{rx1}/submit"), Some(foreign), None)
        .await;
    assert_eq!(r.json()["status"], "standards_exceeded", "{}", r.text());
    let pubs = r.json()["publications"].clone();
    assert_eq!(
        pubs.as_array().unwrap().len(),
        2,
        "each publication is kept"
    );
    assert_eq!(pubs[1]["status"], "standards_met");

    // The public register: no sign-in, and nothing but code, name, type, status and date.
    let r = h
        .api(
            Method::GET,
            "/api/v1/public/organisations?year=2026&q=rx",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let item = &r.json()["items"][0];
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["code", "name", "published_at", "status", "type"]);
    assert_eq!(item["status"], "standards_exceeded");
    let csv = h
        .api(
            Method::GET,
            "/api/v1/public/organisations.csv?year=2026",
            None,
            None,
        )
        .await
        .text();
    assert!(
        csv.starts_with("code,name,type,status,published_at\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4);
    assert!(!csv.contains("CEP-"), "no certificate detail in public");

    // National figures.
    let rep = h
        .api(
            Method::GET,
            "/api/v1/reports/national?year=2026",
            Some(analyst),
            None,
        )
        .await
        .json();
    assert_eq!(rep["overall"]["total"], 3);
    assert_eq!(rep["overall"]["met_or_exceeded"], 1);
    assert_eq!(rep["nhs_trusts"]["met_or_exceeded_percent"], 100.0);
    assert_eq!(rep["overall"]["statuses"]["standards_not_met"], 1);
    assert_eq!(rep["overall"]["published"], 2);
    // The whole report, as the department quotes it: one snapshot both engines must match.
    // The day it was asked is redacted, so moving the test's clock does not rewrite it.
    insta::assert_json_snapshot!("national_report_2026", rep, {
        ".as_of" => "[as_of]",
    });
    let csv = h
        .api(
            Method::GET,
            "/api/v1/reports/national?year=2026&format=csv",
            Some(analyst),
            None,
        )
        .await;
    assert!(csv.text().starts_with("dimension,key,label,total,"));
    let scoped = h
        .api(
            Method::GET,
            "/api/v1/assessments?year=2026",
            Some(lead),
            None,
        )
        .await
        .json();
    assert_eq!(
        scoped["meta"]["total"], 2,
        "the lead sees QAA and its practice only"
    );
    let r = h
        .api(
            Method::GET,
            "/api/v1/assessments?year=2026&status=standards_exceeded",
            Some(auditor),
            None,
        )
        .await;
    assert_eq!(
        r.json()["meta"]["total"],
        0,
        "an auditor of QAA sees no foreign statuses"
    );
    let r = h
        .api(
            Method::GET,
            "/api/v1/assessments?year=2026&status=great",
            Some(analyst),
            None,
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "status");

    // Every step is in the audit log.
    let actions = h.audit_actions(admin).await;
    for a in [
        "framework.import",
        "assessment.answers",
        "assessment.certificates",
        "assessment.submit",
        "assessment.reopen",
        "assessment.republish",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
}

per_engine!(
    assessment_deadline_edges_and_request_limits,
    assessment_deadline_edges_and_request_limits_sqlite,
    assessment_deadline_edges_and_request_limits_postgres
);

/// The deadline is inclusive: on the day, a lead may still reopen and republish; the day after,
/// the published status stands, and a first submission is accepted but marked late. Also the
/// limits of one bulk call and years with no framework.
async fn assessment_deadline_edges_and_request_limits(h: H) {
    let w = world(&h).await;
    let (admin, analyst, lead, member, foreign) = (
        &w.admin.1,
        &w.analyst.1,
        &w.lead.1,
        &w.member.1,
        &w.foreign.1,
    );
    for (token, status) in [
        (analyst, StatusCode::FORBIDDEN),
        (admin, StatusCode::CREATED),
    ] {
        let r = h.import_framework(token, TEN_STANDARD).await;
        assert_eq!(r.status, status, "{}", r.text());
    }
    h.import_framework(admin, CAF).await;

    // Years: none published for 2030; outside the accepted range at all.
    for year in [2030, 1999] {
        let r = h
            .api(
                Method::GET,
                &format!("/api/v1/organisations/A81001/assessments/{year}"),
                Some(member),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(r.json()["error"]["field"], "year");
    }
    let gp = "/api/v1/organisations/A81001/assessments/2026";
    let twice =
        json!({"answers": [{"ref": "1.1.2", "value": true}, {"ref": "1.1.2", "value": false}]});
    let r = h
        .api(
            Method::PUT,
            &format!("{gp}/answers"),
            Some(member),
            Some(twice),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("answered twice"), "{}", r.text());
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"ref": format!("x.{i}"), "value": true}))
        .collect();
    let r = h
        .api(
            Method::PUT,
            &format!("{gp}/answers"),
            Some(member),
            Some(json!({"answers": too_many})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("at most 1000"), "{}", r.text());
    let gp_view = h.api(Method::GET, gp, Some(member), None).await.json();
    assert!(
        gp_view["answers"].as_array().unwrap().is_empty(),
        "refused calls wrote nothing"
    );

    h.api(
        Method::PUT,
        &format!("{gp}/answers"),
        Some(member),
        Some(json!({"answers": [{"ref": "1.1.2", "value": true}]})),
    )
    .await;
    let r = h
        .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // 30 June 2027, the deadline itself: reopening and republishing still work, on time.
    h.clock.advance(time::Duration::days(745));
    let r = h.api(Method::GET, gp, Some(member), None).await;
    assert_eq!(r.json()["days_left"], 0);
    let r = h
        .api(Method::POST, &format!("{gp}/reopen"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = h
        .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["publications"][0]["late"], false);
    let r = h
        .api(Method::POST, &format!("{gp}/reopen"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // The report is kept while its figures stand, but only for the day it was worked out for.
    assert_eq!(national_2026(&h, analyst).await["days_to_deadline"], 0);
    assert_eq!(national_2026(&h, analyst).await["as_of"], "2027-06-30");

    // 00:30 BST on 1 July 2027, still 30 June in UTC: the deadline is England's, so the day
    // has turned, the republication is refused and the published status stands.
    let now = palisade_domain::clock::Clock::now(&*h.clock).unix_timestamp();
    h.clock
        .advance(time::Duration::seconds(1_814_398_200 - now));
    let rep = national_2026(&h, analyst).await;
    assert_eq!(
        (rep["days_to_deadline"].clone(), rep["as_of"].clone()),
        (json!(-1), json!("2027-07-01")),
        "a new day, no change to the figures: worked out again"
    );
    let r = h
        .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text().contains("deadline (2027-06-30) has passed"),
        "{}",
        r.text()
    );
    let view = h.api(Method::GET, gp, Some(member), None).await.json();
    assert_eq!(view["status"], "standards_not_met");
    assert_eq!(view["days_left"], -1);
    // A first submission after the deadline is accepted and marked late; it cannot reopen.
    let rx1 = "/api/v1/organisations/RX1/assessments/2026";
    h.api(
        Method::PUT,
        &format!("{rx1}/answers"),
        Some(foreign),
        Some(json!({"answers": [{"ref": "A1.a.1", "value": false}]})),
    )
    .await;
    let r = h
        .api(Method::POST, &format!("{rx1}/submit"), Some(foreign), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["publications"][0]["late"], true);
    let r = h
        .api(Method::POST, &format!("{rx1}/reopen"), Some(foreign), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text().contains("can no longer be reopened"),
        "{}",
        r.text()
    );
    let rep = national_2026(&h, analyst).await;
    assert_eq!(
        (
            rep["overall"]["published"].clone(),
            rep["overall"]["published_late"].clone()
        ),
        (json!(2), json!(1))
    );
    assert_eq!(rep["days_to_deadline"], -1);
}

#[tokio::test]
async fn oscal_and_xlsx_exports() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    h.import_framework(&w.admin.1, TEN_STANDARD).await;
    let base = "/api/v1/organisations/A81001/assessments/2026";
    let one = json!({"answers": [{"ref": "1.1.2", "value": true}]});
    h.api(
        Method::PUT,
        &format!("{base}/answers"),
        Some(&w.member.1),
        Some(one),
    )
    .await;
    let ten = h
        .api(Method::GET, "/api/v1/frameworks", Some(&w.member.1), None)
        .await
        .json();
    let id = ten["items"][0]["id"].as_i64().unwrap();
    let tree = h
        .api(
            Method::GET,
            &format!("/api/v1/frameworks/{id}"),
            Some(&w.member.1),
            None,
        )
        .await
        .json();
    let doc = tree["standards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["assertions"].as_array().unwrap())
        .flat_map(|a| a["items"].as_array().unwrap())
        .find(|i| {
            i["answer_type"] == "document"
                && i["mandatory_for"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == "gp_practice")
        })
        .unwrap()["ref"]
        .as_str()
        .unwrap()
        .to_string();
    let (ct, body) = evidence_form(None, &doc, "policy.pdf", PDF);
    let r = h
        .send(
            Request::post(format!("{base}/evidence"))
                .header(header::AUTHORIZATION, format!("Bearer {}", w.member.1))
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let r = h
        .api(
            Method::GET,
            &format!("{base}/oscal"),
            Some(&w.auditor.1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ar = r.json();
    let res = &ar["assessment-results"]["results"][0];
    assert_eq!(
        ar["assessment-results"]["metadata"]["oscal-version"],
        "1.1.2"
    );
    let findings = res["findings"].as_array().unwrap();
    let find = |target: &str| {
        findings
            .iter()
            .find(|f| f["target"]["target-id"] == target)
            .cloned()
    };
    let answered = find("item-1.1.2").expect("a finding per applicable item, named as a token");
    assert_eq!(answered["target"]["status"]["state"], "satisfied");
    assert_eq!(answered["remarks"], "Answer: yes");
    let evidenced = find(&format!("item-{doc}")).unwrap();
    assert_eq!(evidenced["target"]["status"]["state"], "satisfied");
    let obs = &res["observations"][0];
    assert_eq!(
        evidenced["related-observations"][0]["observation-uuid"],
        obs["uuid"]
    );
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(PDF));
    assert!(obs["props"].to_string().contains(&sha));
    let v5 = |u: &Value| {
        u.as_str()
            .is_some_and(|u| u.len() == 36 && &u[14..15] == "5")
    };
    assert!(
        v5(&ar["assessment-results"]["uuid"])
            && v5(&res["uuid"])
            && findings.iter().all(|f| v5(&f["uuid"]))
    );
    let again = h
        .api(
            Method::GET,
            &format!("{base}/oscal"),
            Some(&w.member.1),
            None,
        )
        .await
        .json();
    assert_eq!(again, ar, "the same assessment exports the same document");
    assert_eq!(
        h.api(
            Method::GET,
            &format!("{base}/oscal"),
            Some(&w.foreign.1),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let r = h
        .send(
            Request::get("/api/v1/public/organisations.xlsx?year=2026")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        r.body.starts_with(b"PK\x03\x04"),
        "an xlsx file is a zip container"
    );
}
