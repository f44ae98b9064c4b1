//! Suppliers' products and services, and what organisations use of them: the catalogue and its
//! bad input, links one by one and from a CSV file (bad lines named, nothing written), what a
//! customer sees of its suppliers, and what a supplier sees of its customers (counts only).

use crate::support::*;
use palisade_store::AlertStore as _;

/// An IT supplier with its lead, and two trusts with their leads: (supplier, rx1, rx2) tokens.
pub(crate) async fn setting(h: &H) -> (String, String, String) {
    assert!(h.app.install_shipped_charter().await.unwrap());
    h.org("YGM01", "it_supplier", "").await;
    h.org("RX1", "acute_trust", "").await;
    h.org("RX2", "acute_trust", "").await;
    let supplier = h
        .person("cto@supplier.example", Role::OrgLead, Some("YGM01"))
        .await;
    let rx1 = h
        .person("lead@rx1.nhs.uk", Role::OrgLead, Some("RX1"))
        .await;
    let rx2 = h
        .person("lead@rx2.nhs.uk", Role::OrgLead, Some("RX2"))
        .await;
    (supplier.1, rx1.1, rx2.1)
}

pub(crate) const PRODUCTS: &str = "/api/v1/organisations/YGM01/products";
pub(crate) const RX1_SUPPLIERS: &str = "/api/v1/organisations/RX1/suppliers";
pub(crate) const HEADER: &str = "supplier_code,product,version,service,contract_end\n";

pub(crate) fn care_record() -> Value {
    json!({"name": "CareRecord", "description": "Electronic patient record",
        "cpe": "cpe:2.3:a:ygm:carerecord:*:*:*:*:*:*:*:*",
        "purl": "pkg:maven/com.ygm/carerecord", "versions": ["4.1", "4.2"]})
}

