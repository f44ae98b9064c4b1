//! Bounds on what one client can ask of the server: a request rate per client address and per
//! API token, and a rate of sign-in attempts per client address, answered with 429 and
//! `Retry-After` when exceeded. (The time limit per request and
//! the panic guard are tower-http layers, wired in `router`.)
//!
//! The client limit runs before anything else looks at the request, so a flood costs no
//! database work; the token limit runs after the token was checked, so made-up tokens cannot
//! each claim a fresh allowance. Health probes and static assets are never limited.

use crate::AppState;
use crate::kit::error::ApiError;
use crate::kit::identity::Identity;
use crate::kit::views;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A sustained rate and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    /// `per_second` sustained with bursts of `burst`; `None` when either is zero.
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        Some(Self {
            per_second: NonZeroU32::new(per_second)?,
            burst: NonZeroU32::new(burst)?,
        })
    }

    fn quota(self) -> Quota {
        Quota::per_second(self.per_second).allow_burst(self.burst)
    }
}

/// Rate limits for the server (see docs/OPERATIONS.md for the defaults and their reasons).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Per client address: every request but health probes and assets.
    pub client: Rate,
    /// Per API token, once the token has been accepted.
    pub token: Rate,
    /// Sign-in attempts (`POST /sign-in`, and a single sign-on's start and callback) per client
    /// address, on top of `client`: each attempt costs a password hash or a call to the
    /// provider, and guesses spread over many accounts never reach any one account's lockout.
    pub sign_in: Rate,
    /// A header set by a trusted reverse proxy naming the client (`X-Forwarded-For`,
    /// `X-Real-IP`); its last address is the client's. Unset, the connection's address is.
    pub client_header: Option<HeaderName>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            // Many people in one organisation may share one address on the health network.
            client: Rate::new(50, 300).expect("positive"),
            token: Rate::new(20, 100).expect("positive"),
            // An office behind one address signing in at nine o'clock stays well inside this.
            sign_in: Rate::new(2, 30).expect("positive"),
            client_header: None,
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
enum Key {
    Client(IpAddr),
    /// A client whose address is unknown (a request made in-process): one shared allowance.
    Unknown,
    /// A keyed hash of the token: the limiter never holds a token itself.
    Token(u64),
}

/// The limiters of one server.
pub struct Limiter {
    client: DefaultKeyedRateLimiter<Key>,
    token: DefaultKeyedRateLimiter<Key>,
    sign_in: DefaultKeyedRateLimiter<Key>,
    client_header: Option<HeaderName>,
    hasher: RandomState,
    clock: DefaultClock,
    checks: AtomicU64,
}

/// How often (in checks) idle keys are dropped, so the limiter's memory follows active clients.
const SWEEP_EVERY: u64 = 4096;

