use std::net::SocketAddr;

use ondo_jobs::worker::{WorkerContext, WorkerSettings};
use ondo_store::Db;
use ondo_store::workspaces::Workspace;
use ondo_web::{AppState, WebConfig};
use tokio::net::TcpListener;

/// How often the job worker looks for due jobs when it has nothing to do.
const JOB_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// A built application: the listener is bound, so the port is known before it runs.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: Db,
    worker: WorkerContext,
    job_worker: bool,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port) and wires the routes over `db`.
    pub async fn build(
        db: Db,
        workspace: Workspace,
        listen: &str,
        mut web: WebConfig,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        let public_url = match &web.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => default_public_url(listener.local_addr()?),
        };
        web.public_url = Some(public_url.clone());
        let worker = WorkerContext::new(
            db.clone(),
            &WorkerSettings {
                public_url,
                smtp_url: web.smtp_url.clone(),
                smtp_from: web.smtp_from.clone(),
            },
        )
        .map_err(|e| anyhow::anyhow!("cannot start: {e}"))?;
        // Jobs a stopped process left running did not finish: queue them again.
        let settled = ondo_jobs::worker::recover(&db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot settle interrupted jobs: {e}"))?;
        if settled.requeued + settled.failed > 0 {
            tracing::warn!(
                requeued = settled.requeued,
                failed = settled.failed,
                "jobs interrupted by a stop were settled"
            );
        }
        // Imports a stopped process left queued or running never finish now: settle them
        // before the wizard can queue new ones.
        let recovered = ondo_jobs::import::background::recover(&db, workspace.id())
            .await
            .map_err(|e| anyhow::anyhow!("cannot settle interrupted imports: {e}"))?;
        if recovered.failed + recovered.done > 0 {
            tracing::warn!(
                failed = recovered.failed,
                done = recovered.done,
                "imports interrupted by a stop were settled"
            );
        }
        ondo_store::workflow_settings::ensure_started(
            &db,
            workspace.id(),
            ondo_domain::Micros::now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the speed-to-lead rule: {e}"))?;
        let router = ondo_web::router(AppState::new(db.clone(), workspace, web));
        Ok(Application {
            listener,
            router,
            db,
            worker,
            job_worker: true,
        })
    }

    /// Leaves due jobs to [`ondo_jobs::worker::run_due`] instead of a background
    /// worker, so a test decides when they run and at what time.
    pub fn without_job_worker(mut self) -> Self {
        self.job_worker = false;
        self
    }

    /// What job handlers run with (the database, mail and webhook settings).
    pub fn worker_context(&self) -> WorkerContext {
        self.worker.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` resolves, then finishes the requests under way.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let jobs_db = self.db.clone();
        let mut jobs_rx = stop_rx.clone();
        let jobs = tokio::spawn(async move {
            ondo_jobs::run(jobs_db, std::time::Duration::from_secs(3600), async move {
                let _ = jobs_rx.wait_for(|v| *v).await;
            })
            .await
        });
        let worker = self.job_worker.then(|| {
            let ctx = self.worker.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(ondo_jobs::worker::run(ctx, JOB_POLL, async move {
                let _ = stop.wait_for(|v| *v).await;
            }))
        });
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await?;
        let _ = jobs.await;
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        self.db.close().await;
        Ok(())
    }
}

/// `http://` and the address Ondo listens on; `localhost` for an address that means
/// every interface.
fn default_public_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
