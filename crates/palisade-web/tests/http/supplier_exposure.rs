//! Suppliers' SBOMs and VEX in exposure answers: bad uploads, the customers of a product version
//! exposed through it, VEX taking a version out, answers following every upload and link
//! change, and the answer checked against a straightforward scan of a generated world.

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
    // Statements that disagree about the CVE keep the version in: one component not
    // affected says nothing of another that is.
    let split = format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": [
          {{"id": "CVE-2017-0144", "analysis": {{"state": "not_affected",
            "justification": "code_not_reachable"}}, "affects": [{{"ref": "{LOG4J}"}}]}},
          {{"id": "CVE-2017-0144", "analysis": {{"state": "exploitable"}},
            "affects": [{{"ref": "{LOG4J}"}}]}}]}}"#
    );
    let r = put(vex_uri("4.2"), supplier.clone(), CDX, split).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["statements"], 2);
    let e = exposed("/api/v1/exposure?cve=CVE-2017-0144".into()).await;
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
    // An organisation made inactive leaves the answer and returns with it; its links stay.
    for (active, expected) in [(false, vec!["RX1"]), (true, vec!["RX1", "RX2"])] {
        h.set_active("RX2", active).await;
        let e = exposed("/api/v1/exposure?cve=CVE-2017-0144".into()).await;
        assert_eq!(codes(&e), expected, "{e}");
    }
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

per_engine!(
    supplier_exposure_agrees_with_a_scan,
    supplier_exposure_agrees_with_a_scan_sqlite,
    supplier_exposure_agrees_with_a_scan_postgres
);

/// A product version: (supplier, product, version) by position.
type Pv = (usize, usize, usize);
const SUPPLIERS: [&str; 2] = ["YGM01", "YGM02"];
const CUSTOMERS: [&str; 6] = ["RX1", "RX2", "RX3", "RX4", "RX5", "RX6"];
const PACKAGES: usize = 5;
const CVES: usize = 4;

/// An organisation's supplier paths: (product name, version, matching components).
type Paths = Vec<(String, String, usize)>;
/// Exposed organisations by code, each with its paths.
type Exposed = Vec<(String, Paths)>;

/// The generated world the answers are checked against.
#[derive(Default)]
struct World {
    /// Each SBOM's components: (package, minor version of 1.x.0).
    sboms: std::collections::BTreeMap<Pv, Vec<(usize, usize)>>,
    /// Each customer's product versions.
    links: std::collections::BTreeMap<usize, std::collections::BTreeSet<Pv>>,
    /// What each product version's VEX says of each CVE (by position).
    vex: std::collections::BTreeMap<(Pv, usize), &'static str>,
    /// Each CVE's rule: package, and minor versions from..to (exclusive).
    rules: Vec<(usize, usize, usize)>,
}

fn purl(package: usize, minor: usize) -> String {
    format!("pkg:maven/org.example/lib{package}@1.{minor}.0")
}

fn cve(n: usize) -> String {
    format!("CVE-2030-{}", 10_000 + n)
}

impl World {
    /// (organisation codes, each with its paths (product name, version, components), the
    /// components in all, suppressed product versions) for one CVE, by scanning everything.
    fn scan(&self, c: usize) -> (Exposed, usize, Vec<(String, String)>) {
        let (package, from, to) = self.rules[c];
        let mut exposed = std::collections::BTreeMap::new();
        let mut suppressed = Vec::new();
        for (pv, components) in &self.sboms {
            let n = components
                .iter()
                .filter(|(p, m)| *p == package && (from..to).contains(m))
                .count();
            if n == 0 {
                continue;
            }
            match self.vex.get(&(*pv, c)) {
                Some(&"not_affected") | Some(&"fixed") => suppressed.push(name(pv)),
                _ => {
                    exposed.insert(*pv, n);
                }
            }
        }
        let mut orgs = Vec::new();
        let mut total = 0;
        for (org, used) in &self.links {
            let paths: Paths = used
                .iter()
                .filter_map(|pv| exposed.get(pv).map(|n| (name(pv).0, name(pv).1, *n)))
                .collect();
            if !paths.is_empty() {
                total += paths.iter().map(|p| p.2).sum::<usize>();
                orgs.push((CUSTOMERS[*org].to_string(), paths));
            }
        }
        suppressed.sort();
        (orgs, total, suppressed)
    }
}

