//! A file read as a plain table of text: the header row and every data row, for analyses
//! that look at all columns (the AI-score backtest) instead of mapping them to lead
//! fields.
//!
//! The same readers as the importer: CSV/TSV/semicolon CSV in any encoding [`decode`]
//! recognises (BOM → UTF-8 → CP932/EUC-JP by detection, or a forced label), and
//! spreadsheets (.xlsx and what calamine also reads) recognised by their content.

use std::path::Path;

use crate::csv_reader::{detect_delimiter, read_records};
use crate::encoding::decode;
use crate::{IngestError, xlsx};

/// A table read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct TableFile {
    /// Column names from the first non-blank row; blank names become `Column N` and
    /// repeated names get ` (2)`, ` (3)`… so that every column can be named.
    pub headers: Vec<String>,
    /// Data rows, each exactly as wide as the header, cells trimmed; blank rows left out.
    pub rows: Vec<Vec<String>>,
    /// The CSV delimiter (`,`, tab or `;`); `None` for a spreadsheet.
    pub delimiter: Option<u8>,
    /// The detected or forced text encoding; `None` for a spreadsheet.
    pub encoding: Option<String>,
    /// Cells beyond the header's width that held a value (they are not part of any column).
    pub cells_outside_header: usize,
}

/// Read `bytes` (named `file_name`) as a table: the header names and the data rows.
///
/// `sheet` picks a workbook sheet (default: the first); `encoding` forces a text encoding
/// (`utf-8`, `cp932`/`shift_jis`, `euc-jp`…). See [`read_table_file`].
pub fn read_table(
    bytes: &[u8],
    file_name: &str,
    sheet: Option<&str>,
    encoding: Option<&str>,
) -> Result<(Vec<String>, Vec<Vec<String>>), IngestError> {
    read_table_file(bytes, file_name, sheet, encoding).map(|t| (t.headers, t.rows))
}

/// Read `bytes` as a table, keeping how the file was read (delimiter, encoding).
///
/// The kind is decided by content: a zip (`PK\3\4`) or OLE header is a spreadsheet,
/// anything else is delimited text; `file_name` is only used in messages. Errors:
/// [`IngestError::Empty`] for a file without a non-blank row, [`IngestError::HeaderOnly`]
/// when no data row follows the header, and the decoding and CSV errors of the importer.
pub fn read_table_file(
    bytes: &[u8],
    file_name: &str,
    sheet: Option<&str>,
    encoding: Option<&str>,
) -> Result<TableFile, IngestError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty);
    }
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&OLE) {
        let loaded = xlsx::load(bytes, sheet)?;
        let records: Vec<Vec<String>> = loaded
            .range
            .rows()
            .map(|r| r.iter().map(xlsx::cell_text).collect())
            .collect();
        return assemble(records, None, None);
    }
    let decoded = decode(bytes, encoding)?;
    let text = decoded
        .text
        .strip_prefix('\u{FEFF}')
        .unwrap_or(&decoded.text);
    let first_line = text
        .split(['\n', '\r'])
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let is_tsv = Path::new(file_name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let delimiter = if is_tsv && first_line.contains('\t') {
        b'\t'
    } else {
        detect_delimiter(first_line)
    };
    let records = read_records(text)?;
    assemble(
        records,
        Some(delimiter),
        Some(decoded.encoding.name().to_owned()),
    )
}

