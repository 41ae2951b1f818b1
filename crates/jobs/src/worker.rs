//! The background worker of the durable jobs table: it leases due jobs, runs each by its
//! kind, and records the outcome. A handler's error is kept in the job's `last_error`
//! and the job is retried with exponential backoff until its last attempt; an error no
//! retry can mend (a payload that does not parse) fails it at once.
//!
//! Tests drive it synchronously with [`run_due`] and a `now` of their choosing.

use crate::scoring::rules_change;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ondo_domain::Micros;
use ondo_store::jobs::{self, Failure, Job};
use ondo_store::{Db, StoreError};

use crate::notify;
use crate::notify::mail::{MailConfigError, Mailer, SmtpMailer};

/// How long a leased job is its worker's before another may take it over. Every
/// handler's own timeouts (SMTP 30 s, webhooks 10 s) keep a batch well inside it.
pub const LEASE: Duration = Duration::from_secs(10 * 60);
/// Jobs leased at once by [`run_due`].
const BATCH: i64 = 10;
/// The first retry's delay; each further one doubles it, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(30);
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long one webhook request may take.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of the outside world the jobs talk to.
#[derive(Clone, Default)]
pub struct WorkerSettings {
    /// Where Ondo is reached, for links in messages, e.g. `https://ondo.example.jp`.
    pub public_url: String,
    /// The SMTP server (`ONDO_SMTP_URL`); without one, emails are not sent.
    pub smtp_url: Option<String>,
    /// The sender address; by default `Ondo <ondo@HOST>` with the public URL's host.
    pub smtp_from: Option<String>,
}

/// What every job handler may use.
#[derive(Clone)]
pub struct WorkerContext {
    pub db: Db,
    /// The public URL without a trailing slash.
    pub public_url: String,
    /// `None` when no SMTP server is configured.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The HTTP client for webhooks (no redirects, a short timeout).
    pub http: reqwest::Client,
}

