//! Evidence documents: checked, stored (locally or in an S3 bucket), audited and kept to their
//! organisation.

use crate::support::*;

per_engine!(
    evidence_documents_are_checked_stored_audited_and_kept_to_their_organisation,
    evidence_documents_are_checked_stored_audited_and_kept_to_their_organisation_sqlite,
    evidence_documents_are_checked_stored_audited_and_kept_to_their_organisation_postgres
);

async fn evidence_documents_are_checked_stored_audited_and_kept_to_their_organisation(h: H) {
    let w = world(&h).await;
    let (admin, member, lead, auditor, foreign) = (
        &w.admin.1,
        &w.member.1,
        &w.lead.1,
        &w.auditor.1,
        &w.foreign.1,
    );
    let r = h.import_framework(admin, TEN_STANDARD).await;
    let ten_id = r.json()["framework"]["id"].as_i64().unwrap();
    let ten = h
        .api(
            Method::GET,
            &format!("/api/v1/frameworks/{ten_id}"),
            Some(member),
            None,
        )
        .await
        .json();
    let items: Vec<&Value> = ten["standards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["assertions"].as_array().unwrap())
        .flat_map(|a| a["items"].as_array().unwrap())
        .collect();
    let for_gp = |i: &&&Value| {
        i["mandatory_for"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "gp_practice")
    };
    let doc = items
        .iter()
        .find(|i| i["answer_type"] == "document" && for_gp(i))
        .expect("GP practices must upload some document")["ref"]
        .as_str()
        .unwrap()
        .to_string();
    let yes_no = items
        .iter()
        .find(|i| i["answer_type"] == "yes_no" && for_gp(i))
        .unwrap()["ref"]
        .as_str()
        .unwrap()
        .to_string();
    let base = "/api/v1/organisations/A81001/assessments/2026";
    let upload = |token: &str, reference: &str, name: &str, bytes: &[u8]| {
        let (ct, body) = evidence_form(None, reference, name, bytes);
        Request::post(format!("{base}/evidence"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let needed = |v: &Value| {
        v["progress"]["needed_for_met"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == doc.as_str())
    };
    assert!(needed(
        &h.api(Method::GET, base, Some(member), None).await.json()
    ));

    // Refused: wrong type, content that is not what the name says, too large, an item not
    // answered by documents, people who may not answer. Nothing is stored.
    for (token, reference, name, bytes, status, says) in [
        (
            member,
            doc.as_str(),
            "tool.exe",
            b"MZ\x90\x00".to_vec(),
            422,
            "not a type accepted",
        ),
        (
            member,
            doc.as_str(),
            "policy.pdf",
            b"MZ\x90\x00".to_vec(),
            422,
            "its content is not PDF",
        ),
        (
            member,
            doc.as_str(),
            "big.pdf",
            // One byte over the limit.
            [PDF, &vec![b' '; TEST_EVIDENCE_LIMIT + 1 - PDF.len()]].concat(),
            422,
            "the largest document accepted is 64 kB",
        ),
        (
            member,
            doc.as_str(),
            "huge.pdf",
            [PDF, &vec![b' '; 3 * TEST_EVIDENCE_LIMIT]].concat(),
            422,
            "larger than the upload limit",
        ),
        (
            member,
            yes_no.as_str(),
            "policy.pdf",
            PDF.to_vec(),
            422,
            "is not answered by a document",
        ),
        (
            member,
            "99.9.9",
            "policy.pdf",
            PDF.to_vec(),
            422,
            "is not an item of this framework",
        ),
        (
            auditor,
            doc.as_str(),
            "policy.pdf",
            PDF.to_vec(),
            403,
            "\"forbidden\"",
        ),
        (
            foreign,
            doc.as_str(),
            "policy.pdf",
            PDF.to_vec(),
            404,
            "\"not_found\"",
        ),
    ] {
        let r = h.send(upload(token, reference, name, &bytes)).await;
        assert_eq!(r.status.as_u16(), status, "{name}: {}", r.text());
        assert!(r.text().contains(says), "{name}: {}", r.text());
    }
    let view = h.api(Method::GET, base, Some(member), None).await.json();
    assert_eq!(view["evidence"], json!([]));
    // A document of exactly the limit fits, multipart overhead and all.
    let exact = [PDF, &vec![b' '; TEST_EVIDENCE_LIMIT - PDF.len()]].concat();
    let r = h.send(upload(member, &doc, "exact.pdf", &exact)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let exact_id = r.json()["id"].as_i64().unwrap();
    let r = h
        .api(
            Method::DELETE,
            &format!("{base}/evidence/{exact_id}"),
            Some(member),
            None,
        )
        .await;
    assert_eq!(r.json()["evidence"], json!([]));

    // Accepted: stored with its hash, which the audit log records; the item is met.
    let r = h
        .send(upload(member, &doc, "../Board policy.pdf", PDF))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let e = r.json();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(PDF));
    assert_eq!(
        (
            e["filename"].as_str(),
            e["sha256"].as_str(),
            e["content_type"].as_str()
        ),
        (
            Some("Board policy.pdf"),
            Some(sha.as_str()),
            Some("application/pdf")
        )
    );
    let id = e["id"].as_i64().unwrap();
    assert!(!needed(
        &h.api(Method::GET, base, Some(member), None).await.json()
    ));
    let audit = h
        .api(
            Method::GET,
            "/api/v1/audit?action=assessment.evidence.upload",
            Some(admin),
            None,
        )
        .await
        .json();
    assert!(audit.to_string().contains(&sha), "{audit}");

    // Read by anyone who may read the assessment, and by nobody else.
    let file = format!("{base}/evidence/{id}");
    for (token, status) in [(member, 200), (auditor, 200), (admin, 200), (foreign, 404)] {
        let r = h.api(Method::GET, &file, Some(token), None).await;
        assert_eq!(r.status.as_u16(), status);
        if status == 200 {
            assert_eq!(r.body, PDF);
            assert!(
                r.headers[header::CONTENT_DISPOSITION]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment;")
            );
        }
    }

    // The page form: the token must come first; the upload lands on the item's section.
    let (session, csrf) = h.sign_in("member@x.nhs.uk", PASSWORD).await.unwrap();
    let page_upload = |csrf: Option<&str>| {
        let (ct, body) = evidence_form(csrf, &doc, "plan.csv", b"action,owner\nreview,IG lead\n");
        Request::post("/organisations/A81001/assessments/2026/evidence")
            .header(header::COOKIE, format!("palisade_session={session}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    assert_eq!(
        h.send(page_upload(None)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = h.send(page_upload(Some(&csrf))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        to.contains("/sections/") && to.ends_with(&format!("#item-{doc}")),
        "{to}"
    );
    let section = h
        .page(Method::GET, to.split('#').next().unwrap(), &session, None)
        .await
        .text();
    assert!(section.contains("plan.csv") && section.contains("Board policy.pdf"));
    let (ct, body) = evidence_form(Some(&csrf), &doc, "tool.exe", b"MZ");
    let r = h
        .send(
            Request::post("/organisations/A81001/assessments/2026/evidence")
                .header(header::COOKIE, format!("palisade_session={session}"))
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains(&format!("href=\"#answers.{doc}\"")),
        "{}",
        r.text()
    );

    // Removed documents leave the assessment; a submitted assessment takes none.
    let r = h.api(Method::DELETE, &file, Some(foreign), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.api(Method::DELETE, &file, Some(member), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(
        h.api(Method::GET, &file, Some(member), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.api(Method::DELETE, &file, Some(member), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = h
        .api(Method::POST, &format!("{base}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h.send(upload(member, &doc, "policy.pdf", PDF)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
}

/// The same scenario with documents in an S3-compatible bucket, when one is configured:
/// `PALISADE_TEST_S3_ENDPOINT` (e.g. `http://127.0.0.1:9000`) and `PALISADE_TEST_S3_BUCKET`, with
/// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` for it. CI runs it against a local server.
#[tokio::test]
async fn evidence_documents_in_an_s3_bucket() {
    let (Ok(endpoint), Ok(bucket)) = (
        std::env::var("PALISADE_TEST_S3_ENDPOINT"),
        std::env::var("PALISADE_TEST_S3_BUCKET"),
    ) else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run this test against an S3-compatible service"
        );
        eprintln!("no S3-compatible service configured: skipped");
        return;
    };
    let s3 = palisade_objects::S3Settings {
        bucket,
        endpoint: Some(endpoint),
        region: Some("us-east-1".into()),
    };
    let objects = palisade_objects::Storage::s3(&s3)
        .unwrap()
        .into_objects(TEST_EVIDENCE_LIMIT);
    let db = TestDb::sqlite().await.unwrap();
    evidence_documents_are_checked_stored_audited_and_kept_to_their_organisation(
        H::with_objects(db, objects, std::env::temp_dir().join("palisade-none")).await,
    )
    .await;
}
