//! Exposure: alerts, known exploited vulnerabilities, OSV and CSAF advisories against inventories.

use crate::support::*;

per_engine!(
    exposure_follows_alerts_kev_and_every_upload,
    exposure_follows_alerts_kev_and_every_upload_sqlite,
    exposure_follows_alerts_kev_and_every_upload_postgres
);

async fn exposure_follows_alerts_kev_and_every_upload(h: H) {
    let w = world(&h).await;
    let alert = h.create_alert(&w.admin.1, high_alert(true)).await;
    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let log4j =
        |v: &str| format!(",library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@{v},no");
    let upload = |code: &'static str, token: String, csv: String| {
        let h = &h;
        async move {
            let r = h
                .raw(
                    Method::PUT,
                    &format!("/api/v1/organisations/{code}/inventory"),
                    &token,
                    "text/csv",
                    csv,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
    };
    upload(
        "A81001",
        w.lead.1.clone(),
        format!(
            "{header}\napp-1{}\napp-2{}\nPC-1,workstation,Microsoft,Windows,7 SP1,,,no\n",
            log4j("2.14.1"),
            log4j("2.17.1")
        ),
    )
    .await;
    upload(
        "RX1",
        w.foreign.1.clone(),
        format!("{header}\nweb-1{}\n", log4j("2.0.0")),
    )
    .await;

    let ask = |uri: String, token: String| {
        let h = &h;
        async move { h.api(Method::GET, &uri, Some(&token), None).await }
    };
    let orgs = |r: &Value| -> Vec<(String, Value, Vec<String>)> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                let assets = o["components"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["asset"].as_str().unwrap().to_string())
                    .collect();
                (
                    o["org_code"].as_str().unwrap().to_string(),
                    o["org_name"].clone(),
                    assets,
                )
            })
            .collect()
    };
    // The alert names CVE-2017-0144 with a Log4j range: only versions inside it count.
    let national = ask(
        "/api/v1/exposure?cve=CVE-2017-0144".into(),
        w.analyst.1.clone(),
    )
    .await
    .json();
    assert_eq!(
        orgs(&national),
        [
            (
                "A81001".to_string(),
                json!("Org A81001"),
                vec!["app-1".to_string()]
            ),
            (
                "RX1".to_string(),
                json!("Org RX1"),
                vec!["web-1".to_string()]
            ),
        ],
        "{national}"
    );
    assert_eq!(national["components"], 2);
    assert_eq!(national["sources"][0]["reference"], alert.as_str());
    // The whole answer, as a client reads it: one snapshot that both engines must match.
    insta::assert_json_snapshot!("national_exposure_by_cve", national);
    assert_eq!(national["kev"], Value::Null, "no catalogue imported yet");
    // An organisation sees only its own, by code.
    let mine = ask(
        "/api/v1/exposure?cve=CVE-2017-0144".into(),
        w.member.1.clone(),
    )
    .await
    .json();
    assert_eq!(
        orgs(&mine),
        [("A81001".to_string(), Value::Null, vec!["app-1".to_string()])]
    );
    assert_eq!(mine["components"], 1);
    let none = ask(
        "/api/v1/exposure?cve=CVE-2017-0144".into(),
        w.auditor.1.clone(),
    )
    .await
    .json();
    assert_eq!(none["meta"]["total"], 0);
    let by_alert = ask(
        format!("/api/v1/alerts/{alert}/exposure"),
        w.admin.1.clone(),
    )
    .await
    .json();
    assert_eq!(by_alert["meta"]["total"], 2);
    assert_eq!(
        ask("/api/v1/alerts/CC-9999/exposure".into(), w.admin.1.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ask("/api/v1/exposure?cve=MS17-010".into(), w.admin.1.clone())
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Each organisation in scope sees what its inventory suggests, on the API and the page.
    let response = ask(
        format!("/api/v1/alerts/{alert}/responses/A81001"),
        w.lead.1.clone(),
    )
    .await
    .json();
    assert_eq!(response["suggestion"]["applies"], true, "{response}");
    let suggested: Vec<&str> = response["suggestion"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["asset"].as_str().unwrap())
        .collect();
    assert_eq!(suggested, ["app-1"]);
    let (lead, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let response_page = || {
        let (h, uri, lead) = (&h, format!("/alerts/{alert}/responses/A81001"), &lead);
        async move { h.page(Method::GET, &uri, lead, None).await.text() }
    };
    let page = response_page().await;
    assert!(
        page.contains("Suggested: <strong>it applies</strong>")
            && page.contains("app-1: pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
        "{page}"
    );
    // The national team's pages: by CVE and per alert, naming every organisation.
    let (analyst, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(
            Method::GET,
            "/estate/exposure?cve=CVE-2017-0144",
            &analyst,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("Org A81001") && page.text().contains("app-1: pkg:maven/"),
        "{}",
        page.text()
    );
    let page = h
        .page(
            Method::GET,
            &format!("/alerts/{alert}/exposure"),
            &analyst,
            None,
        )
        .await;
    assert!(
        page.text().contains("2 organisations, 2 components"),
        "{}",
        page.text()
    );
    let bad = h
        .page(Method::GET, "/estate/exposure?cve=MS17-010", &analyst, None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("#cve"));
    // The page follows the API's rule: an organisation sees its own exposure, by code.
    let own = h
        .page(
            Method::GET,
            "/estate/exposure?cve=CVE-2017-0144",
            &lead,
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(
        own.text().contains("A81001") && !own.text().contains("RX1"),
        "{}",
        own.text()
    );
    // Known exploited vulnerabilities: national admins import the catalogue, once.
    let kev = |token: &str, ct: &'static str, body: &str| {
        let (h, token, body) = (&h, token.to_string(), body.to_string());
        async move {
            h.raw(Method::PUT, "/api/v1/feeds/kev", &token, ct, body)
                .await
        }
    };
    assert_eq!(
        kev(&w.analyst.1, "application/json", KEV_JSON).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        kev(&w.admin.1, "text/plain", KEV_JSON).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let r = kev(
        &w.admin.1,
        "application/json",
        &KEV_JSON.replace("2022-02-10", "Feb 2022"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("vulnerabilities[0].dateAdded"),
        "{}",
        r.text()
    );
    let r = kev(&w.admin.1, "application/json", KEV_JSON).await.json();
    assert_eq!(
        r,
        json!({"feed": "kev", "items": 2, "changed": true, "data_date": "2026-11-20"})
    );
    assert_eq!(
        kev(&w.admin.1, "application/json", KEV_JSON).await.json()["changed"],
        false
    );
    let national = ask(
        "/api/v1/exposure?cve=CVE-2017-0144".into(),
        w.analyst.1.clone(),
    )
    .await
    .json();
    assert_eq!(national["kev"]["ransomware"], true);
    assert_eq!(
        national["sources"].as_array().unwrap().len(),
        1,
        "the alert gives versions, so it alone decides"
    );
    // A catalogue entry no alert covers matches its product by name, every version.
    let smbghost = ask(
        "/api/v1/exposure?cve=CVE-2020-0796".into(),
        w.analyst.1.clone(),
    )
    .await
    .json();
    assert_eq!(smbghost["sources"][0]["kind"], "kev_product");
    assert_eq!(
        orgs(&smbghost),
        [(
            "A81001".to_string(),
            json!("Org A81001"),
            vec!["PC-1".to_string()]
        )]
    );

    // The organisation's own view: what its components match, alerts first, exploited flagged.
    let mine = ask(
        "/api/v1/organisations/A81001/exposure".into(),
        w.member.1.clone(),
    )
    .await
    .json();
    let kinds: Vec<(String, bool, usize)> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["known_exploited"].as_bool().unwrap(),
                m["components"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("alert".to_string(), true, 1),
            ("kev_product".to_string(), true, 1)
        ],
        "{mine}"
    );
    assert_eq!(mine["items"][1]["reference"], "CVE-2020-0796");
    assert_eq!(
        ask(
            "/api/v1/organisations/A81001/exposure".into(),
            w.auditor.1.clone()
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let page = h
        .page(Method::GET, "/organisations/A81001/estate", &lead, None)
        .await
        .text();
    assert!(
        page.contains("known exploited vulnerability CVE-2020-0796")
            && page.contains("Known exploited"),
        "{page}"
    );
    // A new upload is followed: A81001 upgrades Log4j and is no longer exposed.
    upload(
        "A81001",
        w.lead.1.clone(),
        format!("{header}\napp-1{}\n", log4j("2.17.1")),
    )
    .await;
    let national = ask(
        "/api/v1/exposure?cve=CVE-2017-0144".into(),
        w.analyst.1.clone(),
    )
    .await
    .json();
    assert_eq!(orgs(&national).len(), 1);
    assert_eq!(orgs(&national)[0].0, "RX1");
    let smbghost = ask(
        "/api/v1/exposure?cve=CVE-2020-0796".into(),
        w.analyst.1.clone(),
    )
    .await
    .json();
    assert_eq!(smbghost["meta"]["total"], 0, "PC-1 left the inventory");
    let response = ask(
        format!("/api/v1/alerts/{alert}/responses/A81001"),
        w.member.1.clone(),
    )
    .await
    .json();
    assert_eq!(response["suggestion"]["applies"], false, "{response}");
    let page = response_page().await;
    assert!(
        page.contains("Suggested: <strong>it does not apply</strong>"),
        "{page}"
    );
    // Log4j without a version: no range can place it, so nothing is suggested either way.
    upload(
        "A81001",
        w.lead.1.clone(),
        format!("{header}\napp-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core,no\n"),
    )
    .await;
    let response = ask(
        format!("/api/v1/alerts/{alert}/responses/A81001"),
        w.member.1.clone(),
    )
    .await
    .json();
    assert_eq!(
        (
            &response["suggestion"]["applies"],
            &response["suggestion"]["unversioned"]
        ),
        (&Value::Null, &json!(1)),
        "{response}"
    );
    let page = response_page().await;
    assert!(
        page.contains("No suggestion: 1 of the components")
            && !page.contains("does not apply</strong>"),
        "{page}"
    );

    // A large estate: every matching component is counted, the first 50 listed in inventory
    // order (the page shows ten), from an inventory that is read, not held.
    let many: String = (0..60)
        .map(|i| format!("\nweb-{i:02}{}", log4j("2.0.0")))
        .collect();
    upload("RX1", w.foreign.1.clone(), format!("{header}{many}\n")).await;
    let theirs = ask(
        "/api/v1/organisations/RX1/exposure".into(),
        w.foreign.1.clone(),
    )
    .await
    .json();
    let first = &theirs["items"][0];
    assert_eq!(first["component_count"], 60, "{theirs}");
    let listed: Vec<&str> = first["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["asset"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..50).map(|i| format!("web-{i:02}")).collect();
    assert_eq!(listed, expected);
    let (foreign_session, _) = h.sign_in("foreign@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(
            Method::GET,
            "/organisations/RX1/estate",
            &foreign_session,
            None,
        )
        .await
        .text();
    assert!(
        page.contains(": 60 components") && page.contains("and 50 more"),
        "{page}"
    );
}

const OSV_DJANGO: &str = r#"{"id": "PYSEC-2023-0001", "aliases": ["CVE-2023-0001"], "summary": "Django",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "Django"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "4.0"}, {"fixed": "4.2.2"}]}]}]}"#;

per_engine!(
    osv_and_csaf_advisories_feed_the_exposure,
    osv_and_csaf_advisories_feed_the_exposure_sqlite,
    osv_and_csaf_advisories_feed_the_exposure_postgres
);

async fn osv_and_csaf_advisories_feed_the_exposure(h: H) {
    let w = world(&h).await;
    // The national answer for a CVE, as an analyst reads it.
    let by_cve = |cve: &'static str| {
        let (h, token) = (&h, w.analyst.1.clone());
        async move {
            h.api(
                Method::GET,
                &format!("/api/v1/exposure?cve={cve}"),
                Some(&token),
                None,
            )
            .await
            .json()
        }
    };
    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let csv = format!(
        "{header}\napp-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,no\n\
         app-2,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1,no\n\
         web-1,library,,,,,pkg:pypi/django@4.2.1,no\n"
    );
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/organisations/A81001/inventory",
            &w.lead.1,
            "text/csv",
            csv,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let put = |uri: &'static str, token: &str, ct: &'static str, body: Vec<u8>| {
        let (h, token) = (&h, token.to_string());
        async move { h.raw(Method::PUT, uri, &token, ct, body).await }
    };
    assert_eq!(
        put(
            "/api/v1/feeds/osv",
            &w.member.1,
            "application/json",
            OSV_LOG4J.into()
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = put(
        "/api/v1/feeds/osv",
        &w.admin.1,
        "application/json",
        OSV_LOG4J.into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (&r.json()["read"], &r.json()["changed"]),
        (&json!(1), &json!(1))
    );
    let again = put(
        "/api/v1/feeds/osv",
        &w.admin.1,
        "application/json",
        OSV_LOG4J.into(),
    )
    .await;
    assert_eq!(
        again.json()["changed"],
        0,
        "the same record again changes nothing"
    );
    let both = zip_of(&[
        ("a.json".into(), OSV_LOG4J.into()),
        ("b.json".into(), OSV_DJANGO.into()),
    ]);
    let r = put("/api/v1/feeds/osv", &w.admin.1, "application/zip", both).await;
    assert_eq!(
        (&r.json()["read"], &r.json()["changed"]),
        (&json!(2), &json!(1)),
        "{}",
        r.text()
    );
    let bad = zip_of(&[("bad.json".into(), "{\"id\": \"X\", \"affected\": [".into())]);
    let r = put("/api/v1/feeds/osv", &w.admin.1, "application/zip", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("bad.json"), "{}", r.text());
    let feeds = h
        .api(Method::GET, "/api/v1/feeds", Some(&w.member.1), None)
        .await
        .json();
    let osv = feeds["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "osv")
        .unwrap()
        .clone();
    assert_eq!(
        (&osv["items"], &osv["data_date"]),
        (&json!(2), &json!("2025-01-10"))
    );

    // The advisory's range decides: 2.14.1 is inside it, 2.12.1 is not.
    let e = by_cve("CVE-2021-44228").await;
    assert_eq!(e["sources"][0]["kind"], "osv", "{e}");
    assert_eq!(e["sources"][0]["reference"], "GHSA-jfh8-c2jp-5v3q");
    let assets: Vec<&str> = e["items"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["asset"].as_str().unwrap())
        .collect();
    assert_eq!(assets, ["app-1"]);
    let e = by_cve("CVE-2023-0001").await;
    assert_eq!(e["components"], 1, "{e}");

    // An alert naming the same CVE with a wider range: the answer is the union of both, each
    // component counted once and saying which sources name it.
    let mut log4shell = high_alert(true);
    log4shell["cves"] = json!(["CVE-2021-44228"]);
    let alert = h.create_alert(&w.admin.1, log4shell).await;
    let e = by_cve("CVE-2021-44228").await;
    let sources: Vec<&str> = e["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reference"].as_str().unwrap())
        .collect();
    assert_eq!(sources, [alert.as_str(), "GHSA-jfh8-c2jp-5v3q"], "{e}");
    let named: Vec<(&str, &Value)> = e["items"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["asset"].as_str().unwrap(), &c["sources"]))
        .collect();
    assert_eq!(
        named,
        [("app-1", &json!([0, 1])), ("app-2", &json!([0]))],
        "{e}"
    );
    assert_eq!(e["components"], 2, "each component once: {e}");
    // The organisation's own answer agrees with the national one.
    let own = h
        .api(
            Method::GET,
            "/api/v1/organisations/A81001/exposure",
            Some(&w.member.1),
            None,
        )
        .await
        .json();
    let mut own_assets: Vec<&str> = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["cves"]
                .as_array()
                .unwrap()
                .contains(&json!("CVE-2021-44228"))
        })
        .flat_map(|m| m["components"].as_array().unwrap())
        .map(|c| c["asset"].as_str().unwrap())
        .collect();
    own_assets.sort_unstable();
    own_assets.dedup();
    assert_eq!(own_assets, ["app-1", "app-2"], "{own}");

    // A CSAF advisory's product tree and statuses decide, as the feed reads them: the range is
    // exposed, the fixed version is not.
    let tree = json!({
        "document": {"category": "csaf_security_advisory", "csaf_version": "2.0", "title": "Django flaw",
            "publisher": {"name": "Example CERT", "category": "coordinator", "namespace": "https://cert.example"},
            "tracking": {"id": "EX-2026-0002"}},
        "product_tree": {"branches": [{"category": "vendor", "name": "Django", "branches": [
            {"category": "product_version_range", "name": "vers:pypi/>=4.0|<4.2.2",
             "product": {"product_id": "D-RANGE", "name": "Django 4.0 to 4.2.1",
                 "product_identification_helper": {"purl": "pkg:pypi/django"}}},
            {"category": "product_version", "name": "4.2.2",
             "product": {"product_id": "D-FIXED", "name": "Django 4.2.2",
                 "product_identification_helper": {"purl": "pkg:pypi/django@4.2.2"}}}]}]},
        "vulnerabilities": [{"cve": "CVE-2026-22222",
            "product_status": {"known_affected": ["D-RANGE"], "fixed": ["D-FIXED"]}}],
    });
    let r = put(
        "/api/v1/feeds/csaf",
        &w.admin.1,
        "application/json",
        tree.to_string().into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/organisations/RX1/inventory",
            &w.foreign.1,
            "text/csv",
            format!(
                "{header}\nweb-2,library,,,,,pkg:pypi/django@4.2.2,no\nweb-3,library,,,,,pkg:pypi/django@4.1,no\n"
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let e = by_cve("CVE-2026-22222").await;
    let exposed: Vec<(&str, &str)> = e["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| {
            o["components"].as_array().unwrap().iter().map(move |c| {
                (
                    o["org_code"].as_str().unwrap(),
                    c["asset"].as_str().unwrap(),
                )
            })
        })
        .collect();
    assert_eq!(exposed, [("A81001", "web-1"), ("RX1", "web-3")], "{e}");

    // CSAF advisories are kept for matching too, without drafting alerts.
    if let Some(dir) = shared_data("data/csaf-2.0/examples/csaf") {
        let files = palisade_formats::files::read_dir_files(&dir, ".json").unwrap();
        let r = put(
            "/api/v1/feeds/csaf",
            &w.admin.1,
            "application/zip",
            zip_of(&palisade_formats::files::as_text(files.clone()).unwrap()),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["read"].as_u64(), Some(files.len() as u64));
        let alerts = h
            .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
            .await
            .json();
        assert_eq!(
            alerts["meta"]["total"], 1,
            "no alert is drafted (the one is published above)"
        );
    }
}

per_engine!(
    a_restart_reads_the_index_from_its_snapshot,
    a_restart_reads_the_index_from_its_snapshot_sqlite,
    a_restart_reads_the_index_from_its_snapshot_postgres
);

async fn a_restart_reads_the_index_from_its_snapshot(h: H) {
    let path = std::env::temp_dir().join(format!(
        "palisade-index-{}.snapshot",
        palisade_app::auth::random_hex(8)
    ));
    let with_snapshot = |app: &mut App| app.inventory.index_snapshot = Some(path.clone());
    let h = h.with_app(with_snapshot);
    let w = world(&h).await;
    h.import_json_feed("kev", &w.admin.1, KEV_JSON.into()).await;
    let windows = |n: usize| -> String {
        (1..=n)
            .map(|i| format!("PC-{i},workstation,Microsoft,Windows,10 22H2,,,no\n"))
            .collect()
    };
    h.put_inventory_rows("A81001", &w.lead.1, &windows(3)).await;
    // The first build writes the snapshot.
    assert_eq!(h.app.warm_exposure_index().await.unwrap(), 3);
    assert!(!h.app.exposure_index_from_snapshot().await);
    assert!(path.exists());
    // Uploads after it: another organisation's, and one replacing the first.
    h.put_inventory_rows("RX1", &w.foreign.1, &windows(2)).await;
    h.put_inventory_rows("A81001", &w.lead.1, &windows(1)).await;

    // A server starting on this database reads the snapshot and applies the uploads since.
    let exposed = |app: App| async move {
        let report = app
            .exposure_by_cve(
                &Actor::cli(),
                "CVE-2020-0796",
                palisade_domain::page::PageRequest::default(),
            )
            .await
            .unwrap();
        let mut orgs: Vec<(String, usize)> = report
            .organisations
            .items
            .iter()
            .map(|o| (o.code.clone(), o.components.len()))
            .collect();
        orgs.sort();
        orgs
    };
    let restarted = |db: &palisade_store::SqlStore| {
        let mut app = App::new(
            Arc::new(db.clone()),
            h.clock.clone(),
            AuthSettings::default(),
        );
        with_snapshot(&mut app);
        app
    };
    let second = restarted(&h.db.store);
    assert_eq!(second.warm_exposure_index().await.unwrap(), 3);
    assert!(second.exposure_index_from_snapshot().await);
    let want = vec![("A81001".to_string(), 1), ("RX1".to_string(), 2)];
    assert_eq!(exposed(second.clone()).await, want);
    assert_eq!(
        exposed(h.app.clone()).await,
        want,
        "the first server agrees"
    );

    // Having caught up, it wrote the snapshot again: the hourly keeping has nothing to add
    // until another upload.
    assert!(!second.keep_exposure_index().await.unwrap());
    h.put_inventory_rows("RX1", &w.foreign.1, &windows(1)).await;
    assert!(second.keep_exposure_index().await.unwrap());
    assert!(!second.keep_exposure_index().await.unwrap());
    let want = vec![("A81001".to_string(), 1), ("RX1".to_string(), 1)];

    // Stopping writes it again, up to date; the next start has nothing to apply.
    second.save_exposure_index().await.unwrap();
    let third = restarted(&h.db.store);
    assert_eq!(third.warm_exposure_index().await.unwrap(), 2);
    assert!(third.exposure_index_from_snapshot().await);
    assert!(!third.keep_exposure_index().await.unwrap());
    assert_eq!(exposed(third).await, want);

    // A damaged snapshot is set aside, and the index built from the database.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&path, &bytes).unwrap();
    let fourth = restarted(&h.db.store);
    assert_eq!(fourth.warm_exposure_index().await.unwrap(), 2);
    assert!(!fourth.exposure_index_from_snapshot().await);
    assert_eq!(exposed(fourth).await, want);

    // So is one from another database (here, an empty one).
    let other = TestDb::sqlite().await.unwrap();
    let fifth = restarted(&other.store);
    assert_eq!(fifth.warm_exposure_index().await.unwrap(), 0);
    assert!(!fifth.exposure_index_from_snapshot().await);
    std::fs::remove_file(&path).unwrap();
}
