//! One search for the national team: organisations, alerts, incidents and people, by kind.

use crate::support::*;

async fn search(h: &H, token: &str, q: &str) -> Resp {
    let uri = format!("/api/v1/search?q={}", urlenc(q));
    h.api(Method::GET, &uri, Some(token), None).await
}

/// The `field` of each item of `kind`.
fn found(r: &Value, kind: &str, field: &str) -> Vec<String> {
    r[kind]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_string())
        .collect()
}

per_engine!(
    the_national_team_finds_anything_by_what_it_knows,
    the_national_team_finds_anything_by_what_it_knows_sqlite,
    the_national_team_finds_anything_by_what_it_knows_postgres
);

async fn the_national_team_finds_anything_by_what_it_knows(h: H) {
    let w = world(&h).await;
    h.org("RX2", "acute_trust", "").await;
    let renamed = palisade_domain::org::OrgInput {
        code: "RX3".into(),
        name: "Élan Community Trust".into(),
        org_type: "community_trust".into(),
        category: String::new(),
        region: "London".into(),
        parent_code: String::new(),
    };
    h.app.create_org(&Actor::cli(), &renamed).await.unwrap();
    let (admin, analyst) = (&w.admin.1, &w.analyst.1);
    let reference = h.create_alert(admin, high_alert(true)).await;
    let mut draft = high_alert(false);
    draft["title"] = json!("Élevated risk in remote access gateways");
    draft["cves"] = json!(["CVE-2024-3400"]);
    let draft_ref = h.create_alert(admin, draft).await;
    let incident = h.incident("QAA", &w.lead.1, incident_body(true)).await;
    let unsent = h.incident("QAA", &w.lead.1, incident_body(false)).await;

    // Organisations by code or name, accents and case folded alike on both engines.
    let r = search(&h, analyst, "org rx").await.json();
    assert_eq!(found(&r, "organisations", "code"), vec!["RX1", "RX2"]);
    assert_eq!(r["organisations"]["total"], 2);
    let r = search(&h, analyst, "rx").await.json();
    assert_eq!(
        found(&r, "organisations", "code"),
        vec!["RX3", "RX1", "RX2"]
    );
    let r = search(&h, analyst, "elan").await.json();
    assert_eq!(found(&r, "organisations", "code"), vec!["RX3"]);

    // Alerts by reference, CVE or title words; drafts too, for the national team.
    let r = search(&h, analyst, &reference.to_lowercase()).await.json();
    assert_eq!(found(&r, "alerts", "reference"), vec![reference.clone()]);
    let r = search(&h, analyst, "CVE-2017-0144").await.json();
    assert_eq!(found(&r, "alerts", "reference"), vec![reference.clone()]);
    let r = search(&h, analyst, "cve-2024-3400").await.json();
    assert_eq!(found(&r, "alerts", "reference"), vec![draft_ref.clone()]);
    let r = search(&h, analyst, "elevated RISK").await.json();
    assert_eq!(found(&r, "alerts", "reference"), vec![draft_ref.clone()]);
    assert_eq!(r["alerts"]["items"][0]["state"], "draft");
    let r = search(&h, analyst, "smb vulnerability").await.json();
    assert_eq!(found(&r, "alerts", "reference"), vec![reference.clone()]);

    // Incidents by reference, once notified: a draft is the organisation's own.
    let r = search(&h, analyst, &incident.to_lowercase()).await.json();
    assert_eq!(found(&r, "incidents", "reference"), vec![incident.clone()]);
    assert_eq!(r["incidents"]["items"][0]["organisation"], "QAA");
    let r = search(&h, analyst, &unsent).await.json();
    assert_eq!(r["incidents"]["total"], 0, "{r}");

    // People by email or name.
    let r = search(&h, analyst, "foreign@").await.json();
    assert_eq!(found(&r, "people", "email"), vec!["foreign@x.nhs.uk"]);
    let r = search(&h, admin, "x.nhs.uk").await.json();
    assert_eq!(r["people"]["total"], 6, "{r}");
    assert_eq!(r["people"]["items"].as_array().unwrap().len(), 6);

    // Nothing found is an answer, not an error; too short or too long is.
    let r = search(&h, analyst, "zzzz-nothing").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = r.json();
    for kind in ["organisations", "alerts", "incidents", "people"] {
        assert_eq!(r[kind], json!({"items": [], "total": 0}), "{kind}");
    }
    for q in ["", " a ", &"x".repeat(101)] {
        let r = search(&h, analyst, q).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q:?}");
        assert_eq!(r.json()["error"]["field"], "q");
    }

    // Only the national team searches everything.
    for token in [&w.lead.1, &w.member.1, &w.auditor.1, &w.foreign.1] {
        assert_eq!(search(&h, token, "rx").await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn the_search_page_groups_what_it_finds() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    let reference = h.create_alert(&w.admin.1, high_alert(true)).await;
    let (session, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let home = h.page(Method::GET, "/", &session, None).await.text();
    assert!(home.contains(r#"href="/search""#), "the menu offers search");
    let page = h.page(Method::GET, "/search", &session, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let page = h
        .page(Method::GET, "/search?q=critical+smb", &session, None)
        .await
        .text();
    assert!(page.contains("<h2>Cyber alerts</h2>"), "{page}");
    assert!(
        page.contains(&format!(r#"href="/alerts/{reference}""#)),
        "{page}"
    );
    assert!(!page.contains("<h2>Organisations</h2>"), "{page}");
    let page = h
        .page(Method::GET, "/search?q=qaa", &session, None)
        .await
        .text();
    assert!(page.contains(r#"href="/organisations/QAA""#), "{page}");
    assert!(page.contains("1 found."), "{page}");
    let page = h
        .page(Method::GET, "/search?q=nothing-here", &session, None)
        .await;
    assert!(page.text().contains("Nothing matches"), "{}", page.text());
    let page = h.page(Method::GET, "/search?q=x", &session, None).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("between 2 and 100 characters"));
    // Not for an organisation's people: no menu item, and the page refuses.
    let (session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let home = h.page(Method::GET, "/", &session, None).await.text();
    assert!(!home.contains(r#"href="/search""#));
    let page = h.page(Method::GET, "/search", &session, None).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}
