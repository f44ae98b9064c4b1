//! Suppliers' SBOMs and VEX in exposure answers: bad uploads, the customers of a product version
//! exposed through it, VEX taking a version out, answers following every upload and link
//! change.

use crate::suppliers::{
    HEADER, PRODUCTS, RX1_SUPPLIERS, care_record, care_record_sbom, field, put_csv, put_csv_for,
    setting,
};
use crate::support::*;

per_engine!(
    a_supplier_sbom_exposes_the_customers_of_its_product_version,
    a_supplier_sbom_exposes_the_customers_of_its_product_version_sqlite,
    a_supplier_sbom_exposes_the_customers_of_its_product_version_postgres
);

async fn a_supplier_sbom_exposes_the_customers_of_its_product_version(h: H) {
    let (supplier, rx1, rx2) = setting(&h).await;
    let admin = h
        .person("admin@x.nhs.uk", Role::NationalAdmin, None)
        .await
        .1;
    let r = h
        .api(Method::POST, PRODUCTS, Some(&supplier), Some(care_record()))
        .await;
    let product = r.json()["id"].as_i64().unwrap();
    let r = h
        .api(
            Method::POST,
            PRODUCTS,
            Some(&supplier),
            Some(json!({"name": "CareRecord Cloud", "kind": "service", "service_type": "hosting"})),
        )
        .await;
    let service = r.json()["id"].as_i64().unwrap();
    let sbom_uri = |id: i64, v: &str| format!("{PRODUCTS}/{id}/versions/{v}/sbom");
    let put = |uri: String, token: String, ct: &'static str, body: String| {
        let h = &h;
        async move { h.raw(Method::PUT, &uri, &token, ct, body).await }
    };
    const CDX: &str = "application/vnd.cyclonedx+json";

    // Bad uploads are refused by field, and nothing is kept.
    let r = put(
        sbom_uri(product, "4.3"),
        supplier.clone(),
        CDX,
        care_record_sbom("2.14.1"),
    )
    .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "version".into())
    );
    let r = put(
        sbom_uri(service, "1"),
        supplier.clone(),
        CDX,
        care_record_sbom("2.14.1"),
    )
    .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "product".into())
    );
    let r = put(
        sbom_uri(product, "4.2"),
        supplier.clone(),
        "text/csv",
        "a,b\n".into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = put(
        sbom_uri(product, "4.2"),
        supplier.clone(),
        CDX,
        "{\"bomFormat\": 1".into(),
    )
    .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "file".into())
    );
    let r = put(
        sbom_uri(product, "4.2"),
        rx1.clone(),
        CDX,
        care_record_sbom("2.14.1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // 4.2 ships a vulnerable log4j, 4.1 a fixed one.
    let r = put(
        sbom_uri(product, "4.2"),
        supplier.clone(),
        CDX,
        care_record_sbom("2.14.1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (&r.json()["format"], &r.json()["components"]),
        (&json!("cyclonedx"), &json!(2))
    );
    let r = put(
        sbom_uri(product, "4.1"),
        supplier.clone(),
        CDX,
        care_record_sbom("2.17.1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // RX1 uses 4.2 and has no inventory of its own; RX2 uses 4.1.
    let file = format!("{HEADER}YGM01,CareRecord,4.2,,\n");
    assert_eq!(put_csv(&h, &rx1, &file).await.status, StatusCode::OK);
    let file = format!("{HEADER}YGM01,CareRecord,4.1,,\n");
    assert_eq!(
        put_csv_for(&h, "RX2", &rx2, &file).await.status,
        StatusCode::OK
    );

    // The supplier sees each version's SBOM; a customer does not.
    let r = h.api(Method::GET, PRODUCTS, Some(&supplier), None).await;
    assert_eq!(r.json()["items"][0]["versions"][1]["sbom"]["components"], 2);
    let r = h.api(Method::GET, PRODUCTS, Some(&rx1), None).await;
    assert_eq!(r.json()["items"][0]["versions"][1]["sbom"], Value::Null);

    // An alert naming log4j-core below 2.15.0 reaches RX1 through CareRecord 4.2 only.
    let alert = h.create_alert(&admin, high_alert(true)).await;
    let exposed = |uri: String| {
        let (h, admin) = (&h, admin.clone());
        async move {
            let r = h.api(Method::GET, &uri, Some(&admin), None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
        }
    };
    for uri in [
        "/api/v1/exposure?cve=CVE-2017-0144".to_string(),
        format!("/api/v1/alerts/{alert}/exposure"),
    ] {
        let e = exposed(uri).await;
        let codes: Vec<&str> = e["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["org_code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["RX1"], "{e}");
        let path = &e["items"][0]["through"][0];
        assert_eq!(
            path["path"],
            "through supplier product CareRecord 4.2 (YGM01)"
        );
        assert_eq!(path["components"][0]["product"], "log4j-core", "{path}");
        assert_eq!(e["items"][0]["components"], json!([]));
        assert_eq!(e["components"], 1);
    }
    // RX1's response suggests the alert applies, through its supplier.
    let r = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{alert}/responses/RX1"),
            Some(&rx1),
            None,
        )
        .await;
    let suggestion = &r.json()["suggestion"];
    assert_eq!(suggestion["applies"], true, "{suggestion}");
    assert_eq!(suggestion["through"][0]["version"], "4.2");

    // VEX: refused without an SBOM for the version, or naming a component the SBOM lacks.
    let vex_uri = |v: &str| format!("{PRODUCTS}/{product}/versions/{v}/vex");
    let mut three = care_record();
    three["versions"] = json!(["4.1", "4.2", "4.3"]);
    let r = h
        .api(
            Method::PUT,
            &format!("{PRODUCTS}/{product}"),
            Some(&supplier),
            Some(three),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let cdx_vex = |purl: &str| {
        format!(
            r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
              {{"id": "CVE-2017-0144", "analysis": {{"state": "not_affected",
                "justification": "code_not_reachable", "detail": "JNDI lookups are off"}},
                "affects": [{{"ref": "{purl}"}}]}}]}}"#
        )
    };
    const LOG4J: &str = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";
    let r = put(
        vex_uri("4.3"),
        supplier.clone(),
        "application/json",
        cdx_vex(LOG4J),
    )
    .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "version".into())
    );
    let r = put(
        vex_uri("4.2"),
        supplier.clone(),
        "application/json",
        cdx_vex("pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2"),
    )
    .await;
    assert_eq!(
        (r.status, field(&r)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "vulnerabilities[0].affects[0].ref".into()
        )
    );
    let r = put(
        vex_uri("4.2"),
        supplier.clone(),
        "text/plain",
        cdx_vex(LOG4J),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Not affected: 4.2's users leave the answer, and the answer says why.
    let r = put(vex_uri("4.2"), supplier.clone(), CDX, cdx_vex(LOG4J)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["statements"], 1);
    for uri in [
        "/api/v1/exposure?cve=CVE-2017-0144".to_string(),
        format!("/api/v1/alerts/{alert}/exposure"),
    ] {
        let e = exposed(uri).await;
        assert_eq!(e["items"], json!([]), "{e}");
        let s = &e["suppressed"][0];
        assert_eq!(
            (&s["product"], &s["version"]),
            (&json!("CareRecord"), &json!("4.2"))
        );
        assert_eq!(s["statements"][0]["justification"], "code_not_reachable");
    }
    let r = h
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{alert}/responses/RX1"),
            Some(&rx1),
            None,
        )
        .await;
    assert_eq!(r.json()["suggestion"]["applies"], Value::Null);
    // An alert about another CVE in the same log4j is not covered by that statement.
    let mut log4shell = high_alert(true);
    log4shell["cves"] = json!(["CVE-2021-44228"]);
    h.create_alert(&admin, log4shell).await;
    let e = exposed("/api/v1/exposure?cve=CVE-2021-44228".into()).await;
    assert_eq!(
        (&e["items"][0]["org_code"], &e["suppressed"]),
        (&json!("RX1"), &json!([])),
        "{e}"
    );
    // An alert naming both CVEs stays: the statement covers only one of them.
    let mut both = high_alert(true);
    both["cves"] = json!(["CVE-2017-0144", "CVE-2021-44228"]);
    let both = h.create_alert(&admin, both).await;
    let e = exposed(format!("/api/v1/alerts/{both}/exposure")).await;
    assert_eq!(
        (&e["items"][0]["org_code"], &e["suppressed"]),
        (&json!("RX1"), &json!([])),
        "{e}"
    );
    // Under investigation (OpenVEX) replaces it: exposed again.
    let openvex = format!(
        r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://ygm.example/vex/2",
          "author": "YGM", "timestamp": "2026-12-01T00:00:00Z", "version": 2,
          "statements": [{{"vulnerability": {{"name": "CVE-2017-0144"}},
            "products": [{{"@id": "pkg:maven/com.ygm/carerecord@4.2",
              "subcomponents": [{{"@id": "{LOG4J}"}}]}}],
            "status": "under_investigation"}}]}}"#
    );
    let r = put(
        vex_uri("4.2"),
        supplier.clone(),
        "application/json",
        openvex,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let e = exposed("/api/v1/exposure?cve=CVE-2017-0144".into()).await;
    assert_eq!(e["items"][0]["org_code"], "RX1", "{e}");

    // Answers follow what customers record after the first question: RX2 moves to 4.2 by
    // file, then RX1 stops using it.
    let codes = |e: &Value| -> Vec<String> {
        e["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["org_code"].as_str().unwrap().to_string())
            .collect()
    };
    let file = format!("{HEADER}YGM01,CareRecord,4.2,,\n");
    assert_eq!(
        put_csv_for(&h, "RX2", &rx2, &file).await.status,
        StatusCode::OK
    );
    let e = exposed("/api/v1/exposure?cve=CVE-2017-0144".into()).await;
    assert_eq!(codes(&e), ["RX1", "RX2"], "{e}");
    let r = h.api(Method::GET, RX1_SUPPLIERS, Some(&rx1), None).await;
    let id = r.json()["items"][0]["uses"][0]["id"].as_i64().unwrap();
    let gone = format!("{RX1_SUPPLIERS}/{id}");
    let r = h.api(Method::DELETE, &gone, Some(&rx1), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let e = exposed("/api/v1/exposure?cve=CVE-2017-0144".into()).await;
    assert_eq!(codes(&e), ["RX2"], "{e}");
    assert_eq!(e["components"], 1);

    // A new SBOM for 4.2 with the fixed log4j: RX1 is no longer exposed.
    let r = put(
        sbom_uri(product, "4.2"),
        supplier.clone(),
        CDX,
        care_record_sbom("2.17.1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let e = exposed("/api/v1/exposure?cve=CVE-2017-0144".into()).await;
    assert_eq!(e["items"], json!([]), "{e}");
    let actions = h.audit_actions(&admin).await;
    for a in ["supplier.sbom", "supplier.vex"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
