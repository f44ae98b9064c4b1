//! CSAF advisories imported as draft alerts, on the page and over the API.

use crate::support::*;

#[tokio::test]
async fn a_csaf_advisory_uploaded_on_the_page_becomes_a_draft() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    let (admin, csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let (analyst, analyst_csrf) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let post = |session: &str, form: (String, String)| upload("/alerts/import", session, form);
    let form = h.page(Method::GET, "/alerts/import", &admin, None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("enctype=\"multipart/form-data\""));
    assert!(
        h.page(Method::GET, "/alerts", &admin, None)
            .await
            .text()
            .contains("href=\"/alerts/import\""),
        "the alert list links to the import"
    );
    assert_eq!(
        h.page(Method::GET, "/alerts/import", &analyst, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A small advisory of our own (the published examples are imported in the next test).
    let advisory = example_csaf().to_string();
    assert_eq!(
        h.send(post(&analyst, multipart(Some(&analyst_csrf), &advisory)))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "only alert managers import"
    );
    assert_eq!(
        h.send(post(&admin, multipart(None, &advisory)))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "no token, no import"
    );

    // Bad documents are refused on the form, naming the file field, and change nothing.
    for (bad, says) in [
        ("", "Select a CSAF 2.0 advisory"),
        (
            "{\"document\": 1}",
            "expected struct Document at line 1 column 14",
        ),
        ("not json", "JSON"),
    ] {
        let r = h.send(post(&admin, multipart(Some(&csrf), bad))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.text().contains(says), "{bad}: {}", r.text());
        assert!(r.text().contains("href=\"#file\""), "{bad}");
    }
    let list = h
        .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
        .await;
    assert_eq!(list.json()["meta"]["total"], 0, "nothing was drafted");

    let r = h
        .send(post(&admin, multipart(Some(&csrf), &advisory)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let text = r.text();
    assert!(text.contains("Draft CC-1000 created"), "{text}");
    assert!(text.contains("href=\"/alerts/CC-1000/edit\""), "{text}");
    let draft = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000",
            Some(&w.admin.1),
            None,
        )
        .await;
    assert_eq!(
        draft.json()["state"],
        "draft",
        "never published by importing"
    );
}

per_engine!(
    csaf_advisories_import_as_drafts_and_bad_documents_change_nothing,
    csaf_advisories_import_as_drafts_and_bad_documents_change_nothing_sqlite,
    csaf_advisories_import_as_drafts_and_bad_documents_change_nothing_postgres
);

async fn csaf_advisories_import_as_drafts_and_bad_documents_change_nothing(h: H) {
    let Some(examples) = shared_data("data/csaf-2.0/examples/csaf") else {
        return;
    };
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [examples.clone(), examples.join("csaf_vex")] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 19,
        "the CSAF examples are beside the repository"
    );
    let w = world(&h).await;
    for (who, token) in [("analyst", &w.analyst.1), ("lead", &w.lead.1)] {
        let r = h
            .raw(
                Method::POST,
                "/api/v1/alerts/import/csaf",
                token,
                "application/json",
                "{}",
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let r = h
            .raw(
                Method::POST,
                "/api/v1/alerts/import/csaf",
                &w.admin.1,
                "application/json",
                &text,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}: {}",
            file.display(),
            r.text()
        );
        let alert = &r.json()["alert"];
        assert_eq!(alert["state"], "draft", "{}", file.display());
    }
    let rhsa = files
        .iter()
        .find(|f| f.ends_with("rhsa-2021_5186.json"))
        .unwrap();
    let r = h
        .raw(
            Method::POST,
            "/api/v1/alerts/import/csaf",
            &w.admin.1,
            "application/json",
            &std::fs::read_to_string(rhsa).unwrap(),
        )
        .await
        .json();
    assert_eq!(r["source_id"], "RHSA-2021:5186");
    let a = &r["alert"];
    assert_eq!(a["severity"], "high", "Critical maps to High");
    assert_eq!(a["cves"], json!(["CVE-2021-4104", "CVE-2021-4125"]));
    // Every product of this advisory is fixed or known not affected (CSAF product_status): the
    // draft names none, and says why.
    assert_eq!(a["products"], json!([]), "{a}");
    assert!(
        r["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("3 product(s) fixed, not affected")),
        "{r}"
    );
    let before = h
        .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
        .await
        .json()["meta"]["total"]
        .clone();
    for (body, field) in [
        ("{\"document\": ", "document"),
        (
            r#"{"document": {"category": "csaf_base", "csaf_version": "1.2", "title": "x", "publisher": {"name": "p"}, "tracking": {"id": "x"}}}"#,
            "document.csaf_version",
        ),
        (
            r#"{"document": {"category": "csaf_base", "csaf_version": "2.0", "title": "", "publisher": {"name": "p"}, "tracking": {"id": "x"}}}"#,
            "title",
        ),
    ] {
        let r = h
            .raw(
                Method::POST,
                "/api/v1/alerts/import/csaf",
                &w.admin.1,
                "application/json",
                body,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text()
        );
        assert!(r.text().contains(field), "{field}: {}", r.text());
    }
    let after = h
        .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
        .await
        .json()["meta"]["total"]
        .clone();
    assert_eq!(before, after, "a refused document creates nothing");
}
