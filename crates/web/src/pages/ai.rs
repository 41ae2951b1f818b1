//! `/reports/ai`: the AI score's evaluation page — the active model's holdout AUC, gain
//! chart ("the top 20 % of leads hold X % of the opportunities") and calibration plot as
//! SVG with their tables, the model versions (activate one: a rollback), training on
//! demand with its progress, the cold-start state, and the settings.
//!
//! `/reports/ai/backtest`: upload an Excel/CSV of past leads with their outcome, choose
//! the outcome column, and see how Ondo would have ranked them (the same evaluation as
//! `ondo model evaluate`).
//!
//! Everyone signed in reads the evaluation (counts and curves, no lead details, like the
//! other reports); admins and managers train and activate; admins change the settings;
//! everyone but sales runs a backtest.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ondo_domain::Role;
use ondo_jobs::ai::{self, AiError, ModelMetrics, ModelVersion, SettingsInput, TrainingRun};
use ondo_ml::evaluate::{EvaluateOptions, Evaluation};
use ondo_ml::metrics::{CalibrationBin, GainPoint};
use ondo_store::Actor;

use super::{Chrome, PageError, check_form_csrf, render};
use crate::auth::CurrentUser;
use crate::auth::csrf::tokens_match;
use crate::charts::{self, Line};
use crate::i18n::Tr;
use crate::state::AppState;

const PATH: &str = "/reports/ai";
const BACKTEST: &str = "/reports/ai/backtest";

fn may_train(user: &CurrentUser) -> bool {
    matches!(user.role(), Role::Admin | Role::Manager)
}

fn may_backtest(user: &CurrentUser) -> Result<(), PageError> {
    match user.role() {
        Role::Sales => Err(PageError::Forbidden(user.tr)),
        _ => Ok(()),
    }
}

fn ai_error(t: Tr, e: AiError) -> PageError {
    match e {
        AiError::NotFound => PageError::NotFound(t),
        AiError::Invalid { field, message } => PageError::BadRequest(
            t,
            format!("{}: {message}", t.t(&format!("ai-field-{field}"))),
        ),
        AiError::Store(e) => PageError::store(t)(e),
        other => {
            tracing::error!(error = %other, "AI score");
            PageError::Internal(t)
        }
    }
}

/// "0.812" for an AUC.
fn auc_text(auc: Option<f64>) -> String {
    auc.filter(|a| a.is_finite())
        .map_or_else(|| "—".into(), |a| format!("{a:.3}"))
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// One row of a table on the page.
pub struct Row {
    pub cells: Vec<String>,
}

/// One version in the versions table.
pub struct VersionRow {
    pub id: i64,
    pub version: i64,
    pub created: String,
    pub by: String,
    pub kind: String,
    pub rows: i64,
    pub positives: i64,
    pub cv_auc: String,
    pub holdout_auc: String,
    pub active: bool,
    pub note: String,
}

/// The curves and figures of one model (a stored version or a backtest).
pub struct Curves {
    pub gain_svg: String,
    pub gain_rows: Vec<Row>,
    pub calibration_svg: String,
    pub calibration_rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "ai_curves.html")]
struct CurvesPart<'a> {
    t: Tr,
    curves: &'a Curves,
}

/// The gain chart and calibration plot with their tables, as HTML.
fn curves_html(t: &Tr, gain: &[GainPoint], calibration: &[CalibrationBin]) -> String {
    let curves = curves(t, gain, calibration);
    CurvesPart {
        t: *t,
        curves: &curves,
    }
    .render()
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "AI curves template");
        String::new()
    })
}

/// "The top 20 % of leads by score hold X % of the opportunities."
fn top20(t: &Tr, gain: &[GainPoint]) -> String {
    share_at(gain, 0.2)
        .map(|share| t.t1("ai-top20", "share", &pct(share)))
        .unwrap_or_default()
}

