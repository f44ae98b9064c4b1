//! The outbox worker against real peers on loopback: an SMTP server (Python's aiosmtpd, see
//! `tests/delivery/smtp_sink.py`) and a server speaking the GOV.UK Notify API
//! (`tests/delivery/notify_server.py`), on SQLite and PostgreSQL.
//!
//! The servers need a Python with aiosmtpd, named by `PALISADE_TEST_PYTHON` (CI sets it up);
//! without one the test says so and passes, except under CI, where it fails.

use palisade_app::delivery::{Courier, DeliverySettings};
use palisade_app::{Actor, App, AuthSettings};
use palisade_delivery::{NotifyCourier, SmtpCourier};
use palisade_domain::alert::AlertInput;
use palisade_domain::clock::{ManualClock, SystemClock, from_unix};
use palisade_domain::org::OrgInput;
use palisade_domain::people::ContactInput;
use palisade_store::testkit::TestDb;
use palisade_store::{AlertStore as _, OutboxStore as _};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

const API_KEY: &str =
    "palisade_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
const TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";

fn python() -> Option<String> {
    match std::env::var("PALISADE_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI must set PALISADE_TEST_PYTHON to a Python with aiosmtpd")
        }
        _ => None,
    }
}

/// A peer process, stopped when dropped.
struct Peer {
    child: Child,
    port: u16,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/delivery")
        .join(name)
}

fn start(python: &str, args: &[&str]) -> Peer {
    let mut child = Command::new(python)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start a peer");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("peer said {line:?}"))
        .parse()
        .unwrap();
    Peer { child, port }
}

/// The local GOV.UK Notify peer, and its address.
fn notify_server(python: &str) -> (Peer, String) {
    let peer = start(
        python,
        &[
            script("notify_server.py").to_str().unwrap(),
            API_KEY,
            TEMPLATE,
        ],
    );
    let url = format!("http://127.0.0.1:{}", peer.port);
    (peer, url)
}