pub(crate) fn field(r: &Resp) -> String {
    r.json()["error"]["field"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub(crate) async fn put_csv(h: &H, token: &str, csv: &str) -> Resp {
    put_csv_for(h, "RX1", token, csv).await
}

pub(crate) async fn put_csv_for(h: &H, code: &str, token: &str, csv: &str) -> Resp {
    let uri = format!("/api/v1/organisations/{code}/suppliers");
    h.raw(Method::PUT, &uri, token, "text/csv", csv.to_string())
        .await
}

per_engine!(
    a_supplier_lists_products_and_customers_record_what_they_use,
    a_supplier_lists_products_and_customers_record_what_they_use_sqlite,
    a_supplier_lists_products_and_customers_record_what_they_use_postgres
);

async fn a_supplier_lists_products_and_customers_record_what_they_use(h: H) {
    let (supplier, rx1, rx2) = setting(&h).await;
    let post = |uri: &'static str, token: &str, body: Value| {
        let (h, token) = (&h, token.to_string());
        async move { h.api(Method::POST, uri, Some(&token), Some(body)).await }
    };

    // Bad products are refused by field, and nothing is listed.
    for (change, f) in [
        (json!({"cpe": "cpe:/a:ygm:carerecord"}), "cpe"),
        (json!({"purl": "pkg:maven/com.ygm/carerecord@4.2"}), "purl"),
        (json!({"versions": []}), "versions"),
        (
            json!({"kind": "service", "cpe": "", "purl": "", "versions": []}),
            "service_type",
        ),
        (json!({"name": " "}), "name"),
    ] {
        let mut body = care_record();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = post(PRODUCTS, &supplier, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(field(&r), f, "{}", r.text());
    }
    // Only an IT supplier lists products.
    let r = post("/api/v1/organisations/RX1/products", &rx1, care_record()).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "code".into())
    );
    let r = h.api(Method::GET, PRODUCTS, Some(&rx1), None).await;
    assert_eq!(r.json()["items"], json!([]));

    let r = post(PRODUCTS, &supplier, care_record()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let product = r.json()["id"].as_i64().unwrap();
    let mut again = care_record();
    again["name"] = json!("carerecord");
    let r = post(PRODUCTS, &supplier, again).await;
    assert_eq!((r.status, field(&r)), (StatusCode::CONFLICT, "name".into()));
    let hosting = json!({"name": "CareRecord Cloud", "kind": "service",
        "service_type": "hosting"});
    let r = post(PRODUCTS, &supplier, hosting).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // A trust may not list products for the supplier.
    let r = post(PRODUCTS, &rx1, care_record()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // One link at a time: unknown supplier, product or version refused by field.
    for (body, f) in [
        (
            json!({"supplier_code": "RX2", "product": "CareRecord", "version": "4.2"}),
            "supplier_code",
        ),
        (
            json!({"supplier_code": "YGM01", "product": "PathLab", "version": "1"}),
            "product",
        ),
        (
            json!({"supplier_code": "YGM01", "product": "CareRecord", "version": "4.3"}),
            "version",
        ),
        (
            json!({"supplier_code": "YGM01", "service": "CareRecord"}),
            "service",
        ),
        (
            json!({"supplier_code": "YGM01", "product": "CareRecord", "version": "4.2",
            "contract_end": "2025-01-01"}),
            "contract_end",
        ),
    ] {
        let r = post(RX1_SUPPLIERS, &rx1, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(field(&r), f, "{}", r.text());
    }
    let link = json!({"supplier_code": "ygm01", "product": "carerecord", "version": "4.2"});
    let r = post(RX1_SUPPLIERS, &rx1, link.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        (&r.json()["product"], &r.json()["version"]),
        (&json!("CareRecord"), &json!("4.2"))
    );
    let r = post(RX1_SUPPLIERS, &rx1, link).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // A file with bad lines is refused whole, each line named; the link above stays.
    let bad = format!(
        "{HEADER}YGM01,CareRecord,4.1,,\nYGM01,PathLab,1.0,,\nYGM01,CareRecord,5.0,,\nRX2,,,Hosting,\n"
    );
    let r = put_csv(&h, &rx1, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let named: Vec<String> = r.json()["error"]["details"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_else(|| vec![field(&r)]);
    assert_eq!(
        named,
        [
            "line 3: product",
            "line 4: version",
            "line 5: supplier_code"
        ],
        "{}",
        r.text()
    );
    let r = h.api(Method::GET, RX1_SUPPLIERS, Some(&rx1), None).await;
    assert_eq!(r.json()["items"][0]["uses"].as_array().unwrap().len(), 1);
    let r = h
        .raw(
            Method::PUT,
            RX1_SUPPLIERS,
            &rx1,
            "application/json",
            "{}".to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // A good file replaces the links.
    let good = format!("{HEADER}YGM01,CareRecord,4.1,,2027-03-31\nYGM01,,,CareRecord Cloud,\n");
    let r = put_csv(&h, &rx1, &good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["links"], 2);
    let r = put_csv_for(
        &h,
        "RX2",
        &rx2,
        &format!("{HEADER}YGM01,CareRecord,4.1,,\n"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // The customer sees its supplier's states, never its evidence; another trust sees nothing.
    let r = h.api(Method::GET, RX1_SUPPLIERS, Some(&rx1), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let s = &r.json()["items"][0];
    assert_eq!(
        (&s["code"], &s["charter_state"], &s["dspt_status"]),
        (&json!("YGM01"), &json!("not_signed"), &Value::Null)
    );
    assert_eq!(s["commitments"].as_array().unwrap().len(), 8);
    assert_eq!(s["commitments"][0]["state"], "live_not_met");
    assert!(s["commitments"][0].get("reason").is_none());
    let uses: Vec<(String, String)> = s["uses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["product"].as_str().unwrap().into(),
                u["version"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        uses,
        [
            ("CareRecord".to_string(), "4.1".to_string()),
            ("CareRecord Cloud".into(), String::new())
        ]
    );
    assert_eq!(s["uses"][0]["contract_end"], "2027-03-31");
    let r = h.api(Method::GET, RX1_SUPPLIERS, Some(&rx2), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .api(Method::GET, RX1_SUPPLIERS, Some(&supplier), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The supplier sees how many use each version; a customer sees no counts.
    let counts = |token: String| {
        let h = &h;
        async move {
            let r = h.api(Method::GET, PRODUCTS, Some(&token), None).await;
            let items = r.json()["items"].clone();
            (items[0]["versions"].clone(), items[1]["customers"].clone())
        }
    };
    let (versions, service) = counts(supplier.clone()).await;
    assert_eq!(
        versions,
        json!([{"version": "4.1", "customers": 2, "sbom": null},
            {"version": "4.2", "customers": 0, "sbom": null}])
    );
    assert_eq!(service, 1);
    let (versions, service) = counts(rx1.clone()).await;
    assert_eq!(versions[0]["customers"], Value::Null);
    assert_eq!(service, Value::Null);

    // A version in use is never dropped; a new one may be added.
    let uri = format!("{PRODUCTS}/{product}");
    let mut body = care_record();
    body["versions"] = json!(["4.2", "4.3"]);
    let r = h.api(Method::PUT, &uri, Some(&supplier), Some(body)).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::CONFLICT, "versions".into())
    );
    let mut body = care_record();
    body["versions"] = json!(["4.1", "4.2", "4.3"]);
    let r = h.api(Method::PUT, &uri, Some(&supplier), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["versions"][2]["version"], "4.3");

    // Removing a link: only the organisation's own.
    let r = h.api(Method::GET, RX1_SUPPLIERS, Some(&rx1), None).await;
    let id = r.json()["items"][0]["uses"][0]["id"].as_i64().unwrap();
    let gone = format!("{RX1_SUPPLIERS}/{id}");
    let r = h
        .api(
            Method::DELETE,
            &format!("/api/v1/organisations/RX2/suppliers/{id}"),
            Some(&rx2),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.api(Method::DELETE, &gone, Some(&rx1), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (versions, _) = counts(supplier.clone()).await;
    assert_eq!(versions[0]["customers"], 1);

    let actions = h.audit_actions(&supplier).await;
    for a in ["product.create", "product.update"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let actions = h.audit_actions(&rx1).await;
    for a in ["supplier.link", "supplier.import", "supplier.unlink"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

per_engine!(
    the_suppliers_page_records_and_replaces_what_is_used,
    the_suppliers_page_records_and_replaces_what_is_used_sqlite,
    the_suppliers_page_records_and_replaces_what_is_used_postgres
);

async fn the_suppliers_page_records_and_replaces_what_is_used(h: H) {
    let (supplier, _, _) = setting(&h).await;
    let r = h
        .api(Method::POST, PRODUCTS, Some(&supplier), Some(care_record()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let (session, csrf) = h.sign_in("lead@rx1.nhs.uk", PASSWORD).await.unwrap();
    let page = "/organisations/RX1/suppliers";
    let html = h.page(Method::GET, page, &session, None).await.text();
    assert!(html.contains("has not recorded any supplier yet"), "{html}");

    let r = h
        .page(
            Method::POST,
            page,
            &session,
            Some(format!(
                "csrf_token={csrf}&supplier_code=YGM01&product=CareRecord&version=9.9&service=&contract_end="
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains("href=\"#version\""), "{html}");
    assert!(html.contains("value=\"9.9\""), "the typed values stay");
    let r = h
        .page(
            Method::POST,
            page,
            &session,
            Some(format!(
                "csrf_token={csrf}&supplier_code=YGM01&product=CareRecord&version=4.2&service=&contract_end="
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h.page(Method::GET, page, &session, None).await.text();
    assert!(html.contains("CareRecord 4.2"), "{html}");
    assert!(html.contains("Not signed"), "{html}");

    // A file with a bad line: the page names it and keeps what was recorded.
    let bad = format!("{HEADER}YGM01,CareRecord,4.1,,\nYGM01,CareRecord,7,,\n");
    let r = h
        .send(upload(
            &format!("{page}/import"),
            &session,
            multipart(Some(&csrf), &bad),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line 3: version"), "{}", r.text());
    let good = format!("{HEADER}YGM01,CareRecord,4.1,,\n");
    let r = h
        .send(upload(
            &format!("{page}/import"),
            &session,
            multipart(Some(&csrf), &good),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("replaced from the file: 1 product version"),
        "{html}"
    );
    assert!(html.contains("CareRecord 4.1") && !html.contains("CareRecord 4.2"));

    // The supplier's catalogue page shows counts to the supplier, none to the trust.
    let html = h
        .page(Method::GET, "/organisations/YGM01/products", &session, None)
        .await
        .text();
    assert!(
        html.contains("CareRecord") && !html.contains("4.1 (1)"),
        "{html}"
    );
    let (own, _) = h.sign_in("cto@supplier.example", PASSWORD).await.unwrap();
    let html = h
        .page(Method::GET, "/organisations/YGM01/products", &own, None)
        .await
        .text();
    assert!(html.contains("4.1 (1)"), "{html}");
    assert!(html.contains("List a product or service"));

    // The supplier uploads 4.1's SBOM from the page; a file that is no SBOM is refused there.
    let (own, own_csrf) = h.sign_in("cto@supplier.example", PASSWORD).await.unwrap();
    let form = |csrf: &str, version: &str, file: &str| {
        let b = "sbomboundary";
        (
            format!("multipart/form-data; boundary={b}"),
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n{version}\r\n\
                 --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bom.json\"\r\n\
                 Content-Type: application/json\r\n\r\n{file}\r\n--{b}--\r\n"
            ),
        )
    };
    let uri = "/organisations/YGM01/products/1/sbom";
    let r = h
        .send(upload(uri, &own, form(&own_csrf, "4.1", "{\"hello\": 1}")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("neither a CycloneDX nor an SPDX"),
        "{}",
        r.text()
    );
    let r = h
        .send(upload(
            uri,
            &own,
            form(&own_csrf, "4.1", &care_record_sbom("2.14.1")),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h
        .page(Method::GET, "/organisations/YGM01/products", &own, None)
        .await
        .text();
    assert!(
        html.contains("SBOM of 4.1: 2 components (CycloneDX)"),
        "{html}"
    );
    // The trust may not upload one.
    let r = h
        .send(upload(
            uri,
            &session,
            form(&csrf, "4.1", &care_record_sbom("2.14.1")),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        !r.text().contains("expired"),
        "refused as the trust, not for its form"
    );

    // The supplier changes the product on its page: a version in use stays.
    let html = h
        .page(
            Method::GET,
            "/organisations/YGM01/products/1/edit",
            &own,
            None,
        )
        .await
        .text();
    assert!(
        html.contains("Change CareRecord") && html.contains("value=\"4.1, 4.2\""),
        "{html}"
    );
    let change = |versions: &str| {
        format!(
            "csrf_token={own_csrf}&name=CareRecord&description=&kind=product&service_type=\
             &cpe=&purl=&versions={versions}"
        )
    };
    let r = h
        .page(
            Method::POST,
            "/organisations/YGM01/products/1",
            &own,
            Some(change("4.2")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .contains("still used by organisations, so kept: 4.1"),
        "{}",
        r.text()
    );
    let r = h
        .page(
            Method::POST,
            "/organisations/YGM01/products/1",
            &own,
            Some(change("4.1%2C+4.2%2C+4.3")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = h
        .page(Method::GET, "/organisations/YGM01/products", &own, None)
        .await
        .text();
    assert!(html.contains("4.3 (0)"), "{html}");
    let r = h
        .page(
            Method::GET,
            "/organisations/YGM01/products/1/edit",
            &session,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

per_engine!(
    the_national_team_sees_every_supplier_and_may_show_one_its_customers,
    the_national_team_sees_every_supplier_and_may_show_one_its_customers_sqlite,
    the_national_team_sees_every_supplier_and_may_show_one_its_customers_postgres
);

async fn the_national_team_sees_every_supplier_and_may_show_one_its_customers(h: H) {
    let (supplier, rx1, rx2) = setting(&h).await;
    let admin = h
        .person("admin@x.nhs.uk", Role::NationalAdmin, None)
        .await
        .1;
    let analyst = h
        .person("analyst@x.nhs.uk", Role::NationalAnalyst, None)
        .await
        .1;
    h.org("YGM02", "it_supplier", "").await;
    let other = h
        .person("cto@other.example", Role::OrgLead, Some("YGM02"))
        .await
        .1;
    for (code, token) in [("YGM01", &supplier), ("YGM02", &other)] {
        let uri = format!("/api/v1/organisations/{code}/products");
        let r = h
            .api(Method::POST, &uri, Some(token), Some(care_record()))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let both = format!("{HEADER}YGM01,CareRecord,4.1,,\nYGM02,CareRecord,4.2,,\n");
    assert_eq!(put_csv(&h, &rx1, &both).await.status, StatusCode::OK);
    let one = format!("{HEADER}YGM01,CareRecord,4.2,,\n");
    assert_eq!(
        put_csv_for(&h, "RX2", &rx2, &one).await.status,
        StatusCode::OK
    );
    // YGM01 signs and shows evidence for one commitment.
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/YGM01/charter/signatures",
            Some(&supplier),
            Some(json!({"signatory_name": "Ada Lovelace",
                "signatory_position": "Chief Executive", "signed_on": "2025-06-15"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = h
        .api(
            Method::PUT,
            "/api/v1/organisations/YGM01/charter/commitments/mfa",
            Some(&supplier),
            Some(json!({"statement": "Hardware keys.", "expires_on": "2026-06-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (ct, form) = evidence_form(None, "", "keys.pdf", PDF);
    let r = h
        .raw(
            Method::POST,
            "/api/v1/organisations/YGM01/charter/commitments/mfa/evidence",
            &supplier,
            &ct,
            form,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    let r = h
        .api(Method::GET, "/api/v1/charter/figures", Some(&rx1), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .api(Method::GET, "/api/v1/charter/figures", Some(&analyst), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let f = r.json();
    assert_eq!((&f["suppliers"], &f["signatories"]), (&json!(2), &json!(1)));
    let state = |s: &str| {
        f["states"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["state"] == s)
            .unwrap()["suppliers"]
            .clone()
    };
    assert_eq!((state("signed"), state("not_signed")), (json!(1), json!(1)));
    let mfa = f["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "mfa")
        .unwrap();
    assert_eq!(
        (&mfa["met"], &mfa["met_percent"]),
        (&json!(1), &json!(50.0))
    );
    let by: Vec<(&str, i64)> = f["by_customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["code"].as_str().unwrap(),
                s["customers"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by, [("YGM01", 2), ("YGM02", 1)]);
    assert_eq!(f["by_customers"][0]["commitments_met"], 1);
    // The counts follow the register after the first answer: an inactive customer leaves them.
    let reach = |code: &'static str| {
        let (h, analyst) = (&h, analyst.clone());
        async move {
            let f = h
                .api(Method::GET, "/api/v1/charter/figures", Some(&analyst), None)
                .await
                .json();
            f["by_customers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["code"] == code)
                .unwrap()["customers"]
                .as_i64()
                .unwrap()
        }
    };
    for (active, expected) in [(false, 1), (true, 2)] {
        h.set_active("RX2", active).await;
        assert_eq!(reach("YGM01").await, expected);
    }
    // Neither has a published assessment: both are below Standards Met.
    assert_eq!(f["below_standards_met"].as_array().unwrap().len(), 2);

    // Customers by name: the national team; the supplier only once allowed.
    let customers = "/api/v1/organisations/YGM01/customers";
    let r = h.api(Method::GET, customers, Some(&supplier), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.api(Method::GET, customers, Some(&analyst), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["RX1", "RX2"]);
    let names_uri = "/api/v1/organisations/YGM01/customers/names";
    let r = h
        .api(
            Method::PUT,
            names_uri,
            Some(&analyst),
            Some(json!({"allowed": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .api(
            Method::PUT,
            names_uri,
            Some(&admin),
            Some(json!({"allowed": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = h.api(Method::GET, customers, Some(&supplier), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["meta"]["total"], 2);
    assert_eq!(r.json()["items"][0]["version"], "4.1");
    // Another supplier and a customer still see nothing.
    let r = h.api(Method::GET, customers, Some(&other), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.api(Method::GET, customers, Some(&rx1), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let allowed = h
        .audit_summary(&admin, "supplier.customer_names.allow")
        .await;
    assert_eq!(allowed["supplier"], "YGM01");
    // Withdrawn: the supplier is refused again.
    let r = h
        .api(
            Method::PUT,
            names_uri,
            Some(&admin),
            Some(json!({"allowed": false})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h.api(Method::GET, customers, Some(&supplier), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The national page, with the drill-down to each supplier.
    let (session, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let html = h
        .page(Method::GET, "/charter/figures", &session, None)
        .await
        .text();
    assert!(html.contains("1 of 2 active IT suppliers"), "{html}");
    assert!(
        html.contains("href=\"/organisations/YGM01/customers\""),
        "{html}"
    );
    assert!(html.contains("50.0%"), "{html}");
    assert!(html.contains("Showing page 1 of 1"), "{html}");
    let html = h
        .page(
            Method::GET,
            "/organisations/YGM01/customers",
            &session,
            None,
        )
        .await
        .text();
    assert!(
        html.contains("Org RX1") && html.contains("CareRecord 4.1"),
        "{html}"
    );
}

per_engine!(
    a_supplier_incident_notice_reaches_each_customer_contact_once,
    a_supplier_incident_notice_reaches_each_customer_contact_once_sqlite,
    a_supplier_incident_notice_reaches_each_customer_contact_once_postgres
);

async fn a_supplier_incident_notice_reaches_each_customer_contact_once(h: H) {
    let (supplier, rx1, rx2) = setting(&h).await;
    let admin = h
        .person("admin@x.nhs.uk", Role::NationalAdmin, None)
        .await
        .1;
    h.org("RX3", "acute_trust", "").await;
    let rx3 = h
        .person("lead@rx3.nhs.uk", Role::OrgLead, Some("RX3"))
        .await
        .1;
    // RX1's desk takes email and texts, RX2's email only, RX3's texts only; RX2's SIRO is no
    // alert contact and hears nothing.
    h.alert_contacts(
        "RX1",
        &[("Desk", "desk@rx1.nhs.uk", "07700 900001", "both")],
    )
    .await;
    h.alert_contacts("RX2", &[("Desk", "desk@rx2.nhs.uk", "", "email")])
        .await;
    h.contact("RX2").await;
    h.alert_contacts("RX3", &[("Desk", "desk@rx3.nhs.uk", "07700 900003", "sms")])
        .await;
    let mut ids = Vec::new();
    for body in [
        care_record(),
        json!({"name": "CareRecord Cloud", "kind": "service", "service_type": "hosting"}),
        json!({"name": "PathLab", "versions": ["1.0"]}),
    ] {
        let r = h
            .api(Method::POST, PRODUCTS, Some(&supplier), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    // RX1 uses CareRecord and the cloud (told once), RX2 CareRecord, RX3 only PathLab.
    let file = format!("{HEADER}YGM01,CareRecord,4.1,,\nYGM01,,,CareRecord Cloud,\n");
    assert_eq!(put_csv(&h, &rx1, &file).await.status, StatusCode::OK);
    let file = format!("{HEADER}YGM01,CareRecord,4.2,,\n");
    assert_eq!(
        put_csv_for(&h, "RX2", &rx2, &file).await.status,
        StatusCode::OK
    );
    let file = format!("{HEADER}YGM01,PathLab,1.0,,\n");
    assert_eq!(
        put_csv_for(&h, "RX3", &rx3, &file).await.status,
        StatusCode::OK
    );

    let draft = h.incident("YGM01", &supplier, incident_body(false)).await;
    let notified = h.incident("YGM01", &supplier, incident_body(true)).await;
    let send = |reference: &str, body: Value| {
        let (h, token) = (&h, supplier.clone());
        let uri = format!("/api/v1/organisations/YGM01/incidents/{reference}/supplier-notices");
        async move { h.api(Method::POST, &uri, Some(&token), Some(body)).await }
    };
    let notice = json!({"title": "CareRecord sign-in service compromised",
        "message": "Reset every CareRecord service account password today.",
        "products": [ids[0], ids[1]]});
    let r = send(&draft, notice.clone()).await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::UNPROCESSABLE_ENTITY, "incident".into())
    );
    for (change, f) in [
        (json!({"products": []}), "products"),
        (json!({"products": [999_999]}), "products[0]"),
        (json!({"title": ""}), "title"),
    ] {
        let mut body = notice.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = send(&notified, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert_eq!(field(&r), f, "{}", r.text());
    }
    // A customer may not send one for the supplier.
    let uri = format!("/api/v1/organisations/YGM01/incidents/{notified}/supplier-notices");
    let r = h
        .api(Method::POST, &uri, Some(&rx1), Some(notice.clone()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let outbox = |h: &H| {
        let store = h.db.store.clone();
        async move {
            let mut all: Vec<(String, String)> = store
                .outbox(false, 1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.key.starts_with("supplier-notice:"))
                .map(|m| (m.channel, m.recipient))
                .collect();
            all.sort();
            all
        }
    };
    let r = send(&notified, notice.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sent = r.json();
    assert_eq!(
        (&sent["notice"]["recipients"], &sent["messages"]),
        (&json!(2), &json!(3))
    );
    assert_eq!(sent["notice"]["products"], "CareRecord, CareRecord Cloud");
    let queued = outbox(&h).await;
    assert_eq!(
        queued,
        [
            ("email".to_string(), "desk@rx1.nhs.uk".to_string()),
            ("email".into(), "desk@rx2.nhs.uk".into()),
            ("sms".into(), "+447700900001".into()),
        ]
    );
    // The same request again (a retry) sends nothing more.
    let r = send(&notified, notice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["messages"], 0);
    assert_eq!(outbox(&h).await, queued);

    // Each customer sees and acknowledges it once; RX3 was never told.
    let id = sent["notice"]["id"].as_i64().unwrap();
    let received = |code: &'static str, token: String| {
        let h = &h;
        async move {
            let uri = format!("/api/v1/organisations/{code}/supplier-notices/received");
            h.api(Method::GET, &uri, Some(&token), None).await.json()["items"].clone()
        }
    };
    let got = received("RX1", rx1.clone()).await;
    assert_eq!(
        (&got[0]["id"], &got[0]["acknowledged_at"]),
        (&json!(id), &Value::Null)
    );
    assert_eq!(received("RX3", rx3.clone()).await, json!([]));
    let ack = |code: &'static str, token: String| {
        let h = &h;
        async move {
            let uri = format!("/api/v1/organisations/{code}/supplier-notices/{id}/acknowledge");
            h.api(Method::POST, &uri, Some(&token), None).await
        }
    };
    assert_eq!(ack("RX1", rx1.clone()).await.status, StatusCode::OK);
    assert_eq!(ack("RX1", rx1.clone()).await.status, StatusCode::CONFLICT);
    assert_eq!(ack("RX3", rx3.clone()).await.status, StatusCode::NOT_FOUND);

    // The national team sees who was told and who acknowledged; a customer may not.
    let uri = format!("/api/v1/supplier-notices/{id}/recipients");
    let r = h.api(Method::GET, &uri, Some(&rx1), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h.api(Method::GET, &uri, Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let told: Vec<(String, bool)> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["code"].as_str().unwrap().to_string(),
                t["acknowledged_at"].is_string(),
            )
        })
        .collect();
    assert_eq!(told, [("RX1".to_string(), true), ("RX2".into(), false)]);
    let r = h
        .api(
            Method::GET,
            "/api/v1/organisations/YGM01/supplier-notices",
            Some(&supplier),
            None,
        )
        .await;
    assert_eq!(
        (
            &r.json()["items"][0]["recipients"],
            &r.json()["items"][0]["acknowledged"]
        ),
        (&json!(2), &json!(1))
    );

    // The customer's page shows the notice with its acknowledgement.
    let (session, _) = h.sign_in("lead@rx2.nhs.uk", PASSWORD).await.unwrap();
    let html = h
        .page(Method::GET, "/organisations/RX2/suppliers", &session, None)
        .await
        .text();
    assert!(
        html.contains("CareRecord sign-in service compromised"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/supplier-notices/{id}/acknowledge")),
        "{html}"
    );
    let actions = h.audit_actions(&admin).await;
    for a in ["supplier.notice", "supplier.notice.acknowledge"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

/// A CycloneDX SBOM of CareRecord naming log4j-core at `log4j`.
pub(crate) fn care_record_sbom(log4j: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6",
      "metadata": {{"component": {{"type": "application", "name": "CareRecord"}}}},
      "components": [
        {{"type": "library", "name": "log4j-core", "version": "{log4j}",
          "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@{log4j}"}},
        {{"type": "library", "name": "jackson-databind", "version": "2.15.2",
          "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2"}}]}}"#
    )
}
