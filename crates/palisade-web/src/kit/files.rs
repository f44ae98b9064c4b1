//! Files in and out: reading a multipart upload (text fields and one file) and sending a file
//! for the browser to save.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use palisade_app::AppError;
use std::collections::HashMap;

/// A multipart form read whole: its text fields and its `file` field (name and bytes).
#[derive(Default)]
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<(String, bytes::Bytes)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Reads every field of `form`. `too_large` is the message when the body passes its limit.
pub async fn read_upload(mut form: Multipart, too_large: &str) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    let refuse = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::invalid("file", too_large)
        } else {
            AppError::invalid("file", "the upload was cut short or malformed; try again")
        }
    };
    while let Some(field) = form.next_field().await.map_err(refuse)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_string();
            up.file = Some((filename, field.bytes().await.map_err(refuse)?));
        } else if up.fields.len() < 20 {
            up.fields.insert(name, field.text().await.map_err(refuse)?);
        }
    }
    Ok(up)
}

/// A file for the browser to save as `filename` (any characters: the header carries an ASCII
/// fallback and the exact name, percent-encoded).
pub fn download(body: impl Into<axum::body::Body>, content_type: &str, filename: &str) -> Response {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact: String = url::form_urlencoded::byte_serialize(filename.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body.into(),
    )
        .into_response()
}

/// A CSV file for the browser to save as `filename`.
pub(crate) fn csv_download(
    body: impl Into<axum::body::Body>,
    filename: &str,
) -> axum::response::Response {
    download(body, "text/csv; charset=utf-8", filename)
}

/// A file sent as it is read. An error part-way is logged and ends the transfer unfinished, so
/// the client sees a broken download, never a short file that looks whole.
pub(crate) fn streamed_download(
    file: palisade_app::exports::Download,
    content_type: &str,
    filename: &str,
) -> axum::response::Response {
    use futures_util::TryStreamExt;
    let body = axum::body::Body::from_stream(
        file.inspect_err(|e| tracing::error!(error = %e, "a download stopped part-way")),
    );
    download(body, content_type, filename)
}

/// A CSV file sent as it is read (see [`streamed_download`]).
pub(crate) fn csv_stream(
    file: palisade_app::exports::Download,
    filename: &str,
) -> axum::response::Response {
    streamed_download(file, "text/csv; charset=utf-8", filename)
}

#[cfg(test)]
mod tests {
    #[test]
    fn download_names_are_safe_in_the_header() {
        let r = super::download("x", "application/pdf", "Plan \"final\"; é.pdf");
        let d = r.headers()[axum::http::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            d,
            "attachment; filename=\"Plan__final____.pdf\"; filename*=UTF-8''Plan%20%22final%22%3B%20%C3%A9.pdf"
        );
    }
}
