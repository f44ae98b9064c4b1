//! `palisade bench ...`: performance targets measured on the national demo as it stands (run
//! `palisade demo --scale full --no-serve` first, on a database kept for benchmarks: the alert
//! benchmark publishes alerts and queues mail), through the same router the server uses,
//! in-process, so the figures are server time without the network.
//!
//! `bench assessments`:
//! - the national report, and a naive baseline that recomputes every status from raw answers;
//! - one organisation's assessment page (CAF and ten-standard);
//! - one organisation's status looked up by its code (`GET /api/v1/assessments?q=R17`);
//! - a bulk save of 100 answers through `PUT .../answers`.
//!
//! `bench load` is the exception: it plays a day's mix over HTTP against running servers.

mod alerts;
mod incidents;
mod load;
mod matching;
mod suppliers;
mod worklist;
pub use alerts::{AlertBench, alerts};
pub use incidents::{IncidentBench, incidents};
pub use load::{LoadBench, Mix, load};
pub use matching::{inventory, matching, sbom};
pub use suppliers::{SupplierBench, suppliers};
pub use worklist::{WorklistBench, worklist};

use crate::config::Settings;
use anyhow::{Context, Result, bail, ensure};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Subcommand;
use palisade_app::{Actor, App};
use palisade_domain::assessment::Status;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tower::ServiceExt;

