//! End-to-end tests of `SourceFile` on small hand-made files in `tests/fixtures/` and on
//! files built in the tests.

use std::path::{Path, PathBuf};

use ondo_ingest::{
    ColumnTarget, IngestError, Layout, LeadField, OpenOptions, SourceFile, SourceRow,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn open(name: &str) -> SourceFile {
    SourceFile::open(&fixture(name), &OpenOptions::default()).unwrap()
}

fn from_str(name: &str, text: &str) -> Result<SourceFile, IngestError> {
    SourceFile::from_bytes(name, text.as_bytes().to_vec(), &OpenOptions::default())
}

fn all_rows(f: &mut SourceFile) -> Vec<SourceRow> {
    f.rows().collect::<Result<Vec<_>, _>>().unwrap()
}

fn first_error(f: &mut SourceFile) -> IngestError {
    f.rows()
        .find_map(Result::err)
        .expect("expected an error while reading rows")
}

fn values(row: &SourceRow, field: LeadField) -> Vec<&str> {
    row.all(field).collect()
}

fn target(f: &SourceFile, header: &str) -> ColumnTarget {
    f.columns
        .iter()
        .find(|c| c.header == header)
        .unwrap_or_else(|| panic!("no column {header}"))
        .target
        .clone()
}

#[test]
fn eight_cp932_export_with_tags() {
    let mut f = open("eight.cp932.csv");
    assert_eq!(f.encoding.as_deref(), Some("Shift_JIS"));
    assert_eq!(f.layout, Layout::Eight);
    assert_eq!(f.header_row, 1);
    assert_eq!(f.columns.len(), 18);
    assert_eq!(target(&f, "e-mail"), ColumnTarget::Field(LeadField::Email));
    assert_eq!(target(&f, "TEL直通"), ColumnTarget::Field(LeadField::Phone));
    assert_eq!(
        target(&f, "携帯電話"),
        ColumnTarget::Field(LeadField::Mobile)
    );
    assert_eq!(
        target(&f, "名刺交換日"),
        ColumnTarget::Field(LeadField::ContactedOn)
    );
    assert_eq!(target(&f, "VIP"), ColumnTarget::Field(LeadField::Tags));
    assert_eq!(
        f.columns[0].samples,
        ["株式会社サンプル商事", "髙橋工業株式会社", "㈱テスト"]
    );

    let rows = all_rows(&mut f);
    assert_eq!(rows.len(), 3);
    let r = &rows[0];
    assert_eq!(r.row, 2);
    assert_eq!(r.get(LeadField::Company), Some("株式会社サンプル商事"));
    assert_eq!(r.get(LeadField::FamilyName), Some("山田"));
    assert_eq!(r.get(LeadField::GivenName), Some("太郎"));
    assert_eq!(
        r.get(LeadField::Email),
        Some("taro.yamada@sample-shoji.example")
    );
    // The direct line comes first.
    assert_eq!(
        values(r, LeadField::Phone),
        ["03-1111-2299", "03-1111-2222", "03-1111-2223"]
    );
    assert_eq!(r.get(LeadField::Fax), Some("03-1111-2224"));
    assert_eq!(r.get(LeadField::Mobile), Some("090-1234-5678"));
    assert_eq!(r.get(LeadField::ContactedOn), Some("2025/10/01"));
    assert_eq!(r.tags, ["展示会2025", "要フォロー"]);
    assert!(r.custom.is_empty());

    let r = &rows[1];
    assert_eq!(r.row, 3);
    assert_eq!(r.get(LeadField::Department), Some("技術部, 第二課"));
    assert_eq!(r.get(LeadField::Title), None);
    assert_eq!(r.tags, ["展示会2025", "VIP"]);

    let r = &rows[2];
    assert_eq!(r.row, 4);
    assert_eq!(r.get(LeadField::Company), Some("㈱テスト"));
    assert_eq!(r.get(LeadField::FamilyName), Some("﨑山"));
    assert!(r.tags.is_empty());
}

#[test]
fn sansan_export() {
    let mut f = open("sansan.csv");
    assert_eq!(f.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(f.layout, Layout::Sansan);
    assert_eq!(
        target(&f, "氏名（カナ）"),
        ColumnTarget::Field(LeadField::Kana)
    );
    assert_eq!(target(&f, "所有者"), ColumnTarget::Custom("所有者".into()));
    let rows = all_rows(&mut f);
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    assert_eq!(r.row, 2);
    assert_eq!(r.get(LeadField::Name), Some("佐藤 花子"));
    assert_eq!(r.get(LeadField::Kana), Some("サトウ ハナコ"));
    assert_eq!(r.get(LeadField::FamilyName), Some("佐藤"));
    assert_eq!(r.get(LeadField::Prefecture), Some("東京都"));
    assert_eq!(
        values(r, LeadField::Address),
        ["渋谷区渋谷2-1-1", "渋谷ABCビル10F"]
    );
    assert_eq!(
        values(r, LeadField::Phone),
        ["03-5555-0101", "03-5555-0000"]
    );
    assert_eq!(r.get(LeadField::Mobile), Some("080-2222-3333"));
    assert_eq!(r.get(LeadField::Fax), Some("03-5555-0001"));
    assert_eq!(r.get(LeadField::ContactedOn), Some("2025-09-30"));
    assert_eq!(r.custom, [("所有者".to_owned(), "田中 一郎".to_owned())]);
    assert_eq!(rows[1].get(LeadField::Department), None);
}

#[test]
fn zoom_webinar_report_sums_minutes_per_email() {
    let mut f = open("zoom-webinar.csv");
    assert_eq!(f.layout, Layout::ZoomWebinar);
    assert_eq!(f.header_row, 15);
    assert_eq!(target(&f, "Attended"), ColumnTarget::Ignore);
    assert_eq!(
        target(&f, "Join Time"),
        ColumnTarget::Field(LeadField::ContactedOn)
    );
    assert_eq!(
        target(&f, "Time in Session (minutes)"),
        ColumnTarget::Field(LeadField::MinutesAttended)
    );
    assert_eq!(
        target(&f, "Organization"),
        ColumnTarget::Field(LeadField::Company)
    );
    assert_eq!(
        target(&f, "Job Title"),
        ColumnTarget::Field(LeadField::Title)
    );

    let rows = all_rows(&mut f);
    // Host and panelists are not attendees; 山田 joined twice.
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let taro = &rows[0];
    assert_eq!(taro.row, 16);
    assert_eq!(taro.get(LeadField::Name), Some("山田 太郎"));
    assert_eq!(taro.get(LeadField::Email), Some("taro@example.co.jp"));
    assert_eq!(taro.get(LeadField::MinutesAttended), Some("84"));
    assert_eq!(
        taro.get(LeadField::ContactedOn),
        Some("2025-12-20 14:01:10")
    );
    assert_eq!(values(taro, LeadField::ContactedOn).len(), 1);
    assert_eq!(taro.get(LeadField::Company), Some("株式会社サンプル"));
    assert_eq!(
        taro.custom,
        [("Country/Region Name".to_owned(), "Japan".to_owned())]
    );

    let hanako = &rows[1];
    assert_eq!(hanako.row, 17);
    assert_eq!(hanako.get(LeadField::MinutesAttended), Some("90"));

    // Registered but absent: still a lead, 0 minutes, contacted when registering.
    let ichiro = &rows[2];
    assert_eq!(ichiro.row, 18);
    assert_eq!(ichiro.get(LeadField::MinutesAttended), Some("0"));
    assert_eq!(
        ichiro.get(LeadField::ContactedOn),
        Some("2025-12-03 11:00:00")
    );
    assert_eq!(ichiro.get(LeadField::Company), Some("鈴木商店"));
}

#[test]
fn zoom_participants_without_report_header() {
    let text = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n\
                A,a@x.example,2025/12/20 10:00:00,2025/12/20 10:30:00,30,Yes\n\
                B,,2025/12/20 10:01:00,2025/12/20 10:02:00,1,Yes\n\
                A,A@X.example,2025/12/20 09:59:00,2025/12/20 10:10:00,11,Yes\n";
    let mut f = from_str("participants.csv", text).unwrap();
    assert_eq!(f.layout, Layout::ZoomWebinar);
    let rows = all_rows(&mut f);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get(LeadField::MinutesAttended), Some("41"));
    assert_eq!(
        rows[0].get(LeadField::ContactedOn),
        Some("2025-12-20 09:59:00")
    );
    assert_eq!(rows[1].row, 3);
    assert_eq!(rows[1].get(LeadField::Email), None);
}

#[test]
fn zoom_bad_minutes_names_the_row() {
    let text = "Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)\n\
                Yes,A,a@x.example,12/20/2025 10:00:00,12/20/2025 10:30:00,30\n\
                Yes,B,b@x.example,12/20/2025 10:00:00,12/20/2025 10:30:00,thirty\n";
    let mut f = from_str("z.csv", text).unwrap();
    match first_error(&mut f) {
        IngestError::Row {
            row,
            column,
            message,
        } => {
            assert_eq!(row, 3);
            assert_eq!(column.as_deref(), Some("Time in Session (minutes)"));
            assert!(message.contains("thirty"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn vcards_3_4_and_21() {
    let mut f = open("contacts.vcf");
    assert_eq!(f.layout, Layout::VCard);
    assert_eq!(f.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(f.header_row, 0);
    assert!(f.columns.iter().any(|c| c.header == "FN"));
    let rows = all_rows(&mut f);
    assert_eq!(rows.len(), 3);

    let c = &rows[0];
    assert_eq!(c.row, 1);
    assert_eq!(c.get(LeadField::Name), Some("山田 太郎"));
    assert_eq!(c.get(LeadField::FamilyName), Some("山田"));
    assert_eq!(c.get(LeadField::FamilyKana), Some("ヤマダ"));
    assert_eq!(c.get(LeadField::GivenKana), Some("タロウ"));
    assert_eq!(c.get(LeadField::Company), Some("株式会社サンプル商事"));
    assert_eq!(c.get(LeadField::Department), Some("営業部"));
    assert_eq!(c.get(LeadField::Title), Some("部長"));
    assert_eq!(
        c.get(LeadField::Email),
        Some("taro.yamada@sample-shoji.example")
    );
    assert_eq!(c.get(LeadField::Phone), Some("03-1111-2222"));
    assert_eq!(c.get(LeadField::Mobile), Some("090-1234-5678"));
    assert_eq!(c.get(LeadField::Postcode), Some("100-0005"));
    assert_eq!(
        c.get(LeadField::Address),
        Some("東京都 千代田区 丸の内1-1-1 丸の内ビル5F")
    );
    assert_eq!(
        c.get(LeadField::Website),
        Some("https://sample-shoji.example/")
    );
    // The folded line is joined (minus the one folding space).
    assert_eq!(
        c.get(LeadField::Note),
        Some(
            "2025年10月の展示会で名刺交換。来期の予算取りについて相談を受けたので、11月に 再訪問する。"
        )
    );
    assert_eq!(c.tags, ["展示会2025", "VIP"]);

    let c = &rows[1];
    assert_eq!(c.row, 2);
    assert_eq!(c.get(LeadField::FamilyKana), Some("サトウ"));
    assert_eq!(c.get(LeadField::Mobile), Some("+81-80-2222-3333"));
    assert_eq!(c.get(LeadField::Fax), Some("+81-3-5555-0001"));
    assert_eq!(c.get(LeadField::Department), Some("マーケティング部"));

    let c = &rows[2];
    assert_eq!(c.row, 3);
    assert_eq!(c.get(LeadField::FamilyName), Some("鈴木"));
    assert_eq!(c.get(LeadField::GivenName), Some("一郎"));
    assert_eq!(c.get(LeadField::FamilyKana), Some("ｽｽﾞｷ"));
    assert_eq!(c.get(LeadField::Company), Some("株式会社すずき"));
    assert_eq!(c.get(LeadField::Department), Some("営業部"));
    assert_eq!(
        c.get(LeadField::Note),
        Some("展示会で名刺交換。資料送付済み")
    );
    assert_eq!(c.get(LeadField::Mobile), Some("09011112222"));
}

#[test]
fn vcard_in_shift_jis_and_broken_cards() {
    let card = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:髙橋;花子\r\nSOUND;X-IRMC-N:ﾀｶﾊｼ;ﾊﾅｺ\r\nTEL;WORK:0311112222\r\nEND:VCARD\r\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(card);
    let mut f =
        SourceFile::from_bytes("phone.vcf", bytes.into_owned(), &OpenOptions::default()).unwrap();
    assert_eq!(f.encoding.as_deref(), Some("Shift_JIS"));
    let rows = all_rows(&mut f);
    assert_eq!(rows[0].get(LeadField::FamilyName), Some("髙橋"));
    assert_eq!(rows[0].get(LeadField::GivenKana), Some("ﾊﾅｺ"));

    let text = "BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\nEND:VCARD\nBEGIN:VCARD\nFN:C\n";
    let mut f = from_str("x.vcf", text).unwrap();
    let items: Vec<_> = f.rows().collect();
    assert_eq!(items.len(), 3);
    match &items[2] {
        Err(IngestError::VCard { card, message }) => {
            assert_eq!(*card, 3);
            assert!(message.contains("END:VCARD"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        from_str("x.vcf", "BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n").unwrap_err(),
        IngestError::Empty
    ));
}

#[test]
fn xlsx_workbook() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy/mm/dd");
    let ws = wb.add_worksheet();
    ws.set_name("メモ").unwrap();
    ws.write_string(0, 0, "not this sheet").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("リード").unwrap();
    // Metadata in row 1, header in row 3 starting at column B, data from row 4.
    ws.write_string(0, 1, "出力日").unwrap();
    ws.write_string(0, 2, "2025/12/24").unwrap();
    for (i, h) in [
        "会社名",
        "氏名",
        "電話番号",
        "従業員数",
        "名刺交換日",
        "売上",
        "合計",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(2, 1 + i as u16, *h).unwrap();
    }
    ws.write_string(3, 1, "株式会社エクセル").unwrap();
    ws.write_string(3, 2, "  表 計算  ").unwrap();
    ws.write_number(3, 3, 312345678.0).unwrap();
    ws.write_number(3, 4, 250.0).unwrap();
    ws.write_datetime_with_format(3, 5, ExcelDateTime::from_ymd(2025, 12, 20).unwrap(), &date)
        .unwrap();
    ws.write_number(3, 6, 1234.5).unwrap();
    ws.write_formula(3, 7, Formula::new("=E4*2").set_result("500"))
        .unwrap();
    // A blank row, then another lead; an unnamed column with a value.
    ws.write_string(5, 1, "合同会社シート").unwrap();
    ws.write_boolean(5, 8, true).unwrap();
    let bytes = wb.save_to_buffer().unwrap();

    let opts = OpenOptions {
        sheet: Some("リード".into()),
        ..OpenOptions::default()
    };
    let mut f = SourceFile::from_bytes("leads.xlsx", bytes.clone(), &opts).unwrap();
    assert_eq!(f.encoding, None);
    assert_eq!(f.sheets, ["メモ", "リード"]);
    assert_eq!(f.layout, Layout::Generic);
    assert_eq!(f.header_row, 3);
    assert_eq!(f.columns[0].header, "会社名");
    assert_eq!(f.columns[7].target, ColumnTarget::Custom("列I".into()));
    let rows = all_rows(&mut f);
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    assert_eq!(r.row, 4);
    assert_eq!(r.get(LeadField::Company), Some("株式会社エクセル"));
    assert_eq!(r.get(LeadField::Name), Some("表 計算"));
    assert_eq!(r.get(LeadField::Phone), Some("312345678"));
    assert_eq!(r.get(LeadField::EmployeeCount), Some("250"));
    assert_eq!(r.get(LeadField::ContactedOn), Some("2025-12-20"));
    assert_eq!(
        r.custom,
        [
            ("売上".to_owned(), "1234.5".to_owned()),
            ("合計".to_owned(), "500".to_owned())
        ]
    );
    assert_eq!(rows[1].row, 6);
    assert_eq!(rows[1].custom, [("列I".to_owned(), "TRUE".to_owned())]);

    // First sheet by default; a missing sheet is an error naming the sheets.
    let f = SourceFile::from_bytes("leads.xlsx", bytes.clone(), &OpenOptions::default());
    assert!(matches!(f.unwrap_err(), IngestError::HeaderOnly));
    let opts = OpenOptions {
        sheet: Some("nope".into()),
        ..OpenOptions::default()
    };
    let err = SourceFile::from_bytes("leads.xlsx", bytes, &opts).unwrap_err();
    assert!(err.to_string().contains("リード"), "{err}");
}

/// A workbook as Excel writes a long list: shared strings, a date column, data from
/// column B, gaps of empty rows and cells.
fn long_workbook(rows: usize) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy/mm/dd");
    let ws = wb.add_worksheet();
    for (i, h) in ["会社名", "氏名", "メールアドレス", "名刺交換日", "紹介元"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, 1 + i as u16, *h).unwrap();
    }
    for i in 0..rows {
        // Every 7th row is left empty; every 5th lead has no email.
        let r = 1 + i as u32 + (i / 6) as u32;
        ws.write_string(r, 1, format!("株式会社テスト{}", i % 300))
            .unwrap();
        ws.write_string(r, 2, format!("山田 {i}郎")).unwrap();
        if i % 5 != 0 {
            ws.write_string(r, 3, format!("user{i}@example.co.jp"))
                .unwrap();
        }
        let day = ExcelDateTime::from_ymd(2025, 1 + (i % 12) as u8, 1 + (i % 28) as u8).unwrap();
        ws.write_datetime_with_format(r, 4, day, &date).unwrap();
        ws.write_number(r, 5, i as f64).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn check_long_rows(rows: &[SourceRow], n: usize) {
    assert_eq!(rows.len(), n);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.row, 2 + i + i / 6, "row of lead {i}");
        assert_eq!(r.get(LeadField::Name), Some(format!("山田 {i}郎").as_str()));
        let company = format!("株式会社テスト{}", i % 300);
        assert_eq!(r.get(LeadField::Company), Some(company.as_str()));
        let email = format!("user{i}@example.co.jp");
        let want = (i % 5 != 0).then_some(email.as_str());
        assert_eq!(r.get(LeadField::Email), want, "row {}", r.row);
        let day = format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        assert_eq!(r.get(LeadField::ContactedOn), Some(day.as_str()));
        assert_eq!(r.custom, [("紹介元".to_owned(), i.to_string())]);
    }
}

#[test]
fn a_long_workbook_is_read_row_by_row_from_disk_and_again() {
    let n = 5_000;
    let bytes = long_workbook(n);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.xlsx");
    std::fs::write(&path, &bytes).unwrap();

    let mut f = SourceFile::open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(f.header_row, 1);
    // The rows below the header up to the last the sheet declares, the empty ones too.
    assert_eq!(f.estimated_rows, Some(n + (n - 1) / 6));
    assert_eq!(f.columns[0].header, "会社名");
    assert_eq!(f.columns[0].samples[0], "株式会社テスト0");
    check_long_rows(&all_rows(&mut f), n);
    // Stopping early leaves nothing behind: the next read starts over and reads all.
    let first: Vec<_> = f.rows().take(3).collect::<Result<_, _>>().unwrap();
    assert_eq!(first[2].row, 4);
    check_long_rows(&all_rows(&mut f), n);
    // An upload held in memory reads the same.
    let mut f = SourceFile::from_bytes("long.xlsx", bytes, &OpenOptions::default()).unwrap();
    check_long_rows(&all_rows(&mut f), n);
}

#[test]
fn xlsx_empty_sheet_and_corrupt_zip() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet();
    let bytes = wb.save_to_buffer().unwrap();
    let err = SourceFile::from_bytes("e.xlsx", bytes, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, IngestError::Empty), "{err:?}");
    let err = SourceFile::from_bytes(
        "e.xlsx",
        b"PK\x03\x04broken".to_vec(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, IngestError::Xlsx(_)), "{err:?}");
}

#[test]
fn generic_csv_with_metadata_line() {
    let mut f = open("generic-metadata.csv");
    assert_eq!(f.layout, Layout::Generic);
    assert_eq!(f.header_row, 2);
    assert_eq!(target(&f, "担当者名"), ColumnTarget::Field(LeadField::Name));
    assert_eq!(
        target(&f, "メールアドレス（会社）"),
        ColumnTarget::Field(LeadField::Email)
    );
    assert_eq!(
        target(&f, "従業員数"),
        ColumnTarget::Field(LeadField::EmployeeCount)
    );
    assert_eq!(target(&f, "紹介元"), ColumnTarget::Custom("紹介元".into()));
    let rows = all_rows(&mut f);
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [3, 4, 6]);
    assert_eq!(rows[0].get(LeadField::Industry), Some("製造業"));
    assert_eq!(rows[0].custom, [("紹介元".to_owned(), "展示会".to_owned())]);
    assert_eq!(rows[1].fields.len(), 3);
}

#[test]
fn no_synonyms_means_row_one_is_the_header() {
    let mut f = from_str("x.csv", "foo,bar\n1,2\n").unwrap();
    assert_eq!(f.header_row, 1);
    assert_eq!(f.columns[0].target, ColumnTarget::Custom("foo".into()));
    let rows = all_rows(&mut f);
    assert_eq!(
        rows[0].custom,
        [
            ("foo".to_owned(), "1".to_owned()),
            ("bar".to_owned(), "2".to_owned())
        ]
    );
}

#[test]
fn tsv_by_content_and_extension() {
    let mut f = from_str("x.txt", "会社名\t氏名\nA社\tB\n").unwrap();
    assert_eq!(all_rows(&mut f)[0].get(LeadField::Name), Some("B"));
    // A single column: the extension decides the delimiter.
    let mut f = from_str("x.tsv", "会社名\nA社, 本店\n").unwrap();
    assert_eq!(
        all_rows(&mut f)[0].get(LeadField::Company),
        Some("A社, 本店")
    );
}

#[test]
fn excel_unicode_text_export() {
    // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated.
    let text = "会社名\t氏名\t携帯番号\r\n株式会社ユニ\t宇仁 子\t080-0000-1111\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut f = SourceFile::from_bytes("export.txt", bytes, &OpenOptions::default()).unwrap();
    assert_eq!(f.encoding.as_deref(), Some("UTF-16LE"));
    let r = &all_rows(&mut f)[0];
    assert_eq!(r.get(LeadField::Mobile), Some("080-0000-1111"));
}

#[test]
fn source_file_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SourceFile>();
    assert_send_sync::<IngestError>();
}

#[test]
fn header_only() {
    for text in [
        "会社名,氏名\r\n",
        "会社名,氏名\r\n,\r\n\r\n",
        "\u{FEFF}会社名,氏名",
    ] {
        let err = from_str("h.csv", text).unwrap_err();
        assert!(matches!(err, IngestError::HeaderOnly), "{text:?}: {err:?}");
        assert_eq!(err.to_string(), "the file has a header but no data rows");
    }
}

#[test]
fn empty_files() {
    for bytes in [&b""[..], b"\r\n\r\n", b"   ", b"\xEF\xBB\xBF", b",,,\n,,\n"] {
        let err =
            SourceFile::from_bytes("e.csv", bytes.to_vec(), &OpenOptions::default()).unwrap_err();
        assert!(matches!(err, IngestError::Empty), "{bytes:?}: {err:?}");
        assert_eq!(err.to_string(), "the file is empty");
    }
}

#[test]
fn binary_files_are_rejected() {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend((0u8..=255).cycle().take(2000));
    let err = SourceFile::from_bytes("photo.csv", png, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, IngestError::Binary), "{err:?}");
}

#[test]
fn unclosed_quote_names_the_row() {
    let text = "会社名,備考\r\nA社,ok\r\nB社,\"閉じていない\r\nC社,x\r\nD社,y\r\n";
    let mut f = from_str("q.csv", text).unwrap();
    let items: Vec<_> = f.rows().collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().row, 2);
    match &items[1] {
        Err(e @ IngestError::UnclosedQuote { row }) => {
            assert_eq!(*row, 3);
            assert!(e.to_string().starts_with("row 3:"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // In the first data row, open fails right away.
    let err = from_str("q.csv", "会社名,備考\nA社,\"x\n").unwrap_err();
    assert!(
        matches!(err, IngestError::UnclosedQuote { row: 2 }),
        "{err:?}"
    );
    // A properly closed quote at the very end is fine.
    let mut f = from_str("q.csv", "会社名,備考\nA社,\"x\ny\"").unwrap();
    assert_eq!(all_rows(&mut f)[0].get(LeadField::Note), Some("x\ny"));
}

#[test]
fn huge_cell_names_row_and_column() {
    let mut text = String::from("会社名,備考\r\n");
    for i in 0..150 {
        text.push_str(&format!("会社{i},短い\r\n"));
    }
    text.push_str(&format!("大きい会社,\"{}\"\r\n", "あ".repeat(35_000)));
    let mut f = from_str("big.csv", &text).unwrap();
    let err = first_error(&mut f);
    match &err {
        IngestError::CellTooLarge { row, column, bytes } => {
            assert_eq!(*row, 152);
            assert_eq!(column, "備考");
            assert_eq!(*bytes, 105_000);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("row 152, column \"備考\""),
        "{err}"
    );
}

#[test]
fn duplicate_headers_do_not_fail() {
    let mut f = from_str(
        "d.csv",
        "メール,会社名,メール,メモ,メモ\na@x.jp,A社,b@x.jp,m1,m2\n",
    )
    .unwrap();
    assert_eq!(f.columns[0].target, ColumnTarget::Field(LeadField::Email));
    assert_eq!(
        f.columns[2].target,
        ColumnTarget::Custom("メール (2)".into())
    );
    assert_eq!(f.columns[4].target, ColumnTarget::Custom("メモ (2)".into()));
    let r = &all_rows(&mut f)[0];
    assert_eq!(values(r, LeadField::Email), ["a@x.jp"]);
    assert_eq!(values(r, LeadField::Note), ["m1"]);
    assert_eq!(
        r.custom,
        [
            ("メール (2)".to_owned(), "b@x.jp".to_owned()),
            ("メモ (2)".to_owned(), "m2".to_owned())
        ]
    );
}

#[test]
fn encoding_override_and_column_serialisation() {
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("会社名,氏名\r\nカネコ種苗株式会社,金子\r\n");
    let opts = OpenOptions {
        encoding: Some("cp932".into()),
        ..OpenOptions::default()
    };
    let mut f = SourceFile::from_bytes("x.csv", bytes.into_owned(), &opts).unwrap();
    assert_eq!(f.encoding.as_deref(), Some("Shift_JIS"));
    assert_eq!(
        all_rows(&mut f)[0].get(LeadField::Company),
        Some("カネコ種苗株式会社")
    );
    let json = serde_json::to_value(&f.columns[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "index": 0,
            "header": "会社名",
            "target": {"kind": "field", "value": "company"},
            "samples": ["カネコ種苗株式会社"]
        })
    );
    assert_eq!(serde_json::to_value(f.layout).unwrap(), "generic");
    assert_eq!(
        serde_json::to_value(Layout::ZoomWebinar).unwrap(),
        "zoom_webinar"
    );
}

#[test]
fn million_rows_stream() {
    // Not a million (debug builds are slow), but enough to see rows are produced lazily.
    let mut text = String::from("会社名,メール\n");
    for i in 0..50_000 {
        text.push_str(&format!("会社{i},user{i}@example.jp\n"));
    }
    let mut f = from_str("big.csv", &text).unwrap();
    let mut n = 0;
    let mut last = 0;
    for r in f.rows() {
        let r = r.unwrap();
        n += 1;
        last = r.row;
    }
    assert_eq!(n, 50_000);
    assert_eq!(last, 50_001);
    // Taking the first row does not read the rest.
    assert_eq!(f.rows().next().unwrap().unwrap().row, 2);
}

/// Reads the real EDINET filer list when the shared data directory is present.
#[test]
fn edinet_filers_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/companies/edinet-filers.cp932.csv"
    );
    if !Path::new(path).exists() {
        eprintln!("skipping: {path} not found");
        return;
    }
    let mut f = SourceFile::open(Path::new(path), &OpenOptions::default()).unwrap();
    assert_eq!(f.encoding.as_deref(), Some("Shift_JIS"));
    assert_eq!(f.layout, Layout::Generic);
    assert_eq!(f.header_row, 2);
    assert_eq!(
        target(&f, "提出者名"),
        ColumnTarget::Field(LeadField::Company)
    );
    assert_eq!(
        target(&f, "提出者法人番号"),
        ColumnTarget::Field(LeadField::CorporateNumber)
    );
    assert_eq!(
        target(&f, "提出者名（ヨミ）"),
        ColumnTarget::Field(LeadField::CompanyKana)
    );
    assert_eq!(
        target(&f, "提出者名（英字）"),
        ColumnTarget::Custom("提出者名（英字）".into())
    );
    assert_eq!(
        target(&f, "所在地"),
        ColumnTarget::Field(LeadField::Address)
    );
    assert_eq!(
        target(&f, "提出者業種"),
        ColumnTarget::Field(LeadField::Industry)
    );
    let rows = all_rows(&mut f);
    assert_eq!(rows.len(), 8010);
    assert_eq!(rows[0].row, 3);
    assert_eq!(rows[0].get(LeadField::Company), Some("カネコ種苗株式会社"));
    assert_eq!(
        rows[0].get(LeadField::CorporateNumber),
        Some("5070001000715")
    );
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn cell() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9 \",\\n\\r;\\tあ-んア-ン株式会社東京都]{0,10}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Tables written by the csv crate read back with the same cells, in order.
        #[test]
        fn csv_tables_round_trip(
            width in 1usize..6,
            body in proptest::collection::vec(proptest::collection::vec(cell(), 6), 1..15),
            crlf in any::<bool>(),
            sjis in any::<bool>(),
        ) {
            // Two mapped columns first, then custom ones.
            let mut header = vec!["会社名".to_owned(), "メール".to_owned()];
            header.extend((0..width).map(|i| format!("項目{i}")));
            let mut w = csv::WriterBuilder::new()
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            w.write_record(&header).unwrap();
            let rows: Vec<Vec<String>> = body.iter().map(|r| r[..header.len().min(r.len())].to_vec())
                .map(|mut r| { r.resize(header.len(), String::new()); r })
                .collect();
            for r in &rows {
                w.write_record(r).unwrap();
            }
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let bytes = if sjis {
                encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
            } else {
                text.into_bytes()
            };
            let expected: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect::<Vec<_>>())
                .filter(|r: &Vec<String>| !r.is_empty())
                .collect();
            let opts = OpenOptions {
                encoding: sjis.then(|| "cp932".to_owned()),
                ..OpenOptions::default()
            };
            match SourceFile::from_bytes("p.csv", bytes, &opts) {
                Ok(mut f) => {
                    prop_assert_eq!(f.header_row, 1);
                    let got: Vec<Vec<String>> = f
                        .rows()
                        .map(|r| {
                            let r = r.unwrap();
                            r.fields.iter().map(|(_, v)| v.clone())
                                .chain(r.custom.iter().map(|(_, v)| v.clone()))
                                .collect()
                        })
                        .collect();
                    prop_assert_eq!(got, expected);
                }
                Err(IngestError::HeaderOnly) => prop_assert!(expected.is_empty()),
                Err(e) => prop_assert!(false, "unexpected error {e:?}"),
            }
        }

        /// Row numbers are Excel rows: one per record, whatever the cells contain.
        #[test]
        fn row_numbers_count_records(
            body in proptest::collection::vec(proptest::collection::vec("[a-z\\n]{1,4}", 2), 1..20),
        ) {
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record(["会社名", "メモ"]).unwrap();
            for r in &body {
                w.write_record(r).unwrap();
            }
            let bytes = w.into_inner().unwrap();
            let expected: Vec<usize> = body
                .iter()
                .enumerate()
                .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
                .map(|(i, _)| i + 2)
                .collect();
            match SourceFile::from_bytes("p.csv", bytes, &OpenOptions::default()) {
                Ok(mut f) => {
                    let rows: Vec<usize> = f.rows().map(|r| r.unwrap().row).collect();
                    prop_assert_eq!(rows, expected);
                }
                Err(IngestError::HeaderOnly) => prop_assert!(expected.is_empty()),
                Err(e) => prop_assert!(false, "unexpected error {e:?}"),
            }
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(mut f) = SourceFile::from_bytes("x.csv", bytes, &OpenOptions::default()) {
                for r in f.rows() {
                    let _ = r;
                }
            }
        }
    }
}
