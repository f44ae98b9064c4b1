use crate::answer_saves::{self, insert_answers};
use crate::assessment_parts::{self as parts, EVIDENCE_SELECT};
use crate::audit::{append, append_many, append_then};
use crate::conns::Tx;
use crate::db::JsonCol::{Int, Text};
use crate::db::{Arg, Sql, Window, flag, unpack_rows};
use crate::error::corrupt;
use crate::figures::FiguresDelta;
use crate::model::*;
use crate::{AssessmentStore, Engine, Result, SqlStore, StoreError};
use async_trait::async_trait;
use palisade_domain::assessment::Status;
use palisade_domain::audit::AuditDraft;
use palisade_domain::org::Category;
use palisade_domain::page::{Page, PageRequest};
use palisade_domain::policy::{OrgId, Scope};
use sqlx::{Any, AnyConnection, Executor, FromRow};
use std::collections::HashMap;

/// Rows a seeding statement writes, at most nine values each: about 250 parameters a statement
/// (see `IMPORT_BATCH` in orgs.rs: binding costs grow with the square of the parameters).
const SEED_ROWS: usize = 28;

const FRAMEWORK_COLUMNS: &str =
    "f.id, f.key, f.year, f.version, f.kind, f.name, f.deadline, f.content_hash, f.imported_at";

#[derive(FromRow)]
struct FrameworkRow {
    id: i64,
    key: String,
    year: i64,
    version: String,
    kind: String,
    name: String,
    deadline: String,
    content_hash: String,
    imported_at: i64,
}

pub(crate) fn category(n: i64) -> Result<Category> {
    u8::try_from(n)
        .ok()
        .and_then(|c| Category::try_from(c).ok())
        .ok_or_else(|| corrupt("category", &n.to_string()))
}

pub(crate) fn status(s: &str) -> Result<Status> {
    s.parse().map_err(|_| corrupt("status", s))
}

impl FrameworkRow {
    fn into_record(self, categories: Vec<Category>) -> Result<FrameworkRecord> {
        Ok(FrameworkRecord {
            kind: self
                .kind
                .parse()
                .map_err(|_| corrupt("framework kind", &self.kind))?,
            id: self.id,
            key: self.key,
            year: self.year as i32,
            version: self.version,
            name: self.name,
            deadline: self.deadline,
            categories,
            content_hash: self.content_hash,
            imported_at: self.imported_at,
        })
    }
}

pub(crate) const ASSESSMENT_COLUMNS: &str = "id, org_id, year, framework_id, submitted, status, published_at, \
     revision, created_at, updated_at";

