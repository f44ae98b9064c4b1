//! `bench incidents`: the incident targets at national scale, on the national demo with a
//! decade of incidents added (200,000 by default, each with two timeline entries and five
//! indicators: 1,000,000, one in ten TLP:CLEAR). The volume is written once, straight to the
//! database; a second run finds it there.
//!
//! - The national triage board's first page, unfiltered and with filters, through the API and
//!   as the page, alone and with eight clients at once.
//! - "Has anyone seen this indicator?" (`GET /api/v1/indicators?value=`), a different value
//!   each run.
//! - Notifying an incident through `POST /api/v1/organisations/{code}/incidents` as its lead.
//! - The indicators TAXII collection listed whole by an anonymous client (the TLP:CLEAR ones),
//!   pages of 1,000; `scripts/taxii_indicators_bench.py` does the same over HTTP with
//!   taxii2-client.

use super::{admin_session, at_once, expect, get, require_national, router, summary, timed};
use anyhow::Result;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use palisade_app::{Actor, App};
use palisade_domain::org::REGIONS;
use palisade_store::volume::{IncidentVolume, seed_incident_volume, volume_indicator};
use serde_json::{Value, json};
use std::time::Instant;

/// What `bench incidents` writes and measures.
pub struct IncidentBench {
    pub runs: usize,
    pub incidents: usize,
    pub indicators_per_incident: usize,
    /// Incidents notified through the API, each one timed.
    pub notifies: usize,
    /// Concurrent clients for the board under load.
    pub clients: usize,
}

pub async fn incidents(
    app: App,
    settings: &crate::config::Settings,
    engine: &str,
    b: IncidentBench,
) -> Result<()> {
    let cli = Actor::cli();
    let orgs = app.export_orgs(&cli).await?;
    require_national(orgs.len())?;
    let store = palisade_store::SqlStore::connect(&settings.database_url, 4).await?;
    let t = Instant::now();
    let (written, indicators) = seed_incident_volume(
        &store,
        IncidentVolume {
            incidents: b.incidents,
            indicators_per_incident: b.indicators_per_incident,
            now: app.now(),
        },
        palisade_app::incidents::new_stix_id,
    )
    .await?;
    store.close().await;
    if written > 0 {
        println!(
            "seeded {written} incidents and {indicators} indicators in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    println!(
        "database: {engine} ({} organisations, {} incidents of volume)",
        orgs.len(),
        b.incidents
    );

    let router = router(&app);
    let admin = app.find_person_by_email(super::DEMO_ADMIN).await?;
    let (_, token) = app.create_token_for(&cli, admin.id, "bench").await?;
    let session = admin_session(&app).await?;
    let region = REGIONS[0];
    let boards = [
        ("board, first page", "/api/v1/incidents".to_string()),
        (
            "board, status and kind",
            "/api/v1/incidents?status=investigating&kind=ransomware".to_string(),
        ),
        (
            "board, open, late, region",
            format!("/api/v1/incidents?open=true&late=true&region={region}"),
        ),
        (
            "board, reportable, impact, type",
            "/api/v1/incidents?reportable=yes&impact=serious&type=acute_trust".to_string(),
        ),
    ];
    for (label, uri) in &boards {
        let times = timed(b.runs, |_| {
            expect(&router, get(uri, &token), StatusCode::OK)
        })
        .await?;
        println!("{label:<34} {}", summary(times));
    }
    let page = timed(b.runs, |_| {
        let req = Request::get("/incidents?open=yes&late=yes")
            .header(header::COOKIE, format!("palisade_session={session}"))
            .body(Body::empty())
            .expect("a valid request");
        expect(&router, req, StatusCode::OK)
    })
    .await?;
    println!(
        "{:<34} {}",
        "board page (HTML), open and late",
        summary(page)
    );

    // Eight people opening the filtered board at once.
    let (uri, key) = (boards[2].1.clone(), token.clone());
    let all = at_once(&router, b.clients, b.runs, move |_, _| get(&uri, &key)).await?;
    println!(
        "{:<34} {}",
        format!("board, {} clients at once", b.clients),
        summary(all)
    );

    let lookup = timed(b.runs, |i| {
        let n = if i == usize::MAX { 0 } else { i * 7919 };
        let (_, value, _) = volume_indicator(n % b.incidents.max(1), 0);
        let uri = format!("/api/v1/indicators?value={value}");
        let (router, token) = (&router, &token);
        async move {
            let body = expect(router, get(&uri, token), StatusCode::OK).await?;
            let found: Value = serde_json::from_slice(&body)?;
            anyhow::ensure!(
                found["items"].as_array().is_some_and(|a| a.len() == 1),
                "{uri} found {found}"
            );
            Ok(())
        }
    })
    .await?;
    println!("{:<34} {}", "indicator look-up", summary(lookup));

    // Notifying, as the demo lead of R41.
    let lead = app.find_person_by_email("lead@example.nhs.uk").await?;
    let (_, lead_token) = app.create_token_for(&cli, lead.id, "bench").await?;
    let now = palisade_domain::clock::rfc3339(palisade_domain::clock::from_unix(app.now() - 3600));
    let report = json!({
        "title": "Ransomware on a file server (bench)",
        "description": "Files encrypted overnight.",
        "kind": "ransomware",
        "started_at": now,
        "aware_at": now,
        "cia": ["availability"],
        "personal_data": true,
        "likelihood": "likely",
        "impact": "serious",
        "systems": ["File server"],
        "notify": true
    })
    .to_string();
    let notify = timed(b.notifies, |_| {
        let req = Request::post("/api/v1/organisations/R41/incidents")
            .header(header::AUTHORIZATION, format!("Bearer {lead_token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(report.clone()))
            .expect("a valid request");
        expect(&router, req, StatusCode::CREATED)
    })
    .await?;
    println!("{:<34} {}", "notify an incident (API)", summary(notify));

    // The anonymous TAXII listing, whole, pages of 1,000.
    let collection = format!(
        "/taxii2/api/collections/{}/objects/",
        palisade_formats::publish::indicators::collection_id()
    );
    let mut listings = Vec::new();
    let mut objects = 0;
    for _ in 0..3 {
        let t = Instant::now();
        objects = 0;
        let mut next: Option<String> = None;
        loop {
            let mut uri = format!("{collection}?limit=1000");
            if let Some(n) = &next {
                uri.push_str(&format!("&next={n}"));
            }
            let req = Request::get(&uri).body(Body::empty())?;
            let body = expect(&router, req, StatusCode::OK).await?;
            let page: Value = serde_json::from_slice(&body)?;
            objects += page["objects"].as_array().map_or(0, Vec::len);
            match page["next"].as_str() {
                Some(n) if page["more"] == true => next = Some(n.to_string()),
                _ => break,
            }
        }
        listings.push(t.elapsed());
    }
    listings.sort();
    println!(
        "{:<34} median {:.2} s of 3 ({objects} objects)",
        "TAXII indicators, whole, anonymous",
        listings[1].as_secs_f64()
    );
    Ok(())
}
