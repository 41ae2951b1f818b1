//! `ondo model evaluate`: the backtest of the AI score on a spreadsheet of past leads, run
//! through the real binary on files written the way users have them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// Runs `ondo model evaluate ARGS…`.
fn evaluate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ondo"))
        .args(["model", "evaluate"])
        .args(args)
        .env("ONDO_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("ondo model evaluate runs")
}

/// Starts `ondo model evaluate ARGS…` without waiting for it.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ondo"))
        .args(["model", "evaluate"])
        .args(args)
        .env("ONDO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ondo model evaluate starts")
}

/// The one JSON object a successful `--json` run prints.
fn json_of(out: &Output) -> Value {
    let stdout = String::from_utf8(out.stdout.clone()).expect("utf-8 output");
    assert!(
        out.status.success(),
        "exit {:?}: {stdout} / {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one JSON object: {stdout}");
    serde_json::from_str(lines[0]).expect("JSON")
}

/// Rows of past leads whose outcome follows a known logit of the visits, the minutes on
/// the site and the source; with a lead number, a free-text memo, a column that restates
/// the outcome (with 7% noise) and 10 rows without an outcome.
fn past_leads(n: usize) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "リード番号",
        "流入元",
        "訪問回数",
        "滞在時間(分)",
        "メモ",
        "フォロー区分",
        "成約",
    ];
    let sources = [
        ("展示会", 1.5),
        ("Web", 0.0),
        ("紹介", 1.0),
        ("広告", -0.5),
        ("Select", -0.5),
    ];
    let topics = [
        "料金",
        "導入事例",
        "API連携",
        "サポート体制",
        "セキュリティ",
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(20261124);
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let (source, effect) = sources[rng.gen_range(0..sources.len())];
        let visits: u32 = rng.gen_range(0..25);
        let minutes = f64::from(rng.gen_range(0..200u32)) / 10.0;
        let logit = -2.2 + 0.12 * f64::from(visits) + 0.08 * minutes + effect;
        let won = rng.r#gen::<f64>() < 1.0 / (1.0 + (-logit).exp());
        let restated = if rng.r#gen::<f64>() < 0.07 { !won } else { won };
        let label = if i % 200 == 7 {
            ""
        } else if won {
            "成約"
        } else {
            "失注"
        };
        rows.push(vec![
            format!("{}", 100_000 + i),
            source.to_owned(),
            visits.to_string(),
            format!("{minutes:.1}"),
            format!(
                "{}について問い合わせ。{}名規模で検討中、担当者から{}日に折り返し予定（受付番号{}）",
                topics[i % topics.len()],
                rng.gen_range(5..500),
                rng.gen_range(1..28),
                i * 7919 % 100_000
            ),
            if restated { "A" } else { "B" }.to_owned(),
            label.to_owned(),
        ]);
    }
    (header, rows)
}

/// The rows as a comma-separated CP932 file with CRLF, as Excel saves CSV in Japan.
fn cp932_csv(dir: &Path, header: &[&str], rows: &[Vec<String>]) -> PathBuf {
    let mut text = header.join(",") + "\r\n";
    for row in rows {
        text += &row.join(",");
        text += "\r\n";
    }
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable, "test data is representable in CP932");
    let path = dir.join("past_leads.csv");
    std::fs::write(&path, bytes).expect("write");
    path
}

/// The rows as a UTF-8 file delimited by `;` with decimal commas, as European Excel saves.
fn semicolon_csv(dir: &Path, header: &[&str], rows: &[Vec<String>]) -> PathBuf {
    let mut text = header.join(";") + "\n";
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 3 {
                    c.replace('.', ",")
                } else {
                    c.clone()
                }
            })
            .collect();
        text += &cells.join(";");
        text += "\n";
    }
    let path = dir.join("past_leads_semicolon.csv");
    std::fs::write(&path, text).expect("write");
    path
}

fn column<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {}", result["columns"]))
}

fn warned(result: &Value) -> Vec<String> {
    result["leak_warnings"]
        .as_array()
        .expect("leak_warnings")
        .iter()
        .map(|w| w["column"].as_str().expect("column").to_owned())
        .collect()
}

