//! Inventories: CSV uploads replacing the snapshot with history, and SBOMs by content type.

use crate::support::*;

per_engine!(
    an_inventory_upload_replaces_the_snapshot_and_keeps_history,
    an_inventory_upload_replaces_the_snapshot_and_keeps_history_sqlite,
    an_inventory_upload_replaces_the_snapshot_and_keeps_history_postgres
);

async fn an_inventory_upload_replaces_the_snapshot_and_keeps_history(h: H) {
    let w = world(&h).await;
    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let put = |token: &str, body: String| {
        let token = token.to_string();
        let h = &h;
        async move {
            h.raw(
                Method::PUT,
                "/api/v1/organisations/QAA/inventory",
                &token,
                "text/csv",
                &body,
            )
            .await
        }
    };
    let first = format!(
        "{header}\nPC-1,workstation,Microsoft,Windows 7,6.1.7601,,,no\n\
         PC-2,workstation,Microsoft,Windows 10,10.0.19044,,,no\n\
         app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,yes\n"
    );
    let r = put(&w.lead.1, first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let up1 = r.json();
    assert_eq!(
        (
            &up1["components"],
            &up1["added"],
            &up1["removed"],
            &up1["format"]
        ),
        (&json!(3), &json!(3), &json!(0), &json!("csv"))
    );
    let listed = h
        .api(
            Method::GET,
            "/api/v1/organisations/QAA/inventory",
            Some(&w.member.1),
            None,
        )
        .await
        .json();
    assert_eq!(listed["meta"]["total"], 3);
    let log4j = &listed["items"][2];
    assert_eq!(
        log4j["version"], "2.14.1",
        "the version comes from the purl"
    );
    assert_eq!(log4j["internet_facing"], true);
    assert_eq!(listed["items"][0]["asset_type"], "workstation");

    // A bad line refuses the whole file, names the line, and leaves the inventory alone.
    let bad = format!(
        "{header}\nPC-1,workstation,Microsoft,Windows 7,6.1.7601,,,no\nPC-9,toaster,Acme,Oven,1,,,no\n"
    );
    let r = put(&w.lead.1, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line 3: asset_type"), "{}", r.text());
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/organisations/QAA/inventory",
            &w.lead.1,
            "application/xml",
            "<inventory/>",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let count = |token: String| {
        let h = &h;
        async move {
            h.api(
                Method::GET,
                "/api/v1/organisations/QAA/inventory",
                Some(&token),
                None,
            )
            .await
            .json()["meta"]["total"]
                .clone()
        }
    };
    assert_eq!(count(w.lead.1.clone()).await, 3, "nothing changed");

    // The second upload: PC-2 upgraded, PC-1 gone, a server added; the library stays.
    let second = format!(
        "{header},location\nPC-2,workstation,Microsoft,Windows 10,10.0.19045,,,no,Ward 7\n\
         app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,yes,\n\
         SRV-1,server,Microsoft,Windows Server 2012 R2,6.3.9600,,,yes,Data centre\n"
    );
    let r = put(&w.member.1, second).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let up2 = r.json();
    assert_eq!((&up2["added"], &up2["removed"]), (&json!(2), &json!(2)));
    assert_eq!(count(w.admin.1.clone()).await, 3);
    let uploads = h
        .api(
            Method::GET,
            "/api/v1/organisations/QAA/inventory/uploads",
            Some(&w.analyst.1),
            None,
        )
        .await
        .json();
    let ids: Vec<&Value> = uploads["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["id"])
        .collect();
    assert_eq!(ids, [&up2["id"], &up1["id"]], "newest first");
    let changes = h
        .api(
            Method::GET,
            &format!(
                "/api/v1/organisations/QAA/inventory/uploads/{}/changes",
                up2["id"]
            ),
            Some(&w.lead.1),
            None,
        )
        .await
        .json();
    let seen: Vec<String> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["change"].as_str().unwrap(),
                c["asset"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            "added PC-2 10.0.19045",
            "added SRV-1 6.3.9600",
            "removed PC-1 6.1.7601",
            "removed PC-2 10.0.19044"
        ]
    );
    // Another organisation's upload is not found through this one.
    let theirs = h
        .raw(
            Method::PUT,
            "/api/v1/organisations/RX1/inventory",
            &w.foreign.1,
            "text/csv",
            &format!("{header}\nPC-1,workstation,Microsoft,Windows 11,10.0.22631,,,no\n"),
        )
        .await
        .json();
    let r = h
        .api(
            Method::GET,
            &format!(
                "/api/v1/organisations/QAA/inventory/uploads/{}/changes",
                theirs["id"]
            ),
            Some(&w.lead.1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Every upload is audited with its counts.
    let audit = h
        .api(
            Method::GET,
            "/api/v1/audit?action=inventory.upload&org_code=QAA",
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    assert_eq!(audit["meta"]["total"], 2, "{audit}");
}

per_engine!(
    sboms_upload_as_inventories_by_content_type,
    sboms_upload_as_inventories_by_content_type_sqlite,
    sboms_upload_as_inventories_by_content_type_postgres
);

async fn sboms_upload_as_inventories_by_content_type(h: H) {
    let w = world(&h).await;
    let put = |ct: &'static str, body: String| h.put_inventory("A81001", &w.lead.1, ct, body);
    let bom = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
      "metadata": {"component": {"type": "application", "name": "ward-app", "version": "3.1"}},
      "components": [{"type": "library", "name": "log4j-core", "version": "2.14.1",
        "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}"#;
    let r = put("application/vnd.cyclonedx+json", bom.into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (&r.json()["format"], &r.json()["components"]),
        (&json!("cyclonedx"), &json!(1))
    );
    let spdx = r#"{"spdxVersion": "SPDX-2.3", "name": "pharmacy-system", "packages": [
      {"name": "django", "versionInfo": "4.2.1", "supplier": "Organization: Django Software Foundation",
       "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/django@4.2.1"}]}]}"#;
    let r = put("application/json", spdx.into()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (
            &r.json()["format"],
            &r.json()["added"],
            &r.json()["removed"]
        ),
        (&json!("spdx"), &json!(1), &json!(1))
    );
    let listed = h.inventory_of("A81001", &w.member.1).await;
    assert_eq!(listed["items"][0]["asset"], "pharmacy-system");
    assert_eq!(listed["items"][0]["vendor"], "Django Software Foundation");

    // Bad documents name the JSON path and change nothing.
    let r = put(
        "application/vnd.cyclonedx+json",
        bom.replace("pkg:maven", "pkg:nosuch"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("components[0]."), "{}", r.text());
    let r = put(
        "application/spdx+json",
        "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [".into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line"), "{}", r.text());
    assert_eq!(
        put("application/json", "{\"title\": 1}".into())
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        put("application/xml", "<bom/>".into()).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    // A refused caller's document is not read at all.
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/organisations/A81001/inventory",
            &w.analyst.1,
            "application/json",
            "{",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let listed = h.inventory_of("A81001", &w.member.1).await;
    assert_eq!(listed["meta"]["total"], 1, "the SPDX upload stands");

    // The published CycloneDX examples upload whole: every component, nested ones too.
    if let Some(dir) = shared_data("data/cyclonedx/SBOM") {
        fn count(components: &Value) -> usize {
            components
                .as_array()
                .map_or(0, |cs| cs.iter().map(|c| 1 + count(&c["components"])).sum())
        }
        let mut files = Vec::new();
        let mut dirs = vec![dir];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "json") {
                    files.push(p);
                }
            }
        }
        files.sort();
        assert!(files.len() >= 10, "{files:?}");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let want = count(&serde_json::from_str::<Value>(&text).unwrap()["components"]);
            let r = put("application/vnd.cyclonedx+json", text).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{}: {}",
                f.display(),
                &r.text()[..r.text().len().min(600)]
            );
            assert_eq!(r.json()["components"], want, "{}", f.display());
        }
    }
}

per_engine!(
    an_inventory_beyond_the_organisation_limit_is_refused,
    an_inventory_beyond_the_organisation_limit_is_refused_sqlite,
    an_inventory_beyond_the_organisation_limit_is_refused_postgres
);

/// One member cannot make every exposure and estate answer slow with a huge upload: past the
/// configured number of components the upload is refused, in every format, and the inventory
/// stays as it was.
async fn an_inventory_beyond_the_organisation_limit_is_refused(h: H) {
    let h = h.with_app(|app| app.inventory.max_components = 2);
    let w = world(&h).await;
    let put = |ct: &'static str, body: String| h.put_inventory("A81001", &w.lead.1, ct, body);
    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing\n";
    let line = |i: usize| format!("PC-{i},workstation,Microsoft,Windows 10,10.0.19045,,,no\n");
    let two = format!("{header}{}{}", line(1), line(2));
    assert_eq!(put("text/csv", two.clone()).await.status, StatusCode::OK);
    let library =
        |i: usize| format!(r#"{{"type": "library", "name": "lib{i}", "version": "1.0.{i}"}}"#);
    let three: Vec<String> = (1..=3).map(library).collect();
    for (ct, body) in [
        ("text/csv", format!("{two}{}", line(3))),
        (
            "application/vnd.cyclonedx+json",
            format!(
                r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{}]}}"#,
                three.join(",")
            ),
        ),
    ] {
        let r = put(ct, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{ct}: {}",
            r.text()
        );
        assert!(
            r.text().contains("holds more than 2 components"),
            "{ct}: {}",
            r.text()
        );
    }
    let listed = h.inventory_of("A81001", &w.member.1).await;
    assert_eq!(
        listed["meta"]["total"], 2,
        "the inventory stays as it was: {listed}"
    );
}
