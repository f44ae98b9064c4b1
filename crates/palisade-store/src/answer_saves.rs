//! A save of answers: the assessment and the answers it touches read, the changes planned
//! against them, then written with the audit entry while the writer is held.

use crate::assessments::{
    ASSESSMENT_COLUMNS, AssessmentRow, bump, bumped, insert_assessment, refuse_submitted,
};
use crate::audit::{Then, append_guarded, append_then_returning};
use crate::conns::Tx;
use crate::db::JsonCol::{Int, Text};
use crate::db::{Arg, Sql, json_rows, parse_rows, unpack_rows};
use crate::model::{AnswerChange, AnswersRead, AssessmentKey, AssessmentRecord, Stamp};
use crate::{Engine, Result, SqlStore, StoreError};
use palisade_domain::audit::AuditDraft;
use palisade_domain::policy::OrgId;
use sqlx::{Any, AnyConnection, Executor, FromRow};
use std::collections::HashMap;

/// References in one `IN (...)` list of cleared answers deleted (see the import batch note in
/// orgs.rs).
const REFS_PER_STATEMENT: usize = 160;

/// Saves `changes` to the answers of the assessment `key` (see
/// [`crate::AssessmentStore::save_answers`]). The answers are read on a read connection first
/// (`read`, when the caller's read covers every change; otherwise here), so that the writer is
/// held for the writes alone; they are kept only if the assessment is still at the revision
/// read (every change to it moves the revision on). When it has moved, or there is no
/// assessment yet, the save reads again under the writer, where nothing can change it.
pub(crate) async fn save(
    store: &SqlStore,
    key: AssessmentKey,
    changes: &[AnswerChange],
    read: Option<AnswersRead>,
    stamp: Stamp,
    audit: AuditDraft,
) -> Result<(AssessmentRecord, Vec<String>)> {
    refuse_twice(changes)?;
    let read = match read.filter(|r| r.covers(key, changes)) {
        Some(read) => Some(read),
        None => {
            self::read(
                &store.read,
                store.engine,
                key.org_id,
                key.year,
                &refs(changes),
            )
            .await?
        }
    };
    if let Some(AnswersRead {
        record, current, ..
    }) = read
    {
        let assessment = refuse_submitted(record)?;
        let plan = plan_save(&current, changes)?;
        if plan.is_empty() {
            return Ok((assessment, Vec::new()));
        }
        let saved = match store.engine {
            Engine::Postgres => {
                write_at_once(store, key.year, assessment, &plan, stamp, &audit).await?
            }
            Engine::Sqlite => {
                let tx = store.begin().await?;
                write_save(tx, store.engine, key.year, assessment, &plan, stamp, &audit).await?
            }
        };
        if let Some(saved) = saved {
            return Ok(saved);
        }
    }
    let mut tx = store.begin().await?;
    let (assessment, current) =
        match self::read(&mut *tx, store.engine, key.org_id, key.year, &refs(changes)).await? {
            Some(read) => (refuse_submitted(read.record)?, read.current),
            None => (
                insert_assessment(&mut tx, key, stamp.at).await?,
                HashMap::new(),
            ),
        };
    let plan = plan_save(&current, changes)?;
    let saved = write_save(tx, store.engine, key.year, assessment, &plan, stamp, &audit);
    // Under the writer nothing else changes the assessment: a failed condition here is a bug.
    saved.await?.ok_or_else(|| {
        StoreError::Unsupported(
            "an assessment changed under the writer while its answers were saved".into(),
        )
    })
}

/// The references `changes` touch.
fn refs(changes: &[AnswerChange]) -> Vec<&str> {
    changes.iter().map(|c| c.reference.as_str()).collect()
}

/// The assessment of `org_id` in `year`, if it exists, with the value and version of each
/// answer `refs` name, in one statement (a save of answers is the writer's most frequent
/// transaction, and on SQLite each statement is a round trip to a connection's thread). The
/// references travel as one JSON parameter and are looked up by key, however many they are.
pub(crate) async fn read<'e>(
    exec: impl Executor<'e, Database = Any>,
    engine: Engine,
    org_id: OrgId,
    year: i32,
    refs: &[&str],
) -> Result<Option<AnswersRead>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        assessment: AssessmentRow,
        current: String,
    }
    let wanted: Vec<[&str; 1]> = refs.iter().map(|r| [*r]).collect();
    let wanted =
        serde_json::to_string(&wanted).map_err(|e| StoreError::Unsupported(e.to_string()))?;
    let current = json_rows(
        engine,
        "x.ref, x.value, x.version",
        &format!(
            "FROM answers x WHERE x.assessment_id = assessments.id AND x.ref IN \
             (SELECT c0 FROM ({}) r)",
            unpack_rows(engine, &[Text], "", 3)
        ),
        "x.ref",
    );
    let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT {ASSESSMENT_COLUMNS}, {current} AS current FROM assessments \
         WHERE org_id = $1 AND year = $2"
    )))
    .bind(org_id)
    .bind(i64::from(year))
    .bind(wanted)
    .fetch_optional(exec)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let current = parse_rows::<(String, String, i64)>("answers", &row.current)?
        .into_iter()
        .map(|(r, v, n)| (r, (v, n)))
        .collect();
    Ok(Some(AnswersRead {
        record: row.assessment.try_into()?,
        refs: refs.iter().map(|r| r.to_string()).collect(),
        current,
    }))
}

