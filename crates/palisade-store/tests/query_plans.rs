//! Every hot statement reaches its large table through the index meant for it, on both engines:
//! a migration that drops the index, or a statement changed so that it no longer serves, fails
//! here rather than at national scale.

use palisade_store::Engine;
use palisade_store::query_plans::hot_queries;
use palisade_store::testkit::TestDb;

/// Whether a plan line reads the whole of `table` (by its name or an alias), or sorts what it
/// read instead of taking it in an index's order.
fn reads_whole(engine: Engine, line: &str, table: &str) -> bool {
    let line = trimmed(line);
    sorts(engine, line)
        || match engine {
            // "SCAN outbox", "SCAN TABLE outbox" (older SQLite) or "SCAN o"; "SCAN outbox USING
            // INDEX ..." walks an index in order.
            Engine::Sqlite => line.starts_with("SCAN ") && !line.contains(" USING "),
            Engine::Postgres => {
                let line = line.trim_start_matches("Parallel ");
                line == format!("Seq Scan on {table}")
                    || line.starts_with(&format!("Seq Scan on {table} "))
            }
        }
}

/// Whether a plan line sorts rows it has read (for an order or a grouping).
fn sorts(engine: Engine, line: &str) -> bool {
    let line = trimmed(line);
    match engine {
        Engine::Sqlite => line.starts_with("USE TEMP B-TREE"),
        Engine::Postgres => line.starts_with("Sort "),
    }
}

fn trimmed(line: &str) -> &str {
    line.trim_start_matches([' ', '-', '>', '|', '`'])
}

/// Whether a plan line reads through `index`.
fn uses(engine: Engine, line: &str, index: &str) -> bool {
    match engine {
        Engine::Sqlite => {
            line.contains(&format!("USING INDEX {index} "))
                || line.ends_with(&format!("USING INDEX {index}"))
                || line.contains(&format!("USING COVERING INDEX {index}"))
        }
        Engine::Postgres => {
            line.contains(&format!("using {index} on")) || line.contains(&format!("on {index}"))
        }
    }
}

#[test]
fn plan_lines_are_read_as_meant() {
    let lite = Engine::Sqlite;
    assert!(reads_whole(lite, "SCAN outbox", "outbox"));
    assert!(reads_whole(lite, "SCAN TABLE outbox", "outbox"));
    assert!(reads_whole(lite, "`--SCAN o", "outbox"));
    assert!(reads_whole(lite, "USE TEMP B-TREE FOR ORDER BY", "outbox"));
    assert!(!reads_whole(
        lite,
        "SCAN outbox USING INDEX outbox_pending_created",
        "outbox"
    ));
    assert!(uses(
        lite,
        "SCAN outbox USING INDEX outbox_pending_created",
        "outbox_pending_created"
    ));
    assert!(!uses(
        lite,
        "SCAN outbox USING INDEX outbox_pending_created",
        "outbox_pending"
    ));
    assert!(uses(
        lite,
        "SEARCH outbox USING INDEX outbox_pending (next_attempt_at<?)",
        "outbox_pending"
    ));
    assert!(uses(
        lite,
        "SCAN outbox USING COVERING INDEX outbox_pending",
        "outbox_pending"
    ));
    let pg = Engine::Postgres;
    assert!(reads_whole(
        pg,
        "  ->  Seq Scan on outbox  (cost=0.00..1.00 rows=1 width=8)",
        "outbox"
    ));
    assert!(reads_whole(
        pg,
        "  ->  Parallel Seq Scan on outbox  (cost=0.00..1.00)",
        "outbox"
    ));
    assert!(!reads_whole(
        pg,
        "  ->  Seq Scan on outbox_tally  (cost=0.00..1.00)",
        "outbox"
    ));
    assert!(reads_whole(
        pg,
        "  ->  Sort  (cost=1.00..2.00 rows=1 width=8)",
        "outbox"
    ));
    assert!(uses(
        pg,
        "  ->  Index Only Scan using outbox_pending_created on outbox",
        "outbox_pending_created"
    ));
    assert!(!uses(
        pg,
        "  ->  Index Only Scan using outbox_pending_created on outbox",
        "outbox_pending"
    ));
    assert!(uses(
        pg,
        "  ->  Bitmap Index Scan on outbox_pending  (cost=0.00..4.00)",
        "outbox_pending"
    ));
}

#[tokio::test]
async fn hot_statements_are_served_by_their_indexes() {
    for db in TestDb::all().await {
        let engine = db.engine();
        for q in hot_queries(engine) {
            let plan = db.plan(&q.sql).await.unwrap();
            assert!(
                plan.iter().any(|l| uses(engine, l, q.index))
                    && !plan
                        .iter()
                        .any(|l| reads_whole(engine, l, q.table) && !(q.groups && sorts(engine, l))),
                "{engine:?}: {} does not reach {} through {} alone:\n{}\n{}",
                q.name,
                q.table,
                q.index,
                plan.join("\n"),
                q.sql
            );
        }
    }
}

/// The claim reaches one channel's due messages by the channel the index leads with, so it
/// never walks over another channel's waiting ones.
#[tokio::test]
async fn the_claim_seeks_its_channel_in_the_index() {
    for db in TestDb::all().await {
        let engine = db.engine();
        let claim = hot_queries(engine)
            .into_iter()
            .find(|q| q.table == "outbox" && q.index == "outbox_pending")
            .unwrap();
        let plan = db.plan(&claim.sql).await.unwrap();
        let keyed = |l: &String| match engine {
            Engine::Sqlite => l.contains("USING INDEX outbox_pending (channel=?"),
            Engine::Postgres => l.contains("Index Cond: ((channel = "),
        };
        assert!(plan.iter().any(keyed), "{engine:?}: {plan:?}");
    }
}

/// The check catches a statement without an index, and one whose index is gone.
#[tokio::test]
async fn a_statement_without_its_index_is_caught() {
    for db in TestDb::all().await {
        let engine = db.engine();
        let plan = db
            .plan("SELECT id FROM outbox WHERE attempts = $1")
            .await
            .unwrap();
        assert!(
            plan.iter().any(|l| reads_whole(engine, l, "outbox")),
            "{engine:?}: {plan:?}"
        );
        db.execute("DROP INDEX outbox_pending_created")
            .await
            .unwrap();
        let oldest = hot_queries(engine)
            .into_iter()
            .find(|q| q.index == "outbox_pending_created")
            .unwrap();
        let plan = db.plan(&oldest.sql).await.unwrap();
        assert!(
            !plan.iter().any(|l| uses(engine, l, oldest.index))
                && plan.iter().any(|l| reads_whole(engine, l, "outbox")),
            "{engine:?}: {plan:?}"
        );
    }
}
