//! Background jobs shared by every server: each run by one server at a time, a missed run caught
//! up once, failures retried with backoff, a run left by a dead server marked abandoned.

use crate::support::*;
use palisade_app::jobs::Job;
use palisade_store::JobStore;

/// A second server on the same database and clock.
fn second_server(h: &H) -> App {
    App::new(
        Arc::new(h.db.store.clone()),
        h.clock.clone(),
        AuthSettings::default(),
    )
}

/// (job, server, trigger, outcome) of every run, oldest first.
async fn runs(h: &H) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for job in Job::ALL {
        let page = h
            .app
            .job_runs(
                &Actor::cli(),
                job.name(),
                palisade_domain::page::PageRequest::new(Some(1), Some(100)),
            )
            .await
            .unwrap();
        for r in page.items.into_iter().rev() {
            out.push((r.job, r.server, r.trigger, r.outcome));
        }
    }
    out
}

fn names(outcomes: &[palisade_app::jobs::RunOutcome]) -> Vec<&'static str> {
    let mut v: Vec<_> = outcomes.iter().map(|o| o.job.name()).collect();
    v.sort_unstable();
    v
}

/// Every job's name, sorted.
fn every_job() -> Vec<&'static str> {
    let mut all: Vec<&str> = palisade_app::jobs::Job::ALL
        .iter()
        .map(|j| j.name())
        .collect();
    all.sort_unstable();
    all
}

per_engine!(
    two_servers_run_each_due_job_once,
    two_servers_run_each_due_job_once_sqlite,
    two_servers_run_each_due_job_once_postgres
);

