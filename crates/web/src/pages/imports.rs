//! The import wizard: upload → detected encoding, layout and column mapping (editable) →
//! a dry-run preview of what will be created, merged, updated and rejected → run → a
//! report whose per-row errors can be downloaded.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use askama::Template;
use axum::extract::{Form, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ondo_ingest::{ColumnTarget, LeadField, OpenOptions, SourceFile};
use ondo_jobs::import::background::{self, JobOptions, JobStatus};
use ondo_jobs::import::{ImportMode, ImportOptions, ImportReport, ImportStage};
use ondo_store::import_jobs;
use ondo_store::imports::ImportRun;

use super::{Chrome, PageError, render};
use crate::auth::CurrentUser;
use crate::auth::csrf::tokens_match;
use crate::i18n::Tr;
use crate::state::AppState;

/// Largest file the wizard accepts.
pub const MAX_UPLOAD_BYTES: usize = 200 * 1024 * 1024;

fn may_import(user: &CurrentUser) -> Result<(), PageError> {
    match user.role() {
        ondo_domain::Role::Sales => Err(PageError::Forbidden(user.tr)),
        _ => Ok(()),
    }
}

/// Where an upload waits between the steps: named by workspace, user and a random
/// token, so nobody else can reach it.
fn upload_path(user: &CurrentUser, token: &str) -> Option<PathBuf> {
    token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        .then(|| {
            ondo_jobs::import::upload_dir()
                .join(format!("{}-{}-{token}", user.workspace.0, user.user.id))
        })
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    c: Chrome,
    t: Tr,
    runs: Vec<ImportRun>,
    jobs: Vec<JobRow>,
    error: Option<String>,
}

/// A background import that is running or did not finish, on the wizard's first page.
struct JobRow {
    id: i64,
    file_name: String,
    when: i64,
    stage: String,
    failed: bool,
}

pub async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    may_import(&user)?;
    index_page(&state, &user, None).await
}

async fn index_page(
    state: &AppState,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let runs = ondo_store::imports::list_runs(&state.db, user.workspace, 50)
        .await
        .map_err(PageError::store(t))?;
    let jobs = background::unfinished(&state.db, user.workspace, 10)
        .await
        .map_err(PageError::store(t))?
        .into_iter()
        .map(|j| JobRow {
            id: j.id,
            stage: stage_label(&t, &j),
            failed: j.state == import_jobs::FAILED,
            file_name: j.file_name,
            when: j.created_at,
        })
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        render(&ImportsPage {
            c: Chrome::new(user, "imports", "/imports"),
            t,
            runs,
            jobs,
            error,
        }),
    )
        .into_response())
}

/// Receives the file and goes to its preview.
pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    mut form: Multipart,
) -> Result<Response, PageError> {
    may_import(&user)?;
    let t = user.tr;
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut source = String::new();
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "source" => source = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        return index_page(&state, &user, Some(t.t("import-too-large"))).await;
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
        return index_page(&state, &user, Some(t.t("import-no-file"))).await;
    };
    let token = crate::auth::session::random_token();
    let path = upload_path(&user, &token).ok_or(PageError::Internal(t))?;
    let saved = std::fs::create_dir_all(path.parent().unwrap_or(&path))
        .and_then(|_| std::fs::write(&path, &bytes))
        .and_then(|_| std::fs::write(path.with_extension("name"), format!("{name}\n{source}")));
    if let Err(e) = saved {
        tracing::error!(error = %e, "cannot keep the upload");
        return Err(PageError::Internal(t));
    }
    Ok(Redirect::to(&format!("/imports/preview/{token}")).into_response())
}

/// One column of the mapping table.
pub struct MappingRow {
    pub index: usize,
    pub header: String,
    pub samples: String,
    pub choices: Vec<super::leads::Choice>,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    c: Chrome,
    t: Tr,
    token: String,
    file_name: String,
    source: String,
    mode: String,
    encoding: String,
    layout: String,
    mapping: Vec<MappingRow>,
    report: Option<ImportReport>,
    file_error: Option<String>,
}

fn target_value(t: &ColumnTarget) -> String {
    match t {
        ColumnTarget::Field(f) => f.key().to_string(),
        ColumnTarget::Custom(_) => "custom".into(),
        ColumnTarget::Ignore => "ignore".into(),
    }
}