#[derive(FromRow)]
pub(crate) struct AssessmentRow {
    id: i64,
    org_id: i64,
    year: i64,
    framework_id: i64,
    submitted: i64,
    status: String,
    published_at: Option<i64>,
    revision: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<AssessmentRow> for AssessmentRecord {
    type Error = StoreError;
    fn try_from(r: AssessmentRow) -> Result<Self> {
        Ok(AssessmentRecord {
            status: status(&r.status)?,
            id: r.id,
            org_id: r.org_id,
            year: r.year as i32,
            framework_id: r.framework_id,
            submitted: r.submitted != 0,
            published_at: r.published_at,
            revision: r.revision,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

async fn categories_of(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<Category>>> {
    let mut out: HashMap<i64, Vec<Category>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut sql =
        Sql::new("SELECT framework_id, category FROM framework_categories WHERE framework_id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.i64(*id);
    }
    sql.push(") ORDER BY framework_id, category");
    for (id, c) in sql.query_as::<(i64, i64)>().fetch_all(conn).await? {
        out.entry(id).or_default().push(category(c)?);
    }
    Ok(out)
}

async fn frameworks_where(conn: &mut AnyConnection, sql: &Sql) -> Result<Vec<FrameworkRecord>> {
    let rows = sql.query_as::<FrameworkRow>().fetch_all(&mut *conn).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut cats = categories_of(conn, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let c = cats.remove(&r.id).unwrap_or_default();
            r.into_record(c)
        })
        .collect()
}

/// An organisation's assessment for a year, if it has one.
async fn assessment_by_key<'e>(
    exec: impl Executor<'e, Database = Any>,
    org_id: OrgId,
    year: i32,
) -> Result<Option<AssessmentRow>> {
    Ok(
        sqlx::query_as::<_, AssessmentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE org_id = $1 AND year = $2"
        )))
        .bind(org_id)
        .bind(i64::from(year))
        .fetch_optional(exec)
        .await?,
    )
}

/// The assessment for `key`, created (open, not published) when it does not exist yet. Refuses
/// a submitted assessment: it is locked until reopened.
///
/// Read first: the assessment nearly always exists, and then this is one statement of the
/// writer's transaction rather than an insert that does nothing and a read. When it is missing
/// it is inserted and returned by the same statement. The caller's transaction comes from
/// `SqlStore::begin`, which serialises writers (the audit head's row lock on PostgreSQL,
/// `BEGIN IMMEDIATE` on SQLite), so no other transaction can make it in between.
async fn open_assessment(
    conn: &mut AnyConnection,
    key: AssessmentKey,
    at: i64,
) -> Result<AssessmentRecord> {
    match assessment_by_key(&mut *conn, key.org_id, key.year).await? {
        Some(row) => unlocked(row),
        None => insert_assessment(conn, key, at).await,
    }
}

/// A new assessment for `key`, open.
pub(crate) async fn insert_assessment(
    conn: &mut AnyConnection,
    key: AssessmentKey,
    at: i64,
) -> Result<AssessmentRecord> {
    sqlx::query_as::<_, AssessmentRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO assessments (org_id, year, framework_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING {ASSESSMENT_COLUMNS}"
    )))
    .bind(key.org_id)
    .bind(i64::from(key.year))
    .bind(key.framework_id)
    .bind(at)
    .fetch_one(conn)
    .await?
    .try_into()
}

/// The assessment, refused if it is submitted (locked until reopened).
pub(crate) fn unlocked(row: AssessmentRow) -> Result<AssessmentRecord> {
    refuse_submitted(row.try_into()?)
}

/// `record`, refused if it is submitted (locked until reopened).
pub(crate) fn refuse_submitted(record: AssessmentRecord) -> Result<AssessmentRecord> {
    if record.submitted {
        return Err(StoreError::conflict(
            "assessment",
            "the assessment has been submitted and is locked; reopen it to make changes",
        ));
    }
    Ok(record)
}

/// Adds a publication to an assessment's history (its current status is set by the caller).
pub(crate) async fn record_publication(
    conn: &mut AnyConnection,
    assessment_id: i64,
    status: Status,
    late: bool,
    stamp: Stamp,
) -> Result<()> {
    let mut sql = Sql::default();
    publication_insert(&mut sql, assessment_id, status, late, stamp);
    sql.execute(conn).await?;
    Ok(())
}

/// The start of an insert of publications, their rows to follow ([`publication_row`]).
const PUBLICATIONS_INSERT: &str =
    "INSERT INTO publications (assessment_id, status, published_at, published_by, late) VALUES ";

/// Writes [`record_publication`]'s statement into `sql`, for a caller that sends it with others.
fn publication_insert(sql: &mut Sql, assessment_id: i64, status: Status, late: bool, stamp: Stamp) {
    sql.push(PUBLICATIONS_INSERT);
    publication_row(sql, assessment_id, status, late, stamp);
}

/// Writes one row of [`PUBLICATIONS_INSERT`] into `sql`.
fn publication_row(sql: &mut Sql, assessment_id: i64, status: Status, late: bool, stamp: Stamp) {
    sql.push("(")
        .i64(assessment_id)
        .push(", ")
        .text(status.as_str())
        .push(", ")
        .i64(stamp.at)
        .push(", ")
        .arg(Arg::OptI64(stamp.user_id))
        .push(", ")
        .i64(flag(late))
        .push(")");
}