impl Limiter {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            client: RateLimiter::keyed(limits.client.quota()),
            token: RateLimiter::keyed(limits.token.quota()),
            sign_in: RateLimiter::keyed(limits.sign_in.quota()),
            client_header: limits.client_header.clone(),
            hasher: RandomState::new(),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    fn client_key(&self, req: &Request) -> Key {
        let from_header = self.client_header.as_ref().and_then(|name| {
            let value = req.headers().get(name)?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        from_header
            .or_else(|| {
                req.extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip())
            })
            .map_or(Key::Unknown, Key::Client)
    }

    /// `Err(wait)` when `key` has used its allowance.
    fn check(&self, limiter: &DefaultKeyedRateLimiter<Key>, key: &Key) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.client.retain_recent();
            self.token.retain_recent();
            self.sign_in.retain_recent();
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The health probe and static assets: never limited.
fn exempt(path: &str) -> bool {
    path.starts_with("/assets/") || path == "/healthz"
}

/// 429 with the seconds to wait, as JSON for the API and as a page otherwise.
fn too_many(path: &str, wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let message = format!("Too many requests. Try again in {secs} seconds.");
    let mut res = if path.starts_with("/api/") {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message, None).into_response()
    } else {
        views::error_page(StatusCode::TOO_MANY_REQUESTS, "Too many requests", &message)
    };
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

/// A sign-in attempt: the request that checks a password, or a single sign-on's start (which
/// keeps a flow) or callback (which calls the provider's token endpoint).
fn signs_in(req: &Request) -> bool {
    let path = req.uri().path();
    match *req.method() {
        Method::POST => path == "/sign-in",
        Method::GET => {
            path.starts_with("/auth/oidc/")
                && (path.ends_with("/start") || path.ends_with("/callback"))
        }
        _ => false,
    }
}

/// The limits per client address (every request, and sign-in attempts), before identity is
/// resolved.
pub(crate) async fn limit_client(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(l) = &state.limiter
        && !exempt(req.uri().path())
    {
        let key = l.client_key(&req);
        let checked = l.check(&l.client, &key).and_then(|()| {
            if signs_in(&req) {
                l.check(&l.sign_in, &key)
            } else {
                Ok(())
            }
        });
        if let Err(wait) = checked {
            return too_many(req.uri().path(), wait);
        }
    }
    next.run(req).await
}

/// The limit per API token, for requests whose token was accepted.
pub(crate) async fn limit_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(l) = &state.limiter
        && matches!(req.extensions().get::<Identity>(), Some(Identity::Api(_)))
        && let Some(token) = bearer(req.headers())
        && let Err(wait) = l.check(&l.token, &Key::Token(l.hasher.hash_one(token)))
    {
        return too_many(req.uri().path(), wait);
    }
    next.run(req).await
}

/// A turn at the national figures, taken by their handlers once the caller and the query are
/// checked: at most [`crate::WebConfig::figures_at_once`] are worked on at once in this server,
/// and further requests for them wait (within the request time limit, then 503). A few
/// analysts read the figures, often in a loop, while the many organisation users' requests
/// must not queue behind them: each figures request is cheap, but eight at once took 30% of a
/// server's organisation reads. A caller who may not read the figures takes no turn: the
/// handler refuses them (the app checks the permission) without waiting behind those who may.
pub(crate) struct FiguresTurn(#[allow(dead_code)] Option<tokio::sync::OwnedSemaphorePermit>);

impl axum::extract::FromRequestParts<AppState> for FiguresTurn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let actor = match parts.extensions.get::<Identity>() {
            Some(Identity::Session(s)) => Some(&s.actor),
            Some(Identity::Api(a)) => Some(a.as_ref()),
            None => None,
        };
        // The app's own check, asked early: the handler still refuses through the app.
        let may_read = |a: &palisade_app::Actor| {
            a.require(palisade_domain::policy::GlobalAction::ViewNationalReport)
                .is_ok()
        };
        if !actor.is_some_and(may_read) {
            return Ok(Self(None));
        }
        let turn = state
            .figures_gate
            .clone()
            .acquire_owned()
            .await
            .expect("the figures' gate is never closed");
        Ok(Self(Some(turn)))
    }
}

