//! `palisade`: the one binary. Serves the web application and runs the operator's commands.

mod bench;
mod config;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use config::Settings;
use palisade_app::{Actor, App, AppError};
use palisade_domain::clock::SystemClock;
use palisade_domain::people::Role;
use palisade_store::SqlStore;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
    Admin(AdminCommand),
    /// The organisation register.
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Cyber alerts.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// The estate's data feeds.
    #[command(subcommand)]
    Estate(EstateCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Backups of the embedded database.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Assessment frameworks.
    #[command(subcommand)]
    Frameworks(FrameworksCommand),
    /// National figures.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Measure performance targets on the database as it stands (seed it with `demo --scale full`).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The national report (with a naive baseline), assessment pages and a 100-answer save.
    Assessments {
        /// Timed runs of each measurement.
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Publishing a High alert to every organisation, the response board, the outbox worker
    /// (to the configured SMTP server) and, on request, a large TAXII collection. It publishes
    /// alerts and queues mail: run it on a database kept for benchmarks.
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
        /// Publish small alerts until the TAXII collection holds this many objects.
        #[arg(long, default_value_t = 0)]
        stix_objects: usize,
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

#[derive(Subcommand)]
enum AlertsCommand {
    /// Make a draft alert of each CSAF 2.0 advisory (JSON), to review and publish. Each file is
    /// its own import: one that fails changes nothing and the others still import.
    ImportCsaf {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Every published alert as one STIX 2.1 bundle (what the TAXII collection serves), to FILE
    /// or standard output with -.
    StixBundle { file: PathBuf },
}

// The subcommands are named by contract (`palisade estate import-eol` and so on).
#[allow(clippy::enum_variant_names)]
#[derive(Subcommand)]
enum EstateCommand {
    /// Replace the product lifecycles with the endoflife.date product files (`*.md`) in DIR.
    /// Importing the same data again changes nothing.
    ImportEol { dir: PathBuf },
    /// Replace the known exploited vulnerabilities with CISA's catalogue (its JSON file).
    /// Importing the same catalogue again changes nothing.
    ImportKev { file: PathBuf },
    /// Add OSV records to the advisories matched against inventories: a directory of JSON
    /// records or a ZIP of them (as osv.dev publishes per ecosystem). Records are kept by id, so
    /// importing the same ones again changes nothing.
    ImportOsv { path: PathBuf },
    /// Add CSAF 2.0 advisories (a JSON file or a directory of them) to the advisories matched
    /// against inventories, by their tracking id; no alert is drafted (see `alerts import-csaf`).
    ImportCsaf { path: PathBuf },
}

#[derive(Subcommand)]
enum FrameworksCommand {
    /// Import a framework file (docs/FORMATS.md), an OSCAL catalog JSON or a CISO Assistant
    /// library YAML. The last two need --key, --year, --categories and --deadline.
    Import {
        file: PathBuf,
        /// Family key for an external catalog, e.g. `clinic-basics`.
        #[arg(long)]
        key: Option<String>,
        /// Assessment year (cycle start) for an external catalog.
        #[arg(long)]
        year: Option<i32>,
        /// Categories for an external catalog, e.g. `3,4`.
        #[arg(long, value_delimiter = ',')]
        categories: Vec<u8>,
        /// Deadline (YYYY-MM-DD) for an external catalog.
        #[arg(long)]
        deadline: Option<String>,
    },
    /// List imported frameworks.
    List,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Statuses by organisation type, category and region, with year-on-year change.
    National {
        /// Assessment year (cycle start: 2026 is 2026-27); defaults to the current cycle.
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
    },
    /// One organisation's assessment as OSCAL assessment results (JSON) on standard output.
    Oscal {
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// Assessment year (cycle start); defaults to the current cycle.
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Json,
    Csv,
    Text,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PALISADE_LISTEN")]
    listen: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DemoScale {
    Default,
    Full,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a person with a role; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// national_admin, national_analyst, org_lead, org_member or auditor.
        #[arg(long)]
        role: String,
        /// The organisation code, for roles held in an organisation.
        #[arg(long)]
        org: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Create an API token for a person; the token is printed alone on the last line.
    CreateToken {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        label: String,
    },
}

#[derive(Subcommand)]
enum OrgsCommand {
    /// Import (upsert) organisations from CSV with header code,name,type,category,region,parent_code.
    Import { file: PathBuf },
    /// Export the register in the same CSV format (to FILE, or standard output with -).
    Export { file: PathBuf },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exit 0 if intact, 1 naming the first bad entry otherwise.
    Verify {
        /// An `ENTRY:HASH` printed by an earlier run and kept outside the database; proves the
        /// history up to that entry was not rewritten. May be repeated.
        #[arg(long = "anchor", value_parser = parse_anchor)]
        anchors: Vec<(i64, String)>,
    },
}

fn parse_anchor(s: &str) -> std::result::Result<(i64, String), String> {
    let (seq, hash) = s
        .split_once(':')
        .ok_or("expected ENTRY:HASH, for example 1200:3fa9...")?;
    let seq = seq
        .trim()
        .parse::<i64>()
        .map_err(|_| format!("'{seq}' is not an entry number"))?;
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the hash must be 64 hexadecimal characters".into());
    }
    Ok((seq, hash))
}

#[derive(Subcommand)]
enum BackupCommand {
    /// Write a consistent copy of the SQLite database to FILE while Palisade keeps running.
    Create { file: PathBuf },
    /// Replace the SQLite database with FILE (after checking it). Stop Palisade first.
    Restore { file: PathBuf },
}

async fn open(settings: &Settings) -> Result<App> {
    let store = SqlStore::connect(&settings.database_url, settings.max_connections)
        .await
        .with_context(|| format!("cannot open the {} database", settings.engine_name()))?;
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    let mut app = App::new(Arc::new(store), Arc::new(SystemClock), settings.auth())
        .with_objects(settings.objects()?);
    app.alerts = settings.alerts.clone();
    Ok(app)
}

/// The JSON files at `path`: a directory's, a ZIP's, or the one file.
fn json_files(path: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>> {
    let read = || format!("cannot read {}", path.display());
    if path.is_dir() {
        return palisade_formats::files::read_dir_files(path, ".json").with_context(read);
    }
    let bytes = std::fs::read(path).with_context(read)?;
    if path.extension().is_some_and(|x| x == "zip") {
        return palisade_formats::files::read_zip_files(&bytes, ".json")
            .map_err(|e| app_error(e.into()));
    }
    Ok(vec![(path.display().to_string(), bytes)])
}

fn print_advisory_import(done: &palisade_app::estate::AdvisoryImport) {
    println!(
        "{}: {} advisories read, {} new or changed",
        done.feed, done.read, done.changed
    );
    for n in &done.notes {
        println!("  note: {n}");
    }
}

/// One line on what a feed import did.
fn feed_summary(done: &palisade_app::estate::FeedImport) -> String {
    let data = done
        .data_time
        .map(|t| format!("; data as of {}", palisade_domain::clock::day_of(t)))
        .unwrap_or_default();
    if done.changed {
        format!("{}: {} items imported{data}", done.feed, done.items)
    } else {
        format!(
            "{}: unchanged, {} items already held{data}",
            done.feed, done.items
        )
    }
}

fn app_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Invalid(errs) => {
            let lines: Vec<String> = errs
                .0
                .iter()
                .map(|e| format!("  {}: {}", e.field, e.message))
                .collect();
            anyhow::anyhow!("{} problem(s):\n{}", errs.0.len(), lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn serve(app: App, settings: &Settings, cookie_secure: bool) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    let web = palisade_web::WebConfig {
        cookie_secure,
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

/// Every problem of a refused import, one per line, on standard error.
fn print_import_problems(file: &std::path::Path, errs: &palisade_domain::FieldErrors) {
    eprintln!(
        "{} has {} problem(s); nothing was imported:",
        file.display(),
        errs.0.len()
    );
    for e in &errs.0 {
        eprintln!("  {}: {}", e.field, e.message);
    }
}

fn spinner(msg: &str) -> indicatif::ProgressBar {
    let pb = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb.set_message(msg.to_string());
    pb
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
            let app = open(&settings).await?;
            serve(app, &settings, settings.cookie_secure).await?;
        }
        Command::Demo {
            scale, no_serve, ..
        } => {
            let app = open(&settings).await?;
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
                serve(app, &settings, false).await?;
            }
        }
        Command::Migrate => {
            open(&settings).await?;
            println!("Migrations applied ({}).", settings.engine_name());
        }
        Command::Admin(AdminCommand::CreateUser {
            email,
            name,
            role,
            org,
            password_stdin: _,
        }) => {
            let role: Role = role
                .parse()
                .map_err(|m: String| anyhow::anyhow!("--role: {m}"))?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            if password.is_empty() {
                bail!("no password on standard input");
            }
            let app = open(&settings).await?;
            let input = palisade_app::people::NewPersonInput {
                email,
                name,
                password,
            };
            let user = app
                .create_person(&Actor::cli(), &input, role, org.as_deref())
                .await
                .map_err(app_error)?;
            println!("Created {} ({}) as {}.", user.email, user.id, role.as_str());
        }
        Command::Admin(AdminCommand::CreateToken { email, label }) => {
            let app = open(&settings).await?;
            let user = app.find_person_by_email(&email).await.map_err(app_error)?;
            let (t, plain) = app
                .create_token_for(&Actor::cli(), user.id, &label)
                .await
                .map_err(app_error)?;
            println!(
                "Token {} created for {}. It is shown once; store it now:",
                t.prefix, user.email
            );
            println!("{plain}");
        }
        Command::Orgs(OrgsCommand::Import { file }) => {
            let data =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let app = open(&settings).await?;
            let pb = spinner("reading");
            let result = app
                .import_orgs_csv(&Actor::cli(), &data, |n| {
                    pb.set_message(format!("checked {n} rows"))
                })
                .await;
            pb.finish_and_clear();
            match result {
                Ok(r) => println!(
                    "Imported {}: {} created, {} updated, {} unchanged.",
                    file.display(),
                    r.created,
                    r.updated,
                    r.unchanged
                ),
                Err(AppError::Invalid(errs)) => {
                    print_import_problems(&file, &errs);
                    return Ok(ExitCode::from(1));
                }
                Err(e) => return Err(app_error(e)),
            }
        }
        Command::Orgs(OrgsCommand::Export { file }) => {
            let app = open(&settings).await?;
            let csv = app
                .export_orgs_csv(&Actor::cli())
                .await
                .map_err(app_error)?;
            if file.as_os_str() == "-" {
                std::io::Write::write_all(&mut std::io::stdout(), &csv)?;
            } else {
                std::fs::write(&file, &csv)
                    .with_context(|| format!("cannot write {}", file.display()))?;
                eprintln!("Exported the register to {}.", file.display());
            }
        }
        Command::Alerts(AlertsCommand::ImportCsaf { files }) => {
            let app = open(&settings).await?;
            let mut failed = 0;
            for file in &files {
                let bytes = std::fs::read(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                match app.import_csaf(&Actor::cli(), &bytes).await {
                    Ok(done) => {
                        println!(
                            "{}: draft {} from {} {} ({} CVEs, {} products)",
                            file.display(),
                            done.alert.reference,
                            done.source_publisher,
                            done.source_id,
                            done.alert.fields.cves.len(),
                            done.alert.fields.products.len()
                        );
                        for note in &done.notes {
                            println!("  note: {note}");
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("{}: {}", file.display(), app_error(e));
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} of {} advisories were not imported", files.len());
            }
        }
        Command::Estate(EstateCommand::ImportEol { dir }) => {
            let app = open(&settings).await?;
            let files = palisade_formats::files::read_dir_files(&dir, ".md")
                .with_context(|| format!("cannot read {}", dir.display()))?;
            let files = palisade_formats::files::as_text(files).map_err(|e| app_error(e.into()))?;
            let done = app
                .import_eol(&Actor::cli(), &files)
                .await
                .map_err(app_error)?;
            println!("{}", feed_summary(&done));
        }
        Command::Estate(EstateCommand::ImportKev { file }) => {
            let app = open(&settings).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let done = app
                .import_kev(&Actor::cli(), &bytes)
                .await
                .map_err(app_error)?;
            println!("{}", feed_summary(&done));
        }
        Command::Estate(EstateCommand::ImportOsv { path }) => {
            let app = open(&settings).await?;
            let files = json_files(&path)?;
            let done = app
                .import_osv(&Actor::cli(), &files)
                .await
                .map_err(app_error)?;
            print_advisory_import(&done);
        }
        Command::Estate(EstateCommand::ImportCsaf { path }) => {
            let app = open(&settings).await?;
            let files = json_files(&path)?;
            let done = app
                .import_csaf_advisories(&Actor::cli(), &files)
                .await
                .map_err(app_error)?;
            print_advisory_import(&done);
        }
        Command::Alerts(AlertsCommand::StixBundle { file }) => {
            let app = open(&settings).await?;
            let bundle = app.stix_bundle().await.map_err(app_error)?;
            let text = serde_json::to_vec_pretty(&bundle)?;
            if file.as_os_str() == "-" {
                std::io::Write::write_all(&mut std::io::stdout(), &text)?;
            } else {
                std::fs::write(&file, &text)
                    .with_context(|| format!("cannot write {}", file.display()))?;
                eprintln!(
                    "Wrote {} STIX objects to {}.",
                    bundle["objects"].as_array().map_or(0, Vec::len),
                    file.display()
                );
            }
        }
        Command::Audit(AuditCommand::Verify { anchors }) => {
            let app = open(&settings).await?;
            match app.verify_audit(&anchors).await.map_err(app_error)? {
                Ok((n, seq, hash)) => {
                    println!("Audit chain intact: {n} entries verified.");
                    if seq > 0 {
                        println!(
                            "Anchor (keep it outside the database; pass it to later runs with --anchor): {seq}:{hash}"
                        );
                    }
                }
                Err(b) => {
                    eprintln!("Audit chain BROKEN at entry {}: {}", b.seq, b.reason);
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Frameworks(FrameworksCommand::Import {
            file,
            key,
            year,
            categories,
            deadline,
        }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let params = match (key, year, deadline) {
                (Some(key), Some(year), Some(deadline)) => {
                    Some(palisade_formats::catalogs::CatalogParams {
                        key,
                        year,
                        categories,
                        deadline,
                        interim_baseline: None,
                    })
                }
                _ => None,
            };
            let app = open(&settings).await?;
            match app.import_framework(&Actor::cli(), &text, params).await {
                Ok((f, created)) => println!(
                    "{} {} ({} {}, {}) as framework {} for categories {}.",
                    if created {
                        "Imported"
                    } else {
                        "Already imported:"
                    },
                    f.name,
                    f.key,
                    f.version,
                    palisade_domain::assessment::year_label(f.year),
                    f.id,
                    f.categories
                        .iter()
                        .map(|c| c.number().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Err(AppError::Invalid(errs)) => {
                    print_import_problems(&file, &errs);
                    return Ok(ExitCode::from(1));
                }
                Err(e) => return Err(app_error(e)),
            }
        }
        Command::Frameworks(FrameworksCommand::List) => {
            let app = open(&settings).await?;
            let list = app.list_frameworks().await.map_err(app_error)?;
            if list.is_empty() {
                println!("No frameworks imported yet: see `palisade frameworks import --help`.");
            }
            for f in list {
                println!(
                    "{:>4}  {}  {:<12} {:<22} {} (categories {}, deadline {})",
                    f.id,
                    palisade_domain::assessment::year_label(f.year),
                    f.kind.as_str(),
                    f.key,
                    f.name,
                    f.categories
                        .iter()
                        .map(|c| c.number().to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    f.deadline
                );
            }
        }
        Command::Report(ReportCommand::National { year, format }) => {
            let app = open(&settings).await?;
            let year = year.unwrap_or_else(|| app.current_year());
            let report = app
                .national_report(&Actor::cli(), year)
                .await
                .map_err(app_error)?;
            match format {
                ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                ReportFormat::Csv => print!("{}", report.to_csv()),
                ReportFormat::Text => print!("{}", report.to_text()),
            }
        }
        Command::Report(ReportCommand::Oscal { org, year }) => {
            let app = open(&settings).await?;
            let year = year.unwrap_or_else(|| app.current_year());
            let doc = app
                .assessment_oscal(&Actor::cli(), &org, year)
                .await
                .map_err(app_error)?;
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        Command::Bench(BenchCommand::Assessments { runs }) => {
            let app = open(&settings).await?;
            bench::assessments(app, settings.engine_name(), runs.max(1)).await?;
        }
        Command::Bench(BenchCommand::Alerts {
            runs,
            publishes,
            messages,
            stix_objects,
        }) => {
            let app = open(&settings).await?;
            let bench = bench::AlertBench {
                runs: runs.max(1),
                publishes,
                messages,
                couriers: settings.delivery.couriers()?,
                delivery: settings.delivery.settings(),
                stix_objects,
            };
            bench::alerts(app, settings.engine_name(), bench).await?;
        }
        Command::Bench(BenchCommand::Matching {
            components,
            organisations,
            advisories,
            csv_rows,
        }) => {
            anyhow::ensure!(
                organisations > 0 && advisories > 0,
                "--organisations and --advisories must be at least 1"
            );
            bench::matching(components, organisations, advisories, csv_rows)?;
        }
        Command::Bench(BenchCommand::Sbom {
            file,
            advisories,
            runs,
        }) => {
            bench::sbom(&file, advisories, runs)?;
        }
        Command::Bench(BenchCommand::Inventory { org, rows }) => {
            anyhow::ensure!(rows > 0, "--rows must be at least 1");
            let app = open(&settings).await?;
            bench::inventory(app, settings.engine_name(), &org, rows).await?;
        }
        Command::Backup(BackupCommand::Create { file }) => {
            let app = open(&settings).await?;
            app.backup_create(&file).await.map_err(app_error)?;
            println!("Backup written to {}.", file.display());
        }
        Command::Backup(BackupCommand::Restore { file }) => {
            let n = palisade_app::backup::restore(&file, &settings.database_url)
                .await
                .map_err(app_error)?;
            println!("Restored {} ({n} audit entries verified).", file.display());
        }
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