/// The default sender: `Ondo <ondo@HOST>` with the host of the public URL, or
/// `localhost` when it has no domain name.
pub fn default_sender(public_url: &str) -> String {
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|u| match u.host() {
            Some(url::Host::Domain(d)) => Some(d.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "localhost".into());
    format!("Ondo <ondo@{host}>")
}

impl WorkerContext {
    /// Checks the mail settings (nothing is contacted yet).
    pub fn new(db: Db, settings: &WorkerSettings) -> Result<WorkerContext, MailConfigError> {
        let public_url = settings.public_url.trim_end_matches('/').to_string();
        let mailer: Option<Arc<dyn Mailer>> = match settings.smtp_url.as_deref() {
            Some(url) if !url.trim().is_empty() => {
                let from = settings
                    .smtp_from
                    .clone()
                    .filter(|f| !f.trim().is_empty())
                    .unwrap_or_else(|| default_sender(&public_url));
                Some(Arc::new(SmtpMailer::new(url.trim(), &from)?))
            }
            _ => None,
        };
        let http = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Ondo/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls and no custom roots builds");
        Ok(WorkerContext {
            db,
            public_url,
            mailer,
            http,
        })
    }

    /// The absolute address of a page, e.g. `/leads/42`.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// Why a job's attempt did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (a server did not answer, answered 5xx…).
    #[error("{0}")]
    Retry(String),
    /// No retry can mend it (the payload does not parse…): the job fails at once.
    #[error("{0}")]
    Permanent(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

/// The worker could not read or write the jobs table.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("jobs table: {0}")]
    Store(#[from] StoreError),
}

/// What a finished job says (see `ondo_store::jobs::JobReport::result`).
pub type JobResult = Result<Option<String>, JobError>;

/// Runs one job by its kind.
async fn dispatch(ctx: &WorkerContext, job: &Job, now: Micros) -> JobResult {
    match job.kind.as_str() {
        notify::EMAIL => notify::send_email(ctx, job, now).await,
        notify::WEBHOOK => notify::send_webhook(ctx, job, now).await,
        crate::campaigns::STEP_JOB => crate::campaigns::send::run_step(ctx, job, now).await,
        crate::campaigns::TEST_JOB => crate::campaigns::send::run_test(ctx, job, now).await,
        rules_change::RESCORE_JOB => rules_change::run_rescore_job(&ctx.db, job)
            .await
            .map(Some)
            .map_err(JobError::Retry),
        rules_change::RESCORE_LEADS_JOB => rules_change::run_rescore_leads_job(&ctx.db, job)
            .await
            .map(Some)
            .map_err(JobError::Retry),
        crate::ai::TRAIN_JOB => crate::ai::run_train_job(&ctx.db, job)
            .await
            .map(Some)
            .map_err(JobError::Retry),
        crate::ai::SCORE_JOB => crate::ai::run_score_job(&ctx.db, job)
            .await
            .map(Some)
            .map_err(JobError::Retry),
        other => Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
    }
}

/// The delay before the retry that follows attempt `attempts` (1-based).
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Runs a leased job and records how it went.
async fn run_leased(ctx: &WorkerContext, job: &Job, now: Micros) -> Result<(), WorkerError> {
    let outcome = dispatch(ctx, job, now).await;
    // The job may have taken a while: the outcome is recorded at the time it came.
    let finished = Micros(now.0.max(Micros::now().0));
    match outcome {
        Ok(result) => {
            if !jobs::complete(&ctx.db, job, finished.0, result.as_deref()).await? {
                tracing::warn!(job = job.id, kind = %job.kind, "job finished after its lease was taken over");
            }
        }
        Err(e) => {
            let message = e.to_string();
            let retry_at = match &e {
                JobError::Permanent(_) => None,
                _ => Some(now.saturating_add(micros(backoff(job.attempts))).0),
            };
            match jobs::fail(&ctx.db, job, finished.0, &message, retry_at).await? {
                Failure::Retry => tracing::warn!(
                    job = job.id, kind = %job.kind, attempt = job.attempts, error = %message,
                    "job failed; it will be retried"
                ),
                Failure::Failed => tracing::error!(
                    job = job.id, kind = %job.kind, attempt = job.attempts, error = %message,
                    "job failed for good"
                ),
                Failure::LeaseLost => tracing::warn!(
                    job = job.id, kind = %job.kind, error = %message,
                    "job failed after its lease was taken over"
                ),
            }
        }
    }
    Ok(())
}

/// Runs every job due at `now` once, one after another, and returns how many ran: the
/// synchronous worker of tests. A failed job's retry is due after `now`, so it waits for
/// a later call.
pub async fn run_due(ctx: &WorkerContext, now: Micros) -> Result<usize, WorkerError> {
    let mut ran = 0;
    loop {
        let batch = jobs::lease(&ctx.db, now.0, micros(LEASE), BATCH).await?;
        if batch.is_empty() {
            return Ok(ran);
        }
        for job in &batch {
            run_leased(ctx, job, now).await?;
            ran += 1;
        }
    }
}

/// Runs the next due job, if any; true when one ran.
async fn run_next(ctx: &WorkerContext) -> Result<bool, WorkerError> {
    let now = Micros::now();
    // A read first: an idle worker takes no write lock.
    if !jobs::any_due(&ctx.db, now.0).await? {
        return Ok(false);
    }
    let Some(job) = jobs::lease(&ctx.db, now.0, micros(LEASE), 1)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(false);
    };
    run_leased(ctx, &job, now).await?;
    Ok(true)
}

/// The background worker: runs due jobs one at a time, looks again every `poll` when
/// there is nothing to do, and stops between jobs once `shutdown` resolves (a job under
/// way finishes first; one cut off by a crash is taken again after its lease).
pub async fn run(ctx: WorkerContext, poll: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let ran = match run_next(&ctx).await {
            Ok(ran) => ran,
            Err(e) => {
                tracing::warn!(error = %e, "the job worker cannot read the jobs table");
                false
            }
        };
        if ran {
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                _ = std::future::ready(()) => continue,
            }
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Settles jobs a stopped process left running; call at start-up, before [`run`].
pub async fn recover(db: &Db) -> Result<jobs::Recovered, WorkerError> {
    Ok(jobs::recover(db, Micros::now().0).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(120));
        assert_eq!(backoff(8), Duration::from_secs(3600));
        assert_eq!(backoff(1000), Duration::from_secs(3600));
        assert_eq!(backoff(0), Duration::from_secs(30));
    }

    #[test]
    fn the_default_sender_uses_the_public_host() {
        assert_eq!(
            default_sender("https://ondo.example.jp"),
            "Ondo <ondo@ondo.example.jp>"
        );
        assert_eq!(
            default_sender("http://127.0.0.1:8080"),
            "Ondo <ondo@localhost>"
        );
    }
}