fn choices(tr: &Tr, target: &ColumnTarget) -> Vec<super::leads::Choice> {
    let current = target_value(target);
    let mut out = vec![
        super::leads::Choice {
            value: "custom".into(),
            label: tr.t("import-target-custom"),
            selected: current == "custom",
        },
        super::leads::Choice {
            value: "ignore".into(),
            label: tr.t("import-target-ignore"),
            selected: current == "ignore",
        },
    ];
    out.extend(LeadField::ALL.iter().map(|f| super::leads::Choice {
        value: f.key().to_string(),
        label: match tr.lang {
            crate::i18n::Lang::Ja => f.label_ja().to_string(),
            crate::i18n::Lang::En => f.label_en().to_string(),
        },
        selected: current == f.key(),
    }));
    out
}

/// The column choices a preview form sends (`col_3 = email`), by column index.
fn mapping_from_form(form: &HashMap<String, String>) -> BTreeMap<usize, String> {
    form.iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("col_")?.parse().ok()?, v.clone())))
        .collect()
}

struct Upload {
    path: PathBuf,
    name: String,
    source: String,
}

fn load_upload(user: &CurrentUser, token: &str) -> Result<Upload, PageError> {
    let path = upload_path(user, token)
        .filter(|p| p.exists())
        .ok_or(PageError::NotFound(user.tr))?;
    let meta = std::fs::read_to_string(path.with_extension("name")).unwrap_or_default();
    let mut lines = meta.lines();
    Ok(Upload {
        name: lines.next().unwrap_or("upload").to_string(),
        source: lines.next().unwrap_or("").to_string(),
        path,
    })
}

pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    may_import(&user)?;
    let upload = load_upload(&user, &token)?;
    let source = if upload.source.is_empty() {
        upload.name.clone()
    } else {
        upload.source.clone()
    };
    preview_page(
        &state,
        &user,
        &token,
        &upload,
        &source,
        "upsert",
        None,
        &HashMap::new(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn preview_page(
    state: &AppState,
    user: &CurrentUser,
    token: &str,
    upload: &Upload,
    source: &str,
    mode: &str,
    encoding: Option<String>,
    form: &HashMap<String, String>,
) -> Result<Response, PageError> {
    let t = user.tr;
    let mut opts = OpenOptions {
        encoding: encoding.clone(),
        sheet: None,
        mapping: None,
    };
    let page = |mapping, report, file_error, enc: String, layout: String| PreviewPage {
        c: Chrome::new(user, "imports", "/imports"),
        t,
        token: token.to_string(),
        file_name: upload.name.clone(),
        source: source.to_string(),
        mode: mode.to_string(),
        encoding: enc,
        layout,
        mapping,
        report,
        file_error,
    };
    let file = match SourceFile::open(&upload.path, &opts) {
        Ok(f) => f,
        Err(e) => {
            return Ok(render(&page(
                Vec::new(),
                None,
                Some(e.to_string()),
                encoding.unwrap_or_default(),
                String::new(),
            )));
        }
    };
    let overrides = background::mapping_overrides(&file.columns, &mapping_from_form(form));
    let file = if overrides.is_empty() {
        file
    } else {
        opts.mapping = Some(overrides);
        match SourceFile::open(&upload.path, &opts) {
            Ok(f) => f,
            Err(e) => {
                return Ok(render(&page(
                    Vec::new(),
                    None,
                    Some(e.to_string()),
                    String::new(),
                    String::new(),
                )));
            }
        }
    };
    let mapping = file
        .columns
        .iter()
        .map(|c| MappingRow {
            index: c.index,
            header: c.header.clone(),
            samples: c.samples.join(" / "),
            choices: choices(&t, &c.target),
        })
        .collect();
    let enc = file.encoding.clone().unwrap_or_else(|| "—".into());
    let layout = format!("{:?}", file.layout);
    let options = ImportOptions {
        source: Some(source.to_string()),
        mode: ImportMode::parse(mode).unwrap_or(ImportMode::Upsert),
        dry_run: true,
        file_name: upload.name.clone(),
        actor: ondo_store::Actor::user(user.user.id, "web"),
        progress: None,
        chunk_rows: state.config.import_chunk_rows,
        // A large file's preview plans its first chunk: in the memory and time of one.
        preview_rows: Some(state.config.import_chunk_rows),
    };
    match ondo_jobs::import::run(&state.db, user.workspace, file, &options).await {
        Ok(report) => Ok(render(&page(mapping, Some(report), None, enc, layout))),
        Err(e) => Ok(render(&page(
            mapping,
            None,
            Some(e.to_string()),
            enc,
            layout,
        ))),
    }
}

/// Re-previews with the edited mapping, or runs the import.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    may_import(&user)?;
    let t = user.tr;
    if !tokens_match(
        form.get("csrf").map(String::as_str).unwrap_or(""),
        &user.csrf,
    ) {
        return Err(PageError::Forbidden(t));
    }
    let upload = load_upload(&user, &token)?;
    let source = form
        .get("source")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| upload.name.clone());
    let mode = form.get("mode").cloned().unwrap_or_else(|| "upsert".into());
    let encoding = form
        .get("encoding")
        .cloned()
        .filter(|e| !e.is_empty() && e != "—");
    if form.get("action").map(String::as_str) != Some("run") {
        return preview_page(
            &state, &user, &token, &upload, &source, &mode, encoding, &form,
        )
        .await;
    }
    if ImportMode::parse(&mode).is_none() {
        return Err(PageError::BadRequest(t, "mode".into()));
    }
    // A second click on "run" follows the first instead of importing the file twice.
    if let Some(job) = background::active_for_upload(&state.db, user.workspace, &token)
        .await
        .map_err(PageError::store(t))?
    {
        return Ok(Redirect::to(&format!("/imports/jobs/{}", job.id)).into_response());
    }
    let options = JobOptions {
        source,
        mode,
        encoding,
        mapping: mapping_from_form(&form),
        chunk_rows: state.config.import_chunk_rows,
    };
    let job = background::queue(
        &state.db,
        user.workspace,
        user.user.id,
        &token,
        &upload.path,
        &upload.name,
        &options,
    )
    .await
    .map_err(PageError::store(t))?;
    Ok(Redirect::to(&format!("/imports/jobs/{}", job.id)).into_response())
}

