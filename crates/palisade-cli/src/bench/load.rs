//! `palisade bench load`: a realistic mix played against a running server (or several behind
//! one address) over HTTP for a fixed time, with each endpoint's throughput, p50, p99 and
//! errors, and the servers' peak memory. It prepares its people and tokens in the database the
//! servers use (once; later runs reuse the people), then only speaks HTTP.
//!
//! - **deadline week**: organisation leads each working through their assessment (open it,
//!   save answers, upload evidence, and every third round submit and reopen), while national
//!   analysts open the national report, the dashboard, a status search and the report's CSV.
//! - **alert day**: a High alert is published to every organisation, then organisations
//!   acknowledge it and say whether it applies, each through its own lead; the national team
//!   refreshes the response board every two seconds and reads the outbox figures; feed readers
//!   poll TAXII, the CSAF provider's changes and the Atom feed. The outbox is drained by the
//!   servers' own workers: the messages it sent during the run are counted.
//!
//! Any answer other than the one expected is an error; the command fails when there was one, so
//! a short run in CI shows that the mix works end to end (figures come from longer runs).

use super::worklist::person;
use super::{DEMO_ADMIN, PASSWORD};
use anyhow::{Context, Result, bail, ensure};
use palisade_app::{Actor, App};
use palisade_domain::framework::{AnswerType, Node};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Which day to play.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    DeadlineWeek,
    AlertDay,
}

pub struct LoadBench {
    /// Where the server (or the balancer in front of several) listens.
    pub url: String,
    pub mix: Mix,
    pub seconds: u64,
    /// Organisation leads working at once.
    pub leads: usize,
    /// Alert day: organisations each lead answers for.
    pub orgs_per_lead: usize,
    /// National analysts (deadline week) or national team members (alert day) at once.
    pub national: usize,
    /// Alert day: feed readers polling at once.
    pub pollers: usize,
    /// Alert day: organisations with a duty officer taking alerts by text (given one before the
    /// alert is published when they have none), so the outbox drains texts beside email.
    pub texts: usize,
    /// Servers whose peak memory to report (their process ids).
    pub server_pids: Vec<u32>,
}

/// TAXII 2.1's media type, which its endpoints answer to.
const TAXII: &str = "application/taxii+json;version=2.1";

/// The national analyst of the demo: reads every figure, changes nothing.
const DEMO_ANALYST: &str = "analyst@example.nhs.uk";

/// Each endpoint's timings and errors, as one client saw them.
#[derive(Default)]
struct Tally(BTreeMap<&'static str, Endpoint>);

#[derive(Default)]
struct Endpoint {
    times: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (name, e) in other.0 {
            let mine = self.0.entry(name).or_default();
            mine.times.extend(e.times);
            mine.errors += e.errors;
            if mine.first_error.is_none() {
                mine.first_error = e.first_error;
            }
        }
    }
}

/// How a client proves who it is.
#[derive(Clone)]
enum Auth {
    Token(String),
    Anonymous,
}

/// One simulated person: sends requests in turn until the run ends, timing each.
struct Client {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    until: Instant,
    tally: Tally,
}

impl Client {
    fn new(http: &reqwest::Client, base: &str, auth: Auth, until: Instant) -> Self {
        Self {
            http: http.clone(),
            base: base.to_string(),
            auth,
            until,
            tally: Tally::default(),
        }
    }

    fn running(&self) -> bool {
        Instant::now() < self.until
    }

