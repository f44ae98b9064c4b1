//! Exports for other tools: one assessment as OSCAL assessment results (JSON, written by
//! `palisade_formats::oscal`), the statuses register as an Excel workbook, and the long CSV
//! downloads, sent as they are read.

use crate::assessments::AssessmentView;
use crate::{Actor, App, AppError, Result};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryFutureExt, TryStreamExt};
use palisade_formats::csv_out::CsvOut;
use palisade_formats::oscal::{self, EvidenceDocument};
use palisade_formats::spreadsheet::StatusesBook;
use serde_json::Value;
use std::future::Future;

/// A download sent as it is read: its bytes a chunk at a time, or the error that cut it short.
pub type Download = BoxStream<'static, Result<Bytes>>;

/// A whole download in memory, for a caller that writes it out at once (a command's file).
pub async fn collect(download: Download) -> Result<Vec<u8>> {
    download
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
}

/// Work on a workbook's files, on a thread that may wait for the disk.
async fn on_disk<T: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<T, String> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("workbook: {e}")))?
        .map_err(AppError::Internal)
}

/// How many rows a long export reads a statement.
const EXPORT_CHUNK: i64 = 2_000;

/// The rows of a long list, a chunk at a time.
pub(crate) type Chunks<T> = BoxStream<'static, Result<Vec<T>>>;

/// Every row `next` reads, a chunk at a time: `next` is given the key of the last row read (none
/// at first) and how many rows to read after it, in key order; a shorter chunk is the last. The first chunk is read before this returns, so a failing store refuses the download
/// with an error rather than breaking it once sent. Memory holds one chunk, not the whole list,
/// and no statement outlives its chunk; a row changed while the list is read shows as it was
/// when its chunk was read.
pub(crate) async fn in_chunks<T, E, F, Fut>(mut next: F, key: fn(&T) -> &str) -> Result<Chunks<T>>
where
    T: Send + 'static,
    E: Into<AppError>,
    F: FnMut(Option<String>, i64) -> Fut + Send + 'static,
    Fut: Future<Output = std::result::Result<Vec<T>, E>> + Send,
{
    let mut next = move |after: Option<String>, limit: i64| next(after, limit).map_err(Into::into);
    // The key to read on from, when `rows` filled a chunk.
    let after = move |rows: &[T]| {
        let full = i64::try_from(rows.len()).is_ok_and(|n| n == EXPORT_CHUNK);
        rows.last().filter(|_| full).map(|r| key(r).to_string())
    };
    let first = next(None, EXPORT_CHUNK).await?;
    let start = after(&first).map(|from| (next, from));
    let rest = futures_util::stream::unfold(start, move |step| async move {
        let (mut next, from) = step?;
        match next(Some(from), EXPORT_CHUNK).await {
            Err(e) => Some((Err(e), None)),
            Ok(rows) => {
                let more = after(&rows).map(|from| (next, from));
                Some((Ok(rows), more))
            }
        }
    });
    Ok(futures_util::stream::iter([Ok(first)]).chain(rest).boxed())
}

/// A CSV of `header` and a row of `cells` for each row of `chunks`, sent a chunk at a time.
pub(crate) fn csv_in_chunks<T, C>(
    header: &'static [&'static str],
    chunks: Chunks<T>,
    mut cells: C,
) -> Download
where
    T: Send + 'static,
    C: FnMut(&T) -> Vec<String> + Send + 'static,
{
    let mut first = true;
    chunks
        .map_ok(move |rows| {
            let mut w = if std::mem::take(&mut first) {
                CsvOut::new(header, rows.len())
            } else {
                CsvOut::continued(rows.len())
            };
            for r in &rows {
                w.row(&cells(r));
            }
            Bytes::from(w.finish())
        })
        .boxed()
}

