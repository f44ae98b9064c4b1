//! `bench alerts`: the cyber alert targets, on the national demo.
//!
//! - Publishing a High alert that needs a response to every active organisation through
//!   `POST /api/v1/alerts`: one transaction writes the alert, its version, a response with its
//!   deadline per organisation and a message per alert contact in the outbox.
//! - The national team's outbox figures (`GET /api/v1/outbox`) with everything those
//!   publications queued still waiting (about a million messages after six).
//! - The national response board for the last of those alerts, two days on (when every response
//!   not yet acknowledged is late), with one organisation in ten having acknowledged: counts,
//!   filtered lists through the API and the board page.
//! - The outbox worker delivering the queued email to the configured SMTP server (a local sink),
//!   with the server's own delivery settings; with `--texts N`, N organisations given a duty
//!   officer taking alerts by text, one more alert published, and its texts delivered to the
//!   configured Notify service (a local peer) the same way.
//! - With `--stix-objects N`, small alerts for one organisation are published until the TAXII
//!   collection holds at least N objects, for `scripts/taxii_bench.py` to list.

use super::{DEMO_ADMIN, admin_session, expect, require_national, router, summary, timed};
use anyhow::{Context, Result, ensure};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use palisade_app::alerts::StepRequest;
use palisade_app::delivery::{Courier, DeliverySettings};
use palisade_app::{Actor, App};
use palisade_domain::clock::ManualClock;
use palisade_domain::people::ContactInput;
use palisade_domain::people::Role;
use palisade_domain::policy::{Grant, Principal};
use palisade_store::Organisation;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// What `bench alerts` measures beyond the board.
pub struct AlertBench {
    /// Timed runs of each board measurement.
    pub runs: usize,
    /// Alerts published to every organisation (each one timed).
    pub publishes: usize,
    /// Email messages to deliver (at most).
    pub messages: usize,
    /// Organisations given a duty officer with a mobile number before one more alert is
    /// published, whose texts are then delivered (0: texts are not measured).
    pub texts: usize,
    /// The couriers configured (email and texts are measured apart) and the worker's pace.
    pub couriers: Vec<Arc<dyn Courier>>,
    pub delivery: DeliverySettings,
    /// Publish small alerts until the TAXII collection holds this many objects (0: none).
    pub stix_objects: usize,
    /// The same database, to time the board as it was counted before its counts were kept.
    pub store: palisade_store::SqlStore,
}

/// The organisation the small TAXII alerts are addressed to.
const STIX_ORG: &str = "R41";

pub(super) fn national_alert(n: usize) -> Value {
    json!({
        "title": format!("Remote code execution in a widely used logging library (bench {n})"),
        "severity": "high",
        "type": "vulnerability",
        "summary": "A crafted log message runs code on the server. Patch every affected system now.",
        "body": "Exploitation is widespread.\nIdentify every system that runs the library.",
        "cves": ["CVE-2021-44228", "CVE-2021-45046"],
        "products": [
            {"name": "Apache Log4j core", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core",
             "vers": "vers:maven/>=2.0.0|<2.17.1"}
        ],
        "exploited": true,
        "remediation": "Upgrade to 2.17.1 or later; remove the JndiLookup class where you cannot.",
        "audience": {},
        "response_required": true,
        "publish": true
    })
}

fn stix_alert(n: usize) -> Value {
    let cves: Vec<String> = (0..3)
        .map(|k| format!("CVE-2026-{}", 10_000 + n * 3 + k))
        .collect();
    let products: Vec<Value> = (0..3)
        .map(|k| {
            json!({"name": format!("Clinical system {n}.{k}"),
                   "cpe": format!("cpe:2.3:a:vendor{n}:clinical_system_{k}:4.{k}:*:*:*:*:*:*:*")})
        })
        .collect();
    let severity = ["medium", "low", "high"][n % 3];
    json!({
        "title": format!("Vulnerabilities in clinical system suite {n}"),
        "severity": severity,
        "type": "vulnerability",
        "summary": "The supplier has released fixes for three vulnerabilities.",
        "cves": cves,
        "products": products,
        "exploited": false,
        "remediation": "Apply the supplier's update.",
        "audience": {"codes": [STIX_ORG]},
        "response_required": false,
        "publish": true
    })
}

pub(super) fn post_json(uri: &str, token: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a valid request")
}

