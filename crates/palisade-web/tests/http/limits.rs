//! What one client may ask of the server: the rate limits per client and per token (429 with
//! `Retry-After`), and the time limit per request (503, never a hung connection).

use crate::support::*;
use http_body_util::BodyExt;
use palisade_web::{Rate, RateLimits};
use std::time::{Duration, Instant};
use tower::ServiceExt;

fn rate(per_second: u32, burst: u32) -> Rate {
    Rate::new(per_second, burst).unwrap()
}

fn limited(h: &H, limits: RateLimits) -> Router {
    palisade_web::router(AppState::new(
        h.app.clone(),
        WebConfig {
            cookie_secure: false,
            rate_limits: Some(limits),
            ..Default::default()
        },
    ))
}

async fn get(router: &Router, uri: &str, token: Option<&str>) -> axum::response::Response {
    let mut b = Request::get(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    router
        .clone()
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn retry_after(res: &axum::response::Response) -> u64 {
    res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_client_beyond_its_rate_is_told_when_to_come_back() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let router = limited(
        &h,
        RateLimits {
            client: rate(1, 3),
            token: rate(1000, 1000),
            sign_in: rate(1000, 1000),
            client_header: None,
        },
    );
    for _ in 0..10 {
        let res = get(&router, "/healthz", None).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "health probes are never limited"
        );
    }
    for i in 0..3 {
        let res = get(&router, "/api/v1/organisations", None).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "request {i} is within the burst"
        );
    }
    let res = get(&router, "/api/v1/organisations", None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=2).contains(&retry_after(&res)));
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");

    let page = get(&router, "/sign-in", None).await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS, "pages too");
    assert!(retry_after(&page) >= 1);
    assert!(
        page.headers().contains_key("content-security-policy"),
        "a refusal still carries the strict headers"
    );
}

#[tokio::test]
async fn each_accepted_token_has_its_own_allowance() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.org("RX1", "acute_trust", "").await;
    let (_, first) = h.person("a@x.nhs.uk", Role::OrgLead, Some("RX1")).await;
    let (_, second) = h.person("b@x.nhs.uk", Role::OrgLead, Some("RX1")).await;
    let router = limited(
        &h,
        RateLimits {
            client: rate(1000, 1000),
            token: rate(1, 2),
            sign_in: rate(1000, 1000),
            client_header: None,
        },
    );
    for _ in 0..2 {
        let res = get(&router, "/api/v1/me", Some(&first)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = get(&router, "/api/v1/me", Some(&first)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) >= 1);
    let res = get(&router, "/api/v1/me", Some(&second)).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another token is not held back"
    );
    for _ in 0..5 {
        let res = get(&router, "/api/v1/me", Some("made-up")).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "a refused token is answered 401 and claims no allowance of its own"
        );
    }
}

/// Sign-in attempts from one address are limited on their own: a flood of guesses over many
/// made-up accounts (which no account's lockout ever sees) is refused 429 once the burst is
/// spent, while the same client's other requests are still served.
#[tokio::test]
async fn sign_in_attempts_are_limited_per_client_address() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let router = limited(
        &h,
        RateLimits {
            client: rate(1000, 1000),
            token: rate(1000, 1000),
            sign_in: rate(1, 3),
            client_header: None,
        },
    );
    let attempt = |i: usize| {
        let router = router.clone();
        async move {
            let pre = "ab".repeat(32);
            router
                .oneshot(
                    Request::post("/sign-in")
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .header(header::COOKIE, format!("palisade_presession={pre}"))
                        .body(Body::from(format!(
                            "csrf_token={pre}&email=guess{i}%40x.nhs.uk&password=wrong"
                        )))
                        .unwrap(),
                )
                .await
                .unwrap()
        }
    };
    for i in 0..3 {
        assert_eq!(
            attempt(i).await.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {i} is within the burst"
        );
    }
    let refused = attempt(3).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&refused) >= 1);
    assert_eq!(
        get(&router, "/sign-in", None).await.status(),
        StatusCode::OK,
        "the form itself is not an attempt"
    );
    assert_eq!(
        get(&router, "/api/v1/organisations", None).await.status(),
        StatusCode::UNAUTHORIZED,
        "other requests from the client are not held back"
    );
    // A single sign-on's start and callback draw on the same allowance.
    for path in [
        "/auth/oidc/any/start",
        "/auth/oidc/any/callback?code=c&state=s",
    ] {
        assert_eq!(
            get(&router, path, None).await.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_request_past_the_time_limit_is_answered_503() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let state = AppState::new(
        h.app.clone(),
        WebConfig {
            cookie_secure: false,
            rate_limits: None,
            request_timeout: Duration::from_millis(200),
            ..Default::default()
        },
    );
    let routes = Router::new()
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "finished"
            }),
        )
        .route("/quick", axum::routing::get(|| async { "finished" }));
    let router = palisade_web::with_layers(routes, state);
    let started = Instant::now();
    let res = get(&router, "/slow", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered at the limit, not when the handler would have finished"
    );
    assert!(res.headers().contains_key("x-content-type-options"));
    assert_eq!(get(&router, "/quick", None).await.status(), StatusCode::OK);
}

