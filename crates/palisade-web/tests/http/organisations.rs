//! The register: organisations over the API and its import and export, and who sees which people.

use crate::support::*;
use palisade_store::PeopleStore as _;

per_engine!(
    leads_see_people_only_through_their_organisations,
    leads_see_people_only_through_their_organisations_sqlite,
    leads_see_people_only_through_their_organisations_postgres
);

async fn leads_see_people_only_through_their_organisations(h: H) {
    let w = world(&h).await;
    let (lead, admin, foreign_id) = (&w.lead.1, &w.admin.1, w.foreign.0);
    // A stranger cannot be read, nor pulled into the lead's organisation.
    assert_eq!(
        h.api(
            Method::GET,
            &format!("/api/v1/people/{foreign_id}"),
            Some(lead),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let grant = json!({"role": "org_member", "org_code": "QAA"});
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/people/{foreign_id}/roles"),
            Some(lead),
            Some(grant.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert_eq!(
        h.db.store
            .grants_of(foreign_id, &palisade_domain::policy::Scope::All)
            .await
            .unwrap()
            .len(),
        1
    );
    // Once the national team adds them to QAA, the lead sees them, but only their QAA role.
    assert_eq!(
        h.api(
            Method::POST,
            &format!("/api/v1/people/{foreign_id}/roles"),
            Some(admin),
            Some(grant)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let p = h
        .api(
            Method::GET,
            &format!("/api/v1/people/{foreign_id}"),
            Some(lead),
            None,
        )
        .await
        .json();
    assert_eq!(
        p["roles"],
        json!([{"role": "org_member", "org_code": "QAA"}]),
        "no word of RX1"
    );

    // Adding someone by an address that has an account elsewhere answers as for someone new,
    // so the lead cannot tell that it had one: they are invited to the role.
    let (elsewhere, _) = h
        .person("elsewhere@rx1.nhs.uk", Role::OrgMember, Some("RX1"))
        .await;
    let add = |email: &str| json!({"email": email, "name": "Pat Doe", "role": "org_member", "org_code": "QAA"});
    let fresh = h
        .api(
            Method::POST,
            "/api/v1/people",
            Some(lead),
            Some(add("new@qaa.nhs.uk")),
        )
        .await;
    let known = h
        .api(
            Method::POST,
            "/api/v1/people",
            Some(lead),
            Some(add("elsewhere@rx1.nhs.uk")),
        )
        .await;
    assert_eq!(
        (fresh.status, known.status),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{}",
        known.text()
    );
    assert_eq!(known.json()["id"], elsewhere);
    assert_eq!(
        known.json()["roles"],
        json!([{"role": "org_member", "org_code": "QAA"}]),
        "still no word of RX1"
    );
}

#[tokio::test]
async fn bad_input_gets_clear_4xx_and_changes_nothing() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let (admin_id, admin) = h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    let t = Some(admin.as_str());
    // An administrator cannot take away their own national role or switch themselves off (even
    // with a second administrator present, who could do either).
    h.person("second@x.nhs.uk", Role::NationalAdmin, None).await;
    let r = h
        .api(
            Method::DELETE,
            &format!("/api/v1/people/{admin_id}/roles?role=national_admin"),
            t,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "role");
    let me = h.app.bearer(&admin).await.unwrap().unwrap();
    let off = h
        .app
        .set_person_active(&me, admin_id, false)
        .await
        .unwrap_err();
    assert!(
        off.to_string().contains("cannot deactivate yourself"),
        "{off}"
    );
    assert!(h.db.store.get_user(admin_id).await.unwrap().unwrap().active);
    let post = |body: &'static str, ct: &'static str| {
        Request::post("/api/v1/organisations")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let r = h.send(post("{not json", "application/json")).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let r = h
        .send(post("code=RX1", "application/x-www-form-urlencoded"))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = h.api(Method::POST, "/api/v1/organisations", t, Some(json!({"code": "RX1", "name": "Leeds Hospital", "type": "hospital", "region": "London"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "type");
    let r = h.api(Method::POST, "/api/v1/organisations", t, Some(json!({"code": "RX1", "name": "Leeds Hospital", "type": "acute_trust", "region": "London", "colour": "red"}))).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {}",
        r.text()
    );
    let ok = json!({"code": "rx1", "name": "Leeds Teaching Hospitals", "type": "acute_trust", "region": "London"});
    let r = h
        .api(Method::POST, "/api/v1/organisations", t, Some(ok.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        (r.json()["code"].as_str(), r.json()["category"].as_u64()),
        (Some("RX1"), Some(1))
    );
    let r = h
        .api(Method::POST, "/api/v1/organisations", t, Some(ok))
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("code"))
    );
    let big = "x".repeat(2 * 1024 * 1024);
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations",
            t,
            Some(json!({"code": "RX2", "name": big, "type": "acute_trust", "region": "London"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = h
        .api(Method::GET, "/api/v1/organisations?category=nine", t, None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = h
        .api(Method::GET, "/api/v1/organisations?type=castle", t, None)
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("type"))
    );
    let r = h.api(Method::GET, "/api/v1/nothing-here", t, None).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = h
        .send(Request::get("/nothing-here").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("Page not found"));

    // CSV import over the API: every bad line named, nothing written.
    let csv = "code,name,type,category,region,parent_code\nQAA,NHS Somewhere ICB,icb,1,London,\nB1,Bad,castle,1,London,\nC81001,Practice,gp_practice,4,London,NOPE\n";
    let r = h
        .send(
            Request::post("/api/v1/organisations/import")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "line 3: type");
    let good = "code,name,type,category,region,parent_code\nQAA,NHS Somewhere ICB,icb,1,London,\nC81001,Practice,gp_practice,4,London,QAA\n";
    let r = h
        .send(
            Request::post("/api/v1/organisations/import")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(good))
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"created": 2, "updated": 0, "unchanged": 0})
    );
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/QAA",
            t,
            Some(json!({"parent_code": "C81001"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("parent_code"))
    );
    // Absent fields stay; `null` removes the parent.
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/C81001",
            t,
            Some(json!({"region": "North West"})),
        )
        .await;
    assert_eq!(
        (
            r.json()["region"].as_str(),
            r.json()["parent_code"].as_str()
        ),
        (Some("North West"), Some("QAA"))
    );
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/C81001",
            t,
            Some(json!({"parent_code": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["parent_code"].is_null(), "{}", r.text());
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/C81001",
            t,
            Some(json!({"category": "4"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "category is a number"
    );
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/QAA",
            t,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.json()["active"], false);
}

#[tokio::test]
async fn register_import_page_and_export() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.org("QAA", "icb", "").await;
    h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    h.person("lead@x.nhs.uk", Role::OrgLead, Some("QAA")).await;
    let (admin, csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let (lead, lead_csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let post = |session: &str, ct: String, body: String| {
        upload("/organisations/import", session, (ct, body))
    };
    assert_eq!(
        h.page(Method::GET, "/organisations/import", &admin, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.page(Method::GET, "/organisations/import", &lead, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let bad = "code,name,type,category,region,parent_code\nB82001,Practice,gp_practice,4,London,NOPE\nX1,Bad,castle,1,London,\n";
    let (ct, body) = multipart(Some(&csrf), bad);
    let r = h.send(post(&admin, ct, body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line 3: type"), "{}", r.text());
    let (ct, body) = multipart(None, "code,name,type,category,region,parent_code\n");
    assert_eq!(
        h.send(post(&admin, ct, body)).await.status,
        StatusCode::FORBIDDEN,
        "no token, no import"
    );
    let (ct, body) = multipart(Some(&lead_csrf), bad);
    assert_eq!(
        h.send(post(&lead, ct, body)).await.status,
        StatusCode::FORBIDDEN
    );
    // The token must come first, be this session's, and only upload forms take multipart.
    let (ct, body) = multipart(Some(&lead_csrf), bad);
    assert_eq!(
        h.send(post(&admin, ct, body)).await.status,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    let (ct, body) = multipart(None, "code,name,type,category,region,parent_code\n");
    let late_token = body.replace(
        "--palisadeboundary--",
        &format!("--palisadeboundary\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n--palisadeboundary--"),
    );
    assert_ne!(late_token, body);
    assert_eq!(
        h.send(post(&admin, ct.clone(), late_token)).await.status,
        StatusCode::FORBIDDEN,
        "a token after the file"
    );
    let elsewhere = upload("/organisations", &admin, multipart(Some(&csrf), "x"));
    assert_eq!(
        h.send(elsewhere).await.status,
        StatusCode::FORBIDDEN,
        "multipart elsewhere"
    );

    let good = "code,name,type,category,region,parent_code\nB82001,Hill Street Practice,gp_practice,4,London,QAA\n";
    let (ct, body) = multipart(Some(&csrf), good);
    let r = h.send(post(&admin, ct, body)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("Added: 1. Changed: 0. Unchanged: 0."),
        "{}",
        r.text()
    );

    // The lead's export holds their organisation and what is beneath it, in the import format.
    let csv = h
        .page(Method::GET, "/organisations/export.csv", &lead, None)
        .await
        .text();
    assert_eq!(
        csv.lines().next(),
        Some("code,name,type,category,region,parent_code,active")
    );
    assert!(csv.contains("B82001,Hill Street Practice,gp_practice,4,London,QAA,true"));
    assert_eq!(csv.lines().count(), 3);
    // Not what lies outside: a trust the admin's export holds and the lead's does not.
    h.org("RX1", "acute_trust", "").await;
    for (session, holds) in [(&lead, false), (&admin, true)] {
        let csv = h
            .page(Method::GET, "/organisations/export.csv", session, None)
            .await
            .text();
        assert_eq!(csv.contains("\nRX1,"), holds, "{csv}");
    }

    // A register file larger than an ordinary form (over 1 MiB) imports through the page too.
    let mut big = String::from("code,name,type,category,region,parent_code\n");
    for i in 0..20_000 {
        big.push_str(&format!(
            "F{i:05},Pharmacy number {i} on the High Street,pharmacy,3,London,\n"
        ));
    }
    assert!(big.len() > 1024 * 1024);
    let (ct, body) = multipart(Some(&csrf), &big);
    let r = h.send(post(&admin, ct, body)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.text()[..r.text().len().min(400)]
    );
    assert!(r.text().contains("Added: 20000."), "{}", r.text());

    // A form sent after the session ended saves nothing and says so.
    h.clock.advance(time::Duration::hours(13));
    let (ct, body) = multipart(Some(&csrf), good);
    assert_eq!(
        h.send(post(&admin, ct, body)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

per_engine!(
    every_csv_disarms_formulas_in_what_people_typed,
    every_csv_disarms_formulas_in_what_people_typed_sqlite,
    every_csv_disarms_formulas_in_what_people_typed_postgres
);

/// Each CSV a spreadsheet may open, with an organisation named like a formula: the name is
/// written so no spreadsheet runs it, numbers stay numbers, and an exported register imports
/// again unchanged.
async fn every_csv_disarms_formulas_in_what_people_typed(h: H) {
    let w = world(&h).await;
    let hostile = "=HYPERLINK(\"http://evil.example\",\"Open\")";
    let input = palisade_domain::org::OrgInput {
        code: "RQZ".into(),
        name: hostile.into(),
        org_type: "acute_trust".into(),
        category: String::new(),
        region: "London".into(),
        parent_code: String::new(),
    };
    h.app.create_org(&Actor::cli(), &input).await.unwrap();
    let alert = h.create_alert(&w.admin.1, high_alert(true)).await;
    let (session, _) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let export = h
        .page(Method::GET, "/organisations/export.csv", &session, None)
        .await;
    let bodies = [
        ("the register export", export.text()),
        (
            "the public register",
            h.api(
                Method::GET,
                "/api/v1/public/organisations.csv?year=2026",
                None,
                None,
            )
            .await
            .text(),
        ),
        (
            "the responses",
            h.api(
                Method::GET,
                &format!("/api/v1/alerts/{alert}/responses.csv"),
                Some(&w.admin.1),
                None,
            )
            .await
            .text(),
        ),
        (
            "the national report",
            h.api(
                Method::GET,
                "/api/v1/reports/national?year=2026&format=csv",
                Some(&w.admin.1),
                None,
            )
            .await
            .text(),
        ),
    ];
    for (what, body) in &bodies {
        for line in body.lines().skip(1) {
            for cell in line.split(',') {
                let cell = cell.trim_start_matches('"');
                let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(
                    !formula || cell.parse::<f64>().is_ok(),
                    "{what}: a cell a spreadsheet would run: {cell:?} in {line}"
                );
            }
        }
    }
    let named: Vec<&str> = bodies[..3]
        .iter()
        .filter(|(_, b)| b.contains("'=HYPERLINK"))
        .map(|(what, _)| *what)
        .collect();
    assert_eq!(
        named,
        [
            "the register export",
            "the public register",
            "the responses"
        ],
        "the name is there, disarmed"
    );
    let again = h
        .app
        .import_orgs_csv(&Actor::cli(), &export.body, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.updated),
        (0, 0),
        "an exported register imports again unchanged"
    );
    let org = h
        .api(
            Method::GET,
            "/api/v1/organisations/RQZ",
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    assert_eq!(org["name"], hostile);
}

per_engine!(
    a_change_to_the_register_is_seen_by_the_next_request,
    a_change_to_the_register_is_seen_by_the_next_request_sqlite,
    a_change_to_the_register_is_seen_by_the_next_request_postgres
);

/// A request takes an organisation and its chain from the server's cache while the register
/// stands, and the very next request after a change to the register sees the change, through a
/// token or a session alike: the lead of a group loses a practice moved to another group at
/// once, the other group's lead gains it, and so does the lead of a body the other group is
/// then put under (a change to an ancestor, not to the practice).
async fn a_change_to_the_register_is_seen_by_the_next_request(h: H) {
    h.org("QAA", "icb", "").await;
    h.org("QBB", "icb", "").await;
    h.org("A81001", "gp_practice", "QAA").await;
    let (_, old_lead) = h
        .person("lead@qaa.nhs.uk", Role::OrgLead, Some("QAA"))
        .await;
    let (_, new_lead) = h
        .person("lead@qbb.nhs.uk", Role::OrgLead, Some("QBB"))
        .await;
    let get = |token: &str| {
        let token = token.to_string();
        let h = &h;
        async move {
            h.api(
                Method::GET,
                "/api/v1/organisations/A81001",
                Some(&token),
                None,
            )
            .await
        }
    };
    assert_eq!(get(&old_lead).await.status, StatusCode::OK);
    let (hits, _) = h.app.org_cache_counts();
    let r = get(&old_lead).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["parent_code"], "QAA");
    assert!(
        h.app.org_cache_counts().0 > hits,
        "the second request takes the practice from the cache"
    );
    assert_eq!(get(&new_lead).await.status, StatusCode::NOT_FOUND);
    let (session, _) = h.sign_in("lead@qaa.nhs.uk", PASSWORD).await.unwrap();
    let page = || h.page(Method::GET, "/organisations/A81001", &session, None);
    assert_eq!(page().await.status, StatusCode::OK);
    assert_eq!(page().await.status, StatusCode::OK);

    h.set_parent("A81001", "QBB").await;
    assert_eq!(
        get(&old_lead).await.status,
        StatusCode::NOT_FOUND,
        "the old group's lead no longer sees the practice"
    );
    assert_eq!(
        page().await.status,
        StatusCode::NOT_FOUND,
        "nor does the old group's lead's session"
    );
    let r = get(&new_lead).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["parent_code"], "QBB");

    // The practice's group is put under another body: the practice's chain changes with it.
    h.org("QZZ", "icb", "").await;
    let (_, top_lead) = h
        .person("lead@qzz.nhs.uk", Role::OrgLead, Some("QZZ"))
        .await;
    assert_eq!(get(&top_lead).await.status, StatusCode::NOT_FOUND);
    let (hits, _) = h.app.org_cache_counts();
    assert_eq!(get(&top_lead).await.status, StatusCode::NOT_FOUND);
    assert!(h.app.org_cache_counts().0 > hits, "held again once read");
    h.set_parent("QBB", "QZZ").await;
    assert_eq!(
        get(&top_lead).await.status,
        StatusCode::OK,
        "the body's lead sees the practice as soon as its group is put under it"
    );
}
