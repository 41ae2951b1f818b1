//! Character-encoding detection and decoding.
//!
//! Order of decisions: a byte-order mark wins (UTF-8, UTF-16LE, UTF-16BE); then strict
//! UTF-8; then `chardetng` with the `jp` top-level-domain hint, which favours Shift_JIS
//! and EUC-JP. `encoding_rs::SHIFT_JIS` is the WHATWG Shift_JIS, i.e. Microsoft's CP932
//! (Windows-31J) with the NEC/IBM extensions, which is what Excel writes on Japanese
//! Windows.

use encoding_rs::{EUC_JP, Encoding, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE};

use crate::IngestError;

/// How many leading bytes/characters are inspected for signs of a binary file.
const SNIFF_LEN: usize = 8 * 1024;

/// Decoded text and how it was decoded.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub had_bom: bool,
}

/// Detect the encoding of `bytes` and decode them.
///
/// `override_label` forces an encoding ("shift_jis", "cp932", "utf-8", "euc-jp" and any
/// WHATWG label); a byte-order mark still takes precedence because it cannot be wrong.
///
/// Errors: [`IngestError::Binary`] for binary-looking input, [`IngestError::Encoding`]
/// naming the first line that does not decode cleanly,
/// [`IngestError::UnknownEncoding`] for an unknown override label.
pub fn decode(bytes: &[u8], override_label: Option<&str>) -> Result<Decoded, IngestError> {
    let forced = match override_label.map(str::trim).filter(|l| !l.is_empty()) {
        Some(label) => {
            Some(
                encoding_for_label(label).ok_or_else(|| IngestError::UnknownEncoding {
                    label: label.to_owned(),
                })?,
            )
        }
        None => None,
    };

    // 1. Byte-order mark.
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return finish(encoding, &bytes[bom_len..], true);
    }

    // 2. Binary sniffing (BOM-less UTF-16 is recognised by the position of its NULs).
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let bomless_utf16 = if head.contains(&0) {
        match utf16_without_bom(head) {
            Some(encoding) => Some(encoding),
            None => return Err(IngestError::Binary),
        }
    } else {
        None
    };

    if let Some(encoding) = forced {
        return finish(encoding, bytes, false);
    }
    if let Some(encoding) = bomless_utf16 {
        return finish(encoding, bytes, false);
    }

    // 3. Strict UTF-8 (plain ASCII is UTF-8 too).
    if let Ok(text) = std::str::from_utf8(bytes) {
        check_control_share(text)?;
        return Ok(Decoded {
            text: text.to_owned(),
            encoding: UTF_8,
            had_bom: false,
        });
    }

    // 4. Statistical guess, hinted towards Japanese encodings.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    // A few hundred kilobytes of non-ASCII text decide the guess as well as a whole file
    // does (and a wrong guess still fails to decode below); stop feeding there.
    let mut non_ascii = 0;
    let mut chunks = bytes.chunks(64 * 1024).peekable();
    while let Some(chunk) = chunks.next() {
        non_ascii += chunk.iter().filter(|b| !b.is_ascii()).count();
        let last = chunks.peek().is_none() || non_ascii >= DETECT_NON_ASCII;
        detector.feed(chunk, last);
        if last {
            break;
        }
    }
    let guessed = detector.guess(Some(b"jp"), chardetng::Utf8Detection::Allow);
    finish(guessed, bytes, false)
}

/// How many non-ASCII bytes the encoding detector sees at most.
const DETECT_NON_ASCII: usize = 256 * 1024;

/// Map a user-supplied label to an encoding; adds the Microsoft names WHATWG lacks.
fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let lower = label.to_ascii_lowercase();
    match lower.as_str() {
        "cp932" | "ms932" | "windows-31j" | "sjis" | "shift_jis" | "shift-jis" => Some(SHIFT_JIS),
        "utf8" | "utf-8" => Some(UTF_8),
        "eucjp" | "euc-jp" | "euc_jp" => Some(EUC_JP),
        _ => Encoding::for_label_no_replacement(lower.as_bytes()),
    }
}

