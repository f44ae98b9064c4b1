//! Reminders before deadlines: each offset sent at its edge, once per recipient, item and offset,
//! whichever server runs the job and however often.

use crate::support::*;
use palisade_store::AlertStore as _;
use palisade_store::ReminderStore as _;

/// 2026-11-02 09:00 UTC, in the 2026-27 assessment year.
const MONDAY: i64 = 1_793_610_000;

/// The keys of the reminder messages queued so far, sorted.
async fn reminder_keys(h: &H) -> Vec<String> {
    let mut keys: Vec<String> =
        h.db.store
            .outbox(false, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.key)
            .filter(|k| k.starts_with("reminder:"))
            .collect();
    keys.sort();
    keys
}

/// Runs the reminders on `app` and returns (reminders recorded, messages queued).
async fn remind(app: &App) -> (usize, u64) {
    let r = app.send_reminders().await.unwrap();
    (r.reminders, r.messages)
}

fn advance_to(h: &H, at: i64) {
    let now = h.app.now();
    assert!(at >= now, "the clock only goes forward");
    h.clock.advance(time::Duration::seconds(at - now));
}

/// 18:00 UTC of a `YYYY-MM-DD` day (the same UK day, winter or summer).
fn evening_of(day: &str) -> i64 {
    let d = time::Date::parse(day, &time::format_description::well_known::Iso8601::DATE).unwrap();
    d.midnight().assume_utc().unix_timestamp() + 18 * 3600
}

per_engine!(
    each_reminder_goes_once_at_its_offset,
    each_reminder_goes_once_at_its_offset_sqlite,
    each_reminder_goes_once_at_its_offset_postgres
);

/// The world on [`MONDAY`] with this year's frameworks, reading reminders a page of one: every
/// read goes over several pages, each from where the last ended.
async fn on_monday(h: H) -> (H, World) {
    let h = h.with_app(|a| a.reminders.batch = 1);
    h.clock
        .advance(time::Duration::seconds(MONDAY - 1_750_000_000));
    let w = world(&h).await;
    h.import_frameworks(&w.admin.1).await;
    (h, w)
}

