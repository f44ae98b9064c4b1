//! What is recorded under one assessment besides its row: its answers, certificates, evidence
//! documents and publications, read together for every view of it.

use crate::assessments::{ASSESSMENT_COLUMNS, AssessmentRow, status};
use crate::conns::Conns;
use crate::db::{json_rows, parse_rows};
use crate::model::{
    AnswerRecord, AssessmentParts, AssessmentRecord, CertificateRecord, EvidenceRecord,
    PublicationRecord,
};
use crate::{Engine, Result};
use palisade_domain::policy::OrgId;
use sqlx::FromRow;
use std::sync::LazyLock;

pub(crate) const EVIDENCE_SELECT: &str = "SELECT e.id, e.ref AS reference, e.filename, e.content_type, \
     e.size, e.sha256, e.object_key, e.uploaded_at, u.email AS uploaded_by FROM evidence e \
     LEFT JOIN users u ON u.id = e.uploaded_by";

/// The four parts of the assessment whose id is `id` (a parameter, or a column of the
/// statement's `FROM`), one JSON list a column, as a select list.
fn columns(engine: Engine, id: &str) -> String {
    let answers = json_rows(
        engine,
        "a.ref, a.value, a.version, a.updated_at, u.email",
        &format!(
            "FROM answers a LEFT JOIN users u ON u.id = a.updated_by WHERE a.assessment_id = {id}"
        ),
        "a.ref",
    );
    let certificates = json_rows(
        engine,
        "c.kind, c.reference, c.expires_on, c.recorded_at",
        &format!("FROM certificates c WHERE c.assessment_id = {id}"),
        "c.kind, c.expires_on, c.id",
    );
    // Documents removed are kept for the record but are no longer part of the assessment.
    let evidence = json_rows(
        engine,
        "e.id, e.ref, e.filename, e.content_type, e.size, e.sha256, e.object_key, \
         e.uploaded_at, u.email",
        &format!(
            "FROM evidence e LEFT JOIN users u ON u.id = e.uploaded_by \
             WHERE e.assessment_id = {id} AND e.removed = 0"
        ),
        "e.ref, e.id",
    );
    let publications = json_rows(
        engine,
        "p.status, p.published_at, u.email, p.late",
        &format!(
            "FROM publications p LEFT JOIN users u ON u.id = p.published_by \
             WHERE p.assessment_id = {id}"
        ),
        "p.id DESC",
    );
    format!(
        "{answers} AS answers, {certificates} AS certificates, {evidence} AS evidence, {publications} AS publications"
    )
}

/// The statement reading the four parts of assessment `$1`.
fn statement(engine: Engine) -> String {
    format!("SELECT {}", columns(engine, "$1"))
}

/// The statement reading the assessment of organisation `$1` in year `$2` with its parts.
fn with_row(engine: Engine) -> String {
    format!(
        "SELECT {ASSESSMENT_COLUMNS}, {} FROM assessments WHERE org_id = $1 AND year = $2",
        columns(engine, "assessments.id")
    )
}

static ON_SQLITE: LazyLock<String> = LazyLock::new(|| statement(Engine::Sqlite));
static ON_POSTGRES: LazyLock<String> = LazyLock::new(|| statement(Engine::Postgres));
static WITH_ROW_ON_SQLITE: LazyLock<String> = LazyLock::new(|| with_row(Engine::Sqlite));
static WITH_ROW_ON_POSTGRES: LazyLock<String> = LazyLock::new(|| with_row(Engine::Postgres));

/// The four parts as read, each a JSON list.
#[derive(FromRow)]
struct PartsRow {
    answers: String,
    certificates: String,
    evidence: String,
    publications: String,
}

type AnswerRow = (String, String, i64, i64, Option<String>);
type CertificateRow = (String, String, String, i64);
type EvidenceRow = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    Option<String>,
);
type PublicationRow = (String, i64, Option<String>, i64);

/// The four parts of assessment `id`, in one statement: answers by reference, certificates by
/// kind and expiry, documents by reference, publications newest first. Every view of an
/// assessment (each page, each API read, the answer to every change) starts here, and on
/// SQLite each statement is a round trip to a connection's thread that costs more than reading
/// a few rows; on PostgreSQL one statement is one network round trip.
pub(crate) async fn read(pool: &Conns, engine: Engine, id: i64) -> Result<AssessmentParts> {
    let sql: &str = match engine {
        Engine::Sqlite => &ON_SQLITE,
        Engine::Postgres => &ON_POSTGRES,
    };
    let row: PartsRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(pool)
        .await?;
    parse(row)
}

/// The assessment of `org_id` in `year`, if there is one, with its parts, in one statement:
/// what a view of an assessment reads ([`read`] for one whose row the caller has).
pub(crate) async fn read_with_row(
    pool: &Conns,
    engine: Engine,
    org_id: OrgId,
    year: i32,
) -> Result<Option<(AssessmentRecord, AssessmentParts)>> {
    #[derive(FromRow)]
    struct Row {
        #[sqlx(flatten)]
        assessment: AssessmentRow,
        #[sqlx(flatten)]
        parts: PartsRow,
    }
    let sql: &str = match engine {
        Engine::Sqlite => &WITH_ROW_ON_SQLITE,
        Engine::Postgres => &WITH_ROW_ON_POSTGRES,
    };
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(org_id)
        .bind(i64::from(year))
        .fetch_optional(pool)
        .await?;
    row.map(|row| Ok((row.assessment.try_into()?, parse(row.parts)?)))
        .transpose()
}

/// The parts from their JSON lists.
fn parse(row: PartsRow) -> Result<AssessmentParts> {
    let PartsRow {
        answers,
        certificates,
        evidence,
        publications,
    } = row;
    let answers = parse_rows::<AnswerRow>("answers", &answers)?
        .into_iter()
        .map(
            |(reference, value, version, updated_at, updated_by)| AnswerRecord {
                reference,
                value,
                version,
                updated_at,
                updated_by,
            },
        )
        .collect();
    let certificates = parse_rows::<CertificateRow>("certificates", &certificates)?
        .into_iter()
        .map(
            |(kind, reference, expires_on, recorded_at)| CertificateRecord {
                kind,
                reference,
                expires_on,
                recorded_at,
            },
        )
        .collect();
    let evidence = parse_rows::<EvidenceRow>("evidence", &evidence)?
        .into_iter()
        .map(
            |(id, reference, filename, content_type, size, sha256, object_key, at, by)| {
                EvidenceRecord {
                    id,
                    reference,
                    filename,
                    content_type,
                    size,
                    sha256,
                    object_key,
                    uploaded_at: at,
                    uploaded_by: by,
                }
            },
        )
        .collect();
    let publications = parse_rows::<PublicationRow>("publications", &publications)?
        .into_iter()
        .map(|(s, published_at, published_by, late)| {
            Ok(PublicationRecord {
                status: status(&s)?,
                published_at,
                published_by,
                late: late != 0,
            })
        })
        .collect::<Result<_>>()?;
    Ok(AssessmentParts {
        answers,
        certificates,
        evidence,
        publications,
    })
}
