//! The cross-tenant matrix over every API route: each row one request, each column a role.
//!
//! The rows (in `rows`) name their route as the OpenAPI document does, and every operation the
//! document lists under `/api/` must have a row, or be in [`EXEMPT`] with its reason, so that a
//! new route cannot go unchecked.

mod charter_rows;
mod rows;

use crate::support::*;
use std::collections::BTreeSet;

/// Routes under `/api/` that have no row, and why: they answer without signing in, so there is
/// nothing per role to compare. The test checks that each is still in the document, and that
/// it does answer without credentials.
const EXEMPT: [(&str, &str, &str); 5] = [
    (
        "GET",
        "/api/v1/public/organisations",
        "public: published statuses, no sign-in",
    ),
    (
        "GET",
        "/api/v1/public/organisations.csv",
        "public: published statuses as CSV, no sign-in",
    ),
    (
        "GET",
        "/api/v1/public/organisations.xlsx",
        "public: published statuses as a spreadsheet, no sign-in",
    ),
    (
        "GET",
        "/api/v1/public/charter-signatories",
        "public: suppliers whose charter signature is in force, no sign-in",
    ),
    (
        "GET",
        "/api/v1/public/charter-signatories.csv",
        "public: the charter's signatories as CSV, no sign-in",
    ),
];

/// What a row sends.
enum Sent {
    Nothing,
    Json(Value),
    /// A body of another content type (CSV, YAML, a ZIP, a multipart form).
    Raw(String, Vec<u8>),
}

/// One request, made as each role in turn.
struct Row {
    method: Method,
    /// The path as the OpenAPI document names it, e.g. `/api/v1/organisations/{code}`.
    route: &'static str,
    uri: String,
    sent: Sent,
    /// The status each column gets: admin, analyst, lead, member, auditor, foreign.
    expect: [u16; 6],
}

/// A row for `route`, its `{parameters}` filled with `args` in order.
fn row(method: Method, route: &'static str, args: &[&str], expect: [u16; 6]) -> Row {
    let mut args = args.iter();
    let uri = route
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                *args
                    .next()
                    .unwrap_or_else(|| panic!("{route}: no value for {segment}"))
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    assert!(
        args.next().is_none(),
        "{route}: more values than parameters"
    );
    Row {
        method,
        route,
        uri,
        sent: Sent::Nothing,
        expect,
    }
}

impl Row {
    fn query(mut self, query: &str) -> Self {
        self.uri = format!("{}?{query}", self.uri);
        self
    }

    fn json(mut self, body: Value) -> Self {
        self.sent = Sent::Json(body);
        self
    }

    fn raw(mut self, content_type: &str, body: impl AsRef<[u8]>) -> Self {
        self.sent = Sent::Raw(content_type.to_string(), body.as_ref().to_vec());
        self
    }
}

/// Every (method, path) of the OpenAPI document.
fn documented_operations() -> BTreeSet<(String, String)> {
    let doc = palisade_web::openapi();
    let mut out = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("OPTIONS", &item.options),
            ("HEAD", &item.head),
            ("PATCH", &item.patch),
            ("TRACE", &item.trace),
            ("QUERY", &item.query),
        ];
        for (method, operation) in operations {
            if operation.is_some() {
                out.insert((method.to_string(), path.clone()));
            }
        }
        for method in item.additional_operations.keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// Every documented operation under `/api/` has a row or an exemption; every row and exemption
/// is a documented operation.
fn check_against_the_document(rows: &[Row]) {
    let documented = documented_operations();
    let in_rows: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    let exempt: BTreeSet<(String, String)> = EXEMPT
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<String> = documented
        .iter()
        .filter(|(_, path)| path.starts_with("/api/"))
        .filter(|op| !in_rows.contains(*op) && !exempt.contains(*op))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes in the OpenAPI document with no row in the matrix (add one, or an exemption \
         with its reason):\n  {}",
        missing.join("\n  ")
    );
    let unknown: Vec<String> = in_rows
        .iter()
        .chain(&exempt)
        .filter(|op| !documented.contains(*op))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        unknown.is_empty(),
        "rows or exemptions for routes the OpenAPI document does not have:\n  {}",
        unknown.join("\n  ")
    );
    let both: Vec<_> = in_rows.intersection(&exempt).collect();
    assert!(both.is_empty(), "exempt, yet with rows: {both:?}");
}