/// Decode with `encoding` (no BOM handling), rejecting malformed input and binary content.
fn finish(encoding: &'static Encoding, body: &[u8], had_bom: bool) -> Result<Decoded, IngestError> {
    let (text, had_errors) = encoding.decode_without_bom_handling(body);
    if had_errors {
        return Err(IngestError::Encoding {
            line: first_replacement_line(&text),
            encoding: encoding.name().to_owned(),
        });
    }
    check_control_share(&text)?;
    let mut text = text.into_owned();
    // Decoding reserves for the worst case (up to three times the input); give it back.
    text.shrink_to_fit();
    Ok(Decoded {
        text,
        encoding,
        had_bom,
    })
}

/// 1-based line of the first U+FFFD in `text` (1 if none is found).
fn first_replacement_line(text: &str) -> usize {
    match text.find('\u{FFFD}') {
        Some(pos) => 1 + text[..pos].bytes().filter(|&b| b == b'\n').count(),
        None => 1,
    }
}

/// Recognise UTF-16 without a BOM from a sample containing NUL bytes: text that is mostly
/// ASCII has its NULs all on the same byte parity (odd for LE, even for BE). The sample
/// must then decode without errors.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, &b) in head.iter().enumerate() {
        if b == 0 {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let encoding = match (even, odd) {
        (0, o) if o > 0 => UTF_16LE,
        (e, 0) if e > 0 => UTF_16BE,
        _ => return None,
    };
    // Check a whole number of code units; a surrogate pair cut at the end is tolerated.
    let sample = &head[..head.len() & !1];
    let (text, had_errors) = encoding.decode_without_bom_handling(sample);
    if had_errors && text.trim_end_matches('\u{FFFD}').contains('\u{FFFD}') {
        return None;
    }
    if control_share_too_high(&text) {
        return None;
    }
    Some(encoding)
}

fn check_control_share(text: &str) -> Result<(), IngestError> {
    if control_share_too_high(text) {
        Err(IngestError::Binary)
    } else {
        Ok(())
    }
}