fn curves(t: &Tr, gain: &[GainPoint], calibration: &[CalibrationBin]) -> Curves {
    let no_data = t.t("ai-no-data");
    let gain_svg = charts::unit_lines(
        &t.t("ai-gain-title"),
        &t.t("ai-gain-x"),
        &t.t("ai-gain-y"),
        &t.t("ai-gain-random"),
        &[Line {
            label: t.t("ai-gain-model"),
            points: gain
                .iter()
                .map(|g| (g.share_of_leads, g.share_of_positives))
                .collect(),
        }],
        &no_data,
    );
    let calibration_svg = charts::unit_lines(
        &t.t("ai-calibration-title"),
        &t.t("ai-calibration-x"),
        &t.t("ai-calibration-y"),
        &t.t("ai-calibration-ideal"),
        &[Line {
            label: t.t("ai-calibration-model"),
            points: calibration
                .iter()
                .map(|b| (b.mean_predicted, b.observed_rate))
                .collect(),
        }],
        &no_data,
    );
    Curves {
        gain_svg,
        gain_rows: gain
            .iter()
            .map(|g| Row {
                cells: vec![pct(g.share_of_leads), pct(g.share_of_positives)],
            })
            .collect(),
        calibration_svg,
        calibration_rows: calibration
            .iter()
            .map(|b| Row {
                cells: vec![
                    pct(b.mean_predicted),
                    pct(b.observed_rate),
                    b.count.to_string(),
                ],
            })
            .collect(),
    }
}

/// The share of positives held by the top `x` of leads, interpolated on the gain curve.
fn share_at(gain: &[GainPoint], x: f64) -> Option<f64> {
    let after = gain.iter().position(|g| g.share_of_leads >= x)?;
    let b = &gain[after];
    if after == 0 || (b.share_of_leads - x).abs() < 1e-9 {
        return Some(b.share_of_positives);
    }
    let a = &gain[after - 1];
    let span = b.share_of_leads - a.share_of_leads;
    if span <= 0.0 {
        return Some(b.share_of_positives);
    }
    Some(
        a.share_of_positives
            + (b.share_of_positives - a.share_of_positives) * (x - a.share_of_leads) / span,
    )
}

/// A model kind's name for people.
fn kind_label(t: &Tr, key: &str) -> String {
    let k = format!("ai-kind-{}", key.replace('_', "-"));
    if t.has(&k) { t.t(&k) } else { key.to_string() }
}

/// The model shown on the page, with its metrics.
pub struct Shown {
    pub version: i64,
    pub kind: String,
    pub active: bool,
    pub holdout_auc: String,
    pub holdout_rows: usize,
    pub holdout_positives: usize,
    pub train_rows: usize,
    pub features: usize,
    pub candidates: Vec<Row>,
    pub curves_html: String,
    pub top20: String,
}

/// The latest training run, for the status card.
pub struct RunView {
    pub state: String,
    pub state_label: String,
    pub phase_label: String,
    pub done: i64,
    pub total: i64,
    pub message: String,
    pub when: String,
    pub running: bool,
}

fn run_view(t: &Tr, run: TrainingRun) -> RunView {
    let running = run.is_active();
    RunView {
        state_label: t.t(&format!("ai-run-{}", run.state)),
        phase_label: run
            .phase
            .as_deref()
            .map(|p| t.t(&format!("ai-phase-{p}")))
            .unwrap_or_default(),
        done: run.progress_done,
        total: run.progress_total,
        message: match t.lang {
            crate::i18n::Lang::Ja => run.message_ja.unwrap_or_default(),
            crate::i18n::Lang::En => run.message_en.unwrap_or_default(),
        },
        when: t.datetime(run.finished_at.or(run.started_at).unwrap_or(run.created_at)),
        state: run.state,
        running,
    }
}

#[derive(Template)]
#[template(path = "ai.html")]
struct AiPage {
    c: Chrome,
    t: Tr,
    enabled: bool,
    shown: Option<Shown>,
    /// The cold-start explanation when no model is active.
    cold_start: Option<String>,
    run: Option<RunView>,
    /// Leads scored and to score while the active model's scoring job runs.
    scoring: Option<(i64, i64)>,
    versions: Vec<VersionRow>,
    may_train: bool,
    is_admin: bool,
    min_rows: i64,
    min_positives: i64,
    retrain_days: i64,
    error: Option<String>,
    notice: Option<String>,
}

