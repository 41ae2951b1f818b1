//! The AI score's pages: the backtest a marketer runs on a spreadsheet of past leads
//! (upload → choose the outcome column → AUC, gain chart, columns), and the evaluation
//! page's cold start.

use ondo_domain::Role;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::roles_matrix::browser;

/// A CSV of past leads whose outcome (結果: 成約/失注) follows the visits and the source,
/// with an id column, a free-text memo and a column whose name hides markup.
fn past_leads_csv(rows: usize) -> String {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut csv = String::from("顧客番号,流入元,訪問回数,メモ,<b>地域</b>,結果\n");
    for i in 0..rows {
        let source = ["展示会", "ウェブ", "紹介", "広告"][rng.gen_range(0..4)];
        let visits: u32 = rng.gen_range(0..12);
        let region = ["東京", "大阪", "名古屋"][rng.gen_range(0..3)];
        let logit = -2.5
            + 0.45 * f64::from(visits)
            + match source {
                "紹介" => 1.5,
                "展示会" => 0.5,
                _ => 0.0,
            };
        let converted = rng.r#gen::<f64>() < 1.0 / (1.0 + (-logit).exp());
        csv.push_str(&format!(
            "C{:06},{source},{visits},問い合わせ {i} 件目のメモ {},{region},{}\n",
            100_000 + i,
            rng.r#gen::<u32>(),
            if converted { "成約" } else { "失注" }
        ));
    }
    csv
}

fn number_after(html: &str, marker: &str) -> f64 {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"))
        + marker.len();
    html[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<String>()
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn a_marketer_backtests_a_spreadsheet_of_past_leads() {
    let app = spawn_app().await;
    app.user_with_token(app.ws(), "marketing@example.com", Role::Marketing)
        .await;
    let me = browser(&app, "marketing@example.com").await;

    let form = me
        .client
        .get(app.url("/reports/ai/backtest"))
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.expect("body").contains("type=\"file\""));

    let upload = |bytes: Vec<u8>, name: &'static str, csrf: String| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
        reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .part("file", part)
    };
    // Shift_JIS, as Excel saves it.
    let csv = past_leads_csv(1_500);
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&csv);
    let resp = me
        .client
        .post(app.url("/reports/ai/backtest"))
        .multipart(upload(
            sjis.into_owned(),
            "過去のリード.csv",
            me.csrf.clone(),
        ))
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.starts_with("/reports/ai/backtest/"), "{location}");

    // The column choice: the outcome column is guessed from its name.
    let choose = me
        .client
        .get(app.url(&location))
        .send()
        .await
        .expect("choice")
        .text()
        .await
        .expect("body");
    assert!(
        choose.contains("<option value=\"結果\" selected>"),
        "{choose}"
    );
    assert!(
        choose.contains("&#60;b&#62;地域&#60;/b&#62;") && !choose.contains("<b>地域</b>"),
        "a column name is escaped"
    );

    let result = me
        .client
        .get(app.url(&format!(
            "{location}?label=%E7%B5%90%E6%9E%9C&holdout=0.2&seed=3"
        )))
        .send()
        .await
        .expect("evaluation");
    assert_eq!(result.status(), StatusCode::OK);
    let html = result.text().await.expect("body");
    let auc = number_after(&html, "id=\"ai-backtest-auc\">");
    assert!(
        auc > 0.75,
        "the visits and the source predict the outcome: AUC {auc}"
    );
    assert!(html.contains("chart chart-lines"), "a gain chart is drawn");
    assert!(
        html.contains("スコア上位20%のリードに"),
        "the top-20 % sentence"
    );
    assert!(
        html.contains("「成約」"),
        "says which value counted as converted"
    );
    // The id and the memo are left out, with their kinds named.
    let columns = &html[html.find("id=\"table-ai-columns\"").expect("columns table")..];
    let row_of = |name: &str| {
        let at = columns
            .find(&format!(">{name}</th>"))
            .expect("the column's row");
        columns[at..columns[at..].find("</tr>").expect("row end") + at].to_string()
    };
    assert!(
        row_of("顧客番号").contains("ID・識別子"),
        "{}",
        row_of("顧客番号")
    );
    assert!(row_of("顧客番号").contains("不使用"));
    assert!(row_of("メモ").contains("不使用"));
    assert!(row_of("訪問回数").contains("使用 ("));

    // A column that is not there: named, nothing run.
    let wrong = me
        .client
        .get(app.url(&format!("{location}?label=Converted")))
        .send()
        .await
        .expect("wrong label");
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.expect("body").contains("Converted"));

    // Another user cannot reach this upload; sales may not backtest at all.
    app.user_with_token(app.ws(), "manager@example.com", Role::Manager)
        .await;
    let other = browser(&app, "manager@example.com").await;
    let theirs = other
        .client
        .get(app.url(&location))
        .send()
        .await
        .expect("other user");
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    app.user_with_token(app.ws(), "sato@example.com", Role::Sales)
        .await;
    let sales = browser(&app, "sato@example.com").await;
    let refused = sales
        .client
        .get(app.url("/reports/ai/backtest"))
        .send()
        .await
        .expect("sales");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // A file that is not a table is refused on the spot, naming the problem.
    let png = me
        .client
        .post(app.url("/reports/ai/backtest"))
        .multipart(upload(
            vec![0x89, b'P', b'N', b'G', 0, 0, 0, 0, 0, 1, 2, 3],
            "photo.csv",
            me.csrf.clone(),
        ))
        .send()
        .await
        .expect("binary upload");
    assert_eq!(png.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(png.text().await.expect("body").contains("binary"));
}

#[tokio::test]
async fn without_enough_outcomes_the_page_says_so_and_keeps_the_rule_scores() {
    let app = spawn_app().await;
    let admin = browser(&app, "admin@example.com").await;
    let html = admin
        .client
        .get(app.url("/reports/ai"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(html.contains("まだモデルがありません"), "{html}");
    assert!(
        html.contains("200件 (うち 40件) 以上で学習できます"),
        "{html}"
    );

    // Training now with no outcomes stores no model and says why.
    let resp = admin
        .client
        .post(app.url("/reports/ai/train"))
        .form(&[("csrf", admin.csrf.as_str())])
        .send()
        .await
        .expect("train");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mut message = String::new();
    // The app's job worker runs the training.
    for _ in 0..200 {
        let run = ondo_jobs::ai::latest_run(&app.db, app.ws())
            .await
            .expect("run")
            .expect("a run");
        if !run.is_active() {
            message = run.message_ja.unwrap_or_default();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        message.contains("学習に必要な結果が足りません"),
        "{message}"
    );
    let html = admin
        .client
        .get(app.url("/reports/ai"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(html.contains("学習に必要な結果が足りません"), "{html}");
    assert!(html.contains("まだ版はありません"));

    // Settings: a value out of range is named.
    let resp = admin
        .client
        .post(app.url("/reports/ai/settings"))
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("enabled", "on"),
            ("min_rows", "10"),
            ("min_positives", "5"),
            ("retrain_days", "7"),
        ])
        .send()
        .await
        .expect("settings");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .expect("body")
            .contains("学習に必要な結果の件数")
    );
}