#[derive(Template)]
#[template(path = "import_job.html")]
struct JobPage {
    c: Chrome,
    t: Tr,
    job: JobStatus,
    stage: String,
    rows: String,
    percent: u64,
    error: Option<String>,
    /// The wizard's preview of the same upload, when it can be run again from there.
    retry: Option<String>,
}

/// A background import: its progress while it runs (the page refreshes itself every
/// second), the way to its report when done, or why it failed. `{id}.json` answers the
/// same as JSON.
pub async fn job(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let t = user.tr;
    if let Some(id) = id.strip_suffix(".json") {
        return Ok(job_json(&state, &user, id).await);
    }
    may_import(&user)?;
    let id: i64 = id.parse().map_err(|_| PageError::NotFound(t))?;
    let job = background::status(&state.db, user.workspace, id)
        .await
        .map_err(PageError::store(t))?;
    let stage = stage_label(&t, &job);
    let rows = rows_label(&t, &job);
    let error = (job.state == import_jobs::FAILED).then(|| failure_message(&t, &job));
    let retry = (job.state == import_jobs::FAILED && job.created_by == Some(user.user.id))
        .then(|| upload_path(&user, &job.upload_token))
        .flatten()
        .filter(|p| p.exists())
        .map(|_| format!("/imports/preview/{}", job.upload_token));
    // The page reloads itself until the job ends, then goes to the report: an HTTP
    // `Refresh`, which needs no script (the CSP allows none inline).
    let refresh = match (job.is_active(), job.import_id) {
        (true, _) => Some("1".to_string()),
        (false, Some(import_id)) => Some(format!("0; url=/imports/{import_id}")),
        (false, None) => None,
    };
    let page = render(&JobPage {
        c: Chrome::new(&user, "imports", &format!("/imports/jobs/{id}")),
        t,
        percent: job.permille / 10,
        job,
        stage,
        rows,
        error,
        retry,
    });
    Ok(match refresh {
        Some(r) => ([(axum::http::header::REFRESH, r)], page).into_response(),
        None => page,
    })
}

