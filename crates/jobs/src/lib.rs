//! The background worker and the jobs it runs: imports, rescoring, notifications, the
//! dormancy and speed-to-lead sweeps; training and email steps arrive with their issues.

pub mod ai;
pub mod campaigns;
pub mod export;
pub mod import;
pub mod notify;
pub mod scoring;
pub mod speed_to_lead;
pub mod worker;

use std::time::Duration;

use ondo_store::Db;

/// How often overdue sales-ready leads are looked for: an alert is at most this late.
pub const SPEED_TO_LEAD_EVERY: Duration = Duration::from_secs(60);

/// Runs housekeeping every `every`, and the speed-to-lead sweep every minute (or every
/// `every` if that is shorter), until `shutdown` resolves.
pub async fn run(db: Db, every: Duration, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(every);
    let mut speed_tick = tokio::time::interval(every.min(SPEED_TO_LEAD_EVERY));
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = speed_tick.tick() => {
                if let Err(e) = speed_to_lead::sweep(&db, ondo_domain::Micros::now()).await {
                    tracing::warn!(error = %e, "speed-to-lead sweep failed");
                }
                // Campaign triggers and SQL exits follow status changes and form submissions.
                if let Err(e) = campaigns::follow::tick(&db, ondo_domain::Micros::now()).await {
                    tracing::warn!(error = %e, "campaign follower failed");
                }
            }
            _ = tick.tick() => {
                let removed = import::purge_uploads(Duration::from_secs(24 * 3600));
                if removed > 0 {
                    tracing::info!(removed, "abandoned uploads removed");
                }
                if let Err(e) = scoring::sweep::sweep_all(&db, ondo_domain::Micros::now()).await {
                    tracing::warn!(error = %e, "dormancy sweep failed");
                }
                if let Err(e) = ai::queue_due_retrains(&db, ondo_domain::Micros::now()).await {
                    tracing::warn!(error = %e, "scheduled AI training not queued");
                }
                match db.refresh_statistics().await {
                    Ok(true) => tracing::info!("planner statistics of the leads refreshed"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "refreshing planner statistics failed"),
                }
                match ondo_store::sessions::purge_expired(&db).await {
                    Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "session purge failed"),
                }
            }
        }
    }
}
