use ondo_domain::Micros;

use crate::error::Result;
use crate::{Db, WorkspaceId, with_db};

/// One customer organisation (tenant).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Workspace {
    pub workspace_id: i64,
    pub name: String,
    pub display_name: String,
    pub created_at: i64,
}

impl Workspace {
    pub fn id(&self) -> WorkspaceId {
        WorkspaceId(self.workspace_id)
    }
}

/// The workspace called `name`, if it exists.
pub async fn find(db: &Db, name: &str) -> Result<Option<Workspace>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Workspace>(
            "SELECT workspace_id, name, display_name, created_at FROM workspaces WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(pool)
        .await?)
    })
}

/// The workspace called `name`, created if missing.
pub async fn ensure(db: &Db, name: &str) -> Result<Workspace> {
    if let Some(ws) = find(db, name).await? {
        return Ok(ws);
    }
    with_db!(db, pool => {
        sqlx::query(
            "INSERT INTO workspaces (name, display_name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(name)
        .bind(Micros::now().0)
        .execute(pool)
        .await?;
    });
    find(db, name).await?.ok_or(crate::StoreError::NotFound)
}

/// Renames what users see as the workspace's name.
pub async fn set_display_name(db: &Db, ws: WorkspaceId, display_name: &str) -> Result<()> {
    with_db!(db, pool => {
        sqlx::query("UPDATE workspaces SET display_name = $1 WHERE workspace_id = $2")
            .bind(display_name)
            .bind(ws.0)
            .execute(pool)
            .await?;
    });
    Ok(())
}
