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
        .seed_demo(scale, |m| pb.set_message(m.to_string()))
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
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let web = palisade_web::WebConfig {
        cookie_secure,
        request_timeout: settings.request_timeout,
        rate_limits: Some(settings.rate_limits.clone()),
        ..Default::default()
    };
    let couriers = settings.delivery.couriers()?;
    let channels: Vec<&str> = couriers.iter().map(|c| c.channel()).collect();
    for channel in ["email", "sms"] {
        if !channels.contains(&channel) {
            tracing::warn!(
                channel,
                "not configured: its notifications wait in the outbox"
            );
        }
    }
    let state = palisade_web::AppState::new(app.clone(), web);
    tokio::spawn(sweep_sessions(app.clone()));
    // The exposure index is built in the background, so serving starts at once; a question
    // asked before it is ready waits for it.
    let warm = app.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.warm_exposure_index().await {
            tracing::error!(error = %e, "the exposure index could not be built");
        }
    });
    // Escalations and the outbox, beside the requests and never in their way.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(palisade_app::delivery::run_worker(
        app,
        couriers,
        settings.delivery.settings(),
        stopped,
    ));
    eprintln!("Palisade is listening on http://{addr}");
    tracing::info!(%addr, "serving");
    palisade_web::serve(state, listener, async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await?;
    let _ = stop.send(true);
    let _ = worker.await;
    Ok(())
}

/// Removes expired sessions every ten minutes.
async fn sweep_sessions(app: App) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        match app.purge_expired_sessions().await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session sweep failed"),
        }
    }
}
