use ondo_domain::Micros;

use crate::error::Result;
use crate::tokens::hash_secret;
use crate::users::User;
use crate::{Db, WorkspaceId, with_db};

/// A signed-in browser session; its id is stored hashed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
}

pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    session_id: &str,
    user_id: i64,
    csrf_token: &str,
    expires_at: Micros,
) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query(
            "INSERT INTO sessions (workspace_id, id, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(ws.0)
        .bind(hash_secret(session_id))
        .bind(user_id)
        .bind(csrf_token)
        .bind(Micros::now().0)
        .bind(expires_at.0)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// The live session and its enabled user.
pub async fn find(db: &Db, ws: WorkspaceId, session_id: &str) -> Result<Option<(Session, User)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        session: Session,
        #[sqlx(flatten)]
        user: User,
    }
    let sql = "SELECT s.csrf_token, s.expires_at, s.user_id, u.id, u.workspace_id, u.email, u.display_name, \
               u.role, u.password_hash, u.locale, u.disabled, u.created_at \
               FROM sessions s JOIN users u ON u.workspace_id = s.workspace_id AND u.id = s.user_id \
               WHERE s.workspace_id = $1 AND s.id = $2 AND s.expires_at > $3 AND u.disabled = FALSE";
    with_db!(db, pool => {
        let row = sqlx::query_as::<_, Row>(sql)
            .bind(ws.0)
            .bind(hash_secret(session_id))
            .bind(Micros::now().0)
            .fetch_optional(pool)
            .await?;
        Ok(row.map(|r| (r.session, r.user)))
    })
}

pub async fn delete(db: &Db, ws: WorkspaceId, session_id: &str) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(hash_secret(session_id))
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Removes expired sessions of every workspace.
pub async fn purge_expired(db: &Db) -> Result<u64> {
    with_db!(db, pool => {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(Micros::now().0)
            .execute(pool)
            .await?
            .rows_affected())
    })
}
