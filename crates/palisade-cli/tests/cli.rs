//! The binary's contract: exit codes, output and effects, on SQLite and (when configured) PostgreSQL.

use palisade_store::testkit::TestDb;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary with only the settings a test gives: none of the caller's PALISADE_* variables.
fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_palisade"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PALISADE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

fn palisade(db_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = command()
        .args(args)
        .env("PALISADE_DATABASE_URL", db_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run palisade");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A fresh folder: the process id and a counter make it unique within and across runs.
fn temp_dir(name: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("palisade-cli-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

/// A fresh SQLite database in its own folder, the good register imported into it.
fn live_sqlite_with_register(name: &str) -> (PathBuf, String) {
    let dir = temp_dir(name);
    let url = format!("sqlite://{}", dir.join("live.db").display());
    let good = write(&dir, "good.csv", GOOD);
    assert!(
        palisade(&url, &["orgs", "import", &good], None)
            .status
            .success()
    );
    (dir, url)
}

async fn count(url: &str, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut c)
        .await
        .unwrap()
}

async fn exec(url: &str, sql: &str) {
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut c)
        .await
        .unwrap();
}

const GOOD: &str = "code,name,type,category,region,parent_code\n\
QWE,NHS West Yorkshire Integrated Care Board,icb,1,North East and Yorkshire,\n\
B86001,Leeds Road Practice,gp_practice,4,North East and Yorkshire,QWE\n\
RR8,Leeds Teaching Hospitals NHS Trust,acute_trust,,North East and Yorkshire,\n";

#[tokio::test]
async fn orgs_import_is_all_or_nothing_and_idempotent() {
    for db in TestDb::all().await {
        let dir = temp_dir("import");
        let bad = write(
            &dir,
            "bad.csv",
            "code,name,type,category,region,parent_code\nQWE,NHS West Yorkshire ICB,icb,1,North East and Yorkshire,\nB86001,Leeds Road Practice,surgery,4,North East and Yorkshire,QWE\n,No code,icb,1,London,\nRR8,Leeds,acute_trust,1,London,NOWHERE\n",
        );
        let out = palisade(&db.url, &["orgs", "import", &bad], None);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("line 3: type") && err.contains("line 4: code"),
            "{err}"
        );
        assert_eq!(
            count(&db.url, "SELECT COUNT(*) FROM organisations").await,
            0,
            "nothing imported"
        );

        // A parent missing from file and register is found only against the database: still nothing.
        let orphan = write(
            &dir,
            "orphan.csv",
            "code,name,type,category,region,parent_code\nRR8,Leeds Teaching Hospitals,acute_trust,1,London,NOWHERE\n",
        );
        let out = palisade(&db.url, &["orgs", "import", &orphan], None);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out).1.contains("line 2: parent_code"),
            "{}",
            text(&out).1
        );
        assert_eq!(
            count(&db.url, "SELECT COUNT(*) FROM organisations").await,
            0
        );

        let good = write(&dir, "good.csv", GOOD);
        let out = palisade(&db.url, &["orgs", "import", &good], None);
        assert!(out.status.success(), "{:?}", text(&out));
        assert!(
            text(&out).0.contains("3 created, 0 updated, 0 unchanged"),
            "{}",
            text(&out).0
        );
        let out = palisade(&db.url, &["orgs", "import", &good], None);
        assert!(
            text(&out).0.contains("0 created, 0 updated, 3 unchanged"),
            "{}",
            text(&out).0
        );
        assert_eq!(
            count(
                &db.url,
                "SELECT COUNT(*) FROM organisations WHERE parent_id IS NOT NULL"
            )
            .await,
            1
        );

        // An export imports again unchanged.
        let exported = dir.join("export.csv").display().to_string();
        assert!(
            palisade(&db.url, &["orgs", "export", &exported], None)
                .status
                .success()
        );
        let written = std::fs::read_to_string(&exported).unwrap();
        assert!(
            written.starts_with("code,name,type,category,region,parent_code,active\n"),
            "the header docs/FORMATS.md gives: {written}"
        );
        let out = palisade(&db.url, &["orgs", "import", &exported], None);
        assert!(
            text(&out).0.contains("0 created, 0 updated, 3 unchanged"),
            "{}",
            text(&out).0
        );
        // Marking one inactive in the export and importing it closes that organisation.
        let closed = written.replacen(",true\n", ",false\n", 1);
        std::fs::write(&exported, &closed).unwrap();
        let out = palisade(&db.url, &["orgs", "import", &exported], None);
        assert!(
            text(&out).0.contains("0 created, 1 updated, 2 unchanged"),
            "{}",
            text(&out).0
        );
        assert_eq!(
            count(
                &db.url,
                "SELECT COUNT(*) FROM organisations WHERE active = 0"
            )
            .await,
            1
        );

        let missing = palisade(&db.url, &["orgs", "import", "/no/such/file.csv"], None);
        assert_eq!(missing.status.code(), Some(2));
        assert!(text(&missing).1.contains("cannot read"));
        let _ = std::fs::remove_dir_all(dir);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn create_user_and_token_then_verify_and_tamper() {
    for db in TestDb::all().await {
        let dir = temp_dir("audit");
        let good = write(&dir, "good.csv", GOOD);
        assert!(
            palisade(&db.url, &["orgs", "import", &good], None)
                .status
                .success()
        );
        let out = palisade(
            &db.url,
            &[
                "admin",
                "create-user",
                "--email",
                "Lead@Leeds.nhs.uk",
                "--name",
                "Lee Lead",
                "--role",
                "org_lead",
                "--org",
                "rr8",
                "--password-stdin",
            ],
            Some("a long enough password\n"),
        );
        assert!(out.status.success(), "{:?}", text(&out));
        let short = palisade(
            &db.url,
            &[
                "admin",
                "create-user",
                "--email",
                "x@y.nhs.uk",
                "--name",
                "X",
                "--role",
                "org_lead",
                "--org",
                "RR8",
                "--password-stdin",
            ],
            Some("short\n"),
        );
        assert_eq!(short.status.code(), Some(2));
        assert!(
            text(&short)
                .1
                .contains("password: must be at least 12 characters"),
            "{}",
            text(&short).1
        );
        let national_with_org = palisade(
            &db.url,
            &[
                "admin",
                "create-user",
                "--email",
                "n@y.nhs.uk",
                "--name",
                "N",
                "--role",
                "national_admin",
                "--org",
                "RR8",
                "--password-stdin",
            ],
            Some("a long enough password\n"),
        );
        assert_eq!(national_with_org.status.code(), Some(2));

        let out = palisade(
            &db.url,
            &[
                "admin",
                "create-token",
                "--email",
                "lead@leeds.nhs.uk",
                "--label",
                "sync",
            ],
            None,
        );
        assert!(out.status.success(), "{:?}", text(&out));
        let stdout = text(&out).0;
        let last = stdout.lines().last().unwrap();
        assert!(
            last.starts_with("pal_") && last.len() == 52 && !last.contains(' '),
            "token alone on the last line: {last:?}"
        );
        assert_eq!(
            count(
                &db.url,
                &format!(
                    "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{}'",
                    sha256(last)
                )
            )
            .await,
            1
        );

        let ok = palisade(&db.url, &["audit", "verify"], None);
        assert_eq!(ok.status.code(), Some(0), "{:?}", text(&ok));
        assert!(text(&ok).0.contains("intact"));
        let entries = count(&db.url, "SELECT COUNT(*) FROM audit_log").await;
        assert!(
            entries >= 6,
            "import, user, role and token are all recorded: {entries}"
        );

        // The printed anchor proves the history later; a wrong or missing anchored entry fails.
        let anchor = text(&ok)
            .0
            .lines()
            .find_map(|l| {
                l.rsplit_once(": ")
                    .filter(|_| l.starts_with("Anchor"))
                    .map(|(_, a)| a.to_string())
            })
            .expect("an anchor line");
        assert!(
            palisade(&db.url, &["audit", "verify", "--anchor", &anchor], None)
                .status
                .success()
        );
        let (seq, _) = anchor.split_once(':').unwrap();
        let forged = format!("{seq}:{}", "ab".repeat(32));
        let out = palisade(&db.url, &["audit", "verify", "--anchor", &forged], None);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out).1.contains("rewritten"), "{}", text(&out).1);
        let beyond = format!("{}:{}", seq.parse::<i64>().unwrap() + 10, "ab".repeat(32));
        assert_eq!(
            palisade(&db.url, &["audit", "verify", "--anchor", &beyond], None)
                .status
                .code(),
            Some(1)
        );
        assert_eq!(
            palisade(&db.url, &["audit", "verify", "--anchor", "12:nothex"], None)
                .status
                .code(),
            Some(2)
        );

        exec(&db.url, "UPDATE audit_log SET summary = '{}' WHERE seq = 2").await;
        let broken = palisade(&db.url, &["audit", "verify"], None);
        assert_eq!(broken.status.code(), Some(1));
        assert!(text(&broken).1.contains("entry 2"), "{}", text(&broken).1);
        let _ = std::fs::remove_dir_all(dir);
        db.cleanup().await;
    }
}

