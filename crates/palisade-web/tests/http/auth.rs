//! Sign-in, sessions, CSRF, lockout, API tokens, security headers, health and metrics.

use crate::support::*;
use palisade_store::OrgStore as _;
use tower::ServiceExt;

#[tokio::test]
async fn sign_in_sessions_csrf_and_lockout() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.org("RX1", "acute_trust", "").await;
    let (uid, _) = h.person("lead@x.nhs.uk", Role::OrgLead, Some("RX1")).await;

    // Pages need a session.
    let res = h
        .send(Request::get("/organisations").body(Body::empty()).unwrap())
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers[header::LOCATION],
        "/sign-in?next=%2Forganisations"
    );

    // Sign-in without the pre-session value is a forged form.
    let forged = h
        .send(
            Request::post("/sign-in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("email=lead%40x.nhs.uk&password=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let bad = h
        .sign_in("lead@x.nhs.uk", "wrong password!!")
        .await
        .unwrap_err();
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(
        bad.text()
            .contains("Enter a correct email address and password")
    );
    let unknown = h
        .sign_in("nobody@x.nhs.uk", "wrong password!!")
        .await
        .unwrap_err();
    assert_eq!(
        unknown.status,
        StatusCode::UNAUTHORIZED,
        "unknown emails look the same"
    );

    let (session, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    // A form post with a wrong or missing token changes nothing.
    let form = "name=Kim&role=siro&email=kim%40nhs.net";
    let res = h
        .page(
            Method::POST,
            "/organisations/RX1/contacts",
            &session,
            Some(format!("csrf_token={}&{form}", "0".repeat(64))),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = h
        .page(
            Method::POST,
            "/organisations/RX1/contacts",
            &session,
            Some(form.to_string()),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(h.db.store.list_contacts(1).await.unwrap().is_empty());
    // Validation errors come back on the form, naming the field.
    let res = h
        .page(
            Method::POST,
            "/organisations/RX1/contacts",
            &session,
            Some(format!(
                "csrf_token={csrf}&name=&role=siro&email=bad&mobile=123"
            )),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text();
    assert!(
        page.contains("There is a problem")
            && page.contains("href=\"#email\"")
            && page.contains("href=\"#mobile\"")
    );
    let res = h
        .page(
            Method::POST,
            "/organisations/RX1/contacts",
            &session,
            Some(format!("csrf_token={csrf}&{form}")),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // A role change rotates the session id.
    h.app
        .grant_role(&Actor::cli(), uid, Role::NationalAnalyst, None)
        .await
        .unwrap();
    let res = h.page(Method::GET, "/", &session, None).await;
    assert_eq!(res.status, StatusCode::OK);
    let rotated = res
        .cookie("palisade_session")
        .expect("a new session cookie");
    assert_ne!(rotated, session);
    assert_eq!(
        h.page(Method::GET, "/", &session, None).await.status,
        StatusCode::SEE_OTHER,
        "the old id is dead"
    );
    assert_eq!(
        h.page(Method::GET, "/", &rotated, None).await.status,
        StatusCode::OK
    );

    // Idle expiry.
    h.clock.advance(time::Duration::minutes(31));
    assert_eq!(
        h.page(Method::GET, "/", &rotated, None).await.status,
        StatusCode::SEE_OTHER
    );

    // Sign-out ends the session.
    let (s2, c2) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    assert_eq!(
        h.page(
            Method::POST,
            "/sign-out",
            &s2,
            Some(format!("csrf_token={c2}"))
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        h.page(Method::GET, "/", &s2, None).await.status,
        StatusCode::SEE_OTHER
    );

    // Four failures leave the account usable, and the right password clears the count.
    for _ in 0..4 {
        let refused = h
            .sign_in("lead@x.nhs.uk", "wrong password!!")
            .await
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    assert!(h.sign_in("lead@x.nhs.uk", PASSWORD).await.is_ok());
    // Five in a row lock it, even against the right password, until exactly 15 minutes later.
    for _ in 0..5 {
        let refused = h
            .sign_in("lead@x.nhs.uk", "wrong password!!")
            .await
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    // Locked, it answers as a wrong password or an unknown email does: a lock tells nobody that
    // the account exists.
    let locked = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap_err();
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    for _ in 0..6 {
        let unknown = h
            .sign_in("nobody@x.nhs.uk", "wrong password!!")
            .await
            .unwrap_err();
        assert_eq!(unknown.status, locked.status);
        for page in [&unknown, &locked] {
            let text = page.text();
            assert!(
                text.contains("Enter a correct email address and password")
                    && !text.contains("locked after"),
                "an unknown email reads like a locked account: {text}"
            );
        }
    }
    h.clock
        .advance(time::Duration::minutes(15) - time::Duration::seconds(1));
    let still = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap_err();
    assert_eq!(still.status, StatusCode::UNAUTHORIZED);
    h.clock.advance(time::Duration::seconds(1));
    assert!(h.sign_in("lead@x.nhs.uk", PASSWORD).await.is_ok());
    let locks = h
        .app
        .list_audit(
            &Actor::cli(),
            &palisade_store::AuditFilter {
                action: Some("session.locked".into()),
                ..Default::default()
            },
            palisade_domain::page::PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(locks.total, 1, "one lock, recorded once");
}

per_engine!(
    two_servers_share_one_database,
    two_servers_share_one_database_sqlite,
    two_servers_share_one_database_postgres
);

/// Two `palisade serve` processes on one database share sessions: nothing lives in process memory.
async fn two_servers_share_one_database(a: H) {
    a.org("RX1", "acute_trust", "").await;
    a.person("lead@x.nhs.uk", Role::OrgLead, Some("RX1")).await;
    let store = palisade_store::SqlStore::connect(&a.db.url, 4)
        .await
        .unwrap();
    let app_b = App::new(Arc::new(store), a.clock.clone(), AuthSettings::default());
    let router_b = palisade_web::router(AppState::new(
        app_b,
        WebConfig {
            cookie_secure: false,
            // In-process requests share one client; the limits have their own tests.
            rate_limits: None,
            ..Default::default()
        },
    ));
    let (session, csrf) = a.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let form = format!("csrf_token={csrf}&name=Kim+Lee&role=siro&email=kim%40nhs.net&mobile=");
    let req = Request::post("/organisations/RX1/contacts")
        .header(header::COOKIE, format!("palisade_session={session}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let res = router_b.clone().oneshot(req).await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a session made on one server works on the other"
    );
    let page = a
        .page(Method::GET, "/organisations/RX1", &session, None)
        .await;
    assert!(page.text().contains("Kim Lee"));
}

#[tokio::test]
async fn sessions_end_exactly_at_their_limits() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.org("RX1", "acute_trust", "").await;
    h.person("lead@x.nhs.uk", Role::OrgLead, Some("RX1")).await;
    let minute = time::Duration::minutes(1);
    // Idle: a request at 29:59 keeps the session; 30:00 without one ends it.
    let (s1, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    h.clock.advance(minute * 30 - time::Duration::seconds(1));
    assert_eq!(
        h.page(Method::GET, "/", &s1, None).await.status,
        StatusCode::OK
    );
    h.clock.advance(minute * 30);
    assert_eq!(
        h.page(Method::GET, "/", &s1, None).await.status,
        StatusCode::SEE_OTHER
    );
    // Absolute: however active, a session ends 12 hours after sign-in: 719:59 passes, 720:00
    // does not.
    let (s2, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    for _ in 0..24 {
        h.clock.advance(minute * 29);
        assert_eq!(
            h.page(Method::GET, "/", &s2, None).await.status,
            StatusCode::OK
        );
    }
    h.clock.advance(minute * 24 - time::Duration::seconds(1));
    assert_eq!(
        h.page(Method::GET, "/", &s2, None).await.status,
        StatusCode::OK,
        "719:59 after sign-in"
    );
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(
        h.page(Method::GET, "/", &s2, None).await.status,
        StatusCode::SEE_OTHER,
        "720:00 after sign-in"
    );
}

#[tokio::test]
async fn tokens_health_metrics_and_headers() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let (_, admin) = h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    let r = h
        .api(
            Method::POST,
            "/api/v1/tokens",
            Some(&admin),
            Some(json!({"label": "sync"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let new = r.json()["token"].as_str().unwrap().to_string();
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        h.api(Method::GET, "/api/v1/me", Some(&new), None)
            .await
            .json()["email"],
        "admin@x.nhs.uk"
    );
    let listed = h
        .api(Method::GET, "/api/v1/tokens", Some(&admin), None)
        .await
        .json();
    assert!(
        !listed.to_string().contains(&new),
        "tokens are never listed in full"
    );
    assert_eq!(
        h.api(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.api(Method::GET, "/api/v1/me", Some(&new), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let r = h.api(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.json(), json!({"status": "ok", "database": "up"}));
    let csp = r.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.starts_with("default-src 'self'"));
    assert_eq!(r.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(
        h.api(Method::GET, "/metrics", None, None).await.status,
        StatusCode::NOT_FOUND,
        "no metrics_token configured: the metrics are not served"
    );
    let scrape = |token: Option<&'static str>| scrape_metrics(&h.app, token);
    assert_eq!(scrape(None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(Some("scrape-tokem")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, m) = scrape(Some("scrape-token")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        m.contains("palisade_http_requests_total{class=\"2xx\"}")
            && m.contains("palisade_database_up 1")
            && m.contains("# TYPE palisade_http_request_duration_seconds histogram")
            && m.contains("palisade_http_request_duration_seconds_bucket{le=\"0.1\"}")
            && m.contains("palisade_build_info{version=")
            && m.contains("palisade_organisation_cache_lookups_total{outcome=\"hit\"}"),
        "{m}"
    );
    let css = h.api(Method::GET, "/assets/palisade.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.body.len() > 50_000 && !css.text().contains("assets.nhs.uk"),
        "no font or asset from another host"
    );
}

per_engine!(
    the_menu_leads_to_the_persons_own_organisation,
    the_menu_leads_to_the_persons_own_organisation_sqlite,
    the_menu_leads_to_the_persons_own_organisation_postgres
);

/// Someone who acts for one organisation reaches its page, assessment and estate from the menu,
/// each only where their role there may see it; someone acting for several, or only nationally,
/// gets no such links.
async fn the_menu_leads_to_the_persons_own_organisation(h: H) {
    h.org("RX1", "acute_trust", "").await;
    h.org("RX2", "acute_trust", "").await;
    h.person("lead@rx1.nhs.uk", Role::OrgLead, Some("RX1"))
        .await;
    h.person("auditor@audit.example", Role::Auditor, Some("RX1"))
        .await;
    let (both, _) = h
        .person("both@rx.nhs.uk", Role::OrgMember, Some("RX1"))
        .await;
    h.app
        .grant_role(&Actor::cli(), both, Role::OrgMember, Some("RX2"))
        .await
        .unwrap();
    h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    let menu = |email: &'static str| {
        let h = &h;
        async move {
            let (session, _) = h.sign_in(email, PASSWORD).await.unwrap();
            let home = h.page(Method::GET, "/", &session, None).await.text();
            let nav = &home[home.find("aria-label=\"Menu\"").unwrap()..];
            let nav = &nav[..nav.find("</nav>").unwrap()];
            [
                "href=\"/organisations/RX1\"",
                "href=\"/organisations/RX1/assessment\"",
                "href=\"/organisations/RX1/estate\"",
                "href=\"/organisations/RX2\"",
            ]
            .map(|link| nav.contains(link))
        }
    };
    assert_eq!(menu("lead@rx1.nhs.uk").await, [true, true, true, false]);
    assert_eq!(
        menu("auditor@audit.example").await,
        [true, true, false, false]
    );
    assert_eq!(menu("both@rx.nhs.uk").await, [false; 4]);
    assert_eq!(menu("admin@x.nhs.uk").await, [false; 4]);
    // The links lead somewhere the person may go.
    let (lead, _) = h.sign_in("lead@rx1.nhs.uk", PASSWORD).await.unwrap();
    for uri in ["/organisations/RX1/assessment", "/organisations/RX1/estate"] {
        let r = h.page(Method::GET, uri, &lead, None).await;
        assert!(
            r.status == StatusCode::OK || r.status.is_redirection(),
            "{uri}: {}",
            r.status
        );
    }
}