pub async fn alerts(app: App, engine: &str, b: AlertBench) -> Result<()> {
    let cli = Actor::cli();
    let orgs = app.export_orgs(&cli).await?;
    require_national(orgs.len())?;
    let active: Vec<&str> = orgs
        .iter()
        .filter(|o| o.active)
        .map(|o| o.code.as_str())
        .collect();
    println!("database: {engine} ({} active organisations)", active.len());
    let router = router(&app);
    let admin = app.find_person_by_email(DEMO_ADMIN).await?;
    let (_, token) = app.create_token_for(&cli, admin.id, "bench").await?;

    // Publishing to every organisation, each alert timed from request to response.
    let mut times = Vec::with_capacity(b.publishes);
    let mut reference = String::new();
    for n in 1..=b.publishes.max(1) {
        let pending = app.outbox_summary(&cli).await?.pending;
        let req = post_json("/api/v1/alerts", &token, &national_alert(n));
        let t = Instant::now();
        let body = expect(&router, req, StatusCode::CREATED).await?;
        times.push(t.elapsed());
        let created: Value = serde_json::from_slice(&body)?;
        reference = created["id"]
            .as_str()
            .context("the created alert has no id")?
            .to_string();
        let responses: i64 = app
            .response_counts(&cli, &reference)
            .await?
            .iter()
            .map(|c| c.count)
            .sum();
        ensure!(
            responses as usize == active.len(),
            "{reference} reached {responses} organisations, not {}",
            active.len()
        );
        if n == 1 {
            let queued = app.outbox_summary(&cli).await?.pending - pending;
            println!(
                "each publication writes {responses} responses with deadlines and queues \
                 {queued} messages"
            );
        }
    }
    println!(
        "publish a High alert to every organisation: {}",
        summary(times)
    );

    // The outbox figures with every message the publications queued still waiting.
    let pending = app.outbox_summary(&cli).await?.pending;
    let runs = timed(b.runs, |_| {
        let req = super::get("/api/v1/outbox", &token);
        let router = &router;
        async move { expect(router, req, StatusCode::OK).await }
    })
    .await?;
    println!(
        "API outbox figures, {pending} messages pending: {}",
        summary(runs)
    );

    // One organisation in ten acknowledges, on the day, each through its own lead, 500 to a
    // bulk step (as a lead of several organisations would).
    let t = Instant::now();
    let acknowledging: Vec<&Organisation> = orgs.iter().filter(|o| o.active).step_by(10).collect();
    for chunk in acknowledging.chunks(500) {
        let lead = Actor {
            user_id: None,
            label: "bench".into(),
            register_version: None,
            principal: Principal {
                user_id: 0,
                grants: chunk
                    .iter()
                    .map(|o| Grant {
                        role: Role::OrgLead,
                        org_id: Some(o.id),
                    })
                    .collect(),
            },
        };
        let codes: Vec<String> = chunk.iter().map(|o| o.code.clone()).collect();
        app.respond(&lead, &reference, &codes, &StepRequest::Acknowledge)
            .await?;
    }
    println!(
        "{} organisations acknowledged {reference} in bulk steps of 500 in {:.0} ms",
        acknowledging.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );

    // The board two days on: every response still awaiting acknowledgement is late.
    let mut later = app.clone();
    later.clock = Arc::new(ManualClock::new(
        app.clock.now() + time::Duration::hours(49),
    ));
    let board_router = super::router(&later);
    let session = admin_session(&later).await?;
    let base = format!("/api/v1/alerts/{reference}");
    let page = format!("/alerts/{reference}/responses");
    let views = [
        (
            "API counts by status and type (board)",
            format!("{base}/board"),
            false,
        ),
        (
            "API late GP practices, first 50",
            format!("{base}/responses?late=true&org_type=gp_practice&per_page=50"),
            false,
        ),
        (
            "API in progress, page 3 of 50",
            format!("{base}/responses?status=in_progress&page=3&per_page=50"),
            false,
        ),
        (
            "API search by name or code",
            format!("{base}/responses?q=R4&per_page=50"),
            false,
        ),
        ("board page, no filter", page.clone(), true),
        (
            "board page, late pharmacies awaiting acknowledgement",
            format!("{page}?status=awaiting_acknowledgement&late=yes&org_type=pharmacy"),
            true,
        ),
        (
            "alert page (counts and late list)",
            format!("/alerts/{reference}"),
            true,
        ),
    ];
    for (label, uri, is_page) in &views {
        let runs = timed(b.runs, |_| {
            let req = Request::get(uri);
            let req = if *is_page {
                req.header(header::COOKIE, format!("palisade_session={session}"))
            } else {
                req.header(header::AUTHORIZATION, format!("Bearer {token}"))
            };
            let req = req.body(Body::empty()).expect("a valid request");
            let router = &board_router;
            async move { expect(router, req, StatusCode::OK).await }
        })
        .await?;
        println!("{label}: {}", summary(runs));
    }
    // The board as it was counted before its counts were kept, which they must equal.
    let alert_id = palisade_store::AlertStore::find_alert(&b.store, &reference)
        .await?
        .context("the alert just published")?
        .id;
    let now = later.now();
    let kept = palisade_store::AlertStore::response_counts(&b.store, alert_id, now).await?;
    let runs = timed(b.runs, |_| async {
        Ok(b.store.response_counts_recounted(alert_id, now).await?)
    })
    .await?;
    ensure!(
        kept == b.store.response_counts_recounted(alert_id, now).await?,
        "the board's kept counts differ from a recount"
    );
    println!(
        "board counted from every response (before its counts were kept; equal): {}",
        summary(runs)
    );
    let t = Instant::now();
    let csv = expect(
        &board_router,
        Request::get(format!("{base}/responses.csv"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())?,
        StatusCode::OK,
    )
    .await?;
    println!(
        "CSV export of every response ({} rows): {:.0} ms, once",
        csv.iter()
            .filter(|b| **b == b'\n')
            .count()
            .saturating_sub(1),
        t.elapsed().as_secs_f64() * 1000.0
    );

    deliver(&app, &b, "email", b.messages).await?;
    if b.texts > 0 {
        texts(&app, &router, &token, &active, &b).await?;
    }
    if b.stix_objects > 0 {
        stix_seed(&app, &router, &token, b.stix_objects).await?;
    }
    Ok(())
}

/// Drains up to `limit` messages of `channel` through its configured courier, as the worker
/// does (the other channel's messages stay queued).
async fn deliver(app: &App, b: &AlertBench, channel: &str, limit: usize) -> Result<()> {
    let couriers: Vec<Arc<dyn Courier>> = b
        .couriers
        .iter()
        .filter(|c| c.channel() == channel)
        .cloned()
        .collect();
    if couriers.is_empty() || limit == 0 {
        println!(
            "outbox worker, {channel}: not measured (no courier configured, or none asked for)"
        );
        return Ok(());
    }
    let settings = &b.delivery;
    let t = Instant::now();
    let mut sent = 0;
    while sent < limit {
        let round = app.deliver_due(&couriers, settings).await?;
        ensure!(
            round.retried == 0 && round.gave_up == 0,
            "the {channel} peer refused messages: {round:?}"
        );
        if round.sent == 0 {
            break;
        }
        sent += round.sent;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "outbox worker, {channel}: {sent} messages in {secs:.2} s = {:.0} messages/s \
         ({} claimed a round, {} in flight)",
        sent as f64 / secs,
        settings.batch,
        settings.concurrency
    );
    Ok(())
}

/// Gives the first `b.texts` active organisations a duty officer taking alerts by text (each
/// through the contacts use-case), publishes one more High alert, and delivers its texts.
async fn texts(
    app: &App,
    router: &axum::Router,
    token: &str,
    active: &[&str],
    b: &AlertBench,
) -> Result<()> {
    if !b.couriers.iter().any(|c| c.channel() == "sms") {
        println!("outbox worker, sms: not measured (no Notify service configured)");
        return Ok(());
    }
    let cli = Actor::cli();
    duty_officers(app, &active[..b.texts.min(active.len())]).await?;
    let before = app.outbox_summary(&cli).await?.pending;
    let req = post_json("/api/v1/alerts", token, &national_alert(b.publishes + 1));
    expect(router, req, StatusCode::CREATED).await?;
    println!(
        "one more High alert published: {} messages queued",
        app.outbox_summary(&cli).await?.pending - before
    );
    // Every text due: the duty officers' and any the demo's contacts with mobiles queued.
    deliver(app, b, "sms", usize::MAX).await
}

/// Gives each of `codes` a duty officer taking alerts by text, through the contacts use-case,
/// unless it has one already (a later run on the same database): a High alert then queues a
/// text to each.
pub(super) async fn duty_officers(app: &App, codes: &[impl AsRef<str>]) -> Result<()> {
    let cli = Actor::cli();
    let t = Instant::now();
    let mut added = 0;
    for (n, code) in codes.iter().enumerate() {
        let code = code.as_ref();
        let email = format!("duty.officer@{}.example.nhs.uk", code.to_lowercase());
        let (_, contacts) = app.list_contacts(&cli, code).await?;
        if contacts.iter().any(|c| c.email == email) {
            continue;
        }
        let duty = ContactInput {
            name: "Duty Officer".into(),
            role: "alert_contact".into(),
            email,
            mobile: format!("07700{n:06}"),
            alert_channels: "sms".into(),
            reminders: String::new(),
        };
        app.create_contact(&cli, code, &duty).await?;
        added += 1;
    }
    println!(
        "{} organisations with a duty officer taking alerts by text ({added} added in {:.1} s)",
        codes.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Publishes small alerts until the TAXII collection holds at least `objects` objects.
async fn stix_seed(app: &App, router: &axum::Router, token: &str, objects: usize) -> Result<()> {
    let count = || async {
        Ok::<_, anyhow::Error>(
            app.stix_bundle().await?["objects"]
                .as_array()
                .map_or(0, Vec::len),
        )
    };
    let t = Instant::now();
    let mut have = count().await?;
    let mut published = 0;
    while have < objects {
        for _ in 0..50 {
            published += 1;
            let req = post_json("/api/v1/alerts", token, &stix_alert(published));
            expect(router, req, StatusCode::CREATED).await?;
        }
        have = count().await?;
    }
    println!(
        "TAXII collection: {have} objects after {published} more alerts for {STIX_ORG} \
         ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
