//! Unsupported systems: product lifecycles, mitigations, the estate page and the national estate.

use crate::support::*;

const PYTHON_EOL: &str = "---\ntitle: Python\nidentifiers:\n  - purl: pkg:generic/python\nreleases:\n  - releaseCycle: \"3.12\"\n    eol: 2028-10-31\n  - releaseCycle: \"2.7\"\n    eol: 2020-01-01\n---\n";

per_engine!(
    unsupported_systems_follow_the_lifecycles_and_mitigations,
    unsupported_systems_follow_the_lifecycles_and_mitigations_sqlite,
    unsupported_systems_follow_the_lifecycles_and_mitigations_postgres
);

async fn unsupported_systems_follow_the_lifecycles_and_mitigations(h: H) {
    let w = world(&h).await;
    let files = vec![
        ("windows.md".to_string(), WINDOWS_EOL.to_string()),
        ("python.md".to_string(), PYTHON_EOL.to_string()),
    ];
    let archive = zip_of(&files);
    let import = |token: &str, ct: &'static str, body: Vec<u8>| {
        let token = token.to_string();
        let h = &h;
        async move {
            h.raw(Method::PUT, "/api/v1/feeds/eol", &token, ct, body)
                .await
        }
    };
    // Only national admins import, and only a ZIP of product files.
    for (who, token) in w.tokens().into_iter().skip(1) {
        let r = import(token, "application/zip", archive.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "import as {who}");
    }
    let r = import(&w.admin.1, "text/plain", archive.clone()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = import(&w.admin.1, "application/zip", b"not a zip".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let broken = zip_of(&[
        files[0].clone(),
        ("bad.md".into(), PYTHON_EOL.replace("2020-01-01", "soon")),
    ]);
    let r = import(&w.admin.1, "application/zip", broken).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("bad.md") && r.text().contains("releases[1].eol"),
        "{}",
        r.text()
    );

    // Before any import the report says there is no lifecycle data.
    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let inventory = format!(
        "{header}\nPC-1,workstation,Microsoft,Windows,7 SP1,,,no\n\
         PC-2,workstation,Microsoft,Windows,XP,,,yes\n\
         PC-3,workstation,Microsoft,Windows,11 24H2,,,no\n\
         SRV-1,server,Contoso,Desktop OS,10 22H2,cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*,,no\n\
         app-1,application,,,,,pkg:generic/python@2.7.18,no\n\
         app-2,application,,,,,pkg:generic/python@3.12.1,no\n"
    );
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/organisations/A81001/inventory",
            &w.lead.1,
            "text/csv",
            &inventory,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = |on: &str, token: &str| {
        let (h, uri) = (
            &h,
            format!("/api/v1/organisations/A81001/unsupported?on={on}"),
        );
        let token = token.to_string();
        async move { h.api(Method::GET, &uri, Some(&token), None).await }
    };
    let r = report("2026-11-25", &w.member.1).await.json();
    assert_eq!(
        (&r["lifecycles"], &r["meta"]["total"]),
        (&Value::Null, &json!(0))
    );

    let r = import(&w.admin.1, "application/zip", archive.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"feed": "eol", "items": 2, "changed": true, "data_date": "2026-11-10"})
    );
    // The same data again changes nothing.
    let r = import(&w.admin.1, "application/zip", archive.clone()).await;
    assert_eq!(r.json()["changed"], false);

    let assets = |r: &Value| -> Vec<String> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    i["asset"].as_str().unwrap(),
                    i["cycle"].as_str().unwrap()
                )
            })
            .collect()
    };
    let now = report("2026-11-25", &w.member.1).await.json();
    assert_eq!(
        assets(&now),
        [
            "PC-1 7-sp1",
            "PC-2 5-sp3",
            "PC-3 11-24h2-w",
            "SRV-1 10-22h2",
            "app-1 2.7"
        ]
    );
    assert_eq!(now["components"], 6);
    assert_eq!(now["lifecycles"]["items"], 2);
    let pc1 = &now["items"][0];
    assert_eq!(
        (
            &pc1["eol"],
            &pc1["extended_support_until"],
            &pc1["cycle_name"],
            &pc1["lifecycle"]
        ),
        (
            &json!("2020-01-14"),
            &json!("2023-01-10"),
            &json!("7 SP1"),
            &json!("windows")
        )
    );
    assert_eq!(
        now["items"][1]["eol"],
        Value::Null,
        "XP ended without a date"
    );
    // The end day is still supported (endoflife.date: `today > eol`): Python 2.7 ends on
    // 2020-01-01, Windows 7 on 2020-01-14; each is unsupported from the day after.
    for (on, expected) in [
        ("2019-12-31", &["PC-2 5-sp3"][..]),
        ("2020-01-01", &["PC-2 5-sp3"]),
        ("2020-01-02", &["PC-2 5-sp3", "app-1 2.7"]),
        ("2020-01-13", &["PC-2 5-sp3", "app-1 2.7"]),
        ("2020-01-14", &["PC-2 5-sp3", "app-1 2.7"]),
        ("2020-01-15", &["PC-1 7-sp1", "PC-2 5-sp3", "app-1 2.7"]),
    ] {
        let then = report(on, &w.analyst.1).await.json();
        assert_eq!(assets(&then), expected, "on {on}");
    }
    assert_eq!(
        report("2020-02-30", &w.member.1).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Only the organisation (and those above it) and the national team see it.
    for (who, token, status) in [
        ("auditor", &w.auditor.1, StatusCode::FORBIDDEN),
        ("foreign", &w.foreign.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(report("2026-11-25", token).await.status, status, "{who}");
    }

    // An extended-support agreement makes PC-1 supported until its last day.
    let mitigate = |token: &str, body: Value| {
        let token = token.to_string();
        let h = &h;
        async move {
            h.api(
                Method::POST,
                "/api/v1/organisations/A81001/mitigations",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let esu = json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows",
        "action": "extended_support", "until": "2027-01-10", "evidence": "ESU contract 2026-114"});
    for (who, token) in [
        ("analyst", &w.analyst.1),
        ("admin", &w.admin.1),
        ("foreign", &w.foreign.1),
    ] {
        let status = mitigate(token, esu.clone()).await.status;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{who}: {status}"
        );
    }
    let r = mitigate(&w.member.1, json!({"asset": "PC-1", "product": "Windows", "action": "extended_support", "evidence": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("until") && r.text().contains("evidence"),
        "{}",
        r.text()
    );
    let r = mitigate(&w.member.1, esu.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let esu_id = r.json()["id"].as_i64().unwrap();
    let r = mitigate(
        &w.lead.1,
        json!({"asset": "PC-2", "vendor": "Microsoft", "product": "Windows",
        "action": "isolate", "evidence": "VLAN 99, no internet"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let now = report("2026-11-25", &w.member.1).await.json();
    assert_eq!(now["covered_by_extended_support"], 1);
    assert_eq!(
        assets(&now),
        ["PC-2 5-sp3", "PC-3 11-24h2-w", "SRV-1 10-22h2", "app-1 2.7"]
    );
    assert_eq!(now["items"][0]["mitigation"]["action"], "isolate");
    let after = report("2027-01-11", &w.member.1).await.json();
    assert_eq!(
        after["items"][0]["asset"], "PC-1",
        "the agreement has ended"
    );
    assert_eq!(after["items"][0]["mitigation"]["until"], "2027-01-10");
    // It runs from the day it was recorded (the clock's 2025-06-15): no earlier day is covered.
    assert_eq!(after["items"][0]["mitigation"]["from"], "2025-06-15");
    for (on, covered) in [("2025-06-14", 0), ("2025-06-15", 1), ("2027-01-10", 1)] {
        let r = report(on, &w.member.1).await.json();
        assert_eq!(r["covered_by_extended_support"], covered, "on {on}");
        assert_eq!(
            r["items"][0]["asset"] == "PC-1",
            covered == 0,
            "on {on}: {r}"
        );
    }
    let r = mitigate(
        &w.member.1,
        json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows",
        "action": "extended_support", "from": "2027-02-01", "until": "2027-01-10",
        "evidence": "ESU contract 2026-114"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json()["error"]["details"][0]["field"],
        "from",
        "{}",
        r.text()
    );
    // Recording again replaces: one mitigation per system.
    let r = mitigate(
        &w.member.1,
        json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows",
        "action": "replace", "evidence": "Order PO-4411"}),
    )
    .await;
    assert_eq!(r.json()["id"].as_i64(), Some(esu_id));
    let listed = h
        .api(
            Method::GET,
            "/api/v1/organisations/A81001/mitigations",
            Some(&w.analyst.1),
            None,
        )
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(listed["items"][0]["action"], "replace");
    let uri = format!("/api/v1/organisations/A81001/mitigations/{esu_id}");
    // Through their own organisation, another's mitigation reads as not found.
    let foreign_uri = format!("/api/v1/organisations/RX1/mitigations/{esu_id}");
    assert_eq!(
        h.api(Method::DELETE, &foreign_uri, Some(&w.foreign.1), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.api(Method::DELETE, &uri, Some(&w.lead.1), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.api(Method::DELETE, &uri, Some(&w.lead.1), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let audit = h
        .api(
            Method::GET,
            "/api/v1/audit?org_code=A81001",
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.starts_with("mitigation."))
        .collect();
    assert_eq!(
        actions,
        [
            "mitigation.delete",
            "mitigation.save",
            "mitigation.save",
            "mitigation.save"
        ]
    );
    let feeds = h
        .api(Method::GET, "/api/v1/feeds", Some(&w.member.1), None)
        .await
        .json();
    assert_eq!(feeds["items"][0]["name"], "eol");
    assert_eq!(feeds["items"][0]["data_date"], "2026-11-10");

    // The real endoflife.date products import whole, and Windows 7 is found in them.
    if let Some(dir) = shared_data("data/endoflife/products") {
        let real = palisade_formats::files::as_text(
            palisade_formats::files::read_dir_files(&dir, ".md").unwrap(),
        )
        .unwrap();
        let r = import(&w.admin.1, "application/zip", zip_of(&real)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["items"].as_u64(), Some(real.len() as u64));
        assert!(real.len() >= 400);
        let now = report("2026-11-25", &w.member.1).await.json();
        let pc1 = now["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["asset"] == "PC-1")
            .unwrap();
        assert_eq!(
            (&pc1["cycle"], &pc1["eol"]),
            (&json!("7-sp1"), &json!("2020-01-14"))
        );
    }
}

#[tokio::test]
async fn the_estate_page_uploads_an_inventory_and_records_mitigations() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    let (lead, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let (analyst, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let (auditor, _) = h.sign_in("auditor@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(Method::GET, "/organisations/A81001/estate", &lead, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("No inventory uploaded yet."));
    assert!(page.text().contains("Not imported yet"));
    assert!(page.text().contains("No unsupported systems"));
    let org = h
        .page(Method::GET, "/organisations/A81001", &lead, None)
        .await;
    assert!(org.text().contains("/organisations/A81001/estate"));

    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let send = |csv: String| {
        h.send(upload(
            "/organisations/A81001/estate/inventory",
            &lead,
            multipart(Some(&csrf), &csv),
        ))
    };
    let r = send(format!("{header}\nPC-1,toaster,Microsoft,Windows,7,,,no\n")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line 2: asset_type"), "{}", r.text());
    let r = send(format!(
        "{header}\nPC-1,workstation,Microsoft,Windows,7 SP1,,,no\nPC-2,workstation,Microsoft,Windows,11 24H2,,,no\n"
    ))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text()
            .contains("Inventory replaced: 2 components, 2 added and 0 removed")
    );
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/feeds/eol",
            &w.admin.1,
            "application/zip",
            zip_of(&[("windows.md".into(), WINDOWS_EOL.into())]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let page = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-11-25",
            &lead,
            None,
        )
        .await
        .text();
    assert!(
        page.contains("Newest release recorded 2026-11-10"),
        "{page}"
    );
    assert!(
        page.contains("Microsoft Windows 7 SP1") && page.contains("2020-01-14"),
        "{page}"
    );
    assert!(page.contains("Vendor extended support until 2023-01-10"));
    assert!(page.contains("None recorded"));
    let form_uri = "/organisations/A81001/estate/mitigation?asset=PC-1&#38;vendor=Microsoft&#38;product=Windows";
    assert!(page.contains(form_uri), "{page}");
    let form = h
        .page(Method::GET, &form_uri.replace("&#38;", "&"), &lead, None)
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("name=\"asset\" value=\"PC-1\""));

    let post = |body: &str| {
        h.page(
            Method::POST,
            "/organisations/A81001/estate/mitigation",
            &lead,
            Some(format!(
                "csrf_token={csrf}&asset=PC-1&vendor=Microsoft&product=Windows&{body}"
            )),
        )
    };
    let r = post("action=extended_support&until=&evidence=").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("#until") && r.text().contains("#evidence"),
        "{}",
        r.text()
    );
    let r = post("action=isolate&until=&evidence=VLAN+99").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-11-25",
            &lead,
            None,
        )
        .await
        .text();
    assert!(page.contains("Isolate from the network"), "{page}");
    let r = post("action=extended_support&until=2099-12-31&evidence=ESU+2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-11-25",
            &lead,
            None,
        )
        .await
        .text();
    assert!(
        page.contains("1 more system is past the end of support but covered"),
        "{page}"
    );
    assert!(!page.contains("Windows 7 SP1"));

    // The national team reads it without the forms; an auditor does not see it at all.
    let seen = h
        .page(Method::GET, "/organisations/A81001/estate", &analyst, None)
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.text().contains("Upload and replace the inventory"));
    for (who, session, uri) in [
        (
            "analyst",
            &analyst,
            "/organisations/A81001/estate/mitigation?asset=PC-1&product=Windows",
        ),
        ("auditor", &auditor, "/organisations/A81001/estate"),
    ] {
        assert_eq!(
            h.page(Method::GET, uri, session, None).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let bad = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-02-30",
            &lead,
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("#on"));
}

per_engine!(
    the_national_estate_counts_releases_types_and_regions,
    the_national_estate_counts_releases_types_and_regions_sqlite,
    the_national_estate_counts_releases_types_and_regions_postgres
);

async fn the_national_estate_counts_releases_types_and_regions(h: H) {
    let w = world(&h).await;
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/feeds/eol",
            &w.admin.1,
            "application/zip",
            zip_of(&[("windows.md".into(), WINDOWS_EOL.into())]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    for (code, token, csv) in [
        (
            "A81001",
            &w.lead.1,
            "PC-1,workstation,Microsoft,Windows,7 SP1,,,no\nPC-2,workstation,Microsoft,Windows,7,,,no\nPC-3,workstation,Microsoft,Windows,XP,,,no\n",
        ),
        (
            "RX1",
            &w.foreign.1,
            "PC-9,workstation,Microsoft,Windows,6.1.7601,,,no\n",
        ),
    ] {
        let r = h
            .raw(
                Method::PUT,
                &format!("/api/v1/organisations/{code}/inventory"),
                token,
                "text/csv",
                format!("{header}\n{csv}"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let esu = json!({"asset": "PC-2", "vendor": "Microsoft", "product": "Windows",
        "action": "extended_support", "until": "2099-01-01", "evidence": "ESU"});
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/A81001/mitigations",
            Some(&w.lead.1),
            Some(esu),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let get = |uri: &str, token: &str| {
        let (h, uri, token) = (&h, uri.to_string(), token.to_string());
        async move { h.api(Method::GET, &uri, Some(&token), None).await }
    };
    for (who, token) in [
        ("lead", &w.lead.1),
        ("member", &w.member.1),
        ("auditor", &w.auditor.1),
    ] {
        assert_eq!(
            get("/api/v1/estate", token).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let e = get("/api/v1/estate", &w.analyst.1).await.json();
    assert_eq!(
        (
            &e["estates"],
            &e["organisations"],
            &e["devices"],
            &e["covered_by_extended_support"]
        ),
        (&json!(2), &json!(2), &json!(3), &json!(1)),
        "{e}"
    );
    let releases: Vec<(String, u64, u64)> = e["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["cycle"].as_str().unwrap().to_string(),
                r["organisations"].as_u64().unwrap(),
                r["devices"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        releases,
        [("7-sp1".to_string(), 2, 2), ("5-sp3".to_string(), 1, 1)]
    );
    let types: Vec<&str> = e["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 2, "{e}");
    assert_eq!(e["trend"].as_array().unwrap().len(), 1, "today is recorded");
    assert_eq!(e["trend"][0]["devices"], 3);
    // Before Windows 7's end only XP counts; filters narrow to one type.
    let then = get("/api/v1/estate?on=2019-06-01", &w.analyst.1)
        .await
        .json();
    assert_eq!(then["devices"], 1);
    let acute = get("/api/v1/estate?org_type=acute_trust", &w.analyst.1)
        .await
        .json();
    // The agreement is A81001's, a GP practice's: the acute trusts' figures leave it out.
    assert_eq!(
        (
            &acute["organisations"],
            &acute["devices"],
            &acute["covered_by_extended_support"]
        ),
        (&json!(1), &json!(1), &json!(0))
    );
    let gp = get("/api/v1/estate?org_type=gp_practice", &w.analyst.1)
        .await
        .json();
    assert_eq!(gp["covered_by_extended_support"], 1, "{gp}");
    assert_eq!(
        get("/api/v1/estate?org_type=castle", &w.analyst.1)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let drill = get("/api/v1/estate/releases/windows/7-sp1", &w.admin.1)
        .await
        .json();
    let codes: Vec<&str> = drill["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["org_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["A81001", "RX1"]);
    let csv = get("/api/v1/estate.csv", &w.analyst.1).await.text();
    assert!(
        csv.starts_with(
            "org_code,org_name,org_type,region,lifecycle,release,end_of_support,devices\n"
        ),
        "{csv}"
    );
    assert!(csv.contains("A81001,Org A81001,gp_practice,"), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");

    let (analyst, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/estate", &analyst, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    // The page's CSV link works with the page's session (the API's needs a bearer token).
    let link = text
        .split("href=\"")
        .filter_map(|l| l.split('"').next())
        .find(|l| l.starts_with("/estate.csv?"))
        .unwrap_or_else(|| panic!("no CSV link: {text}"))
        .replace("&amp;", "&");
    let csv = h.page(Method::GET, &link, &analyst, None).await;
    assert_eq!(csv.status, StatusCode::OK, "{link}");
    assert!(
        csv.text().starts_with("org_code,org_name,"),
        "{}",
        csv.text()
    );
    assert!(
        text.contains("run <strong>3</strong> systems past their end of support"),
        "{text}"
    );
    assert!(
        text.contains("/estate/releases/windows/7-sp1?on="),
        "{text}"
    );
    assert!(
        text.contains("Product lifecycles (endoflife.date)") && text.contains("2026-11-10"),
        "{text}"
    );
    let release = h
        .page(
            Method::GET,
            "/estate/releases/windows/7-sp1",
            &analyst,
            None,
        )
        .await;
    assert!(
        release.text().contains("Microsoft Windows 7 SP1")
            && release.text().contains("/organisations/RX1/estate")
    );
    let (lead, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    assert_eq!(
        h.page(Method::GET, "/estate", &lead, None).await.status,
        StatusCode::FORBIDDEN
    );
}