/// What every run on the generated leads must show.
fn check_generated(result: &Value, auc_above: f64) {
    let auc = result["auc"].as_f64().expect("auc");
    assert!(auc > auc_above, "AUC {auc} should be above {auc_above}");
    assert_eq!(result["rows_without_label"], 10);
    assert_eq!(
        result["rows_train"].as_u64().unwrap() + result["rows_test"].as_u64().unwrap(),
        1990
    );
    let test = result["rows_test"].as_u64().expect("rows_test");
    assert!(
        (397..=399).contains(&test),
        "20% of the labelled rows: {test}"
    );
    let positives = result["positives_test"].as_u64().expect("positives_test");
    assert!(positives > 40 && positives < 358, "{positives}");
    assert_eq!(result["label_positive"], "成約");
    assert!(
        ["logistic_regression", "gradient_boosting"].contains(&result["model"].as_str().unwrap()),
        "{}",
        result["model"]
    );
    assert_eq!(result["candidates"].as_array().unwrap().len(), 2);
    assert_eq!(result["gain"].as_array().unwrap().len(), 11);
    assert!(!result["calibration"].as_array().unwrap().is_empty());

    let id = column(result, "リード番号");
    assert_eq!(id["kind"], "identifier");
    assert_eq!(id["used"], false);
    let memo = column(result, "メモ");
    assert_eq!(memo["kind"], "free_text");
    assert_eq!(memo["used"], false);
    for (name, kind) in [
        ("訪問回数", "numeric"),
        ("滞在時間(分)", "numeric"),
        ("流入元", "categorical"),
    ] {
        let c = column(result, name);
        assert_eq!(c["kind"], kind, "{name}: {c}");
        assert_eq!(c["used"], true, "{name}: {c}");
    }
    // `Select` is "nothing chosen": a missing value, not a source.
    assert_eq!(column(result, "流入元")["distinct"], 4);
    let factors: Vec<&str> = result["top_factors"]
        .as_array()
        .expect("top_factors")
        .iter()
        .map(|f| f["group"].as_str().unwrap())
        .collect();
    assert!(factors.contains(&"訪問回数"), "{factors:?}");
    assert!(!factors.contains(&"メモ"), "{factors:?}");
}

#[test]
fn cp932_csv_backtest_names_the_leak_and_leaves_out_ids_and_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (header, rows) = past_leads(2000);
    let path = cp932_csv(dir.path(), &header, &rows);
    let file = path.to_str().unwrap();

    let with_leak = json_of(&evaluate(&[
        "--csv", file, "--label", "成約", "--seed", "3", "--json",
    ]));
    check_generated(&with_leak, 0.9);
    assert_eq!(with_leak["encoding"], "Shift_JIS");
    assert!(
        warned(&with_leak).contains(&"フォロー区分".to_owned()),
        "{}",
        with_leak["leak_warnings"]
    );
    let warning = with_leak["leak_warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["column"] == "フォロー区分")
        .expect("the warning");
    assert!(
        warning["message"]["en"]
            .as_str()
            .unwrap()
            .contains("alone predicts the outcome"),
        "{warning}"
    );
    assert!(
        warning["message"]["ja"]
            .as_str()
            .unwrap()
            .contains("フォロー区分")
    );

    let honest = json_of(&evaluate(&[
        "--csv",
        file,
        "--label",
        "成約",
        "--exclude",
        "フォロー区分",
        "--seed",
        "3",
        "--json",
    ]));
    check_generated(&honest, 0.7);
    assert!(warned(&honest).is_empty(), "{}", honest["leak_warnings"]);
    assert!(
        honest["auc"].as_f64() < with_leak["auc"].as_f64(),
        "the leak made the AUC look better"
    );
    let excluded = column(&honest, "フォロー区分");
    assert_eq!(excluded["used"], false);
    assert_eq!(excluded["reason"], "excluded by the user");

    // Same seed, same split and model: the same AUC.
    let again = json_of(&evaluate(&[
        "--csv",
        file,
        "--label",
        "成約",
        "--exclude",
        "フォロー区分",
        "--seed",
        "3",
        "--json",
    ]));
    assert_eq!(again["auc"], honest["auc"]);
}

