//! What the world reads without signing in: the public alert pages, Atom, the CSAF provider and
//! TAXII.

use crate::support::*;

/// `alert` with RX1 named in its audience, so that a leak of the audience would show.
fn scoped_to_rx1(mut alert: Value) -> Value {
    alert["audience"]["codes"] = json!(["RX1"]);
    alert
}

per_engine!(published_alerts_reach_the_public_page_atom_csaf_and_taxii_without_drafts_or_organisations, published_alerts_reach_the_public_page_atom_csaf_and_taxii_without_drafts_or_organisations_sqlite, published_alerts_reach_the_public_page_atom_csaf_and_taxii_without_drafts_or_organisations_postgres);

async fn published_alerts_reach_the_public_page_atom_csaf_and_taxii_without_drafts_or_organisations(
    h: H,
) {
    let w = world(&h).await;
    let admin = &w.admin.1;
    let high = h.create_alert(admin, scoped_to_rx1(high_alert(true))).await;
    h.clock.advance(time::Duration::minutes(5));
    let mut update = scoped_to_rx1(high_alert(false));
    update["remediation"] = json!("Install MS17-010 today; disable SMBv1 everywhere.");
    update["expected_version"] = json!(1);
    let r = h
        .api(
            Method::PUT,
            &format!("/api/v1/alerts/{high}"),
            Some(admin),
            Some(update),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut info = high_alert(true);
    info["title"] = json!("Phishing against payroll");
    info["severity"] = json!("medium");
    info["cves"] = json!([]);
    info["products"] = json!([]);
    let info = h
        .api(Method::POST, "/api/v1/alerts", Some(admin), Some(info))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut draft = high_alert(false);
    draft["title"] = json!("Secret draft about a zero-day");
    let draft = h
        .api(Method::POST, "/api/v1/alerts", Some(admin), Some(draft))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The public page and the feed: published alerts, no draft, no organisation.
    let list = anonymous(&h, "/public/alerts").await;
    assert_eq!(list.status, StatusCode::OK);
    let text = list.text();
    assert!(text.contains(&high) && text.contains(&info), "{text}");
    assert!(!text.contains("Secret draft") && !text.contains("RX1"));
    let page = anonymous(&h, &format!("/public/alerts/{high}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("Updated: remediation"),
        "{}",
        page.text()
    );
    assert!(!page.text().contains("@x.nhs.uk"), "no editor is named");
    assert_eq!(
        anonymous(&h, &format!("/public/alerts/{draft}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let atom = anonymous(&h, "/alerts.atom").await;
    assert_eq!(atom.status, StatusCode::OK);
    assert!(
        atom.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = atom.text();
    assert_eq!(feed.matches("<entry>").count(), 2, "{feed}");
    assert!(feed.contains(&format!("{high} (High): Critical SMB")));
    assert!(!feed.contains("Secret draft") && !feed.contains("RX1"));

    // The CSAF provider: metadata, index, changes, the documents and their hashes.
    let meta = anonymous(&h, "/.well-known/csaf/provider-metadata.json")
        .await
        .json();
    assert_eq!(meta["role"], "csaf_provider");
    assert!(
        meta["canonical_url"]
            .as_str()
            .unwrap()
            .ends_with("/.well-known/csaf/provider-metadata.json")
    );
    let index = anonymous(&h, "/.well-known/csaf/white/index.txt")
        .await
        .text();
    let year = from_unix(1_750_000_000).year();
    let high_path = format!("{year}/{}.json", high.to_lowercase());
    assert_eq!(index.lines().count(), 2, "{index}");
    assert!(index.lines().any(|l| l == high_path), "{index}");
    let changes = anonymous(&h, "/.well-known/csaf/white/changes.csv")
        .await
        .text();
    assert!(
        changes
            .lines()
            .next()
            .unwrap()
            .starts_with(&format!("\"{year}/{}", info.to_lowercase())),
        "newest first: {changes}"
    );
    let doc = anonymous(&h, &format!("/.well-known/csaf/white/{high_path}")).await;
    assert_eq!(doc.status, StatusCode::OK);
    let csaf = doc.json();
    assert_eq!(csaf["document"]["category"], "csaf_security_advisory");
    assert_eq!(csaf["document"]["tracking"]["version"], "2");
    assert_eq!(
        csaf["document"]["tracking"]["revision_history"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(csaf["vulnerabilities"][0]["cve"], "CVE-2017-0144");
    assert_eq!(
        csaf["product_tree"]["full_product_names"][0]["product_identification_helper"]["cpe"],
        "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"
    );
    // The range is published as CSAF readers take it (a product_version_range branch, not text in
    // a name), and the document read back by Palisade's own importer names the same products
    // with the same versions as the alert.
    let range = &csaf["product_tree"]["branches"][0];
    assert_eq!(range["category"], "product_name", "{csaf}");
    assert_eq!(range["branches"][0]["category"], "product_version_range");
    assert_eq!(range["branches"][0]["name"], "vers:maven/>=2.0.0|<2.15.0");
    assert_eq!(range["branches"][0]["product"]["name"], "Log4j core");
    let (read_back, _, _, _) =
        palisade_formats::csaf::alert_from_csaf(doc.text().as_bytes()).unwrap();
    let mut published: Vec<Value> = read_back
        .products
        .iter()
        .map(|p| json!([p.cpe, p.purl, p.vers]))
        .collect();
    let mut original: Vec<Value> = high_alert(true)["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!([p["cpe"], p["purl"], p["vers"]]))
        .collect();
    published.sort_by_key(|v| v.to_string());
    original.sort_by_key(|v| v.to_string());
    assert_eq!(published, original, "{csaf}");
    let sha = anonymous(&h, &format!("/.well-known/csaf/white/{high_path}.sha256"))
        .await
        .text();
    use sha2::Digest;
    assert_eq!(
        sha,
        format!(
            "{}  {}.json\n",
            hex::encode(sha2::Sha256::digest(&doc.body)),
            high.to_lowercase()
        )
    );
    let info_doc = anonymous(
        &h,
        &format!(
            "/.well-known/csaf/white/{year}/{}.json",
            info.to_lowercase()
        ),
    )
    .await
    .json();
    assert_eq!(
        info_doc["document"]["category"],
        "csaf_informational_advisory"
    );
    assert!(info_doc.get("vulnerabilities").is_none());
    for missing in [
        format!(
            "/.well-known/csaf/white/{year}/{}.json",
            draft.to_lowercase()
        ),
        format!(
            "/.well-known/csaf/white/{}/{}.json",
            year - 1,
            high.to_lowercase()
        ),
        "/.well-known/csaf/white/abc/x.json".to_string(),
    ] {
        assert_eq!(
            anonymous(&h, &missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    let rolie = anonymous(&h, "/.well-known/csaf/feed-tlp-white.json")
        .await
        .json();
    assert_eq!(rolie["feed"]["entry"].as_array().unwrap().len(), 2);

    // TAXII: discovery, the collection, paging, filters, versions and the manifest.
    let taxii_type = "application/taxii+json;version=2.1";
    let d = anonymous(&h, "/taxii2/").await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.headers[header::CONTENT_TYPE], taxii_type);
    let cols = anonymous(&h, "/taxii2/api/collections/").await.json();
    let cid = cols["collections"][0]["id"].as_str().unwrap().to_string();
    let objects_url = format!("/taxii2/api/collections/{cid}/objects/");
    let all = anonymous(&h, &objects_url).await.json();
    let objects = all["objects"].as_array().unwrap().clone();
    assert_eq!(all["more"], false);
    let kinds: std::collections::BTreeSet<&str> = objects
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    for kind in [
        "report",
        "vulnerability",
        "software",
        "course-of-action",
        "relationship",
        "identity",
        "marking-definition",
    ] {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    let reports: Vec<&Value> = objects.iter().filter(|o| o["type"] == "report").collect();
    assert_eq!(reports.len(), 2, "the last version of each published alert");
    assert!(!all.to_string().contains("Secret draft"));
    let mut paged = Vec::new();
    let mut url = format!("{objects_url}?limit=4");
    loop {
        let page = anonymous(&h, &url).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let body = page.json();
        paged.extend(body["objects"].as_array().unwrap().iter().cloned());
        if body["more"] == false {
            assert!(body.get("next").is_none());
            break;
        }
        url = format!(
            "{objects_url}?limit=4&next={}",
            body["next"].as_str().unwrap()
        );
    }
    assert_eq!(paged, objects, "pages of four add up to the whole");
    let high_report = reports
        .iter()
        .find(|r| r["name"].as_str().unwrap().starts_with(&high))
        .unwrap();
    let rid = high_report["id"].as_str().unwrap();
    let versions = anonymous(
        &h,
        &format!("/taxii2/api/collections/{cid}/objects/{rid}/versions/"),
    )
    .await
    .json();
    assert_eq!(
        versions["versions"].as_array().unwrap().len(),
        2,
        "{versions}"
    );
    assert_eq!(versions["versions"][1], high_report["modified"]);
    let first = anonymous(
        &h,
        &format!("{objects_url}?match[id]={rid}&match[version]=first"),
    )
    .await
    .json();
    assert_eq!(first["objects"][0]["modified"], versions["versions"][0]);
    let exact = anonymous(
        &h,
        &format!(
            "{objects_url}?match[id]={rid}&match[version]={}",
            versions["versions"][0].as_str().unwrap()
        ),
    )
    .await
    .json();
    assert_eq!(exact["objects"].as_array().unwrap().len(), 1);
    assert_eq!(exact["objects"][0]["modified"], versions["versions"][0]);
    let only = anonymous(
        &h,
        &format!("{objects_url}?match[type]=vulnerability,software"),
    )
    .await
    .json();
    assert!(
        only["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["type"] == "vulnerability" || o["type"] == "software")
    );
    let of_kinds = objects
        .iter()
        .filter(|o| o["type"] == "vulnerability" || o["type"] == "software")
        .count();
    assert!(of_kinds > 0);
    assert_eq!(
        only["objects"].as_array().unwrap().len(),
        of_kinds,
        "every object of those types"
    );
    // Several version keywords are read together, as "or".
    let both = anonymous(
        &h,
        &format!("{objects_url}?match[id]={rid}&match[version]=first,last"),
    )
    .await
    .json();
    let both: Vec<&Value> = both["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["modified"])
        .collect();
    assert_eq!(
        both,
        [&versions["versions"][0], &versions["versions"][1]],
        "first and last"
    );
    let manifest = anonymous(&h, &format!("/taxii2/api/collections/{cid}/manifest/"))
        .await
        .json();
    assert_eq!(manifest["objects"].as_array().unwrap().len(), objects.len());
    let newest = manifest["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["date_added"].as_str().unwrap().to_string())
        .max()
        .unwrap();
    let later = anonymous(&h, &format!("{objects_url}?added_after={newest}"))
        .await
        .json();
    assert!(later["objects"].as_array().unwrap().is_empty());
    // After the oldest: exactly the entries added later than it, and some are.
    let added: Vec<String> = manifest["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["date_added"].as_str().unwrap().to_string())
        .collect();
    let oldest = added.iter().min().unwrap();
    let expected = added.iter().filter(|a| *a > oldest).count();
    assert!(
        expected > 0,
        "entries were added at different times: {added:?}"
    );
    let after = anonymous(
        &h,
        &format!("/taxii2/api/collections/{cid}/manifest/?added_after={oldest}"),
    )
    .await
    .json();
    let after = after["objects"].as_array().unwrap();
    assert_eq!(after.len(), expected);
    assert!(
        after
            .iter()
            .all(|m| m["date_added"].as_str().unwrap() > oldest.as_str())
    );
    // What a client gets wrong is named.
    for (url, status) in [
        (
            format!("{objects_url}?added_after=yesterday"),
            StatusCode::BAD_REQUEST,
        ),
        (format!("{objects_url}?next=zz"), StatusCode::BAD_REQUEST),
        (format!("{objects_url}?limit=0"), StatusCode::BAD_REQUEST),
        (
            format!("{objects_url}?match[colour]=red"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/taxii2/api/collections/nope/objects/".to_string(),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/taxii2/api/collections/{cid}/objects/report--nope/"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = anonymous(&h, &url).await;
        assert_eq!(r.status, status, "{url}: {}", r.text());
        assert_eq!(r.headers[header::CONTENT_TYPE], taxii_type);
    }
    let r = h
        .send(
            Request::builder()
                .uri("/taxii2/")
                .header(header::ACCEPT, "application/taxii+json;version=2.0")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
}