per_engine!(
    a_refused_upload_is_never_read,
    a_refused_upload_is_never_read_sqlite,
    a_refused_upload_is_never_read_postgres
);

/// Large uploads decide permission from the path and the caller before reading the body: sent
/// by someone who may not upload, a body that fails the moment it is read is never touched, so
/// the answer is the refusal, not a failed read.
async fn a_refused_upload_is_never_read(h: H) {
    let w = world(&h).await;
    let poisoned = || {
        Body::from_stream(futures_util::stream::once(async {
            Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("read"))
        }))
    };
    let send = |uri: &str, token: &str, ct: &str| {
        Request::builder()
            .method(Method::PUT)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, ct)
            .body(poisoned())
            .unwrap()
    };
    for (uri, token, ct, status) in [
        (
            "/api/v1/organisations/A81001/inventory",
            &w.auditor.1,
            "text/csv",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/organisations/A81001/inventory",
            &w.foreign.1,
            "text/csv",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/feeds/osv",
            &w.lead.1,
            "application/zip",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/feeds/eol",
            &w.member.1,
            "application/zip",
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/v1/feeds/kev",
            &w.analyst.1,
            "application/json",
            StatusCode::FORBIDDEN,
        ),
    ] {
        let r = h.send(send(uri, token, ct)).await;
        assert_eq!(r.status, status, "{uri}: {}", r.text());
    }
    // The uploader's own body is read (and this one fails to read).
    let r = h
        .send(send(
            "/api/v1/organisations/A81001/inventory",
            &w.lead.1,
            "text/csv",
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
}

/// A server with a short header time and room for two connections, on loopback.
async fn serving(
    h: &H,
    max_connections: usize,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let state = AppState::new(
        h.app.clone(),
        WebConfig {
            cookie_secure: false,
            rate_limits: None,
            connections: palisade_web::ConnectionLimits {
                header_read_timeout: Duration::from_millis(500),
                max_connections,
            },
            ..Default::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(palisade_web::serve(state, listener, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// Reads until the server closes the connection, giving up after `within`; what was read.
async fn read_to_close(socket: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    tokio::time::timeout(within, socket.read_to_end(&mut got))
        .await
        .ok()
        .map(|_| String::from_utf8_lossy(&got).into_owned())
}

/// A client that sends half a request, or nothing, or goes quiet after an answer, is
/// disconnected once the header time has passed instead of holding its socket for ever.
#[tokio::test]
async fn slow_and_idle_connections_are_closed_after_the_header_time() {
    use tokio::io::AsyncWriteExt;
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let (addr, _stop) = serving(&h, 100).await;
    let mut partial = tokio::net::TcpStream::connect(addr).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    for (name, socket) in [
        ("partial headers", &mut partial),
        ("nothing sent", &mut silent),
    ] {
        let read = read_to_close(socket, Duration::from_secs(10)).await;
        assert!(
            read.is_some(),
            "{name}: the connection is still open after 10 s"
        );
    }
    let answered = read_to_close(&mut idle, Duration::from_secs(10))
        .await
        .expect("an idle keep-alive connection is closed too");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "closed at the header time, not at once"
    );
}

/// Beyond the connection limit a new client waits in the listen queue and is served once a
/// held connection goes (here: when the silent ones reach the header time).
#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    use tokio::io::AsyncWriteExt;
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let (addr, _stop) = serving(&h, 2).await;
    let _held: Vec<_> =
        futures_util::future::join_all((0..2).map(|_| tokio::net::TcpStream::connect(addr)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut third, Duration::from_secs(10))
        .await
        .expect("served once a slot was free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the third client waited for a slot ({:?})",
        started.elapsed()
    );
}
