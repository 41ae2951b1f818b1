use ondo_domain::Micros;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::users::User;
use crate::{Db, WorkspaceId, with_db};

/// Hex SHA-256 of a secret: tokens and session ids are stored only as hashes, so a copy
/// of the database does not let anyone sign in.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Stores a new API token for `user_id`; the caller keeps the plain token.
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    user_id: i64,
    name: &str,
    token: &str,
) -> Result<i64> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>(
            "INSERT INTO api_tokens (workspace_id, user_id, name, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(ws.0)
        .bind(user_id)
        .bind(name)
        .bind(hash_secret(token))
        .bind(Micros::now().0)
        .fetch_one(pool)
        .await?)
    })
}

/// The enabled user a live token belongs to.
pub async fn authenticate(db: &Db, ws: WorkspaceId, token: &str) -> Result<Option<User>> {
    let hash = hash_secret(token);
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, User>(
            "SELECT u.id, u.workspace_id, u.email, u.display_name, u.role, u.password_hash, u.locale, \
                    u.disabled, u.created_at \
             FROM api_tokens t JOIN users u ON u.workspace_id = t.workspace_id AND u.id = t.user_id \
             WHERE t.workspace_id = $1 AND t.token_hash = $2 AND t.revoked_at IS NULL AND u.disabled = FALSE",
        )
        .bind(ws.0)
        .bind(hash)
        .fetch_optional(pool)
        .await?)
    })
}