#[test]
fn semicolon_csv_with_decimal_commas_reads_the_numbers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (header, rows) = past_leads(2000);
    let path = semicolon_csv(dir.path(), &header, &rows);
    let result = json_of(&evaluate(&[
        "--csv",
        path.to_str().unwrap(),
        "--label",
        "成約",
        "--json",
    ]));
    check_generated(&result, 0.9);
    assert_eq!(result["delimiter"], ";");
    assert_eq!(result["encoding"], "UTF-8");
    assert!(warned(&result).contains(&"フォロー区分".to_owned()));

    // Without --json: a readable summary.
    let out = evaluate(&["--csv", path.to_str().unwrap(), "--label", "成約"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AUC on the test rows: 0."), "{text}");
    assert!(text.contains("warning: \"フォロー区分\""), "{text}");
    assert!(text.contains("left out: \"メモ\" (free_text"), "{text}");
}

#[test]
fn bad_input_exits_2_with_one_clear_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (header, rows) = past_leads(300);
    let path = cp932_csv(dir.path(), &header, &rows);
    let file = path.to_str().unwrap();

    let unknown = evaluate(&["--csv", file, "--label", "受注"]);
    assert_eq!(unknown.status.code(), Some(2));
    let message = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        message.contains("\"受注\"")
            && message.contains("\"流入元\"")
            && message.contains("\"成約\""),
        "names the missing column and the available ones: {message}"
    );
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(unknown.stdout.is_empty());

    let not_binary = evaluate(&["--csv", file, "--label", "流入元", "--json"]);
    assert_eq!(not_binary.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&not_binary.stdout);
    let error: Value = serde_json::from_str(stdout.trim()).expect("one JSON error object");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("exactly two values") && message.contains("\"展示会\""),
        "{message}"
    );

    let unknown_exclude = evaluate(&["--csv", file, "--label", "成約", "--exclude", "Tags"]);
    assert_eq!(unknown_exclude.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown_exclude.stderr).contains("\"Tags\""));

    let missing = evaluate(&["--csv", "no-such-file.csv", "--label", "成約"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.csv"));

    let holdout = evaluate(&["--csv", file, "--label", "成約", "--holdout", "1.5"]);
    assert_eq!(holdout.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&holdout.stderr).contains("holdout"));

    let few = cp932_csv(dir.path(), &header, &rows[..60]);
    let too_few = evaluate(&["--csv", few.to_str().unwrap(), "--label", "成約"]);
    assert_eq!(too_few.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&too_few.stderr).contains("not enough outcomes"),
        "{}",
        String::from_utf8_lossy(&too_few.stderr)
    );
}

/// The X Education leads (`../shared/data/x-education/Leads.csv`, see its SOURCE.md):
/// without the columns that leak the outcome the AUC is at least 0.85; with them, they
/// are named in warnings.
#[test]
fn x_education_leads() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/x-education/Leads.csv");
    if !path.exists() {
        eprintln!("skipping: {} is not present", path.display());
        return;
    }
    let file = path.to_str().unwrap();
    // The two runs (a minute each in a debug build) side by side.
    let honest = spawn(&[
        "--csv",
        file,
        "--label",
        "Converted",
        "--exclude",
        "Prospect ID,Lead Number,Tags,Lead Quality,Last Notable Activity,Last Activity,Lead Profile",
        "--seed",
        "1",
        "--json",
    ]);
    let leaky = spawn(&[
        "--csv",
        file,
        "--label",
        "Converted",
        "--seed",
        "1",
        "--json",
    ]);
    let honest = json_of(&honest.wait_with_output().expect("ondo finishes"));
    let leaky = json_of(&leaky.wait_with_output().expect("ondo finishes"));
    let auc = honest["auc"].as_f64().unwrap();
    assert!(auc >= 0.85, "AUC {auc}");
    assert_eq!(honest["rows_test"], 1848);
    assert_eq!(column(&honest, "Lead Source")["kind"], "categorical");

    let names = warned(&leaky);
    for leak in [
        "Tags",
        "Lead Quality",
        "Last Activity",
        "Last Notable Activity",
    ] {
        assert!(names.contains(&leak.to_owned()), "{leak} not in {names:?}");
    }
    for id in ["Prospect ID", "Lead Number"] {
        assert_eq!(column(&leaky, id)["kind"], "identifier", "{id}");
    }
    assert!(
        leaky["auc"].as_f64().unwrap() > auc,
        "the leaks inflate the AUC"
    );
}