/// The bearer token a request presents, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::people::Role;

    fn request(headers: &[(&str, &str)], peer: Option<&str>) -> Request {
        let mut b = Request::builder().uri("/api/v1/anything");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut req = b.body(axum::body::Body::empty()).unwrap();
        if let Some(p) = peer {
            req.extensions_mut()
                .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        req
    }

    #[test]
    fn the_client_is_the_connection_unless_a_trusted_proxy_names_it() {
        let mut limits = RateLimits::default();
        let direct = Limiter::new(&limits);
        let spoofed = request(&[("x-forwarded-for", "10.0.0.9")], Some("192.0.2.1:5000"));
        assert_eq!(
            direct.client_key(&spoofed),
            Key::Client("192.0.2.1".parse().unwrap()),
            "without a trusted proxy the header is ignored"
        );
        assert_eq!(direct.client_key(&request(&[], None)), Key::Unknown);
        limits.client_header = Some(HeaderName::from_static("x-forwarded-for"));
        let proxied = Limiter::new(&limits);
        let req = request(
            &[("x-forwarded-for", "203.0.113.7, 10.0.0.9")],
            Some("192.0.2.1:5000"),
        );
        assert_eq!(
            proxied.client_key(&req),
            Key::Client("10.0.0.9".parse().unwrap()),
            "the proxy appends the address it saw: the last entry is the one it vouches for"
        );
    }

    /// A token for a new person with `role` (at `org`, if any).
    async fn token(app: &palisade_app::App, email: &str, role: Role, org: Option<&str>) -> String {
        let cli = palisade_app::Actor::cli();
        let input = palisade_app::people::NewPersonInput {
            email: email.into(),
            name: "Pat".into(),
            password: "a long enough password".into(),
        };
        let person = app.create_person(&cli, &input, role, org).await.unwrap();
        app.create_token_for(&cli, person.id, "test")
            .await
            .unwrap()
            .1
    }

    /// A server on a fresh SQLite database that works on `figures_at_once` national figures
    /// requests at once.
    async fn server(figures_at_once: usize) -> (palisade_store::testkit::TestDb, AppState) {
        let db = palisade_store::testkit::TestDb::sqlite().await.unwrap();
        let app = palisade_app::App::new(
            std::sync::Arc::new(db.store.clone()),
            std::sync::Arc::new(palisade_domain::clock::SystemClock),
            palisade_app::AuthSettings::default(),
        );
        let cfg = crate::WebConfig {
            figures_at_once,
            rate_limits: None,
            ..Default::default()
        };
        (db, AppState::new(app, cfg))
    }

    #[tokio::test]
    async fn the_national_figures_wait_for_a_turn_and_a_refusal_does_not() {
        let (db, state) = server(1).await;
        let org = palisade_domain::org::OrgInput {
            code: "RX1".into(),
            name: "An acute trust".into(),
            org_type: "acute_trust".into(),
            category: String::new(),
            region: "London".into(),
            parent_code: String::new(),
        };
        let app = &state.app;
        app.create_org(&palisade_app::Actor::cli(), &org)
            .await
            .unwrap();
        let analyst = token(app, "analyst@x.nhs.uk", Role::NationalAnalyst, None).await;
        let lead = token(app, "lead@x.nhs.uk", Role::OrgLead, Some("RX1")).await;
        let router = crate::router(state.clone());
        let report = |token: &str| {
            let req = Request::get("/api/v1/reports/national")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            tower::ServiceExt::oneshot(router.clone(), req)
        };
        let soon = Duration::from_millis(200);
        assert_eq!(report(&analyst).await.unwrap().status(), StatusCode::OK);

        // The one turn is taken: the analyst waits, the lead is refused at once.
        let held = state.figures_gate.clone().acquire_owned().await.unwrap();
        let waiting = tokio::spawn(report(&analyst));
        tokio::time::sleep(soon).await;
        assert!(!waiting.is_finished(), "the analyst waits for the turn");
        let refused = tokio::time::timeout(soon, report(&lead)).await;
        assert_eq!(
            refused
                .expect("a refusal waits for no turn")
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        drop(held);
        let answered = tokio::time::timeout(Duration::from_secs(10), waiting).await;
        assert_eq!(answered.unwrap().unwrap().unwrap().status(), StatusCode::OK);
        db.cleanup().await;
    }

    #[tokio::test]
    async fn the_gate_lets_at_least_one_through() {
        let (db, state) = server(0).await;
        assert_eq!(state.figures_gate.available_permits(), 1);
        db.cleanup().await;
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let res = too_many("/api/v1/x", Duration::from_millis(1200));
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "2");
        let res = too_many("/organisations", Duration::ZERO);
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    }
}