fn name((s, p, v): &Pv) -> (String, String) {
    (format!("P{s}{p}"), format!("{}", v + 1))
}

fn sbom_document(components: &[(usize, usize)]) -> String {
    let items: Vec<Value> = components
        .iter()
        .map(|(p, m)| {
            json!({"type": "library", "name": format!("lib{p}"), "version": format!("1.{m}.0"),
                   "purl": purl(*p, *m)})
        })
        .collect();
    json!({"bomFormat": "CycloneDX", "specVersion": "1.6",
           "metadata": {"component": {"type": "application", "name": "Product"}},
           "components": items})
    .to_string()
}

async fn supplier_exposure_agrees_with_a_scan(h: H) {
    use palisade_domain::sample::Xorshift;
    let (ygm01, rx1, rx2) = setting(&h).await;
    h.org("YGM02", "it_supplier", "").await;
    let ygm02 = h
        .person("cto@ygm02.example", Role::OrgLead, Some("YGM02"))
        .await
        .1;
    let suppliers = [ygm01, ygm02];
    let mut customers = vec![rx1, rx2];
    for code in &CUSTOMERS[2..] {
        h.org(code, "acute_trust", "").await;
        let email = format!("lead@{}.nhs.uk", code.to_lowercase());
        customers.push(h.person(&email, Role::OrgLead, Some(code)).await.1);
    }
    let admin = h
        .person("admin@x.nhs.uk", Role::NationalAdmin, None)
        .await
        .1;
    // Two products of three versions at each supplier.
    let mut ids = std::collections::BTreeMap::new();
    for (s, token) in suppliers.iter().enumerate() {
        for p in 0..2 {
            let uri = format!("/api/v1/organisations/{}/products", SUPPLIERS[s]);
            let body = json!({"name": format!("P{s}{p}"), "description": "Generated",
                "purl": format!("pkg:maven/com.ygm{s}/p{p}"), "versions": ["1", "2", "3"]});
            let r = h.api(Method::POST, &uri, Some(token), Some(body)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
            ids.insert((s, p), r.json()["id"].as_i64().unwrap());
        }
    }
    let pvs: Vec<Pv> = (0..2)
        .flat_map(|s| (0..2).flat_map(move |p| (0..3).map(move |v| (s, p, v))))
        .collect();
    let mut g = Xorshift::new(0x5eed_1234_abcd_0001);
    let mut world = World::default();
    // One alert per CVE, each naming a package over a range of its versions.
    for c in 0..CVES {
        let package = g.below(PACKAGES);
        let from = g.below(4);
        let to = from + 1 + g.below(3);
        world.rules.push((package, from, to));
        let mut alert = high_alert(true);
        alert["title"] = json!(format!("Generated alert {c}"));
        alert["cves"] = json!([cve(c)]);
        alert["products"] = json!([{"name": format!("lib{package}"),
            "purl": format!("pkg:maven/org.example/lib{package}"),
            "vers": format!("vers:maven/>=1.{from}.0|<1.{to}.0")}]);
        h.create_alert(&admin, alert).await;
    }

    // Across the rounds, the answers must hold exposed customers and suppressed versions.
    let (mut seen_exposed, mut seen_suppressed) = (0, 0);
    for round in 0..5 {
        // SBOMs: every version the first round, three of them again after.
        let upload: Vec<Pv> = if round == 0 {
            pvs.clone()
        } else {
            (0..3).map(|_| pvs[g.below(pvs.len())]).collect()
        };
        for pv in upload {
            let mut components: Vec<(usize, usize)> = Vec::new();
            for p in 0..PACKAGES {
                if g.below(10) < 6 {
                    components.push((p, g.below(6)));
                }
            }
            if components.is_empty() {
                components.push((g.below(PACKAGES), g.below(6)));
            }
            let (s, p, v) = pv;
            let uri = format!(
                "/api/v1/organisations/{}/products/{}/versions/{}/sbom",
                SUPPLIERS[s],
                ids[&(s, p)],
                v + 1
            );
            let r = h
                .raw(
                    Method::PUT,
                    &uri,
                    &suppliers[s],
                    "application/vnd.cyclonedx+json",
                    sbom_document(&components),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            world.sboms.insert(pv, components);
            // Statements about what this SBOM holds; an upload replaces the version's VEX, and
            // without one the earlier statements stand.
            let mut statements = Vec::new();
            let mut said = Vec::new();
            for c in 0..CVES {
                let (package, _, _) = world.rules[c];
                let Some((_, m)) = world.sboms[&pv].iter().find(|(p, _)| *p == package) else {
                    continue;
                };
                if g.below(10) < 4 {
                    continue;
                }
                let (state, status) = [
                    ("not_affected", "not_affected"),
                    ("resolved", "fixed"),
                    ("exploitable", "affected"),
                    ("in_triage", "under_investigation"),
                ][g.below(4)];
                let mut analysis = json!({"state": state, "detail": "generated"});
                if status == "not_affected" {
                    analysis["justification"] = json!("code_not_reachable");
                }
                statements.push(json!({"id": cve(c), "analysis": analysis,
                    "affects": [{"ref": purl(package, *m)}]}));
                said.push((c, status));
            }
            if !statements.is_empty() {
                world.vex.retain(|(x, _), _| *x != pv);
                world
                    .vex
                    .extend(said.into_iter().map(|(c, status)| ((pv, c), status)));
                let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6",
                    "vulnerabilities": statements});
                let r = h
                    .raw(
                        Method::PUT,
                        &uri.replace("/sbom", "/vex"),
                        &suppliers[s],
                        "application/vnd.cyclonedx+json",
                        doc.to_string(),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            }
        }
        // Links: every customer the first round, three of them again after (a file replaces).
        let relink: Vec<usize> = if round == 0 {
            (0..CUSTOMERS.len()).collect()
        } else {
            (0..3).map(|_| g.below(CUSTOMERS.len())).collect()
        };
        for org in relink {
            let used: std::collections::BTreeSet<Pv> = (0..1 + g.below(3))
                .map(|_| pvs[g.below(pvs.len())])
                .collect();
            let mut file = HEADER.to_string();
            for (s, p, v) in &used {
                file.push_str(&format!("{},P{s}{p},{},,\n", SUPPLIERS[*s], v + 1));
            }
            let r = put_csv_for(&h, CUSTOMERS[org], &customers[org], &file).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            world.links.insert(org, used);
        }

        for c in 0..CVES {
            let r = h
                .api(
                    Method::GET,
                    &format!("/api/v1/exposure?cve={}", cve(c)),
                    Some(&admin),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let e = r.json();
            let orgs: Exposed = e["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let mut paths: Paths = i["through"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| {
                            (
                                p["product"].as_str().unwrap().to_string(),
                                p["version"].as_str().unwrap().to_string(),
                                p["components"].as_array().unwrap().len(),
                            )
                        })
                        .collect();
                    paths.sort();
                    (i["org_code"].as_str().unwrap().to_string(), paths)
                })
                .collect();
            let mut suppressed: Vec<(String, String)> = e["suppressed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["product"].as_str().unwrap().to_string(),
                        s["version"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            suppressed.sort();
            let (want, total, want_suppressed) = world.scan(c);
            let context = format!("round {round}, {}: {e}", cve(c));
            assert_eq!(orgs, want, "{context}");
            assert_eq!(e["components"], json!(total), "{context}");
            assert_eq!(suppressed, want_suppressed, "{context}");
            seen_exposed += want.len();
            seen_suppressed += want_suppressed.len();
        }
    }
    assert!(
        seen_exposed > 0 && seen_suppressed > 0,
        "{seen_exposed} exposed, {seen_suppressed} suppressed"
    );
}
