//! `ondo-bench gen-import`: a CP932 CSV as Excel saves it, with people the seeded
//! workspace already holds (written the way other sources write them), duplicates within
//! the file, and new people.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration, Month};

use crate::vocab::TITLES;
use crate::world::{Person, World, shared_data_dir};

/// The header, as a Japanese trade-show or business-card export writes it.
pub const HEADER: [&str; 11] = [
    "会社名",
    "氏名",
    "フリガナ",
    "メールアドレス",
    "電話番号",
    "携帯電話",
    "部署",
    "役職",
    "郵便番号",
    "住所",
    "名刺交換日",
];

/// What `gen-import` writes.
pub struct Options {
    pub out: PathBuf,
    pub rows: u64,
    pub existing: u64,
    pub overlap: f64,
    pub duplicates: f64,
    pub seed: u64,
}

/// The file that records, for every data row, which person it describes: one line per
/// row with the person number `j` (`j < existing`: lead `j + 1` of the seeded workspace).
pub fn truth_path(csv: &Path) -> PathBuf {
    let mut p = csv.as_os_str().to_owned();
    p.push(".truth");
    PathBuf::from(p)
}

/// How the rows were planned.
#[derive(Debug, Default)]
pub struct Plan {
    /// Person number of each row, in file order, and whether the row is a repeat.
    pub rows: Vec<(u64, bool)>,
    pub overlap: usize,
    pub duplicates: usize,
    pub new: usize,
}

/// Which people the file's rows describe, in file order.
pub fn plan(o: &Options) -> anyhow::Result<Plan> {
    if !(0.0..=1.0).contains(&o.overlap) || !(0.0..=1.0).contains(&o.duplicates) {
        bail!("--overlap and --duplicates are shares between 0 and 1");
    }
    let rows = o.rows as usize;
    let overlap = ((rows as f64 * o.overlap).round() as usize).min(o.existing as usize);
    let duplicates = ((rows as f64 * o.duplicates).round() as usize).min(rows - overlap);
    if overlap + duplicates > rows || (duplicates > 0 && overlap + duplicates == rows) {
        bail!("--overlap plus --duplicates leave no room for the rows they repeat");
    }
    let new = rows - overlap - duplicates;
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x1A2B_3C4D);
    // Floyd's sampling: `overlap` distinct seeded people.
    let n = o.existing;
    let mut chosen: HashSet<u64> = HashSet::with_capacity(overlap);
    let mut picked = Vec::with_capacity(overlap);
    for k in n - overlap as u64..n {
        let t = rng.gen_range(0..=k);
        let j = if chosen.contains(&t) { k } else { t };
        chosen.insert(j);
        picked.push(j);
    }
    let mut base: Vec<u64> = picked;
    base.extend(o.existing..o.existing + new as u64);
    base.shuffle(&mut rng);
    let mut all: Vec<(u64, bool)> = base.iter().map(|&j| (j, false)).collect();
    for _ in 0..duplicates {
        all.push((base[rng.gen_range(0..base.len())], true));
    }
    all.shuffle(&mut rng);
    Ok(Plan {
        rows: all,
        overlap,
        duplicates,
        new,
    })
}