fn sha256(s: &str) -> String {
    // Same hashing as the application, through its public helper.
    palisade_app::auth::sha256_hex(s)
}

#[tokio::test]
async fn backup_round_trip_on_sqlite() {
    let (dir, url) = live_sqlite_with_register("backup");
    let backup = dir.join("copies/backup.db").display().to_string();
    let out = palisade(&url, &["backup", "create", &backup], None);
    assert!(out.status.success(), "{:?}", text(&out));
    let again = palisade(&url, &["backup", "create", &backup], None);
    assert_eq!(again.status.code(), Some(2), "never overwrites a backup");

    let more = write(
        &dir,
        "more.csv",
        "code,name,type,category,region,parent_code\nFA123,Corner Pharmacy,pharmacy,3,London,\n",
    );
    assert!(
        palisade(&url, &["orgs", "import", &more], None)
            .status
            .success()
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM organisations").await, 4);

    let out = palisade(&url, &["backup", "restore", &backup], None);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM organisations").await,
        3,
        "the backup's state is back"
    );
    assert!(palisade(&url, &["audit", "verify"], None).status.success());

    // A damaged copy is refused before it replaces anything.
    let junk = write(&dir, "junk.db", "not a database");
    let out = palisade(&url, &["backup", "restore", &junk], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(count(&url, "SELECT COUNT(*) FROM organisations").await, 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn backup_on_postgres_points_to_pg_dump() {
    let Some(db) = TestDb::postgres().await.unwrap() else {
        return;
    };
    let out = palisade(&db.url, &["backup", "create", "/tmp/never.db"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("pg_dump"));
    db.cleanup().await;
}

#[tokio::test]
async fn demo_is_safe_to_run_twice() {
    let dir = temp_dir("demo");
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let first = palisade(&url, &["demo", "--no-serve"], None);
    assert!(first.status.success(), "{:?}", text(&first));
    let out = text(&first).0;
    assert!(
        out.contains("admin@example.nhs.uk") && out.contains("lead@example.nhs.uk"),
        "{out}"
    );
    let orgs = count(&url, "SELECT COUNT(*) FROM organisations").await;
    assert!((2_500..=3_500).contains(&orgs), "{orgs}");
    assert_eq!(count(&url, "SELECT COUNT(*) FROM organisations WHERE org_type IN ('acute_trust', 'mental_health_trust', 'community_trust', 'ambulance_trust')").await, 210);
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM organisations o WHERE o.active = 1 AND NOT EXISTS \
                     (SELECT 1 FROM contacts c WHERE c.org_id = o.id AND c.role = 'alert_contact')"
        )
        .await,
        0,
        "every organisation has an alert contact"
    );
    // The demo's national report reads like the real one (domain.md §2): 82% of trusts and
    // about three in four care providers met or exceeded the standard.
    let report = palisade(&url, &["report", "national", "--format", "json"], None);
    assert!(report.status.success(), "{:?}", text(&report));
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let trusts = report["nhs_trusts"]["met_or_exceeded_percent"]
        .as_f64()
        .unwrap();
    assert!((78.0..=88.0).contains(&trusts), "trusts: {trusts}");
    let care = report["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "adult_social_care")
        .unwrap()["met_or_exceeded_percent"]
        .as_f64()
        .unwrap();
    assert!((70.0..=82.0).contains(&care), "adult social care: {care}");
    // Incidents in several states: notified and triaged, a draft, closed, a clock running, and
    // the demo supplier's, of which it told its customers.
    assert_eq!(count(&url, "SELECT COUNT(*) FROM incidents").await, 5);
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM incidents WHERE status = 'draft'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM incidents WHERE status = 'closed'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM incidents WHERE status = 'investigating' AND reported_late = 1"
        )
        .await,
        1
    );
    // Four suppliers signed the charter: two in force, one due, one lapsed.
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM charter_signatures").await,
        4
    );
    // The demo supplier lists a product and a service; the demo trust uses both and was told.
    for (sql, n) in [
        ("SELECT COUNT(*) FROM supplier_products", 2),
        ("SELECT COUNT(*) FROM supplier_links", 3),
        ("SELECT COUNT(*) FROM supplier_notice_recipients", 1),
        ("SELECT COUNT(*) FROM supplier_sbom_components", 4),
        ("SELECT COUNT(*) FROM supplier_vex", 2),
    ] {
        assert_eq!(count(&url, sql).await, n, "{sql}");
    }
    let seeded = [
        "SELECT COUNT(*) FROM supplier_links",
        "SELECT COUNT(*) FROM supplier_notices",
        "SELECT COUNT(*) FROM supplier_sboms",
        "SELECT COUNT(*) FROM supplier_vex",
        "SELECT COUNT(*) FROM contacts",
        "SELECT COUNT(*) FROM alerts",
        "SELECT COUNT(*) FROM outbox",
        "SELECT COUNT(*) FROM incidents",
        "SELECT COUNT(*) FROM incident_entries",
        "SELECT COUNT(*) FROM charter_signatures",
        // Running it again writes nothing, so it records nothing either.
        "SELECT COUNT(*) FROM audit_log",
    ];
    let mut before = Vec::new();
    for q in seeded {
        before.push(count(&url, q).await);
    }
    assert!(before[2] > 0, "the published alerts queued their notices");
    let second = palisade(&url, &["demo", "--no-serve"], None);
    assert!(second.status.success(), "{:?}", text(&second));
    assert!(
        text(&second)
            .0
            .contains("0 organisations created, 0 updated"),
        "{}",
        text(&second).0
    );
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM organisations").await,
        orgs
    );
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM users").await,
        7,
        "no duplicate people"
    );
    let mut after = Vec::new();
    for q in seeded {
        after.push(count(&url, q).await);
    }
    assert_eq!(
        after, before,
        "no second contact, alert or message ({seeded:?})"
    );
    assert!(palisade(&url, &["audit", "verify"], None).status.success());
    let _ = std::fs::remove_dir_all(dir);
}

