//! A save of answers: the assessment and the answers it touches read, the changes planned
//! against them, then written with the audit entry while the writer is held.

use crate::assessments::{
    ASSESSMENT_COLUMNS, AssessmentRow, bump, bumped, insert_assessment, refuse_submitted,
};
use crate::audit::{Then, append_then_returning};
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
        let tx = store.begin().await?;
        let saved = write_save(tx, store.engine, key.year, assessment, &plan, stamp, &audit);
        if let Some(saved) = saved.await? {
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
    answers_upsert(&mut sql, engine, answers_json(rows)?, stamp);
    sql.execute(conn).await?;
    Ok(())
}

/// The rows for [`answers_upsert`], as its one JSON parameter.
fn answers_json(rows: &[(i64, &str, &str, i64)]) -> Result<String> {
    serde_json::to_string(rows).map_err(|e| StoreError::Unsupported(e.to_string()))
}

/// Writes [`insert_answers`]'s statement into `sql`, for a caller that sends it with others.
fn answers_upsert(sql: &mut Sql, engine: Engine, json: String, stamp: Stamp) {
    sql.push("INSERT INTO answers (assessment_id, ref, value, version, updated_at, updated_by) ")
        .unpack_rows(
            engine,
            &[Int, Text, Text, Int],
            vec![Arg::I64(stamp.at), Arg::OptI64(stamp.user_id)],
            json,
        )
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
    let SavePlan { upserts, deletes } = plan;
    for chunk in deletes.chunks(REFS_PER_STATEMENT) {
        let mut sql = Sql::new("DELETE FROM answers WHERE assessment_id = ");
        sql.i64(assessment.id)
            .push(" AND ref IN (")
            .text_list(chunk)
            .push(")");
        sql.execute(&mut tx).await?;
    }
    let mut audit = audit.clone();
    audit.entity_id = assessment.id.to_string();
    audit.summary = serde_json::json!({
        "year": year,
        "changed": upserts.iter().map(|(r, _, _)| *r).collect::<Vec<_>>(),
        "cleared": deletes,
    });
    // The new answers go in the audit entry's text; they touch references the deletes did not.
    let rows: Vec<(i64, &str, &str, i64)> = upserts
        .iter()
        .map(|(r, v, n)| (assessment.id, *r, *v, *n))
        .collect();
    let json = answers_json(&rows)?;
    let upsert = |sql: &mut Sql| answers_upsert(sql, engine, json.clone(), stamp);
    let guarded_bump = |sql: &mut Sql| {
        bump(sql, assessment.id, stamp.at);
        sql.push(" AND revision = ")
            .i64(assessment.revision)
            .push(" AND submitted = 0 RETURNING id");
    };
    let statements: Vec<Then<'_>> = if rows.is_empty() {
        vec![&guarded_bump]
    } else {
        vec![&upsert, &guarded_bump]
    };
    if append_then_returning(&mut tx, &audit, &statements).await? == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    let changed = upserts
        .iter()
        .map(|(r, _, _)| r.to_string())
        .chain(deletes.iter().map(|r| r.to_string()))
        .collect();
    Ok(Some((bumped(assessment, stamp.at), changed)))
}