/// The query parameters the OpenAPI document gives an operation.
fn documented_parameters(method: &Method, path: &str) -> Vec<String> {
    let doc = palisade_web::openapi();
    let Some(item) = doc.paths.paths.get(path) else {
        return Vec::new();
    };
    let op = match *method {
        Method::GET => &item.get,
        Method::POST => &item.post,
        Method::PUT => &item.put,
        Method::DELETE => &item.delete,
        _ => &None,
    };
    op.as_ref()
        .and_then(|o| o.parameters.as_ref())
        .map(|ps| {
            ps.iter()
                .filter_map(|p| match p {
                    utoipa::openapi::RefOr::T(p) => Some(p.name.clone()),
                    utoipa::openapi::RefOr::Ref(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The contracts every route keeps, walked over the rows as the first role a row admits: a JSON
/// body with a field the route does not read is 422 naming it, and a list refuses a page out of
/// range with 422 naming the parameter (never a different page from the one asked for).
async fn contracts_hold_on_every_route(h: &H, f: &Fixtures, rows: &[Row]) {
    let tokens = f.w.tokens();
    let mut wrong = Vec::new();
    let mut walked = (0, 0);
    for r in rows {
        let Some(i) = r.expect.iter().position(|s| (200..300).contains(s)) else {
            continue;
        };
        let (who, token) = &tokens[i];
        if let Sent::Json(Value::Object(body)) = &r.sent {
            walked.0 += 1;
            let mut body = body.clone();
            body.insert("colour".into(), json!("red"));
            let res = h
                .api(
                    r.method.clone(),
                    &r.uri,
                    Some(token),
                    Some(Value::Object(body)),
                )
                .await;
            let e = res.json();
            if res.status != StatusCode::UNPROCESSABLE_ENTITY || e["error"]["field"] != "colour" {
                wrong.push(format!(
                    "{} {} as {who} with an unknown field: {} {}",
                    r.method,
                    r.uri,
                    res.status,
                    res.text()
                ));
            }
        }
        let params = documented_parameters(&r.method, r.route);
        if r.method == Method::GET && params.iter().any(|p| p == "per_page") {
            walked.1 += 1;
            let sep = if r.uri.contains('?') { '&' } else { '?' };
            for (query, field) in [
                ("per_page=0", "per_page"),
                ("per_page=201", "per_page"),
                ("page=0", "page"),
            ] {
                let uri = format!("{}{sep}{query}", r.uri);
                let res = h.api(Method::GET, &uri, Some(token), None).await;
                let e = res.json();
                if res.status != StatusCode::UNPROCESSABLE_ENTITY || e["error"]["field"] != field {
                    wrong.push(format!("GET {uri} as {who}: {} {}", res.status, res.text()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        walked.0 >= 20 && walked.1 >= 10,
        "the walk reached too few routes: {walked:?}"
    );
}

/// What the rows refer to, made before the first row runs.
struct Fixtures {
    w: World,
    /// Published, to every practice and trust: A81001 and RX1 respond.
    alert: String,
    /// Published, to A81001 and RX1 by name: answered in bulk.
    alert2: String,
    /// Never published.
    draft: String,
    ten_id: i64,
    /// An item the practice answers with a document.
    document_ref: String,
    /// A document the practice uploaded.
    evidence: i64,
    /// The ICB's needed items, once its assessment was submitted.
    plan_refs: Vec<String>,
    upload_a81001: i64,
    upload_rx1: i64,
    /// A mitigation the practice recorded.
    mitigation: i64,
    /// A second token of the lead's, which the lead revokes.
    lead_spare_token: i64,
    lead_spare_token_text: String,
    /// The ICB's notified incident, its draft, and the trust's notified incident.
    incident: String,
    incident_draft: String,
    incident_rx1: String,
    /// A task of the supplier-compromise playbook applied to the ICB's incident.
    task: String,
}

async fn fixtures(h: &H) -> Fixtures {
    let w = world(h).await;
    // An IT supplier beneath the ICB, and the charter it signs.
    h.org("YGM01", "it_supplier", "QAA").await;
    assert!(h.app.install_shipped_charter().await.unwrap());
    let admin = w.admin.1.clone();
    let ok = |r: Resp, what: &str| {
        assert!(r.status.is_success(), "{what}: {} {}", r.status, r.text());
        r.json()
    };
    // Product 1 of the supplier, listed by the ICB's lead (the supplier is beneath it).
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/YGM01/products",
            Some(&w.lead.1),
            Some(json!({"name": "CareRecord", "versions": ["4.1", "4.2"]})),
        )
        .await;
    assert_eq!(ok(r, "the product")["id"], 1);
    let alert_id = |v: Value| v["id"].as_str().unwrap().to_string();
    let published = h
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&admin),
            Some(high_alert(true)),
        )
        .await;
    let alert = alert_id(ok(published, "the alert"));
    let mut second = high_alert(true);
    second["audience"] = json!({"codes": ["A81001", "RX1"]});
    let r = h
        .api(Method::POST, "/api/v1/alerts", Some(&admin), Some(second))
        .await;
    let alert2 = alert_id(ok(r, "the second alert"));
    let r = h
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&admin),
            Some(high_alert(false)),
        )
        .await;
    let draft = alert_id(ok(r, "the draft"));

    let mut ten_id = 0;
    for yaml in [TEN_STANDARD, CAF] {
        let r = h.import_framework(&admin, yaml).await;
        let id = ok(r, "a framework")["framework"]["id"].as_i64().unwrap();
        if yaml == TEN_STANDARD {
            ten_id = id;
        }
    }
    let ten = h
        .api(
            Method::GET,
            &format!("/api/v1/frameworks/{ten_id}"),
            Some(&admin),
            None,
        )
        .await
        .json();
    let document_ref = ten["standards"]
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
    let (ct, body) = evidence_form(None, &document_ref, "policy.pdf", PDF);
    let gp = "/api/v1/organisations/A81001/assessments/2026";
    let r = h
        .raw(
            Method::POST,
            &format!("{gp}/evidence"),
            &w.member.1,
            &ct,
            body,
        )
        .await;
    let evidence = ok(r, "a document")["id"].as_i64().unwrap();

    // The ICB answers, names its SIRO (who signs plans off) and submits.
    h.contact("QAA").await;
    let icb = "/api/v1/organisations/QAA/assessments/2026";
    let answers = json!({"answers": [{"ref": "A1.a.6", "value": true}]});
    let r = h
        .api(
            Method::PUT,
            &format!("{icb}/answers"),
            Some(&w.member.1),
            Some(answers),
        )
        .await;
    ok(r, "the ICB's answers");
    let r = h
        .api(
            Method::POST,
            &format!("{icb}/submit"),
            Some(&w.lead.1),
            None,
        )
        .await;
    ok(r, "the ICB's submission");
    let r = h
        .api(Method::GET, &format!("{icb}/plan"), Some(&w.lead.1), None)
        .await;
    let plan_refs: Vec<String> = ok(r, "the ICB's plan")["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ref"].as_str().unwrap().to_string())
        .collect();
    assert!(!plan_refs.is_empty(), "the ICB has something to plan");

    let header = "asset,asset_type,vendor,product,version,cpe,purl,internet_facing";
    let mut uploads = Vec::new();
    for (code, token) in [("A81001", &w.lead.1), ("RX1", &w.foreign.1)] {
        let csv = format!("{header}\nPC-2,workstation,Microsoft,Windows,7 SP1,,,no\n");
        let uri = format!("/api/v1/organisations/{code}/inventory");
        let r = h.raw(Method::PUT, &uri, token, "text/csv", csv).await;
        uploads.push(ok(r, "an inventory")["id"].as_i64().unwrap());
    }
    let isolate = json!({"asset": "PC-2", "vendor": "Microsoft", "product": "Windows",
        "action": "isolate", "evidence": "VLAN 99"});
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/A81001/mitigations",
            Some(&w.lead.1),
            Some(isolate),
        )
        .await;
    let mitigation = ok(r, "a mitigation")["id"].as_i64().unwrap();
    let (spare, lead_spare_token_text) = h
        .app
        .create_token_for(&Actor::cli(), w.lead.0, "revoked in the matrix")
        .await
        .unwrap();
    let incident = h.incident("QAA", &w.lead.1, incident_body(true)).await;
    let incident_draft = h.incident("QAA", &w.member.1, incident_body(false)).await;
    let incident_rx1 = h.incident("RX1", &w.foreign.1, incident_body(true)).await;
    h.app.install_shipped_playbooks().await.unwrap();
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/incidents/{incident}/playbooks"),
            Some(&admin),
            Some(json!({"key": "supplier-compromise"})),
        )
        .await;
    let task = ok(r, "a playbook's tasks")[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    Fixtures {
        w,
        task,
        incident,
        incident_draft,
        incident_rx1,
        alert,
        alert2,
        draft,
        ten_id,
        document_ref,
        evidence,
        plan_refs,
        upload_a81001: uploads[0],
        upload_rx1: uploads[1],
        mitigation,
        lead_spare_token: spare.id,
        lead_spare_token_text,
    }
}

per_engine!(
    cross_tenant_matrix_over_every_api_route,
    cross_tenant_matrix_over_every_api_route_sqlite,
    cross_tenant_matrix_over_every_api_route_postgres
);

async fn cross_tenant_matrix_over_every_api_route(h: H) {
    let f = fixtures(&h).await;
    let rows = rows::rows(&f);
    check_against_the_document(&rows);
    for (method, path, _) in EXEMPT {
        assert_eq!(method, "GET");
        let r = h
            .api(Method::GET, &format!("{path}?year=2026"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path} without signing in");
    }

    // Every row as every role, in order; every mismatch is reported, not just the first.
    let mut wrong = Vec::new();
    for r in &rows {
        for (i, (who, token)) in f.w.tokens().iter().enumerate() {
            let res = match &r.sent {
                Sent::Nothing => h.api(r.method.clone(), &r.uri, Some(token), None).await,
                Sent::Json(body) => {
                    h.api(r.method.clone(), &r.uri, Some(token), Some(body.clone()))
                        .await
                }
                Sent::Raw(ct, body) => h.raw(r.method.clone(), &r.uri, token, ct, body).await,
            };
            let exp = r.expect[i];
            if res.status.as_u16() != exp {
                let text: String = res.text().chars().take(300).collect();
                wrong.push(format!(
                    "{:?}: {} {} ({}) as {who}: expected {exp}, got {} {text}",
                    h.db.engine(),
                    r.method,
                    r.uri,
                    r.route,
                    res.status,
                ));
            }
            if res.status.is_client_error() && res.status != StatusCode::CONFLICT {
                let e = res.json();
                if !(e["error"]["code"].is_string() && e["error"]["message"].is_string()) {
                    wrong.push(format!(
                        "{} {} as {who}: no error envelope: {}",
                        r.method,
                        r.uri,
                        res.text()
                    ));
                }
                if res.text().contains("+4477") {
                    wrong.push(format!(
                        "{} {} as {who}: personal data in an error",
                        r.method, r.uri
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    contracts_hold_on_every_route(&h, &f, &rows).await;
    let w = &f.w;

    // An alert's reach (the organisations it names, how many respond) is for national roles:
    // an organisation in scope reads the content, never who else was told or how many answered.
    for (i, (who, token)) in w.tokens().iter().enumerate() {
        let national = i < 2;
        let one = h
            .api(
                Method::GET,
                &format!("/api/v1/alerts/{}", f.alert2),
                Some(token),
                None,
            )
            .await
            .json();
        let listed = h
            .api(Method::GET, "/api/v1/alerts", Some(token), None)
            .await
            .json();
        let items = listed["items"].as_array().unwrap();
        let in_list = items.iter().find(|x| x["alert"]["id"] == f.alert2.as_str());
        for (what, a) in [
            ("the alert", Some(&one)),
            ("the list", in_list.map(|x| &x["alert"])),
        ] {
            let Some(a) = a else { continue };
            if national {
                assert_eq!(
                    a["audience"]["codes"],
                    json!(["A81001", "RX1"]),
                    "{who}: {what}"
                );
                assert_eq!(a["responses"], 2, "{who}: {what}");
                if let Some(versions) = a["versions"].as_array() {
                    assert_eq!(versions[0]["by"], "admin@x.nhs.uk", "{who}: {what}");
                }
            } else {
                assert_eq!(a["audience"]["codes"], Value::Null, "{who}: {what}: {a}");
                assert_eq!(a["responses"], Value::Null, "{who}: {what}: {a}");
                if let Some(versions) = a["versions"].as_array() {
                    assert!(
                        versions.iter().all(|v| v["by"].is_null()),
                        "{who}: {what}: who made each version is for national roles: {a}"
                    );
                }
                assert_eq!(a["title"], one["title"], "{who}: the content is readable");
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
        ["A81001", "QAA", "YGM01"],
        "exactly the lead's organisation, its practice and its supplier"
    );
    assert_eq!(listed["meta"]["total"], 3);
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
            .all(|e| ["QAA", "A81001", "YGM01"].contains(&e["org_code"].as_str().unwrap_or(""))),
        "{audit}"
    );
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
    assert_eq!(
        h.api(
            Method::GET,
            "/api/v1/me",
            Some(&f.lead_spare_token_text),
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED,
        "the token the lead revoked in the rows"
    );
}
