//! The file writers behind an export.

use std::io::Write;

use super::ExportError;

/// The encoding of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    /// UTF-8 with a byte-order mark, which Excel needs to read it as UTF-8.
    Utf8,
    /// Windows-31J, for old Excel.
    Cp932,
}

/// A cell that a spreadsheet would read as a formula gets a leading apostrophe, so a lead
/// named "=HYPERLINK(…)" stays text (OWASP's CSV-injection rule).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A destination for rows.
pub(super) trait Sink: Send {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError>;
    /// Finishes the file; returns how many characters were replaced.
    fn finish(self: Box<Self>) -> Result<usize, ExportError>;
}

pub(super) struct CsvSink<'a> {
    out: &'a mut (dyn Write + Send),
    encoding: CsvEncoding,
    replaced: usize,
}

/// One CSV record (RFC 4180: quoted when it holds a comma, quote or line break; CRLF),
/// formulas neutralised.
pub fn csv_line(cells: &[String]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let cell = neutralise(cell);
        if cell.contains([',', '"', '\r', '\n']) {
            line.push('"');
            line.push_str(&cell.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&cell);
        }
    }
    line.push_str("\r\n");
    line
}

impl<'a> CsvSink<'a> {
    pub(super) fn new(
        out: &'a mut (dyn Write + Send),
        encoding: CsvEncoding,
    ) -> Result<Self, ExportError> {
        if encoding == CsvEncoding::Utf8 {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        Ok(CsvSink {
            out,
            encoding,
            replaced: 0,
        })
    }
}

impl Sink for CsvSink<'_> {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        let text = csv_line(cells);
        match self.encoding {
            CsvEncoding::Utf8 => self.out.write_all(text.as_bytes())?,
            CsvEncoding::Cp932 => {
                let mut encoded = Vec::with_capacity(text.len());
                for ch in text.chars() {
                    let mut buf = [0u8; 4];
                    let (b, _, unmappable) =
                        encoding_rs::SHIFT_JIS.encode(ch.encode_utf8(&mut buf));
                    if unmappable {
                        encoded.push(b'?');
                        self.replaced += 1;
                    } else {
                        encoded.extend_from_slice(&b);
                    }
                }
                self.out.write_all(&encoded)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<usize, ExportError> {
        self.out.flush()?;
        Ok(self.replaced)
    }
}

pub(super) struct XlsxSink<'a> {
    out: &'a mut (dyn Write + Send),
    book: rust_xlsxwriter::Workbook,
    row: u32,
    /// Columns whose cells are written as numbers when they read as one ("1,204").
    numeric: Vec<bool>,
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

impl<'a> XlsxSink<'a> {
    /// A workbook of one sheet named `sheet`; cells of the `numeric` columns that read as
    /// numbers become numbers (every other cell is text).
    pub(super) fn new(
        out: &'a mut (dyn Write + Send),
        sheet: &str,
        numeric: Vec<bool>,
    ) -> Result<Self, ExportError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        // Rows go to a temporary file as they are written, not into memory.
        book.add_worksheet_with_constant_memory()
            .map_err(xlsx_err)?
            .set_name(sheet)
            .map_err(xlsx_err)?;
        Ok(XlsxSink {
            out,
            book,
            row: 0,
            numeric,
        })
    }
}

/// A cell as a number, when it is one as people write them ("1,204", "-3", "12.5").
fn as_number(cell: &str) -> Option<f64> {
    let plain = cell.replace(',', "");
    let digits = plain.strip_prefix('-').unwrap_or(&plain);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    plain.parse().ok()
}

impl Sink for XlsxSink<'_> {
    fn row(&mut self, cells: &[String]) -> Result<(), ExportError> {
        let sheet = self.book.worksheet_from_index(0).map_err(xlsx_err)?;
        for (col, cell) in cells.iter().enumerate() {
            let number = (self.row > 0 && self.numeric.get(col) == Some(&true))
                .then(|| as_number(cell))
                .flatten();
            if let Some(n) = number {
                sheet
                    .write_number(self.row, col as u16, n)
                    .map_err(xlsx_err)?;
            } else if !cell.is_empty() {
                // write_string never makes a formula; the apostrophe keeps the file
                // identical in meaning to the CSV when it is re-saved as CSV.
                sheet
                    .write_string(self.row, col as u16, neutralise(cell))
                    .map_err(xlsx_err)?;
            }
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<usize, ExportError> {
        let bytes = self.book.save_to_buffer().map_err(xlsx_err)?;
        self.out.write_all(&bytes)?;
        self.out.flush()?;
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_not() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://evil\")"),
            "'=HYPERLINK(\"http://evil\")"
        );
        assert_eq!(neutralise("+81 3 1234"), "'+81 3 1234");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("山田 太郎"), "山田 太郎");
        assert_eq!(neutralise("03-1234-5678"), "03-1234-5678");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn cp932_csv_replaces_what_it_cannot_encode_and_counts_it() {
        let mut out = Vec::new();
        let mut sink: Box<dyn Sink> =
            Box::new(CsvSink::new(&mut out, CsvEncoding::Cp932).expect("sink"));
        sink.row(&["𠮷野家".to_string(), "株式会社サカタのタネ".to_string()])
            .expect("row");
        let replaced = sink.finish().expect("finish");
        assert_eq!(replaced, 1);
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&out);
        assert!(!bad);
        assert_eq!(text, "?野家,株式会社サカタのタネ\r\n");
    }

    #[test]
    fn utf8_csv_starts_with_a_bom_and_quotes_what_needs_quoting() {
        let mut out = Vec::new();
        let mut sink: Box<dyn Sink> =
            Box::new(CsvSink::new(&mut out, CsvEncoding::Utf8).expect("sink"));
        sink.row(&[
            "a,b".to_string(),
            "line\nbreak".to_string(),
            "=1+1".to_string(),
        ])
        .expect("row");
        sink.finish().expect("finish");
        assert!(out.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(&out[3..], "\"a,b\",\"line\nbreak\",'=1+1\r\n".as_bytes());
    }
}
