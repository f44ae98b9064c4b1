//! The indicators TAXII collection: what each caller receives under TLP 2.0, by role and
//! organisation (the cross-tenant matrix of the collection), paging across the marking
//! definitions and the indicators, one object, its versions and the manifest.

use crate::support::*;
use std::collections::BTreeSet;

fn collection() -> String {
    format!(
        "/taxii2/api/collections/{}",
        palisade_formats::publish::indicators::collection_id()
    )
}

/// A notified QAA case shared with RX1, with one indicator per TLP marking: the value names it.
async fn case_with_indicators(h: &H, w: &World) -> String {
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/QAA/incidents",
            Some(&w.lead.1),
            Some(incident_body(true)),
        )
        .await;
    let reference = r.json()["reference"].as_str().unwrap().to_string();
    let base = format!("/api/v1/incidents/{reference}");
    let r = h
        .api(
            Method::POST,
            &format!("{base}/triage"),
            Some(&w.admin.1),
            Some(json!({"shared_with": ["RX1"], "note": "Shared with the trust"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    for tlp in ["clear", "green", "amber", "amber+strict", "red"] {
        let value = format!("{}.example", tlp.replace('+', "-"));
        let r = h
            .api(
                Method::POST,
                &format!("{base}/indicators"),
                Some(&w.admin.1),
                Some(json!({"type": "domain", "value": value, "tlp": tlp})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    reference
}

/// Every object a caller reads from the collection with `query` (`&match[...]=...`), page by
/// page, at most `limit` a page.
async fn read_all(h: &H, token: Option<&str>, query: &str, limit: usize) -> Vec<Value> {
    let mut objects = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let mut uri = format!("{}/objects/?limit={limit}{query}", collection());
        if let Some(n) = &next {
            uri.push_str(&format!("&next={n}"));
        }
        let r = h.api(Method::GET, &uri, token, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let body = r.json();
        let page = body["objects"].as_array().cloned().unwrap_or_default();
        assert!(page.len() <= limit, "a page of {} over {limit}", page.len());
        objects.extend(page);
        if body["more"] != true {
            return objects;
        }
        next = Some(body["next"].as_str().unwrap().to_string());
    }
    panic!("the collection never ended");
}

/// The indicators (by value) a caller receives, reading every page of `limit`, and how many
/// marking definitions came with them.
async fn seen(h: &H, token: Option<&str>, limit: usize) -> (BTreeSet<String>, usize) {
    let mut values = BTreeSet::new();
    let mut markings = 0;
    for o in read_all(h, token, "", limit).await {
        match o["type"].as_str().unwrap() {
            "marking-definition" => markings += 1,
            "indicator" => {
                let pattern = o["pattern"].as_str().unwrap();
                let value = pattern
                    .trim_start_matches("[domain-name:value = '")
                    .trim_end_matches("']");
                values.insert(value.to_string());
            }
            other => panic!("unexpected {other}"),
        }
    }
    (values, markings)
}

fn set(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| format!("{v}.example")).collect()
}

per_engine!(
    taxii_indicators_follow_tlp_for_each_role,
    taxii_indicators_follow_tlp_for_each_role_sqlite,
    taxii_indicators_follow_tlp_for_each_role_postgres
);

async fn taxii_indicators_follow_tlp_for_each_role(h: H) {
    let w = world(&h).await;
    case_with_indicators(&h, &w).await;
    let all = ["clear", "green", "amber", "amber-strict", "red"];
    // The collection is listed beside the alerts.
    let list = h
        .api(Method::GET, "/taxii2/api/collections/", None, None)
        .await
        .json();
    assert_eq!(list["collections"].as_array().unwrap().len(), 2);
    assert_eq!(list["collections"][1]["title"], "Indicators of compromise");

    // Who sees what: clear to anyone, green to every signed-in caller, amber to the reporter,
    // the organisations named on the case and the national team, amber+strict to the reporter
    // and the national team, red to the national team only.
    let expected: [(&str, Option<&str>, &[&str]); 7] = [
        ("anyone", None, &all[..1]),
        ("admin", Some(&w.admin.1), &all),
        ("analyst", Some(&w.analyst.1), &all),
        ("lead", Some(&w.lead.1), &all[..4]),
        ("member", Some(&w.member.1), &all[..4]),
        ("auditor", Some(&w.auditor.1), &all[..2]),
        ("foreign (named on the case)", Some(&w.foreign.1), &all[..3]),
    ];
    for (who, token, values) in expected {
        let (got, markings) = seen(&h, token, 1000).await;
        assert_eq!(got, set(values), "{who}");
        assert_eq!(markings, 5, "{who}");
        // Paging two at a time reads the same, never more than two a page.
        let (paged, marks) = seen(&h, token, 2).await;
        assert_eq!((paged, marks), (got, 5), "{who} by pages of two");
    }

    // A token that is not valid is refused, not read as anyone.
    let r = h
        .api(
            Method::GET,
            &format!("{}/objects/", collection()),
            Some("nope"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers["content-type"],
        "application/taxii+json;version=2.1"
    );
    // The alerts are public: a stray token does not shut anyone out of them.
    let alerts = format!(
        "/taxii2/api/collections/{}/objects/",
        palisade_formats::publish::stix::collection_id()
    );
    let r = h.api(Method::GET, &alerts, Some("nope"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

per_engine!(
    an_indicator_is_one_object_with_its_marking,
    an_indicator_is_one_object_with_its_marking_sqlite,
    an_indicator_is_one_object_with_its_marking_postgres
);

async fn an_indicator_is_one_object_with_its_marking(h: H) {
    let w = world(&h).await;
    let reference = case_with_indicators(&h, &w).await;
    let page = h
        .api(
            Method::GET,
            &format!("{}/objects/?match[type]=indicator", collection()),
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    let objects = page["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 5);
    let strict = objects
        .iter()
        .find(|o| o["pattern"] == "[domain-name:value = 'amber-strict.example']")
        .unwrap();
    assert_eq!(
        strict["object_marking_refs"],
        json!(["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"])
    );
    assert_eq!(strict["pattern_type"], "stix");
    assert_eq!(strict["spec_version"], "2.1");
    assert!(strict["description"].as_str().unwrap().contains(&reference));
    let id = strict["id"].as_str().unwrap();

    // One object: the reporter sees it, a named organisation does not (amber+strict).
    let one = format!("{}/objects/{id}/", collection());
    let r = h.api(Method::GET, &one, Some(&w.lead.1), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["objects"][0]["id"], id);
    let r = h.api(Method::GET, &one, Some(&w.foreign.1), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.api(Method::GET, &one, None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let versions = h
        .api(
            Method::GET,
            &format!("{one}versions/"),
            Some(&w.lead.1),
            None,
        )
        .await
        .json();
    assert_eq!(versions["versions"], json!([strict["modified"]]));
    let marking = h
        .api(
            Method::GET,
            &format!(
                "{}/objects/marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1/",
                collection()
            ),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(marking["objects"][0]["name"], "TLP:RED");

    // The manifest lists what the caller may see; added_after leaves out what came before.
    let manifest = h
        .api(
            Method::GET,
            &format!("{}/manifest/", collection()),
            Some(&w.foreign.1),
            None,
        )
        .await
        .json();
    assert_eq!(manifest["objects"].as_array().unwrap().len(), 5 + 3);
    let later = h
        .api(
            Method::GET,
            &format!("{}/objects/?added_after=2025-06-15T15:06:41Z", collection()),
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    assert_eq!(later["objects"], json!([]));
    let r = h
        .api(
            Method::GET,
            &format!("{}/objects/?next=zzz", collection()),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A token from before added times were in milliseconds (seconds, no prefix) is refused,
    // not read as a time in 1970.
    let r = h
        .api(
            Method::GET,
            &format!("{}/objects/?next=1750000000.3", collection()),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

per_engine!(
    polling_with_added_after_misses_nothing,
    polling_with_added_after_misses_nothing_sqlite,
    polling_with_added_after_misses_nothing_postgres
);

/// A reader polls with the last time it saw; indicators added in that same second, after the
/// poll, still reach it on the next one, each once.
async fn polling_with_added_after_misses_nothing(h: H) {
    let w = world(&h).await;
    let reference = case_with_indicators(&h, &w).await;
    let poll = |after: Option<String>| {
        let h = &h;
        let token = w.admin.1.clone();
        async move {
            let mut uri = format!("{}/objects/?match[type]=indicator", collection());
            if let Some(a) = after {
                uri.push_str(&format!("&added_after={a}"));
            }
            let r = h.api(Method::GET, &uri, Some(&token), None).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let last = r
                .headers
                .get("x-taxii-date-added-last")
                .map(|v| v.to_str().unwrap().to_string());
            let ids: Vec<String> = r.json()["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["pattern"].as_str().unwrap().to_string())
                .collect();
            (ids, last)
        }
    };
    let (first, last) = poll(None).await;
    assert_eq!(first.len(), 5);
    let last = last.expect("a page with objects says when its last was added");
    // Nothing new: the next poll is empty.
    assert_eq!(poll(Some(last.clone())).await.0, Vec::<String>::new());
    // Two more in the same second as the others (the test clock stands still).
    for value in ["late-one.example", "late-two.example"] {
        let r = h
            .api(
                Method::POST,
                &format!("/api/v1/incidents/{reference}/indicators"),
                Some(&w.admin.1),
                Some(json!({"type": "domain", "value": value, "tlp": "green"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let (later, newest) = poll(Some(last)).await;
    assert_eq!(
        later,
        [
            "[domain-name:value = 'late-one.example']",
            "[domain-name:value = 'late-two.example']"
        ]
    );
    assert_eq!(poll(newest).await.0, Vec::<String>::new());
}

per_engine!(
    filters_page_the_markings_and_hide_the_case_from_sharers,
    filters_page_the_markings_and_hide_the_case_from_sharers_sqlite,
    filters_page_the_markings_and_hide_the_case_from_sharers_postgres
);

/// Paging by one through ids that pick two markings and one indicator returns each once; a
/// page full of markings says more only when an indicator follows; the case an indicator was
/// seen on is named only to readers who may see the case.
async fn filters_page_the_markings_and_hide_the_case_from_sharers(h: H) {
    let w = world(&h).await;
    // Before any indicator, a page holding every marking is the last.
    let r = h
        .api(
            Method::GET,
            &format!("{}/objects/?limit=5", collection()),
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    assert_eq!(r["objects"].as_array().unwrap().len(), 5);
    assert_eq!(r["more"], false, "{r}");

    let reference = case_with_indicators(&h, &w).await;
    let all = h
        .api(
            Method::GET,
            &format!("{}/objects/?match[type]=indicator", collection()),
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    let green = all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["pattern"] == "[domain-name:value = 'green.example']")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let wanted = [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        green.as_str(),
    ];
    let query = format!("&match[id]={}", wanted.join(","));
    let got: Vec<String> = read_all(&h, Some(&w.admin.1), &query, 1)
        .await
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, wanted);

    // Only the markings when the ids name no indicator.
    let body = h
        .api(
            Method::GET,
            &format!("{}/objects/?limit=1&match[id]={}", collection(), wanted[0]),
            Some(&w.admin.1),
            None,
        )
        .await
        .json();
    assert_eq!(body["objects"].as_array().unwrap().len(), 1);
    assert_eq!(body["more"], false, "{body}");

    // The reporter is told the case; the organisation it was shared with and anyone are not.
    let one = format!("{}/objects/{green}/", collection());
    for (who, token, told) in [
        ("lead", Some(w.lead.1.as_str()), true),
        ("admin", Some(w.admin.1.as_str()), true),
        ("foreign", Some(w.foreign.1.as_str()), false),
        ("auditor", Some(w.auditor.1.as_str()), false),
    ] {
        let r = h.api(Method::GET, &one, token, None).await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
        let text = r.text();
        assert_eq!(text.contains(&reference), told, "{who}: {text}");
        assert_eq!(text.contains("Seen on incident"), told, "{who}: {text}");
    }
}