/// The SMTP sink on `port` (a free one when none), speaking TLS as `tls` says (`starttls` or
/// `implicit`, with a certificate no one trusts) or not at all.
fn smtp_sink(python: &str, dir: &Path, port: Option<u16>, tls: Option<&str>) -> Peer {
    let port = port.unwrap_or(0).to_string();
    let mut args = vec![
        script("smtp_sink.py").to_string_lossy().to_string(),
        dir.to_string_lossy().to_string(),
        port,
    ];
    args.extend(tls.map(str::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    start(python, &args)
}

/// Why the relay at `url` did not take one email, when it is worth trying again.
async fn failure_for_now(url: &str) -> String {
    let courier = SmtpCourier::new(url, "alerts@example.nhs.uk", 1).unwrap();
    match courier.send(&message(1, "email", "desk@rx1.nhs.uk")).await {
        Err(palisade_app::delivery::Failure::Transient(e)) => e,
        other => panic!("{url}: {other:?}"),
    }
}

/// An outbox message claimed for the first time, handed to a courier directly.
fn message(id: i64, channel: &str, recipient: &str) -> palisade_store::OutboxMessage {
    palisade_store::OutboxMessage {
        id,
        key: format!("test:{id}:{channel}"),
        channel: channel.into(),
        recipient: recipient.into(),
        subject: format!("Message {id}"),
        body: "hello".into(),
        attempts: 0,
        next_attempt_at: 0,
        sent_at: None,
        gave_up_at: None,
        last_error: None,
        provider_ref: None,
        claims: 1,
    }
}

/// The emails the sink accepted, as text.
fn received(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

async fn texts(notify: &str) -> Vec<serde_json::Value> {
    reqwest::get(format!("{notify}/_sent"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn control(notify: &str, body: serde_json::Value) {
    reqwest::Client::new()
        .post(format!("{notify}/_control"))
        .json(&body)
        .send()
        .await
        .unwrap();
}

fn contact(name: &str, email: &str, mobile: &str, channels: &str) -> ContactInput {
    ContactInput {
        name: name.into(),
        role: "alert_contact".into(),
        email: email.into(),
        mobile: mobile.into(),
        alert_channels: channels.into(),
        reminders: String::new(),
    }
}

/// The acute trust every test sends to.
async fn riverside(app: &App) {
    let input = OrgInput {
        code: "RX1".into(),
        name: "Riverside Hospitals".into(),
        org_type: "acute_trust".into(),
        category: String::new(),
        region: "London".into(),
        parent_code: String::new(),
    };
    app.create_org(&Actor::cli(), &input).await.unwrap();
}

/// An app on a clock the test moves, with the acute trust every test sends to.
async fn app_on_a_manual_clock(db: &TestDb) -> (App, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(from_unix(1_750_000_000)));
    let app = App::new(
        Arc::new(db.store.clone()),
        clock.clone(),
        AuthSettings::default(),
    );
    riverside(&app).await;
    (app, clock)
}

fn high_alert(title: &str) -> AlertInput {
    AlertInput {
        title: title.into(),
        severity: "high".into(),
        alert_type: "vulnerability".into(),
        summary: "Patch now.".into(),
        codes: vec!["RX1".into()],
        response_required: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_outbox_reaches_real_smtp_and_notify_peers_once_each_through_outages() {
    let Some(python) = python() else {
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with aiosmtpd");
        return;
    };
    for db in TestDb::all().await {
        let engine = db.engine();
        let mail_dir = std::env::temp_dir().join(format!(
            "palisade-test-mail-{}",
            palisade_app::auth::random_hex(6)
        ));
        let smtp = smtp_sink(&python, &mail_dir, None, None);
        let smtp_port = smtp.port;
        let (notify_peer, notify) = notify_server(&python);

        let (app, clock) = app_on_a_manual_clock(&db).await;
        let cli = Actor::cli();
        for c in [
            contact("Both Ways", "desk@rx1.nhs.uk", "07700 900001", ""),
            contact("Email Only", "email@rx1.nhs.uk", "07700 900002", "email"),
            contact("Texts Only", "texts@rx1.nhs.uk", "07700 900003", "sms"),
            contact("Busy Box", "tempfail@rx1.nhs.uk", "", ""),
            contact("Gone Away", "reject@rx1.nhs.uk", "", ""),
        ] {
            app.create_contact(&cli, "RX1", &c).await.unwrap();
        }
        app.create_alert(&cli, &high_alert("Exploited VPN flaw"), true)
            .await
            .unwrap();
        // Channels as chosen: four emails (not to the texts-only contact), two texts (not to the
        // email-only one).
        let queued = db.store.outbox(true, 100).await.unwrap();
        let count = |ch: &str| queued.iter().filter(|m| m.channel == ch).count();
        assert_eq!((count("email"), count("sms")), (4, 2), "{engine:?}");

        let couriers: Vec<Arc<dyn Courier>> = vec![
            Arc::new(
                SmtpCourier::new(
                    &format!("smtp://127.0.0.1:{smtp_port}"),
                    "Palisade <alerts@palisade.example.nhs.uk>",
                    4,
                )
                .unwrap(),
            ),
            Arc::new(
                NotifyCourier::new(API_KEY, &notify, TEMPLATE, Arc::new(SystemClock)).unwrap(),
            ),
        ];
        let settings = DeliverySettings {
            concurrency: 4,
            ..Default::default()
        };
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!((round.sent, round.retried, round.gave_up), (4, 1, 1));
        let mail = received(&mail_dir);
        assert_eq!(mail.len(), 2, "{mail:?}");
        assert!(
            mail.iter()
                .any(|m| m.contains("X-Envelope-To: desk@rx1.nhs.uk"))
        );
        assert!(
            mail.iter()
                .all(|m| m.contains("Message-ID: <alert.CC-1000.v1.")
                    && m.contains("Subject: [CC-1000] New High alert: Exploited VPN flaw")),
            "{mail:?}"
        );
        let sent = texts(&notify).await;
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|t| {
            t["reference"]
                .as_str()
                .unwrap()
                .starts_with("alert:CC-1000:v1:")
                && t["content"]["body"]
                    .as_str()
                    .unwrap()
                    .starts_with("NHS Cyber Alert CC-1000 (High)")
        }));
        let all = db.store.outbox(false, 100).await.unwrap();
        let refused = all
            .iter()
            .find(|m| m.recipient == "reject@rx1.nhs.uk")
            .unwrap();
        assert!(
            refused.gave_up_at.is_some() && refused.last_error.as_ref().unwrap().contains("550")
        );
        let busy = all
            .iter()
            .find(|m| m.recipient == "tempfail@rx1.nhs.uk")
            .unwrap();
        assert_eq!((busy.attempts, busy.next_attempt_at), (1, 1_750_000_030));
        assert!(
            all.iter()
                .filter(|m| m.sent_at.is_some())
                .all(|m| m.provider_ref.is_some())
        );

        // Nothing is due again until the backoff has passed; then only the busy mailbox is
        // tried, and waits twice as long.
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!(round.handled(), 0);
        clock.advance(time::Duration::seconds(30));
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!((round.sent, round.retried), (0, 1));
        let busy = db
            .store
            .outbox(true, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.recipient == "tempfail@rx1.nhs.uk")
            .unwrap();
        assert_eq!(busy.next_attempt_at, 1_750_000_030 + 60);

        // Email is down: texts still go, and emails wait for it without being lost.
        drop(smtp);
        app.create_alert(&cli, &high_alert("Ransomware campaign"), true)
            .await
            .unwrap();
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!(round.sent, 2, "the texts of CC-1001: {round:?}");
        assert_eq!(texts(&notify).await.len(), 4);
        let waiting = db.store.outbox(true, 100).await.unwrap();
        assert!(
            waiting
                .iter()
                .filter(|m| m.channel == "email" && m.key.contains("CC-1001"))
                .count()
                == 4
        );

        // Notify fails twice (a 500, then a rate limit): the text is retried and sent once.
        control(&notify, serde_json::json!({"fail_next": 1, "status": 500})).await;
        let relayed = app.relay_text(&cli, "CC-1001", "").await.unwrap();
        assert_eq!(relayed, 3, "the relay reaches every contact with a mobile");
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!((round.sent, round.retried), (2, 1), "{round:?}");
        control(&notify, serde_json::json!({"fail_next": 1, "status": 429})).await;
        clock.advance(time::Duration::seconds(30));
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!(round.sent, 0, "{round:?}");
        clock.advance(time::Duration::seconds(60));

        // The mail server comes back and the worker restarts (new couriers, a claim left
        // behind by the stopped one): every message goes exactly once.
        let smtp = smtp_sink(&python, &mail_dir, Some(smtp_port), None);
        let stale = db
            .store
            .claim_outbox(&["email"], app.now(), app.now() + 120, 1)
            .await
            .unwrap();
        assert_eq!(stale.len(), 1);
        // The lease holds to its last second and ends on it.
        let (claimed_at, stale_id) = (app.now(), stale[0].id);
        for (at, free) in [(claimed_at + 119, false), (claimed_at + 120, true)] {
            let again = db
                .store
                .claim_outbox(&["email"], at, at + 120, 100)
                .await
                .unwrap();
            assert_eq!(
                again.iter().any(|m| m.id == stale_id),
                free,
                "at +{}",
                at - claimed_at
            );
        }
        clock.advance(time::Duration::seconds(3600));
        let couriers: Vec<Arc<dyn Courier>> = vec![
            Arc::new(
                SmtpCourier::new(
                    &format!("smtp://127.0.0.1:{}", smtp.port),
                    "alerts@palisade.example.nhs.uk",
                    4,
                )
                .unwrap(),
            ),
            Arc::new(
                NotifyCourier::new(API_KEY, &notify, TEMPLATE, Arc::new(SystemClock)).unwrap(),
            ),
        ];
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        // The two emails of CC-1001 and the relayed text; the busy mailbox twice more; the
        // address that does not exist is refused for good.
        assert_eq!(
            (round.sent, round.retried, round.gave_up),
            (3, 2, 1),
            "{round:?}"
        );
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!(round.handled(), 0);
        let mail = received(&mail_dir);
        assert_eq!(mail.len(), 4, "two of CC-1000, two of CC-1001");
        let sent = texts(&notify).await;
        assert_eq!(sent.len(), 7);
        let mut refs: Vec<&str> = sent
            .iter()
            .map(|t| t["reference"].as_str().unwrap())
            .collect();
        refs.sort();
        refs.dedup();
        assert_eq!(refs.len(), 7, "no text went twice");
        let summary = db.store.outbox_summary().await.unwrap();
        assert_eq!((summary.sent, summary.gave_up, summary.pending), (11, 2, 2));

        drop(smtp);
        drop(notify_peer);
        let _ = std::fs::remove_dir_all(&mail_dir);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn notify_refusals_are_final_and_bad_keys_are_refused_at_start() {
    assert!(
        NotifyCourier::new(
            "not-a-key",
            "http://127.0.0.1:1",
            TEMPLATE,
            Arc::new(SystemClock)
        )
        .is_err()
    );
    assert!(
        NotifyCourier::new(
            API_KEY,
            "http://127.0.0.1:1",
            "template",
            Arc::new(SystemClock)
        )
        .is_err()
    );
    assert!(SmtpCourier::new("ftp://example", "a@b.c", 4).is_err());
    assert!(SmtpCourier::new("smtp://127.0.0.1:25", "not an address", 4).is_err());
    let Some(python) = python() else {
        return;
    };
    let (_peer, url) = notify_server(&python);
    let courier = NotifyCourier::new(API_KEY, &url, TEMPLATE, Arc::new(SystemClock)).unwrap();
    let message = |to: &str| message(1, "sms", to);
    let ok = courier.send(&message("+447700900123")).await.unwrap();
    assert_eq!(ok.unwrap().len(), 36, "the notification id");
    let refused = courier.send(&message("+12025550123")).await.unwrap_err();
    assert!(
        matches!(&refused, palisade_app::delivery::Failure::Permanent(m) if m.contains("Not a UK mobile number")),
        "{refused:?}"
    );
    // A key for another service is an authentication error: kept for a retry after the key
    // is put right, not dropped.
    let other = API_KEY.replace("26785a09", "16785a09");
    let wrong = NotifyCourier::new(&other, &url, TEMPLATE, Arc::new(SystemClock)).unwrap();
    let e = wrong.send(&message("+447700900123")).await.unwrap_err();
    assert!(
        matches!(&e, palisade_app::delivery::Failure::Transient(m) if m.contains("403")),
        "{e:?}"
    );
    let gone = NotifyCourier::new(
        API_KEY,
        "http://127.0.0.1:9",
        TEMPLATE,
        Arc::new(SystemClock),
    )
    .unwrap();
    assert!(matches!(
        gone.send(&message("+447700900123")).await,
        Err(palisade_app::delivery::Failure::Transient(_))
    ));
}

/// A mail server that takes the connection and then never says a word: the round still ends at
/// the send timeout, the message waits for a retry, and nothing is marked sent.
#[tokio::test]
async fn a_mail_server_that_never_answers_delays_the_message_without_holding_the_round() {
    let db = TestDb::sqlite().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let app = App::new(
        Arc::new(db.store.clone()),
        Arc::new(ManualClock::new(from_unix(1_750_000_000))),
        AuthSettings::default(),
    );
    let cli = Actor::cli();
    riverside(&app).await;
    app.create_contact(
        &cli,
        "RX1",
        &contact("Desk", "desk@rx1.nhs.uk", "", "email"),
    )
    .await
    .unwrap();
    app.create_alert(&cli, &high_alert("Exploited VPN flaw"), true)
        .await
        .unwrap();
    let couriers: Vec<Arc<dyn Courier>> = vec![Arc::new(
        SmtpCourier::new(
            &format!("smtp://127.0.0.1:{port}"),
            "alerts@example.nhs.uk",
            2,
        )
        .unwrap(),
    )];
    let settings = DeliverySettings {
        send_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let round = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.deliver_due(&couriers, &settings),
    )
    .await
    .expect("the round ends at the send timeout")
    .unwrap();
    assert_eq!((round.sent, round.retried, round.gave_up), (0, 1, 0));
    let waiting = db.store.outbox(true, 10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert!(
        waiting[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("no answer within")),
        "{waiting:?}"
    );
    assert!(waiting[0].sent_at.is_none() && waiting[0].gave_up_at.is_none());
    silent.abort();
    db.cleanup().await;
}

/// GOV.UK Notify does not de-duplicate on `reference`. A text Notify accepted while the worker
/// died before recording it (the worker's task cut off mid-send, as `kill -9` does), or whose
/// answer came too late, is looked up by its reference when claimed again and recorded under
/// the notification Notify already has: every reference reaches Notify once.
#[tokio::test]
async fn a_text_notify_accepted_before_a_crash_is_not_sent_again() {
    let Some(python) = python() else {
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with aiosmtpd");
        return;
    };
    for db in TestDb::all().await {
        let engine = db.engine();
        let (peer, notify) = notify_server(&python);
        let (app, clock) = app_on_a_manual_clock(&db).await;
        let cli = Actor::cli();
        for i in 1..=3 {
            let (name, email) = (format!("Texts {i}"), format!("t{i}@rx1.nhs.uk"));
            let c = contact(&name, &email, &format!("07700 90000{i}"), "sms");
            app.create_contact(&cli, "RX1", &c).await.unwrap();
        }
        app.create_alert(&cli, &high_alert("Exploited VPN flaw"), true)
            .await
            .unwrap();
        let couriers: Vec<Arc<dyn Courier>> = vec![Arc::new(
            NotifyCourier::new(API_KEY, &notify, TEMPLATE, Arc::new(SystemClock)).unwrap(),
        )];
        let settings = DeliverySettings {
            concurrency: 4,
            ..Default::default()
        };

        // Notify takes all three and is slow to answer; the worker dies meanwhile.
        control(
            &notify,
            serde_json::json!({"hang_next": 3, "hang_seconds": 3}),
        )
        .await;
        let worker = {
            let (app, couriers, settings) = (app.clone(), couriers.clone(), settings.clone());
            tokio::spawn(async move { app.deliver_due(&couriers, &settings).await })
        };
        let started = std::time::Instant::now();
        while texts(&notify).await.len() < 3 {
            assert!(
                started.elapsed().as_secs() < 20,
                "{engine:?}: Notify got no texts"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        worker.abort();
        assert!(worker.await.unwrap_err().is_cancelled());
        let pending = db.store.outbox(true, 10).await.unwrap();
        assert_eq!(pending.len(), 3, "{engine:?}: nothing was recorded as sent");

        // The claim runs out and a new worker takes the messages: it asks first.
        clock.advance(time::Duration::seconds(settings.lease_secs()));
        let round = app.deliver_due(&couriers, &settings).await.unwrap();
        assert_eq!((round.sent, round.retried), (3, 0), "{engine:?}");
        let accepted = texts(&notify).await;
        assert_eq!(accepted.len(), 3, "{engine:?}: no text went twice");
        let all = db.store.outbox(false, 10).await.unwrap();
        for m in &all {
            let theirs = accepted
                .iter()
                .find(|t| t["reference"] == m.key.as_str())
                .unwrap_or_else(|| panic!("{engine:?}: {} never reached Notify", m.key));
            assert_eq!(
                m.provider_ref.as_deref(),
                theirs["id"].as_str(),
                "{engine:?}: recorded under Notify's notification"
            );
        }

        // An answer that comes after the send timeout: the text was accepted all the same.
        app.relay_text(&cli, "CC-1000", "Still exploited")
            .await
            .unwrap();
        control(
            &notify,
            serde_json::json!({"hang_next": 1, "hang_seconds": 2}),
        )
        .await;
        let impatient = DeliverySettings {
            concurrency: 1,
            send_timeout: std::time::Duration::from_millis(500),
            ..settings.clone()
        };
        let round = app.deliver_due(&couriers, &impatient).await.unwrap();
        assert_eq!((round.sent, round.retried), (2, 1), "{engine:?}: {round:?}");
        assert_eq!(texts(&notify).await.len(), 6);
        clock.advance(time::Duration::seconds(impatient.backoff(1)));
        // Notify cannot be asked: the text waits rather than go blind.
        control(&notify, serde_json::json!({"fail_next": 1, "status": 503})).await;
        let round = app.deliver_due(&couriers, &impatient).await.unwrap();
        assert_eq!((round.sent, round.retried), (0, 1), "{engine:?}: {round:?}");
        clock.advance(time::Duration::seconds(impatient.backoff(2)));
        let round = app.deliver_due(&couriers, &impatient).await.unwrap();
        assert_eq!((round.sent, round.retried), (1, 0), "{engine:?}: {round:?}");
        let accepted = texts(&notify).await;
        let mut refs: Vec<&str> = accepted
            .iter()
            .map(|t| t["reference"].as_str().unwrap())
            .collect();
        refs.sort();
        refs.dedup();
        assert_eq!(
            (accepted.len(), refs.len()),
            (6, 6),
            "{engine:?}: {accepted:?}"
        );
        assert_eq!(db.store.outbox(true, 10).await.unwrap().len(), 0);

        drop(peer);
        db.cleanup().await;
    }
}

/// The relay's connections are kept between messages. One the relay has since closed (here the
/// relay restarted) is found out before it is used again, and the message goes on a new one.
#[tokio::test]
async fn a_connection_the_relay_closed_is_not_used_again() {
    let Some(python) = python() else {
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with aiosmtpd");
        return;
    };
    let mail = tempfile::tempdir().unwrap();
    let sink = smtp_sink(&python, mail.path(), None, None);
    let port = sink.port;
    let courier = SmtpCourier::new(
        &format!("smtp://127.0.0.1:{port}"),
        "alerts@example.nhs.uk",
        1,
    )
    .unwrap();
    let message = |id: i64| message(id, "email", "desk@rx1.nhs.uk");
    for id in 1..=2 {
        courier.send(&message(id)).await.expect("sent");
    }
    drop(sink);
    let _sink = smtp_sink(&python, mail.path(), Some(port), None);
    courier
        .send(&message(3))
        .await
        .expect("sent on a new connection");
    let got = received(mail.path());
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.iter().any(|m| m.contains("Subject: Message 3")));
}

/// A relay that refuses the session itself (here its greeting is a permanent 554) says nothing
/// about the message: the message is kept to try again, never given up.
#[tokio::test]
async fn a_relay_refusing_the_session_does_not_give_the_message_up() {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"554 5.7.1 access denied\r\n").await;
        }
    });
    let failure = failure_for_now(&format!("smtp://127.0.0.1:{port}")).await;
    assert!(failure.contains("access denied"), "{failure}");
    relay.abort();
}

/// The relay's certificate is checked whichever way the connection is encrypted: a relay with
/// a certificate no one trusts gets neither the sign-in nor the message.
#[tokio::test]
async fn a_relay_whose_certificate_is_not_trusted_is_refused() {
    let Some(python) = python() else {
        eprintln!("skipped: set PALISADE_TEST_PYTHON to a Python with aiosmtpd");
        return;
    };
    for (mode, url) in [
        (
            "starttls",
            "smtp://user:secret@localhost:{port}?tls=required",
        ),
        ("implicit", "smtps://user:secret@localhost:{port}"),
    ] {
        let mail = tempfile::tempdir().unwrap();
        let sink = smtp_sink(&python, mail.path(), None, Some(mode));
        let failure = failure_for_now(&url.replace("{port}", &sink.port.to_string())).await;
        assert!(failure.contains("certificate"), "{mode}: {failure}");
        assert!(received(mail.path()).is_empty(), "{mode}");
    }
}