use palisade_app::demo::DEMO_PASSWORD as PASSWORD;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The national report (with a naive baseline), assessment pages and a 100-answer save.
    Assessments {
        /// Timed runs of each measurement.
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Publishing a High alert to every organisation, the response board, the outbox worker
    /// (email to the configured SMTP server; on request, texts to the configured Notify
    /// service) and, on request, a large TAXII collection. It publishes alerts, adds contacts
    /// and queues messages: run it on a database kept for benchmarks.
    Alerts {
        /// Timed runs of each board measurement.
        #[arg(long, default_value_t = 30)]
        runs: usize,
        /// Alerts published to every organisation, each one timed.
        #[arg(long, default_value_t = 5)]
        publishes: usize,
        /// Email messages to deliver through the configured `smtp_url` (at most).
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        /// Organisations given a duty officer with a mobile number before one more alert is
        /// published, its texts delivered through the configured Notify service (0: none).
        #[arg(long, default_value_t = 0)]
        texts: usize,
        /// Publish small alerts until the TAXII collection holds this many objects.
        #[arg(long, default_value_t = 0)]
        stix_objects: usize,
    },
    /// The incident targets on the national demo with a decade of incidents added (written
    /// once, straight to the database: run it on a database kept for benchmarks): the triage
    /// board alone and under load, indicator look-up, notifying, and the indicators TAXII
    /// collection listed whole.
    Incidents {
        /// Timed runs of each measurement.
        #[arg(long, default_value_t = 30)]
        runs: usize,
        #[arg(long, default_value_t = 200_000)]
        incidents: usize,
        #[arg(long, default_value_t = 5)]
        indicators_per_incident: usize,
        /// Incidents notified through the API, each one timed.
        #[arg(long, default_value_t = 200)]
        notifies: usize,
        /// Clients opening the board at once.
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// The supplier targets on the national demo with suppliers' products, customers, SBOMs
    /// and VEX added (written once, straight to the database: run it on a database kept for
    /// benchmarks): one CVE's exposure with supplier paths, alone and under load, an SBOM upload
    /// and the next answer, and a notice to every customer of a product.
    Suppliers {
        /// Timed runs: CVEs asked about are four times this; uploads and notices at most ten.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        #[arg(long, default_value_t = 600)]
        suppliers: usize,
        #[arg(long, default_value_t = 5)]
        products_per_supplier: usize,
        /// Versions of each product, each with its SBOM.
        #[arg(long, default_value_t = 2)]
        versions: usize,
        /// Product versions each organisation uses, on average.
        #[arg(long, default_value_t = 8)]
        links_per_org: usize,
        /// Components of each SBOM.
        #[arg(long, default_value_t = 500)]
        components: usize,
        #[arg(long, default_value_t = 20_000)]
        advisories: usize,
        #[arg(long, default_value_t = 5_000)]
        vex: usize,
        /// Organisations using the demo supplier's first product: the notice's recipients.
        #[arg(long, default_value_t = 20_000)]
        notice_customers: usize,
        /// Clients asking at once.
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// Each person's worklist on the national demo: a trust's lead and a lead acting for at
    /// least `--homes` organisations, alone and with several people at once. It adds two
    /// people (once): run it on a database kept for benchmarks.
    Worklist {
        /// Timed runs of each measurement.
        #[arg(long, default_value_t = 50)]
        runs: usize,
        /// Organisations the group lead acts for, at least.
        #[arg(long, default_value_t = 200)]
        homes: usize,
        /// People asking at once.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Also a national round of daily digests: puts every contact on the digest.
        #[arg(long)]
        digests: bool,
        /// Components across every organisation's inventory, generated and written first for
        /// each organisation without one (10,000,000 is the national estate).
        #[arg(long, default_value_t = 0)]
        components: usize,
        /// A known exploited vulnerabilities catalogue (CISA's JSON) to import first; the
        /// generated inventories then run some of the products it names.
        #[arg(long)]
        kev: Option<std::path::PathBuf>,
    },
    /// A day's mix played over HTTP against a running server (or servers behind one address)
    /// for a fixed time: each endpoint's throughput, p50, p99 and errors, and the servers' peak
    /// memory. It adds a lead for each organisation it uses (once) in this database, which must
    /// be the servers'. Fails when any answer was not the one expected. Run the servers with
    /// rate limits raised above the mix's rate (see docs/PERFORMANCE.md).
    Load {
        /// `deadline-week` or `alert-day`.
        #[arg(long, value_enum)]
        mix: Mix,
        /// The server's address, or the balancer's in front of several.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Organisation leads working at once.
        #[arg(long, default_value_t = 64)]
        leads: usize,
        /// Alert day: organisations each lead answers for.
        #[arg(long, default_value_t = 100)]
        orgs_per_lead: usize,
        /// National analysts (deadline week) or national team members (alert day) at once.
        #[arg(long, default_value_t = 8)]
        national: usize,
        /// Alert day: feed readers polling about once a second each.
        #[arg(long, default_value_t = 200)]
        pollers: usize,
        /// Alert day: organisations given a duty officer taking alerts by text before the alert
        /// is published (0: none), so the servers' workers deliver texts beside email.
        #[arg(long, default_value_t = 0)]
        texts: usize,
        /// A server's process id, to report its peak memory (repeat for several).
        #[arg(long = "server-pid")]
        server_pids: Vec<u32>,
    },
    /// The exposure engine in memory on a generated national estate: building the index, one
    /// advisory's exposure, a full re-match beside a straightforward scan, and an inventory CSV
    /// parse. Needs no database.
    Matching {
        #[arg(long, default_value_t = 10_000_000)]
        components: usize,
        #[arg(long, default_value_t = 56_000)]
        organisations: usize,
        #[arg(long, default_value_t = 20_000)]
        advisories: usize,
        /// Rows of the generated inventory CSV to parse (0 to skip).
        #[arg(long, default_value_t = 1_000_000)]
        csv_rows: usize,
    },
    /// A generated inventory uploaded for one organisation, as its lead would (parse, checks,
    /// one transaction with history), then again with 1% upgraded. It replaces that
    /// organisation's inventory: run it on a database kept for benchmarks.
    Inventory {
        #[arg(long, default_value = "R41")]
        org: String,
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
    },
    /// A software bill of materials (CycloneDX or SPDX JSON) parsed, checked and matched
    /// against generated advisories, with the peak memory (no database).
    Sbom {
        file: PathBuf,
        #[arg(long, default_value_t = 20_000)]
        advisories: usize,
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
}

impl BenchCommand {
    pub async fn run(self, settings: &Settings) -> Result<()> {
        match self {
            Self::Assessments { runs } => {
                let app = crate::commands::open(settings).await?;
                let store = palisade_store::SqlStore::connect(&settings.database_url, 4).await?;
                assessments(app, &store, settings.engine_name(), runs.max(1)).await?;
            }
            Self::Alerts {
                runs,
                publishes,
                messages,
                texts,
                stix_objects,
            } => {
                let app = crate::commands::open(settings).await?;
                let bench = AlertBench {
                    runs: runs.max(1),
                    publishes,
                    messages,
                    texts,
                    couriers: settings.delivery.couriers()?,
                    delivery: settings.delivery.settings(),
                    stix_objects,
                    store: palisade_store::SqlStore::connect(&settings.database_url, 4).await?,
                };
                alerts(app, settings.engine_name(), bench).await?;
            }
            Self::Incidents {
                runs,
                incidents: n,
                indicators_per_incident,
                notifies,
                clients,
            } => {
                anyhow::ensure!(n > 0, "--incidents must be at least 1");
                let app = crate::commands::open(settings).await?;
                let bench = IncidentBench {
                    runs: runs.max(1),
                    incidents: n,
                    indicators_per_incident,
                    notifies: notifies.max(1),
                    clients: clients.max(1),
                };
                incidents(app, settings, settings.engine_name(), bench).await?;
            }
            Self::Suppliers {
                runs,
                suppliers: n,
                products_per_supplier,
                versions,
                links_per_org,
                components,
                advisories,
                vex,
                notice_customers,
                clients,
            } => {
                anyhow::ensure!(
                    n > 0 && products_per_supplier > 0 && versions > 0 && components > 0,
                    "--suppliers, --products-per-supplier, --versions and --components must be at least 1"
                );
                anyhow::ensure!(advisories > 0, "--advisories must be at least 1");
                let app = crate::commands::open(settings).await?;
                let bench = SupplierBench {
                    runs: runs.max(1),
                    suppliers: n,
                    products_per_supplier,
                    versions,
                    links_per_org: links_per_org.max(1),
                    components,
                    advisories,
                    vex,
                    notice_customers,
                    clients: clients.max(1),
                };
                suppliers(app, settings, settings.engine_name(), bench).await?;
            }
            Self::Worklist {
                runs,
                homes,
                clients,
                digests,
                components,
                kev,
            } => {
                let app = crate::commands::open(settings).await?;
                let bench = WorklistBench {
                    runs: runs.max(1),
                    homes: homes.max(1),
                    clients: clients.max(1),
                    store: palisade_store::SqlStore::connect(&settings.database_url, 4).await?,
                    digests,
                    components,
                    kev,
                };
                worklist(app, settings.engine_name(), bench).await?;
            }
            Self::Load {
                mix,
                url,
                seconds,
                leads,
                orgs_per_lead,
                national,
                pollers,
                texts,
                server_pids,
            } => {
                let app = crate::commands::open(settings).await?;
                let bench = LoadBench {
                    url,
                    mix,
                    seconds,
                    leads: leads.max(1),
                    orgs_per_lead,
                    national,
                    pollers,
                    texts,
                    server_pids,
                };
                load(app, bench).await?;
            }
            Self::Matching {
                components,
                organisations,
                advisories,
                csv_rows,
            } => {
                anyhow::ensure!(
                    organisations > 0 && advisories > 0,
                    "--organisations and --advisories must be at least 1"
                );
                matching(components, organisations, advisories, csv_rows)?;
            }
            Self::Sbom {
                file,
                advisories,
                runs,
            } => {
                sbom(&file, advisories, runs)?;
            }
            Self::Inventory { org, rows } => {
                anyhow::ensure!(rows > 0, "--rows must be at least 1");
                let app = crate::commands::open(settings).await?;
                inventory(app, settings.engine_name(), &org, rows).await?;
            }
        }
        Ok(())
    }
}

/// Median, 95th and 99th percentiles and fastest of a set of timings, in milliseconds.
fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, min {:.2} ms ({} runs)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(times[0]),
        times.len()
    )
}

async fn timed<F, Fut, T>(runs: usize, mut f: F) -> Result<Vec<Duration>>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    f(usize::MAX).await?; // warm the caches once, untimed
    let mut out = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        f(i).await?;
        out.push(t.elapsed());
    }
    Ok(out)
}

