//! Visitors of the customer's site seen by the tracking snippet, and the lead each one
//! turned out to be; each workspace's tracking keys and the domains its snippet may
//! report from.

use crate::error::Result;
use crate::{Db, Tx, WorkspaceId, with_db, with_tx};

/// A workspace's tracking settings.
#[derive(Clone)]
pub struct TrackingSettings {
    /// base64url of the 32-byte secret that signs the workspace's tokens.
    pub secret: String,
    /// The public key the snippet names the workspace by.
    pub site_key: String,
    /// The company named in the disclosure text; the workspace's name when unset.
    pub operator_name: Option<String>,
    /// Allowed site domains, sorted.
    pub domains: Vec<String>,
}

impl std::fmt::Debug for TrackingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackingSettings")
            .field("secret", &"…")
            .field("site_key", &self.site_key)
            .field("operator_name", &self.operator_name)
            .field("domains", &self.domains)
            .finish()
    }
}

/// Fresh random keys for a workspace that has none yet.
pub struct NewKeys<'a> {
    pub secret: &'a str,
    pub site_key: &'a str,
}

/// The workspace's tracking settings, if its keys were made.
pub async fn settings(db: &Db, ws: WorkspaceId) -> Result<Option<TrackingSettings>> {
    with_db!(db, pool => {
        let Some((secret, site_key, operator_name)) =
            sqlx::query_as::<_, (String, String, Option<String>)>(
                "SELECT secret, site_key, operator_name FROM tracking_settings WHERE workspace_id = $1",
            )
            .bind(ws.0)
            .fetch_optional(pool)
            .await?
        else {
            return Ok(None);
        };
        let domains = sqlx::query_scalar::<_, String>(
            "SELECT domain FROM tracking_domains WHERE workspace_id = $1 ORDER BY domain",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?;
        Ok(Some(TrackingSettings { secret, site_key, operator_name, domains }))
    })
}

/// Stores a workspace's first keys; when another request stored some first, theirs are
/// kept (see [`settings`]).
pub async fn create(db: &Db, ws: WorkspaceId, keys: &NewKeys<'_>) -> Result<()> {
    let now = ondo_domain::Micros::now().0;
    with_db!(db, pool => {
        sqlx::query(
            "INSERT INTO tracking_settings (workspace_id, secret, site_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (workspace_id) DO NOTHING",
        )
        .bind(ws.0)
        .bind(keys.secret)
        .bind(keys.site_key)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Replaces the allowed domains and the disclosure's company name, all or nothing. The
/// keys must exist (see [`create`]).
pub async fn save(
    db: &Db,
    ws: WorkspaceId,
    domains: &[String],
    operator_name: Option<&str>,
    actor: &crate::Actor,
) -> Result<()> {
    let now = ondo_domain::Micros::now().0;
    // The audit entry's before: what the settings page showed (never the secret).
    let before = settings(db, ws).await?.map(|s| {
        serde_json::json!({"domains": s.domains, "operator_name": s.operator_name}).to_string()
    });
    let after = serde_json::json!({"domains": domains, "operator_name": operator_name}).to_string();
    let mut tx = db.begin_write().await?;
    with_tx!(&mut tx, conn => {
        crate::insert_audit!(&mut **conn, ws, actor, "tracking_settings", None::<i64>, "update", before.as_deref(), Some(after.as_str()), now);
        let updated = sqlx::query(
            "UPDATE tracking_settings SET operator_name = $2, updated_at = $3 WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .bind(operator_name)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(crate::StoreError::NotFound);
        }
        sqlx::query("DELETE FROM tracking_domains WHERE workspace_id = $1")
            .bind(ws.0)
            .execute(&mut **conn)
            .await?;
        for d in domains {
            sqlx::query(
                "INSERT INTO tracking_domains (workspace_id, domain, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (workspace_id, domain) DO NOTHING",
            )
            .bind(ws.0)
            .bind(d)
            .bind(now)
            .execute(&mut **conn)
            .await?;
        }
    });
    tx.commit().await
}

/// Records that a visitor is this lead (`identified_by`: form, email_click or api); a
/// visitor identified before is moved to the newer lead.
pub async fn identify(
    tx: &mut Tx,
    ws: WorkspaceId,
    visitor_id: &str,
    lead_id: i64,
    identified_by: &str,
    at: i64,
) -> Result<()> {
    with_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO visitors (workspace_id, visitor_id, lead_id, identified_by, identified_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, visitor_id) DO UPDATE SET \
             lead_id = excluded.lead_id, identified_by = excluded.identified_by, \
             identified_at = excluded.identified_at",
        )
        .bind(ws.0)
        .bind(visitor_id)
        .bind(lead_id)
        .bind(identified_by)
        .bind(at)
        .execute(&mut **conn)
        .await?;
    });
    Ok(())
}

/// The lead a visitor was identified as, if any.
pub async fn lead_by_visitor(
    tx: &mut Tx,
    ws: WorkspaceId,
    visitor_id: &str,
) -> Result<Option<i64>> {
    with_tx!(tx, conn => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT lead_id FROM visitors WHERE workspace_id = $1 AND visitor_id = $2",
        )
        .bind(ws.0)
        .bind(visitor_id)
        .fetch_optional(&mut **conn)
        .await?)
    })
}

/// How a visitor was identified: (lead id, identified_by), if it was.
pub async fn visitor(db: &Db, ws: WorkspaceId, visitor_id: &str) -> Result<Option<(i64, String)>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, (i64, String)>(
            "SELECT lead_id, identified_by FROM visitors WHERE workspace_id = $1 AND visitor_id = $2",
        )
        .bind(ws.0)
        .bind(visitor_id)
        .fetch_optional(pool)
        .await?)
    })
}