/// `GET /imports/jobs/{id}.json`: the job's state, stage (a key and in words), rows done
/// and total, progress in permille, the import when done, the error when failed.
async fn job_json(state: &AppState, user: &CurrentUser, id: &str) -> Response {
    use axum::http::StatusCode;
    let t = user.tr;
    let answer = |status: StatusCode, error: &str, message: String| {
        (
            status,
            axum::Json(serde_json::json!({ "error": error, "message": message })),
        )
            .into_response()
    };
    if may_import(user).is_err() {
        return answer(
            StatusCode::FORBIDDEN,
            "forbidden",
            t.t("error-forbidden-body"),
        );
    }
    let Ok(id) = id.parse::<i64>() else {
        return answer(
            StatusCode::NOT_FOUND,
            "not_found",
            t.t("error-not-found-body"),
        );
    };
    match background::status(&state.db, user.workspace, id).await {
        Ok(job) => {
            let mut body = serde_json::to_value(&job).unwrap_or_default();
            body["stage_label"] = stage_label(&t, &job).into();
            if job.state == import_jobs::FAILED {
                body["message"] = failure_message(&t, &job).into();
            }
            if let Some(import_id) = job.import_id {
                body["report_url"] = format!("/imports/{import_id}").into();
            }
            (
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                axum::Json(body),
            )
                .into_response()
        }
        Err(ondo_store::StoreError::NotFound) => answer(
            StatusCode::NOT_FOUND,
            "not_found",
            t.t("error-not-found-body"),
        ),
        Err(e) => {
            tracing::error!(error = %e, "storage error");
            answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                t.t("error-internal-body"),
            )
        }
    }
}

/// The stage in words.
fn stage_label(t: &Tr, job: &JobStatus) -> String {
    match job.state.as_str() {
        import_jobs::DONE => t.t("import-job-stage-done"),
        import_jobs::QUEUED => t.t("import-job-stage-queued"),
        _ => match job.stage.as_str() {
            background::INTERRUPTED => t.t("import-job-stage-interrupted"),
            key => match ImportStage::parse(key) {
                Some(ImportStage::Queued) => t.t("import-job-stage-queued"),
                Some(ImportStage::Reading) => t.t("import-job-stage-reading"),
                Some(ImportStage::LookingUp) => t.t("import-job-stage-looking-up"),
                Some(ImportStage::Matching) => t.t("import-job-stage-matching"),
                Some(ImportStage::WritingLeads) => t.t("import-job-stage-writing-leads"),
                Some(ImportStage::WritingTouchpoints) => {
                    t.t("import-job-stage-writing-touchpoints")
                }
                Some(ImportStage::Committing) => t.t("import-job-stage-committing"),
                Some(ImportStage::Done) => t.t("import-job-stage-done"),
                None => key.to_string(),
            },
        },
    }
}

/// "1,234 / 10,000 rows", "1,234 rows" when the total is not known yet.
fn rows_label(t: &Tr, job: &JobStatus) -> String {
    let n = |v: i64| {
        let digits = v.max(0).to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        out
    };
    if job.rows_total > 0 {
        let done = job.rows_done.min(job.rows_total);
        t.t1(
            "import-job-rows-of",
            "done",
            &format!("{} / {}", n(done), n(job.rows_total)),
        )
    } else {
        t.t1("import-job-rows", "done", &n(job.rows_done))
    }
}

/// Why a job failed, for the person who started it.
fn failure_message(t: &Tr, job: &JobStatus) -> String {
    if job.stage == background::INTERRUPTED {
        t.t("import-job-interrupted")
    } else {
        job.error.clone().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "import_report.html")]
struct ReportPage {
    c: Chrome,
    t: Tr,
    run: ImportRun,
    errors: Vec<ondo_jobs::import::RowMessage>,
    when: String,
}

async fn find_run(state: &AppState, user: &CurrentUser, id: i64) -> Result<ImportRun, PageError> {
    ondo_store::imports::get_run(&state.db, user.workspace, id)
        .await
        .map_err(PageError::store(user.tr))
}

pub async fn report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    may_import(&user)?;
    let t = user.tr;
    let run = find_run(&state, &user, id).await?;
    let errors = serde_json::from_str(&run.errors).unwrap_or_default();
    let when = t.datetime(run.created_at);
    Ok(render(&ReportPage {
        c: Chrome::new(&user, "imports", "/imports"),
        t,
        run,
        errors,
        when,
    }))
}

/// The rejected rows of an import as a CSV (UTF-8 with BOM).
pub async fn errors_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    may_import(&user)?;
    let run = find_run(&state, &user, id).await?;
    let errors: Vec<ondo_jobs::import::RowMessage> =
        serde_json::from_str(&run.errors).unwrap_or_default();
    let mut body = String::from("\u{feff}row,message\r\n");
    for e in errors {
        let msg = ondo_jobs::export::neutralise(&e.message).replace('"', "\"\"");
        body.push_str(&format!("{},\"{msg}\"\r\n", e.row));
    }
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-errors.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}