/// What a save does to the answers as they stand.
#[derive(Debug, Default)]
struct SavePlan<'c> {
    /// The answers to write: reference, value and new version.
    upserts: Vec<(&'c str, &'c str, i64)>,
    /// The references to clear.
    deletes: Vec<&'c str>,
}

impl SavePlan<'_> {
    fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty()
    }
}

/// Refuses a save that names a reference twice, naming each: its clearing and its writing would
/// otherwise depend on their order.
fn refuse_twice(changes: &[AnswerChange]) -> Result<()> {
    let mut twice = palisade_domain::FieldErrors::default();
    let mut seen = std::collections::HashSet::new();
    for c in changes {
        if !seen.insert(c.reference.as_str()) {
            twice.push(
                format!("answers.{}", c.reference),
                "is answered twice in one call",
            );
        }
    }
    if twice.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(twice))
    }
}

/// What a save of `changes` does to answers as they stand. Refuses the whole save, naming each
/// answer, when one was changed by someone else since the caller read it.
fn plan_save<'c>(
    current: &HashMap<String, (String, i64)>,
    changes: &'c [AnswerChange],
) -> Result<SavePlan<'c>> {
    let mut conflicts = palisade_domain::FieldErrors::default();
    let mut plan = SavePlan::default();
    for c in changes {
        let (old_value, old_version) = current
            .get(&c.reference)
            .map(|(v, n)| (Some(v.as_str()), *n))
            .unwrap_or((None, 0));
        if let Some(expected) = c.expected_version
            && expected != old_version
        {
            conflicts.push(
                format!("answers.{}", c.reference),
                format!(
                    "was changed by someone else since you opened it (now: {}); review it and save again",
                    old_value.unwrap_or("unanswered")
                ),
            );
            continue;
        }
        match (&c.value, old_value) {
            (Some(new), Some(old)) if new == old => {}
            (Some(new), _) => {
                plan.upserts
                    .push((c.reference.as_str(), new.as_str(), old_version + 1))
            }
            (None, Some(_)) => plan.deletes.push(c.reference.as_str()),
            (None, None) => {}
        }
    }
    if !conflicts.is_empty() {
        return Err(StoreError::Stale(conflicts));
    }
    Ok(plan)
}

/// Writes answers (assessment id, reference, value, version), of one assessment or of many, in
/// one statement whatever their number, replacing any already there for the same assessment and
/// reference. The rows travel as one JSON array parameter that the engine unpacks
/// ([`unpack_rows`]: binary JSON on SQLite, `json_array_elements` on PostgreSQL): a multi-row
/// `VALUES` list would bind six parameters a row, and SQLite's cost of binding grows with the
/// square of a statement's parameter count.
pub(crate) async fn insert_answers(
    conn: &mut AnyConnection,
    engine: Engine,
    rows: &[(i64, &str, &str, i64)],
    stamp: Stamp,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::default();
    answers_upsert(&mut sql, engine, answers_json(rows)?, stamp, "");
    sql.execute(conn).await?;
    Ok(())
}

/// The rows for [`answers_upsert`], as its one JSON parameter.
fn answers_json(rows: &[(i64, &str, &str, i64)]) -> Result<String> {
    serde_json::to_string(rows).map_err(|e| StoreError::Unsupported(e.to_string()))
}

