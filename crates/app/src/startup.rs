use std::net::SocketAddr;

use ondo_store::Db;
use ondo_store::workspaces::Workspace;
use ondo_web::{AppState, WebConfig};
use tokio::net::TcpListener;

/// A built application: the listener is bound, so the port is known before it runs.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: Db,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port) and wires the routes over `db`.
    pub async fn build(
        db: Db,
        workspace: Workspace,
        listen: &str,
        web: WebConfig,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
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
        let router = ondo_web::router(AppState::new(db.clone(), workspace, web));
        Ok(Application {
            listener,
            router,
            db,
        })
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
        self.db.close().await;
        Ok(())
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
