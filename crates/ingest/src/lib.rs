//! Readers for the files Japanese sales teams actually have: CSV exported from Excel in
//! Shift_JIS (CP932), UTF-8 with or without a BOM, UTF-16 from "Unicode text" exports,
//! Excel workbooks, vCard files, and the exports of known tools (Eight, Sansan, Zoom
//! webinar reports).
//!
//! [`SourceFile`] is the entry point: it detects the kind of file, its encoding, its header
//! row and layout, maps the columns to [`LeadField`]s by synonyms, and streams
//! [`SourceRow`]s. This crate only reads and maps (values are trimmed, nothing else); it
//! never writes to a database; the caller validates, normalises and stores.

pub mod csv_reader;
pub mod encoding;
pub mod layout;
pub mod mapping;
pub mod source;
pub mod table;
mod vcard;
mod xlsx;

pub use csv_reader::{detect_delimiter, read_records};
pub use encoding::{Decoded, decode};
pub use layout::Layout;
pub use mapping::{ColumnTarget, LeadField, column_letter, normalize_header};
pub use source::{Column, MAX_CELL_BYTES, OpenOptions, SourceFile, SourceRow};
pub use table::{TableFile, read_table, read_table_file};

/// Everything that can go wrong while reading an input file.
///
/// Messages are plain English naming the row (and column) concerned; the UI translates by
/// variant.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input looks like a binary file (an image, a PDF…), not text.
    #[error(
        "the file looks like a binary file, not text (is it an .xlsx saved without exporting to CSV?)"
    )]
    Binary,
    /// The text could not be decoded in the detected (or requested) encoding.
    #[error("line {line}: the file is not valid {encoding}")]
    Encoding { line: usize, encoding: String },
    /// The requested encoding label is not one we know.
    #[error("unknown encoding \"{label}\" (use shift_jis, cp932, utf-8 or euc-jp)")]
    UnknownEncoding { label: String },
    /// The CSV structure is broken.
    #[error("line {line}: {message}")]
    Csv { line: usize, message: String },
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
    /// A value in a data row is unusable.
    #[error("row {row}{}: {message}", column.as_ref().map(|c| format!(", column \"{c}\"")).unwrap_or_default())]
    Row {
        row: usize,
        column: Option<String>,
        message: String,
    },
    /// Nothing in the file (no bytes, only blank lines, an empty sheet, no vCard).
    #[error("the file is empty")]
    Empty,
    /// A header row and nothing else.
    #[error("the file has a header but no data rows")]
    HeaderOnly,
    /// A cell over [`MAX_CELL_BYTES`]; the whole file is rejected.
    #[error(
        "row {row}, column \"{column}\": the cell is {bytes} bytes long; a cell may hold at most 65536 bytes (64 KiB)"
    )]
    CellTooLarge {
        row: usize,
        column: String,
        bytes: usize,
    },
    /// A quoted CSV field that is never closed: the rest of the file would be one cell.
    #[error(
        "row {row}: a quoted cell is never closed (a closing \" is missing), so the rest of the file would be read as one cell"
    )]
    UnclosedQuote { row: usize },
    /// The spreadsheet could not be read.
    #[error("spreadsheet: {0}")]
    Xlsx(String),
    /// A vCard could not be read.
    #[error("vCard card {card}: {message}")]
    VCard { card: usize, message: String },
    /// A mapping override names a column the file does not have.
    #[error("the column mapping refers to column {index}, but the file has only {columns} columns")]
    InvalidMapping { index: usize, columns: usize },
}
