//! `palisade`: the one binary. Serves the web application and runs the operator's commands,
//! a module per command group under `commands/` (and `bench/`).

mod bench;
mod commands;
mod config;
mod sso_config;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use commands::serve::{DemoScale, ServeArgs};
use commands::{
    admin, alerts, audit, backup, charter, estate, frameworks, jobs, orgs, playbooks, report,
};
use config::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc returns freed pages to the system soon after a large request; glibc's allocator
/// kept most of a large upload's memory for the life of the process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "palisade",
    version,
    about = "Cyber-security assurance and threat response for health and care organisations"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Database URL: sqlite://FILE (embedded, the default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "PALISADE_DATABASE_URL",
        hide_env_values = true
    )]
    database: Option<String>,
    /// A TOML configuration file (see docs/OPERATIONS.md).
    #[arg(long, global = true, env = "PALISADE_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and API.
    Serve(ServeArgs),
    /// Seed demonstration data (safe to run twice), print the sign-ins, and serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// How much of the national register to create.
        #[arg(long, value_enum, default_value = "default")]
        scale: DemoScale,
        /// Seed and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// People and tokens.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The organisation register.
    #[command(subcommand)]
    Orgs(orgs::OrgsCommand),
    /// Cyber alerts.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// The estate's data feeds.
    #[command(subcommand)]
    Estate(estate::EstateCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Backups of the embedded database.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Assessment frameworks.
    #[command(subcommand)]
    Frameworks(frameworks::FrameworksCommand),
    /// The supplier cyber security charter: import a version, show the one in force.
    #[command(subcommand)]
    Charter(charter::CharterCommand),
    /// Incident response playbooks: import, export as CACAO 2.0, list.
    #[command(subcommand)]
    Playbooks(playbooks::PlaybooksCommand),
    /// National figures.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// The background jobs every server shares: list them, run one now.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Measure performance targets on the database as it stands (seed it with `demo --scale full`).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let serve_args = match &cli.command {
        Command::Serve(a) | Command::Demo { serve: a, .. } => Some(a.clone()),
        _ => None,
    };
    let settings = Settings::load(
        cli.common.config.as_deref(),
        cli.common.database.clone(),
        serve_args.and_then(|a| a.listen),
    )?;
    match cli.command {
        Command::Serve(_) => {
            let app = commands::open(&settings).await?;
            commands::serve::serve(app, &settings, settings.cookie_secure).await?;
        }
        Command::Demo {
            scale, no_serve, ..
        } => commands::serve::demo(&settings, scale, no_serve).await?,
        Command::Migrate => {
            commands::open(&settings).await?;
            println!("Migrations applied ({}).", settings.engine_name());
        }
        Command::Admin(c) => return c.run(&settings).await,
        Command::Orgs(c) => return c.run(&settings).await,
        Command::Alerts(c) => return c.run(&settings).await,
        Command::Estate(c) => return c.run(&settings).await,
        Command::Audit(c) => return c.run(&settings).await,
        Command::Backup(c) => return c.run(&settings).await,
        Command::Frameworks(c) => return c.run(&settings).await,
        Command::Charter(c) => return c.run(&settings).await,
        Command::Playbooks(c) => return c.run(&settings).await,
        Command::Report(c) => return c.run(&settings).await,
        Command::Jobs(c) => return c.run(&settings).await,
        Command::Bench(c) => c.run(&settings).await?,
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG")
                .unwrap_or_else(|_| "warn,palisade=info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal, never escape codes in a service's log.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