    /// Waits `ms` milliseconds or until the run ends, whichever is sooner.
    async fn think(&self, ms: u64) {
        let left = self.until.saturating_duration_since(Instant::now());
        tokio::time::sleep(Duration::from_millis(ms).min(left)).await;
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Auth::Token(t) => req.bearer_auth(t),
            Auth::Anonymous => req,
        }
    }

    /// Sends `req`, counting it under `name`; whether the answer was `expected`.
    async fn call(
        &mut self,
        name: &'static str,
        req: reqwest::RequestBuilder,
        expected: StatusCode,
    ) -> bool {
        self.call_checked(name, req, expected, |_| Ok(())).await
    }

    /// [`Client::call`], counting an `expected` answer whose body `check` refuses as an error.
    async fn call_checked(
        &mut self,
        name: &'static str,
        req: reqwest::RequestBuilder,
        expected: StatusCode,
        check: impl FnOnce(&[u8]) -> Result<(), String>,
    ) -> bool {
        let t = Instant::now();
        let outcome = match req.send().await {
            Ok(res) => {
                let status = res.status();
                match res.bytes().await {
                    Ok(body) if status == expected => check(&body),
                    Ok(body) => Err(format!(
                        "{status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )),
                    Err(e) => Err(format!("{status}, then the body failed: {e}")),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let elapsed = t.elapsed();
        let e = self.tally.0.entry(name).or_default();
        e.times.push(elapsed);
        match outcome {
            Ok(()) => true,
            Err(message) => {
                e.errors += 1;
                e.first_error.get_or_insert(message);
                false
            }
        }
    }

    async fn get(&mut self, name: &'static str, path: &str) -> bool {
        let req = self.request(Method::GET, path);
        self.call(name, req, StatusCode::OK).await
    }
}

/// What a lead needs to work through one organisation's assessment.
struct Assessment {
    code: String,
    /// Yes/no references that apply, answered in turn.
    yes_no: Vec<String>,
    /// An item answered by a document, when the framework has one that applies.
    document: Option<String>,
    /// Submitted already: the lead reopens it first.
    submitted: bool,
}

pub async fn load(app: App, b: LoadBench) -> Result<()> {
    ensure!(b.seconds > 0, "--seconds must be at least 1");
    let cli = Actor::cli();
    let orgs = app.export_orgs(&cli).await?;
    let active: Vec<String> = orgs
        .iter()
        .filter(|o| o.active)
        .map(|o| o.code.clone())
        .collect();
    let year = app.current_year();
    let base = b.url.trim_end_matches('/').to_string();
    // No answer in the mixes is a redirect: one (to the sign-in page, say) is an error, not
    // followed to a page that answers 200.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    // The server must be up, and be the one over this database.
    let health = http.get(format!("{base}/healthz")).send().await;
    match health {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => bail!("{base}/healthz answered {}", r.status()),
        Err(e) => bail!("no server at {base}: {e}"),
    }
    let analyst = app.find_person_by_email(DEMO_ANALYST).await?;
    let (_, analyst_token) = app.create_token_for(&cli, analyst.id, "bench load").await?;
    let admin = app.find_person_by_email(DEMO_ADMIN).await?;
    let (_, admin_token) = app.create_token_for(&cli, admin.id, "bench load").await?;
    let session = match app.sign_in(DEMO_ANALYST, PASSWORD).await? {
        Ok(s) => s.session_token,
        Err(e) => bail!("cannot sign in as the demo analyst: {e}"),
    };
    println!(
        "{} active organisations; {} national, {} s at {base}",
        active.len(),
        b.national,
        b.seconds
    );

    let prepared = Instant::now();
    let tally = match b.mix {
        Mix::DeadlineWeek => {
            let chosen = spread(&active, b.leads);
            let mut leads = Vec::new();
            for code in &chosen {
                let a = assessment(&app, code, year)
                    .await
                    .with_context(|| format!("reading {code}'s assessment"))?;
                let email = format!("bench-load-{}@example.nhs.uk", code.to_ascii_lowercase());
                let token = person(&app, &email, std::slice::from_ref(code)).await?;
                leads.push((a, token));
            }
            println!(
                "{} leads, each with an organisation, prepared in {:.1} s",
                leads.len(),
                prepared.elapsed().as_secs_f64()
            );
            let started = Instant::now();
            let until = started + Duration::from_secs(b.seconds);
            let mut tasks = tokio::task::JoinSet::new();
            for (a, token) in leads {
                let c = Client::new(&http, &base, Auth::Token(token), until);
                tasks.spawn(lead_round(c, a, year));
            }
            for n in 0..b.national {
                let c = Client::new(&http, &base, Auth::Token(analyst_token.clone()), until);
                tasks.spawn(analyst_round(c, session.clone(), year, n));
            }
            let tally = gather(tasks).await?;
            report(&tally, started.elapsed());
            tally
        }
        Mix::AlertDay => {
            let per = b.orgs_per_lead.max(1);
            let chosen = spread(&active, b.leads * per);
            let mut leads = Vec::new();
            for codes in chosen.chunks(per) {
                // Named by the organisations it is granted (made once), so a later run with
                // other options or another register makes another lead rather than reuse one
                // without the grants it needs.
                let (first, last) = (&codes[0], &codes[codes.len() - 1]);
                let email = format!(
                    "bench-load-{}-{}-{}@example.nhs.uk",
                    first.to_ascii_lowercase(),
                    last.to_ascii_lowercase(),
                    codes.len()
                );
                leads.push((codes.to_vec(), person(&app, &email, codes).await?));
            }
            if b.texts > 0 {
                super::alerts::duty_officers(&app, &spread(&active, b.texts)).await?;
            }
            let outbox_before = outbox_sent(&http, &base, &admin_token).await?;
            // The alert, published to every organisation through the API.
            let t = Instant::now();
            let res = http
                .post(format!("{base}/api/v1/alerts"))
                .bearer_auth(&admin_token)
                .json(&super::alerts::national_alert(0))
                .send()
                .await?;
            ensure!(
                res.status() == StatusCode::CREATED,
                "publishing the alert: {}",
                res.status()
            );
            let created: Value = res.json().await?;
            let alert = created["id"]
                .as_str()
                .context("the created alert has no id")?
                .to_string();
            println!(
                "{} leads, each with {per} organisations, prepared in {:.1} s; {alert} published \
                 to every organisation in {:.2} s",
                leads.len(),
                prepared.elapsed().as_secs_f64(),
                t.elapsed().as_secs_f64()
            );
            let collection = taxii_collection(&http, &base).await?;
            let started = Instant::now();
            let until = started + Duration::from_secs(b.seconds);
            let mut tasks = tokio::task::JoinSet::new();
            for (codes, token) in leads {
                let c = Client::new(&http, &base, Auth::Token(token), until);
                tasks.spawn(respond_round(c, alert.clone(), codes));
            }
            for _ in 0..b.national {
                let c = Client::new(&http, &base, Auth::Token(admin_token.clone()), until);
                tasks.spawn(board_round(c, alert.clone()));
            }
            for n in 0..b.pollers {
                let c = Client::new(&http, &base, Auth::Anonymous, until);
                tasks.spawn(poll_round(c, collection.clone(), n));
            }
            let tally = gather(tasks).await?;
            let elapsed = started.elapsed();
            report(&tally, elapsed);
            let sent = outbox_sent(&http, &base, &admin_token).await? - outbox_before;
            println!(
                "outbox: {sent} messages delivered by the servers' workers, {:.0} a second",
                sent as f64 / elapsed.as_secs_f64()
            );
            tally
        }
    };
    for pid in &b.server_pids {
        println!("server {pid}: {}", memory(*pid));
    }
    let errors: u64 = tally.0.values().map(|e| e.errors).sum();
    if errors > 0 {
        for (name, e) in &tally.0 {
            if let Some(first) = &e.first_error {
                println!("{name}: {} errors; the first: {first}", e.errors);
            }
        }
        bail!("{errors} requests had an answer other than the one expected");
    }
    Ok(())
}

/// `n` codes spread evenly over the register (every type and region has its share).
fn spread(codes: &[String], n: usize) -> Vec<String> {
    if n >= codes.len() {
        return codes.to_vec();
    }
    let step = codes.len() as f64 / n as f64;
    (0..n)
        .map(|i| codes[(i as f64 * step) as usize].clone())
        .collect()
}

/// The organisation's assessment for `year`, read for what a lead answers.
async fn assessment(app: &App, code: &str, year: i32) -> Result<Assessment> {
    let view = app.assessment(&Actor::cli(), code, year).await?;
    let org_type = view.org.org.org_type;
    let items = view.tree.items().filter_map(|i| {
        i.applicability(org_type)
            .applies()
            .then_some((i.reference.clone(), i.answer_type))
    });
    let igps = view.tree.outcomes().flat_map(|o| {
        o.igps
            .iter()
            .map(|g| (g.reference.clone(), AnswerType::YesNo))
    });
    let answerable: Vec<(String, AnswerType)> = items.chain(igps).collect();
    let yes_no: Vec<String> = answerable
        .iter()
        .filter(|(_, t)| *t == AnswerType::YesNo)
        .map(|(r, _)| r.clone())
        .take(20)
        .collect();
    ensure!(
        yes_no.len() >= 5,
        "{code}'s framework has fewer than five yes/no answers"
    );
    let document = answerable
        .iter()
        .find(|(r, t)| {
            *t == AnswerType::Document && matches!(view.tree.node(r), Some(Node::Item(_)))
        })
        .map(|(r, _)| r.clone());
    Ok(Assessment {
        code: code.to_string(),
        yes_no,
        document,
        submitted: view.submitted(),
    })
}

/// A lead working through the assessment: open it, save five answers three times, upload a
/// document, and every third round submit and reopen.
async fn lead_round(mut c: Client, a: Assessment, year: i32) -> Tally {
    let path = format!("/api/v1/organisations/{}/assessments/{year}", a.code);
    let mut round = 0usize;
    if a.submitted {
        let req = c.request(Method::POST, &format!("{path}/reopen"));
        c.call("POST reopen", req, StatusCode::OK).await;
    }
    while c.running() {
        c.get("GET assessment", &path).await;
        for k in 0..3 {
            // The lead's answers in turn, each given the opposite value at each visit, so that
            // every save changes what it sends (one answered as it stands is a save of nothing).
            // A save that changes fewer than those of its answers sent before counts as an
            // error: a first visit may find the value already there.
            let first = round * 15 + k * 5;
            let answers: Vec<Value> = (first..first + 5)
                .map(|n| {
                    let r = &a.yes_no[n % a.yes_no.len()];
                    json!({"ref": r, "value": (n / a.yes_no.len()).is_multiple_of(2)})
                })
                .collect();
            let req = c
                .request(Method::PUT, &format!("{path}/answers"))
                .json(&json!({ "answers": answers }));
            let revisits = (first..first + 5).filter(|n| *n >= a.yes_no.len()).count();
            c.call_checked("PUT answers", req, StatusCode::OK, |body| {
                changed_enough(body, revisits)
            })
            .await;
        }
        if let Some(doc) = &a.document {
            let file = reqwest::multipart::Part::bytes(
                format!("Policy reviewed in round {round}.\n").into_bytes(),
            )
            .file_name("policy.txt")
            .mime_str("text/plain")
            .expect("a valid media type");
            let form = reqwest::multipart::Form::new()
                .text("ref", doc.clone())
                .part("file", file);
            let req = c
                .request(Method::POST, &format!("{path}/evidence"))
                .multipart(form);
            c.call("POST evidence", req, StatusCode::CREATED).await;
        }
        if round % 3 == 2 {
            let req = c.request(Method::POST, &format!("{path}/submit"));
            if c.call("POST submit", req, StatusCode::OK).await {
                let req = c.request(Method::POST, &format!("{path}/reopen"));
                c.call("POST reopen", req, StatusCode::OK).await;
            }
        }
        round += 1;
    }
    c.tally
}

/// Whether the answer to a save (`body`) changed at least `revisits` answers: those it sent that
/// the lead had sent before, each now the opposite of what it was.
fn changed_enough(body: &[u8], revisits: usize) -> Result<(), String> {
    let changed = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["changed"].as_array().map(Vec::len));
    match changed {
        Some(n) if n >= revisits => Ok(()),
        Some(n) => Err(format!(
            "the save changed {n} of the {revisits} answers sent before"
        )),
        None => Err("the save's answer has no list of changed answers".into()),
    }
}

/// A national analyst: the national report, the dashboard, a status search and the report as
/// CSV, a fifth of a second apart.
async fn analyst_round(mut c: Client, session: String, year: i32, n: usize) -> Tally {
    let mut round = n;
    while c.running() {
        c.get(
            "GET national report",
            &format!("/api/v1/reports/national?year={year}"),
        )
        .await;
        c.think(200).await;
        let page = c.http.get(format!("{}/", c.base)).header(
            reqwest::header::COOKIE,
            format!("palisade_session={session}"),
        );
        c.call("GET dashboard page", page, StatusCode::OK).await;
        c.think(200).await;
        c.get(
            "GET status by code",
            &format!("/api/v1/assessments?year={year}&q=R{}", 10 + round % 90),
        )
        .await;
        c.think(200).await;
        c.get(
            "GET national report CSV",
            &format!("/api/v1/reports/national?year={year}&format=csv"),
        )
        .await;
        c.think(200).await;
        round += 1;
    }
    c.tally
}

/// A lead answering an alert for each of its organisations: acknowledged, then not applicable.
async fn respond_round(mut c: Client, alert: String, codes: Vec<String>) -> Tally {
    for code in codes {
        if !c.running() {
            break;
        }
        let path = format!("/api/v1/alerts/{alert}/responses/{code}");
        let req = c.request(Method::POST, &format!("{path}/acknowledge"));
        c.call("POST acknowledge", req, StatusCode::OK).await;
        let req = c
            .request(Method::POST, &format!("{path}/applicability"))
            .json(&json!({"applies": false, "reason": "The library is not in our estate."}));
        c.call("POST applicability", req, StatusCode::OK).await;
    }
    c.tally
}

/// The national team: the response board every two seconds, and the outbox figures.
async fn board_round(mut c: Client, alert: String) -> Tally {
    while c.running() {
        c.get("GET board", &format!("/api/v1/alerts/{alert}/board"))
            .await;
        c.get("GET outbox", "/api/v1/outbox").await;
        c.think(2000).await;
    }
    c.tally
}

/// A feed reader polling one of the public feeds about once a second.
async fn poll_round(mut c: Client, collection: String, n: usize) -> Tally {
    let mut round = n;
    while c.running() {
        match round % 3 {
            0 => {
                let path = format!("/taxii2/api/collections/{collection}/objects/?limit=100");
                let req = c
                    .request(Method::GET, &path)
                    .header(reqwest::header::ACCEPT, TAXII);
                c.call("GET TAXII objects", req, StatusCode::OK).await;
            }
            1 => {
                c.get("GET CSAF changes", "/.well-known/csaf/white/changes.csv")
                    .await;
            }
            _ => {
                c.get("GET Atom feed", "/alerts.atom").await;
            }
        }
        c.think(1000).await;
        round += 1;
    }
    c.tally
}

/// The alerts collection's id, from the TAXII collections list.
async fn taxii_collection(http: &reqwest::Client, base: &str) -> Result<String> {
    let list: Value = http
        .get(format!("{base}/taxii2/api/collections/"))
        .header(reqwest::header::ACCEPT, TAXII)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(list["collections"][0]["id"]
        .as_str()
        .context("no TAXII collection")?
        .to_string())
}

/// Messages the outbox has sent, from `GET /api/v1/outbox`.
async fn outbox_sent(http: &reqwest::Client, base: &str, token: &str) -> Result<i64> {
    let o: Value = http
        .get(format!("{base}/api/v1/outbox"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    o["sent"]
        .as_i64()
        .context("the outbox figures have no sent count")
}

async fn gather(mut tasks: tokio::task::JoinSet<Tally>) -> Result<Tally> {
    let mut all = Tally::default();
    while let Some(t) = tasks.join_next().await {
        all.merge(t?);
    }
    Ok(all)
}

/// Each endpoint's throughput, p50, p99 and errors over the run, and the whole.
fn report(tally: &Tally, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "endpoint", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let mut total = 0usize;
    let mut errors = 0u64;
    for (name, e) in &tally.0 {
        let mut times = e.times.clone();
        times.sort();
        let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        total += times.len();
        errors += e.errors;
        if times.is_empty() {
            continue;
        }
        println!(
            "{:<26} {:>9} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>7}",
            name,
            times.len(),
            times.len() as f64 / secs,
            ms(at(0.5)),
            ms(at(0.99)),
            ms(times[times.len() - 1]),
            e.errors
        );
    }
    println!(
        "{:<26} {:>9} {:>9.1} {:>9} {:>9} {:>9} {:>7}",
        "all",
        total,
        total as f64 / secs,
        "",
        "",
        "",
        errors
    );
}

/// A server's peak and present resident memory, from `/proc`.
fn memory(pid: u32) -> String {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return "not running".into();
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or("?".to_string(), |kb| format!("{} MB", kb / 1024))
    };
    format!("peak {} resident, now {}", field("VmHWM:"), field("VmRSS:"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_save_must_change_each_answer_sent_before() {
        let body = |changed: &str| format!(r#"{{"code":"R41","changed":{changed}}}"#);
        assert!(super::changed_enough(body(r#"["a","b"]"#).as_bytes(), 2).is_ok());
        assert!(super::changed_enough(body(r#"["a","b","c"]"#).as_bytes(), 2).is_ok());
        assert!(super::changed_enough(body("[]").as_bytes(), 0).is_ok());
        let short = super::changed_enough(body(r#"["a"]"#).as_bytes(), 2).unwrap_err();
        assert!(short.contains("changed 1 of the 2"), "{short}");
        assert!(super::changed_enough(br#"{"code":"R41"}"#, 0).is_err());
        assert!(super::changed_enough(b"not json", 0).is_err());
    }

    use super::spread;

    #[test]
    fn spread_takes_evenly_and_never_more_than_there_are() {
        let codes: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        assert_eq!(spread(&codes, 5), ["0", "2", "4", "6", "8"]);
        assert_eq!(spread(&codes, 20).len(), 10);
        assert!(spread(&codes, 0).is_empty());
    }
}