/// `GET /reports/ai[?version=ID]`.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let notice = q.get("done").map(|d| user.tr.t(&format!("ai-notice-{d}")));
    let version = q.get("version").and_then(|v| v.parse::<i64>().ok());
    page(&state, &user, version, None, notice, StatusCode::OK).await
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    version: Option<i64>,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let t = user.tr;
    let ws = user.workspace;
    let settings = ai::settings(&state.db, ws)
        .await
        .map_err(|e| ai_error(t, e))?;
    let all = ai::list_versions(&state.db, ws)
        .await
        .map_err(|e| ai_error(t, e))?;
    let chosen: Option<&ModelVersion> = match version {
        Some(id) => Some(
            all.iter()
                .find(|v| v.id == id)
                .ok_or(PageError::NotFound(t))?,
        ),
        None => all.iter().find(|v| v.active),
    };
    let shown = chosen.and_then(|v| {
        let m: ModelMetrics = ai::model_metrics(v)?;
        Some(Shown {
            version: v.version,
            kind: kind_label(&t, &m.kind),
            active: v.active,
            holdout_auc: auc_text(Some(m.holdout_auc)),
            holdout_rows: m.holdout_rows,
            holdout_positives: m.holdout_positives,
            train_rows: m.train_rows,
            features: m.features,
            candidates: m
                .candidates
                .iter()
                .map(|c| Row {
                    cells: vec![kind_label(&t, c.kind.key()), auc_text(Some(c.cv_auc))],
                })
                .collect(),
            top20: top20(&t, &m.gain),
            curves_html: curves_html(&t, &m.gain, &m.calibration),
        })
    });
    let cold_start = if all.iter().any(|v| v.active) {
        None
    } else {
        let (rows, positives) = ai::train::outcome_counts(&state.db, ws)
            .await
            .map_err(|e| ai_error(t, e))?;
        Some(t.tn(
            "ai-cold-start",
            &[
                ("rows", rows.to_string()),
                ("positives", positives.to_string()),
                ("min_rows", settings.min_rows.to_string()),
                ("min_positives", settings.min_positives.to_string()),
            ],
        ))
    };
    let run = ai::latest_run(&state.db, ws)
        .await
        .map_err(|e| ai_error(t, e))?
        .map(|r| run_view(&t, r));
    // After a training or an activation, a job scores every lead with the active model.
    let scoring = ondo_store::jobs::latest(&state.db, ws, ai::SCORE_JOB)
        .await
        .map_err(|e| ai_error(t, e.into()))?
        .filter(|j| j.is_active())
        .map(|j| (j.progress_done, j.progress_total));
    let versions = all
        .iter()
        .map(|v| VersionRow {
            id: v.id,
            version: v.version,
            created: t.datetime(v.created_at),
            by: v
                .created_by_name
                .clone()
                .unwrap_or_else(|| t.t("ai-by-system")),
            kind: kind_label(&t, &v.kind),
            rows: v.rows_used,
            positives: v.positives,
            cv_auc: auc_text(v.cv_auc),
            holdout_auc: auc_text(v.holdout_auc),
            active: v.active,
            note: v.note.clone(),
        })
        .collect();
    Ok((
        status,
        render(&AiPage {
            c: Chrome::new(user, "reports", PATH),
            t,
            enabled: settings.enabled,
            shown,
            cold_start,
            run,
            scoring,
            versions,
            may_train: may_train(user),
            is_admin: user.role().can_admin(),
            min_rows: settings.min_rows,
            min_positives: settings.min_positives,
            retrain_days: settings.retrain_days,
            error,
            notice,
        }),
    )
        .into_response())
}

fn actor(user: &CurrentUser) -> Actor {
    Actor::user(user.user.id, "web")
}

/// `POST /reports/ai/train`: queue a training now (admins and managers).
pub async fn train(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    check_form_csrf(&user, &v)?;
    if !may_train(&user) {
        return Err(PageError::Forbidden(user.tr));
    }
    match ai::request_training(&state.db, user.workspace, &actor(&user), "manual").await {
        Ok(_) => Ok(Redirect::to(&format!("{PATH}?done=train")).into_response()),
        Err(AiError::Invalid { .. }) => {
            let msg = user.tr.t("ai-error-disabled");
            page(&state, &user, None, Some(msg), None, StatusCode::CONFLICT).await
        }
        Err(e) => Err(ai_error(user.tr, e)),
    }
}