/// Header from the first non-blank record, rows from the rest (blank ones dropped).
fn assemble(
    records: Vec<Vec<String>>,
    delimiter: Option<u8>,
    encoding: Option<String>,
) -> Result<TableFile, IngestError> {
    let is_blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    let mut records = records.into_iter().skip_while(is_blank);
    let header = records.next().ok_or(IngestError::Empty)?;
    // Trailing unnamed columns with no data are Excel's leftovers, not columns.
    let mut rows: Vec<Vec<String>> = records.filter(|r| !is_blank(r)).collect();
    if rows.is_empty() {
        return Err(IngestError::HeaderOnly);
    }
    let mut width = header.len();
    while width > 0
        && header[width - 1].trim().is_empty()
        && rows
            .iter()
            .all(|r| r.get(width - 1).is_none_or(|c| c.trim().is_empty()))
    {
        width -= 1;
    }
    let headers = unique_names(&header[..width]);
    let mut cells_outside_header = 0;
    for row in &mut rows {
        if row.len() > width {
            cells_outside_header += row[width..].iter().filter(|c| !c.trim().is_empty()).count();
            row.truncate(width);
        }
        row.resize(width, String::new());
        for cell in row.iter_mut() {
            let trimmed = cell.trim();
            if trimmed.len() != cell.len() {
                *cell = trimmed.to_owned();
            }
        }
    }
    Ok(TableFile {
        headers,
        rows,
        delimiter,
        encoding,
        cells_outside_header,
    })
}

/// Trimmed header names, blank ones named by position, repeats numbered.
fn unique_names(header: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let base = match raw.trim() {
            "" => format!("Column {}", i + 1),
            name => name.to_owned(),
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base} ({n})");
            n += 1;
        }
        names.push(name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comma_csv_with_ragged_rows() {
        let t = read_table_file(
            b"id,name,score\n1, Taro ,3\n2,Hanako\n\n3,Jiro,5,extra\n",
            "a.csv",
            None,
            None,
        )
        .unwrap();
        assert_eq!(t.headers, ["id", "name", "score"]);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0], ["1", "Taro", "3"]);
        assert_eq!(t.rows[1], ["2", "Hanako", ""]);
        assert_eq!(t.rows[2], ["3", "Jiro", "5"]);
        assert_eq!(t.cells_outside_header, 1);
        assert_eq!(t.delimiter, Some(b','));
    }

    #[test]
    fn cp932_semicolon_csv() {
        let src = "会社名;成約;金額\r\n株式会社A;はい;1.234,5\r\n株式会社B;いいえ;12,0\r\n";
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(src);
        let t = read_table_file(&bytes, "x.csv", None, None).unwrap();
        assert_eq!(t.headers, ["会社名", "成約", "金額"]);
        assert_eq!(t.rows[0], ["株式会社A", "はい", "1.234,5"]);
        assert_eq!(t.delimiter, Some(b';'));
        assert_eq!(t.encoding.as_deref(), Some("Shift_JIS"));
    }

    #[test]
    fn tsv_and_names() {
        let (headers, rows) = read_table(b"a\t\ta\tb\n1\t2\t3\t4\n", "x.tsv", None, None).unwrap();
        assert_eq!(headers, ["a", "Column 2", "a (2)", "b"]);
        assert_eq!(rows, [["1", "2", "3", "4"]]);
    }

    #[test]
    fn empty_and_header_only() {
        assert!(matches!(
            read_table(b" \n\n", "x.csv", None, None),
            Err(IngestError::Empty)
        ));
        assert!(matches!(
            read_table(b"a,b\n,\n", "x.csv", None, None),
            Err(IngestError::HeaderOnly)
        ));
    }

    #[test]
    fn xlsx_workbook() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("過去リード").unwrap();
        ws.write(0, 0, "流入元").unwrap();
        ws.write(0, 1, "成約").unwrap();
        ws.write(1, 0, "展示会").unwrap();
        ws.write(1, 1, 1).unwrap();
        ws.write(2, 0, "Web").unwrap();
        ws.write(2, 1, 0).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let t = read_table_file(&bytes, "leads.xlsx", Some("過去リード"), None).unwrap();
        assert_eq!(t.headers, ["流入元", "成約"]);
        assert_eq!(t.rows, [["展示会", "1"], ["Web", "0"]]);
        assert_eq!(t.delimiter, None);
        let err = read_table_file(&bytes, "leads.xlsx", Some("nope"), None).unwrap_err();
        assert!(err.to_string().contains("過去リード"), "{err}");
    }
}