/// Appends the change's audit entry and marks the assessment changed (a new revision and
/// `updated_at`) in the audit entry's last round trip. The record is `assessment` as read in this
/// transaction, so its new revision is known without reading it back.
async fn append_and_bump(
    conn: &mut Tx,
    audit: &AuditDraft,
    assessment: AssessmentRecord,
    at: i64,
) -> Result<AssessmentRecord> {
    append_then(
        conn,
        audit,
        &[&|sql: &mut Sql| bump(sql, assessment.id, at)],
    )
    .await?;
    Ok(bumped(assessment, at))
}

/// `assessment` as [`bump`] leaves it.
pub(crate) fn bumped(assessment: AssessmentRecord, at: i64) -> AssessmentRecord {
    AssessmentRecord {
        revision: assessment.revision + 1,
        updated_at: at,
        ..assessment
    }
}

/// Writes the statement marking assessment `id` changed (a new revision and `updated_at`) into
/// `sql`.
pub(crate) fn bump(sql: &mut Sql, id: i64, at: i64) {
    sql.push("UPDATE assessments SET revision = revision + 1, updated_at = ")
        .i64(at)
        .push(" WHERE id = ")
        .i64(id);
}

/// Records an evidence document of an assessment (its object already stored); returns it as a
/// read of it would, its uploader's email included, without a second statement.
async fn insert_evidence(
    conn: &mut AnyConnection,
    assessment_id: i64,
    e: &NewEvidence,
    stamp: Stamp,
) -> Result<EvidenceRecord> {
    Ok(sqlx::query_as(
        "INSERT INTO evidence (assessment_id, ref, filename, content_type, size, sha256, \
         object_key, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING id, ref AS reference, filename, content_type, size, sha256, object_key, \
         uploaded_at, (SELECT u.email FROM users u WHERE u.id = evidence.uploaded_by) AS uploaded_by",
    )
    .bind(assessment_id)
    .bind(e.reference.clone())
    .bind(e.filename.clone())
    .bind(e.content_type.clone())
    .bind(e.size)
    .bind(e.sha256.clone())
    .bind(e.object_key.clone())
    .bind(stamp.at)
    .bind(stamp.user_id)
    .fetch_one(conn)
    .await?)
}

