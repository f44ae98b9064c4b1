//! The HTTP surface, driven in-process through the router, on SQLite and (when configured)
//! PostgreSQL. The cross-tenant matrix walks every API route and page with every role.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use palisade_app::{Actor, App, AuthSettings};
use palisade_domain::clock::{ManualClock, from_unix};
use palisade_domain::org::OrgInput;
use palisade_domain::people::{ContactInput, Role};
use palisade_store::testkit::TestDb;
use palisade_web::{AppState, WebConfig};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";
/// The largest evidence document the test server accepts (small, to test the limit).
const TEST_EVIDENCE_LIMIT: usize = 64 * 1024;

struct H {
    _evidence: TempDir,
    db: TestDb,
    app: App,
    router: Router,
    clock: Arc<ManualClock>,
}

#[derive(Debug)]
struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, v)| *k == name && !v.is_empty())
            .map(|(_, v)| v.to_string())
    }
}

/// A directory removed when the test is done with it.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl H {
    /// A server keeping evidence in a fresh local directory.
    async fn new(db: TestDb) -> Self {
        let evidence = std::env::temp_dir().join(format!(
            "palisade-test-evidence-{}",
            palisade_app::auth::random_hex(8)
        ));
        let objects =
            palisade_app::evidence::Objects::local(&evidence, TEST_EVIDENCE_LIMIT).unwrap();
        Self::with_objects(db, objects, evidence).await
    }

    /// A server keeping evidence in `objects` (`dir` is removed afterwards, if it exists).
    async fn with_objects(
        db: TestDb,
        objects: palisade_app::evidence::Objects,
        evidence: std::path::PathBuf,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(from_unix(1_750_000_000)));
        let app = App::new(
            Arc::new(db.store.clone()),
            clock.clone(),
            AuthSettings::default(),
        )
        .with_objects(objects);
        let router = palisade_web::router(AppState::new(
            app.clone(),
            WebConfig {
                cookie_secure: false,
                ..Default::default()
            },
        ));
        Self {
            _evidence: TempDir(evidence),
            db,
            app,
            router,
            clock,
        }
    }

    async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn api(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    async fn org(&self, code: &str, t: &str, parent: &str) {
        let input = OrgInput {
            code: code.into(),
            name: format!("Org {code}"),
            org_type: t.into(),
            category: String::new(),
            region: "London".into(),
            parent_code: parent.into(),
        };
        self.app.create_org(&Actor::cli(), &input).await.unwrap();
    }

    async fn contact(&self, code: &str) -> i64 {
        let c = ContactInput {
            name: "Sam Patel".into(),
            role: "siro".into(),
            email: format!("siro@{}.nhs.uk", code.to_lowercase()),
            mobile: "07700 900123".into(),
            ..Default::default()
        };
        self.app
            .create_contact(&Actor::cli(), code, &c)
            .await
            .unwrap()
            .id
    }

    /// A person with one role and an API token.
    async fn person(&self, email: &str, role: Role, org: Option<&str>) -> (i64, String) {
        let input = palisade_app::people::NewPersonInput {
            email: email.into(),
            name: email.split('@').next().unwrap().into(),
            password: PASSWORD.into(),
        };
        let u = self
            .app
            .create_person(&Actor::cli(), &input, role, org)
            .await
            .unwrap();
        let (_, token) = self
            .app
            .create_token_for(&Actor::cli(), u.id, "tests")
            .await
            .unwrap();
        (u.id, token)
    }

    /// Signs in through the form; returns the session cookie and the page's CSRF token.
    async fn sign_in(&self, email: &str, password: &str) -> Result<(String, String), Resp> {
        let form = self
            .send(Request::get("/sign-in").body(Body::empty()).unwrap())
            .await;
        let pre = form.cookie("palisade_presession").unwrap();
        let body = format!(
            "csrf_token={pre}&email={}&password={}",
            urlenc(email),
            urlenc(password)
        );
        let res = self
            .send(
                Request::post("/sign-in")
                    .header(header::COOKIE, format!("palisade_presession={pre}"))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        let Some(session) = res.cookie("palisade_session") else {
            return Err(res);
        };
        let home = self.page(Method::GET, "/", &session, None).await;
        Ok((session, csrf_of(&home.text())))
    }

    async fn page(&self, method: Method, uri: &str, session: &str, form: Option<String>) -> Resp {
        let b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, format!("palisade_session={session}"));
        let req = match form {
            Some(f) => b
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(f))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let i = html.find(marker).expect("page has a form token") + marker.len();
    html[i..i + 64].to_string()
}

/// The organisations of the matrix: an ICB (QAA) with a practice beneath (A81001), and an
/// unrelated trust (RX1).
async fn world(h: &H) -> World {
    h.org("QAA", "icb", "").await;
    h.org("A81001", "gp_practice", "QAA").await;
    h.org("RX1", "acute_trust", "").await;
    let c_rx1 = h.contact("RX1").await;
    let c_child = h.contact("A81001").await;
    let admin = h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    let analyst = h
        .person("analyst@x.nhs.uk", Role::NationalAnalyst, None)
        .await;
    let lead = h.person("lead@x.nhs.uk", Role::OrgLead, Some("QAA")).await;
    let member = h
        .person("member@x.nhs.uk", Role::OrgMember, Some("QAA"))
        .await;
    let auditor = h
        .person("auditor@x.nhs.uk", Role::Auditor, Some("QAA"))
        .await;
    let foreign = h
        .person("foreign@x.nhs.uk", Role::OrgLead, Some("RX1"))
        .await;
    World {
        c_rx1,
        c_child,
        admin,
        analyst,
        lead,
        member,
        auditor,
        foreign,
    }
}

struct World {
    c_rx1: i64,
    c_child: i64,
    admin: (i64, String),
    analyst: (i64, String),
    lead: (i64, String),
    member: (i64, String),
    auditor: (i64, String),
    foreign: (i64, String),
}

impl World {
    /// Tokens in the matrix's column order.
    fn tokens(&self) -> [(&'static str, &str); 6] {
        [
            ("admin", &self.admin.1),
            ("analyst", &self.analyst.1),
            ("lead", &self.lead.1),
            ("member", &self.member.1),
            ("auditor", &self.auditor.1),
            ("foreign", &self.foreign.1),
        ]
    }
}

#[tokio::test]
async fn cross_tenant_matrix_over_every_api_route() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let contact = json!({"name": "Kim Lee", "role": "alert_contact", "email": "kim@nhs.net", "mobile": "07700 900999"});
        let new_org = |code: &str| json!({"code": code, "name": "New Org", "type": "pharmacy", "region": "London"});
        let (rx1c, childc, foreign_id) = (w.c_rx1, w.c_child, w.foreign.0);
        let published = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(&w.admin.1),
                Some(high_alert(true)),
            )
            .await;
        let alert = published.json()["id"].as_str().unwrap().to_string();
        // Columns: admin, analyst, lead (of QAA), member (of QAA), auditor (of QAA), foreign (lead of RX1).
        let cases: Vec<(Method, String, Option<Value>, [u16; 6])> = vec![
            (
                Method::GET,
                format!("/api/v1/alerts/{alert}"),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::GET,
                format!("/api/v1/alerts/{alert}/responses/RX1"),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                format!("/api/v1/alerts/{alert}/responses/A81001"),
                None,
                [200, 200, 200, 200, 403, 404],
            ),
            (
                Method::GET,
                format!("/api/v1/alerts/{alert}/board"),
                None,
                [200, 200, 403, 403, 403, 403],
            ),
            (
                Method::GET,
                "/api/v1/chase-list".into(),
                None,
                [200, 200, 403, 403, 403, 403],
            ),
            (
                Method::GET,
                "/api/v1/outbox".into(),
                None,
                [200, 200, 403, 403, 403, 403],
            ),
            (
                Method::POST,
                format!("/api/v1/alerts/{alert}/chase"),
                None,
                [202, 403, 403, 403, 403, 403],
            ),
            (
                Method::POST,
                format!("/api/v1/alerts/{alert}/relay"),
                None,
                [202, 403, 403, 403, 403, 403],
            ),
            (
                Method::POST,
                format!("/api/v1/alerts/{alert}/responses/RX1/acknowledge"),
                None,
                [403, 403, 404, 404, 404, 200],
            ),
            // The member finds it acknowledged by the lead a moment before: allowed, but late.
            (
                Method::POST,
                format!("/api/v1/alerts/{alert}/responses/A81001/acknowledge"),
                None,
                [403, 403, 200, 409, 403, 404],
            ),
            (
                Method::GET,
                "/api/v1/me".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::GET,
                "/api/v1/organisations/RX1".into(),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                "/api/v1/organisations/a81001".into(),
                None,
                [200, 200, 200, 200, 200, 404],
            ),
            (
                Method::GET,
                "/api/v1/organisations/QAA/children".into(),
                None,
                [200, 200, 200, 200, 200, 404],
            ),
            (
                Method::PATCH,
                "/api/v1/organisations/RX1".into(),
                Some(json!({"region": "North West"})),
                [200, 403, 404, 404, 404, 403],
            ),
            (
                Method::GET,
                "/api/v1/organisations/RX1/contacts".into(),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                "/api/v1/organisations/A81001/contacts".into(),
                None,
                [200, 200, 200, 200, 403, 404],
            ),
            (
                Method::GET,
                format!("/api/v1/organisations/RX1/contacts/{rx1c}"),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            // A contact id that exists, asked for through the wrong organisation.
            (
                Method::GET,
                format!("/api/v1/organisations/A81001/contacts/{rx1c}"),
                None,
                [404, 404, 404, 404, 403, 404],
            ),
            (
                Method::PUT,
                format!("/api/v1/organisations/RX1/contacts/{rx1c}"),
                Some(contact.clone()),
                [200, 403, 404, 404, 404, 200],
            ),
            (
                Method::POST,
                "/api/v1/organisations/RX1/contacts".into(),
                Some(contact.clone()),
                [201, 403, 404, 404, 404, 201],
            ),
            (
                Method::POST,
                "/api/v1/organisations/A81001/contacts".into(),
                Some(contact.clone()),
                [201, 403, 201, 403, 403, 404],
            ),
            (
                Method::PUT,
                format!("/api/v1/organisations/A81001/contacts/{rx1c}"),
                Some(contact.clone()),
                [404, 403, 404, 403, 403, 404],
            ),
            (
                Method::DELETE,
                format!("/api/v1/organisations/A81001/contacts/{rx1c}"),
                None,
                [404, 403, 404, 403, 403, 404],
            ),
            (
                Method::GET,
                "/api/v1/organisations/RX1/people".into(),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                "/api/v1/organisations/QAA/people".into(),
                None,
                [200, 200, 200, 403, 403, 404],
            ),
            (
                Method::POST,
                "/api/v1/organisations".into(),
                Some(new_org("FAB01")),
                [201, 403, 403, 403, 403, 403],
            ),
            (
                Method::GET,
                format!("/api/v1/people/{foreign_id}"),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::POST,
                format!("/api/v1/people/{foreign_id}/roles"),
                Some(json!({"role": "org_member", "org_code": "RX1"})),
                [204, 403, 404, 404, 404, 409],
            ),
            (
                Method::POST,
                "/api/v1/people".into(),
                Some(
                    json!({"email": "x@rx1.nhs.uk", "name": "X", "role": "org_member", "org_code": "RX1"}),
                ),
                [201, 403, 422, 422, 422, 409],
            ),
            // Within the QAA tree: visibility passes, so the role rule itself decides (the lead's
            // 409 is the admin's person already existing, after permission was granted).
            (
                Method::POST,
                "/api/v1/people".into(),
                Some(
                    json!({"email": "y@qaa.nhs.uk", "name": "Y", "role": "org_member", "org_code": "QAA"}),
                ),
                [201, 403, 409, 403, 403, 422],
            ),
            (
                Method::GET,
                "/api/v1/audit?org_code=RX1".into(),
                None,
                [200, 403, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                "/api/v1/tokens".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::DELETE,
                format!("/api/v1/organisations/RX1/contacts/{rx1c}"),
                None,
                [204, 403, 404, 404, 404, 404],
            ),
            (
                Method::DELETE,
                format!("/api/v1/organisations/A81001/contacts/{childc}"),
                None,
                [204, 403, 404, 403, 403, 404],
            ),
            (
                Method::GET,
                "/api/v1/organisations".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::GET,
                "/api/v1/organisations/RX1/children".into(),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                "/api/v1/people".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::POST,
                "/api/v1/tokens".into(),
                Some(json!({"label": "matrix"})),
                [201, 201, 201, 201, 201, 201],
            ),
            (
                Method::DELETE,
                "/api/v1/tokens/999999".into(),
                None,
                [404, 404, 404, 404, 404, 404],
            ),
            (
                Method::DELETE,
                format!("/api/v1/people/{foreign_id}/roles?role=org_member&org_code=RX1"),
                None,
                [204, 403, 404, 404, 404, 404],
            ),
        ];
        for (method, uri, body, expected) in &cases {
            for (i, (who, token)) in w.tokens().iter().enumerate() {
                let res = h.api(method.clone(), uri, Some(token), body.clone()).await;
                let exp = expected[i];
                // A 409 in the table is a repeat of what an earlier column already did.
                assert!(
                    res.status.as_u16() == exp,
                    "{:?}: {method} {uri} as {who}: expected {exp}, got {} {}",
                    h.db.engine(),
                    res.status,
                    res.text()
                );
                if res.status.is_client_error() && res.status != StatusCode::CONFLICT {
                    let e = res.json();
                    assert!(
                        e["error"]["code"].is_string() && e["error"]["message"].is_string(),
                        "error envelope: {}",
                        res.text()
                    );
                    assert!(
                        !res.text().contains("+4477"),
                        "no personal data in an error"
                    );
                }
            }
        }
        // Lists are scoped, never filtered after the fact.
        let listed = h
            .api(Method::GET, "/api/v1/organisations", Some(&w.lead.1), None)
            .await
            .json();
        let codes: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            ["A81001", "QAA"],
            "exactly the lead's organisation and its practice"
        );
        assert_eq!(listed["meta"]["total"], 2);
        let people = h
            .api(Method::GET, "/api/v1/people", Some(&w.lead.1), None)
            .await
            .json();
        let emails: Vec<&str> = people["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["email"].as_str().unwrap())
            .collect();
        assert!(
            !emails.contains(&"foreign@x.nhs.uk") && emails.contains(&"member@x.nhs.uk"),
            "{emails:?}"
        );
        let audit = h
            .api(
                Method::GET,
                "/api/v1/audit?per_page=200",
                Some(&w.lead.1),
                None,
            )
            .await
            .json();
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["org_code"] == "QAA" || e["org_code"] == "A81001"),
            "{audit}"
        );
        // The register import, which takes CSV rather than JSON.
        let csv = "code,name,type,category,region,parent_code\nZZ001,Matrix Pharmacy,pharmacy,3,London,\n";
        for ((who, token), exp) in w.tokens().iter().zip([200, 403, 403, 403, 403, 403]) {
            let req = Request::post("/api/v1/organisations/import")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(csv))
                .unwrap();
            assert_eq!(h.send(req).await.status.as_u16(), exp, "import as {who}");
        }
        // Inventories: uploaded by the organisation itself (CSV), read by it and the national team.
        let inventory = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing\nPC-1,workstation,Microsoft,Windows 10,10.0.19045,,,no\n";
        for ((who, token), exp) in w.tokens().iter().zip([403, 403, 200, 200, 403, 404]) {
            let r = h
                .raw(
                    Method::PUT,
                    "/api/v1/organisations/A81001/inventory",
                    token,
                    "text/csv",
                    inventory,
                )
                .await;
            assert_eq!(r.status.as_u16(), exp, "inventory upload as {who}");
        }
        for (code, expected) in [
            ("A81001", [200, 200, 200, 200, 403, 404]),
            ("RX1", [200, 200, 404, 404, 404, 200]),
        ] {
            for ((who, token), exp) in w.tokens().iter().zip(expected) {
                for tail in ["", "/uploads"] {
                    let uri = format!("/api/v1/organisations/{code}/inventory{tail}");
                    let r = h.api(Method::GET, &uri, Some(token), None).await;
                    assert_eq!(r.status.as_u16(), exp, "{uri} as {who}");
                }
            }
        }
        // Tokens are revoked only by their owner.
        let lead_token = h.app.store.list_tokens(w.lead.0).await.unwrap()[0].id;
        for ((who, token), exp) in w.tokens().iter().zip([404, 404, 204, 404, 404, 404]) {
            let r = h
                .api(
                    Method::DELETE,
                    &format!("/api/v1/tokens/{lead_token}"),
                    Some(token),
                    None,
                )
                .await;
            assert_eq!(r.status.as_u16(), exp, "revoking the lead's token as {who}");
        }
        // No token, a wrong token, a revoked token.
        assert_eq!(
            h.api(Method::GET, "/api/v1/organisations", None, None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            h.api(Method::GET, "/api/v1/organisations", Some("pal_nope"), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn cross_tenant_matrix_over_pages() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let (rx1c, foreign_id) = (w.c_rx1, w.foreign.0);
        let mut sessions = Vec::new();
        for who in ["admin", "analyst", "lead", "member", "auditor", "foreign"] {
            sessions.push((
                who,
                h.sign_in(&format!("{who}@x.nhs.uk"), PASSWORD)
                    .await
                    .unwrap_or_else(|_| panic!("{who} signs in")),
            ));
        }
        let contact_form =
            "name=Kim+Lee&role=alert_contact&email=kim%40nhs.net&mobile=07700+900999";
        let cases: Vec<(Method, String, Option<&str>, [u16; 6])> = vec![
            (
                Method::GET,
                "/".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::GET,
                "/organisations".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::GET,
                "/organisations/RX1".into(),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                "/organisations/A81001".into(),
                None,
                [200, 200, 200, 200, 200, 404],
            ),
            (
                Method::GET,
                "/organisations/new".into(),
                None,
                [200, 403, 403, 403, 403, 403],
            ),
            (
                Method::GET,
                "/organisations/RX1/edit".into(),
                None,
                [200, 403, 404, 404, 404, 403],
            ),
            (
                Method::GET,
                "/organisations/RX1/contacts/new".into(),
                None,
                [200, 403, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                format!("/organisations/RX1/contacts/{rx1c}/edit"),
                None,
                [200, 403, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                format!("/organisations/A81001/contacts/{rx1c}/edit"),
                None,
                [404, 403, 404, 403, 403, 404],
            ),
            (
                Method::POST,
                "/organisations/RX1/contacts".into(),
                Some(contact_form),
                [303, 403, 404, 404, 404, 303],
            ),
            (
                Method::POST,
                format!("/organisations/RX1/contacts/{rx1c}/edit"),
                Some(contact_form),
                [303, 403, 404, 404, 404, 303],
            ),
            (
                Method::GET,
                "/people".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::GET,
                format!("/people/{foreign_id}"),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::GET,
                "/audit".into(),
                None,
                [200, 403, 200, 403, 403, 200],
            ),
            (
                Method::GET,
                "/tokens".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::POST,
                format!("/organisations/RX1/contacts/{rx1c}/delete"),
                Some(""),
                [303, 403, 404, 404, 404, 404],
            ),
            (
                Method::GET,
                "/organisations/import".into(),
                None,
                [200, 403, 403, 403, 403, 403],
            ),
            (
                Method::GET,
                "/organisations/export.csv".into(),
                None,
                [200, 200, 200, 200, 200, 200],
            ),
            (
                Method::GET,
                "/people/new".into(),
                None,
                [200, 403, 200, 403, 403, 200],
            ),
            (
                Method::POST,
                "/organisations".into(),
                Some("code=ZZ9&name=New+Org&type=pharmacy&category=&region=London&parent_code="),
                [303, 403, 403, 403, 403, 403],
            ),
            (
                Method::POST,
                "/organisations/RX1/edit".into(),
                Some(
                    "code=RX1&name=Renamed+Trust&type=acute_trust&category=1&region=London&parent_code=&active=true",
                ),
                [303, 403, 404, 404, 404, 403],
            ),
            (
                Method::POST,
                "/people".into(),
                Some("name=New+Person&email=np%40x.nhs.uk&password=&role=org_member&org_code=RX1"),
                [303, 403, 422, 422, 422, 422],
            ),
            (
                Method::POST,
                format!("/people/{foreign_id}/roles"),
                Some("role=org_member&org_code=RX1"),
                [303, 403, 404, 404, 404, 422],
            ),
            (
                Method::POST,
                format!("/people/{foreign_id}/roles/remove"),
                Some("role=org_member&org_code=RX1"),
                [303, 403, 404, 404, 404, 404],
            ),
            (
                Method::POST,
                format!("/people/{foreign_id}/active"),
                Some("active=true"),
                [303, 403, 403, 403, 403, 403],
            ),
            (
                Method::POST,
                "/tokens".into(),
                Some("label=matrix"),
                [201, 201, 201, 201, 201, 201],
            ),
            (
                Method::POST,
                "/tokens/999999/revoke".into(),
                Some(""),
                [404, 404, 404, 404, 404, 404],
            ),
        ];
        for (method, uri, form, expected) in &cases {
            for (i, (who, (session, csrf))) in sessions.iter_mut().enumerate() {
                let body = form.map(|f| {
                    if f.is_empty() {
                        format!("csrf_token={csrf}")
                    } else {
                        format!("csrf_token={csrf}&{f}")
                    }
                });
                let res = h.page(method.clone(), uri, session, body).await;
                // Like a browser, follow a rotated session (roles changed by an earlier row).
                if let Some(rotated) = res.cookie("palisade_session") {
                    *session = rotated;
                }
                assert_eq!(
                    res.status.as_u16(),
                    expected[i],
                    "{:?}: {method} {uri} as {who}: {}",
                    h.db.engine(),
                    res.text().chars().take(300).collect::<String>()
                );
                if res.status == StatusCode::NOT_FOUND || res.status == StatusCode::FORBIDDEN {
                    // Markers that stay put while the rows above edit and delete contacts: the
                    // trust's name, and the name every test contact carries.
                    let text = res.text();
                    assert!(
                        !text.contains("Org RX1") && !text.contains("Sam Patel"),
                        "a refusal shows nothing of the organisation or its contacts"
                    );
                }
            }
        }
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn leads_see_people_only_through_their_organisations() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let (lead, admin, foreign_id) = (&w.lead.1, &w.admin.1, w.foreign.0);
        // A stranger cannot be read, nor pulled into the lead's organisation.
        assert_eq!(
            h.api(
                Method::GET,
                &format!("/api/v1/people/{foreign_id}"),
                Some(lead),
                None
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        let grant = json!({"role": "org_member", "org_code": "QAA"});
        let r = h
            .api(
                Method::POST,
                &format!("/api/v1/people/{foreign_id}/roles"),
                Some(lead),
                Some(grant.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
        assert_eq!(
            h.app
                .store
                .grants_of(foreign_id, &palisade_domain::policy::Scope::All)
                .await
                .unwrap()
                .len(),
            1
        );
        // Once the national team adds them to QAA, the lead sees them, but only their QAA role.
        assert_eq!(
            h.api(
                Method::POST,
                &format!("/api/v1/people/{foreign_id}/roles"),
                Some(admin),
                Some(grant)
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        let p = h
            .api(
                Method::GET,
                &format!("/api/v1/people/{foreign_id}"),
                Some(lead),
                None,
            )
            .await
            .json();
        assert_eq!(
            p["roles"],
            json!([{"role": "org_member", "org_code": "QAA"}]),
            "no word of RX1"
        );
        h.db.cleanup().await;
    }
}

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
    assert!(h.app.store.list_contacts(1).await.unwrap().is_empty());
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
    let locked = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap_err();
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    h.clock
        .advance(time::Duration::minutes(15) - time::Duration::seconds(1));
    let still = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap_err();
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
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
    h.db.cleanup().await;
}

/// Two `palisade serve` processes on one database share sessions: nothing lives in process memory.
#[tokio::test]
async fn two_servers_share_one_database() {
    for db in TestDb::all().await {
        let a = H::new(db).await;
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
        a.db.cleanup().await;
    }
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
    h.db.cleanup().await;
}

#[tokio::test]
async fn bad_input_gets_clear_4xx_and_changes_nothing() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let (admin_id, admin) = h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    let t = Some(admin.as_str());
    // An administrator cannot take away their own national role or switch themselves off (even
    // with a second administrator present, who could do either).
    h.person("second@x.nhs.uk", Role::NationalAdmin, None).await;
    let r = h
        .api(
            Method::DELETE,
            &format!("/api/v1/people/{admin_id}/roles?role=national_admin"),
            t,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["field"], "role");
    let me = h.app.bearer(&admin).await.unwrap().unwrap();
    let off = h
        .app
        .set_person_active(&me, admin_id, false)
        .await
        .unwrap_err();
    assert!(
        off.to_string().contains("cannot deactivate yourself"),
        "{off}"
    );
    assert!(
        h.app
            .store
            .get_user(admin_id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    let post = |body: &'static str, ct: &'static str| {
        Request::post("/api/v1/organisations")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let r = h.send(post("{not json", "application/json")).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let r = h
        .send(post("code=RX1", "application/x-www-form-urlencoded"))
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = h.api(Method::POST, "/api/v1/organisations", t, Some(json!({"code": "RX1", "name": "Leeds Hospital", "type": "hospital", "region": "London"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "type");
    let r = h.api(Method::POST, "/api/v1/organisations", t, Some(json!({"code": "RX1", "name": "Leeds Hospital", "type": "acute_trust", "region": "London", "colour": "red"}))).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {}",
        r.text()
    );
    let ok = json!({"code": "rx1", "name": "Leeds Teaching Hospitals", "type": "acute_trust", "region": "London"});
    let r = h
        .api(Method::POST, "/api/v1/organisations", t, Some(ok.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        (r.json()["code"].as_str(), r.json()["category"].as_u64()),
        (Some("RX1"), Some(1))
    );
    let r = h
        .api(Method::POST, "/api/v1/organisations", t, Some(ok))
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("code"))
    );
    let big = "x".repeat(2 * 1024 * 1024);
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations",
            t,
            Some(json!({"code": "RX2", "name": big, "type": "acute_trust", "region": "London"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = h
        .api(Method::GET, "/api/v1/organisations?category=nine", t, None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = h
        .api(Method::GET, "/api/v1/organisations?type=castle", t, None)
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("type"))
    );
    let r = h.api(Method::GET, "/api/v1/nothing-here", t, None).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = h
        .send(Request::get("/nothing-here").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("Page not found"));

    // CSV import over the API: every bad line named, nothing written.
    let csv = "code,name,type,category,region,parent_code\nQAA,NHS Somewhere ICB,icb,1,London,\nB1,Bad,castle,1,London,\nC81001,Practice,gp_practice,4,London,NOPE\n";
    let r = h
        .send(
            Request::post("/api/v1/organisations/import")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "line 3: type");
    let good = "code,name,type,category,region,parent_code\nQAA,NHS Somewhere ICB,icb,1,London,\nC81001,Practice,gp_practice,4,London,QAA\n";
    let r = h
        .send(
            Request::post("/api/v1/organisations/import")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(good))
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"created": 2, "updated": 0, "unchanged": 0})
    );
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/QAA",
            t,
            Some(json!({"parent_code": "C81001"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("parent_code"))
    );
    // Absent fields stay; `null` removes the parent.
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/C81001",
            t,
            Some(json!({"region": "North West"})),
        )
        .await;
    assert_eq!(
        (
            r.json()["region"].as_str(),
            r.json()["parent_code"].as_str()
        ),
        (Some("North West"), Some("QAA"))
    );
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/C81001",
            t,
            Some(json!({"parent_code": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["parent_code"].is_null(), "{}", r.text());
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/C81001",
            t,
            Some(json!({"category": "4"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "category is a number"
    );
    let r = h
        .api(
            Method::PATCH,
            "/api/v1/organisations/QAA",
            t,
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(r.json()["active"], false);
    h.db.cleanup().await;
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
    let m = h.api(Method::GET, "/metrics", None, None).await.text();
    assert!(
        m.contains("palisade_http_requests_total{class=\"2xx\"}")
            && m.contains("palisade_database_up 1")
    );
    let css = h.api(Method::GET, "/assets/palisade.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.body.len() > 50_000 && !css.text().contains("assets.nhs.uk"),
        "no font or asset from another host"
    );
    h.db.cleanup().await;
}

/// A multipart form post from a signed-in page: (content type, body) as `multipart` makes them.
fn upload(uri: &str, session: &str, (ct, body): (String, String)) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, format!("palisade_session={session}"))
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap()
}

fn multipart(csrf: Option<&str>, csv: &str) -> (String, String) {
    let boundary = "palisadeboundary";
    let mut body = String::new();
    if let Some(t) = csrf {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn register_import_page_and_export() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    h.org("QAA", "icb", "").await;
    h.person("admin@x.nhs.uk", Role::NationalAdmin, None).await;
    h.person("lead@x.nhs.uk", Role::OrgLead, Some("QAA")).await;
    let (admin, csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let (lead, lead_csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let post = |session: &str, ct: String, body: String| {
        upload("/organisations/import", session, (ct, body))
    };
    assert_eq!(
        h.page(Method::GET, "/organisations/import", &admin, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        h.page(Method::GET, "/organisations/import", &lead, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let bad = "code,name,type,category,region,parent_code\nB82001,Practice,gp_practice,4,London,NOPE\nX1,Bad,castle,1,London,\n";
    let (ct, body) = multipart(Some(&csrf), bad);
    let r = h.send(post(&admin, ct, body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line 3: type"), "{}", r.text());
    let (ct, body) = multipart(None, "code,name,type,category,region,parent_code\n");
    assert_eq!(
        h.send(post(&admin, ct, body)).await.status,
        StatusCode::FORBIDDEN,
        "no token, no import"
    );
    let (ct, body) = multipart(Some(&lead_csrf), bad);
    assert_eq!(
        h.send(post(&lead, ct, body)).await.status,
        StatusCode::FORBIDDEN
    );
    // The token must come first, be this session's, and only upload forms take multipart.
    let (ct, body) = multipart(Some(&lead_csrf), bad);
    assert_eq!(
        h.send(post(&admin, ct, body)).await.status,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    let (ct, body) = multipart(None, "code,name,type,category,region,parent_code\n");
    let late_token = body.replace(
        "--palisadeboundary--",
        &format!("--palisadeboundary\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n--palisadeboundary--"),
    );
    assert_ne!(late_token, body);
    assert_eq!(
        h.send(post(&admin, ct.clone(), late_token)).await.status,
        StatusCode::FORBIDDEN,
        "a token after the file"
    );
    let elsewhere = upload("/organisations", &admin, multipart(Some(&csrf), "x"));
    assert_eq!(
        h.send(elsewhere).await.status,
        StatusCode::FORBIDDEN,
        "multipart elsewhere"
    );

    let good = "code,name,type,category,region,parent_code\nB82001,Hill Street Practice,gp_practice,4,London,QAA\n";
    let (ct, body) = multipart(Some(&csrf), good);
    let r = h.send(post(&admin, ct, body)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("Added: 1. Changed: 0. Unchanged: 0."),
        "{}",
        r.text()
    );

    // The lead's export holds their organisation and what is beneath it, in the import format.
    let csv = h
        .page(Method::GET, "/organisations/export.csv", &lead, None)
        .await
        .text();
    assert_eq!(
        csv.lines().next(),
        Some("code,name,type,category,region,parent_code")
    );
    assert!(csv.contains("B82001,Hill Street Practice,gp_practice,4,London,QAA"));
    assert_eq!(csv.lines().count(), 3);
    // Not what lies outside: a trust the admin's export holds and the lead's does not.
    h.org("RX1", "acute_trust", "").await;
    for (session, holds) in [(&lead, false), (&admin, true)] {
        let csv = h
            .page(Method::GET, "/organisations/export.csv", session, None)
            .await
            .text();
        assert_eq!(csv.contains("\nRX1,"), holds, "{csv}");
    }

    // A register file larger than an ordinary form (over 1 MiB) imports through the page too.
    let mut big = String::from("code,name,type,category,region,parent_code\n");
    for i in 0..20_000 {
        big.push_str(&format!(
            "F{i:05},Pharmacy number {i} on the High Street,pharmacy,3,London,\n"
        ));
    }
    assert!(big.len() > 1024 * 1024);
    let (ct, body) = multipart(Some(&csrf), &big);
    let r = h.send(post(&admin, ct, body)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        &r.text()[..r.text().len().min(400)]
    );
    assert!(r.text().contains("Added: 20000."), "{}", r.text());

    // A form sent after the session ended saves nothing and says so.
    h.clock.advance(time::Duration::hours(13));
    let (ct, body) = multipart(Some(&csrf), good);
    assert_eq!(
        h.send(post(&admin, ct, body)).await.status,
        StatusCode::UNAUTHORIZED
    );
    h.db.cleanup().await;
}

#[test]
fn openapi_document_is_stable() {
    let doc = palisade_web::openapi();
    insta::assert_json_snapshot!("openapi", doc);
}

const TEN_STANDARD: &str = include_str!("../../../frameworks/dspt-ten-standard-2026.yaml");
const CAF: &str = include_str!("../../../frameworks/dspt-caf-2026.yaml");

impl H {
    async fn raw(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        content_type: &str,
        body: impl AsRef<[u8]>,
    ) -> Resp {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.as_ref().to_vec()))
            .unwrap();
        self.send(req).await
    }
}

/// Every yes/no-like answer a body needs to reach its CAF profile: no Not-achieved indicator,
/// every other indicator true.
fn caf_answers(framework: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for o in framework["objectives"].as_array().unwrap() {
        for p in o["principles"].as_array().unwrap() {
            for oc in p["outcomes"].as_array().unwrap() {
                for g in oc["igps"].as_array().unwrap() {
                    out.push(json!({"ref": g["ref"], "value": g["level"] != "not_achieved"}));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn assessment_cycle_through_the_api_with_tenant_checks() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let (admin, analyst, lead, member, auditor, foreign) = (
            &w.admin.1,
            &w.analyst.1,
            &w.lead.1,
            &w.member.1,
            &w.auditor.1,
            &w.foreign.1,
        );

        // Frameworks: only national admins import; importing the same file twice changes nothing.
        let r = h
            .raw(
                Method::POST,
                "/api/v1/frameworks",
                lead,
                "application/yaml",
                TEN_STANDARD,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .raw(
                Method::POST,
                "/api/v1/frameworks",
                admin,
                "application/yaml",
                TEN_STANDARD,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let ten_id = r.json()["framework"]["id"].as_i64().unwrap();
        let r = h
            .raw(
                Method::POST,
                "/api/v1/frameworks",
                admin,
                "application/yaml",
                TEN_STANDARD,
            )
            .await;
        assert_eq!(
            (r.status, r.json()["created"].clone()),
            (StatusCode::OK, json!(false))
        );
        let r = h
            .raw(
                Method::POST,
                "/api/v1/frameworks",
                admin,
                "application/yaml",
                CAF,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let caf_id = r.json()["framework"]["id"].as_i64().unwrap();
        let broken = TEN_STANDARD.replacen("ref: \"1.1.1\"", "ref: \"2.1.1\"", 1);
        let r = h
            .raw(
                Method::POST,
                "/api/v1/frameworks",
                admin,
                "application/yaml",
                &broken,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("is not under assertion"), "{}", r.text());

        let list = h
            .api(Method::GET, "/api/v1/frameworks", Some(member), None)
            .await
            .json();
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        let ten = h
            .api(
                Method::GET,
                &format!("/api/v1/frameworks/{ten_id}"),
                Some(member),
                None,
            )
            .await
            .json();
        let first = &ten["standards"][0]["assertions"][0]["items"][0];
        assert_eq!(first["ref"], "1.1.1");
        assert!(first["answer_type"].is_string() && first["mandatory_for"].is_array());
        assert!(first["approaching_for"].is_array());
        assert_eq!(ten["deadline"], "2027-06-30");
        let caf = h
            .api(
                Method::GET,
                &format!("/api/v1/frameworks/{caf_id}"),
                Some(member),
                None,
            )
            .await
            .json();
        let outcome = &caf["objectives"][0]["principles"][0]["outcomes"][0];
        assert_eq!(outcome["ref"], "A1.a");
        assert!(outcome["targets"]["1"].is_string() && outcome["igps"][0]["level"].is_string());

        // Who may read, answer and submit: admin, analyst, lead, member, auditor (of QAA), foreign.
        let tokens = w.tokens();
        let gp = "/api/v1/organisations/A81001/assessments/2026";
        let one = json!({"answers": [{"ref": "1.1.2", "value": true}]});
        for (method, uri, body, expected) in [
            (
                Method::GET,
                gp.to_string(),
                None,
                [200, 200, 200, 200, 200, 404],
            ),
            (
                Method::GET,
                "/api/v1/organisations/RX1/assessments/2026".into(),
                None,
                [200, 200, 404, 404, 404, 200],
            ),
            (
                Method::PUT,
                format!("{gp}/answers"),
                Some(one.clone()),
                [403, 403, 200, 200, 403, 404],
            ),
            (
                Method::POST,
                format!("{gp}/reopen"),
                None,
                [403, 403, 409, 403, 403, 404],
            ),
            (
                Method::GET,
                "/api/v1/reports/national?year=2026".into(),
                None,
                [200, 200, 403, 403, 403, 403],
            ),
        ] {
            for (i, (who, token)) in tokens.iter().enumerate() {
                let r = h.api(method.clone(), &uri, Some(token), body.clone()).await;
                assert_eq!(
                    r.status.as_u16(),
                    expected[i],
                    "{method} {uri} as {who}: {}",
                    r.text()
                );
            }
        }
        let gp_view = h.api(Method::GET, gp, Some(member), None).await.json();
        assert_eq!(gp_view["status"], "not_published");
        assert_eq!(gp_view["framework_id"], ten_id);
        assert_eq!(gp_view["answers"][0]["ref"], "1.1.2");
        assert_eq!(gp_view["answers"][0]["value"], true);
        let version = gp_view["answers"][0]["version"].as_i64().unwrap();
        assert!(
            gp_view["progress"]["needed_for_met"]
                .as_array()
                .unwrap()
                .len()
                > 10
        );
        assert_eq!(gp_view["days_left"], 745);

        // Bad answers are refused, naming the item, and change nothing.
        let not_for_gp = ten["standards"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["assertions"].as_array().unwrap())
            .flat_map(|a| a["items"].as_array().unwrap())
            .find(|i| {
                let has = |k: &str| i[k].as_array().unwrap().iter().any(|t| t == "gp_practice");
                !has("mandatory_for") && !has("optional_for")
            })
            .expect("some item does not apply to GP practices")["ref"]
            .as_str()
            .unwrap()
            .to_string();
        for (body, field) in [
            (
                json!({"answers": [{"ref": "99.9.9", "value": true}]}),
                "answers.99.9.9",
            ),
            (
                json!({"answers": [{"ref": "1.1.2", "value": "perhaps"}]}),
                "answers.1.1.2",
            ),
            (
                json!({"answers": [{"ref": &not_for_gp, "value": true}]}),
                &*format!("answers.{not_for_gp}"),
            ),
            (json!({"answers": []}), "answers"),
        ] {
            let r = h
                .api(
                    Method::PUT,
                    &format!("{gp}/answers"),
                    Some(member),
                    Some(body),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
            assert_eq!(r.json()["error"]["field"], field, "{}", r.text());
        }
        // Two people at once: a write against a stale version is refused, a fresh one lands.
        let r = h
            .api(Method::PUT, &format!("{gp}/answers"), Some(lead), Some(json!({"answers": [{"ref": "1.1.2", "value": false, "expected_version": version}]})))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["changed"], json!(["1.1.2"]));
        let r = h
            .api(Method::PUT, &format!("{gp}/answers"), Some(member), Some(json!({"answers": [{"ref": "1.1.2", "value": true, "expected_version": version}]})))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert_eq!(r.json()["error"]["field"], "answers.1.1.2");

        // Certificates: the kind must be one of the framework's.
        let r = h
            .api(Method::PUT, &format!("{gp}/certificates"), Some(member), Some(json!({"certificates": [{"kind": "gold_star", "reference": "X", "expires_on": "2027-01-01"}]})))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()["error"]["field"], "certificates[0].kind");
        let r = h
            .api(Method::PUT, &format!("{gp}/certificates"), Some(member), Some(json!({"certificates": [{"kind": "cyber_essentials_plus", "reference": "CEP-123", "expires_on": "2027-01-01"}]})))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["certificates"][0]["valid"], true);

        // Submission is the lead's; it publishes the status and locks the answers.
        let r = h
            .api(Method::POST, &format!("{gp}/submit"), Some(member), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["status"], "standards_not_met");
        assert_eq!(r.json()["submitted"], true);
        let r = h
            .api(
                Method::PUT,
                &format!("{gp}/answers"),
                Some(member),
                Some(one.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = h
            .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "already submitted");
        let r = h
            .api(Method::POST, &format!("{gp}/reopen"), Some(lead), None)
            .await;
        assert_eq!(
            (r.status, r.json()["submitted"].clone()),
            (StatusCode::OK, json!(false))
        );
        assert_eq!(
            r.json()["status"],
            "standards_not_met",
            "the published status stands"
        );

        // A CAF body that reaches its profile and holds Cyber Essentials Plus exceeds the standard.
        let rx1 = "/api/v1/organisations/RX1/assessments/2026";
        let r = h
            .api(
                Method::PUT,
                &format!("{rx1}/answers"),
                Some(foreign),
                Some(json!({"answers": caf_answers(&caf)})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["progress"]["met"], true);
        let r = h
            .api(Method::POST, &format!("{rx1}/submit"), Some(foreign), None)
            .await;
        assert_eq!(r.json()["status"], "standards_met");
        h.api(Method::POST, &format!("{rx1}/reopen"), Some(foreign), None)
            .await;
        h.api(Method::PUT, &format!("{rx1}/certificates"), Some(foreign), Some(json!({"certificates": [{"kind": "cyber_essentials_plus", "reference": "CEP-9", "expires_on": "2026-12-31"}]}))).await;
        let r = h
            .api(Method::POST, &format!("{rx1}/submit"), Some(foreign), None)
            .await;
        assert_eq!(r.json()["status"], "standards_exceeded", "{}", r.text());
        let pubs = r.json()["publications"].clone();
        assert_eq!(
            pubs.as_array().unwrap().len(),
            2,
            "each publication is kept"
        );
        assert_eq!(pubs[1]["status"], "standards_met");

        // The public register: no sign-in, and nothing but code, name, type, status and date.
        let r = h
            .api(
                Method::GET,
                "/api/v1/public/organisations?year=2026&q=rx",
                None,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let item = &r.json()["items"][0];
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, ["code", "name", "published_at", "status", "type"]);
        assert_eq!(item["status"], "standards_exceeded");
        let csv = h
            .api(
                Method::GET,
                "/api/v1/public/organisations.csv?year=2026",
                None,
                None,
            )
            .await
            .text();
        assert!(
            csv.starts_with("code,name,type,status,published_at\n"),
            "{csv}"
        );
        assert_eq!(csv.lines().count(), 4);
        assert!(!csv.contains("CEP-"), "no certificate detail in public");

        // National figures.
        let rep = h
            .api(
                Method::GET,
                "/api/v1/reports/national?year=2026",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(rep["overall"]["total"], 3);
        assert_eq!(rep["overall"]["met_or_exceeded"], 1);
        assert_eq!(rep["nhs_trusts"]["met_or_exceeded_percent"], 100.0);
        assert_eq!(rep["overall"]["statuses"]["standards_not_met"], 1);
        assert_eq!(rep["overall"]["published"], 2);
        let csv = h
            .api(
                Method::GET,
                "/api/v1/reports/national?year=2026&format=csv",
                Some(analyst),
                None,
            )
            .await;
        assert!(csv.text().starts_with("dimension,key,label,total,"));
        let scoped = h
            .api(
                Method::GET,
                "/api/v1/assessments?year=2026",
                Some(lead),
                None,
            )
            .await
            .json();
        assert_eq!(
            scoped["meta"]["total"], 2,
            "the lead sees QAA and its practice only"
        );
        let r = h
            .api(
                Method::GET,
                "/api/v1/assessments?year=2026&status=standards_exceeded",
                Some(auditor),
                None,
            )
            .await;
        assert_eq!(
            r.json()["meta"]["total"],
            0,
            "an auditor of QAA sees no foreign statuses"
        );
        let r = h
            .api(
                Method::GET,
                "/api/v1/assessments?year=2026&status=great",
                Some(analyst),
                None,
            )
            .await;
        assert_eq!(r.json()["error"]["field"], "status");

        // Every step is in the audit log.
        let audit = h
            .api(Method::GET, "/api/v1/audit?per_page=200", Some(admin), None)
            .await
            .json();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in [
            "framework.import",
            "assessment.answers",
            "assessment.certificates",
            "assessment.submit",
            "assessment.reopen",
            "assessment.republish",
        ] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
        h.db.cleanup().await;
    }
}

/// The deadline is inclusive: on the day, a lead may still reopen and republish; the day after,
/// the published status stands, and a first submission is accepted but marked late. Also the
/// limits of one bulk call and years with no framework.
#[tokio::test]
async fn assessment_deadline_edges_and_request_limits() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let (admin, analyst, lead, member, foreign) = (
            &w.admin.1,
            &w.analyst.1,
            &w.lead.1,
            &w.member.1,
            &w.foreign.1,
        );
        for (token, status) in [
            (analyst, StatusCode::FORBIDDEN),
            (admin, StatusCode::CREATED),
        ] {
            let r = h
                .raw(
                    Method::POST,
                    "/api/v1/frameworks",
                    token,
                    "application/yaml",
                    TEN_STANDARD,
                )
                .await;
            assert_eq!(r.status, status, "{}", r.text());
        }
        h.raw(
            Method::POST,
            "/api/v1/frameworks",
            admin,
            "application/yaml",
            CAF,
        )
        .await;

        // Years: none published for 2030; outside the accepted range at all.
        for year in [2030, 1999] {
            let r = h
                .api(
                    Method::GET,
                    &format!("/api/v1/organisations/A81001/assessments/{year}"),
                    Some(member),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
            assert_eq!(r.json()["error"]["field"], "year");
        }
        let gp = "/api/v1/organisations/A81001/assessments/2026";
        let twice =
            json!({"answers": [{"ref": "1.1.2", "value": true}, {"ref": "1.1.2", "value": false}]});
        let r = h
            .api(
                Method::PUT,
                &format!("{gp}/answers"),
                Some(member),
                Some(twice),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("answered twice"), "{}", r.text());
        let too_many: Vec<Value> = (0..1001)
            .map(|i| json!({"ref": format!("x.{i}"), "value": true}))
            .collect();
        let r = h
            .api(
                Method::PUT,
                &format!("{gp}/answers"),
                Some(member),
                Some(json!({"answers": too_many})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("at most 1000"), "{}", r.text());
        let gp_view = h.api(Method::GET, gp, Some(member), None).await.json();
        assert!(
            gp_view["answers"].as_array().unwrap().is_empty(),
            "refused calls wrote nothing"
        );

        h.api(
            Method::PUT,
            &format!("{gp}/answers"),
            Some(member),
            Some(json!({"answers": [{"ref": "1.1.2", "value": true}]})),
        )
        .await;
        let r = h
            .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);

        // 30 June 2027, the deadline itself: reopening and republishing still work, on time.
        h.clock.advance(time::Duration::days(745));
        let r = h.api(Method::GET, gp, Some(member), None).await;
        assert_eq!(r.json()["days_left"], 0);
        let r = h
            .api(Method::POST, &format!("{gp}/reopen"), Some(lead), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = h
            .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["publications"][0]["late"], false);
        let r = h
            .api(Method::POST, &format!("{gp}/reopen"), Some(lead), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);

        // 1 July 2027: the republication is refused and the published status stands.
        h.clock.advance(time::Duration::days(1));
        let r = h
            .api(Method::POST, &format!("{gp}/submit"), Some(lead), None)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(
            r.text().contains("deadline (2027-06-30) has passed"),
            "{}",
            r.text()
        );
        let view = h.api(Method::GET, gp, Some(member), None).await.json();
        assert_eq!(view["status"], "standards_not_met");
        assert_eq!(view["days_left"], -1);
        // A first submission after the deadline is accepted and marked late; it cannot reopen.
        let rx1 = "/api/v1/organisations/RX1/assessments/2026";
        h.api(
            Method::PUT,
            &format!("{rx1}/answers"),
            Some(foreign),
            Some(json!({"answers": [{"ref": "A1.a.1", "value": false}]})),
        )
        .await;
        let r = h
            .api(Method::POST, &format!("{rx1}/submit"), Some(foreign), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["publications"][0]["late"], true);
        let r = h
            .api(Method::POST, &format!("{rx1}/reopen"), Some(foreign), None)
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(
            r.text().contains("can no longer be reopened"),
            "{}",
            r.text()
        );
        let rep = h
            .api(
                Method::GET,
                "/api/v1/reports/national?year=2026",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(
            (
                rep["overall"]["published"].clone(),
                rep["overall"]["published_late"].clone()
            ),
            (json!(2), json!(1))
        );
        assert_eq!(rep["days_to_deadline"], -1);
        h.db.cleanup().await;
    }
}

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

#[tokio::test]
async fn assessment_pages_answer_submit_and_publish() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let r = h
            .raw(
                Method::POST,
                "/api/v1/frameworks",
                &w.admin.1,
                "application/yaml",
                TEN_STANDARD,
            )
            .await;
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
        let links: Vec<&str> = text
            .split("href=\"")
            .skip(1)
            .filter_map(|l| l.split('"').next())
            .filter(|l| l.contains("gp_practice"))
            .collect();
        assert!(
            links.contains(
                &"/assessments?year=2026&#38;type=gp_practice&#38;status=standards_not_met"
            ),
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
        h.db.cleanup().await;
    }
}

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// A multipart evidence upload: the form token (pages only), the item, then the file.
fn evidence_form(
    csrf: Option<&str>,
    reference: &str,
    filename: &str,
    bytes: &[u8],
) -> (String, Vec<u8>) {
    let b = "evidenceboundary";
    let mut body = Vec::new();
    if let Some(t) = csrf {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n")
                .bytes(),
        );
    }
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"ref\"\r\n\r\n{reference}\r\n")
            .bytes(),
    );
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{b}--\r\n").bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test]
async fn evidence_documents_are_checked_stored_audited_and_kept_to_their_organisation() {
    for db in TestDb::all().await {
        evidence_scenario(H::new(db).await).await;
    }
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
    let s3 = palisade_app::evidence::S3Settings {
        bucket,
        endpoint: Some(endpoint),
        region: Some("us-east-1".into()),
    };
    let objects = palisade_app::evidence::Objects::s3(&s3, TEST_EVIDENCE_LIMIT).unwrap();
    let db = TestDb::sqlite().await.unwrap();
    evidence_scenario(
        H::with_objects(db, objects, std::env::temp_dir().join("palisade-none")).await,
    )
    .await;
}

async fn evidence_scenario(h: H) {
    {
        let w = world(&h).await;
        let (admin, member, lead, auditor, foreign) = (
            &w.admin.1,
            &w.member.1,
            &w.lead.1,
            &w.auditor.1,
            &w.foreign.1,
        );
        let r = h
            .raw(
                Method::POST,
                "/api/v1/frameworks",
                admin,
                "application/yaml",
                TEN_STANDARD,
            )
            .await;
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
            let (ct, body) =
                evidence_form(csrf, &doc, "plan.csv", b"action,owner\nreview,IG lead\n");
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
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn improvement_plans_are_signed_off_reviewed_and_agree_the_status() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let (admin, analyst, lead, member, foreign) = (
            &w.admin.1,
            &w.analyst.1,
            &w.lead.1,
            &w.member.1,
            &w.foreign.1,
        );
        h.raw(
            Method::POST,
            "/api/v1/frameworks",
            admin,
            "application/yaml",
            TEN_STANDARD,
        )
        .await;
        let base = "/api/v1/organisations/A81001/assessments/2026";
        let plan_url = format!("{base}/plan");
        // Nothing answered: the lead submits and Standards Not Met is published.
        let one = json!({"answers": [{"ref": "1.1.2", "value": false}]});
        h.api(
            Method::PUT,
            &format!("{base}/answers"),
            Some(member),
            Some(one),
        )
        .await;
        let r = h
            .api(Method::POST, &format!("{base}/submit"), Some(lead), None)
            .await;
        assert_eq!(r.json()["status"], "standards_not_met");

        let p = h.api(Method::GET, &plan_url, Some(member), None).await;
        assert_eq!(p.status, StatusCode::OK);
        let p = p.json();
        assert_eq!(
            (
                p["state"].as_str(),
                p["revision"].as_i64(),
                p["covers"].as_bool()
            ),
            (Some("draft"), Some(0), Some(false))
        );
        let needed: Vec<String> = p["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["ref"].as_str().unwrap().to_string())
            .collect();
        assert!(needed.len() > 10);
        assert_eq!(
            h.api(Method::GET, &plan_url, Some(foreign), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // Today is 2025-06-15: actions fall due within six months, by 2025-12-15.
        let actions = |due: &str| -> Vec<Value> {
            needed.iter().map(|r| json!({"ref": r, "action": format!("Put {r} in place"), "owner": "IG lead", "target_date": due})).collect()
        };
        let body = |rev: i64, actions: Vec<Value>| {
            Some(json!({"expected_revision": rev, "actions": actions}))
        };
        let r = h
            .api(
                Method::PUT,
                &plan_url,
                Some(member),
                body(0, actions("2025-12-16")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("must be within 6 months, by 2025-12-15"),
            "{}",
            r.text()
        );
        let stray = vec![
            json!({"ref": "99.9.9", "action": "x", "owner": "y", "target_date": "2025-07-01"}),
        ];
        let r = h
            .api(Method::PUT, &plan_url, Some(member), body(0, stray))
            .await;
        assert!(r.text().contains("actions.99.9.9"), "{}", r.text());
        let r = h
            .api(
                Method::PUT,
                &plan_url,
                Some(w.auditor.1.as_str()),
                body(0, actions("2025-09-30")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .api(
                Method::PUT,
                &plan_url,
                Some(member),
                body(0, actions("2025-09-30")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            (r.json()["revision"].as_i64(), r.json()["covers"].as_bool()),
            (Some(1), Some(true))
        );
        let r = h
            .api(
                Method::PUT,
                &plan_url,
                Some(lead),
                body(0, actions("2025-10-31")),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "a stale revision is refused"
        );

        // The lead records the SIRO's sign-off; a signed-off plan no longer changes.
        let sign = format!("{plan_url}/sign-off");
        let r = h
            .api(
                Method::POST,
                &sign,
                Some(member),
                Some(json!({"expected_revision": 1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .api(
                Method::POST,
                &sign,
                Some(lead),
                Some(json!({"expected_revision": 1})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            (r.json()["state"].as_str(), r.json()["siro_name"].as_str()),
            (Some("signed_off"), Some("Sam Patel"))
        );
        let r = h
            .api(
                Method::PUT,
                &plan_url,
                Some(member),
                body(2, actions("2025-09-30")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);

        // The national team returns it (saying why), the organisation revises, signs off again,
        // and approval turns Standards Not Met into Plan Agreed.
        let review = format!("{plan_url}/review");
        let r = h
            .api(
                Method::POST,
                &review,
                Some(analyst),
                Some(json!({"expected_revision": 2, "decision": "approve"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h
            .api(
                Method::POST,
                &review,
                Some(admin),
                Some(json!({"expected_revision": 2, "decision": "return"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = h
            .api(
                Method::POST,
                &review,
                Some(admin),
                Some(json!({"expected_revision": 2, "decision": "maybe", "note": "x"})),
            )
            .await;
        assert!(r.text().contains("decision"), "{}", r.text());
        let r = h.api(Method::POST, &review, Some(admin), Some(json!({"expected_revision": 2, "decision": "return", "note": "Owners must be named people"}))).await;
        assert_eq!(r.json()["state"], "returned");
        let r = h
            .api(
                Method::PUT,
                &plan_url,
                Some(member),
                body(3, actions("2025-09-30")),
            )
            .await;
        assert_eq!(r.json()["state"], "draft");
        assert_eq!(
            (&r.json()["siro_name"], &r.json()["signed_off_at"]),
            (&Value::Null, &Value::Null),
            "a changed plan needs signing off again"
        );
        h.api(
            Method::POST,
            &sign,
            Some(lead),
            Some(json!({"expected_revision": 4})),
        )
        .await;
        let r = h
            .api(
                Method::POST,
                &review,
                Some(admin),
                Some(json!({"expected_revision": 5, "decision": "approve"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            (r.json()["state"].as_str(), r.json()["status"].as_str()),
            (Some("approved"), Some("plan_agreed"))
        );
        let view = h.api(Method::GET, base, Some(member), None).await.json();
        assert_eq!(view["status"], "plan_agreed");
        assert_eq!(view["publications"][0]["status"], "plan_agreed");
        assert_eq!(view["publications"].as_array().unwrap().len(), 2);
        let rep = h
            .api(
                Method::GET,
                "/api/v1/reports/national?year=2026",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(rep["overall"]["statuses"]["plan_agreed"], 1);

        // Progress, and overdue actions once their date has passed.
        let first = &needed[0];
        let r = h.api(Method::POST, &format!("{plan_url}/progress"), Some(member), Some(json!({"actions": [{"ref": first, "done": true}, {"ref": "99.9.9", "done": true}]}))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = h
            .api(
                Method::POST,
                &format!("{plan_url}/progress"),
                Some(member),
                Some(json!({"actions": [{"ref": first, "done": true}]})),
            )
            .await;
        assert_eq!(r.json()["lines"][0]["done_on"], "2025-06-15");
        let overdue = "/api/v1/plans?overdue=true&year=2026";
        assert_eq!(
            h.api(Method::GET, overdue, Some(admin), None).await.json()["meta"]["total"],
            0
        );
        // The actions are due on 2025-09-30: not overdue that day, overdue the day after, in
        // the unfiltered list's counts too.
        let all = "/api/v1/plans?year=2026";
        h.clock.advance(time::Duration::days(107)); // 2025-09-30
        assert_eq!(
            h.api(Method::GET, overdue, Some(admin), None).await.json()["meta"]["total"],
            0
        );
        assert_eq!(
            h.api(Method::GET, all, Some(admin), None).await.json()["items"][0]["overdue"],
            0
        );
        h.clock.advance(time::Duration::days(1)); // 2025-10-01
        let unfiltered = h.api(Method::GET, all, Some(admin), None).await.json();
        assert_eq!(
            unfiltered["items"][0]["overdue"].as_i64(),
            Some(needed.len() as i64 - 1)
        );
        h.clock.advance(time::Duration::days(12)); // 2025-10-13
        let list = h.api(Method::GET, overdue, Some(admin), None).await.json();
        assert_eq!(list["items"][0]["org_code"], "A81001");
        assert_eq!(
            list["items"][0]["overdue"].as_i64(),
            Some(needed.len() as i64 - 1)
        );
        assert_eq!(
            h.api(Method::GET, overdue, Some(foreign), None)
                .await
                .json()["meta"]["total"],
            0
        );
        let p = h.api(Method::GET, &plan_url, Some(lead), None).await.json();
        assert_eq!(p["overdue"].as_u64(), Some(needed.len() as u64 - 1));

        // The pages: the plan for the organisation, the list for the national team.
        let (session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
        let page = h
            .page(
                Method::GET,
                "/organisations/A81001/assessments/2026/plan",
                &session,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("Approved by the national team")
                && page.text().contains("Overdue")
        );
        let (admin_session, _) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
        let list = h
            .page(
                Method::GET,
                "/plans?year=2026&overdue=yes",
                &admin_session,
                None,
            )
            .await
            .text();
        assert!(list.contains("/organisations/A81001/assessments/2026/plan"));
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_plan_page_saves_signs_off_and_names_its_errors() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    h.raw(
        Method::POST,
        "/api/v1/frameworks",
        &w.admin.1,
        "application/yaml",
        TEN_STANDARD,
    )
    .await;
    let one = json!({"answers": [{"ref": "1.1.2", "value": false}]});
    h.api(
        Method::PUT,
        "/api/v1/organisations/A81001/assessments/2026/answers",
        Some(&w.member.1),
        Some(one),
    )
    .await;
    let (lead, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let url = "/organisations/A81001/assessments/2026/plan";
    let page = h.page(Method::GET, url, &lead, None).await.text();
    assert!(page.contains("name=\"action:1.1.2\""), "{page}");
    let r = h
        .page(Method::POST, url, &lead, Some(format!("csrf_token={csrf}&revision=0&action%3A1.1.2=Appoint+a+lead&owner%3A1.1.2=&due%3A1.1.2=2025-07-01")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("href=\"#actions.1.1.2.owner\"")
            && r.text().contains("The owner for 1.1.2 is required"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("Appoint a lead"), "what was typed stays");
    let r = h
        .page(Method::POST, url, &lead, Some(format!("csrf_token={csrf}&revision=0&action%3A1.1.2=Appoint+a+lead&owner%3A1.1.2=Practice+manager&due%3A1.1.2=2025-07-01")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    // Signing off a plan that does not cover everything Met needs is refused, saying what is missing.
    let r = h
        .page(
            Method::POST,
            &format!("{url}/sign-off"),
            &lead,
            Some(format!("csrf_token={csrf}&revision=1")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("has no action yet for"), "{}", r.text());
    h.db.cleanup().await;
}

#[tokio::test]
async fn oscal_and_xlsx_exports() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    h.raw(
        Method::POST,
        "/api/v1/frameworks",
        &w.admin.1,
        "application/yaml",
        TEN_STANDARD,
    )
    .await;
    let base = "/api/v1/organisations/A81001/assessments/2026";
    let one = json!({"answers": [{"ref": "1.1.2", "value": true}]});
    h.api(
        Method::PUT,
        &format!("{base}/answers"),
        Some(&w.member.1),
        Some(one),
    )
    .await;
    let ten = h
        .api(Method::GET, "/api/v1/frameworks", Some(&w.member.1), None)
        .await
        .json();
    let id = ten["items"][0]["id"].as_i64().unwrap();
    let tree = h
        .api(
            Method::GET,
            &format!("/api/v1/frameworks/{id}"),
            Some(&w.member.1),
            None,
        )
        .await
        .json();
    let doc = tree["standards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["assertions"].as_array().unwrap())
        .flat_map(|a| a["items"].as_array().unwrap())
        .find(|i| {
            i["answer_type"] == "document"
                && i["mandatory_for"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == "gp_practice")
        })
        .unwrap()["ref"]
        .as_str()
        .unwrap()
        .to_string();
    let (ct, body) = evidence_form(None, &doc, "policy.pdf", PDF);
    let r = h
        .send(
            Request::post(format!("{base}/evidence"))
                .header(header::AUTHORIZATION, format!("Bearer {}", w.member.1))
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let r = h
        .api(
            Method::GET,
            &format!("{base}/oscal"),
            Some(&w.auditor.1),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ar = r.json();
    let res = &ar["assessment-results"]["results"][0];
    assert_eq!(
        ar["assessment-results"]["metadata"]["oscal-version"],
        "1.1.2"
    );
    let findings = res["findings"].as_array().unwrap();
    let find = |target: &str| {
        findings
            .iter()
            .find(|f| f["target"]["target-id"] == target)
            .cloned()
    };
    let answered = find("item-1.1.2").expect("a finding per applicable item, named as a token");
    assert_eq!(answered["target"]["status"]["state"], "satisfied");
    assert_eq!(answered["remarks"], "Answer: yes");
    let evidenced = find(&format!("item-{doc}")).unwrap();
    assert_eq!(evidenced["target"]["status"]["state"], "satisfied");
    let obs = &res["observations"][0];
    assert_eq!(
        evidenced["related-observations"][0]["observation-uuid"],
        obs["uuid"]
    );
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(PDF));
    assert!(obs["props"].to_string().contains(&sha));
    let v5 = |u: &Value| {
        u.as_str()
            .is_some_and(|u| u.len() == 36 && &u[14..15] == "5")
    };
    assert!(
        v5(&ar["assessment-results"]["uuid"])
            && v5(&res["uuid"])
            && findings.iter().all(|f| v5(&f["uuid"]))
    );
    let again = h
        .api(
            Method::GET,
            &format!("{base}/oscal"),
            Some(&w.member.1),
            None,
        )
        .await
        .json();
    assert_eq!(again, ar, "the same assessment exports the same document");
    assert_eq!(
        h.api(
            Method::GET,
            &format!("{base}/oscal"),
            Some(&w.foreign.1),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let r = h
        .send(
            Request::get("/api/v1/public/organisations.xlsx?year=2026")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        r.body.starts_with(b"PK\x03\x04"),
        "an xlsx file is a zip container"
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn independent_audit_is_recorded_by_the_auditor_and_read_once_issued() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let (admin, lead, member, auditor, foreign) = (
            &w.admin.1,
            &w.lead.1,
            &w.member.1,
            &w.auditor.1,
            &w.foreign.1,
        );
        h.raw(
            Method::POST,
            "/api/v1/frameworks",
            admin,
            "application/yaml",
            CAF,
        )
        .await;
        h.raw(
            Method::POST,
            "/api/v1/frameworks",
            admin,
            "application/yaml",
            TEN_STANDARD,
        )
        .await;
        let base = "/api/v1/organisations/QAA/assessments/2026";
        let url = format!("{base}/independent-audit");
        let report = |rev: i64, findings: Value, issue: bool| {
            json!({"expected_revision": rev, "rating": "Limited assurance", "veracity": "partly_supported",
                   "summary": if issue { "Board oversight is not evidenced." } else { "" },
                   "findings": findings, "issue": issue})
        };
        let findings = json!([
            {"ref": "A1.a", "judgement": "agree"},
            {"ref": "A1.b", "judgement": "disagree", "comment": "No named security lead in the minutes"}
        ]);

        let before = h.api(Method::GET, &url, Some(auditor), None).await.json();
        assert_eq!(
            (before["required"].as_bool(), before["state"].is_null()),
            (Some(true), true)
        );
        let r = put_json(&h, &url, auditor, report(0, findings.clone(), false)).await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "not before submission: {}",
            r.text()
        );
        let one = json!({"answers": [{"ref": "A1.a.6", "value": true}]});
        h.api(
            Method::PUT,
            &format!("{base}/answers"),
            Some(member),
            Some(one),
        )
        .await;
        assert_eq!(
            h.api(Method::POST, &format!("{base}/submit"), Some(lead), None)
                .await
                .status,
            StatusCode::OK
        );
        // A reopened assessment is being changed: it is audited again once resubmitted.
        for (step, status) in [("reopen", 200), ("", 409), ("submit", 200)] {
            let r = if step.is_empty() {
                put_json(&h, &url, auditor, report(0, findings.clone(), false)).await
            } else {
                h.api(Method::POST, &format!("{base}/{step}"), Some(lead), None)
                    .await
            };
            assert_eq!(r.status.as_u16(), status, "{step}: {}", r.text());
        }

        let analyst = &w.analyst.1;
        for (token, status) in [
            (lead, 403),
            (member, 403),
            (admin, 403),
            (analyst, 403),
            (foreign, 404),
        ] {
            assert_eq!(
                put_json(&h, &url, token, report(0, findings.clone(), false))
                    .await
                    .status
                    .as_u16(),
                status
            );
        }
        let bad = json!([{"ref": "A1.b", "judgement": "disagree"}, {"ref": "Z9.z", "judgement": "agree"}]);
        let mut body = report(0, bad, false);
        body["rating"] = json!("Gold");
        let r = put_json(&h, &url, auditor, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = r.text();
        assert!(
            text.contains("findings.A1.b.comment")
                && text.contains("findings.Z9.z")
                && text.contains("not on this framework's scale"),
            "{text}"
        );

        let r = put_json(&h, &url, auditor, report(0, findings.clone(), false)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            (r.json()["state"].as_str(), r.json()["revision"].as_i64()),
            (Some("draft"), Some(1))
        );
        let seen = h.api(Method::GET, &url, Some(lead), None).await.json();
        assert!(
            seen["state"].is_null() && seen["lines"][1]["agrees"].is_null(),
            "a draft is the auditor's alone"
        );
        let r = put_json(
            &h,
            &url,
            auditor,
            json!({"expected_revision": 1, "findings": findings, "issue": true}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("rating")
                && r.text().contains("veracity")
                && r.text().contains("summary")
        );
        let r = put_json(&h, &url, auditor, report(1, findings.clone(), true)).await;
        assert_eq!(r.json()["state"], "issued");
        let seen = h.api(Method::GET, &url, Some(lead), None).await.json();
        assert_eq!(
            (
                seen["state"].as_str(),
                seen["rating"].as_str(),
                seen["veracity"].as_str()
            ),
            (
                Some("issued"),
                Some("Limited assurance"),
                Some("partly_supported")
            )
        );
        let b = seen["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["ref"] == "A1.b")
            .unwrap()
            .clone();
        assert_eq!(
            (b["agrees"].as_bool(), b["comment"].as_str()),
            (Some(false), Some("No named security lead in the minutes"))
        );
        assert_eq!(
            put_json(&h, &url, auditor, report(2, findings.clone(), false))
                .await
                .status,
            StatusCode::CONFLICT
        );
        assert_eq!(
            h.api(Method::GET, &url, Some(foreign), None).await.status,
            StatusCode::NOT_FOUND
        );
        let log = h
            .api(
                Method::GET,
                "/api/v1/audit?action=independent_audit.issue",
                Some(admin),
                None,
            )
            .await
            .json();
        assert_eq!(log["meta"]["total"], 1);

        // A GP practice (category 4) beneath the ICB is not independently audited.
        let gp = "/api/v1/organisations/A81001/assessments/2026/independent-audit";
        assert_eq!(
            h.api(Method::GET, gp, Some(auditor), None).await.json()["required"],
            false
        );
        let r = h
            .api(
                Method::PUT,
                gp,
                Some(auditor),
                Some(report(0, json!([]), false)),
            )
            .await;
        assert!(
            r.status == StatusCode::CONFLICT && r.text().contains("category 4"),
            "{}",
            r.text()
        );

        // The pages: the issued report for the organisation.
        let (session, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
        let page = h
            .page(
                Method::GET,
                "/organisations/QAA/assessments/2026/independent-audit",
                &session,
                None,
            )
            .await
            .text();
        assert!(
            page.contains("Limited assurance") && page.contains("No named security lead"),
            "{page}"
        );
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_auditor_works_through_the_audit_page() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    h.raw(
        Method::POST,
        "/api/v1/frameworks",
        &w.admin.1,
        "application/yaml",
        CAF,
    )
    .await;
    let base = "/api/v1/organisations/QAA/assessments/2026";
    let one = json!({"answers": [{"ref": "A1.a.6", "value": true}]});
    h.api(
        Method::PUT,
        &format!("{base}/answers"),
        Some(&w.member.1),
        Some(one),
    )
    .await;
    h.api(
        Method::POST,
        &format!("{base}/submit"),
        Some(&w.lead.1),
        None,
    )
    .await;
    let (session, csrf) = h.sign_in("auditor@x.nhs.uk", PASSWORD).await.unwrap();
    let url = "/organisations/QAA/assessments/2026/independent-audit";
    let page = h.page(Method::GET, url, &session, None).await.text();
    assert!(page.contains("name=\"j:A1.a\"") && page.contains("Issue the report"));
    let form = |extra: &str| {
        format!(
            "csrf_token={csrf}&revision=0&j%3AA1.b=disagree&c%3AA1.b=&c%3AA1.a=&rating=&veracity=&summary=&issue=0{extra}"
        )
    };
    let r = h.page(Method::POST, url, &session, Some(form(""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("href=\"#findings.A1.b.comment\""),
        "{}",
        r.text()
    );
    let ok = format!(
        "csrf_token={csrf}&revision=0&j%3AA1.b=disagree&c%3AA1.b=Not+evidenced&c%3AA1.a=&rating=Moderate+assurance&veracity=supported&summary=Sound&issue=1"
    );
    let r = h.page(Method::POST, url, &session, Some(ok)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = h.page(Method::GET, url, &session, None).await.text();
    assert!(
        page.contains("Moderate assurance")
            && page.contains("Not evidenced")
            && !page.contains("Issue the report")
    );
    h.db.cleanup().await;
}

async fn put_json(h: &H, url: &str, token: &str, body: Value) -> Resp {
    h.api(Method::PUT, url, Some(token), Some(body)).await
}

fn high_alert(publish: bool) -> Value {
    json!({
        "title": "Critical SMB vulnerability exploited",
        "severity": "high",
        "type": "vulnerability",
        "summary": "Apply the March security update now.",
        "body": "A worm spreads through SMBv1.\nPatch every Windows host.",
        "cves": ["CVE-2017-0144"],
        "products": [
            {"name": "Microsoft Windows 7", "cpe": "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"},
            {"name": "Log4j core", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core", "vers": "vers:maven/>=2.0.0|<2.15.0"}
        ],
        "exploited": true,
        "remediation": "Install MS17-010; disable SMBv1.",
        "audience": {"org_types": ["gp_practice", "acute_trust"]},
        "response_required": true,
        "publish": publish
    })
}

async fn step(h: &H, token: &str, alert: &str, org: &str, step: &str, body: Value) -> Resp {
    let url = format!("/api/v1/alerts/{alert}/responses/{org}/{step}");
    h.api(Method::POST, &url, Some(token), Some(body)).await
}

#[tokio::test]
async fn alerts_publish_respond_in_order_and_stay_within_their_organisations() {
    use palisade_domain::clock::Clock;
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let alert_contact = ContactInput {
            name: "Cyber Desk".into(),
            role: "alert_contact".into(),
            email: "cyber@a81001.nhs.uk".into(),
            mobile: "07700 900555".into(),
            ..Default::default()
        };
        h.app
            .create_contact(&Actor::cli(), "A81001", &alert_contact)
            .await
            .unwrap();
        let (admin, analyst, lead, foreign) = (&w.admin.1, &w.analyst.1, &w.lead.1, &w.foreign.1);
        let published_at = h.clock.now().unix_timestamp();

        // Only the national admin publishes; bad identifiers are named and change nothing.
        for (who, token) in [("analyst", analyst), ("lead", lead)] {
            let r = h
                .api(
                    Method::POST,
                    "/api/v1/alerts",
                    Some(token),
                    Some(high_alert(true)),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        }
        for (field, patch) in [
            ("cves[0]", json!({"cves": ["CVE-17-1"]})),
            (
                "products[0].cpe",
                json!({"products": [{"name": "W", "cpe": "cpe:2.3:o:microsoft"}]}),
            ),
            (
                "products[0].purl",
                json!({"products": [{"name": "W", "purl": "log4j@2"}]}),
            ),
            (
                "products[0].vers",
                json!({"products": [{"name": "W", "purl": "pkg:npm/x", "vers": "vers:npm/>>1"}]}),
            ),
            ("codes", json!({"audience": {"codes": ["ZZZ99"]}})),
        ] {
            let mut body = high_alert(true);
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let r = h
                .api(Method::POST, "/api/v1/alerts", Some(admin), Some(body))
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}: {}",
                r.text()
            );
            assert!(r.text().contains(field), "{field}: {}", r.text());
        }
        let none = h
            .api(Method::GET, "/api/v1/alerts", Some(admin), None)
            .await;
        assert_eq!(none.json()["meta"]["total"], 0);

        let r = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(admin),
                Some(high_alert(true)),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let a = r.json();
        assert_eq!(a["id"], "CC-1000");
        assert_eq!(a["state"], "published");
        assert_eq!(a["responses"], 2, "the practice and the trust, not the ICB");
        assert_eq!(a["products"][1]["vers"], "vers:maven/>=2.0.0|<2.15.0");

        // Each side sees the responses it may: the national team all, a lead its own.
        let all = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/responses",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(all["meta"]["total"], 2);
        for item in all["items"].as_array().unwrap() {
            assert_eq!(item["status"], "awaiting_acknowledgement");
            assert_eq!(item["late"], false);
            assert_eq!(
                item["due_at"],
                palisade_domain::clock::rfc3339(from_unix(published_at + 48 * 3600))
            );
        }
        let mine = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/responses",
                Some(lead),
                None,
            )
            .await
            .json();
        let codes: Vec<&str> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["org_code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["A81001"]);
        let theirs = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/responses",
                Some(foreign),
                None,
            )
            .await
            .json();
        assert_eq!(theirs["items"][0]["org_code"], "RX1");
        assert_eq!(theirs["meta"]["total"], 1);
        let listed = h
            .api(Method::GET, "/api/v1/alerts", Some(lead), None)
            .await
            .json();
        assert_eq!(listed["items"][0]["response"]["org_code"], "A81001");
        for (token, code, status) in [
            (foreign, "A81001", 404),
            (lead, "RX1", 404),
            (&w.auditor.1, "A81001", 403),
        ] {
            let r = h
                .api(
                    Method::GET,
                    &format!("/api/v1/alerts/CC-1000/responses/{code}"),
                    Some(token),
                    None,
                )
                .await;
            assert_eq!(r.status.as_u16(), status, "{code}");
        }

        // Steps out of order are refused and change nothing.
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "close",
            json!({"closure": "remediated"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
        assert!(r.text().contains("acknowledge the alert first"));
        let r = step(&h, foreign, "CC-1000", "A81001", "acknowledge", json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = step(&h, lead, "CC-1000", "QAA", "acknowledge", json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("not in scope"), "{}", r.text());
        let r = step(&h, admin, "CC-1000", "A81001", "acknowledge", json!({})).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the national team does not respond for an organisation"
        );

        // The loop, in order.
        h.clock.advance(time::Duration::hours(1));
        let now = h.clock.now().unix_timestamp();
        let r = h
            .send(
                Request::post("/api/v1/alerts/CC-1000/responses/A81001/acknowledge")
                    .header(header::AUTHORIZATION, format!("Bearer {lead}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["status"], "in_progress");
        assert_eq!(
            r.json()["due_at"],
            palisade_domain::clock::rfc3339(from_unix(now + 72 * 3600))
        );
        let r = step(&h, lead, "CC-1000", "A81001", "acknowledge", json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "remediation",
            json!({"action": "Patch", "owner": "IT", "due_on": "2025-07-01"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "remediation before applicability"
        );
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "applicability",
            json!({"applies": false}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "no reason: {}", r.text());
        for (step_name, body, field) in [
            (
                "applicability",
                json!({"applies": false, "reason": "x".repeat(2001)}),
                "reason",
            ),
            (
                "close",
                json!({"closure": "risk_accepted", "siro": "x".repeat(201)}),
                "siro",
            ),
        ] {
            let r = step(&h, lead, "CC-1000", "A81001", step_name, body).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}: {}",
                r.text()
            );
            assert!(r.text().contains(field), "{}", r.text());
        }
        // A reason typed over lines is stored as validated: trimmed, with plain line breaks.
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "applicability",
            json!({"applies": false, "reason": "  No Windows 7 here.\r\nChecked by the desk.  "}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            r.json()["reason"],
            "No Windows 7 here.\nChecked by the desk.",
            "{}",
            r.text()
        );
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "applicability",
            json!({"applies": true}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "remediation",
            // Yesterday: the clock reads 2025-06-15 (UTC).
            json!({"action": "Patch", "owner": "IT", "due_on": "2025-06-14"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("due_on") && r.text().contains("past"),
            "{}",
            r.text()
        );
        let r = step(
            &h,
            w.member.1.as_str(),
            "CC-1000",
            "A81001",
            "remediation",
            // Today is allowed.
            // Typed into a text area: line breaks are fine.
            json!({"action": "Patch every host.\r\nThen reboot.", "owner": "IT desk", "due_on": "2025-06-15"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "members take steps too: {}",
            r.text()
        );
        assert_eq!(r.json()["open_actions"], 1);
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "close",
            json!({"closure": "remediated"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(r.text().contains("1 remediation action"), "{}", r.text());
        let detail = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/responses/A81001",
                Some(lead),
                None,
            )
            .await
            .json();
        let action_id = detail["actions"][0]["id"].as_i64().unwrap();
        assert_eq!(detail["actions"][0]["due_on"], "2025-06-15");
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "remediation",
            json!({"action_id": action_id, "progress": "All hosts patched.\nRebooted.", "done": true}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "close",
            json!({"closure": "risk_accepted", "siro": " "}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "risk acceptance names the SIRO"
        );
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "close",
            json!({"closure": "remediated"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["status"], "closed");
        assert_eq!(r.json()["due_at"], Value::Null);
        let r = step(
            &h,
            lead,
            "CC-1000",
            "A81001",
            "remediation",
            json!({"action": "More", "owner": "IT", "due_on": "2025-07-01"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "closed is closed");

        // Exactly 48 hours after publication the trust's response is due, not yet late (the
        // store's filter and count agree with the domain's rule); one second on, it is late and
        // the board counts it.
        h.clock.advance(time::Duration::hours(47));
        assert_eq!(h.clock.now().unix_timestamp(), published_at + 48 * 3600);
        let on_time = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/responses?late=true",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(on_time["meta"]["total"], 0);
        let board = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/board",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(board["late"], 0);
        h.clock.advance(time::Duration::seconds(1));
        let late = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/responses?late=true",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(late["meta"]["total"], 1);
        assert_eq!(late["items"][0]["org_code"], "RX1");
        assert_eq!(late["items"][0]["late"], true);
        let board = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/board",
                Some(analyst),
                None,
            )
            .await
            .json();
        assert_eq!(
            (
                board["total"].as_i64(),
                board["closed"].as_i64(),
                board["late"].as_i64()
            ),
            (Some(2), Some(1), Some(1))
        );
        let r = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/board",
                Some(lead),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let csv = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1000/responses.csv",
                Some(analyst),
                None,
            )
            .await
            .text();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "org_code,org_name,org_type,region,status,due_at,late,applies,closure,closed_at,escalated_at"
        );
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].starts_with("A81001,")
                && lines[1].contains(",closed,")
                && lines[1].contains(",remediated,")
        );
        assert!(
            lines[2].starts_with("RX1,")
                && lines[2].contains(",awaiting_acknowledgement,")
                && lines[2].contains(",true,")
        );

        // Bulk steps are all or nothing: a foreign organisation in the batch stops all of it.
        let mut second = high_alert(true);
        second["severity"] = json!("low");
        second["audience"] = json!({"codes": ["A81001", "RX1"]});
        let r = h
            .api(Method::POST, "/api/v1/alerts", Some(admin), Some(second))
            .await;
        assert_eq!(r.json()["id"], "CC-1001");
        let body = json!({"org_codes": ["RX1", "A81001"]});
        let r = h
            .api(
                Method::POST,
                "/api/v1/alerts/CC-1001/bulk-responses/acknowledge",
                Some(foreign),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let rx1 = h
            .api(
                Method::GET,
                "/api/v1/alerts/CC-1001/responses/RX1",
                Some(foreign),
                None,
            )
            .await
            .json();
        assert_eq!(
            rx1["status"], "awaiting_acknowledgement",
            "nothing was written"
        );
        assert_eq!(rx1["due_at"], Value::Null, "low severity has no deadline");
        let r = h
            .api(
                Method::POST,
                "/api/v1/alerts/CC-1001/bulk-responses/acknowledge",
                Some(foreign),
                Some(json!({"org_codes": ["RX1"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["items"][0]["status"], "in_progress");
        assert_eq!(
            r.json()["items"][0]["due_at"],
            Value::Null,
            "acknowledging gives no deadline to a response that had none"
        );

        // Updates are versioned and name what changed; a stale version is refused.
        let mut update = high_alert(false);
        update["severity"] = json!("medium");
        update["expected_version"] = json!(1);
        let r = put_json(&h, "/api/v1/alerts/CC-1000", admin, update.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["version"], 2);
        assert_eq!(r.json()["state"], "published");
        assert_eq!(r.json()["versions"][0]["changed"], json!(["severity"]));
        let r = put_json(&h, "/api/v1/alerts/CC-1000", admin, update).await;
        assert_eq!(r.status, StatusCode::CONFLICT);

        // Drafts stay with the national team.
        let r = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(admin),
                Some(high_alert(false)),
            )
            .await;
        assert_eq!(r.json()["state"], "draft");
        assert_eq!(r.json()["responses"], 0);
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = h
            .api(
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                Some(lead),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = h
            .api(
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                Some(analyst),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        // A draft's edits are versions naming what changed; its publication is news, not an
        // update, and nothing changing is refused unless it publishes.
        let url = format!("/api/v1/alerts/{id}");
        let mut edit = high_alert(false);
        edit["title"] = json!("Critical SMB vulnerability: second wave");
        edit["expected_version"] = json!(1);
        let r = put_json(&h, &url, admin, edit.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["state"], "draft");
        assert_eq!(r.json()["versions"][0]["changed"], json!(["title"]));
        edit["expected_version"] = json!(2);
        let r = put_json(&h, &url, admin, edit.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing changed"
        );
        edit["publish"] = json!(true);
        let r = put_json(&h, &url, admin, edit).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.json()["state"], "published");
        assert_eq!(r.json()["responses"], 2);
        // Its draft edits stay internal: the first published version changes nothing, and the
        // public page and feed call it published, not updated.
        assert_eq!(r.json()["versions"][0]["changed"], json!([]));
        let public = anonymous(&h, &format!("/public/alerts/{id}")).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(!public.text().contains("Updated"), "{}", public.text());
        let atom = anonymous(&h, "/alerts.atom").await.text();
        let entry = &atom[atom.find(&format!("{id} (")).unwrap()..];
        let entry = &entry[..entry.find("</entry>").unwrap()];
        assert!(!entry.contains("Updated:"), "{entry}");

        // Notifications were queued with the change, once each: an email to the practice's
        // alert contact for each publication and for the update, and a text for the High ones
        // (the update made CC-1000 Medium; CC-1001 is not High).
        let outbox = h.app.store.outbox(false, 100).await.unwrap();
        let keys: Vec<&str> = outbox.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(outbox.len(), 6, "{keys:?}");
        let sms: Vec<_> = outbox.iter().filter(|m| m.channel == "sms").collect();
        assert_eq!(sms.len(), 2);
        assert!(
            sms.iter()
                .all(|m| m.recipient.replace(' ', "").ends_with("7700900555")),
            "{sms:?}"
        );
        assert!(
            sms[0].body.starts_with("NHS Cyber Alert CC-1000 (High)"),
            "{}",
            sms[0].body
        );
        let email = outbox.iter().find(|m| m.channel == "email").unwrap();
        assert_eq!(email.recipient, "cyber@a81001.nhs.uk");
        assert!(
            email.subject.starts_with("[CC-1000] New High alert"),
            "{}",
            email.subject
        );
        let updated = outbox
            .iter()
            .find(|m| m.subject.starts_with("[CC-1000] Updated Medium alert"))
            .expect("the update is sent");
        assert!(
            updated.body.contains("What changed: severity")
                && !updated.body.contains("record your response by"),
            "an update names no new deadline: {}",
            updated.body
        );
        assert!(
            email.body.contains("record your response by"),
            "publication names the deadline: {}",
            email.body
        );
        let news = format!("[{id}] New High alert: Critical SMB vulnerability: second wave");
        assert!(
            outbox.iter().any(|m| m.subject == news),
            "{:?}",
            outbox.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );

        // Every step is in the audit log.
        let log = h
            .api(Method::GET, "/api/v1/audit?per_page=200", Some(admin), None)
            .await
            .json();
        let actions: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in [
            "alert.create",
            "alert.publish",
            "alert.update",
            "alert.acknowledge",
            "alert.applicability",
            "alert.remediation",
            "alert.close",
        ] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn late_responses_escalate_once_to_the_siro_then_are_chased_and_relayed() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let (admin, analyst, lead) = (&w.admin.1, &w.analyst.1, &w.lead.1);
        for (name, email, mobile, channels) in [
            ("Cyber Desk", "desk@rx1.nhs.uk", "07700 900201", ""),
            ("Mail Only", "mail@rx1.nhs.uk", "07700 900202", "email"),
        ] {
            let c = ContactInput {
                name: name.into(),
                role: "alert_contact".into(),
                email: email.into(),
                mobile: mobile.into(),
                alert_channels: channels.into(),
            };
            h.app
                .create_contact(&Actor::cli(), "RX1", &c)
                .await
                .unwrap();
        }
        let r = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(admin),
                Some(high_alert(true)),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        let outbox = h.app.store.outbox(false, 100).await.unwrap();
        let texted: Vec<&str> = outbox
            .iter()
            .filter(|m| m.channel == "sms")
            .map(|m| m.recipient.as_str())
            .collect();
        assert_eq!(
            texted,
            ["+447700900201"],
            "the email-only contact gets no text"
        );
        assert_eq!(outbox.iter().filter(|m| m.channel == "email").count(), 2);

        // Nothing is late yet; the practice acknowledges in time, the hospital does not.
        assert_eq!(h.app.escalate_late().await.unwrap(), 0);
        let r = step(&h, lead, &id, "A81001", "acknowledge", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        // At the due time itself the response is not late yet; a second later it is.
        h.clock.advance(time::Duration::hours(48));
        assert_eq!(h.app.escalate_late().await.unwrap(), 0, "due, not late");
        h.clock.advance(time::Duration::seconds(1));
        assert_eq!(h.app.escalate_late().await.unwrap(), 1);
        assert_eq!(h.app.escalate_late().await.unwrap(), 0, "escalated once");
        let siro: Vec<_> = h
            .app
            .store
            .outbox(false, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.key.starts_with(&format!("escalation:{id}:RX1:")))
            .collect();
        assert_eq!(siro.len(), 2, "an email and a text to the SIRO");
        assert!(siro.iter().any(|m| m.recipient == "siro@rx1.nhs.uk"));
        assert!(
            siro.iter()
                .all(|m| m.subject.contains("Escalation: Org RX1 has not responded")),
            "{siro:?}"
        );

        // The chase list shows it to the national team only.
        for url in [
            "/api/v1/chase-list".to_string(),
            format!("/api/v1/alerts/{id}/chase"),
        ] {
            let r = h.api(Method::GET, &url, Some(analyst), None).await;
            assert_eq!(r.status, StatusCode::OK, "{url}");
            let items = r.json()["items"].as_array().unwrap().clone();
            assert_eq!(items.len(), 1, "{url}");
            assert_eq!(items[0]["org_code"], "RX1");
            assert_eq!(items[0]["status"], "awaiting_acknowledgement");
            assert!(items[0]["escalated_at"].is_string());
            assert!(items[0]["chased_at"].is_null());
            let r = h.api(Method::GET, &url, Some(lead), None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{url}");
        }

        // Chasing reaches the late organisation's alert contacts by their channels, once a day.
        let chase = format!("/api/v1/alerts/{id}/chase");
        let r = h.api(Method::POST, &chase, Some(analyst), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // An organisation that answered in time is not chased, even with an alert contact.
        let answered = ContactInput {
            name: "Practice Desk".into(),
            role: "alert_contact".into(),
            email: "desk@a81001.nhs.uk".into(),
            ..Default::default()
        };
        h.app
            .create_contact(&Actor::cli(), "A81001", &answered)
            .await
            .unwrap();
        let r = h.api(Method::POST, &chase, Some(admin), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        assert_eq!(
            r.json()["messages"],
            3,
            "RX1's two contacts, by their channels"
        );
        let r = h.api(Method::POST, &chase, Some(admin), None).await;
        assert_eq!(r.json()["messages"], 0, "one chase a day");
        h.clock.advance(time::Duration::days(1));
        let r = h.api(Method::POST, &chase, Some(admin), None).await;
        // The next day RX1 is chased again, and the practice too: its update, due three days
        // after it acknowledged, is now overdue (its desk takes email only).
        assert_eq!(r.json()["messages"], 4, "and again the next day");
        let r = h.api(Method::GET, &chase, Some(admin), None).await;
        assert!(r.json()["items"][0]["chased_at"].is_string());

        // The relay texts every alert contact with a mobile, whatever their channels.
        let relay = format!("/api/v1/alerts/{id}/relay");
        let r = h
            .api(
                Method::POST,
                &relay,
                Some(admin),
                Some(json!({"text": "x".repeat(161)})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("160"));
        let r = h.api(Method::POST, &relay, Some(admin), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        assert_eq!(r.json()["messages"], 2);
        let texts: Vec<_> = h
            .app
            .store
            .outbox(false, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.key.starts_with(&format!("relay:{id}:")))
            .collect();
        assert!(texts.iter().any(|m| m.recipient == "+447700900202"));
        assert!(
            texts[0]
                .body
                .starts_with(&format!("NHS Cyber Alert {id} (High)"))
        );
        let r = h.api(Method::POST, &relay, Some(lead), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let draft = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(admin),
                Some(high_alert(false)),
            )
            .await;
        let draft_id = draft.json()["id"].as_str().unwrap().to_string();
        let r = h
            .api(
                Method::POST,
                &format!("/api/v1/alerts/{draft_id}/relay"),
                Some(admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Once answered, the response leaves the chase list.
        let r = step(&h, &w.foreign.1, &id, "RX1", "acknowledge", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = h
            .api(Method::GET, "/api/v1/chase-list", Some(admin), None)
            .await;
        assert_eq!(r.json()["meta"]["total"], 0);

        let r = h
            .api(Method::GET, "/api/v1/outbox", Some(analyst), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        // 10 as before, and the next day's 4 reminders.
        assert_eq!(r.json()["pending"], 14, "{}", r.text());
        let r = h.api(Method::GET, "/api/v1/outbox", Some(lead), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Exactly 160 characters is one text, and goes, even in the same second as another.
        let y160 = json!({"text": "y".repeat(160)});
        let r = h
            .api(Method::POST, &relay, Some(admin), Some(y160.clone()))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        assert_eq!(r.json()["messages"], 2);
        let r = h.api(Method::POST, &relay, Some(admin), Some(y160)).await;
        assert_eq!(
            r.json()["messages"],
            0,
            "the same text in the same second is queued once"
        );

        let log = h
            .api(Method::GET, "/api/v1/audit?per_page=200", Some(admin), None)
            .await
            .json();
        let actions: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in ["alert.escalate", "alert.chase", "alert.relay"] {
            assert!(actions.contains(&a), "{a}: {actions:?}");
        }
        let escalation = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "alert.escalate")
            .unwrap();
        assert_eq!(
            escalation["summary"]["messages"], 2,
            "the audit says how many messages the SIRO was sent"
        );
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn alert_pages_publish_with_a_preview_and_take_the_response_steps() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let _w = world(&h).await;
        let (admin, admin_csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
        let (lead, lead_csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
        let (member, _) = h.sign_in("member@x.nhs.uk", PASSWORD).await.unwrap();

        let r = h.page(Method::GET, "/alerts", &admin, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text().contains("There are no alerts"));
        let r = h.page(Method::GET, "/alerts/new", &lead, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = h.page(Method::GET, "/alerts/new", &admin, None).await;
        assert_eq!(r.status, StatusCode::OK);

        let form = |intent: &str, title: &str, cves: &str| {
            format!(
                "csrf_token={admin_csrf}&expected_version=0&title={}&severity=high&type=vulnerability\
                 &summary=Patch+now&body=&cves={}&products={}&remediation=Update&exploited=yes\
                 &response_required=yes&org_types=gp_practice&org_types=acute_trust&regions=&codes=&intent={intent}",
                urlenc(title),
                urlenc(cves),
                urlenc(
                    "PAN-OS | cpe:2.3:o:paloaltonetworks:pan-os:*:*:*:*:*:*:*:* | vers:generic/<11.1.2"
                )
            )
        };
        // A bad CVE is named, and nothing is written.
        let r = h
            .page(
                Method::POST,
                "/alerts",
                &admin,
                Some(form("preview", "VPN flaw", "CVE-24-1")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("There is a problem"), "{}", r.text());
        // The preview shows the alert as it will read, and stores nothing.
        let r = h
            .page(
                Method::POST,
                "/alerts",
                &admin,
                Some(form("preview", "VPN flaw", "CVE-2024-3400")),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text().contains("Preview: VPN flaw") && r.text().contains("CVE-2024-3400"));
        assert_eq!(h.app.store.outbox(false, 10).await.unwrap().len(), 0);
        let r = h
            .page(
                Method::POST,
                "/alerts",
                &admin,
                Some(form("publish", "VPN flaw", "CVE-2024-3400")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(
            r.headers[header::LOCATION],
            "/alerts/CC-1000?done=published"
        );

        // The national view: the board, its drill-down, the late list.
        let r = h.page(Method::GET, "/alerts/CC-1000", &admin, None).await;
        assert!(
            r.text().contains("Organisations in scope: 2. Late: 0."),
            "{}",
            r.text()
        );
        let r = h
            .page(
                Method::GET,
                "/alerts/CC-1000/responses?status=awaiting_acknowledgement",
                &admin,
                None,
            )
            .await;
        assert!(r.text().contains("A81001") && r.text().contains("RX1"));
        let r = h
            .page(Method::GET, "/alerts/CC-1000/responses", &lead, None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The lead sees the practice's response only, and takes the steps.
        let r = h.page(Method::GET, "/alerts", &lead, None).await;
        assert!(r.text().contains("/alerts/CC-1000/responses/A81001"));
        assert!(!r.text().contains("RX1"));
        let r = h
            .page(Method::GET, "/alerts/CC-1000/responses/RX1", &lead, None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let base = "/alerts/CC-1000/responses/A81001";
        let post = |step: &str, body: &str| {
            (
                format!("{base}/{step}"),
                format!("csrf_token={lead_csrf}&{body}"),
            )
        };
        let (u, b) = post("close", "closure=remediated&siro=");
        let r = h.page(Method::POST, &u, &lead, Some(b)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "close before acknowledge"
        );
        let (u, b) = post("acknowledge", "");
        let r = h.page(Method::POST, &u, &lead, Some(b)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let (u, b) = post("applicability", "applies=yes&reason=");
        assert_eq!(
            h.page(Method::POST, &u, &lead, Some(b)).await.status,
            StatusCode::SEE_OTHER
        );
        let (u, b) = post(
            "remediation",
            "action=Upgrade+PAN-OS&owner=Infra&due_on=2020-01-01",
        );
        let r = h.page(Method::POST, &u, &lead, Some(b)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a date in the past"
        );
        assert!(
            r.text().contains("Upgrade PAN-OS") && r.text().contains("value=\"Infra\""),
            "what was typed is kept"
        );
        let (u, b) = post(
            "remediation",
            "action=Upgrade+PAN-OS&owner=Infra&due_on=2025-06-20",
        );
        assert_eq!(
            h.page(Method::POST, &u, &lead, Some(b)).await.status,
            StatusCode::SEE_OTHER
        );
        let actions = h
            .app
            .alert_response(&Actor::cli(), "CC-1000", "A81001")
            .await
            .unwrap()
            .actions;
        let (u, b) = post(
            "remediation",
            &format!(
                "action_id={}&progress=Done+overnight&done=yes",
                actions[0].id
            ),
        );
        assert_eq!(
            h.page(Method::POST, &u, &lead, Some(b)).await.status,
            StatusCode::SEE_OTHER
        );
        let (u, b) = post("close", "closure=remediated&siro=");
        assert_eq!(
            h.page(Method::POST, &u, &lead, Some(b)).await.status,
            StatusCode::SEE_OTHER
        );
        let r = h.page(Method::GET, base, &member, None).await;
        assert!(
            r.text().contains("Closed") && r.text().contains("Done overnight"),
            "{}",
            r.text()
        );
        assert!(!r.text().contains("Acknowledge this alert"));

        // An update through the form is versioned and names what changed.
        let r = h
            .page(Method::GET, "/alerts/CC-1000/edit", &admin, None)
            .await;
        assert!(r.text().contains("Publish the update"));
        let mut update = form("publish", "VPN flaw under attack", "CVE-2024-3400");
        update = update.replace("expected_version=0", "expected_version=1");
        let r = h
            .page(
                Method::POST,
                "/alerts/CC-1000/edit",
                &admin,
                Some(update.clone()),
            )
            .await;
        assert_eq!(r.headers[header::LOCATION], "/alerts/CC-1000?done=updated");
        let r = h
            .page(Method::POST, "/alerts/CC-1000/edit", &admin, Some(update))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a stale version"
        );
        let r = h.page(Method::GET, "/alerts/CC-1000", &member, None).await;
        assert!(r.text().contains("VPN flaw under attack") && r.text().contains("Version 2"));
        assert!(r.text().contains(": title"), "what changed: {}", r.text());

        // Chase and relay from the page (admin only).
        h.clock.advance(time::Duration::hours(49));
        let (admin, admin_csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
        let (lead, lead_csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
        let r = h.page(Method::GET, "/alerts/CC-1000", &admin, None).await;
        assert!(r.text().contains("Late: 1."), "{} {}", r.status, r.text());
        // RX1 has only a SIRO so far: nobody to chase, and the page says so.
        let none = format!("csrf_token={admin_csrf}");
        let r = h
            .page(Method::POST, "/alerts/CC-1000/chase", &admin, Some(none))
            .await;
        assert_eq!(
            r.headers[header::LOCATION],
            "/alerts/CC-1000?done=chased&n=0"
        );
        let desk = ContactInput {
            name: "Cyber Desk".into(),
            role: "alert_contact".into(),
            email: "desk@rx1.nhs.uk".into(),
            mobile: "07700 900456".into(),
            ..Default::default()
        };
        h.app
            .create_contact(&Actor::cli(), "RX1", &desk)
            .await
            .unwrap();
        let chase = format!("csrf_token={admin_csrf}");
        let r = h
            .page(Method::POST, "/alerts/CC-1000/chase", &admin, Some(chase))
            .await;
        let queued = h.app.store.outbox(false, 100).await.unwrap().len();
        let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
        assert!(
            location.starts_with("/alerts/CC-1000?done=chased&n=") && !location.ends_with("n=0"),
            "{location}"
        );
        let r = h.page(Method::GET, &location, &admin, None).await;
        assert!(
            r.text().contains("reminders are on their way"),
            "{}",
            r.text()
        );
        // A second chase the same day queues nothing, and the page says so.
        let r = h
            .page(
                Method::POST,
                "/alerts/CC-1000/chase",
                &admin,
                Some(format!("csrf_token={admin_csrf}")),
            )
            .await;
        assert_eq!(
            r.headers[header::LOCATION],
            "/alerts/CC-1000?done=chased&n=0"
        );
        assert_eq!(h.app.store.outbox(false, 100).await.unwrap().len(), queued);
        let r = h
            .page(Method::GET, "/alerts/CC-1000?done=chased&n=0", &admin, None)
            .await;
        assert!(r.text().contains("No reminder was queued"), "{}", r.text());
        // A refused relay keeps the text as typed; a good one says how many went.
        let long = "x".repeat(170);
        let r = h
            .page(
                Method::POST,
                "/alerts/CC-1000/relay",
                &admin,
                Some(format!("csrf_token={admin_csrf}&text={long}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains(&long), "the text is kept");
        let r = h
            .page(
                Method::POST,
                "/alerts/CC-1000/relay",
                &admin,
                Some(format!("csrf_token={admin_csrf}&text=Patch+tonight")),
            )
            .await;
        let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
        assert!(
            location.starts_with("/alerts/CC-1000?done=relayed&n=") && !location.ends_with("n=0"),
            "{location}"
        );
        let r = h
            .page(
                Method::POST,
                "/alerts/CC-1000/chase",
                &lead,
                Some(format!("csrf_token={lead_csrf}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        h.db.cleanup().await;
    }
}

/// `alert` with RX1 named in its audience, so that a leak of the audience would show.
fn scoped_to_rx1(mut alert: Value) -> Value {
    alert["audience"]["codes"] = json!(["RX1"]);
    alert
}

/// A GET with no credentials at all, as the world reads the feeds.
async fn anonymous(h: &H, uri: &str) -> Resp {
    h.api(Method::GET, uri, None, None).await
}

#[tokio::test]
async fn published_alerts_reach_the_public_page_atom_csaf_and_taxii_without_drafts_or_organisations()
 {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let admin = &w.admin.1;
        let created = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(admin),
                Some(scoped_to_rx1(high_alert(true))),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let high = created.json()["id"].as_str().unwrap().to_string();
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
        h.db.cleanup().await;
    }
}

/// Each organisation's response status to CC-1000, by code.
async fn response_statuses(h: &H, token: &str) -> Vec<(String, String)> {
    let r = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000/responses",
            Some(token),
            None,
        )
        .await;
    let mut out: Vec<(String, String)> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["org_code"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_lead_of_several_organisations_acknowledges_them_together_on_the_alert_page() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    let mut body = high_alert(true);
    body["audience"] = json!({"org_types": ["icb", "gp_practice", "acute_trust"]});
    let r = h
        .api(Method::POST, "/api/v1/alerts", Some(&w.admin.1), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (lead, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h.page(Method::GET, "/alerts/CC-1000", &lead, None).await;
    let text = page.text();
    assert!(
        text.contains("Acknowledge for the selected organisations")
            && text.contains("id=\"org-QAA\"")
            && text.contains("id=\"org-A81001\"")
            && !text.contains("org-RX1"),
        "the lead's two organisations, and not another's: {text}"
    );
    let before = response_statuses(&h, &w.admin.1).await;
    let ack = |orgs: &str| format!("csrf_token={csrf}{orgs}");

    // Nothing chosen: the error links to the list; another organisation's code: nothing changes.
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/acknowledge",
            &lead,
            Some(ack("")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("href=\"#org_codes\"") && r.text().contains("id=\"org_codes\""),
        "{}",
        r.text()
    );
    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/acknowledge",
            &lead,
            Some(ack("&org=QAA&org=RX1")),
        )
        .await;
    assert_ne!(
        r.status,
        StatusCode::SEE_OTHER,
        "another organisation's code"
    );
    assert_eq!(
        response_statuses(&h, &w.admin.1).await,
        before,
        "all or nothing"
    );

    let r = h
        .page(
            Method::POST,
            "/alerts/CC-1000/acknowledge",
            &lead,
            Some(ack("&org=QAA&org=A81001")),
        )
        .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/alerts/CC-1000?done=acknowledged"
    );
    let after = response_statuses(&h, &w.admin.1).await;
    for (code, status) in &after {
        let expected = if code == "RX1" {
            "awaiting_acknowledgement"
        } else {
            "in_progress"
        };
        assert_eq!(status, expected, "{code}");
    }
    assert_eq!(after.len(), 3);
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_csaf_advisory_uploaded_on_the_page_becomes_a_draft() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    let (admin, csrf) = h.sign_in("admin@x.nhs.uk", PASSWORD).await.unwrap();
    let (analyst, analyst_csrf) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let post = |session: &str, form: (String, String)| upload("/alerts/import", session, form);
    let form = h.page(Method::GET, "/alerts/import", &admin, None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("enctype=\"multipart/form-data\""));
    assert!(
        h.page(Method::GET, "/alerts", &admin, None)
            .await
            .text()
            .contains("href=\"/alerts/import\""),
        "the alert list links to the import"
    );
    assert_eq!(
        h.page(Method::GET, "/alerts/import", &analyst, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A small advisory of our own (the published examples are imported in the next test).
    let advisory = json!({
        "document": {
            "category": "csaf_security_advisory", "csaf_version": "2.0",
            "title": "Remote code execution in Example Gateway",
            "publisher": {"name": "Example CERT", "category": "coordinator", "namespace": "https://cert.example"},
            "tracking": {"id": "EX-2026-0001"},
            "notes": [{"category": "summary", "text": "Update the gateway."}],
        },
        "product_tree": {"full_product_names": [{"name": "Example Gateway 4.2", "product_id": "P1",
            "product_identification_helper": {"cpe": "cpe:2.3:a:example:gateway:4.2:*:*:*:*:*:*:*"}}]},
        "vulnerabilities": [{"cve": "CVE-2026-12345", "scores": [{"products": ["P1"], "cvss_v3": {"baseScore": 9.8}}]}],
    })
    .to_string();
    assert_eq!(
        h.send(post(&analyst, multipart(Some(&analyst_csrf), &advisory)))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "only alert managers import"
    );
    assert_eq!(
        h.send(post(&admin, multipart(None, &advisory)))
            .await
            .status,
        StatusCode::FORBIDDEN,
        "no token, no import"
    );

    // Bad documents are refused on the form, naming the file field, and change nothing.
    for (bad, says) in [
        ("", "Select a CSAF 2.0 advisory"),
        (
            "{\"document\": 1}",
            "expected struct Document at line 1 column 14",
        ),
        ("not json", "JSON"),
    ] {
        let r = h.send(post(&admin, multipart(Some(&csrf), bad))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.text().contains(says), "{bad}: {}", r.text());
        assert!(r.text().contains("href=\"#file\""), "{bad}");
    }
    let list = h
        .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
        .await;
    assert_eq!(list.json()["meta"]["total"], 0, "nothing was drafted");

    let r = h
        .send(post(&admin, multipart(Some(&csrf), &advisory)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let text = r.text();
    assert!(text.contains("Draft CC-1000 created"), "{text}");
    assert!(text.contains("href=\"/alerts/CC-1000/edit\""), "{text}");
    let draft = h
        .api(
            Method::GET,
            "/api/v1/alerts/CC-1000",
            Some(&w.admin.1),
            None,
        )
        .await;
    assert_eq!(
        draft.json()["state"],
        "draft",
        "never published by importing"
    );
    h.db.cleanup().await;
}

/// A folder of the public data kept beside the repository (`PALISADE_SHARED`, or `../shared`),
/// as in CI; without it a test says so and passes, except under CI.
fn shared_data(sub: &str) -> Option<std::path::PathBuf> {
    let shared = std::env::var_os("PALISADE_SHARED").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        std::path::PathBuf::from,
    );
    let dir = shared.join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs the shared data at {}",
        dir.display()
    );
    eprintln!("skipped: no shared data at {}", dir.display());
    None
}

#[tokio::test]
async fn csaf_advisories_import_as_drafts_and_bad_documents_change_nothing() {
    let Some(examples) = shared_data("data/csaf-2.0/examples/csaf") else {
        return;
    };
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [examples.clone(), examples.join("csaf_vex")] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 19,
        "the CSAF examples are beside the repository"
    );
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        for (who, token) in [("analyst", &w.analyst.1), ("lead", &w.lead.1)] {
            let r = h
                .raw(
                    Method::POST,
                    "/api/v1/alerts/import/csaf",
                    token,
                    "application/json",
                    "{}",
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        }
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let r = h
                .raw(
                    Method::POST,
                    "/api/v1/alerts/import/csaf",
                    &w.admin.1,
                    "application/json",
                    &text,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "{}: {}",
                file.display(),
                r.text()
            );
            let alert = &r.json()["alert"];
            assert_eq!(alert["state"], "draft", "{}", file.display());
        }
        let rhsa = files
            .iter()
            .find(|f| f.ends_with("rhsa-2021_5186.json"))
            .unwrap();
        let r = h
            .raw(
                Method::POST,
                "/api/v1/alerts/import/csaf",
                &w.admin.1,
                "application/json",
                &std::fs::read_to_string(rhsa).unwrap(),
            )
            .await
            .json();
        assert_eq!(r["source_id"], "RHSA-2021:5186");
        let a = &r["alert"];
        assert_eq!(a["severity"], "high", "Critical maps to High");
        assert_eq!(a["cves"], json!(["CVE-2021-4104", "CVE-2021-4125"]));
        assert_eq!(
            a["products"][0]["cpe"], "cpe:2.3:a:redhat:openshift:4.6:*:el8:*:*:*:*:*",
            "a CPE URI becomes a CPE 2.3 name"
        );
        let before = h
            .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
            .await
            .json()["meta"]["total"]
            .clone();
        for (body, field) in [
            ("{\"document\": ", "document"),
            (
                r#"{"document": {"category": "csaf_base", "csaf_version": "1.2", "title": "x", "publisher": {"name": "p"}, "tracking": {"id": "x"}}}"#,
                "document.csaf_version",
            ),
            (
                r#"{"document": {"category": "csaf_base", "csaf_version": "2.0", "title": "", "publisher": {"name": "p"}, "tracking": {"id": "x"}}}"#,
                "title",
            ),
        ] {
            let r = h
                .raw(
                    Method::POST,
                    "/api/v1/alerts/import/csaf",
                    &w.admin.1,
                    "application/json",
                    body,
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {}",
                r.text()
            );
            assert!(r.text().contains(field), "{field}: {}", r.text());
        }
        let after = h
            .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
            .await
            .json()["meta"]["total"]
            .clone();
        assert_eq!(before, after, "a refused document creates nothing");
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn an_inventory_upload_replaces_the_snapshot_and_keeps_history() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
        let put = |token: &str, body: String| {
            let token = token.to_string();
            let h = &h;
            async move {
                h.raw(
                    Method::PUT,
                    "/api/v1/organisations/QAA/inventory",
                    &token,
                    "text/csv",
                    &body,
                )
                .await
            }
        };
        let first = format!(
            "{header}\nPC-1,workstation,Microsoft,Windows 7,6.1.7601,,,no\n\
             PC-2,workstation,Microsoft,Windows 10,10.0.19044,,,no\n\
             app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,yes\n"
        );
        let r = put(&w.lead.1, first).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let up1 = r.json();
        assert_eq!(
            (
                &up1["components"],
                &up1["added"],
                &up1["removed"],
                &up1["format"]
            ),
            (&json!(3), &json!(3), &json!(0), &json!("csv"))
        );
        let listed = h
            .api(
                Method::GET,
                "/api/v1/organisations/QAA/inventory",
                Some(&w.member.1),
                None,
            )
            .await
            .json();
        assert_eq!(listed["meta"]["total"], 3);
        let log4j = &listed["items"][2];
        assert_eq!(
            log4j["version"], "2.14.1",
            "the version comes from the purl"
        );
        assert_eq!(log4j["internet_facing"], true);
        assert_eq!(listed["items"][0]["asset_type"], "workstation");

        // A bad line refuses the whole file, names the line, and leaves the inventory alone.
        let bad = format!(
            "{header}\nPC-1,workstation,Microsoft,Windows 7,6.1.7601,,,no\nPC-9,toaster,Acme,Oven,1,,,no\n"
        );
        let r = put(&w.lead.1, bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("line 3: asset_type"), "{}", r.text());
        let r = h
            .raw(
                Method::PUT,
                "/api/v1/organisations/QAA/inventory",
                &w.lead.1,
                "application/xml",
                "<inventory/>",
            )
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let count = |token: String| {
            let h = &h;
            async move {
                h.api(
                    Method::GET,
                    "/api/v1/organisations/QAA/inventory",
                    Some(&token),
                    None,
                )
                .await
                .json()["meta"]["total"]
                    .clone()
            }
        };
        assert_eq!(count(w.lead.1.clone()).await, 3, "nothing changed");

        // The second upload: PC-2 upgraded, PC-1 gone, a server added; the library stays.
        let second = format!(
            "{header},location\nPC-2,workstation,Microsoft,Windows 10,10.0.19045,,,no,Ward 7\n\
             app-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,yes,\n\
             SRV-1,server,Microsoft,Windows Server 2012 R2,6.3.9600,,,yes,Data centre\n"
        );
        let r = put(&w.member.1, second).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let up2 = r.json();
        assert_eq!((&up2["added"], &up2["removed"]), (&json!(2), &json!(2)));
        assert_eq!(count(w.admin.1.clone()).await, 3);
        let uploads = h
            .api(
                Method::GET,
                "/api/v1/organisations/QAA/inventory/uploads",
                Some(&w.analyst.1),
                None,
            )
            .await
            .json();
        let ids: Vec<&Value> = uploads["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| &u["id"])
            .collect();
        assert_eq!(ids, [&up2["id"], &up1["id"]], "newest first");
        let changes = h
            .api(
                Method::GET,
                &format!(
                    "/api/v1/organisations/QAA/inventory/uploads/{}/changes",
                    up2["id"]
                ),
                Some(&w.lead.1),
                None,
            )
            .await
            .json();
        let seen: Vec<String> = changes["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}",
                    c["change"].as_str().unwrap(),
                    c["asset"].as_str().unwrap(),
                    c["version"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                "added PC-2 10.0.19045",
                "added SRV-1 6.3.9600",
                "removed PC-1 6.1.7601",
                "removed PC-2 10.0.19044"
            ]
        );
        // Another organisation's upload is not found through this one.
        let theirs = h
            .raw(
                Method::PUT,
                "/api/v1/organisations/RX1/inventory",
                &w.foreign.1,
                "text/csv",
                &format!("{header}\nPC-1,workstation,Microsoft,Windows 11,10.0.22631,,,no\n"),
            )
            .await
            .json();
        let r = h
            .api(
                Method::GET,
                &format!(
                    "/api/v1/organisations/QAA/inventory/uploads/{}/changes",
                    theirs["id"]
                ),
                Some(&w.lead.1),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Every upload is audited with its counts.
        let audit = h
            .api(
                Method::GET,
                "/api/v1/audit?action=inventory.upload&org_code=QAA",
                Some(&w.admin.1),
                None,
            )
            .await
            .json();
        assert_eq!(audit["meta"]["total"], 2, "{audit}");
        h.db.cleanup().await;
    }
}

/// A ZIP archive of `(name, text)` files, stored uncompressed.
fn zip_of(files: &[(String, String)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        w.start_file(format!("products/{name}"), opts).unwrap();
        std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const WINDOWS_EOL: &str = "---\ntitle: Microsoft Windows\nidentifiers:\n  - cpe: cpe:2.3:o:microsoft:windows\nreleases:\n  - releaseCycle: \"11-24h2-w\"\n    releaseLabel: \"11 24H2 (W)\"\n    latestReleaseDate: 2026-11-10\n    eol: 2026-10-13\n  - releaseCycle: \"10-22h2\"\n    releaseLabel: \"10 22H2\"\n    eol: 2025-10-14\n    eoes: 2026-10-13\n  - releaseCycle: \"7-sp1\"\n    releaseLabel: \"7 SP1\"\n    eol: 2020-01-14\n    eoes: 2023-01-10\n    latest: 6.1.7601\n  - releaseCycle: \"5-sp3\"\n    releaseLabel: \"XP SP3\"\n    eol: true\n---\n";
const PYTHON_EOL: &str = "---\ntitle: Python\nidentifiers:\n  - purl: pkg:generic/python\nreleases:\n  - releaseCycle: \"3.12\"\n    eol: 2028-10-31\n  - releaseCycle: \"2.7\"\n    eol: 2020-01-01\n---\n";

#[tokio::test]
async fn unsupported_systems_follow_the_lifecycles_and_mitigations() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let files = vec![
            ("windows.md".to_string(), WINDOWS_EOL.to_string()),
            ("python.md".to_string(), PYTHON_EOL.to_string()),
        ];
        let archive = zip_of(&files);
        let import = |token: &str, ct: &'static str, body: Vec<u8>| {
            let token = token.to_string();
            let h = &h;
            async move {
                h.raw(Method::PUT, "/api/v1/feeds/eol", &token, ct, body)
                    .await
            }
        };
        // Only national admins import, and only a ZIP of product files.
        for (who, token) in w.tokens().into_iter().skip(1) {
            let r = import(token, "application/zip", archive.clone()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "import as {who}");
        }
        let r = import(&w.admin.1, "text/plain", archive.clone()).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let r = import(&w.admin.1, "application/zip", b"not a zip".to_vec()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let broken = zip_of(&[
            files[0].clone(),
            ("bad.md".into(), PYTHON_EOL.replace("2020-01-01", "soon")),
        ]);
        let r = import(&w.admin.1, "application/zip", broken).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("bad.md") && r.text().contains("releases[1].eol"),
            "{}",
            r.text()
        );

        // Before any import the report says there is no lifecycle data.
        let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
        let inventory = format!(
            "{header}\nPC-1,workstation,Microsoft,Windows,7 SP1,,,no\n\
             PC-2,workstation,Microsoft,Windows,XP,,,yes\n\
             PC-3,workstation,Microsoft,Windows,11 24H2,,,no\n\
             SRV-1,server,Contoso,Desktop OS,10 22H2,cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*,,no\n\
             app-1,application,,,,,pkg:generic/python@2.7.18,no\n\
             app-2,application,,,,,pkg:generic/python@3.12.1,no\n"
        );
        let r = h
            .raw(
                Method::PUT,
                "/api/v1/organisations/A81001/inventory",
                &w.lead.1,
                "text/csv",
                &inventory,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let report = |on: &str, token: &str| {
            let (h, uri) = (
                &h,
                format!("/api/v1/organisations/A81001/unsupported?on={on}"),
            );
            let token = token.to_string();
            async move { h.api(Method::GET, &uri, Some(&token), None).await }
        };
        let r = report("2026-11-25", &w.member.1).await.json();
        assert_eq!(
            (&r["lifecycles"], &r["meta"]["total"]),
            (&Value::Null, &json!(0))
        );

        let r = import(&w.admin.1, "application/zip", archive.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            r.json(),
            json!({"feed": "eol", "items": 2, "changed": true, "data_date": "2026-11-10"})
        );
        // The same data again changes nothing.
        let r = import(&w.admin.1, "application/zip", archive.clone()).await;
        assert_eq!(r.json()["changed"], false);

        let assets = |r: &Value| -> Vec<String> {
            r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    format!(
                        "{} {}",
                        i["asset"].as_str().unwrap(),
                        i["cycle"].as_str().unwrap()
                    )
                })
                .collect()
        };
        let now = report("2026-11-25", &w.member.1).await.json();
        assert_eq!(
            assets(&now),
            [
                "PC-1 7-sp1",
                "PC-2 5-sp3",
                "PC-3 11-24h2-w",
                "SRV-1 10-22h2",
                "app-1 2.7"
            ]
        );
        assert_eq!(now["components"], 6);
        assert_eq!(now["lifecycles"]["items"], 2);
        let pc1 = &now["items"][0];
        assert_eq!(
            (
                &pc1["eol"],
                &pc1["extended_support_until"],
                &pc1["cycle_name"],
                &pc1["lifecycle"]
            ),
            (
                &json!("2020-01-14"),
                &json!("2023-01-10"),
                &json!("7 SP1"),
                &json!("windows")
            )
        );
        assert_eq!(
            now["items"][1]["eol"],
            Value::Null,
            "XP ended without a date"
        );
        // Support ends on its day: Python 2.7 on 2020-01-01, Windows 7 on 2020-01-14.
        let then = report("2019-12-31", &w.analyst.1).await.json();
        assert_eq!(assets(&then), ["PC-2 5-sp3"]);
        let then = report("2020-01-13", &w.analyst.1).await.json();
        assert_eq!(assets(&then), ["PC-2 5-sp3", "app-1 2.7"]);
        assert_eq!(
            report("2020-02-30", &w.member.1).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        // Only the organisation (and those above it) and the national team see it.
        for (who, token, status) in [
            ("auditor", &w.auditor.1, StatusCode::FORBIDDEN),
            ("foreign", &w.foreign.1, StatusCode::NOT_FOUND),
        ] {
            assert_eq!(report("2026-11-25", token).await.status, status, "{who}");
        }

        // An extended-support agreement makes PC-1 supported until its last day.
        let mitigate = |token: &str, body: Value| {
            let token = token.to_string();
            let h = &h;
            async move {
                h.api(
                    Method::POST,
                    "/api/v1/organisations/A81001/mitigations",
                    Some(&token),
                    Some(body),
                )
                .await
            }
        };
        let esu = json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows",
            "action": "extended_support", "until": "2027-01-10", "evidence": "ESU contract 2026-114"});
        for (who, token) in [
            ("analyst", &w.analyst.1),
            ("admin", &w.admin.1),
            ("foreign", &w.foreign.1),
        ] {
            let status = mitigate(token, esu.clone()).await.status;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{who}: {status}"
            );
        }
        let r = mitigate(&w.member.1, json!({"asset": "PC-1", "product": "Windows", "action": "extended_support", "evidence": ""})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("until") && r.text().contains("evidence"),
            "{}",
            r.text()
        );
        let r = mitigate(&w.member.1, esu.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let esu_id = r.json()["id"].as_i64().unwrap();
        let r = mitigate(
            &w.lead.1,
            json!({"asset": "PC-2", "vendor": "Microsoft", "product": "Windows",
            "action": "isolate", "evidence": "VLAN 99, no internet"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let now = report("2026-11-25", &w.member.1).await.json();
        assert_eq!(now["covered_by_extended_support"], 1);
        assert_eq!(
            assets(&now),
            ["PC-2 5-sp3", "PC-3 11-24h2-w", "SRV-1 10-22h2", "app-1 2.7"]
        );
        assert_eq!(now["items"][0]["mitigation"]["action"], "isolate");
        let after = report("2027-01-11", &w.member.1).await.json();
        assert_eq!(
            after["items"][0]["asset"], "PC-1",
            "the agreement has ended"
        );
        assert_eq!(after["items"][0]["mitigation"]["until"], "2027-01-10");
        // Recording again replaces: one mitigation per system.
        let r = mitigate(
            &w.member.1,
            json!({"asset": "PC-1", "vendor": "Microsoft", "product": "Windows",
            "action": "replace", "evidence": "Order PO-4411"}),
        )
        .await;
        assert_eq!(r.json()["id"].as_i64(), Some(esu_id));
        let listed = h
            .api(
                Method::GET,
                "/api/v1/organisations/A81001/mitigations",
                Some(&w.analyst.1),
                None,
            )
            .await
            .json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);
        assert_eq!(listed["items"][0]["action"], "replace");
        let uri = format!("/api/v1/organisations/A81001/mitigations/{esu_id}");
        // Through their own organisation, another's mitigation reads as not found.
        let foreign_uri = format!("/api/v1/organisations/RX1/mitigations/{esu_id}");
        assert_eq!(
            h.api(Method::DELETE, &foreign_uri, Some(&w.foreign.1), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            h.api(Method::DELETE, &uri, Some(&w.lead.1), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            h.api(Method::DELETE, &uri, Some(&w.lead.1), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        let audit = h
            .api(
                Method::GET,
                "/api/v1/audit?org_code=A81001",
                Some(&w.admin.1),
                None,
            )
            .await
            .json();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .filter(|a| a.starts_with("mitigation."))
            .collect();
        assert_eq!(
            actions,
            [
                "mitigation.delete",
                "mitigation.save",
                "mitigation.save",
                "mitigation.save"
            ]
        );
        let feeds = h
            .api(Method::GET, "/api/v1/feeds", Some(&w.member.1), None)
            .await
            .json();
        assert_eq!(feeds["items"][0]["name"], "eol");
        assert_eq!(feeds["items"][0]["data_date"], "2026-11-10");

        // The real endoflife.date products import whole, and Windows 7 is found in them.
        if let Some(dir) = shared_data("data/endoflife/products") {
            let real = palisade_app::estate::as_text(
                palisade_app::estate::read_dir_files(&dir, ".md").unwrap(),
            )
            .unwrap();
            let r = import(&w.admin.1, "application/zip", zip_of(&real)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            assert_eq!(r.json()["items"].as_u64(), Some(real.len() as u64));
            assert!(real.len() >= 400);
            let now = report("2026-11-25", &w.member.1).await.json();
            let pc1 = now["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["asset"] == "PC-1")
                .unwrap();
            assert_eq!(
                (&pc1["cycle"], &pc1["eol"]),
                (&json!("7-sp1"), &json!("2020-01-14"))
            );
        }
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_estate_page_uploads_an_inventory_and_records_mitigations() {
    let h = H::new(TestDb::sqlite().await.unwrap()).await;
    let w = world(&h).await;
    let (lead, csrf) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
    let (analyst, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
    let (auditor, _) = h.sign_in("auditor@x.nhs.uk", PASSWORD).await.unwrap();
    let page = h
        .page(Method::GET, "/organisations/A81001/estate", &lead, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("No inventory uploaded yet."));
    assert!(page.text().contains("Not imported yet"));
    assert!(page.text().contains("No unsupported systems"));
    let org = h
        .page(Method::GET, "/organisations/A81001", &lead, None)
        .await;
    assert!(org.text().contains("/organisations/A81001/estate"));

    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let send = |csv: String| {
        h.send(upload(
            "/organisations/A81001/estate/inventory",
            &lead,
            multipart(Some(&csrf), &csv),
        ))
    };
    let r = send(format!("{header}\nPC-1,toaster,Microsoft,Windows,7,,,no\n")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line 2: asset_type"), "{}", r.text());
    let r = send(format!(
        "{header}\nPC-1,workstation,Microsoft,Windows,7 SP1,,,no\nPC-2,workstation,Microsoft,Windows,11 24H2,,,no\n"
    ))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text()
            .contains("Inventory replaced: 2 components, 2 added and 0 removed")
    );
    let r = h
        .raw(
            Method::PUT,
            "/api/v1/feeds/eol",
            &w.admin.1,
            "application/zip",
            zip_of(&[("windows.md".into(), WINDOWS_EOL.into())]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let page = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-11-25",
            &lead,
            None,
        )
        .await
        .text();
    assert!(
        page.contains("Newest release recorded 2026-11-10"),
        "{page}"
    );
    assert!(
        page.contains("Microsoft Windows 7 SP1") && page.contains("2020-01-14"),
        "{page}"
    );
    assert!(page.contains("Vendor extended support until 2023-01-10"));
    assert!(page.contains("None recorded"));
    let form_uri = "/organisations/A81001/estate/mitigation?asset=PC-1&#38;vendor=Microsoft&#38;product=Windows";
    assert!(page.contains(form_uri), "{page}");
    let form = h
        .page(Method::GET, &form_uri.replace("&#38;", "&"), &lead, None)
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("name=\"asset\" value=\"PC-1\""));

    let post = |body: &str| {
        h.page(
            Method::POST,
            "/organisations/A81001/estate/mitigation",
            &lead,
            Some(format!(
                "csrf_token={csrf}&asset=PC-1&vendor=Microsoft&product=Windows&{body}"
            )),
        )
    };
    let r = post("action=extended_support&until=&evidence=").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("#until") && r.text().contains("#evidence"),
        "{}",
        r.text()
    );
    let r = post("action=isolate&until=&evidence=VLAN+99").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-11-25",
            &lead,
            None,
        )
        .await
        .text();
    assert!(page.contains("Isolate from the network"), "{page}");
    let r = post("action=extended_support&until=2099-12-31&evidence=ESU+2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-11-25",
            &lead,
            None,
        )
        .await
        .text();
    assert!(
        page.contains("1 more system is past the end of support but covered"),
        "{page}"
    );
    assert!(!page.contains("Windows 7 SP1"));

    // The national team reads it without the forms; an auditor does not see it at all.
    let seen = h
        .page(Method::GET, "/organisations/A81001/estate", &analyst, None)
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.text().contains("Upload and replace the inventory"));
    for (who, session, uri) in [
        (
            "analyst",
            &analyst,
            "/organisations/A81001/estate/mitigation?asset=PC-1&product=Windows",
        ),
        ("auditor", &auditor, "/organisations/A81001/estate"),
    ] {
        assert_eq!(
            h.page(Method::GET, uri, session, None).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let bad = h
        .page(
            Method::GET,
            "/organisations/A81001/estate?on=2026-02-30",
            &lead,
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("#on"));
    h.db.cleanup().await;
}

const KEV_JSON: &str = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20",
  "dateReleased": "2026-11-20T17:00:00.000Z", "count": 2, "vulnerabilities": [
  {"cveID": "CVE-2017-0144", "vendorProject": "Microsoft", "product": "SMBv1", "vulnerabilityName": "EternalBlue",
   "dateAdded": "2022-02-10", "shortDescription": "", "requiredAction": "Apply updates.", "dueDate": "2022-08-10",
   "knownRansomwareCampaignUse": "Known", "notes": ""},
  {"cveID": "CVE-2020-0796", "vendorProject": "Microsoft", "product": "Windows", "vulnerabilityName": "SMBGhost",
   "dateAdded": "2022-02-10", "shortDescription": "", "requiredAction": "Apply updates.", "dueDate": "2022-08-10",
   "knownRansomwareCampaignUse": "Unknown", "notes": ""}]}"#;

#[tokio::test]
async fn exposure_follows_alerts_kev_and_every_upload() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let alert = h
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(&w.admin.1),
                Some(high_alert(true)),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
        let log4j =
            |v: &str| format!(",library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@{v},no");
        let upload = |code: &'static str, token: String, csv: String| {
            let h = &h;
            async move {
                let r = h
                    .raw(
                        Method::PUT,
                        &format!("/api/v1/organisations/{code}/inventory"),
                        &token,
                        "text/csv",
                        csv,
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            }
        };
        upload(
            "A81001",
            w.lead.1.clone(),
            format!(
                "{header}\napp-1{}\napp-2{}\nPC-1,workstation,Microsoft,Windows,7 SP1,,,no\n",
                log4j("2.14.1"),
                log4j("2.17.1")
            ),
        )
        .await;
        upload(
            "RX1",
            w.foreign.1.clone(),
            format!("{header}\nweb-1{}\n", log4j("2.0.0")),
        )
        .await;

        let ask = |uri: String, token: String| {
            let h = &h;
            async move { h.api(Method::GET, &uri, Some(&token), None).await }
        };
        let orgs = |r: &Value| -> Vec<(String, Value, Vec<String>)> {
            r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    let assets = o["components"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c["asset"].as_str().unwrap().to_string())
                        .collect();
                    (
                        o["org_code"].as_str().unwrap().to_string(),
                        o["org_name"].clone(),
                        assets,
                    )
                })
                .collect()
        };
        // The alert names CVE-2017-0144 with a Log4j range: only versions inside it count.
        let national = ask(
            "/api/v1/exposure?cve=CVE-2017-0144".into(),
            w.analyst.1.clone(),
        )
        .await
        .json();
        assert_eq!(
            orgs(&national),
            [
                (
                    "A81001".to_string(),
                    json!("Org A81001"),
                    vec!["app-1".to_string()]
                ),
                (
                    "RX1".to_string(),
                    json!("Org RX1"),
                    vec!["web-1".to_string()]
                ),
            ],
            "{national}"
        );
        assert_eq!(national["components"], 2);
        assert_eq!(national["sources"][0]["reference"], alert.as_str());
        assert_eq!(national["kev"], Value::Null, "no catalogue imported yet");
        // An organisation sees only its own, by code.
        let mine = ask(
            "/api/v1/exposure?cve=CVE-2017-0144".into(),
            w.member.1.clone(),
        )
        .await
        .json();
        assert_eq!(
            orgs(&mine),
            [("A81001".to_string(), Value::Null, vec!["app-1".to_string()])]
        );
        assert_eq!(mine["components"], 1);
        let none = ask(
            "/api/v1/exposure?cve=CVE-2017-0144".into(),
            w.auditor.1.clone(),
        )
        .await
        .json();
        assert_eq!(none["meta"]["total"], 0);
        let by_alert = ask(
            format!("/api/v1/alerts/{alert}/exposure"),
            w.admin.1.clone(),
        )
        .await
        .json();
        assert_eq!(by_alert["meta"]["total"], 2);
        assert_eq!(
            ask("/api/v1/alerts/CC-9999/exposure".into(), w.admin.1.clone())
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ask("/api/v1/exposure?cve=MS17-010".into(), w.admin.1.clone())
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        // Each organisation in scope sees what its inventory suggests, on the API and the page.
        let response = ask(
            format!("/api/v1/alerts/{alert}/responses/A81001"),
            w.lead.1.clone(),
        )
        .await
        .json();
        assert_eq!(response["suggestion"]["applies"], true, "{response}");
        let suggested: Vec<&str> = response["suggestion"]["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["asset"].as_str().unwrap())
            .collect();
        assert_eq!(suggested, ["app-1"]);
        let (lead, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
        let page = h
            .page(
                Method::GET,
                &format!("/alerts/{alert}/responses/A81001"),
                &lead,
                None,
            )
            .await
            .text();
        assert!(
            page.contains("Suggested: <strong>it applies</strong>")
                && page.contains("app-1: pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            "{page}"
        );
        // The national team's pages: by CVE and per alert; nobody else's.
        let (analyst, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
        let page = h
            .page(
                Method::GET,
                "/estate/exposure?cve=CVE-2017-0144",
                &analyst,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains("Org A81001") && page.text().contains("app-1: pkg:maven/"),
            "{}",
            page.text()
        );
        let page = h
            .page(
                Method::GET,
                &format!("/alerts/{alert}/exposure"),
                &analyst,
                None,
            )
            .await;
        assert!(
            page.text().contains("2 organisations, 2 components"),
            "{}",
            page.text()
        );
        let bad = h
            .page(Method::GET, "/estate/exposure?cve=MS17-010", &analyst, None)
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text().contains("#cve"));
        assert_eq!(
            h.page(
                Method::GET,
                "/estate/exposure?cve=CVE-2017-0144",
                &lead,
                None
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        // Known exploited vulnerabilities: national admins import the catalogue, once.
        let kev = |token: &str, ct: &'static str, body: &str| {
            let (h, token, body) = (&h, token.to_string(), body.to_string());
            async move {
                h.raw(Method::PUT, "/api/v1/feeds/kev", &token, ct, body)
                    .await
            }
        };
        assert_eq!(
            kev(&w.analyst.1, "application/json", KEV_JSON).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            kev(&w.admin.1, "text/plain", KEV_JSON).await.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let r = kev(
            &w.admin.1,
            "application/json",
            &KEV_JSON.replace("2022-02-10", "Feb 2022"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("vulnerabilities[0].dateAdded"),
            "{}",
            r.text()
        );
        let r = kev(&w.admin.1, "application/json", KEV_JSON).await.json();
        assert_eq!(
            r,
            json!({"feed": "kev", "items": 2, "changed": true, "data_date": "2026-11-20"})
        );
        assert_eq!(
            kev(&w.admin.1, "application/json", KEV_JSON).await.json()["changed"],
            false
        );
        let national = ask(
            "/api/v1/exposure?cve=CVE-2017-0144".into(),
            w.analyst.1.clone(),
        )
        .await
        .json();
        assert_eq!(national["kev"]["ransomware"], true);
        assert_eq!(
            national["sources"].as_array().unwrap().len(),
            1,
            "the alert gives versions, so it alone decides"
        );
        // A catalogue entry no alert covers matches its product by name, every version.
        let smbghost = ask(
            "/api/v1/exposure?cve=CVE-2020-0796".into(),
            w.analyst.1.clone(),
        )
        .await
        .json();
        assert_eq!(smbghost["sources"][0]["kind"], "kev_product");
        assert_eq!(
            orgs(&smbghost),
            [(
                "A81001".to_string(),
                json!("Org A81001"),
                vec!["PC-1".to_string()]
            )]
        );

        // The organisation's own view: what its components match, alerts first, exploited flagged.
        let mine = ask(
            "/api/v1/organisations/A81001/exposure".into(),
            w.member.1.clone(),
        )
        .await
        .json();
        let kinds: Vec<(String, bool, usize)> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["kind"].as_str().unwrap().to_string(),
                    m["known_exploited"].as_bool().unwrap(),
                    m["components"].as_array().unwrap().len(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("alert".to_string(), true, 1),
                ("kev_product".to_string(), true, 1)
            ],
            "{mine}"
        );
        assert_eq!(mine["items"][1]["reference"], "CVE-2020-0796");
        assert_eq!(
            ask(
                "/api/v1/organisations/A81001/exposure".into(),
                w.auditor.1.clone()
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let page = h
            .page(Method::GET, "/organisations/A81001/estate", &lead, None)
            .await
            .text();
        assert!(
            page.contains("known exploited vulnerability CVE-2020-0796")
                && page.contains("Known exploited"),
            "{page}"
        );
        // A new upload is followed: A81001 upgrades Log4j and is no longer exposed.
        upload(
            "A81001",
            w.lead.1.clone(),
            format!("{header}\napp-1{}\n", log4j("2.17.1")),
        )
        .await;
        let national = ask(
            "/api/v1/exposure?cve=CVE-2017-0144".into(),
            w.analyst.1.clone(),
        )
        .await
        .json();
        assert_eq!(orgs(&national).len(), 1);
        assert_eq!(orgs(&national)[0].0, "RX1");
        let smbghost = ask(
            "/api/v1/exposure?cve=CVE-2020-0796".into(),
            w.analyst.1.clone(),
        )
        .await
        .json();
        assert_eq!(smbghost["meta"]["total"], 0, "PC-1 left the inventory");
        let response = ask(
            format!("/api/v1/alerts/{alert}/responses/A81001"),
            w.member.1.clone(),
        )
        .await
        .json();
        assert_eq!(response["suggestion"]["applies"], false, "{response}");
        let page = h
            .page(
                Method::GET,
                &format!("/alerts/{alert}/responses/A81001"),
                &lead,
                None,
            )
            .await
            .text();
        assert!(
            page.contains("Suggested: <strong>it does not apply</strong>"),
            "{page}"
        );
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn sboms_upload_as_inventories_by_content_type() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let put = |ct: &'static str, body: String| {
            let (h, token) = (&h, w.lead.1.clone());
            async move {
                h.raw(
                    Method::PUT,
                    "/api/v1/organisations/A81001/inventory",
                    &token,
                    ct,
                    body,
                )
                .await
            }
        };
        let bom = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
          "metadata": {"component": {"type": "application", "name": "ward-app", "version": "3.1"}},
          "components": [{"type": "library", "name": "log4j-core", "version": "2.14.1",
            "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}"#;
        let r = put("application/vnd.cyclonedx+json", bom.into()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            (&r.json()["format"], &r.json()["components"]),
            (&json!("cyclonedx"), &json!(1))
        );
        let spdx = r#"{"spdxVersion": "SPDX-2.3", "name": "pharmacy-system", "packages": [
          {"name": "django", "versionInfo": "4.2.1", "supplier": "Organization: Django Software Foundation",
           "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/django@4.2.1"}]}]}"#;
        let r = put("application/json", spdx.into()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            (
                &r.json()["format"],
                &r.json()["added"],
                &r.json()["removed"]
            ),
            (&json!("spdx"), &json!(1), &json!(1))
        );
        let listed = h
            .api(
                Method::GET,
                "/api/v1/organisations/A81001/inventory",
                Some(&w.member.1),
                None,
            )
            .await
            .json();
        assert_eq!(listed["items"][0]["asset"], "pharmacy-system");
        assert_eq!(listed["items"][0]["vendor"], "Django Software Foundation");

        // Bad documents name the JSON path and change nothing.
        let r = put(
            "application/vnd.cyclonedx+json",
            bom.replace("pkg:maven", "pkg:nosuch"),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("components[0]."), "{}", r.text());
        let r = put(
            "application/spdx+json",
            "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": [".into(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("line"), "{}", r.text());
        assert_eq!(
            put("application/json", "{\"title\": 1}".into())
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            put("application/xml", "<bom/>".into()).await.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        // A refused caller's document is not read at all.
        let r = h
            .raw(
                Method::PUT,
                "/api/v1/organisations/A81001/inventory",
                &w.analyst.1,
                "application/json",
                "{",
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let listed = h
            .api(
                Method::GET,
                "/api/v1/organisations/A81001/inventory",
                Some(&w.member.1),
                None,
            )
            .await
            .json();
        assert_eq!(listed["meta"]["total"], 1, "the SPDX upload stands");

        // The published CycloneDX examples upload whole: every component, nested ones too.
        if let Some(dir) = shared_data("data/cyclonedx/SBOM") {
            fn count(components: &Value) -> usize {
                components
                    .as_array()
                    .map_or(0, |cs| cs.iter().map(|c| 1 + count(&c["components"])).sum())
            }
            let mut files = Vec::new();
            let mut dirs = vec![dir];
            while let Some(d) = dirs.pop() {
                for e in std::fs::read_dir(d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        dirs.push(p);
                    } else if p.extension().is_some_and(|x| x == "json") {
                        files.push(p);
                    }
                }
            }
            files.sort();
            assert!(files.len() >= 10, "{files:?}");
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap();
                let want = count(&serde_json::from_str::<Value>(&text).unwrap()["components"]);
                let r = put("application/vnd.cyclonedx+json", text).await;
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "{}: {}",
                    f.display(),
                    &r.text()[..r.text().len().min(600)]
                );
                assert_eq!(r.json()["components"], want, "{}", f.display());
            }
        }
        h.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_national_estate_counts_releases_types_and_regions() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let r = h
            .raw(
                Method::PUT,
                "/api/v1/feeds/eol",
                &w.admin.1,
                "application/zip",
                zip_of(&[("windows.md".into(), WINDOWS_EOL.into())]),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
        for (code, token, csv) in [
            (
                "A81001",
                &w.lead.1,
                "PC-1,workstation,Microsoft,Windows,7 SP1,,,no\nPC-2,workstation,Microsoft,Windows,7,,,no\nPC-3,workstation,Microsoft,Windows,XP,,,no\n",
            ),
            (
                "RX1",
                &w.foreign.1,
                "PC-9,workstation,Microsoft,Windows,6.1.7601,,,no\n",
            ),
        ] {
            let r = h
                .raw(
                    Method::PUT,
                    &format!("/api/v1/organisations/{code}/inventory"),
                    token,
                    "text/csv",
                    format!("{header}\n{csv}"),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
        let esu = json!({"asset": "PC-2", "vendor": "Microsoft", "product": "Windows",
            "action": "extended_support", "until": "2099-01-01", "evidence": "ESU"});
        let r = h
            .api(
                Method::POST,
                "/api/v1/organisations/A81001/mitigations",
                Some(&w.lead.1),
                Some(esu),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);

        let get = |uri: &str, token: &str| {
            let (h, uri, token) = (&h, uri.to_string(), token.to_string());
            async move { h.api(Method::GET, &uri, Some(&token), None).await }
        };
        for (who, token) in [
            ("lead", &w.lead.1),
            ("member", &w.member.1),
            ("auditor", &w.auditor.1),
        ] {
            assert_eq!(
                get("/api/v1/estate", token).await.status,
                StatusCode::FORBIDDEN,
                "{who}"
            );
        }
        let e = get("/api/v1/estate", &w.analyst.1).await.json();
        assert_eq!(
            (
                &e["estates"],
                &e["organisations"],
                &e["devices"],
                &e["covered_by_extended_support"]
            ),
            (&json!(2), &json!(2), &json!(3), &json!(1)),
            "{e}"
        );
        let releases: Vec<(String, u64, u64)> = e["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["cycle"].as_str().unwrap().to_string(),
                    r["organisations"].as_u64().unwrap(),
                    r["devices"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            releases,
            [("7-sp1".to_string(), 2, 2), ("5-sp3".to_string(), 1, 1)]
        );
        let types: Vec<&str> = e["by_type"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["group"].as_str().unwrap())
            .collect();
        assert_eq!(types.len(), 2, "{e}");
        assert_eq!(e["trend"].as_array().unwrap().len(), 1, "today is recorded");
        assert_eq!(e["trend"][0]["devices"], 3);
        // Before Windows 7's end only XP counts; filters narrow to one type.
        let then = get("/api/v1/estate?on=2019-06-01", &w.analyst.1)
            .await
            .json();
        assert_eq!(then["devices"], 1);
        let acute = get("/api/v1/estate?org_type=acute_trust", &w.analyst.1)
            .await
            .json();
        assert_eq!(
            (&acute["organisations"], &acute["devices"]),
            (&json!(1), &json!(1))
        );
        assert_eq!(
            get("/api/v1/estate?org_type=castle", &w.analyst.1)
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let drill = get("/api/v1/estate/releases/windows/7-sp1", &w.admin.1)
            .await
            .json();
        let codes: Vec<&str> = drill["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["org_code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["A81001", "RX1"]);
        let csv = get("/api/v1/estate.csv", &w.analyst.1).await.text();
        assert!(
            csv.starts_with(
                "org_code,org_name,org_type,region,lifecycle,release,end_of_support,devices\n"
            ),
            "{csv}"
        );
        assert!(csv.contains("A81001,Org A81001,gp_practice,"), "{csv}");
        assert_eq!(csv.lines().count(), 4, "{csv}");

        let (analyst, _) = h.sign_in("analyst@x.nhs.uk", PASSWORD).await.unwrap();
        let page = h.page(Method::GET, "/estate", &analyst, None).await;
        assert_eq!(page.status, StatusCode::OK);
        let text = page.text();
        assert!(
            text.contains("run <strong>3</strong> systems past their end of support"),
            "{text}"
        );
        assert!(
            text.contains("/estate/releases/windows/7-sp1?on="),
            "{text}"
        );
        assert!(
            text.contains("Product lifecycles (endoflife.date)") && text.contains("2026-11-10"),
            "{text}"
        );
        let release = h
            .page(
                Method::GET,
                "/estate/releases/windows/7-sp1",
                &analyst,
                None,
            )
            .await;
        assert!(
            release.text().contains("Microsoft Windows 7 SP1")
                && release.text().contains("/organisations/RX1/estate")
        );
        let (lead, _) = h.sign_in("lead@x.nhs.uk", PASSWORD).await.unwrap();
        assert_eq!(
            h.page(Method::GET, "/estate", &lead, None).await.status,
            StatusCode::FORBIDDEN
        );
        h.db.cleanup().await;
    }
}

const OSV_LOG4J: &str = r#"{"schema_version": "1.6.0", "id": "GHSA-jfh8-c2jp-5v3q", "modified": "2025-01-10T12:00:00Z",
  "summary": "Remote code injection in Log4j", "aliases": ["CVE-2021-44228"],
  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}"#;
const OSV_DJANGO: &str = r#"{"id": "PYSEC-2023-0001", "aliases": ["CVE-2023-0001"], "summary": "Django",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "Django"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "4.0"}, {"fixed": "4.2.2"}]}]}]}"#;

#[tokio::test]
async fn osv_and_csaf_advisories_feed_the_exposure() {
    for db in TestDb::all().await {
        let h = H::new(db).await;
        let w = world(&h).await;
        let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
        let csv = format!(
            "{header}\napp-1,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,no\n\
             app-2,library,,,,,pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1,no\n\
             web-1,library,,,,,pkg:pypi/django@4.2.1,no\n"
        );
        let r = h
            .raw(
                Method::PUT,
                "/api/v1/organisations/A81001/inventory",
                &w.lead.1,
                "text/csv",
                csv,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let put = |uri: &'static str, token: &str, ct: &'static str, body: Vec<u8>| {
            let (h, token) = (&h, token.to_string());
            async move { h.raw(Method::PUT, uri, &token, ct, body).await }
        };
        assert_eq!(
            put(
                "/api/v1/feeds/osv",
                &w.member.1,
                "application/json",
                OSV_LOG4J.into()
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let r = put(
            "/api/v1/feeds/osv",
            &w.admin.1,
            "application/json",
            OSV_LOG4J.into(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            (&r.json()["read"], &r.json()["changed"]),
            (&json!(1), &json!(1))
        );
        let again = put(
            "/api/v1/feeds/osv",
            &w.admin.1,
            "application/json",
            OSV_LOG4J.into(),
        )
        .await;
        assert_eq!(
            again.json()["changed"],
            0,
            "the same record again changes nothing"
        );
        let both = zip_of(&[
            ("a.json".into(), OSV_LOG4J.into()),
            ("b.json".into(), OSV_DJANGO.into()),
        ]);
        let r = put("/api/v1/feeds/osv", &w.admin.1, "application/zip", both).await;
        assert_eq!(
            (&r.json()["read"], &r.json()["changed"]),
            (&json!(2), &json!(1)),
            "{}",
            r.text()
        );
        let bad = zip_of(&[("bad.json".into(), "{\"id\": \"X\", \"affected\": [".into())]);
        let r = put("/api/v1/feeds/osv", &w.admin.1, "application/zip", bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("bad.json"), "{}", r.text());
        let feeds = h
            .api(Method::GET, "/api/v1/feeds", Some(&w.member.1), None)
            .await
            .json();
        let osv = feeds["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "osv")
            .unwrap()
            .clone();
        assert_eq!(
            (&osv["items"], &osv["data_date"]),
            (&json!(2), &json!("2025-01-10"))
        );

        // The advisory's range decides: 2.14.1 is inside it, 2.12.1 is not.
        let e = h
            .api(
                Method::GET,
                "/api/v1/exposure?cve=CVE-2021-44228",
                Some(&w.analyst.1),
                None,
            )
            .await
            .json();
        assert_eq!(e["sources"][0]["kind"], "osv", "{e}");
        assert_eq!(e["sources"][0]["reference"], "GHSA-jfh8-c2jp-5v3q");
        let assets: Vec<&str> = e["items"][0]["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["asset"].as_str().unwrap())
            .collect();
        assert_eq!(assets, ["app-1"]);
        let e = h
            .api(
                Method::GET,
                "/api/v1/exposure?cve=CVE-2023-0001",
                Some(&w.analyst.1),
                None,
            )
            .await
            .json();
        assert_eq!(e["components"], 1, "{e}");

        // CSAF advisories are kept for matching too, without drafting alerts.
        if let Some(dir) = shared_data("data/csaf-2.0/examples/csaf") {
            let files = palisade_app::estate::read_dir_files(&dir, ".json").unwrap();
            let r = put(
                "/api/v1/feeds/csaf",
                &w.admin.1,
                "application/zip",
                zip_of(&palisade_app::estate::as_text(files.clone()).unwrap()),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            assert_eq!(r.json()["read"].as_u64(), Some(files.len() as u64));
            let alerts = h
                .api(Method::GET, "/api/v1/alerts", Some(&w.admin.1), None)
                .await
                .json();
            assert_eq!(alerts["meta"]["total"], 0, "no alert is drafted");
        }
        h.db.cleanup().await;
    }
}
