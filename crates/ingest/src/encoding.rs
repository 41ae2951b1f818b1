//! Character-encoding detection and decoding.
//!
//! Order of decisions: a byte-order mark wins (UTF-8, UTF-16LE, UTF-16BE); then strict
//! UTF-8; then `chardetng` with the `jp` top-level-domain hint, which favours Shift_JIS
//! and EUC-JP. `encoding_rs::SHIFT_JIS` is the WHATWG Shift_JIS, i.e. Microsoft's CP932
//! (Windows-31J) with the NEC/IBM extensions, which is what Excel writes on Japanese
//! Windows.

use std::io::Read;

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
    let detected = detect(bytes, override_label)?;
    finish(
        detected.encoding,
        &bytes[detected.bom_len..],
        detected.bom_len > 0,
    )
}

/// What [`detect`] decided: the encoding, and the length of the byte-order mark to skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub encoding: &'static Encoding,
    pub bom_len: usize,
}

/// Detect the encoding of what `reader` reads, reading no more than it needs: the first
/// 8 KiB decide a byte-order mark, binary content and UTF-16; otherwise the bytes up to
/// the 256 KiB-th non-ASCII byte (or the end) are UTF-8 when they are valid UTF-8, and
/// else what `chardetng` guesses with the `jp` hint. See [`decode`] for `override_label`
/// and the errors. A later byte that does not decode is reported by the decoding, with its
/// line.
pub fn detect(
    mut reader: impl Read,
    override_label: Option<&str>,
) -> Result<Detected, IngestError> {
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
    let mut head = vec![0u8; SNIFF_LEN];
    let n = read_full(&mut reader, &mut head)?;
    head.truncate(n);

    // 1. Byte-order mark.
    if let Some((encoding, bom_len)) = Encoding::for_bom(&head) {
        return Ok(Detected { encoding, bom_len });
    }

    // 2. Binary sniffing (BOM-less UTF-16 is recognised by the position of its NULs).
    let bomless_utf16 = if head.contains(&0) {
        match utf16_without_bom(&head) {
            Some(encoding) => Some(encoding),
            None => return Err(IngestError::Binary),
        }
    } else {
        None
    };
    if let Some(encoding) = forced.or(bomless_utf16) {
        return Ok(Detected {
            encoding,
            bom_len: 0,
        });
    }

    // 3. Strict UTF-8 (plain ASCII is UTF-8 too), and 4. a statistical guess hinted
    // towards Japanese encodings, both from the same bytes: a few hundred kilobytes of
    // non-ASCII text decide the guess as well as a whole file does (and a wrong guess
    // still fails to decode), so reading stops there.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    let mut utf8 = Utf8Check::default();
    let mut non_ascii = 0;
    let mut sample: Vec<u8> = Vec::new();
    let mut chunk = head;
    let mut next = vec![0u8; DETECT_BLOCK];
    loop {
        let n = read_full(&mut reader, &mut next)?;
        non_ascii += chunk.iter().filter(|b| !b.is_ascii()).count();
        let last = n == 0 || non_ascii >= DETECT_NON_ASCII;
        utf8.feed(&chunk, n == 0);
        detector.feed(&chunk, last);
        let room = CHECK_SAMPLE.saturating_sub(sample.len());
        sample.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if last {
            break;
        }
        std::mem::swap(&mut chunk, &mut next);
        chunk.truncate(n);
        next.resize(DETECT_BLOCK, 0);
    }
    let encoding = if utf8.valid {
        UTF_8
    } else {
        // The guess can be wrong on repetitive text (a large EUC-JP list is taken for
        // Shift_JIS from its first few hundred kilobytes): a guess that does not decode the
        // start of the file gives way to the Japanese encoding that does.
        let guess = detector.guess(Some(b"jp"), chardetng::Utf8Detection::Allow);
        if decodes_cleanly(guess, &sample) {
            guess
        } else {
            [SHIFT_JIS, EUC_JP]
                .into_iter()
                .find(|e| decodes_cleanly(e, &sample))
                .unwrap_or(guess)
        }
    };
    Ok(Detected {
        encoding,
        bom_len: 0,
    })
}

/// Bytes read at a time while detecting.
const DETECT_BLOCK: usize = 64 * 1024;
/// The start of a file a guessed encoding must decode without error.
const CHECK_SAMPLE: usize = 4 << 20;

