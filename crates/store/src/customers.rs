//! Customers (accounts on the CRM side): companies with a won lead. Derived from the
//! leads' statuses and their history, so there is nothing to keep in step.

use serde::Serialize;

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// A company that bought.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Customer {
    pub company_id: i64,
    pub display_name: String,
    /// When the first of its leads was won (`None` for a lead set to won without history).
    pub customer_since: Option<i64>,
    /// Its leads that are won now.
    pub won_leads: i64,
    /// All its leads (the account's contacts).
    pub contacts: i64,
}

/// One won deal of an account.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WonDeal {
    pub lead_id: i64,
    pub lead_name: String,
    pub won_at: i64,
    pub won_by: Option<String>,
}

const SELECT: &str = "SELECT c.id AS company_id, c.display_name, \
    (SELECT MIN(h.changed_at) FROM status_history h JOIN leads l2 \
       ON l2.workspace_id = h.workspace_id AND l2.id = h.lead_id \
     WHERE h.workspace_id = c.workspace_id AND l2.company_id = c.id AND h.to_status = 'won') AS customer_since, \
    (SELECT COUNT(*) FROM leads w WHERE w.workspace_id = c.workspace_id AND w.company_id = c.id \
       AND w.status = 'won') AS won_leads, \
    (SELECT COUNT(*) FROM leads a WHERE a.workspace_id = c.workspace_id AND a.company_id = c.id) AS contacts \
    FROM companies c";

/// The workspace's customers, the newest first; with `user_id`, only those where the user
/// owns a lead.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    user_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Customer>> {
    let sql = format!(
        "{SELECT} WHERE c.workspace_id = $1 AND c.id IN (SELECT company_id FROM leads \
         WHERE workspace_id = $1 AND status = 'won' AND company_id IS NOT NULL) \
         AND ($2 = 0 OR EXISTS (SELECT 1 FROM leads o WHERE o.workspace_id = c.workspace_id \
           AND o.company_id = c.id AND o.owner_id = $2)) \
         ORDER BY customer_since DESC, c.id DESC LIMIT $3"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Customer>(&sql)
            .bind(ws.0)
            .bind(user_id.unwrap_or(0))
            .bind(limit)
            .fetch_all(pool)
            .await?)
    })
}

/// One customer, or `None` when the company is not (or not yet) a customer.
pub async fn get(db: &Db, ws: WorkspaceId, company_id: i64) -> Result<Option<Customer>> {
    let sql = format!("{SELECT} WHERE c.workspace_id = $1 AND c.id = $2");
    let found = with_db!(db, pool => {
        sqlx::query_as::<_, Customer>(&sql)
            .bind(ws.0)
            .bind(company_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.filter(|c| c.won_leads > 0))
}

/// Whether `user_id` owns a lead of the company.
pub async fn owns_lead_in(db: &Db, ws: WorkspaceId, company_id: i64, user_id: i64) -> Result<bool> {
    with_db!(db, pool => {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM leads WHERE workspace_id = $1 AND company_id = $2 AND owner_id = $3",
        )
        .bind(ws.0)
        .bind(company_id)
        .bind(user_id)
        .fetch_one(pool)
        .await?;
        Ok(n > 0)
    })
}

/// The account's won deals (each lead's latest move to won), the newest first.
pub async fn won_deals(db: &Db, ws: WorkspaceId, company_id: i64) -> Result<Vec<WonDeal>> {
    let sql = "SELECT l.id AS lead_id, l.name AS lead_name, h.changed_at AS won_at, \
               u.display_name AS won_by FROM status_history h \
               JOIN leads l ON l.workspace_id = h.workspace_id AND l.id = h.lead_id \
               LEFT JOIN users u ON u.workspace_id = h.workspace_id AND u.id = h.changed_by \
               WHERE h.workspace_id = $1 AND l.company_id = $2 AND l.status = 'won' \
                 AND h.to_status = 'won' \
                 AND h.id = (SELECT MAX(h2.id) FROM status_history h2 WHERE h2.workspace_id = h.workspace_id \
                   AND h2.lead_id = h.lead_id AND h2.to_status = 'won') \
               ORDER BY h.changed_at DESC, l.id DESC";
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, WonDeal>(sql)
            .bind(ws.0)
            .bind(company_id)
            .fetch_all(pool)
            .await?)
    })
}