/// Writes the CSV (or, when `--out` ends in `.xlsx`, an Excel workbook of the same
/// cells, strings shared as Excel writes them) and its truth file.
pub fn run(o: &Options) -> anyhow::Result<()> {
    if o.out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        return run_xlsx(o);
    }
    let t = Instant::now();
    let world = World::new(o.seed, o.existing, shared_data_dir().as_deref());
    let plan = plan(o)?;
    let mut out: Vec<u8> = Vec::with_capacity(plan.rows.len() * 220);
    let mut truth = truth_header(o, plan.rows.len());
    let mut line = String::new();
    write_record(&mut line, HEADER.iter().map(|s| s.to_string()));
    encode_into(&mut out, &line, 0)?;
    for (k, fields) in rendered(o, &world, &plan, &mut truth)? {
        line.clear();
        write_record(&mut line, fields.into_iter());
        encode_into(&mut out, &line, k + 1)?;
    }
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(&o.out)
            .with_context(|| format!("cannot write {}", o.out.display()))?,
    );
    f.write_all(&out)?;
    f.flush()?;
    std::fs::write(truth_path(&o.out), truth)?;
    println!(
        "wrote {} ({} rows, {:.1} MB, CP932, CRLF): {} seeded people, {} repeats within the \
         file, {} new people; in {:.2} s",
        o.out.display(),
        plan.rows.len(),
        out.len() as f64 / 1e6,
        plan.overlap,
        plan.duplicates,
        plan.new,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_xlsx(o: &Options) -> anyhow::Result<()> {
    let t = Instant::now();
    let world = World::new(o.seed, o.existing, shared_data_dir().as_deref());
    let plan = plan(o)?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet_with_low_memory()?;
    ws.set_name("リード")?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let mut truth = truth_header(o, plan.rows.len());
    for (k, fields) in rendered(o, &world, &plan, &mut truth)? {
        for (c, f) in fields.iter().enumerate() {
            if !f.is_empty() {
                ws.write_string(k as u32 + 1, c as u16, f)?;
            }
        }
    }
    wb.save(&o.out)
        .with_context(|| format!("cannot write {}", o.out.display()))?;
    std::fs::write(truth_path(&o.out), truth)?;
    println!(
        "wrote {} ({} rows, {:.1} MB, xlsx): {} seeded people, {} repeats within the file, {} \
         new people; in {:.2} s",
        o.out.display(),
        plan.rows.len(),
        std::fs::metadata(&o.out)?.len() as f64 / 1e6,
        plan.overlap,
        plan.duplicates,
        plan.new,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The planned rows' cells, in file order with their index, each row's person recorded
/// in `truth` as it is rendered.
fn rendered<'a>(
    o: &'a Options,
    world: &'a World,
    plan: &'a Plan,
    truth: &'a mut String,
) -> anyhow::Result<impl Iterator<Item = (usize, Vec<String>)> + 'a> {
    let reference = Date::from_calendar_date(2026, Month::November, 20)?;
    Ok(plan.rows.iter().enumerate().map(move |(k, &(j, repeat))| {
        let person = world.person(j);
        let mut rng = ChaCha8Rng::seed_from_u64(o.seed ^ 0x5EED_F11E);
        rng.set_stream(k as u64);
        truth.push_str(&j.to_string());
        truth.push('\n');
        (
            k,
            render(world, &person, j < o.existing, repeat, reference, &mut rng),
        )
    }))
}

fn truth_header(o: &Options, rows: usize) -> String {
    let mut truth = String::with_capacity(rows * 8);
    truth.push_str(&format!(
        "# ondo-bench truth v1 seed={} existing={} rows={}\n",
        o.seed, o.existing, rows
    ));
    truth
}

/// Appends `line` encoded as CP932; a character CP932 cannot represent is an error.
fn encode_into(out: &mut Vec<u8>, line: &str, row: usize) -> anyhow::Result<()> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(line);
    if unmappable {
        bail!("row {row} has characters CP932 cannot represent: {line:?}");
    }
    out.extend_from_slice(&bytes);
    Ok(())
}

/// One CSV record as Excel writes it: quotes only where needed, CRLF.
fn write_record(line: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            line.push(',');
        }
        if f.contains([',', '"', '\r', '\n']) {
            line.push('"');
            line.push_str(&f.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&f);
        }
    }
    line.push_str("\r\n");
}

