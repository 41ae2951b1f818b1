//! Readers for the files Japanese sales teams actually have: CSV exported from Excel in
//! Shift_JIS (CP932), UTF-8 with or without a BOM, UTF-16 from "Unicode text" exports.
//!
//! This crate only turns bytes into text and records. It never writes to a database; the
//! caller validates, maps columns and stores.

pub mod csv_reader;
pub mod encoding;

pub use csv_reader::{detect_delimiter, read_records};
pub use encoding::{Decoded, decode};

/// Everything that can go wrong while reading an input file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The input looks like a binary file (an Excel workbook, an image, a zip…), not text.
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
}