/// Frameworks import once, refuse a broken file naming the place and importing nothing, and
/// external catalogs need their missing facts; the national report prints in three formats.
#[tokio::test]
async fn frameworks_import_and_the_national_report() {
    for db in TestDb::all().await {
        let url = db.url.clone();
        let dir = temp_dir("frameworks");
        let shipped = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../frameworks/dspt-caf-2026.yaml"
        );
        let o = palisade(&url, &["frameworks", "import", shipped], None);
        assert!(o.status.success(), "{:?}", text(&o));
        assert!(text(&o).0.starts_with("Imported "), "{:?}", text(&o));
        let o = palisade(&url, &["frameworks", "import", shipped], None);
        assert!(
            text(&o).0.starts_with("Already imported:"),
            "{:?}",
            text(&o)
        );

        let caf = std::fs::read_to_string(shipped).unwrap();
        let broken = write(
            &dir,
            "broken.yaml",
            &caf.replacen("level: achieved", "level: superb", 1),
        );
        let o = palisade(&url, &["frameworks", "import", &broken], None);
        assert_eq!(o.status.code(), Some(1));
        let (_, err) = text(&o);
        assert!(err.contains("igps[") && err.contains(".level"), "{err}");
        let oscal = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../palisade-formats/tests/fixtures/oscal-catalog.json"
        );
        let o = palisade(&url, &["frameworks", "import", oscal], None);
        assert_eq!(
            o.status.code(),
            Some(1),
            "an OSCAL catalog without --key and the rest"
        );
        let o = palisade(
            &url,
            &[
                "frameworks",
                "import",
                oscal,
                "--key",
                "clinic",
                "--year",
                "2026",
                "--categories",
                "3,4",
                "--deadline",
                "2027-06-30",
            ],
            None,
        );
        assert!(o.status.success(), "{:?}", text(&o));
        assert_eq!(count(&url, "SELECT COUNT(*) FROM frameworks").await, 2);
        let listed = text(&palisade(&url, &["frameworks", "list"], None)).0;
        assert!(
            listed.contains("dspt-caf-aligned") && listed.contains("clinic"),
            "{listed}"
        );

        let o = palisade(
            &url,
            &["report", "national", "--year", "2026", "--format", "json"],
            None,
        );
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
        assert_eq!(json["year_label"], "2026-27");
        let csv = text(&palisade(
            &url,
            &["report", "national", "--year", "2026", "--format", "csv"],
            None,
        ))
        .0;
        assert!(csv.starts_with("dimension,key,label,total,"), "{csv}");
        let prose = text(&palisade(
            &url,
            &["report", "national", "--year", "2026"],
            None,
        ))
        .0;
        assert!(prose.contains("2026-27 assessment"), "{prose}");
        db.cleanup().await;
    }
}

