//! CSV/TSV parsing of already-decoded text.
//!
//! The reader is deliberately lenient about shape: rows may have more or fewer fields
//! than the header (Excel drops trailing empty cells, hand-edited files add notes in
//! extra columns). Validation is the caller's job.

use crate::IngestError;

/// Candidate delimiters, in order of preference on ties.
const DELIMITERS: [u8; 3] = [b',', b'\t', b';'];

/// Choose the delimiter among `,`, tab and `;` that occurs most often outside double
/// quotes in `first_line`. Defaults to `,`.
pub fn detect_delimiter(first_line: &str) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut in_quotes = false;
    for b in first_line.bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Parse decoded CSV text into records (the header row included, as the first record).
///
/// The delimiter is detected from the first line; quoted fields may contain delimiters,
/// doubled quotes and newlines; line ends may be LF, CRLF or CR; blank lines are skipped;
/// a stray trailing `\r` on a record's last field is removed.
pub fn read_records(text: &str) -> Result<Vec<Vec<String>>, IngestError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let first_line = text.split(['\n', '\r']).next().unwrap_or("");
    let delimiter = detect_delimiter(first_line);

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());

    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                let mut fields: Vec<String> = record.iter().map(str::to_owned).collect();
                if let Some(last) = fields.last_mut()
                    && last.ends_with('\r')
                {
                    last.pop();
                }
                records.push(fields);
            }
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| usize::try_from(p.line()).unwrap_or(usize::MAX))
                    .unwrap_or_else(|| reader.position().line() as usize);
                return Err(IngestError::Csv {
                    line,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::decode;

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter("a,b,c"), b',');
        assert_eq!(detect_delimiter("会社名\t氏名\tメール"), b'\t');
        assert_eq!(detect_delimiter("a;b;c"), b';');
        assert_eq!(detect_delimiter("\"a,b,c\";d;e"), b';');
        assert_eq!(detect_delimiter("single"), b',');
        assert_eq!(detect_delimiter(""), b',');
    }

    #[test]
    fn simple_crlf() {
        let r = read_records("会社名,氏名\r\n株式会社A,山田 太郎\r\n").unwrap();
        assert_eq!(
            r,
            vec![
                vec!["会社名".to_string(), "氏名".to_string()],
                vec!["株式会社A".to_string(), "山田 太郎".to_string()],
            ]
        );
    }

    #[test]
    fn quoted_newline_and_quotes() {
        let text = "会社名,住所,備考\r\n\"株式会社A\",\"東京都千代田区\r\n丸の内1-1\",\"「至急」\"\"要確認\"\"\"\r\n";
        let r = read_records(text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1][1], "東京都千代田区\r\n丸の内1-1");
        assert_eq!(r[1][2], "「至急」\"要確認\"");
    }

    #[test]
    fn tab_delimited() {
        let r = read_records("会社名\t氏名\t電話\n株式会社B\t佐藤 花子\t03-1234-5678\n").unwrap();
        assert_eq!(r[1], vec!["株式会社B", "佐藤 花子", "03-1234-5678"]);
    }

    #[test]
    fn ragged_rows_and_blank_lines() {
        let r = read_records("a,b,c\n1,2\n\n1,2,3,4\n").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].len(), 2);
        assert_eq!(r[2].len(), 4);
    }

    #[test]
    fn bom_char_and_trailing_cr() {
        let r = read_records("\u{FEFF}a,b\rc,d\r").unwrap();
        assert_eq!(r, vec![vec!["a", "b"], vec!["c", "d"]]);
    }

    #[test]
    fn cp932_file_end_to_end() {
        let src =
            "株式会社サカタのタネ,カネコ種苗株式会社\r\n\"（株）髙島屋\",\"東京都\r\n中央区\"\r\n";
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(src);
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, encoding_rs::SHIFT_JIS);
        let r = read_records(&d.text).unwrap();
        assert_eq!(r[0], vec!["株式会社サカタのタネ", "カネコ種苗株式会社"]);
        assert_eq!(r[1][1], "東京都\r\n中央区");
    }

    /// Reads the real EDINET filer list when the shared data directory is present.
    #[test]
    fn edinet_filers_file() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/companies/edinet-filers.cp932.csv");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("skipping: {} not readable ({e})", path.display());
                return;
            }
        };
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, encoding_rs::SHIFT_JIS);
        let third_line = d.text.lines().nth(2).unwrap();
        assert!(third_line.contains("カネコ種苗株式会社"), "{third_line}");
        let r = read_records(&d.text).unwrap();
        assert!(r.len() > 8000, "only {} records", r.len());
        assert_eq!(r[1][0], "ＥＤＩＮＥＴコード");
        assert_eq!(r[2][6], "カネコ種苗株式会社");
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn field() -> impl Strategy<Value = String> {
            "[a-zA-Z0-9 \",\\nあ-んア-ン株式会社]{0,8}"
        }

        proptest! {
            #[test]
            fn round_trips_csv_writer_output(
                rows in proptest::collection::vec(proptest::collection::vec(field(), 1..5), 1..12),
                crlf in any::<bool>(),
            ) {
                let mut w = csv::WriterBuilder::new()
                    .flexible(true)
                    .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                    .from_writer(Vec::new());
                for row in &rows {
                    w.write_record(row).unwrap();
                }
                let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
                let parsed = read_records(&text).unwrap();
                prop_assert_eq!(parsed, rows);
            }

            #[test]
            fn never_panics(s in "\\PC{0,300}") {
                let _ = read_records(&s);
            }
        }
    }
}
