//! The self-assessment pages: sections, certificates, submission, the public register and
//! national figures.

use crate::support::*;

/// Yes/no items of standard 1 that GP practices must answer.
fn gp_yes_no_items(framework: &Value) -> Vec<String> {
    framework["standards"][0]["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["items"].as_array().unwrap())
        .filter(|i| {
            i["answer_type"] == "yes_no"
                && i["mandatory_for"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == "gp_practice")
        })
        .map(|i| i["ref"].as_str().unwrap().to_string())
        .collect()
}

/// A section form post: the token, then each (ref, value shown, version seen, value sent).
fn section_form(csrf: &str, fields: &[(&str, &str, i64, Option<&str>)]) -> String {
    let mut f = format!("csrf_token={csrf}");
    for (r, original, version, value) in fields {
        f.push_str(&format!("&o%3A{r}={}&v%3A{r}={version}", urlenc(original)));
        if let Some(v) = value {
            f.push_str(&format!("&a%3A{r}={}", urlenc(v)));
        }
    }
    f
}

per_engine!(
    assessment_pages_answer_submit_and_publish,
    assessment_pages_answer_submit_and_publish_sqlite,
    assessment_pages_answer_submit_and_publish_postgres
);

async fn assessment_pages_answer_submit_and_publish(h: H) {
    let w = world(&h).await;
    let r = h.import_framework(&w.admin.1, TEN_STANDARD).await;
    let ten_id = r.json()["framework"]["id"].as_i64().unwrap();
    let ten = h
        .api(
            Method::GET,
            &format!("/api/v1/frameworks/{ten_id}"),
            Some(&w.member.1),
            None,
        )
        .await
        .json();
    let items = gp_yes_no_items(&ten);
    let (x, y) = (items[0].as_str(), items[1].as_str());
    let (lead, lead_csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let (member, member_csrf) = h.sign_in("member@x.nhs.uk", PASSWORD).await.unwrap();
    let (foreign, _) = h.sign_in("foreign@x.nhs.uk", PASSWORD).await.unwrap();
    let (analyst, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let base = "/organisations/A81001/assessments/2026";
    let section = format!("{base}/sections/1");
    let api = "/api/v1/organisations/A81001/assessments/2026";
    let answer = |view: &Value, r: &str| {
        view["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["ref"] == r)
            .map(|a| a["value"].clone())
    };

    let page = h.page(Method::GET, base, &member, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(
        text.contains("Registered, not published")
            && text.contains("Still needed for Standards Met")
    );
    assert!(
        text.contains(&format!("{section}#item-{x}")),
        "the needed list links to the item"
    );
    assert!(!text.contains("/submit\""), "members may not submit");
    let page = h.page(Method::GET, &section, &member, None).await;
    assert!(page.text().contains(&format!("name=\"a:{x}\"")));
    for who in [&foreign] {
        assert_eq!(
            h.page(Method::GET, base, who, None).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            h.page(Method::GET, &section, who, None).await.status,
            StatusCode::NOT_FOUND
        );
    }

    // Two people with the same page open: each saves their own item and neither is lost.
    let r = h
        .page(
            Method::POST,
            &section,
            &member,
            Some(section_form(
                &member_csrf,
                &[(x, "", 0, Some("yes")), (y, "", 0, None)],
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("?saved=1")
    );
    let r = h
        .page(
            Method::POST,
            &section,
            &lead,
            Some(section_form(
                &lead_csrf,
                &[(x, "", 0, None), (y, "", 0, Some("yes"))],
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let view = h
        .api(Method::GET, api, Some(&w.member.1), None)
        .await
        .json();
    assert_eq!(
        (answer(&view, x), answer(&view, y)),
        (Some(json!(true)), Some(json!(true)))
    );
    // Changing an item someone else changed since the page was drawn is refused, naming it.
    let r = h
        .page(
            Method::POST,
            &section,
            &lead,
            Some(section_form(&lead_csrf, &[(x, "", 0, Some("no"))])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text().contains("was changed by someone else"),
        "{}",
        r.text()
    );
    assert!(r.text().contains(&format!("href=\"#answers.{x}\"")));
    // A value of the wrong kind is named in the error summary; nothing changes.
    let r = h
        .page(
            Method::POST,
            &section,
            &lead,
            Some(section_form(&lead_csrf, &[(y, "yes", 1, Some("perhaps"))])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .contains(&format!("The answer to {y} must be yes or no")),
        "{}",
        r.text()
    );
    let view = h
        .api(Method::GET, api, Some(&w.member.1), None)
        .await
        .json();
    assert_eq!(
        (answer(&view, x), answer(&view, y)),
        (Some(json!(true)), Some(json!(true)))
    );
    // Nothing changed: nothing is written.
    let r = h
        .page(
            Method::POST,
            &section,
            &lead,
            Some(section_form(&lead_csrf, &[(y, "yes", 1, Some("yes"))])),
        )
        .await;
    assert!(
        r.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .ends_with("?saved=0")
    );

    // Certificates: a bad date is named on the form; a good one is recorded.
    let cert = |date: &str| {
        format!(
            "csrf_token={lead_csrf}&certificate_kind=cyber_essentials_plus&certificate_reference=CEP-1&certificate_expires_on={date}"
        )
    };
    let r = h
        .page(
            Method::POST,
            &format!("{base}/certificates"),
            &lead,
            Some(cert("2027-02-30")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("href=\"#certificate_expires_on\""),
        "{}",
        r.text()
    );
    let r = h
        .page(
            Method::POST,
            &format!("{base}/certificates"),
            &lead,
            Some(cert("2027-12-31")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    // Only the lead submits; the status is published and the section is locked.
    let r = h
        .page(
            Method::POST,
            &format!("{base}/submit"),
            &member,
            Some(format!("csrf_token={member_csrf}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = h
        .page(
            Method::POST,
            &format!("{base}/submit"),
            &lead,
            Some(format!("csrf_token={lead_csrf}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = h
        .page(Method::GET, &format!("{base}?done=submitted"), &lead, None)
        .await
        .text();
    assert!(
        page.contains("Standards Not Met")
            && page.contains("is submitted and its status published")
    );
    assert!(page.contains("/reopen\""));
    let r = h
        .page(
            Method::POST,
            &section,
            &member,
            Some(section_form(&member_csrf, &[(y, "yes", 1, Some("no"))])),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("is locked"));

    // The public register shows the status and nothing else, to anyone.
    let public = h
        .send(
            Request::get("/public?q=A81001&year=2026")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(public.status, StatusCode::OK);
    let text = public.text();
    assert!(text.contains("A81001") && text.contains("Standards Not Met"));
    assert!(!text.contains("CEP-1") && !text.contains("member"));

    // National figures are for national roles; their drill-down lists the organisations.
    assert_eq!(
        h.page(Method::GET, "/reports/national?year=2026", &lead, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let dash = h
        .page(Method::GET, "/reports/national?year=2026", &analyst, None)
        .await;
    assert_eq!(dash.status, StatusCode::OK);
    let text = dash.text();
    // The page's CSV link works with the page's session (the API's needs a bearer token).
    assert!(
        text.contains("href=\"/reports/national.csv?year=2026\""),
        "{text}"
    );
    let csv = h
        .page(
            Method::GET,
            "/reports/national.csv?year=2026",
            &analyst,
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.text().starts_with("dimension,key,label,total,"),
        "{}",
        csv.text()
    );
    let links: Vec<&str> = text
        .split("href=\"")
        .skip(1)
        .filter_map(|l| l.split('"').next())
        .filter(|l| l.contains("gp_practice"))
        .collect();
    assert!(
        links.contains(&"/assessments?year=2026&#38;type=gp_practice&#38;status=standards_not_met"),
        "{links:?}"
    );
    let drill = "/assessments?year=2026&type=gp_practice&status=standards_not_met";
    assert!(
        h.page(Method::GET, drill, &analyst, None)
            .await
            .text()
            .contains("A81001")
    );
    assert!(
        h.page(Method::GET, drill, &lead, None)
            .await
            .text()
            .contains("A81001")
    );
    assert!(
        !h.page(Method::GET, drill, &foreign, None)
            .await
            .text()
            .contains("A81001")
    );
    let bad = h
        .page(Method::GET, "/assessments?status=perfect", &analyst, None)
        .await;
    assert!(bad.text().contains("href=\"#status\""));
}