/// True when more than 10% of the first characters are control characters other than
/// tab, line feed, carriage return and form feed (NUL included).
fn control_share_too_high(text: &str) -> bool {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(SNIFF_LEN) {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}' | '\u{85}') {
            control += 1;
        }
    }
    total > 0 && control * 10 > total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("会社名,氏名\r\n株式会社テスト,山田 太郎\r\n".as_bytes());
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, UTF_8);
        assert!(d.had_bom);
        assert!(d.text.starts_with("会社名"));
    }

    #[test]
    fn plain_utf8_and_ascii() {
        let d = decode("name,email\nTaro,t@example.jp\n".as_bytes(), None).unwrap();
        assert_eq!(d.encoding, UTF_8);
        assert!(!d.had_bom);
        let d = decode("氏名,会社\n佐藤,株式会社ABC\n".as_bytes(), None).unwrap();
        assert_eq!(d.encoding, UTF_8);
        let d = decode(b"", None).unwrap();
        assert_eq!(d.text, "");
    }

    #[test]
    fn cp932_detected_as_shift_jis() {
        let src = "株式会社サカタのタネ,カネコ種苗株式会社\r\n";
        let (bytes, _, unmappable) = SHIFT_JIS.encode(src);
        assert!(!unmappable);
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, SHIFT_JIS);
        assert_eq!(d.text, src);
    }

    #[test]
    fn cp932_extension_characters() {
        // NEC special characters and IBM extensions exist only in CP932.
        let src = "①株式会社髙橋製作所,㈱テスト,﨑山商事\r\n";
        let (bytes, _, unmappable) = SHIFT_JIS.encode(src);
        assert!(!unmappable);
        let d = decode(&bytes, Some("cp932")).unwrap();
        assert_eq!(d.text, src);
    }

    #[test]
    fn euc_jp_detected() {
        let src = "会社名,担当者,電話番号\n株式会社山田商事,山田 太郎,03-1234-5678\n有限会社鈴木工業,鈴木 花子,06-9876-5432\n";
        let (bytes, _, _) = EUC_JP.encode(src);
        let d = decode(&bytes, None).unwrap();
        assert_eq!(d.encoding, EUC_JP);
        assert_eq!(d.text, src);
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let src = "会社名,氏名\r\nABC,山田\r\n";
        let mut le: Vec<u8> = vec![0xFF, 0xFE];
        for u in src.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&le, None).unwrap();
        assert_eq!(d.encoding, UTF_16LE);
        assert!(d.had_bom);
        assert_eq!(d.text, src);

        let be: Vec<u8> = src.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let d = decode(&be, None).unwrap();
        assert_eq!(d.encoding, UTF_16BE);
        assert!(!d.had_bom);
        assert_eq!(d.text, src);
    }

    #[test]
    fn override_label() {
        let (bytes, _, _) = SHIFT_JIS.encode("氏名\r\n");
        for label in ["shift_jis", "cp932", "Windows-31J", "sjis"] {
            assert_eq!(decode(&bytes, Some(label)).unwrap().encoding, SHIFT_JIS);
        }
        let (bytes, _, _) = EUC_JP.encode("氏名\r\n");
        assert_eq!(decode(&bytes, Some("euc-jp")).unwrap().text, "氏名\r\n");
        assert!(matches!(
            decode(b"abc", Some("klingon")),
            Err(IngestError::UnknownEncoding { .. })
        ));
    }

    #[test]
    fn binary_rejected() {
        // A zip/xlsx header.
        let mut xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00".to_vec();
        xlsx.extend((0u8..=255).cycle().take(4000));
        assert!(matches!(decode(&xlsx, None), Err(IngestError::Binary)));
        // Control characters without NULs.
        let ctrl: Vec<u8> = b"\x01\x02\x03\x04abc\x05\x06\x07\x08".repeat(50);
        assert!(matches!(decode(&ctrl, None), Err(IngestError::Binary)));
        // Forcing an encoding does not let binary through.
        assert!(matches!(
            decode(&xlsx, Some("utf-8")),
            Err(IngestError::Binary)
        ));
    }

    #[test]
    fn malformed_shift_jis_names_the_line() {
        let (mut bytes, _, _) = SHIFT_JIS.encode("会社名,氏名\r\n株式会社テスト,山田\r\n");
        let bytes = bytes.to_mut();
        // Line 3: a lone lead byte followed by a comma.
        bytes.extend_from_slice(b"\x82,x\r\n");
        let err = decode(bytes, Some("shift_jis")).unwrap_err();
        match &err {
            IngestError::Encoding { line, encoding } => {
                assert_eq!(*line, 3);
                assert_eq!(encoding, "Shift_JIS");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(err.to_string(), "line 3: the file is not valid Shift_JIS");
    }

    #[test]
    fn first_replacement_line_counts_newlines() {
        assert_eq!(first_replacement_line("a\nb\n\u{FFFD}"), 3);
        assert_eq!(first_replacement_line("\u{FFFD}"), 1);
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        const JIS_CHARS: &str = "aZ09,\r\n -＿ーあいうアイウｱｲｳ株式会社山田太郎髙橋﨑①㈱営業部東京都千代田区丸の内〒電話";

        proptest! {
            #[test]
            fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let _ = decode(&bytes, None);
            }

            #[test]
            fn utf8_round_trips(s in "[a-zA-Z0-9,\"\\r\\n あ-んア-ン一-龠]{0,200}") {
                let d = decode(s.as_bytes(), None).unwrap();
                prop_assert_eq!(d.encoding, UTF_8);
                prop_assert_eq!(d.text, s);
            }

            #[test]
            fn shift_jis_round_trips_when_forced(
                chars in proptest::collection::vec(proptest::sample::select(JIS_CHARS.chars().collect::<Vec<_>>()), 0..200)
            ) {
                let s: String = chars.into_iter().collect();
                let (bytes, _, unmappable) = SHIFT_JIS.encode(&s);
                prop_assert!(!unmappable);
                let d = decode(&bytes, Some("cp932")).unwrap();
                prop_assert_eq!(d.text, s);
            }
        }
    }
}