async fn each_reminder_goes_once_at_its_offset(h: H) {
    let (h, w) = on_monday(h).await;
    let (admin, lead, member) = (&w.admin.1, &w.lead.1, &w.member.1);
    // The trust's alert contact takes email and texts.
    h.alert_contacts(
        "RX1",
        &[("Ana Duty", "duty@rx1.nhs.uk", "07700 900001", "both")],
    )
    .await;
    let (_, duty) = h.app.list_contacts(&Actor::cli(), "RX1").await.unwrap();
    let duty = duty
        .iter()
        .find(|c| c.email == "duty@rx1.nhs.uk")
        .unwrap()
        .id;

    // The practice submits and plans an action for 12 November.
    let base = "/api/v1/organisations/A81001/assessments/2026";
    let no = json!({"answers": [{"ref": "1.1.2", "value": false}]});
    let r = h
        .api(
            Method::PUT,
            &format!("{base}/answers"),
            Some(member),
            Some(no),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = h
        .api(Method::POST, &format!("{base}/submit"), Some(lead), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let plan = h
        .api(Method::GET, &format!("{base}/plan"), Some(member), None)
        .await
        .json();
    let first = plan["lines"][0]["ref"].as_str().unwrap().to_string();
    let actions: Vec<Value> = plan["lines"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let due = if i == 0 { "2026-11-12" } else { "2027-03-01" };
            json!({"ref": l["ref"], "action": "Put it in place", "owner": "IG lead", "target_date": due})
        })
        .collect();
    let r = h
        .api(
            Method::PUT,
            &format!("{base}/plan"),
            Some(member),
            Some(json!({"expected_revision": 0, "actions": actions})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // A High alert to the practice and the trust; nothing is due yet.
    let reference = h.create_alert(admin, high_alert(true)).await;
    let due = h.db.store.outbox(false, 1000).await.unwrap().len();
    assert!(due > 0, "the alert itself went out");
    assert_eq!(remind(&h.app).await, (0, 0));
    let list = h
        .api(Method::GET, "/api/v1/me/worklist", Some(&w.foreign.1), None)
        .await
        .json();
    let due_at = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "alert_response")
        .unwrap()["due_at"]
        .as_str()
        .unwrap()
        .to_string();
    let due_at =
        time::OffsetDateTime::parse(&due_at, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp();

    // One second outside the 24-hour offset: nothing. At it: the trust's contact by email and
    // text; the practice has no alert contact, so its reminder is recorded with no message.
    advance_to(&h, due_at - 24 * 3600 - 1);
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, due_at - 24 * 3600);
    assert_eq!(remind(&h.app).await, (2, 2));
    let alert_key = format!("reminder:alert_response:{reference}/RX1");
    assert_eq!(
        reminder_keys(&h).await,
        vec![
            format!("{alert_key}:24h:{duty}:email"),
            format!("{alert_key}:24h:{duty}:sms"),
        ]
    );
    // Again, and from a second server: nothing more.
    assert_eq!(remind(&h.app).await, (0, 0));
    let other = App::new(
        Arc::new(h.db.store.clone()),
        h.clock.clone(),
        AuthSettings::default(),
    );
    assert_eq!(remind(&other).await, (0, 0));

    // The practice acknowledges; at four hours only the trust is reminded again.
    let r = h
        .api(
            Method::POST,
            &format!("/api/v1/alerts/{reference}/responses/A81001/acknowledge"),
            Some(member),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    advance_to(&h, due_at - 4 * 3600 - 1);
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, due_at - 4 * 3600);
    assert_eq!(remind(&other).await, (1, 2));
    assert_eq!(remind(&h.app).await, (0, 0));
    // Past the deadline, escalation takes over: no more reminders.
    advance_to(&h, due_at + 1);
    assert_eq!(remind(&h.app).await, (0, 0));
    assert_eq!(reminder_keys(&h).await.len(), 4);

    // The plan action: eight days before, nothing; seven days before, its owners (the
    // practice's SIRO) are told; the day after it was due and still not done, once more.
    let plan_key = format!("reminder:plan_action:A81001/2026/{first}");
    let siro = w.c_child;
    advance_to(&h, evening_of("2026-11-04"));
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, evening_of("2026-11-05"));
    assert_eq!(remind(&h.app).await, (1, 2), "by email and text");
    assert!(
        reminder_keys(&h)
            .await
            .contains(&format!("{plan_key}:7d:{siro}:email"))
    );
    advance_to(&h, evening_of("2026-11-12"));
    assert_eq!(remind(&h.app).await, (0, 0), "due today: no more");
    advance_to(&h, evening_of("2026-11-13"));
    assert_eq!(remind(&h.app).await, (1, 2));
    assert!(
        reminder_keys(&h)
            .await
            .contains(&format!("{plan_key}:overdue:{siro}:email"))
    );

    // The interim baseline (31 December): at 30 days, to each large organisation not
    // submitted. A care home (category 3) with a SIRO records none.
    h.org("VN1", "adult_social_care", "").await;
    let c_home = h.contact("VN1").await;
    advance_to(&h, evening_of("2026-11-30"));
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, evening_of("2026-12-01"));
    assert_eq!(remind(&h.app).await, (2, 2), "QAA has no SIRO; RX1 has");
    assert!(
        reminder_keys(&h)
            .await
            .contains(&format!("reminder:baseline:RX1/2026:30d:{}:email", w.c_rx1))
    );
    assert!(
        !reminder_keys(&h)
            .await
            .iter()
            .any(|k| k.starts_with("reminder:baseline:VN1")),
        "no baseline for a care home"
    );
    assert_eq!(remind(&h.app).await, (0, 0));
    // Down for three weeks across the 7-day offset: one reminder, the 1-day one.
    advance_to(&h, evening_of("2026-12-30"));
    assert_eq!(remind(&h.app).await, (2, 2));
    assert!(
        reminder_keys(&h)
            .await
            .contains(&format!("reminder:baseline:RX1/2026:1d:{}:email", w.c_rx1))
    );

    // The deadline (30 June): 61 days before, nothing; at 60 days, the two not submitted.
    advance_to(&h, evening_of("2027-04-30"));
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, evening_of("2027-05-01"));
    assert_eq!(
        remind(&h.app).await,
        (3, 4),
        "the care home too: its SIRO by email and text, as RX1's"
    );
    let keys = reminder_keys(&h).await;
    assert!(keys.contains(&format!(
        "reminder:assessment:RX1/2026:60d:{}:email",
        w.c_rx1
    )));
    assert!(keys.contains(&format!("reminder:assessment:VN1/2026:60d:{c_home}:email")));
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with("reminder:assessment:A81001")),
        "the practice has submitted: {keys:?}"
    );
    assert_eq!(remind(&h.app).await, (0, 0));
}