#[cfg(unix)]
/// `palisade serve` on `url` and a free local port, once it listens (its log on stderr, piped).
fn spawn_server(url: &str) -> std::process::Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = command()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("PALISADE_DATABASE_URL", url)
        .env("PALISADE_LOG", "palisade=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run palisade serve");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("the server stopped ({status}): {err}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the server did not start listening"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child
}

#[tokio::test]
async fn restore_is_refused_while_a_server_runs() {
    let (dir, url) = live_sqlite_with_register("restore-live");
    let backup = dir.join("backup.db").display().to_string();
    let mut server = spawn_server(&url);
    // A backup is taken while serving; a restore is refused, naming the reason.
    let out = palisade(&url, &["backup", "create", &backup], None);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = palisade(&url, &["backup", "restore", &backup], None);
    assert_ne!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("a server is running"),
        "{:?}",
        text(&out)
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let out = palisade(&url, &["backup", "restore", &backup], None);
    assert!(out.status.success(), "{:?}", text(&out));
    let _ = std::fs::remove_dir_all(dir);
}

/// A service manager stops Palisade with SIGTERM: it stops accepting, finishes what is in flight
/// and exits 0, as with Ctrl+C, instead of dying as if it had crashed.
/// The store is closed last, so the SQLite file alone holds what was written: no write-ahead
/// log is left beside it.
#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let dir = temp_dir("sigterm");
    let url = format!("sqlite://{}/p.db?mode=rwc", dir.display());
    let mut child = spawn_server(&url);
    // The shell's own `kill`, so the test needs no procps.
    let sent = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(sent.success());
    let stopping = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if stopping.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running a minute after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "a clean exit, not death by signal: {err}"
    );
    assert!(err.contains("shutting down"), "{err}");
    let log = dir.join("p.db-wal");
    assert!(!log.exists(), "{} was left behind", log.display());
    let _ = std::fs::remove_dir_all(dir);
}
