//! The harness shared by every module: a server on a fresh database ([`H`]), its answers
//! ([`Resp`]), the organisations and people of the matrix ([`world`]), request builders, and
//! [`per_engine!`], which runs a scenario once on each database engine as separately named tests.

pub use axum::Router;
pub use axum::body::Body;
pub use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
pub use palisade_app::{Actor, App, AuthSettings};
pub use palisade_domain::clock::{ManualClock, from_unix};
use palisade_domain::org::OrgInput;
pub use palisade_domain::people::{ContactInput, Role};
pub use palisade_store::testkit::TestDb;
pub use palisade_web::{AppState, WebConfig};
pub use serde_json::{Value, json};
pub use std::sync::Arc;
use tower::ServiceExt;

/// Runs `scenario`, an `async fn(H)`, as two tests: `sqlite` on a fresh SQLite database, and
/// `postgres` on a fresh PostgreSQL database, which returns early (saying so on stderr) when
/// `PALISADE_TEST_POSTGRES_URL` names no server. The names are spelt out, as `macro_rules!`
/// cannot join identifiers; by convention they are the scenario's with `_sqlite` and
/// `_postgres`, which the tests check. A failure on one engine no longer hides the other's result;
/// each database is dropped when its test ends, passing or not.
macro_rules! per_engine {
    ($scenario:ident, $sqlite:ident, $postgres:ident $(,)?) => {
        #[tokio::test]
        async fn $sqlite() {
            assert_eq!(
                stringify!($sqlite),
                concat!(stringify!($scenario), "_sqlite")
            );
            let db = $crate::support::TestDb::sqlite()
                .await
                .expect("sqlite test database");
            $scenario($crate::support::H::new(db).await).await;
        }

        #[tokio::test]
        async fn $postgres() {
            assert_eq!(
                stringify!($postgres),
                concat!(stringify!($scenario), "_postgres")
            );
            let Some(db) = $crate::support::TestDb::postgres()
                .await
                .expect("postgres test database")
            else {
                eprintln!(
                    "{}: {} is not set, so the PostgreSQL run is skipped",
                    stringify!($postgres),
                    palisade_store::testkit::POSTGRES_ENV
                );
                return;
            };
            $scenario($crate::support::H::new(db).await).await;
        }
    };
}
pub(crate) use per_engine;

pub const PASSWORD: &str = "correct horse battery staple";
/// The largest evidence document the test server accepts (small, to test the limit).
pub const TEST_EVIDENCE_LIMIT: usize = 64 * 1024;