/// Writes [`insert_answers`]'s statement into `sql`, for a caller that sends it with others;
/// `when` (empty, or a `WHERE` on PostgreSQL) limits the rows it writes.
fn answers_upsert(sql: &mut Sql, engine: Engine, json: String, stamp: Stamp, when: &str) {
    sql.push("INSERT INTO answers (assessment_id, ref, value, version, updated_at, updated_by) ")
        .unpack_rows(
            engine,
            &[Int, Text, Text, Int],
            vec![Arg::I64(stamp.at), Arg::OptI64(stamp.user_id)],
            json,
        )
        .push(when)
        .push(
            " ON CONFLICT (assessment_id, ref) DO UPDATE SET value = excluded.value, \
             version = excluded.version, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        );
}

/// Writes and commits, in `tx`, a save that [`plan_save`] planned on `assessment` as read:
/// clears the answers to clear, then, in the audit entry's round trip, writes the new ones and
/// marks the assessment changed, if it is still open at the revision read. Returns `None`, with
/// `tx` rolled back, when it is not (someone changed it since). A plan with nothing to write
/// commits what `tx` did before (an assessment it created) and writes no audit entry.
async fn write_save(
    mut tx: Tx,
    engine: Engine,
    year: i32,
    assessment: AssessmentRecord,
    plan: &SavePlan<'_>,
    stamp: Stamp,
    audit: &AuditDraft,
) -> Result<Option<(AssessmentRecord, Vec<String>)>> {
    if plan.is_empty() {
        tx.commit().await?;
        return Ok(Some((assessment, Vec::new())));
    }
    for chunk in plan.deletes.chunks(REFS_PER_STATEMENT) {
        let mut sql = Sql::default();
        delete(&mut sql, assessment.id, chunk);
        sql.execute(&mut tx).await?;
    }
    // The new answers go in the audit entry's text; they touch references the deletes did not.
    let json = upserts_json(assessment.id, plan)?;
    let upsert = |sql: &mut Sql| answers_upsert(sql, engine, json.clone(), stamp, "");
    let guarded_bump = |sql: &mut Sql| {
        bump_if_unchanged(sql, &assessment, stamp.at);
        sql.push(" RETURNING id");
    };
    let statements: Vec<Then<'_>> = if plan.upserts.is_empty() {
        vec![&guarded_bump]
    } else {
        vec![&upsert, &guarded_bump]
    };
    let entry = save_entry(audit, &assessment, year, plan);
    if append_then_returning(&mut tx, &entry, &statements).await? == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(saved(assessment, plan, stamp)))
}

/// [`write_save`] on PostgreSQL for a plan made from a read outside the writer: the cleared
/// answers, the new ones, the assessment's new revision and the audit entry in one statement
/// outside any transaction ([`append_guarded`]), so that the audit head is locked for that
/// statement alone. It writes only if the assessment is still open at the revision read;
/// `None` when it is not. The plan is not empty.
async fn write_at_once(
    store: &SqlStore,
    year: i32,
    assessment: AssessmentRecord,
    plan: &SavePlan<'_>,
    stamp: Stamp,
    audit: &AuditDraft,
) -> Result<Option<(AssessmentRecord, Vec<String>)>> {
    const GUARDED: &str = "EXISTS (SELECT 1 FROM guard)";
    let guard = |sql: &mut Sql| {
        bump_if_unchanged(sql, &assessment, stamp.at);
        sql.push(" AND EXISTS (SELECT 1 FROM head) RETURNING id");
    };
    let json = upserts_json(assessment.id, plan)?;
    let upsert = |sql: &mut Sql| {
        answers_upsert(
            sql,
            Engine::Postgres,
            json.clone(),
            stamp,
            &format!(" WHERE {GUARDED}"),
        );
    };
    let deletes: Vec<_> = plan
        .deletes
        .chunks(REFS_PER_STATEMENT)
        .map(|chunk| {
            move |sql: &mut Sql| {
                delete(sql, assessment.id, chunk);
                sql.push(" AND ").push(GUARDED);
            }
        })
        .collect();
    let mut statements: Vec<Then<'_>> = deletes.iter().map(|d| d as Then<'_>).collect();
    if !plan.upserts.is_empty() {
        statements.push(&upsert);
    }
    let entry = save_entry(audit, &assessment, year, plan);
    if !append_guarded(&store.write, &entry, &guard, &statements).await? {
        return Ok(None);
    }
    Ok(Some(saved(assessment, plan, stamp)))
}

/// The bump of `assessment`'s revision that matches only while it is still open at the
/// revision read, its `WHERE` left open: the condition every save's writes stand on.
fn bump_if_unchanged(sql: &mut Sql, assessment: &AssessmentRecord, at: i64) {
    bump(sql, assessment.id, at);
    sql.push(" AND revision = ")
        .i64(assessment.revision)
        .push(" AND submitted = 0");
}

/// `DELETE` of the answers `refs` of the assessment `assessment_id`, its `WHERE` left open.
fn delete(sql: &mut Sql, assessment_id: i64, refs: &[&str]) {
    sql.push("DELETE FROM answers WHERE assessment_id = ")
        .i64(assessment_id)
        .push(" AND ref IN (")
        .text_list(refs)
        .push(")");
}

/// The answers `plan` writes to the assessment `assessment_id`, as [`answers_upsert`]'s
/// parameter.
fn upserts_json(assessment_id: i64, plan: &SavePlan<'_>) -> Result<String> {
    let rows: Vec<(i64, &str, &str, i64)> = plan
        .upserts
        .iter()
        .map(|(r, v, n)| (assessment_id, *r, *v, *n))
        .collect();
    answers_json(&rows)
}

