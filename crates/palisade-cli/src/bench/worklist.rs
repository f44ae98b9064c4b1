//! `bench worklist`: each person's worklist at national scale, on the national demo.
//!
//! - The worklist of one trust's lead (`GET /api/v1/me/worklist`).
//! - The worklist of a lead acting for at least `--homes` organisations: granted in the
//!   parents with the most organisations beneath (ICBs, whose practices stand in for a large
//!   care group's homes) until they cover that many.
//! - Both again with `--clients` people asking at once.
//! - The national posture (`GET /api/v1/posture`): worked out afresh, and as most requests are
//!   answered (from the figures of the last minute), alone and with `--clients` at once.
//! - The reminder job over every organisation: a High alert published to all, then the job run
//!   at 24 hours and at 4 hours before the responses are due (each a national round of
//!   reminders), twice over, with the process's memory before and after each.
//!
//! The two leads are made once (`bench-lead@...` and `bench-group-lead@...`); a second run finds
//! them. Each run publishes two alerts and records their reminders.

use super::alerts::{national_alert, post_json};
use super::matching::memory_mib;
use super::{DEMO_ADMIN, at_once, expect, get, require_national, router, summary, timed};
use anyhow::{Context, Result};
use axum::http::StatusCode;
use palisade_app::people::NewPersonInput;
use palisade_app::{Actor, App};
use palisade_domain::clock::{ManualClock, from_unix};
use palisade_domain::org::OrgType;
use palisade_domain::people::Role;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// What `bench worklist` measures.
pub struct WorklistBench {
    pub runs: usize,
    /// Organisations the group lead acts for, at least.
    pub homes: usize,
    pub clients: usize,
    /// The database, for volume the app has no path to write at this speed.
    pub store: palisade_store::SqlStore,
    /// Also a national round of daily digests, every contact put on the digest.
    pub digests: bool,
    /// Components across every organisation's inventory, written first where none is there.
    pub components: usize,
    /// A known exploited vulnerabilities catalogue to import first.
    pub kev: Option<std::path::PathBuf>,
}

const LEAD: &str = "bench-lead@example.nhs.uk";
const GROUP_LEAD: &str = "bench-group-lead@example.nhs.uk";

/// The person with `email`, made with `role` in each of `orgs` when not there yet, and a token.
pub(super) async fn person(app: &App, email: &str, orgs: &[String]) -> Result<String> {
    let cli = Actor::cli();
    // Not found is an error naming the email; any other failure shows again on creating.
    let user = match app.find_person_by_email(email).await {
        Ok(u) => u,
        Err(_) => {
            let input = NewPersonInput {
                email: email.to_string(),
                name: "Bench Lead".to_string(),
                password: String::new(),
            };
            let first = orgs.first().context("no organisation to grant")?;
            let user = app
                .create_person(&cli, &input, Role::OrgLead, Some(first))
                .await?;
            for code in &orgs[1..] {
                app.grant_role(&cli, user.id, Role::OrgLead, Some(code))
                    .await?;
            }
            user
        }
    };
    let (_, token) = app.create_token_for(&cli, user.id, "bench").await?;
    Ok(token)
}