/// A server on a fresh database, driven in-process through its router.
pub struct H {
    pub db: TestDb,
    pub app: App,
    pub router: Router,
    pub clock: Arc<ManualClock>,
    // Last: the evidence folder goes once the server that writes to it has.
    _evidence: TempDir,
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn cookie(&self, name: &str) -> Option<String> {
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
    pub async fn new(db: TestDb) -> Self {
        let evidence = std::env::temp_dir().join(format!(
            "palisade-test-evidence-{}",
            palisade_app::auth::random_hex(8)
        ));
        let objects = palisade_objects::Storage::local(&evidence)
            .unwrap()
            .into_objects(TEST_EVIDENCE_LIMIT);
        Self::with_objects(db, objects, evidence).await
    }

    /// A server keeping evidence in `objects` (`dir` is removed afterwards, if it exists).
    pub async fn with_objects(
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
        Self {
            db,
            router: Self::router_of(&app),
            app,
            clock,
            _evidence: TempDir(evidence),
        }
    }

    fn router_of(app: &App) -> Router {
        palisade_web::router(AppState::new(
            app.clone(),
            WebConfig {
                cookie_secure: false,
                // In-process requests share one client; the limits have their own tests.
                rate_limits: None,
                ..Default::default()
            },
        ))
    }

    /// The same server with a setting of its app changed.
    pub fn with_app(mut self, change: impl FnOnce(&mut App)) -> Self {
        change(&mut self.app);
        self.router = Self::router_of(&self.app);
        self
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
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

    pub async fn api(
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

    /// A request with a bearer token and a body of any content type.
    pub async fn raw(
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

    /// Replaces `code`'s inventory through the API as `token` with a file of `content_type`.
    pub async fn put_inventory(
        &self,
        code: &str,
        token: &str,
        content_type: &str,
        body: String,
    ) -> Resp {
        let uri = format!("/api/v1/organisations/{code}/inventory");
        self.raw(Method::PUT, &uri, token, content_type, body).await
    }

    /// Replaces `code`'s inventory with CSV `rows` (the header added) as `token`, which must
    /// succeed.
    pub async fn put_inventory_rows(&self, code: &str, token: &str, rows: &str) {
        let csv =
            format!("asset,asset_type,vendor,product,version,cpe,purl,internet_facing\n{rows}");
        let r = self.put_inventory(code, token, "text/csv", csv).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }

    /// Imports a JSON feed (`kev`, `osv`, ...) as `token`, which must succeed.
    pub async fn import_json_feed(&self, feed: &str, token: &str, body: String) {
        let uri = format!("/api/v1/feeds/{feed}");
        let r = self
            .raw(Method::PUT, &uri, token, "application/json", body)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }

    /// `code`'s current inventory (its first page) as `token` reads it through the API.
    pub async fn inventory_of(&self, code: &str, token: &str) -> Value {
        let uri = format!("/api/v1/organisations/{code}/inventory");
        self.api(Method::GET, &uri, Some(token), None).await.json()
    }

    /// Creates an alert through the API as `token` (201 expected); returns its reference.
    /// Alert contacts for `code`: (name, email, mobile, channels) each.
    pub async fn alert_contacts(&self, code: &str, contacts: &[(&str, &str, &str, &str)]) {
        for (name, email, mobile, channels) in contacts {
            let c = palisade_domain::people::ContactInput {
                name: (*name).into(),
                role: "alert_contact".into(),
                email: (*email).into(),
                mobile: (*mobile).into(),
                alert_channels: (*channels).into(),
                reminders: String::new(),
            };
            self.app
                .create_contact(&Actor::cli(), code, &c)
                .await
                .unwrap();
        }
    }

    /// Imports a framework file (YAML) as `token`.
    pub async fn import_framework(&self, token: &str, yaml: &str) -> Resp {
        self.raw(
            Method::POST,
            "/api/v1/frameworks",
            token,
            "application/yaml",
            yaml.to_string(),
        )
        .await
    }

    /// Imports the shipped 2026-27 frameworks (ten-standard and CAF-aligned) as `token`.
    pub async fn import_frameworks(&self, token: &str) {
        for file in [TEN_STANDARD, CAF] {
            let r = self.import_framework(token, file).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }
    }

    pub async fn create_alert(&self, token: &str, body: Value) -> String {
        let r = self
            .api(Method::POST, "/api/v1/alerts", Some(token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_string()
    }

    pub async fn org(&self, code: &str, t: &str, parent: &str) {
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

    /// Makes the organisation active or inactive, as the register's keeper would.
    pub async fn set_active(&self, code: &str, active: bool) {
        let patch = palisade_app::orgs::OrgPatch {
            active: Some(active),
            ..Default::default()
        };
        self.app
            .update_org(&Actor::cli(), code, &patch)
            .await
            .unwrap();
    }

    /// Puts the organisation under another, as the register's keeper would.
    pub async fn set_parent(&self, code: &str, parent: &str) {
        let patch = palisade_app::orgs::OrgPatch {
            parent_code: Some(Some(parent.into())),
            ..Default::default()
        };
        self.app
            .update_org(&Actor::cli(), code, &patch)
            .await
            .unwrap();
    }

    pub async fn contact(&self, code: &str) -> i64 {
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
    pub async fn person(&self, email: &str, role: Role, org: Option<&str>) -> (i64, String) {
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
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<(String, String), Resp> {
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

    pub async fn page(
        &self,
        method: Method,
        uri: &str,
        session: &str,
        form: Option<String>,
    ) -> Resp {
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

pub fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let i = html.find(marker).expect("page has a form token") + marker.len();
    html[i..i + 64].to_string()
}

/// The organisations of the matrix: an ICB (QAA) with a practice beneath (A81001), and an
/// unrelated trust (RX1).
pub async fn world(h: &H) -> World {
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

pub struct World {
    pub c_rx1: i64,
    pub c_child: i64,
    pub admin: (i64, String),
    pub analyst: (i64, String),
    pub lead: (i64, String),
    pub member: (i64, String),
    pub auditor: (i64, String),
    pub foreign: (i64, String),
}

impl World {
    /// Tokens in the matrix's column order.
    pub fn tokens(&self) -> [(&'static str, &str); 6] {
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

/// A multipart form post from a signed-in page: (content type, body) as `multipart` makes them.
pub fn upload(uri: &str, session: &str, (ct, body): (String, String)) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, format!("palisade_session={session}"))
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap()
}

pub fn multipart(csrf: Option<&str>, csv: &str) -> (String, String) {
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

pub const TEN_STANDARD: &str = include_str!("../../../../frameworks/dspt-ten-standard-2026.yaml");
pub const CAF: &str = include_str!("../../../../frameworks/dspt-caf-2026.yaml");

pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

/// A multipart evidence upload: the form token (pages only), the item, then the file.
pub fn evidence_form(
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

/// The national figures for 2026 (JSON), as `who` reads them.
pub async fn national_2026(h: &H, who: &str) -> Value {
    h.api(
        Method::GET,
        "/api/v1/reports/national?year=2026",
        Some(who),
        None,
    )
    .await
    .json()
}

pub async fn put_json(h: &H, url: &str, token: &str, body: Value) -> Resp {
    h.api(Method::PUT, url, Some(token), Some(body)).await
}

pub fn high_alert(publish: bool) -> Value {
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

/// `/metrics` of a server over `app` whose `metrics_token` is `scrape-token`, as a scraper
/// sending `token`: the status and the text.
pub async fn scrape_metrics(app: &App, token: Option<&str>) -> (StatusCode, String) {
    let scraper = palisade_web::router(AppState::new(
        app.clone(),
        WebConfig {
            cookie_secure: false,
            rate_limits: None,
            metrics_token: Some(palisade_web::Secret("scrape-token".into())),
            ..Default::default()
        },
    ));
    let mut b = Request::get("/metrics");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = scraper
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// A GET with no credentials at all, as the world reads the feeds.
/// An incident report graded likely x serious with personal data and a service affected: the
/// regulator must hear, and NIS applies to a category 1 organisation. Before the test clock.
pub fn incident_body(notify: bool) -> Value {
    json!({
        "title": "Ransomware on the imaging server",
        "description": "Files on the PACS server were encrypted overnight.",
        "kind": "ransomware",
        "started_at": "2025-06-14T22:00:00Z",
        "aware_at": "2025-06-15T07:00:00Z",
        "cia": ["availability", "confidentiality"],
        "personal_data": true,
        "likelihood": "likely",
        "impact": "serious",
        "systems": ["PACS"],
        "notify": notify
    })
}

impl H {
    /// The actions of the newest 200 audit entries, newest first, as `token` reads the log.
    pub async fn audit_actions(&self, token: &str) -> Vec<String> {
        let log = self
            .api(Method::GET, "/api/v1/audit?per_page=200", Some(token), None)
            .await
            .json();
        log["items"]
            .as_array()
            .expect("an audit list")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The summary of the newest audit entry with `action`, as `token` reads the log.
    pub async fn audit_summary(&self, token: &str, action: &str) -> Value {
        let log = self
            .api(Method::GET, "/api/v1/audit?per_page=200", Some(token), None)
            .await
            .json();
        log["items"]
            .as_array()
            .expect("an audit list")
            .iter()
            .find(|e| e["action"] == action)
            .unwrap_or_else(|| panic!("no {action} in the audit log"))["summary"]
            .clone()
    }

    /// Reports `body` for `code` as `token`, returning the incident's reference.
    pub async fn incident(&self, code: &str, token: &str, body: Value) -> String {
        let uri = format!("/api/v1/organisations/{code}/incidents");
        let r = self.api(Method::POST, &uri, Some(token), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["reference"].as_str().unwrap().to_string()
    }
}

pub async fn anonymous(h: &H, uri: &str) -> Resp {
    h.api(Method::GET, uri, None, None).await
}

/// A folder of the public data kept beside the repository (`PALISADE_SHARED`, or `../shared`),
/// as in CI; without it a test says so and passes, except under CI.
pub fn shared_data(sub: &str) -> Option<std::path::PathBuf> {
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

/// A ZIP archive of `(name, text)` files, stored uncompressed.
pub fn zip_of(files: &[(String, String)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        w.start_file(format!("products/{name}"), opts).unwrap();
        std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A product lifecycle file of endoflife.date, for Windows.
pub const WINDOWS_EOL: &str = "---\ntitle: Microsoft Windows\nidentifiers:\n  - cpe: cpe:2.3:o:microsoft:windows\nreleases:\n  - releaseCycle: \"11-24h2-w\"\n    releaseLabel: \"11 24H2 (W)\"\n    latestReleaseDate: 2026-11-10\n    eol: 2026-10-13\n  - releaseCycle: \"10-22h2\"\n    releaseLabel: \"10 22H2\"\n    eol: 2025-10-14\n    eoes: 2026-10-13\n  - releaseCycle: \"7-sp1\"\n    releaseLabel: \"7 SP1\"\n    eol: 2020-01-14\n    eoes: 2023-01-10\n    latest: 6.1.7601\n  - releaseCycle: \"5-sp3\"\n    releaseLabel: \"XP SP3\"\n    eol: true\n---\n";

/// A CISA catalogue of known exploited vulnerabilities, of two entries.
pub const KEV_JSON: &str = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.20",
  "dateReleased": "2026-11-20T17:00:00.000Z", "count": 2, "vulnerabilities": [
  {"cveID": "CVE-2017-0144", "vendorProject": "Microsoft", "product": "SMBv1", "vulnerabilityName": "EternalBlue",
   "dateAdded": "2022-02-10", "shortDescription": "", "requiredAction": "Apply updates.", "dueDate": "2022-08-10",
   "knownRansomwareCampaignUse": "Known", "notes": ""},
  {"cveID": "CVE-2020-0796", "vendorProject": "Microsoft", "product": "Windows", "vulnerabilityName": "SMBGhost",
   "dateAdded": "2022-02-10", "shortDescription": "", "requiredAction": "Apply updates.", "dueDate": "2022-08-10",
   "knownRansomwareCampaignUse": "Unknown", "notes": ""}]}"#;

/// An OSV record of a Log4j advisory.
pub const OSV_LOG4J: &str = r#"{"schema_version": "1.6.0", "id": "GHSA-jfh8-c2jp-5v3q", "modified": "2025-01-10T12:00:00Z",
  "summary": "Remote code injection in Log4j", "aliases": ["CVE-2021-44228"],
  "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}"#;

/// A small CSAF 2.0 security advisory of our own (the published examples are in the shared data).
pub fn example_csaf() -> Value {
    json!({
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
}