async fn two_servers_run_each_due_job_once(h: H) {
    let other = second_server(&h);
    h.app.register_jobs().await.unwrap();
    other.register_jobs().await.unwrap();
    let (a, b) = tokio::join!(
        h.app.run_due_jobs("server-a"),
        other.run_due_jobs("server-b")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all = names(&a);
    all.extend(names(&b));
    all.sort_unstable();
    assert_eq!(
        all,
        every_job(),
        "each job once between the two servers: {a:?} {b:?}"
    );
    assert!(a.iter().chain(&b).all(|o| o.error.is_none()), "{a:?} {b:?}");
    let recorded = runs(&h).await;
    assert_eq!(recorded.len(), every_job().len(), "{recorded:?}");
    assert!(
        recorded
            .iter()
            .all(|(_, _, trigger, outcome)| trigger == "schedule" && outcome == "succeeded"),
        "{recorded:?}"
    );

    // Nothing is due again until its interval has passed.
    assert!(h.app.run_due_jobs("server-a").await.unwrap().is_empty());
    h.clock.advance(time::Duration::seconds(59));
    assert!(other.run_due_jobs("server-b").await.unwrap().is_empty());
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(
        names(&other.run_due_jobs("server-b").await.unwrap()),
        vec!["escalations"],
        "due a minute after it ended"
    );

    // A day away (the servers down, or the clock jumping forward): each job runs once, not once
    // per interval missed.
    h.clock.advance(time::Duration::days(1));
    let caught_up = h.app.run_due_jobs("server-a").await.unwrap();
    assert_eq!(names(&caught_up), every_job());
    assert!(h.app.run_due_jobs("server-a").await.unwrap().is_empty());
    // Each job twice, and escalations once more after its minute.
    assert_eq!(runs(&h).await.len(), 2 * every_job().len() + 1);
}

per_engine!(
    a_run_left_by_a_dead_server_is_abandoned_and_taken_over,
    a_run_left_by_a_dead_server_is_abandoned_and_taken_over_sqlite,
    a_run_left_by_a_dead_server_is_abandoned_and_taken_over_postgres
);

async fn a_run_left_by_a_dead_server_is_abandoned_and_taken_over(h: H) {
    h.app.register_jobs().await.unwrap();
    let now = h.app.now();
    // A server takes the reminders' lease and dies without finishing.
    let claim =
        h.db.store
            .claim_job_now("reminders", "dead-server", now, now + 120)
            .await
            .unwrap()
            .expect("the job is free");
    // While its lease lasts, no one else runs the job: not the schedule, not by hand.
    let others = h.app.run_due_jobs("server-b").await.unwrap();
    assert!(!names(&others).contains(&"reminders"), "{others:?}");
    let err = h
        .app
        .run_job_now(&Actor::cli(), "reminders", "server-b")
        .await
        .unwrap_err();
    assert!(
        matches!(err, palisade_app::AppError::Conflict { .. }),
        "{err:?}"
    );

    // Once the lease has run out, the next server takes the job and marks the run abandoned.
    h.clock.advance(time::Duration::seconds(121));
    let taken = h.app.run_due_jobs("server-b").await.unwrap();
    assert!(names(&taken).contains(&"reminders"), "{taken:?}");
    let reminders: Vec<_> = runs(&h)
        .await
        .into_iter()
        .filter(|r| r.0 == "reminders")
        .collect();
    assert_eq!(
        reminders,
        vec![
            (
                "reminders".into(),
                "dead-server".into(),
                "manual".into(),
                "abandoned".into()
            ),
            (
                "reminders".into(),
                "server-b".into(),
                "schedule".into(),
                "succeeded".into()
            ),
        ]
    );
    // The dead server, back, cannot hand back a lease it no longer holds.
    h.db.store
        .finish_job(
            &claim,
            "dead-server",
            &palisade_store::JobEnd {
                at: h.app.now(),
                result: Ok(0),
                next_run_at: Some(0),
            },
        )
        .await
        .unwrap();
    let state = h.db.store.job("reminders").await.unwrap().unwrap();
    assert!(state.next_run_at > h.app.now(), "{state:?}");
}

per_engine!(
    a_failing_job_shows_its_error_and_backs_off,
    a_failing_job_shows_its_error_and_backs_off_sqlite,
    a_failing_job_shows_its_error_and_backs_off_postgres
);

async fn a_failing_job_shows_its_error_and_backs_off(h: H) {
    h.app.register_jobs().await.unwrap();
    h.app.run_due_jobs("server-a").await.unwrap();
    // The reminders' table gone, the job fails each time it runs.
    h.db.execute("DROP TABLE reminders").await.unwrap();
    h.clock.advance(time::Duration::seconds(300));
    let failed = h.app.run_due_jobs("server-a").await.unwrap();
    let r = failed.iter().find(|o| o.job == Job::Reminders).unwrap();
    assert!(r.error.is_some(), "{r:?}");
    let state = h.db.store.job("reminders").await.unwrap().unwrap();
    assert_eq!((state.failures, state.failures_total), (1, 1));
    assert!(
        state.last_error.is_some() && state.lease_holder.is_none(),
        "{state:?}"
    );
    assert_eq!(state.next_run_at, h.app.now() + 30, "retried in 30 s");

    h.clock.advance(time::Duration::seconds(29));
    let early = h.app.run_due_jobs("server-a").await.unwrap();
    assert!(!names(&early).contains(&"reminders"));
    h.clock.advance(time::Duration::seconds(1));
    let again = h.app.run_due_jobs("server-a").await.unwrap();
    assert!(names(&again).contains(&"reminders"));
    let state = h.db.store.job("reminders").await.unwrap().unwrap();
    assert_eq!(state.failures, 2);
    assert_eq!(state.next_run_at, h.app.now() + 60, "then in 60 s");
    let outcomes: Vec<String> = runs(&h)
        .await
        .into_iter()
        .filter(|r| r.0 == "reminders")
        .map(|r| r.3)
        .collect();
    assert_eq!(outcomes, vec!["succeeded", "failed", "failed"]);
}

per_engine!(
    national_admins_see_and_run_jobs_over_the_api,
    national_admins_see_and_run_jobs_over_the_api_sqlite,
    national_admins_see_and_run_jobs_over_the_api_postgres
);

async fn national_admins_see_and_run_jobs_over_the_api(h: H) {
    let admin = h
        .person("admin@x.nhs.uk", Role::NationalAdmin, None)
        .await
        .1;
    // Before any server has registered them, the jobs are listed, not yet scheduled.
    let r = h.api(Method::GET, "/api/v1/jobs", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let list = r.json();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    let in_order: Vec<&str> = palisade_app::jobs::Job::ALL
        .iter()
        .map(|j| j.name())
        .collect();
    assert_eq!(names, in_order);
    assert_eq!(list["items"][1]["next_run_at"], Value::Null);
    assert_eq!(list["items"][1]["every_seconds"], 300);

    // Run by hand: accepted at once, run in the background, recorded and audited.
    let r = h
        .api(
            Method::POST,
            "/api/v1/jobs/reminders/run",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    let run_id = r.json()["run_id"].as_i64().unwrap();
    let mut run = Value::Null;
    for _ in 0..200 {
        let runs = h
            .api(
                Method::GET,
                "/api/v1/jobs/reminders/runs",
                Some(&admin),
                None,
            )
            .await
            .json();
        run = runs["items"][0].clone();
        if run["outcome"] != "running" {
            assert_eq!(runs["meta"]["total"], 1);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        (&run["id"], &run["trigger"], &run["outcome"], &run["items"]),
        (
            &json!(run_id),
            &json!("manual"),
            &json!("succeeded"),
            &json!(0)
        ),
        "{run}"
    );
    let audit = h.audit_summary(&admin, "job.run").await;
    assert_eq!(audit["run"], run_id, "{audit}");
    let list = h
        .api(Method::GET, "/api/v1/jobs", Some(&admin), None)
        .await
        .json();
    let reminders = &list["items"][1];
    assert_eq!(reminders["last_success_at"], "2025-06-15T15:06:40Z");
    assert_eq!(reminders["recent_runs"][0]["id"], run_id);
    assert_eq!(reminders["running_on"], Value::Null);

    // A job that does not exist; one already running.
    let r = h
        .api(Method::POST, "/api/v1/jobs/nope/run", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let r = h
        .api(Method::GET, "/api/v1/jobs/nope/runs", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let now = h.app.now();
    h.db.store
        .claim_job_now("housekeeping", "elsewhere", now, now + 600)
        .await
        .unwrap()
        .unwrap();
    let r = h
        .api(
            Method::POST,
            "/api/v1/jobs/housekeeping/run",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("running already"), "{}", r.text());
    let list = h
        .api(Method::GET, "/api/v1/jobs", Some(&admin), None)
        .await
        .json();
    let housekeeping = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "housekeeping")
        .unwrap();
    assert_eq!(housekeeping["running_on"], "elsewhere");

    // The operators' scraper sees each job's last success and failures.
    let (status, m) = scrape_metrics(&h.app, Some("scrape-token")).await;
    assert_eq!(status, StatusCode::OK);
    for line in [
        "palisade_job_last_success_timestamp_seconds{job=\"reminders\"}",
        "palisade_job_consecutive_failures{job=\"reminders\"}",
        "palisade_job_failures_total{job=\"escalations\"}",
        "palisade_job_running{job=\"housekeeping\"}",
    ] {
        assert!(m.contains(line), "{line} in {m}");
    }
}

per_engine!(
    the_feeds_job_imports_what_changed_at_the_source,
    the_feeds_job_imports_what_changed_at_the_source_sqlite,
    the_feeds_job_imports_what_changed_at_the_source_postgres
);

async fn the_feeds_job_imports_what_changed_at_the_source(h: H) {
    let admin = h
        .person("admin@x.nhs.uk", Role::NationalAdmin, None)
        .await
        .1;
    let run = |app: App| async move {
        app.run_job_now(&Actor::cli(), "feeds", "server-a")
            .await
            .unwrap()
    };
    // Without a source the job has nothing to do.
    let none = run(h.app.clone()).await;
    assert_eq!((none.items, none.error), (Some(0), None));

    // Its own folder: the SQLite and PostgreSQL runs of this test go at once, in one process,
    // at the same test time, and each writes files the other must not see.
    let dir = std::env::temp_dir().join(format!(
        "palisade-feed-source-{}-{}",
        std::process::id(),
        palisade_app::auth::random_hex(8)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("known_exploited_vulnerabilities.json"), KEV_JSON).unwrap();
    let source = palisade_delivery::feeds::feed_source(dir.to_str().unwrap()).unwrap();
    let h = h.with_app(|a| *a = a.clone().with_feed_source(source));

    // The catalogue is there, the lifecycles not yet: the catalogue's two entries are imported.
    let first = run(h.app.clone()).await;
    assert_eq!((first.items, first.error.clone()), (Some(2), None));
    let feed = |name: &'static str| {
        let (h, admin) = (&h, &admin);
        async move {
            let list = h
                .api(Method::GET, "/api/v1/feeds", Some(admin), None)
                .await
                .json();
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == name)
                .cloned()
                .unwrap_or(Value::Null)
        }
    };
    let kev = feed("kev").await;
    assert_eq!(kev["items"], 2);
    // The same again writes nothing; the lifecycles once they appear.
    assert_eq!(run(h.app.clone()).await.items, Some(0));
    assert_eq!(feed("eol").await, Value::Null);
    let eol = zip_of(&[("windows.md".into(), WINDOWS_EOL.into())]);
    std::fs::write(dir.join("endoflife.zip"), eol).unwrap();
    assert_eq!(run(h.app.clone()).await.items, Some(1));
    assert_eq!(feed("eol").await["items"], 1);

    // A catalogue that is not valid fails the run with its name; the feed keeps what it had.
    std::fs::write(dir.join("known_exploited_vulnerabilities.json"), "{").unwrap();
    let failed = run(h.app.clone()).await;
    let error = failed.error.unwrap();
    assert!(
        error.contains("known_exploited_vulnerabilities.json")
            && error.contains(dir.to_str().unwrap()),
        "{error}"
    );
    assert_eq!(feed("kev").await["digest"], kev["digest"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
