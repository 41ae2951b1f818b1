use ondo_domain::{Micros, Role};

use crate::error::{Result, StoreError};
use crate::{Db, WorkspaceId, with_db};

/// A person on our side who signs in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub locale: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
}

impl User {
    /// The user's role; a stored role that no longer parses is treated as the least
    /// privileged one rather than failing every request.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Sales)
    }
}

const COLUMNS: &str =
    "id, workspace_id, email, display_name, role, password_hash, locale, disabled, created_at";

/// Creates a user; `Conflict` when the email is already taken in the workspace.
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
) -> Result<User> {
    let sql = format!(
        "INSERT INTO users (workspace_id, email, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    );
    with_db!(db, pool => {
        sqlx::query_as::<_, User>(&sql)
            .bind(ws.0)
            .bind(email)
            .bind(display_name)
            .bind(role.key())
            .bind(password_hash)
            .bind(Micros::now().0)
            .fetch_one(pool)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("user {email} already exists")),
                other => other,
            })
    })
}

pub async fn find_by_email(db: &Db, ws: WorkspaceId, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE workspace_id = $1 AND email = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, User>(&sql).bind(ws.0).bind(email).fetch_optional(pool).await?)
    })
}

pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<User> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE workspace_id = $1 AND id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, User>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// All users of the workspace, by display name.
pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<User>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE workspace_id = $1 ORDER BY role, display_name, id"
    );
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, User>(&sql).bind(ws.0).fetch_all(pool).await?)
    })
}

pub async fn set_password(db: &Db, ws: WorkspaceId, id: i64, password_hash: &str) -> Result<()> {
    with_db!(db, pool => {
        let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(password_hash)
            .bind(ws.0)
            .bind(id)
            .execute(pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
    });
    Ok(())
}

/// Sets the user's preferred UI language (`ja`, `en`) or clears it.
pub async fn set_locale(db: &Db, ws: WorkspaceId, id: i64, locale: Option<&str>) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query("UPDATE users SET locale = $1 WHERE workspace_id = $2 AND id = $3")
            .bind(locale)
            .bind(ws.0)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// How many users the workspace has.
pub async fn count(db: &Db, ws: WorkspaceId) -> Result<i64> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_one(pool)
            .await?)
    })
}