pub async fn worklist(app: App, engine: &str, b: WorklistBench) -> Result<()> {
    let cli = Actor::cli();
    let orgs = app.export_orgs(&cli).await?;
    require_national(orgs.len())?;
    // One trust; then parents by the number of organisations beneath, until `homes`.
    let trust = orgs
        .iter()
        .find(|o| o.org_type == OrgType::AcuteTrust && o.active)
        .context("the demo has no acute trust")?;
    let mut beneath: HashMap<&str, usize> = HashMap::new();
    for o in orgs.iter().filter(|o| o.active) {
        if let Some(p) = o.parent_code.as_deref() {
            *beneath.entry(p).or_default() += 1;
        }
    }
    let mut parents: Vec<(&str, usize)> = beneath.into_iter().collect();
    parents.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let (mut granted, mut covered) = (Vec::new(), 0usize);
    for (code, n) in parents {
        if covered >= b.homes {
            break;
        }
        granted.push(code.to_string());
        covered += n + 1;
    }
    println!(
        "database: {engine} ({} organisations); lead of {}; group lead of {} ({covered} organisations)",
        orgs.len(),
        trust.code,
        granted.join(", ")
    );
    let lead = person(&app, LEAD, std::slice::from_ref(&trust.code)).await?;
    let group = person(&app, GROUP_LEAD, &granted).await?;
    let router = router(&app);
    let uri = "/api/v1/me/worklist";
    if b.components > 0 || b.kev.is_some() {
        // Before any question builds the index: the volume has no change history to follow.
        estate(&app, &b, &orgs).await?;
        let t = Instant::now();
        expect(&router, get(uri, &group), StatusCode::OK).await?;
        println!(
            "the group lead's first worklist (what each assessment needs read, the known \
             exploited reach worked out): {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }

    for (who, token) in [("a trust's lead", &lead), ("the group lead", &group)] {
        let body = expect(&router, get(uri, token), StatusCode::OK).await?;
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        println!(
            "{who}: {} items over {} organisations",
            v["items"].as_array().map_or(0, Vec::len),
            v["organisations"]
        );
        let times = timed(b.runs, |_| {
            let (router, req) = (router.clone(), get(uri, token));
            async move { expect(&router, req, StatusCode::OK).await }
        })
        .await?;
        println!("worklist of {who}: {}", summary(times));
        let token = token.clone();
        let times = at_once(&router, b.clients, b.runs, move |_, _| get(uri, &token)).await?;
        println!(
            "worklist of {who}, {} people at once: {}",
            b.clients,
            summary(times)
        );
    }
    posture(&app, &router, &b).await?;
    reminders(&app, &router, &trust.code).await?;
    if b.components > 0 || b.kev.is_some() {
        let t = Instant::now();
        expect(&router, get(uri, &group), StatusCode::OK).await?;
        println!(
            "the group lead's first worklist after the reminder rounds' alerts (the reach worked \
             out again): {:.1} ms",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    if b.digests {
        digests(&app, &b.store, &orgs).await?;
    }
    Ok(())
}

/// The national estate: the catalogue imported, an inventory for every organisation without
/// one (each runs Windows, three products the catalogue names and generated packages and
/// products for the rest), and the exposure index built as a server builds it on starting.
async fn estate(app: &App, b: &WorklistBench, orgs: &[palisade_store::Organisation]) -> Result<()> {
    use super::matching::{catalogue, inventory_csv};
    let mut named: Vec<(String, String)> = Vec::new();
    if let Some(path) = &b.kev {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let imported = app.import_kev(&Actor::cli(), &bytes).await?;
        let parsed = palisade_formats::kev::parse_catalogue(&bytes).map_err(anyhow::Error::msg)?;
        named = parsed
            .entries
            .iter()
            .map(|e| (e.vendor_project.clone(), e.product.clone()))
            .filter(|(v, p)| !format!("{v}{p}").contains([',', '"', '\n']))
            .collect();
        named.sort();
        named.dedup();
        println!(
            "known exploited vulnerabilities: {} entries ({} products), changed: {}",
            parsed.entries.len(),
            named.len(),
            imported.changed
        );
    }
    if b.components > 0 {
        let per_org = (b.components / orgs.len().max(1)).max(1);
        let mut g = palisade_domain::sample::Xorshift::new(56);
        let entries = catalogue(&mut g, 20_000, 2_000);
        let components = |org: i64| -> Vec<palisade_domain::inventory::Component> {
            let mut g = palisade_domain::sample::Xorshift::new(org as u64 + 1);
            let extra = if named.is_empty() { 1 } else { 4 };
            let mut csv = inventory_csv(&entries, &mut g, per_org.saturating_sub(extra), 0);
            csv.push_str("ws-1,workstation,Microsoft,Windows,10 22H2,,,no\n");
            for i in 1..extra {
                let (vendor, product) = &named[g.below(named.len())];
                csv.push_str(&format!("kev-{i},server,{vendor},{product},1.0,,,no\n"));
            }
            palisade_formats::inventory::parse_inventory_csv(csv.as_bytes(), usize::MAX)
                .expect("generated inventories are valid")
                .into_iter()
                .map(|r| r.component)
                .collect()
        };
        let ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
        let t = Instant::now();
        let (written, count) =
            palisade_store::volume::seed_inventory_volume(&b.store, &ids, &components, app.now())
                .await?;
        println!(
            "inventories written: {written} organisations, {count} components in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let held = app.warm_exposure_index().await?;
    println!(
        "exposure index built: {held} components in {:.1} s (memory {:.0} MiB)",
        t.elapsed().as_secs_f64(),
        memory_mib("VmRSS:").unwrap_or_default()
    );
    restarts(app, &b.store).await
}

/// The index written to its snapshot as a stopping server writes it, then read by three
/// servers starting on the same database, each timed until its index is ready.
async fn restarts(app: &App, store: &palisade_store::SqlStore) -> Result<()> {
    let path = std::env::temp_dir().join(format!("palisade-bench-{}.index", std::process::id()));
    let with_snapshot = |mut a: App| {
        a.inventory.index_snapshot = Some(path.clone());
        a
    };
    let t = Instant::now();
    with_snapshot(app.clone()).save_exposure_index().await?;
    let bytes = std::fs::metadata(&path)
        .map(|m| m.len())
        .unwrap_or_default();
    println!(
        "exposure index snapshot written: {:.0} MiB in {:.2} s",
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    for run in 1..=3 {
        let restarted = with_snapshot(App::new(
            Arc::new(store.clone()),
            Arc::new(palisade_domain::clock::SystemClock),
            palisade_app::AuthSettings::default(),
        ));
        let t = Instant::now();
        let held = restarted.warm_exposure_index().await?;
        anyhow::ensure!(
            restarted.exposure_index_from_snapshot().await,
            "the snapshot was not used"
        );
        println!(
            "a restart's index from its snapshot ({run} of 3): {held} components in {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Every contact on the daily digest, a reminder collected for each organisation's contacts,
/// then the national round of digests the next morning.
async fn digests(
    app: &App,
    store: &palisade_store::SqlStore,
    orgs: &[palisade_store::Organisation],
) -> Result<()> {
    use palisade_store::ReminderStore as _;
    let moved = palisade_store::volume::every_contact_on_the_digest(store).await?;
    println!("contacts put on the daily digest: {moved}");
    let now = app.now();
    let t = Instant::now();
    let mut collected = 0;
    for chunk in orgs.chunks(500) {
        let batch: Vec<palisade_store::NewReminder> = chunk
            .iter()
            .map(|o| palisade_store::NewReminder {
                key: format!("reminder:plan_action:{}/bench-{now}:7d", o.code),
                org_id: o.id,
                subject: format!("Improvement plan action is due: {}", o.code),
                email_body: format!("An action in the improvement plan of {} is due.", o.name),
                sms_body: String::new(),
            })
            .collect();
        let queued = store
            .queue_reminders(
                "plan_action",
                palisade_domain::people::ContactRole::ALL,
                &batch,
                true,
                now,
            )
            .await?;
        collected += queued.digested;
    }
    println!(
        "reminders collected for digests: {collected} items in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    // 08:00 UTC the next day: past the digest hour in winter and summer alike.
    let morning = now - now.rem_euclid(86_400) + 86_400 + 8 * 3600;
    let mut at = app.clone();
    at.clock = Arc::new(ManualClock::new(from_unix(morning)));
    let before = memory_mib("VmRSS:").unwrap_or_default();
    let t = Instant::now();
    let sent = at.send_digests().await?;
    let took = t.elapsed();
    let after = memory_mib("VmRSS:").unwrap_or_default();
    println!(
        "national round of digests: {sent} emails in {:.2} s (memory {before:.0} MiB before, \
         {after:.0} MiB after)",
        took.as_secs_f64()
    );
    anyhow::ensure!(
        at.send_digests().await? == 0,
        "a second round the same morning sent digests again"
    );
    Ok(())
}

async fn posture(app: &App, router: &axum::Router, b: &WorklistBench) -> Result<()> {
    let cli = Actor::cli();
    let fresh = timed(b.runs.min(10), |_| {
        let (app, cli) = (app.clone(), cli.clone());
        async move { Ok(app.posture_now(&cli).await?) }
    })
    .await?;
    println!("national posture worked out afresh: {}", summary(fresh));
    let admin = app.find_person_by_email(DEMO_ADMIN).await?;
    let (_, token) = app.create_token_for(&cli, admin.id, "bench").await?;
    let uri = "/api/v1/posture";
    let times = timed(b.runs, |_| {
        let (router, req) = (router.clone(), get(uri, &token));
        async move { expect(&router, req, StatusCode::OK).await }
    })
    .await?;
    println!(
        "national posture (figures of the last minute): {}",
        summary(times)
    );
    let times = at_once(router, b.clients, b.runs, move |_, _| get(uri, &token)).await?;
    println!(
        "national posture, {} people at once: {}",
        b.clients,
        summary(times)
    );
    Ok(())
}

/// A national round of reminders at 24 and 4 hours before a High alert's responses are due,
/// for two alerts, on a clock set to each moment.
async fn reminders(app: &App, router: &axum::Router, org: &str) -> Result<()> {
    let cli = Actor::cli();
    let admin = app.find_person_by_email(DEMO_ADMIN).await?;
    let (_, token) = app.create_token_for(&cli, admin.id, "bench").await?;
    for n in 1..=2 {
        let body = expect(
            router,
            post_json("/api/v1/alerts", &token, &national_alert(1000 + n)),
            StatusCode::CREATED,
        )
        .await?;
        let created: serde_json::Value = serde_json::from_slice(&body)?;
        let reference = created["id"].as_str().context("no alert id")?;
        let due = app
            .alert_response(&cli, reference, org)
            .await?
            .response
            .due_at
            .context("a High alert's response has a deadline")?;
        for hours in [24, 4] {
            let mut at = app.clone();
            at.clock = Arc::new(ManualClock::new(from_unix(due - hours * 3600)));
            let before = memory_mib("VmRSS:").unwrap_or_default();
            let t = Instant::now();
            let round = at.send_reminders().await?;
            let took = t.elapsed();
            let after = memory_mib("VmRSS:").unwrap_or_default();
            println!(
                "reminder job, {reference} due in {hours} h: {} reminders, {} messages in {:.2} s \
                 (memory {before:.0} MiB before, {after:.0} MiB after)",
                round.reminders,
                round.messages,
                took.as_secs_f64()
            );
        }
    }
    Ok(())
}
