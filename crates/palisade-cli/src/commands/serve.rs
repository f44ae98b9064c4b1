//! `palisade serve` and `palisade demo`: the web application, its background workers and the
//! demonstration data.

use super::{app_error, open, spinner};
use crate::config::Settings;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use palisade_app::App;

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PALISADE_LISTEN")]
    pub listen: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DemoScale {
    Default,
    Full,
}

/// Seeds the demonstration data, prints the sign-ins and, unless `no_serve`, serves.
pub async fn demo(settings: &Settings, scale: DemoScale, no_serve: bool) -> Result<()> {
    let app = open(settings).await?;
    let pb = spinner("seeding demo data");
    let scale = match scale {
        DemoScale::Default => palisade_app::demo::Scale::Default,
        DemoScale::Full => palisade_app::demo::Scale::Full,
    };
    let report = app
        .seed_demo(scale, |m| {
            // Each step in the log too, with its time: where a long seeding spends it.
            tracing::debug!(step = m, "seeding demo data");
            pb.set_message(m.to_string())
        })
        .await
        .map_err(app_error)?;
    pb.finish_and_clear();
    let r = &report.organisations;
    println!(
        "Demo data ready: {} organisations created, {} updated, {} unchanged.",
        r.created, r.updated, r.unchanged
    );
    println!(
        "Sign in with any of these (password for all: {}):",
        palisade_app::demo::DEMO_PASSWORD
    );
    for s in &report.sign_ins {
        let at = s
            .org
            .as_deref()
            .map(|o| format!(" at {o}"))
            .unwrap_or_default();
        println!("  {:<28} {}{}", s.email, s.role.label(), at);
    }
    if !no_serve {
        println!(
            "Open http://{} in a browser. Stop with Ctrl+C.",
            settings.listen
        );
        // A local demo runs over plain HTTP, so its cookies cannot be marked Secure.
        serve(app, settings, false).await?;
    }
    Ok(())
}

pub async fn serve(app: App, settings: &Settings, cookie_secure: bool) -> Result<()> {
    // Stop signals are caught from before the port opens: a stop asked for as soon as the
    // server answers is then never missed (the default action would kill the process).
    let stop_requested = stop_signal();
    // Held while serving, so that `backup restore` cannot swap the database underneath.
    let _serving =
        palisade_app::backup::hold_while_serving(&settings.database_url).map_err(app_error)?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let web = palisade_web::WebConfig {
        cookie_secure,
        request_timeout: settings.request_timeout,
        connections: settings.connections.clone(),
        figures_at_once: settings.figures_at_once,
        rate_limits: Some(settings.rate_limits.clone()),
        metrics_token: settings.metrics_token.clone(),
        ..Default::default()
    };
    let couriers = settings.delivery.couriers()?;
    let channels: Vec<&str> = couriers.iter().map(|c| c.channel()).collect();
    for channel in palisade_store::OUTBOX_CHANNELS {
        if !channels.contains(&channel) {
            tracing::warn!(
                channel,
                "not configured: its notifications wait in the outbox"
            );
        }
    }
    let state = palisade_web::AppState::new(app.clone(), web);
    // The exposure index is built in the background, so serving starts at once; a question
    // asked before it is ready waits for it. The national posture, which reads it, follows.
    let warm = app.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.warm_exposure_index().await {
            tracing::error!(error = %e, "the exposure index could not be built");
        }
        if let Err(e) = warm.warm_posture().await {
            tracing::error!(error = %e, "the national posture could not be worked out");
        }
    });
    // The background jobs (shared with the other servers on this database) and the outbox,
    // beside the requests and never in their way.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let server_name = palisade_app::jobs::server_name();
    tracing::info!(server = %server_name, "running background jobs as");
    let scheduler = tokio::spawn(palisade_app::jobs::run_scheduler(
        app.clone(),
        server_name.to_string(),
        stopped.clone(),
    ));
    let saver = app.clone();
    // The index's snapshot (when configured) kept within an hour of the uploads.
    let keeper = tokio::spawn({
        let app = app.clone();
        async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = app.keep_exposure_index().await {
                    tracing::warn!(error = %e, "the exposure index snapshot was not kept");
                }
            }
        }
    });
    let worker = tokio::spawn(palisade_app::delivery::run_worker(
        app,
        couriers,
        settings.delivery.settings(),
        stopped,
    ));
    eprintln!("Palisade is listening on http://{addr}");
    tracing::info!(%addr, "serving");
    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    let server = palisade_web::serve(state, listener, async move {
        stop_requested.await;
        tracing::info!("shutting down: no new connections; finishing requests and deliveries");
        let _ = signalled.send(true);
    });
    tokio::pin!(server);
    // In-flight requests get a grace period once a stop is asked for; then they are cut off.
    tokio::select! {
        done = &mut server => done?,
        _ = async {
            let _ = on_signal.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("requests still running after the grace period were cut off"),
    }
    let _ = stop.send(true);
    let (worker, scheduler) = tokio::join!(
        tokio::time::timeout(SHUTDOWN_GRACE, worker),
        tokio::time::timeout(SHUTDOWN_GRACE, scheduler)
    );
    // The next start then reads the index rather than every inventory.
    keeper.abort();
    if let Err(e) = saver.save_exposure_index().await {
        tracing::warn!(error = %e, "the exposure index snapshot was not written");
    }
    if worker.is_err() {
        tracing::warn!("the delivery worker did not stop within the grace period");
    }
    if scheduler.is_err() {
        tracing::warn!(
            "a background job did not finish within the grace period; its lease runs out and another server takes it"
        );
    }
    // Last: on SQLite the write-ahead log is copied back and removed, so the file alone holds
    // everything (for a copy taken after the stop, or a restore).
    saver.close().await;
    Ok(())
}

/// How long requests and deliveries in flight may take to finish after a stop is asked for.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Catches SIGINT (Ctrl+C) and SIGTERM (what a service manager sends to stop a service) from
/// the call on; the future completes when one arrives.
#[cfg(unix)]
fn stop_signal() -> impl std::future::Future<Output = ()> + Send {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async fn arrival(caught: std::io::Result<Signal>, name: &'static str) {
        match caught {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, signal = name, "cannot be caught; it stops the server at once");
                std::future::pending::<()>().await;
            }
        }
    }
    async move {
        tokio::select! {
            () = arrival(interrupt, "SIGINT") => {}
            () = arrival(terminate, "SIGTERM") => {}
        }
    }
}

/// Completes on Ctrl+C.
#[cfg(not(unix))]
fn stop_signal() -> impl std::future::Future<Output = ()> + Send {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