/// The audit entry of a save of `plan` to `assessment`: `audit`, naming the assessment and the
/// answers changed and cleared.
fn save_entry(
    audit: &AuditDraft,
    assessment: &AssessmentRecord,
    year: i32,
    plan: &SavePlan<'_>,
) -> AuditDraft {
    let mut entry = audit.clone();
    entry.entity_id = assessment.id.to_string();
    entry.summary = serde_json::json!({
        "year": year,
        "changed": plan.upserts.iter().map(|(r, _, _)| *r).collect::<Vec<_>>(),
        "cleared": plan.deletes,
    });
    entry
}

/// What a written save returns: the assessment as it now stands, and the references changed
/// and cleared.
fn saved(
    assessment: AssessmentRecord,
    plan: &SavePlan<'_>,
    stamp: Stamp,
) -> (AssessmentRecord, Vec<String>) {
    let changed = plan
        .upserts
        .iter()
        .map(|(r, _, _)| r.to_string())
        .chain(plan.deletes.iter().map(|r| r.to_string()))
        .collect();
    (bumped(assessment, stamp.at), changed)
}

#[cfg(test)]
mod tests {
    use crate::model::{AnswerChange, AssessmentKey, NewFramework, Stamp};
    use crate::testkit::TestDb;
    use crate::{AssessmentStore, OrgStore};
    use palisade_domain::audit::AuditDraft;
    use palisade_domain::org::OrgInput;
    use std::time::Duration;

    fn draft(action: &str) -> AuditDraft {
        AuditDraft {
            at: 1_700_000_000,
            actor_user_id: None,
            actor: "test".into(),
            action: action.into(),
            entity_type: "assessment".into(),
            entity_id: "x".into(),
            org_id: None,
            summary: serde_json::json!({}),
        }
    }

    /// A save sent in one statement on PostgreSQL locks the audit head before the assessment's
    /// row, as a transaction does when it begins. Here a transaction holds the head while the
    /// save waits, then changes the same assessment: in the other order the two would deadlock.
    /// The save must wait, find the assessment moved on, and save on the writer after it.
    #[tokio::test]
    async fn a_save_in_one_statement_queues_behind_a_transaction_on_the_same_assessment() {
        let Some(db) = TestDb::postgres().await.unwrap() else {
            return;
        };
        let s = &db.store;
        let fields = OrgInput {
            code: "A81001".into(),
            name: "Organisation A81001".into(),
            org_type: "gp_practice".into(),
            category: String::new(),
            region: "London".into(),
            parent_code: String::new(),
        }
        .validate("")
        .unwrap();
        let org = s
            .create_org(&fields, draft("organisation.create"))
            .await
            .unwrap();
        let framework = NewFramework {
            key: "ten".into(),
            year: 2026,
            version: "1".into(),
            kind: palisade_domain::framework::FrameworkKind::TenStandard,
            name: "Framework ten".into(),
            deadline: "2027-06-30".into(),
            categories: vec![4.try_into().unwrap()],
            content_hash: "h1".into(),
            document: "{}".into(),
        };
        let (fw, _) = s
            .import_framework(&framework, draft("framework.import"))
            .await
            .unwrap();
        let key = AssessmentKey {
            org_id: org.id,
            year: 2026,
            framework_id: fw.id,
        };
        let stamp = Stamp {
            at: 1_700_000_100,
            user_id: None,
        };
        let save = |value: &str| {
            let changes = [AnswerChange {
                reference: "1.1.1".into(),
                value: Some(value.into()),
                expected_version: None,
            }];
            async move {
                s.save_answers(key, &changes, None, stamp, draft("assessment.answers"))
                    .await
            }
        };
        let (a, _) = save("yes").await.unwrap();

        let mut tx = s.begin().await.unwrap();
        let waiting = async {
            // Until the save's one statement waits for a lock (the head's, which `tx` holds);
            // a save that never gets there (it failed, or took another way) fails the test.
            let waited = tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    let waits: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                         AND datname = current_database() AND query LIKE 'WITH head AS%'",
                    )
                    .fetch_one(&s.read)
                    .await
                    .unwrap();
                    if waits > 0 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
            waited
                .await
                .expect("the save's statement waits for the head");
            let mut sql = crate::db::Sql::default();
            crate::assessments::bump(&mut sql, a.id, stamp.at);
            sql.execute(&mut tx).await.unwrap();
            tx.commit().await.unwrap();
        };
        let (saved, ()) = tokio::join!(save("no"), waiting);
        let (a, changed) = saved.unwrap();
        assert_eq!(changed, vec!["1.1.1"]);
        assert_eq!(
            a.revision, 3,
            "the first save, the transaction's change, this save"
        );
        db.cleanup().await;
    }
}