/// One organisation's assessment as an OSCAL `assessment-results` document: see
/// [`oscal::assessment_results`]. Before the first answer is saved it is revision 0, made `now`.
pub fn oscal_assessment_results(v: &AssessmentView, now: i64) -> Value {
    let org = &v.org.org;
    oscal::assessment_results(&oscal::Assessment {
        org_code: &org.code,
        org_name: &org.name,
        org_type: org.org_type,
        year: v.year,
        framework_key: &v.framework.key,
        framework_name: &v.framework.name,
        framework_version: &v.framework.version,
        tree: &v.tree,
        revision: v.record.as_ref().map_or(0, |r| r.revision),
        created_at: v.record.as_ref().map_or(now, |r| r.created_at),
        updated_at: v.record.as_ref().map_or(now, |r| r.updated_at),
        status: v.status(),
        published_at: v.published_at(),
        answers: v
            .answers
            .iter()
            .map(|(reference, a)| (reference.as_str(), a.value.as_str()))
            .collect(),
        evidence: v
            .evidence
            .iter()
            .map(|e| EvidenceDocument {
                id: e.id,
                reference: &e.reference,
                filename: &e.filename,
                content_type: &e.content_type,
                size: e.size,
                sha256: &e.sha256,
                uploaded_at: e.uploaded_at,
            })
            .collect(),
        evaluation: &v.evaluation,
        facts: &v.facts,
        today: v.today,
    })
}

impl App {
    /// One organisation's assessment as OSCAL assessment results, for anyone who may read it.
    pub async fn assessment_oscal(&self, actor: &Actor, code: &str, year: i32) -> Result<Value> {
        let v = self.assessment(actor, code, year).await?;
        Ok(oscal_assessment_results(&v, self.now()))
    }

    /// The public register as a workbook: the same rows as the CSV, read a chunk at a time into
    /// a workbook kept on disk (see [`StatusesBook`]) and sent from its file.
    pub async fn public_statuses_xlsx(&self, year: i32, q: Option<String>) -> Result<Download> {
        let mut chunks = self.public_status_chunks(year, q).await?;
        // The workbook writes to its files as rows come: off the request threads.
        let mut book = on_disk(move || StatusesBook::new(year)).await?;
        while let Some(rows) = chunks.try_next().await? {
            book = on_disk(move || book.add(&rows).map(|()| book)).await?;
        }
        let file = on_disk(move || book.finish()).await?;
        let file = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
        Ok(file
            .map_err(|e| AppError::Internal(format!("download: {e}")))
            .boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes `K0000`, `K0001`, ... read as a store would: after a key, up to a chunk.
    async fn codes(total: usize, fail_after: Option<usize>) -> Result<Chunks<String>> {
        let all: Vec<String> = (0..total).map(|i| format!("K{i:04}")).collect();
        let mut calls = 0;
        in_chunks(
            move |after: Option<String>, limit: i64| {
                calls += 1;
                let rows: Vec<String> = all
                    .iter()
                    .filter(|c| after.as_ref().is_none_or(|a| *c > a))
                    .take(limit as usize)
                    .cloned()
                    .collect();
                let fail = fail_after.is_some_and(|n| calls > n);
                async move {
                    if fail {
                        Err(AppError::Internal("the store went away".into()))
                    } else {
                        Ok(rows)
                    }
                }
            },
            |c: &String| c,
        )
        .await
    }

    async fn text_of(chunks: Chunks<String>) -> Result<String> {
        let csv = csv_in_chunks(&["code"], chunks, |c| vec![c.clone()]);
        Ok(String::from_utf8(collect(csv).await?).unwrap())
    }

    #[tokio::test(flavor = "current_thread")]
    async fn every_row_comes_once_in_order_across_the_chunks() {
        let chunk = EXPORT_CHUNK as usize;
        for total in [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 2 * chunk + 7] {
            let text = text_of(codes(total, None).await.unwrap()).await.unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], "code", "{total}: the header once, first");
            let expected: Vec<String> = (0..total).map(|i| format!("K{i:04}")).collect();
            assert_eq!(lines[1..], expected, "{total}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_error_part_way_ends_the_download_with_it() {
        let chunk = EXPORT_CHUNK as usize;
        assert!(
            codes(3 * chunk, Some(0)).await.is_err(),
            "a first read that fails refuses the download"
        );
        let mut chunks = codes(3 * chunk, Some(1)).await.unwrap();
        assert_eq!(chunks.try_next().await.unwrap().unwrap().len(), chunk);
        assert!(chunks.try_next().await.is_err());
        assert!(chunks.next().await.is_none(), "nothing after the error");
        assert!(
            text_of(codes(3 * chunk, Some(2)).await.unwrap())
                .await
                .is_err()
        );
    }
}