/// `POST /reports/ai/versions/{id}/activate`: make a version the active one (admins and
/// managers); every lead is rescored with it in the background.
pub async fn activate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    check_form_csrf(&user, &v)?;
    if !may_train(&user) {
        return Err(PageError::Forbidden(user.tr));
    }
    ai::activate_version(&state.db, user.workspace, id, &actor(&user))
        .await
        .map_err(|e| ai_error(user.tr, e))?;
    Ok(Redirect::to(&format!("{PATH}?done=activate")).into_response())
}

/// `POST /reports/ai/settings` (admins).
pub async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(v): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    check_form_csrf(&user, &v)?;
    let t = user.tr;
    if !user.role().can_admin() {
        return Err(PageError::Forbidden(t));
    }
    let number = |field: &'static str| -> Result<i64, String> {
        v.get(field)
            .map(|s| s.trim())
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| {
                t.t1(
                    "ai-error-number",
                    "field",
                    &t.t(&format!("ai-field-{field}")),
                )
            })
    };
    let input = (|| -> Result<SettingsInput, String> {
        Ok(SettingsInput {
            enabled: v.get("enabled").is_some_and(|s| s == "on" || s == "true"),
            min_rows: number("min_rows")?,
            min_positives: number("min_positives")?,
            retrain_days: number("retrain_days")?,
        })
    })();
    let result = match input {
        Ok(input) => ai::save_settings(&state.db, user.workspace, input, &actor(&user))
            .await
            .map_err(|e| match e {
                AiError::Invalid { field, message } => {
                    Ok(format!("{}: {message}", t.t(&format!("ai-field-{field}"))))
                }
                other => Err(other),
            }),
        Err(msg) => Err(Ok(msg)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("{PATH}?done=settings")).into_response()),
        Err(Ok(msg)) => {
            page(
                &state,
                &user,
                None,
                Some(msg),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Err(e)) => Err(ai_error(t, e)),
    }
}

// ---------------------------------------------------------------------------------------
// Backtest

/// Where an uploaded spreadsheet waits while its outcome column is chosen: the import
/// wizard's upload folder, named by workspace, user and a random token.
fn backtest_path(user: &CurrentUser, token: &str) -> Option<std::path::PathBuf> {
    (!token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| {
        ondo_jobs::import::upload_dir().join(format!(
            "backtest-{}-{}-{token}",
            user.workspace.0, user.user.id
        ))
    })
}

/// One column offered as the outcome or for exclusion.
pub struct ColumnChoice {
    pub name: String,
    pub is_label: bool,
    pub excluded: bool,
}

/// A column of the result's table.
pub struct ColumnView {
    pub name: String,
    pub kind: String,
    pub used: bool,
    pub features: usize,
    pub present: usize,
    pub distinct: usize,
    pub reason: String,
}

/// A factor of the result.
pub struct FactorView {
    pub group: String,
    pub weight: String,
    pub raises: String,
    pub lowers: String,
}

/// The backtest's result as shown.
pub struct BacktestResult {
    pub auc: String,
    pub model: String,
    pub rows_train: usize,
    pub rows_test: usize,
    pub positives_test: usize,
    pub candidates: Vec<Row>,
    pub columns: Vec<ColumnView>,
    pub leaks: Vec<String>,
    pub factors: Vec<FactorView>,
    /// Which value counted as the outcome, which as not, and rows without one.
    pub label_values: String,
    pub curves_html: String,
    pub top20: String,
}

#[derive(Template)]
#[template(path = "ai_backtest.html")]
struct BacktestPage {
    c: Chrome,
    t: Tr,
    /// Set once a file is uploaded.
    token: String,
    file_name: String,
    columns: Vec<ColumnChoice>,
    holdout: String,
    seed: String,
    result: Option<BacktestResult>,
    error: Option<String>,
}

fn backtest_page(page: BacktestPage, status: StatusCode) -> Response {
    (status, render(&page)).into_response()
}