#[async_trait]
impl AssessmentStore for SqlStore {
    async fn import_framework(
        &self,
        new: &NewFramework,
        mut audit: AuditDraft,
    ) -> Result<(FrameworkRecord, bool)> {
        let mut tx = self.begin().await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM frameworks WHERE key = $1 AND year = $2 AND content_hash = $3",
        )
        .bind(new.key.clone())
        .bind(i64::from(new.year))
        .bind(new.content_hash.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => {
                // A year has one deadline: a new version that moved it would leave the
                // assessments started on earlier versions (which keep theirs) on another.
                let held: Option<String> = sqlx::query_scalar(
                    "SELECT deadline FROM frameworks WHERE key = $1 AND year = $2 \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind(new.key.clone())
                .bind(i64::from(new.year))
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(held) = held.filter(|d| *d != new.deadline) {
                    return Err(StoreError::conflict(
                        "deadline",
                        format!(
                            "{} for {} has the deadline {held}; a new version must keep it \
                             (assessments already started keep their version)",
                            new.key, new.year
                        ),
                    ));
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO frameworks (key, year, version, kind, name, deadline, content_hash, \
                     document, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(new.key.clone())
                .bind(i64::from(new.year))
                .bind(new.version.clone())
                .bind(new.kind.as_str())
                .bind(new.name.clone())
                .bind(new.deadline.clone())
                .bind(new.content_hash.clone())
                .bind(new.document.clone())
                .bind(audit.at)
                .fetch_one(&mut *tx)
                .await?;
                for c in &new.categories {
                    sqlx::query(
                        "INSERT INTO framework_categories (framework_id, category) VALUES ($1, $2)",
                    )
                    .bind(id)
                    .bind(i64::from(c.number()))
                    .execute(&mut *tx)
                    .await?;
                }
                // A year's deadline is the earliest of its frameworks': the figures may move.
                crate::figures::next_version(&mut tx).await?;
                audit.entity_id = id.to_string();
                append(&mut tx, &audit).await?;
                (id, true)
            }
        };
        let mut sql = Sql::new(&format!(
            "SELECT {FRAMEWORK_COLUMNS} FROM frameworks f WHERE f.id = "
        ));
        sql.i64(id);
        let record = frameworks_where(&mut tx, &sql)
            .await?
            .pop()
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok((record, created))
    }

    async fn list_frameworks(&self) -> Result<Vec<FrameworkRecord>> {
        let mut conn = self.read.acquire().await?;
        let sql = Sql::new(&format!(
            "SELECT {FRAMEWORK_COLUMNS} FROM frameworks f ORDER BY f.year DESC, f.key, f.id DESC"
        ));
        frameworks_where(&mut conn, &sql).await
    }

    async fn framework_document(&self, id: i64) -> Result<Option<(FrameworkRecord, String)>> {
        let mut conn = self.read.acquire().await?;
        let mut sql = Sql::new(&format!(
            "SELECT {FRAMEWORK_COLUMNS} FROM frameworks f WHERE f.id = "
        ));
        sql.i64(id);
        let Some(record) = frameworks_where(&mut conn, &sql).await?.pop() else {
            return Ok(None);
        };
        let doc: String = sqlx::query_scalar("SELECT document FROM frameworks WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(Some((record, doc)))
    }

    async fn current_framework(
        &self,
        year: i32,
        category: Category,
    ) -> Result<Option<FrameworkRecord>> {
        let mut conn = self.read.acquire().await?;
        let mut sql = Sql::new(&format!(
            "SELECT {FRAMEWORK_COLUMNS} FROM frameworks f WHERE f.id = (SELECT MAX(c.framework_id) \
             FROM framework_categories c JOIN frameworks y ON y.id = c.framework_id WHERE y.year = "
        ));
        sql.i64(i64::from(year))
            .push(" AND c.category = ")
            .i64(i64::from(category.number()))
            .push(")");
        Ok(frameworks_where(&mut conn, &sql).await?.pop())
    }

    async fn get_assessment(&self, org_id: OrgId, year: i32) -> Result<Option<AssessmentRecord>> {
        assessment_by_key(&self.read, org_id, year)
            .await?
            .map(AssessmentRecord::try_from)
            .transpose()
    }

    async fn assessment_parts(&self, assessment_id: i64) -> Result<AssessmentParts> {
        parts::read(&self.read, self.engine, assessment_id).await
    }

    async fn assessment_with_parts(
        &self,
        org_id: OrgId,
        year: i32,
    ) -> Result<Option<(AssessmentRecord, AssessmentParts)>> {
        parts::read_with_row(&self.read, self.engine, org_id, year).await
    }

    async fn evidence_item(&self, assessment_id: i64, id: i64) -> Result<Option<EvidenceRecord>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{EVIDENCE_SELECT} WHERE e.assessment_id = $1 AND e.id = $2 AND e.removed = 0"
        )))
        .bind(assessment_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn add_evidence(
        &self,
        key: AssessmentKey,
        e: &NewEvidence,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<(AssessmentRecord, EvidenceRecord)> {
        let mut tx = self.begin().await?;
        let assessment = open_assessment(&mut tx, key, stamp.at).await?;
        let evidence = insert_evidence(&mut tx, assessment.id, e, stamp).await?;
        audit.entity_id = assessment.id.to_string();
        let record = append_and_bump(&mut tx, &audit, assessment, stamp.at).await?;
        tx.commit().await?;
        Ok((record, evidence))
    }

    async fn remove_evidence(
        &self,
        key: AssessmentKey,
        id: i64,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<AssessmentRecord> {
        let mut tx = self.begin().await?;
        let assessment = open_assessment(&mut tx, key, stamp.at).await?;
        let done = sqlx::query(
            "UPDATE evidence SET removed = 1 WHERE id = $1 AND assessment_id = $2 AND removed = 0",
        )
        .bind(id)
        .bind(assessment.id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let record = append_and_bump(&mut tx, &audit, assessment, stamp.at).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn read_for_save(
        &self,
        org_id: OrgId,
        year: i32,
        refs: &[&str],
    ) -> Result<Option<AnswersRead>> {
        answer_saves::read(&self.read, self.engine, org_id, year, refs).await
    }

    async fn save_answers(
        &self,
        key: AssessmentKey,
        changes: &[AnswerChange],
        read: Option<AnswersRead>,
        stamp: Stamp,
        audit: AuditDraft,
    ) -> Result<(AssessmentRecord, Vec<String>)> {
        answer_saves::save(self, key, changes, read, stamp, audit).await
    }

    async fn seed_assessments(&self, batch: &[SeededAssessment], stamp: Stamp) -> Result<usize> {
        // Each kind of row in multi-row statements for the whole batch: a few dozen
        // statements for a hundred assessments, where one at a time took about fifteen each.
        let mut tx = self.begin().await?;
        let mut ids: HashMap<(OrgId, i64), i64> = HashMap::new();
        for chunk in batch.chunks(SEED_ROWS) {
            let mut sql = Sql::new(
                "INSERT INTO assessments (org_id, year, framework_id, submitted, status, \
                 published_at, revision, created_at, updated_at) VALUES ",
            );
            for (i, a) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" })
                    .i64(a.key.org_id)
                    .push(", ")
                    .i64(i64::from(a.key.year))
                    .push(", ")
                    .i64(a.key.framework_id)
                    .push(", ")
                    .i64(flag(a.publish.is_some()))
                    .push(", ")
                    .text(a.publish.unwrap_or(Status::NotPublished).as_str())
                    .push(", ")
                    .arg(Arg::OptI64(a.publish.map(|_| stamp.at)))
                    .push(", 1, ")
                    .i64(stamp.at)
                    .push(", ")
                    .i64(stamp.at)
                    .push(")");
            }
            // Those already there are left as they are.
            sql.push(" ON CONFLICT (org_id, year) DO NOTHING RETURNING id, org_id, year");
            for (id, org_id, year) in sql
                .query_as::<(i64, i64, i64)>()
                .fetch_all(&mut *tx)
                .await?
            {
                ids.insert((org_id, year), id);
            }
        }
        // Taken out as they are used: an assessment named twice in a batch is written once,
        // from its first entry.
        let written: Vec<(i64, &SeededAssessment)> = batch
            .iter()
            .filter_map(|a| {
                ids.remove(&(a.key.org_id, i64::from(a.key.year)))
                    .map(|id| (id, a))
            })
            .collect();
        let answers: Vec<(i64, &str, &str, i64)> = written
            .iter()
            .flat_map(|(id, a)| {
                a.answers
                    .iter()
                    .map(|(r, v)| (*id, r.as_str(), v.as_str(), 1))
            })
            .collect();
        insert_answers(&mut tx, self.engine, &answers, stamp).await?;
        let documents: Vec<(i64, &NewEvidence)> = written
            .iter()
            .flat_map(|(id, a)| a.documents.iter().map(|e| (*id, e)))
            .collect();
        if !documents.is_empty() {
            let rows: Vec<_> = documents
                .iter()
                .map(|(id, e)| {
                    (
                        id,
                        &e.reference,
                        &e.filename,
                        &e.content_type,
                        e.size,
                        &e.sha256,
                        &e.object_key,
                    )
                })
                .collect();
            let json =
                serde_json::to_string(&rows).map_err(|e| StoreError::Unsupported(e.to_string()))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO evidence (assessment_id, ref, filename, content_type, size, sha256, \
                 object_key, uploaded_at, uploaded_by) {}",
                unpack_rows(
                    self.engine,
                    &[Int, Text, Text, Text, Int, Text, Text],
                    "$1, $2",
                    3
                )
            )))
            .bind(stamp.at)
            .bind(stamp.user_id)
            .bind(json)
            .execute(&mut *tx)
            .await?;
        }
        let published: Vec<(i64, Status)> = written
            .iter()
            .filter_map(|(id, a)| a.publish.map(|status| (*id, status)))
            .collect();
        for chunk in published.chunks(SEED_ROWS) {
            let mut sql = Sql::new(PUBLICATIONS_INSERT);
            for (i, (id, status)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                publication_row(&mut sql, *id, *status, false, stamp);
            }
            sql.execute(&mut tx).await?;
        }
        let drafts: Vec<AuditDraft> = written
            .iter()
            .flat_map(|(id, a)| {
                a.audit.iter().cloned().map(move |mut d| {
                    d.entity_id = id.to_string();
                    d
                })
            })
            .collect();
        let counted: Vec<i64> = published.iter().map(|(id, _)| *id).collect();
        let mut figures = FiguresDelta::default();
        figures.assessments(&mut tx, &counted, 1).await?;
        figures.apply(&mut tx).await?;
        append_many(&mut tx, &drafts).await?;
        tx.commit().await?;
        Ok(written.len())
    }

    async fn set_certificates(
        &self,
        key: AssessmentKey,
        certificates: &[NewCertificate],
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<AssessmentRecord> {
        let mut tx = self.begin().await?;
        let assessment = open_assessment(&mut tx, key, stamp.at).await?;
        sqlx::query("DELETE FROM certificates WHERE assessment_id = $1")
            .bind(assessment.id)
            .execute(&mut *tx)
            .await?;
        for c in certificates {
            sqlx::query(
                "INSERT INTO certificates (assessment_id, kind, reference, expires_on, recorded_at, \
                 recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(assessment.id)
            .bind(c.kind.clone())
            .bind(c.reference.clone())
            .bind(c.expires_on.clone())
            .bind(stamp.at)
            .bind(stamp.user_id)
            .execute(&mut *tx)
            .await?;
        }
        audit.entity_id = assessment.id.to_string();
        let record = append_and_bump(&mut tx, &audit, assessment, stamp.at).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn publish(
        &self,
        key: AssessmentKey,
        expected_revision: i64,
        status: Status,
        late: bool,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<AssessmentRecord> {
        let mut tx = self.begin().await?;
        let assessment = open_assessment(&mut tx, key, stamp.at).await?;
        if assessment.revision != expected_revision {
            return Err(StoreError::conflict(
                "assessment",
                "the assessment changed while it was being submitted; check it and submit again",
            ));
        }
        let mut figures = FiguresDelta::default();
        figures.assessments(&mut tx, &[assessment.id], -1).await?;
        // The row as it is now comes back from its update; nothing later in this transaction
        // changes it.
        let record: AssessmentRecord =
            sqlx::query_as::<_, AssessmentRow>(sqlx::AssertSqlSafe(format!(
                "UPDATE assessments SET submitted = 1, status = $1, published_at = $2, \
                 late = CASE WHEN published_at IS NULL THEN $3 ELSE late END, \
                 revision = revision + 1, updated_at = $2 WHERE id = $4 \
                 RETURNING {ASSESSMENT_COLUMNS}"
            )))
            .bind(status.as_str())
            .bind(stamp.at)
            .bind(flag(late))
            .bind(assessment.id)
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        figures.assessments(&mut tx, &[assessment.id], 1).await?;
        figures.apply(&mut tx).await?;
        audit.entity_id = assessment.id.to_string();
        append_then(
            &mut tx,
            &audit,
            &[&|sql: &mut Sql| {
                publication_insert(sql, assessment.id, status, late, stamp);
            }],
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn reopen(
        &self,
        assessment_id: i64,
        stamp: Stamp,
        mut audit: AuditDraft,
    ) -> Result<AssessmentRecord> {
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, AssessmentRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE assessments SET submitted = 0, revision = revision + 1, updated_at = $1 \
             WHERE id = $2 AND submitted = 1 RETURNING {ASSESSMENT_COLUMNS}"
        )))
        .bind(stamp.at)
        .bind(assessment_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::conflict(
                "assessment",
                "the assessment is not submitted",
            ));
        };
        let record = AssessmentRecord::try_from(row)?;
        audit.entity_id = assessment_id.to_string();
        append(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn status_counts(&self, year: i32) -> Result<Vec<StatusCount>> {
        let mut conn = self.read.acquire().await?;
        crate::figures::status_counts(crate::figures::status_rows(&mut conn, year).await?)
    }

    async fn figures_version(&self) -> Result<i64> {
        let mut conn = self.read.acquire().await?;
        crate::figures::version(&mut conn).await
    }

    async fn list_statuses(
        &self,
        scope: &Scope,
        year: i32,
        filter: &StatusFilter,
        page: Option<PageRequest>,
    ) -> Result<Page<PublicStatus>> {
        let build = |w: Window| statuses_sql(self.engine, scope, year, filter, w);
        let total: i64 = build(Window::Count)
            .query_scalar()
            .fetch_one(&self.read)
            .await?;
        let items = fetch_statuses(&build(Window::Page(page)), &self.read).await?;
        let total = total.max(0) as u64;
        Ok(Page {
            items,
            total,
            page: page.map_or(1, |p| p.page),
            per_page: page.map_or(u32::try_from(total).unwrap_or(u32::MAX).max(1), |p| {
                p.per_page
            }),
        })
    }

    async fn statuses_after(
        &self,
        scope: &Scope,
        year: i32,
        filter: &StatusFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PublicStatus>> {
        let sql = statuses_sql(
            self.engine,
            scope,
            year,
            filter,
            Window::After(after, limit),
        );
        fetch_statuses(&sql, &self.read).await
    }
}

/// Active organisations in `scope` that pass `filter`, with their status for `year`, by code.
pub(crate) fn statuses_sql(
    engine: Engine,
    scope: &Scope,
    year: i32,
    filter: &StatusFilter,
    w: Window,
) -> Sql {
    let mut sql = Sql::default();
    let scoped = sql.scope_cte(scope);
    sql.push(if w.counts() {
        "SELECT COUNT(*) "
    } else {
        "SELECT o.code, o.name, o.org_type, COALESCE(a.status, 'not_published') AS st, a.published_at "
    });
    // An organisation has at most one assessment a year, so the join changes no count:
    // a count leaves it out unless the status is filtered on.
    if w.counts() && filter.status.is_none() {
        sql.push("FROM organisations o WHERE o.active = 1");
    } else {
        sql.push("FROM organisations o LEFT JOIN assessments a ON a.org_id = o.id AND a.year = ");
        sql.i64(i64::from(year)).push(" WHERE o.active = 1");
    }
    if scoped {
        sql.push(" AND o.id IN (SELECT id FROM visible)");
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
        sql.org_code_or_name(engine, q);
    }
    if let Some(t) = filter.org_type {
        sql.push(" AND o.org_type = ").text(t.as_str());
    }
    if let Some(c) = filter.category {
        sql.push(" AND o.category = ").i64(i64::from(c.number()));
    }
    if let Some(r) = &filter.region {
        sql.push(" AND o.region = ").text(r);
    }
    if let Some(s) = filter.status {
        sql.push(" AND COALESCE(a.status, 'not_published') = ")
            .text(s.as_str());
    }
    w.finish(&mut sql, "o.code");
    sql
}

async fn fetch_statuses(sql: &Sql, pool: &crate::conns::Conns) -> Result<Vec<PublicStatus>> {
    sql.query_as::<(String, String, String, String, Option<i64>)>()
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(code, name, t, s, published_at)| {
            Ok(PublicStatus {
                code,
                name,
                org_type: t.parse().map_err(|_| corrupt("organisation type", &t))?,
                status: status(&s)?,
                published_at,
            })
        })
        .collect()
}
