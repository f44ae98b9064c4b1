//! What is recorded under one assessment besides its row: its answers, certificates, evidence
//! documents and publications, read together for every view of it.

use crate::assessments::status;
use crate::model::{
    AnswerRecord, AssessmentParts, CertificateRecord, EvidenceRecord, PublicationRecord,
};
use crate::{Engine, Result};
use sqlx::{Any, AnyPool, Executor};

/// The four parts of assessment `id`.
pub(crate) async fn read(pool: &AnyPool, engine: Engine, id: i64) -> Result<AssessmentParts> {
    let (answers, certificates, evidence, publications) = match engine {
        // PostgreSQL answers the four at once, on four connections.
        Engine::Postgres => tokio::try_join!(
            answers_on(pool, id),
            certificates_on(pool, id),
            evidence_on(pool, id),
            publications_on(pool, id),
        )?,
        // On SQLite each connection is a thread of this process, and taking one from the
        // pool and giving it back are round trips to that thread; under load those hand-offs
        // cost more than reading a few rows, so the four share one connection.
        Engine::Sqlite => {
            let mut conn = pool.acquire().await?;
            (
                answers_on(&mut *conn, id).await?,
                certificates_on(&mut *conn, id).await?,
                evidence_on(&mut *conn, id).await?,
                publications_on(&mut *conn, id).await?,
            )
        }
    };
    Ok(AssessmentParts {
        answers,
        certificates,
        evidence,
        publications,
    })
}

pub(crate) const EVIDENCE_SELECT: &str = "SELECT e.id, e.ref AS reference, e.filename, e.content_type, \
     e.size, e.sha256, e.object_key, e.uploaded_at, u.email AS uploaded_by FROM evidence e \
     LEFT JOIN users u ON u.id = e.uploaded_by";

/// An assessment's answers, by reference.
async fn answers_on<'e>(
    e: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Vec<AnswerRecord>> {
    Ok(sqlx::query_as(
        "SELECT a.ref AS reference, a.value, a.version, a.updated_at, u.email AS updated_by \
         FROM answers a LEFT JOIN users u ON u.id = a.updated_by \
         WHERE a.assessment_id = $1 ORDER BY a.ref",
    )
    .bind(id)
    .fetch_all(e)
    .await?)
}

async fn certificates_on<'e>(
    e: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Vec<CertificateRecord>> {
    Ok(sqlx::query_as(
        "SELECT kind, reference, expires_on, recorded_at FROM certificates \
         WHERE assessment_id = $1 ORDER BY kind, expires_on, id",
    )
    .bind(id)
    .fetch_all(e)
    .await?)
}

/// An assessment's documents, not those removed.
async fn evidence_on<'e>(
    e: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Vec<EvidenceRecord>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{EVIDENCE_SELECT} WHERE e.assessment_id = $1 AND e.removed = 0 ORDER BY e.ref, e.id"
    )))
    .bind(id)
    .fetch_all(e)
    .await?)
}

/// An assessment's publications, newest first.
async fn publications_on<'e>(
    e: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Vec<PublicationRecord>> {
    sqlx::query_as::<_, (String, i64, Option<String>, i64)>(
        "SELECT p.status, p.published_at, u.email, p.late FROM publications p \
         LEFT JOIN users u ON u.id = p.published_by WHERE p.assessment_id = $1 ORDER BY p.id DESC",
    )
    .bind(id)
    .fetch_all(e)
    .await?
    .into_iter()
    .map(|(s, published_at, published_by, late)| {
        Ok(PublicationRecord {
            status: status(&s)?,
            published_at,
            published_by,
            late: late != 0,
        })
    })
    .collect()
}
