//! Every CSV Palisade writes, through one writer: whoever opens it in a spreadsheet never runs a
//! formula hidden in a name, a region or a title. Numbers stay numbers.

use crate::spreadsheet::{FORMULA_STARTS, spreadsheet_safe};

/// A CSV document being written: a header row, then rows of cells.
pub struct CsvOut {
    w: csv::Writer<Vec<u8>>,
}

impl CsvOut {
    /// A document whose first row is `header`, with room for about `rows` rows.
    pub fn new<S: AsRef<str>>(header: &[S], rows: usize) -> Self {
        let mut me = Self::continued(rows);
        me.row(header);
        me
    }

    /// More rows of a document whose header went before (a download sent a chunk at a time),
    /// with room for about `rows` rows.
    pub fn continued(rows: usize) -> Self {
        Self {
            w: csv::Writer::from_writer(Vec::with_capacity((rows + 1) * 64)),
        }
    }

    /// One row. A cell that is a number is written as it is; any other cell a spreadsheet would
    /// run as a formula gets a leading apostrophe (see [`spreadsheet_safe`]).
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let safe = cells.iter().map(|c| {
            let c = c.as_ref();
            if c.parse::<f64>().is_ok() {
                c.to_string()
            } else {
                spreadsheet_safe(c)
            }
        });
        // Writing to memory cannot fail for I/O, and every record is UTF-8 text.
        self.w
            .write_record(safe)
            .expect("a CSV record written to memory");
    }

    /// The document's bytes (UTF-8).
    pub fn finish(self) -> Vec<u8> {
        self.w
            .into_inner()
            .map_err(|e| e.into_error())
            .expect("a CSV document flushed to memory")
    }

    /// The document as text.
    pub fn finish_text(self) -> String {
        String::from_utf8(self.finish()).expect("CSV records of UTF-8 text")
    }
}

/// A cell written by [`CsvOut`] read back as it was: the apostrophe it put before a formula-like
/// cell is taken off, so a file exported and imported again changes nothing.
pub fn unsafe_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_disarmed_and_numbers_kept() {
        let mut c = CsvOut::new(&["name", "change"], 2);
        c.row(&["=HYPERLINK(\"http://x\")", "-3.5"]);
        c.row(&["@SUM(A1)", "12"]);
        c.row(&["-1+cmd|' /C calc'!A0", "+7"]);
        c.row(&["St Mary's", ""]);
        assert_eq!(
            c.finish_text(),
            "name,change\n\"'=HYPERLINK(\"\"http://x\"\")\",-3.5\n'@SUM(A1),12\n\
             '-1+cmd|' /C calc'!A0,+7\nSt Mary's,\n"
        );
    }

    #[test]
    fn a_disarmed_cell_reads_back_as_written() {
        for cell in ["=1+1", "-x", "@a", "+b", "plain", "'quoted", "'"] {
            let mut c = CsvOut::new(&["v"], 1);
            c.row(&[cell]);
            let text = c.finish_text();
            let written = text.lines().nth(1).unwrap().trim_matches('"');
            assert_eq!(unsafe_cell(written), cell, "{cell}");
        }
    }
}