/// Whether `bytes` (the start of a file, perhaps cut inside a character) decode without
/// error in `encoding`.
fn decodes_cleanly(encoding: &'static Encoding, bytes: &[u8]) -> bool {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3 + 16);
    let mut out = String::with_capacity(capacity);
    let (result, _) = decoder.decode_to_string_without_replacement(bytes, &mut out, false);
    matches!(result, encoding_rs::DecoderResult::InputEmpty)
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// UTF-8 validation of bytes that arrive in blocks (a character may straddle two).
#[derive(Debug)]
struct Utf8Check {
    valid: bool,
    carry: Vec<u8>,
}

impl Default for Utf8Check {
    fn default() -> Self {
        Utf8Check {
            valid: true,
            carry: Vec::new(),
        }
    }
}

impl Utf8Check {
    fn feed(&mut self, block: &[u8], last: bool) {
        if !self.valid {
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(block);
        match std::str::from_utf8(&bytes) {
            Ok(_) => {}
            // A character cut at the end of the block: its first bytes wait for the next.
            Err(e) if e.error_len().is_none() && !last => {
                self.carry = bytes[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.valid = false,
        }
    }
}

/// Decoded text, a block at a time: what a large file is read through, so that it is never
/// in memory whole.
pub struct TextStream {
    reader: Box<dyn Read + Send>,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    block: Vec<u8>,
    /// Line breaks (`\n`) in the text handed out so far.
    lines: usize,
    /// The start of the text has been checked for binary content.
    checked: bool,
    done: bool,
}

/// Bytes decoded at a time by a [`TextStream`].
const STREAM_BLOCK: usize = 256 * 1024;

impl TextStream {
    /// Decode what `reader` reads (from its first byte, byte-order mark included) as
    /// `detected` says.
    pub fn new(mut reader: Box<dyn Read + Send>, detected: Detected) -> Result<Self, IngestError> {
        let mut bom = [0u8; 4];
        read_full(&mut reader, &mut bom[..detected.bom_len])?;
        Ok(TextStream {
            reader,
            decoder: detected.encoding.new_decoder_without_bom_handling(),
            encoding: detected.encoding,
            block: vec![0; STREAM_BLOCK],
            lines: 0,
            checked: false,
            done: false,
        })
    }

    /// Appends the next block's text to `out`; false (and nothing appended) at the end.
    ///
    /// Errors: [`IngestError::Encoding`] naming the line of the first byte that does not
    /// decode, [`IngestError::Binary`] when the text starts like a binary file, and I/O
    /// errors.
    pub fn read_into(&mut self, out: &mut String) -> Result<bool, IngestError> {
        if self.done {
            return Ok(false);
        }
        let n = read_full(&mut self.reader, &mut self.block)?;
        let last = n < self.block.len();
        let from = out.len();
        let mut src = &self.block[..n];
        loop {
            let need = self
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 3 + 16);
            out.reserve(need);
            let (result, read) = self
                .decoder
                .decode_to_string_without_replacement(src, out, last);
            src = &src[read..];
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => continue,
                encoding_rs::DecoderResult::Malformed(..) => {
                    self.done = true;
                    return Err(IngestError::Encoding {
                        line: self.lines + 1 + count_newlines(&out[from..]),
                        encoding: self.encoding.name().to_owned(),
                    });
                }
            }
        }
        if !self.checked {
            self.checked = true;
            check_control_share(&out[from..])?;
        }
        self.lines += count_newlines(&out[from..]);
        self.done = last;
        Ok(n > 0 || from < out.len())
    }
}

fn count_newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
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
    fn a_large_euc_jp_list_is_not_taken_for_shift_jis() {
        // chardetng takes the first 256 KiB of non-ASCII bytes of this repetitive list for
        // Shift_JIS, which does not decode them.
        let mut src = String::from("会社名,氏名,メール\r\n");
        for i in 0..50_000 {
            src.push_str(&format!("崎山商事{i},高橋 花子{i},h{i}@example.co.jp\r\n"));
        }
        let (bytes, _, _) = EUC_JP.encode(&src);
        assert_eq!(detect(&bytes[..], None).unwrap().encoding, EUC_JP);
        assert_eq!(decode(&bytes, None).unwrap().text, src);
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
