//! Spreadsheets for people: the statuses register as an Excel workbook, and cells made safe
//! for any spreadsheet that opens a CSV.

use palisade_domain::assessment::{PublicStatus, year_label};
use palisade_domain::clock::{from_unix, rfc3339};

/// How a cell a spreadsheet would run as a formula starts.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text a spreadsheet would run as a formula (starting with one of [`FORMULA_STARTS`]) gets a
/// leading apostrophe.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The statuses register as an Excel workbook: one sheet, a header row, one row per
/// organisation. Rows are added a batch at a time, in order, and go to a temporary file as they
/// come (the writer's constant-memory mode); the finished workbook is written to another, so
/// memory holds neither the register nor the workbook however long it is.
pub struct StatusesBook {
    book: rust_xlsxwriter::Workbook,
    rows: u32,
}

fn book_error(e: rust_xlsxwriter::XlsxError) -> String {
    format!("workbook: {e}")
}

impl StatusesBook {
    pub fn new(year: i32) -> Result<Self, String> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory();
        sheet
            .set_name(format!("Statuses {}", year_label(year)))
            .map_err(book_error)?;
        for (c, w) in [10.0, 48.0, 24.0, 24.0, 36.0, 22.0].iter().enumerate() {
            sheet.set_column_width(c as u16, *w).map_err(book_error)?;
        }
        let bold = Format::new().set_bold();
        for (c, h) in [
            "Code",
            "Name",
            "Type",
            "Status",
            "Status (label)",
            "Published",
        ]
        .iter()
        .enumerate()
        {
            sheet
                .write_with_format(0, c as u16, *h, &bold)
                .map_err(book_error)?;
        }
        Ok(Self { book, rows: 0 })
    }

    /// The next rows, after those added before.
    pub fn add(&mut self, rows: &[PublicStatus]) -> Result<(), String> {
        let sheet = self.book.worksheet_from_index(0).map_err(book_error)?;
        for p in rows {
            let r = self.rows + 1;
            sheet.write(r, 0, &p.code).map_err(book_error)?;
            sheet.write(r, 1, &p.name).map_err(book_error)?;
            sheet.write(r, 2, p.org_type.label()).map_err(book_error)?;
            sheet.write(r, 3, p.status.as_str()).map_err(book_error)?;
            sheet.write(r, 4, p.status.label()).map_err(book_error)?;
            let published = p
                .published_at
                .map(|t| rfc3339(from_unix(t)))
                .unwrap_or_default();
            sheet.write(r, 5, published).map_err(book_error)?;
            self.rows = r;
        }
        Ok(())
    }

    /// The finished workbook, in an unnamed temporary file (gone once closed), read from its
    /// start.
    pub fn finish(mut self) -> Result<std::fs::File, String> {
        use std::io::Seek;
        let sheet = self.book.worksheet_from_index(0).map_err(book_error)?;
        sheet.set_freeze_panes(1, 0).map_err(book_error)?;
        sheet.autofilter(0, 0, self.rows, 5).map_err(book_error)?;
        let io = |e: std::io::Error| format!("workbook file: {e}");
        let mut file = tempfile::tempfile().map_err(io)?;
        self.book.save_to_writer(&mut file).map_err(book_error)?;
        file.rewind().map_err(io)?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_domain::assessment::Status;
    use palisade_domain::org::OrgType;
    use std::io::Read;

    fn status(code: &str, published_at: Option<i64>) -> PublicStatus {
        PublicStatus {
            code: code.into(),
            name: format!("=Practice {code}"),
            org_type: OrgType::GpPractice,
            status: Status::StandardsMet,
            published_at,
        }
    }

    #[test]
    fn a_workbook_added_to_in_batches_holds_every_row_in_order() {
        let mut book = StatusesBook::new(2026).unwrap();
        book.add(&[status("A1", Some(0)), status("A2", None)])
            .unwrap();
        book.add(&[]).unwrap();
        book.add(&[status("A3", None)]).unwrap();
        let mut zip = zip::ZipArchive::new(book.finish().unwrap()).unwrap();
        let mut sheet = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut sheet)
            .unwrap();
        assert_eq!(sheet.matches("<row ").count(), 4);
        let at = |s: &str| sheet.find(s).unwrap_or_else(|| panic!("{s} in {sheet}"));
        assert!(at("Code") < at(">A1<") && at(">A1<") < at(">A2<") && at(">A2<") < at(">A3<"));
        assert!(sheet.contains("<autoFilter ref=\"A1:F4\"/>"));
        assert!(sheet.contains("ySplit=\"1\""), "the header stays in view");
        assert!(sheet.contains("1970-01-01T00:00:00Z"));
        assert!(
            sheet.contains("=Practice A1"),
            "a cell written as text is never a formula in a workbook"
        );
        let mut book = String::new();
        zip.by_name("xl/workbook.xml")
            .unwrap()
            .read_to_string(&mut book)
            .unwrap();
        assert!(book.contains("name=\"Statuses 2026-27\""), "{book}");
    }
}