/// ASCII → full-width (ＡＢＣ１２３＠．).
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// Full-width katakana → half-width (ﾔﾏﾀﾞ ﾀﾛｳ).
fn half_width_kana(s: &str) -> String {
    const PLAIN: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー";
    const HALF: &str = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ";
    const VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボヴ";
    const VOICED_BASE: &str = "カキクケコサシスセソタチツテトハヒフヘホウ";
    const SEMI: &str = "パピプペポ";
    const SEMI_BASE: &str = "ハヒフヘホ";
    let half = |c: char| -> Option<char> {
        PLAIN
            .chars()
            .position(|p| p == c)
            .and_then(|i| HALF.chars().nth(i))
    };
    let mut out = String::new();
    for c in s.chars() {
        if let Some(h) = half(c) {
            out.push(h);
        } else if let Some(i) = VOICED.chars().position(|v| v == c) {
            let base = VOICED_BASE.chars().nth(i).and_then(half).unwrap_or(c);
            out.push(base);
            out.push('ﾞ');
        } else if let Some(i) = SEMI.chars().position(|v| v == c) {
            let base = SEMI_BASE.chars().nth(i).and_then(half).unwrap_or(c);
            out.push(base);
            out.push('ﾟ');
        } else if c == '\u{3000}' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Katakana → hiragana (やまだ たろう).
fn hiragana(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn company_text(raw: &str, rng: &mut ChaCha8Rng) -> String {
    let r = rng.gen_range(0..100);
    if raw.contains("株式会社") {
        match r {
            0..55 => raw.to_string(),
            55..70 => raw.replacen("株式会社", "(株)", 1),
            70..80 => raw.replacen("株式会社", "（株）", 1),
            80..85 => raw.replacen("株式会社", "㈱", 1),
            85..93 => raw.replace(['\u{3000}', ' '], ""),
            _ => raw.replacen("株式会社", "株式会社 ", 1),
        }
    } else if raw.contains("有限会社") && r < 40 {
        raw.replacen("有限会社", "(有)", 1)
    } else if r < 10 {
        format!(" {raw} ")
    } else {
        raw.to_string()
    }
}

fn email_text(email: &str, rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..100) {
        0..50 => email.to_string(),
        50..62 => {
            // "Taro.Yamada.123@…": capitalised words before the @.
            let (local, domain) = email.split_once('@').unwrap_or((email, ""));
            let local: Vec<String> = local
                .split('.')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            format!("{}@{domain}", local.join("."))
        }
        62..72 => email.to_ascii_uppercase(),
        72..87 => full_width(&email.to_ascii_uppercase()),
        87..95 => full_width(email),
        _ => format!(" {email} "),
    }
}

fn phone_text(national: &str, rng: &mut ChaCha8Rng) -> String {
    let digits: String = national.chars().filter(char::is_ascii_digit).collect();
    let without_zero = national.strip_prefix('0').unwrap_or(national);
    match rng.gen_range(0..100) {
        0..35 => national.to_string(),
        // A spreadsheet that took the number for a number dropped the leading 0.
        35..55 => digits[1..].to_string(),
        55..67 => format!("+81-{without_zero}"),
        67..75 => format!("+81 (0){}", without_zero.replace('-', " ")),
        75..87 => full_width(national),
        _ => {
            let (area, rest) = national.split_once('-').unwrap_or((national, ""));
            format!("({area}){rest}")
        }
    }
}

fn postcode_text(postcode: &str, rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..100) {
        0..50 => postcode.to_string(),
        50..70 => format!("〒{postcode}"),
        70..85 => postcode.replace('-', ""),
        _ => full_width(postcode),
    }
}

fn date_text(d: Date, rng: &mut ChaCha8Rng) -> String {
    let (y, m, day) = (d.year(), d.month() as u8, d.day());
    let reiwa = y - 2018;
    match rng.gen_range(0..100) {
        0..40 => format!("{y}/{m:02}/{day:02}"),
        40..55 => format!("{y}/{m}/{day}"),
        55..70 => format!("令和{reiwa}年{m}月{day}日"),
        70..80 => format!("{y}-{m:02}-{day:02}"),
        80..90 => format!("{y}年{m}月{day}日"),
        _ => format!("R{reiwa}.{m}.{day}"),
    }
}

/// The row's cells, written the way a source other than Ondo writes the person.
fn render(
    world: &World,
    p: &Person,
    seeded: bool,
    repeat: bool,
    reference: Date,
    rng: &mut ChaCha8Rng,
) -> Vec<String> {
    let company = world.company(p.company);
    let (family, family_kana, _) = p.family();
    let (given, given_kana, _) = p.given();
    let sep = match rng.gen_range(0..100) {
        0..40 => " ",
        40..80 => "\u{3000}",
        _ => "",
    };
    let name = format!("{family}{sep}{given}");
    // Rows without an email must still be recognisable: name, company and reading.
    let drop_email = rng.gen_bool(if repeat {
        0.3
    } else if seeded {
        0.05
    } else {
        0.02
    });
    let kana_full = format!("{family_kana}{sep}{given_kana}");
    let kana = match rng.gen_range(0..100) {
        0..45 => kana_full,
        45..70 => half_width_kana(&kana_full),
        70..95 => hiragana(&kana_full),
        _ if drop_email => format!("{family_kana} {given_kana}"),
        _ => String::new(),
    };
    let email = if drop_email {
        String::new()
    } else {
        email_text(&p.email, rng)
    };
    let blank = |rng: &mut ChaCha8Rng, share: f64| rng.gen_bool(if repeat { share } else { 0.0 });
    let phone = match &p.phone {
        Some(ph) if !blank(rng, 0.3) => phone_text(ph, rng),
        _ => String::new(),
    };
    let mobile = match &p.mobile {
        Some(m) if !blank(rng, 0.3) => phone_text(m, rng),
        _ => String::new(),
    };
    let department = match p.department {
        Some(d) if !blank(rng, 0.1) => d.to_string(),
        _ => String::new(),
    };
    // Some people were promoted since they were last seen.
    let title = if seeded && rng.gen_bool(0.1) {
        TITLES[rng.gen_range(0..TITLES.len())].0.to_string()
    } else {
        p.title.unwrap_or("").to_string()
    };
    let address = if rng.gen_bool(0.3) {
        full_width(&company.address)
    } else {
        company.address.clone()
    };
    let date = reference - Duration::days(rng.gen_range(0..540));
    vec![
        company_text(&company.raw, rng),
        name,
        kana,
        email,
        phone,
        mobile,
        department,
        title,
        postcode_text(company.postcode, rng),
        address,
        date_text(date, rng),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ondo_domain::{CompanyName, Email, Phone, parse_date, to_katakana};

    #[test]
    fn variants_normalise_to_the_originals() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let e = email_text("t.yamada.123@c42.example.co.jp", &mut rng);
            assert_eq!(
                Email::parse(&e).unwrap().as_str(),
                "t.yamada.123@c42.example.co.jp"
            );
            for national in ["03-1234-5678", "045-123-4567", "090-1234-5678"] {
                let p = phone_text(national, &mut rng);
                assert_eq!(Phone::parse(&p).unwrap().national(), national, "{p}");
            }
            let c = company_text("株式会社　サカタのタネ", &mut rng);
            assert_eq!(
                CompanyName::parse(&c).unwrap().key(),
                CompanyName::parse("株式会社　サカタのタネ").unwrap().key(),
                "{c}"
            );
            let d = Date::from_calendar_date(2026, Month::October, 14).unwrap();
            assert_eq!(parse_date(&date_text(d, &mut rng)).unwrap(), d);
        }
        assert_eq!(half_width_kana("ヤマダ　タロウ"), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(hiragana("ヤマダ タロウ"), "やまだ たろう");
        assert_eq!(
            to_katakana(&half_width_kana("ゴトウ パピプ")),
            "ゴトウパピプ"
        );
        assert_eq!(full_width("T.YAMADA@"), "Ｔ．ＹＡＭＡＤＡ＠");
    }

    #[test]
    fn plan_has_the_requested_shares() {
        let o = Options {
            out: PathBuf::new(),
            rows: 1_000,
            existing: 10_000,
            overlap: 0.3,
            duplicates: 0.05,
            seed: 5,
        };
        let plan = plan(&o).unwrap();
        assert_eq!(plan.rows.len(), 1_000);
        assert_eq!(plan.rows.iter().filter(|r| r.1).count(), 50);
        let seeded: HashSet<u64> = plan
            .rows
            .iter()
            .filter(|r| !r.1 && r.0 < 10_000)
            .map(|r| r.0)
            .collect();
        assert_eq!(seeded.len(), 300);
    }
}