per_engine!(
    a_supplier_is_reminded_before_its_charter_signature_expires,
    a_supplier_is_reminded_before_its_charter_signature_expires_sqlite,
    a_supplier_is_reminded_before_its_charter_signature_expires_postgres
);

async fn a_supplier_is_reminded_before_its_charter_signature_expires(h: H) {
    let h = h.with_app(|a| a.reminders.batch = 1);
    // 2025-06-15, the day the test clock starts.
    assert!(h.app.install_shipped_charter().await.unwrap());
    h.org("YGM01", "it_supplier", "").await;
    let siro = h.contact("YGM01").await;
    let lead = h
        .person("cto@supplier.example", Role::OrgLead, Some("YGM01"))
        .await
        .1;
    let r = h
        .api(
            Method::POST,
            "/api/v1/organisations/YGM01/charter/signatures",
            Some(&lead),
            Some(json!({"signatory_name": "Ada Lovelace",
                "signatory_position": "Chief Executive", "signed_on": "2025-06-15"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["expires_on"], "2026-06-15");
    // The first signature in this database.
    let key = "reminder:charter:YGM01/1";

    // It expires on 2026-06-15: nothing 31 days before, the 30-day reminder at 30, the 7-day
    // one at 7, each once.
    advance_to(&h, evening_of("2026-05-15"));
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, evening_of("2026-05-16"));
    assert_eq!(
        remind(&h.app).await,
        (1, 2),
        "the supplier's SIRO, by email and text"
    );
    assert!(
        reminder_keys(&h)
            .await
            .contains(&format!("{key}:30d:{siro}:email"))
    );
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, evening_of("2026-06-07"));
    assert_eq!(remind(&h.app).await, (0, 0));
    advance_to(&h, evening_of("2026-06-08"));
    assert_eq!(remind(&h.app).await, (1, 2));
    let outbox = h.db.store.outbox(false, 100).await.unwrap();
    let email = outbox
        .iter()
        .find(|m| m.key == format!("{key}:7d:{siro}:email"))
        .unwrap();
    assert!(
        email.subject.contains("expires on 2026-06-15") && email.body.contains("/charter"),
        "{email:?}"
    );
    // Past its expiry nothing more is sent: the supplier's page says it lapsed.
    advance_to(&h, evening_of("2026-06-16"));
    assert_eq!(remind(&h.app).await, (0, 0));
}

per_engine!(
    a_daily_digest_carries_a_days_reminders_in_one_email,
    a_daily_digest_carries_a_days_reminders_in_one_email_sqlite,
    a_daily_digest_carries_a_days_reminders_in_one_email_postgres
);

async fn a_daily_digest_carries_a_days_reminders_in_one_email(h: H) {
    let (h, w) = on_monday(h).await;
    let admin = &w.admin.1;
    // One person is the information governance lead of the trust and of the ICB, and takes the
    // daily digest; at the trust, texts too.
    let mut ids = Vec::new();
    for (code, mobile) in [("RX1", "07700 900009"), ("QAA", "")] {
        let r = h
            .api(
                Method::POST,
                &format!("/api/v1/organisations/{code}/contacts"),
                Some(admin),
                Some(
                    json!({"name": "Gill Rowe", "role": "ig_lead", "email": "gill@group.nhs.uk",
                    "mobile": mobile, "reminders": "daily"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["reminders"], "daily");
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    let bad = h
        .api(
            Method::PUT,
            &format!("/api/v1/organisations/RX1/contacts/{}", ids[0]),
            Some(admin),
            Some(
                json!({"name": "Gill Rowe", "role": "ig_lead", "email": "gill@group.nhs.uk",
                "reminders": "weekly"}),
            ),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad.text()
    );
    assert!(bad.text().contains("reminders"), "{}", bad.text());

    // Thirty days before the interim baseline: the trust's SIRO has the email at once; Gill's
    // two emails wait for the digest, her text goes at once.
    advance_to(&h, evening_of("2026-12-01"));
    let round = h.app.send_reminders().await.unwrap();
    assert_eq!(round.digested, 2, "{round:?}");
    let keys = reminder_keys(&h).await;
    let rx1 = "reminder:baseline:RX1/2026:30d";
    assert!(
        keys.contains(&format!("{rx1}:{}:email", w.c_rx1)),
        "{keys:?}"
    );
    assert!(keys.contains(&format!("{rx1}:{}:sms", ids[0])), "{keys:?}");
    assert!(
        !keys
            .iter()
            .any(|k| k.contains(&format!(":{}:email", ids[0]))
                || k.contains(&format!(":{}:email", ids[1]))),
        "{keys:?}"
    );

    // The digest goes from 07:00 UK time the next morning, once, from whichever server.
    let digests = |app: App| async move { app.send_digests().await.unwrap() };
    let other = App::new(
        Arc::new(h.db.store.clone()),
        h.clock.clone(),
        AuthSettings::default(),
    );
    advance_to(&h, evening_of("2026-12-02") - 11 * 3600 - 1);
    assert_eq!(digests(h.app.clone()).await, 0, "06:59:59");
    advance_to(&h, evening_of("2026-12-02") - 11 * 3600);
    assert_eq!(digests(other.clone()).await, 1, "07:00");
    assert_eq!(digests(h.app.clone()).await, 0);
    let outbox = h.db.store.outbox(false, 1000).await.unwrap();
    let digest: Vec<_> = outbox
        .iter()
        .filter(|m| m.key.starts_with("digest:"))
        .collect();
    assert_eq!(digest.len(), 1);
    let d = digest[0];
    assert_eq!(d.key, "digest:2026-12-02:gill@group.nhs.uk");
    assert_eq!(d.recipient, "gill@group.nhs.uk");
    assert_eq!(d.subject, "Palisade daily digest 2026-12-02: 2 reminders");
    assert!(
        d.body.contains("(RX1) ==") && d.body.contains("(QAA) ==") && d.body.contains("2026-12-31"),
        "{}",
        d.body
    );

    // A reminder collected after the day's digest waits for the next day's.
    let late = palisade_store::NewReminder {
        key: "reminder:plan_action:RX1/2026/1.1.1:7d".into(),
        org_id: h
            .app
            .list_contacts(&Actor::cli(), "RX1")
            .await
            .unwrap()
            .0
            .org
            .id,
        subject: "Improvement plan action is due".into(),
        email_body: "Due soon.".into(),
        sms_body: "Due soon.".into(),
    };
    let queued =
        h.db.store
            .queue_reminders(
                "plan_action",
                &[palisade_domain::people::ContactRole::IgLead],
                &[late],
                true,
                h.app.now(),
            )
            .await
            .unwrap();
    assert_eq!(
        (queued.messages, queued.digested),
        (1, 1),
        "a text and a digest item"
    );
    assert_eq!(digests(h.app.clone()).await, 0, "one digest a day");
    advance_to(&h, evening_of("2026-12-03") - 11 * 3600);
    assert_eq!(digests(h.app.clone()).await, 1);
    let next =
        h.db.store
            .outbox(false, 1000)
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.key == "digest:2026-12-03:gill@group.nhs.uk")
            .unwrap();
    assert!(next.subject.ends_with(": 1 reminder"), "{}", next.subject);
    assert!(next.body.contains("Due soon."), "{}", next.body);
    assert_eq!(digests(h.app.clone()).await, 0, "nothing waits");
}