/// `clients` tasks at once, each sending `runs` requests through the router in turn (`req`
/// builds client `c`'s `i`-th) and insisting on 200: every request's time.
async fn at_once(
    router: &axum::Router,
    clients: usize,
    runs: usize,
    req: impl Fn(usize, usize) -> Request<Body> + Clone + Send + 'static,
) -> Result<Vec<Duration>> {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (router, req) = (router.clone(), req.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(runs);
            for i in 0..runs {
                let t = Instant::now();
                expect(&router, req(c, i), StatusCode::OK).await?;
                out.push(t.elapsed());
            }
            anyhow::Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(clients * runs);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

/// The demo's national administrator.
const DEMO_ADMIN: &str = "admin@example.nhs.uk";

/// The server's router over `app`, for requests sent in-process.
fn router(app: &App) -> axum::Router {
    palisade_web::router(palisade_web::AppState::new(
        app.clone(),
        palisade_web::WebConfig {
            cookie_secure: false,
            // Every request comes from this process: one client, measured, not limited.
            rate_limits: None,
            ..Default::default()
        },
    ))
}

/// Refuses a database that does not hold the national demo.
fn require_national(organisations: usize) -> Result<()> {
    if organisations < 1000 {
        bail!("seed the national demo first: palisade demo --scale full --no-serve");
    }
    Ok(())
}

/// A GET of `uri` with an API token.
fn get(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("a valid request")
}

/// Sends a request through the router, insisting on `expected`, and returns the body.
async fn expect(
    router: &axum::Router,
    req: Request<Body>,
    expected: StatusCode,
) -> Result<axum::body::Bytes> {
    let what = format!("{} {}", req.method(), req.uri());
    let res = router.clone().oneshot(req).await?;
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
    anyhow::ensure!(
        status == expected,
        "{what}: {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(body)
}

/// A page session of the demo's national administrator.
async fn admin_session(app: &App) -> Result<String> {
    match app.sign_in(DEMO_ADMIN, PASSWORD).await? {
        Ok(s) => Ok(s.session_token),
        Err(e) => bail!("cannot sign in as the demo administrator: {e}"),
    }
}

pub async fn assessments(
    app: App,
    store: &palisade_store::SqlStore,
    engine: &str,
    runs: usize,
) -> Result<()> {
    let year = app.current_year();
    let cli = Actor::cli();
    let orgs = app.export_orgs(&cli).await?;
    let answered = app.national_report(&cli, year).await?.overall.published;
    println!(
        "database: {engine} ({} organisations, {} published for {year})",
        orgs.len(),
        answered
    );
    require_national(orgs.len())?;

    // The national report, then the naive way: every organisation's assessment read and
    // evaluated from its raw answers, statuses counted in memory.
    let report = timed(runs, |_| async {
        Ok(app.national_report(&cli, year).await?)
    })
    .await?;
    println!("national report:            {}", summary(report));
    let after_change = timed(runs, |_| async {
        Ok(app.national_report_now(&cli, year).await?)
    })
    .await?;
    println!(
        "  worked out again, as after a change: {}",
        summary(after_change)
    );
    // Before the counts were kept, the report grouped every organisation with its assessment:
    // that statement, timed on the same database, and its answer held against the kept one.
    let recount = timed(runs, |_| async {
        Ok(store.status_counts_recounted(year).await?)
    })
    .await?;
    println!(
        "  the statement it ran before (a recount): {}",
        summary(recount)
    );
    let sorted = |mut v: Vec<palisade_store::StatusCount>| {
        v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        v
    };
    ensure!(
        sorted(palisade_store::AssessmentStore::status_counts(store, year).await?)
            == sorted(store.status_counts_recounted(year).await?),
        "the kept national counts differ from a recount"
    );
    let figures = app.national_report(&cli, year).await?;
    let t = Instant::now();
    let mut naive: std::collections::BTreeMap<Status, u64> = Default::default();
    for o in orgs.iter().filter(|o| o.active) {
        let status = match app.assessment(&cli, &o.code, year).await {
            Ok(v) if v.submitted() => app.status_if_submitted(&v).await?.0,
            Ok(v) => v.status(),
            Err(palisade_app::AppError::Invalid(_)) => Status::NotPublished,
            Err(e) => return Err(e.into()),
        };
        *naive.entry(status).or_default() += 1;
    }
    let naive_met: u64 = naive
        .iter()
        .filter(|(s, _)| s.met_or_exceeded())
        .map(|(_, n)| n)
        .sum();
    println!(
        "naive baseline (recompute every status from raw answers): {:.0} ms, once; \
         met or exceeded: {naive_met} (the report says {})",
        t.elapsed().as_secs_f64() * 1000.0,
        figures.overall.met_or_exceeded
    );

    // Pages and the bulk save go through the router, as requests would.
    let router = router(&app);
    let admin = admin_session(&app).await?;
    let ten_standard = orgs
        .iter()
        .find(|o| o.org_type == palisade_domain::org::OrgType::GpPractice && o.active)
        .context("no GP practice in the register")?;
    for (label, code) in [
        ("CAF, submitted", "R42"),
        ("ten-standard", ten_standard.code.as_str()),
    ] {
        let uri = format!("/organisations/{code}/assessments/{year}");
        let page = timed(runs, |_| {
            let req = Request::get(&uri)
                .header(header::COOKIE, format!("palisade_session={admin}"))
                .body(Body::empty())
                .expect("a valid request");
            let router = &router;
            async move { expect(router, req, StatusCode::OK).await }
        })
        .await?;
        println!("assessment page ({label}): {}", summary(page));
    }

    // One organisation's status looked up by its code, by a national analyst's token: a search
    // for any part of a code or name across the register.
    let analyst = app.find_person_by_email(DEMO_ADMIN).await?;
    let (_, analyst_token) = app.create_token_for(&cli, analyst.id, "bench").await?;
    let uri = format!("/api/v1/assessments?q=R17&year={year}");
    let lookup = timed(runs, |_| {
        let req = get(&uri, &analyst_token);
        let router = &router;
        async move { expect(router, req, StatusCode::OK).await }
    })
    .await?;
    println!("status by code (GET {uri}): {}", summary(lookup));

    // Organisation GETs from 16 clients, alone and then with 8 national report readers at once.
    let codes: std::sync::Arc<Vec<String>> =
        std::sync::Arc::new(orgs.iter().map(|o| o.code.clone()).collect());
    let org_gets = |label: &'static str| {
        let (router, codes, token) = (router.clone(), codes.clone(), analyst_token.clone());
        async move {
            let per_client = 400;
            let t = Instant::now();
            let times = at_once(&router, 16, per_client, move |c, i| {
                let code = &codes[(c * per_client + i) * 7 % codes.len()];
                get(&format!("/api/v1/organisations/{code}"), &token)
            })
            .await?;
            let rate = times.len() as f64 / t.elapsed().as_secs_f64();
            println!(
                "organisation GET, 16 clients, {label}: {rate:.0} requests/s; {}",
                summary(times)
            );
            anyhow::Ok(rate)
        }
    };
    let alone = org_gets("alone").await?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..8 {
        let (router, token, stop) = (router.clone(), analyst_token.clone(), stop.clone());
        let uri = format!("/api/v1/reports/national?year={year}");
        readers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                expect(&router, get(&uri, &token), StatusCode::OK).await?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let with_readers = org_gets("with 8 national report readers").await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut report_times = Vec::new();
    for r in readers {
        report_times.extend(r.await??);
    }
    println!(
        "  organisation GETs kept {:.0}% of their throughput alone; the readers' reports: {}",
        100.0 * with_readers / alone,
        summary(report_times)
    );

    let lead = app.find_person_by_email("lead@example.nhs.uk").await?;
    let (_, token) = app.create_token_for(&cli, lead.id, "bench").await?;
    let lead_org = "R41";
    let view = app.assessment(&cli, lead_org, year).await?;
    if view.submitted() {
        app.reopen(&cli, lead_org, year).await.ok();
    }
    let refs: Vec<String> = view
        .tree
        .outcomes()
        .flat_map(|o| o.igps.iter().map(|g| g.reference.clone()))
        .take(100)
        .collect();
    anyhow::ensure!(
        refs.len() == 100,
        "the lead's framework has fewer than 100 indicators"
    );
    let uri = format!("/api/v1/organisations/{lead_org}/assessments/{year}/answers");
    let save = timed(runs, |i| {
        // Alternate every value, so each call really writes 100 answers.
        let answers: Vec<serde_json::Value> = refs
            .iter()
            .map(|r| serde_json::json!({"ref": r, "value": i % 2 == 0}))
            .collect();
        let req = Request::put(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({ "answers": answers }).to_string(),
            ))
            .expect("a valid request");
        let router = &router;
        async move { expect(router, req, StatusCode::OK).await }
    })
    .await?;
    println!("PUT 100 answers (all changed): {}", summary(save));
    Ok(())
}
