//! Reading a CSV file someone uploaded: a byte-order mark allowed, the header checked against
//! the accepted ones, blank lines skipped, fields trimmed, and every record given the line number
//! where its text begins, so errors name the line a person sees in their editor.

use palisade_domain::FieldErrors;

/// Calls `each(line, header, record, errs)` for every non-blank record of the right width, where
/// `header` is the index in `headers` of the header the file has. A header that matches none
/// (compared case-insensitively), unreadable CSV and records of the wrong width are reported
/// in `errs`; returns false when the header was refused and nothing was read.
pub fn read_records(
    data: &[u8],
    headers: &[&[&str]],
    errs: &mut FieldErrors,
    mut each: impl FnMut(usize, usize, &csv::StringRecord, &mut FieldErrors),
) -> bool {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);
    let found: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_ascii_lowercase).collect(),
        Err(e) => {
            errs.push("line 1", format!("cannot read the header: {e}"));
            return false;
        }
    };
    let Some(which) = headers
        .iter()
        .position(|h| found.iter().map(String::as_str).eq(h.iter().copied()))
    else {
        let accepted: Vec<String> = headers.iter().map(|h| h.join(",")).collect();
        errs.push(
            "line 1",
            format!("the header must be exactly: {}", accepted.join(" or ")),
        );
        return false;
    };
    let width = headers[which].len();
    // Line numbers come from byte offsets: the reader skips blank lines and its own line count
    // does not always say where a record's text begins.
    let newlines: Vec<usize> = data
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |pos: Option<&csv::Position>, fallback: usize| -> usize {
        let Some(mut byte) = pos.map(|p| p.byte() as usize) else {
            return fallback;
        };
        while byte < data.len() && matches!(data[byte], b'\n' | b'\r') {
            byte += 1;
        }
        newlines.partition_point(|&nl| nl < byte) + 1
    };
    let mut rec = csv::StringRecord::new();
    let mut i = 0;
    loop {
        i += 1;
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = line_at(e.position(), i + 1);
                errs.push(format!("line {line}"), format!("is not valid CSV: {e}"));
                // A broken record (bad UTF-8, say) does not stop the reader; an I/O error would.
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = line_at(rec.position(), i + 1);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if rec.len() != width {
            errs.push(
                format!("line {line}"),
                format!("has {} fields; expected {width}", rec.len()),
            );
            continue;
        }
        each(line, which, &rec, errs);
    }
    true
}
