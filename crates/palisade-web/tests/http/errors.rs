//! Every error an `/api/` route answers is in the envelope `{"error": {"code", "message"}}`,
//! including those axum makes before a handler runs.

use crate::support::*;

#[tokio::test]
async fn api_errors_are_always_in_the_envelope() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.org("A81001", "gp_practice", "").await;
    let (_, token) = h
        .person("lead@x.nhs.uk", Role::OrgLead, Some("A81001"))
        .await;
    let send = |method: Method, uri: &'static str, ct: Option<&'static str>, body: Vec<u8>| {
        let (h, token) = (&h, token.clone());
        async move {
            let mut b = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"));
            if let Some(ct) = ct {
                b = b.header(header::CONTENT_TYPE, ct);
            }
            h.send(b.body(Body::from(body)).unwrap()).await
        }
    };
    let cases = [
        (
            "a method the route does not have",
            send(Method::DELETE, "/api/v1/me", None, vec![]).await,
            405,
            "method_not_allowed",
        ),
        (
            "a path that is not UTF-8",
            send(Method::GET, "/api/v1/organisations/%FF%FE", None, vec![]).await,
            400,
            "bad_request",
        ),
        (
            "a year too large for any assessment",
            send(
                Method::GET,
                "/api/v1/organisations/A81001/assessments/99999999999999999999",
                None,
                vec![],
            )
            .await,
            400,
            "bad_request",
        ),
        (
            "a body over the limit",
            send(
                Method::POST,
                "/api/v1/organisations/A81001/contacts",
                Some("application/json"),
                vec![b' '; 2 * 1024 * 1024],
            )
            .await,
            413,
            "payload_too_large",
        ),
        (
            "no route at all",
            send(Method::GET, "/api/v1/nothing-here", None, vec![]).await,
            404,
            "not_found",
        ),
    ];
    for (what, res, status, code) in cases {
        assert_eq!(res.status.as_u16(), status, "{what}: {}", res.text());
        let e = res.json();
        assert_eq!(e["error"]["code"], code, "{what}: {e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: {e}"
        );
        if status == 405 {
            assert!(
                res.headers.contains_key(header::ALLOW),
                "{what}: Allow kept"
            );
        }
    }
}

/// A control character in a path is never echoed raw into a header: the redirect it leads to
/// is percent-encoded (it answered 500, "failed to parse header value"), and the page behind
/// it is simply not found.
#[tokio::test]
async fn control_characters_in_a_path_never_break_a_redirect() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.org("A81001", "gp_practice", "").await;
    let (_, token) = h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    let (session, csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    // Refused before any handler: nothing can echo the character into a redirect.
    for path in [
        "/organisations/%0A/assessment",
        "/organisations/A%0D%0AX/assessment",
    ] {
        let res = h.page(Method::GET, path, &session, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.text());
        let form = format!("csrf_token={csrf}");
        let res = h
            .page(
                Method::POST,
                &format!("{path}/sections/1"),
                &session,
                Some(form),
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.text());
    }
    let res = h
        .api(Method::GET, "/api/v1/organisations/%0A", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.json()["error"]["code"], "not_found", "{}", res.text());
}