fn empty_page(user: &CurrentUser, error: Option<String>) -> BacktestPage {
    BacktestPage {
        c: Chrome::new(user, "reports", BACKTEST),
        t: user.tr,
        token: String::new(),
        file_name: String::new(),
        columns: Vec::new(),
        holdout: "0.2".into(),
        seed: "42".into(),
        result: None,
        error,
    }
}

/// `GET /reports/ai/backtest`: the upload form.
pub async fn backtest_form(user: CurrentUser) -> Result<Response, PageError> {
    may_backtest(&user)?;
    Ok(backtest_page(empty_page(&user, None), StatusCode::OK))
}

/// `POST /reports/ai/backtest`: keeps the uploaded file and goes to the column choice.
pub async fn backtest_upload(
    user: CurrentUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    may_backtest(&user)?;
    let t = user.tr;
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        let page = empty_page(&user, Some(t.t("import-too-large")));
                        return Ok(backtest_page(page, StatusCode::PAYLOAD_TOO_LARGE));
                    }
                }
            }
            _ => {}
        }
    }
    if !tokens_match(&csrf, &user.csrf) {
        return Err(PageError::Forbidden(t));
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let page = empty_page(&user, Some(t.t("import-no-file")));
        return Ok(backtest_page(page, StatusCode::UNPROCESSABLE_ENTITY));
    };
    // Read it once now, so a file that is not a table is refused on the spot.
    if let Err(e) = ondo_ingest::table::read_table(&bytes, &name, None, None) {
        let msg = t.t1("ai-backtest-unreadable", "error", &e.to_string());
        return Ok(backtest_page(
            empty_page(&user, Some(msg)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let token = crate::auth::session::random_token();
    let path = backtest_path(&user, &token).ok_or(PageError::Internal(t))?;
    let saved = std::fs::create_dir_all(path.parent().unwrap_or(&path))
        .and_then(|_| std::fs::write(&path, &bytes))
        .and_then(|_| std::fs::write(path.with_extension("name"), &name));
    if let Err(e) = saved {
        tracing::error!(error = %e, "cannot keep the backtest upload");
        return Err(PageError::Internal(t));
    }
    Ok(Redirect::to(&format!("{BACKTEST}/{token}")).into_response())
}

/// A likely outcome column: named like one.
fn looks_like_label(name: &str) -> bool {
    let n = name.to_lowercase();
    [
        "converted",
        "conversion",
        "won",
        "outcome",
        "成約",
        "受注",
        "商談化",
        "案件化",
        "結果",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// `GET /reports/ai/backtest/{token}[?label=…&exclude=…&holdout=…&seed=…]`: the column
/// choice, and with a label the evaluation.
pub async fn backtest_run(
    user: CurrentUser,
    Path(token): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    may_backtest(&user)?;
    let t = user.tr;
    let path = backtest_path(&user, &token).ok_or(PageError::NotFound(t))?;
    let (Ok(bytes), Ok(name)) = (
        std::fs::read(&path),
        std::fs::read_to_string(path.with_extension("name")),
    ) else {
        return Err(PageError::NotFound(t));
    };
    let get = |k: &str| {
        q.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let exclude: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "exclude")
        .map(|(_, v)| v.clone())
        .collect();
    let label = get("label").filter(|l| !l.is_empty());
    let holdout = get("holdout").unwrap_or_else(|| "0.2".into());
    let seed = get("seed").unwrap_or_else(|| "42".into());
    let name_for_read = name.clone();
    let table = tokio::task::spawn_blocking(move || {
        ondo_ingest::table::read_table(&bytes, &name_for_read, None, None)
    })
    .await
    .map_err(|_| PageError::Internal(t))?;
    let (headers, rows) = match table {
        Ok(t) => t,
        Err(e) => {
            let msg = t.t1("ai-backtest-unreadable", "error", &e.to_string());
            return Ok(backtest_page(
                empty_page(&user, Some(msg)),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let guessed = label
        .clone()
        .or_else(|| headers.iter().find(|h| looks_like_label(h)).cloned());
    let columns = headers
        .iter()
        .map(|h| ColumnChoice {
            name: h.clone(),
            is_label: guessed.as_deref() == Some(h.as_str()),
            excluded: exclude.contains(h),
        })
        .collect();
    let mut page = BacktestPage {
        c: Chrome::new(&user, "reports", BACKTEST),
        t,
        token,
        file_name: name,
        columns,
        holdout: holdout.clone(),
        seed: seed.clone(),
        result: None,
        error: None,
    };
    let Some(label) = label else {
        return Ok(backtest_page(page, StatusCode::OK));
    };
    let (Ok(holdout), Ok(seed)) = (holdout.parse::<f64>(), seed.parse::<u64>()) else {
        page.error = Some(t.t("ai-backtest-bad-options"));
        return Ok(backtest_page(page, StatusCode::UNPROCESSABLE_ENTITY));
    };
    if !(0.05..=0.5).contains(&holdout) {
        page.error = Some(t.t("ai-backtest-bad-options"));
        return Ok(backtest_page(page, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let opts = EvaluateOptions {
        label,
        exclude,
        holdout,
        seed,
        ..Default::default()
    };
    let table = ondo_ml::table::Table { headers, rows };
    let evaluation =
        tokio::task::spawn_blocking(move || ondo_ml::evaluate::evaluate(&table, &opts))
            .await
            .map_err(|_| PageError::Internal(t))?;
    match evaluation {
        Ok(e) => {
            page.result = Some(result_view(&t, e));
            Ok(backtest_page(page, StatusCode::OK))
        }
        Err(e) => {
            page.error = Some(t.t1("ai-backtest-failed", "error", &e.to_string()));
            Ok(backtest_page(page, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

fn result_view(t: &Tr, e: Evaluation) -> BacktestResult {
    let lang = t.code();
    BacktestResult {
        auc: auc_text(Some(e.auc)),
        model: kind_label(t, &e.model),
        rows_train: e.rows_train,
        rows_test: e.rows_test,
        positives_test: e.positives_test,
        candidates: e
            .candidates
            .iter()
            .map(|c| Row {
                cells: vec![kind_label(t, &c.model), auc_text(Some(c.cv_auc))],
            })
            .collect(),
        columns: e
            .columns
            .iter()
            .map(|c| ColumnView {
                name: c.name.clone(),
                kind: {
                    let k = format!("ai-column-{}", c.kind.key().replace('_', "-"));
                    if t.has(&k) {
                        t.t(&k)
                    } else {
                        c.kind.key().to_string()
                    }
                },
                used: c.used,
                features: c.features,
                present: c.present,
                distinct: c.distinct,
                reason: c.reason.clone().unwrap_or_default(),
            })
            .collect(),
        leaks: e
            .leak_warnings
            .iter()
            .map(|w| format!("{}: {}", w.column, w.message.get(lang)))
            .collect(),
        factors: e
            .top_factors
            .iter()
            .map(|f| FactorView {
                group: f.group.clone(),
                weight: format!("{:.2}", f.mean_abs_weight),
                raises: f
                    .raises
                    .as_ref()
                    .map(|w| w.get(lang).to_string())
                    .unwrap_or_default(),
                lowers: f
                    .lowers
                    .as_ref()
                    .map(|w| w.get(lang).to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        label_values: t.tn(
            "ai-backtest-label-values",
            &[
                ("positive", e.label_positive.clone()),
                ("negative", e.label_negative.clone()),
                ("skipped", e.rows_without_label.to_string()),
            ],
        ),
        top20: top20(t, &e.gain),
        curves_html: curves_html(t, &e.gain, &e.calibration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f64, y: f64) -> GainPoint {
        GainPoint {
            share_of_leads: x,
            share_of_positives: y,
        }
    }

    #[test]
    fn the_top_share_is_read_off_the_gain_curve() {
        let gain = [g(0.0, 0.0), g(0.1, 0.3), g(0.3, 0.6), g(1.0, 1.0)];
        assert_eq!(share_at(&gain, 0.1), Some(0.3));
        let at20 = share_at(&gain, 0.2).expect("inside the curve");
        assert!((at20 - 0.45).abs() < 1e-9, "{at20}");
        assert_eq!(share_at(&[], 0.2), None);
    }

    #[test]
    fn outcome_columns_are_guessed_by_name() {
        assert!(looks_like_label("Converted"));
        assert!(looks_like_label("成約フラグ"));
        assert!(!looks_like_label("Lead Source"));
    }
}
