//! Every hot statement reaches its large table through an index, on both engines: a migration
//! that drops an index, or a statement changed so that none serves it, fails here rather than
//! at national scale.

use palisade_store::Engine;
use palisade_store::query_plans::hot_queries;
use palisade_store::testkit::TestDb;

/// Whether a plan line reads the whole of `table`.
fn reads_whole(engine: Engine, line: &str, table: &str) -> bool {
    let line = line.trim_start_matches([' ', '-', '>']);
    match engine {
        // "SCAN outbox" alone; "SCAN outbox USING INDEX ..." walks an index in order.
        Engine::Sqlite => {
            line == format!("SCAN {table}")
                || (line.starts_with(&format!("SCAN {table} ")) && !line.contains("USING"))
        }
        Engine::Postgres => line.starts_with(&format!("Seq Scan on {table}")),
    }
}

#[tokio::test]
async fn hot_statements_are_served_by_indexes() {
    for db in TestDb::all().await {
        let engine = db.engine();
        for q in hot_queries(engine) {
            let plan = db.plan(&q.sql).await.unwrap();
            assert!(
                !plan.is_empty() && !plan.iter().any(|l| reads_whole(engine, l, q.table)),
                "{engine:?}: {} reads the whole of {}:\n{}\n{}",
                q.name,
                q.table,
                plan.join("\n"),
                q.sql
            );
        }
    }
}

/// The check itself catches a statement without an index.
#[tokio::test]
async fn a_statement_without_an_index_is_caught() {
    for db in TestDb::all().await {
        let engine = db.engine();
        let plan = db
            .plan("SELECT id FROM outbox WHERE last_error = $1")
            .await
            .unwrap();
        assert!(
            plan.iter().any(|l| reads_whole(engine, l, "outbox")),
            "{engine:?}: {plan:?}"
        );
    }
}
