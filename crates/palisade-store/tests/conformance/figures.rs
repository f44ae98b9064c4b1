//! The national figures' counts: kept as organisations are created, changed, imported,
//! deactivated and their assessments seeded, published and published again, they always equal a
//! recount of the register and the assessments.

use super::*;
use palisade_domain::assessment::Status;

type Row = (String, u8, String, String, i64, i64);

fn rows(counts: Vec<StatusCount>) -> Vec<Row> {
    let mut rows: Vec<Row> = counts
        .into_iter()
        .map(|c| {
            (
                c.org_type.as_str().to_string(),
                c.category.number(),
                c.region,
                c.status.as_str().to_string(),
                c.orgs,
                c.late,
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The kept counts for both years, after checking them against a recount.
async fn kept(s: &SqlStore, step: &str) -> Vec<Vec<Row>> {
    let mut years = Vec::new();
    for year in [2025, 2026] {
        let kept = rows(s.status_counts(year).await.unwrap());
        let recounted = rows(s.status_counts_recounted(year).await.unwrap());
        assert_eq!(kept, recounted, "{year}, after {step}");
        years.push(kept);
    }
    // The register's counts by type, as the home page shows them nationally (read from the
    // kept counts), against the register itself.
    let mut counted: std::collections::BTreeMap<String, i64> = Default::default();
    for o in s.export_orgs(&Scope::All).await.unwrap() {
        if o.active {
            *counted.entry(o.org_type.as_str().to_string()).or_default() += 1;
        }
    }
    let national = s.count_orgs(&Scope::All).await.unwrap();
    assert_eq!(
        national,
        counted.into_iter().collect::<Vec<_>>(),
        "organisations by type, after {step}"
    );
    years
}

fn in_region(code: &str, org_type: &str, region: &str) -> OrgFields {
    OrgInput {
        code: code.into(),
        name: format!("Organisation {code}"),
        org_type: org_type.into(),
        category: String::new(),
        region: region.into(),
        parent_code: String::new(),
    }
    .validate("")
    .unwrap()
}

#[tokio::test]
async fn national_figures_are_kept_with_each_change() {
    for db in TestDb::all().await {
        let s = &db.store;
        assert_eq!(kept(s, "nothing").await, vec![vec![], vec![]]);
        let a = create(s, "A81001", "gp_practice", "").await;
        let b = create(s, "A81002", "gp_practice", "").await;
        let t = create(s, "RX1", "acute_trust", "").await;
        let years = kept(s, "three organisations").await;
        let unpublished: i64 = years[1].iter().map(|r| r.4).sum();
        assert_eq!(unpublished, 3);

        let mut frameworks = Vec::new();
        for year in [2025, 2026] {
            let mut f = new_framework(&format!("ten-{year}"), &format!("h{year}"), &[1, 2, 3, 4]);
            f.year = year;
            let (fw, _) = s
                .import_framework(&f, draft("framework.import", "framework"))
                .await
                .unwrap();
            frameworks.push(fw.id);
        }
        let key = |org_id, year: i32| AssessmentKey {
            org_id,
            year,
            framework_id: frameworks[usize::from(year == 2026)],
        };
        let seeded = |org_id, publish| SeededAssessment {
            key: key(org_id, 2026),
            answers: Vec::new(),
            documents: Vec::new(),
            publish,
            audit: Vec::new(),
        };
        // An organisation named twice in a batch is seeded once, from its first entry.
        let written = s
            .seed_assessments(
                &[
                    seeded(a.id, Some(Status::StandardsMet)),
                    seeded(b.id, None),
                    seeded(a.id, Some(Status::StandardsNotMet)),
                ],
                STAMP,
            )
            .await
            .unwrap();
        assert_eq!(written, 2);
        let years = kept(s, "seeding").await;
        assert!(
            years[1].iter().any(|r| r.3 == "standards_met" && r.4 == 1)
                && !years[1].iter().any(|r| r.3 == "standards_not_met"),
            "{years:?}"
        );

        let publish = |org_id, year, status, late| async move {
            let revision = s
                .get_assessment(org_id, year)
                .await
                .unwrap()
                .map_or(0, |a| a.revision);
            s.publish(
                key(org_id, year),
                revision,
                status,
                late,
                STAMP,
                draft("assessment.submit", "assessment"),
            )
            .await
            .unwrap()
        };
        let first = publish(t.id, 2026, Status::StandardsNotMet, true).await;
        let years = kept(s, "a late publication").await;
        assert!(
            years[1].contains(&(
                "acute_trust".into(),
                1,
                "London".into(),
                "standards_not_met".into(),
                1,
                1
            )),
            "{years:?}"
        );
        s.reopen(first.id, STAMP, draft("assessment.reopen", "assessment"))
            .await
            .unwrap();
        kept(s, "reopening").await;
        publish(t.id, 2026, Status::StandardsExceeded, false).await;
        kept(s, "publishing again with another status").await;
        publish(a.id, 2025, Status::StandardsMet, false).await;
        kept(s, "a publication for the year before").await;

        // The trust moves region and becomes another type; the practice closes and reopens.
        s.update_org(
            t.id,
            &in_region("RX1", "mental_health_trust", "North West"),
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        kept(s, "a change of type and region").await;
        s.update_org(
            a.id,
            &in_region("A81001", "gp_practice", "London"),
            false,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        let years = kept(s, "closing an organisation").await;
        assert!(
            years[0].iter().all(|r| r.3 == "not_published"),
            "its 2025 publication no longer counts: {years:?}"
        );
        s.update_org(
            a.id,
            &in_region("A81001", "gp_practice", "London"),
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        kept(s, "reopening an organisation").await;

        // An import creates one active and one closed organisation and moves another.
        let row = |line, fields, active| ImportRow {
            line,
            fields,
            active,
        };
        let who = ImportAudit {
            at: 1_700_000_200,
            actor_user_id: None,
            actor: "cli".into(),
        };
        s.import_orgs(
            &[
                row(2, in_region("A81003", "gp_practice", "London"), true),
                row(3, in_region("A81004", "gp_practice", "London"), false),
                row(4, in_region("A81001", "gp_practice", "South West"), true),
                row(
                    5,
                    in_region("RX1", "mental_health_trust", "North West"),
                    false,
                ),
            ],
            who,
        )
        .await
        .unwrap();
        let years = kept(s, "an import").await;
        let active: i64 = years[1].iter().map(|r| r.4).sum();
        assert_eq!(active, 3, "A81001, A81002 and A81003: {years:?}");

        // The version moves with a change to the counts, and only then.
        let version = s.figures_version().await.unwrap();
        s.update_org(
            b.id,
            &in_region("A81002", "gp_practice", "London"),
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        assert_eq!(
            s.figures_version().await.unwrap(),
            version,
            "an update that moves no count"
        );
        s.update_org(
            b.id,
            &in_region("A81002", "gp_practice", "North West"),
            true,
            draft("organisation.update", "organisation"),
        )
        .await
        .unwrap();
        assert!(s.figures_version().await.unwrap() > version);

        // A server of the version before wrote a status without keeping the counts (as during a
        // rolling upgrade): the next start of this version counts them again.
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE assessments SET status = 'standards_met', submitted = 1 WHERE org_id = $1",
        )
        .bind(b.id)
        .execute(&mut conn)
        .await
        .unwrap();
        let stale = rows(s.status_counts(2026).await.unwrap());
        assert_ne!(
            stale,
            rows(s.status_counts_recounted(2026).await.unwrap()),
            "the write went around the counts"
        );
        let version = s.figures_version().await.unwrap();
        s.migrate().await.unwrap();
        kept(s, "a start after a write around the counts").await;
        assert!(s.figures_version().await.unwrap() > version);
        db.cleanup().await;
    }
}
