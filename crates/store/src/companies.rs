use ondo_domain::{CompanyName, Micros};

use crate::error::Result;
use crate::{Db, Tx, WorkspaceId, with_db, with_tx};

/// An organisation leads work for.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub legal_form: Option<String>,
    pub legal_form_position: Option<String>,
    pub name_key: String,
    pub display_name: String,
    pub raw_name: String,
    pub domain: Option<String>,
    pub corporate_number: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What is known about a company when a lead names it.
#[derive(Debug, Clone, Default)]
pub struct CompanyInput {
    pub name: Option<CompanyName>,
    pub corporate_number: Option<String>,
    pub domain: Option<String>,
    pub address: Option<String>,
    pub industry: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, name, legal_form, legal_form_position, name_key, display_name, raw_name, \
     domain, corporate_number, address, industry, created_at, updated_at";

pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Company> {
    let sql = format!("SELECT {COLUMNS} FROM companies WHERE workspace_id = $1 AND id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Company>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// The existing company this input identifies: by corporate number first, then by
/// normalised name with the same legal form, then by corporate email domain.
pub async fn find_matching(
    db: &Db,
    ws: WorkspaceId,
    input: &CompanyInput,
) -> Result<Option<Company>> {
    let mut tx = db.begin().await?;
    let found = find_matching_in(&mut tx, ws, input).await?;
    tx.rollback().await?;
    Ok(found)
}

/// `find_matching` inside a transaction.
pub async fn find_matching_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    input: &CompanyInput,
) -> Result<Option<Company>> {
    if let Some(cn) = &input.corporate_number {
        let sql = format!(
            "SELECT {COLUMNS} FROM companies WHERE workspace_id = $1 AND corporate_number = $2 ORDER BY id LIMIT 1"
        );
        let found = with_tx!(tx, conn => {
            sqlx::query_as::<_, Company>(&sql).bind(ws.0).bind(cn).fetch_optional(&mut **conn).await?
        });
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(name) = &input.name {
        let form = name.legal_form.map(|f| f.key().to_string());
        let sql = format!(
            "SELECT {COLUMNS} FROM companies WHERE workspace_id = $1 AND name_key = $2 \
             AND (COALESCE(legal_form, '') = COALESCE($3, '') OR legal_form IS NULL OR $3 IS NULL) \
             ORDER BY (COALESCE(legal_form, '') = COALESCE($3, '')) DESC, id LIMIT 1"
        );
        let found = with_tx!(tx, conn => {
            sqlx::query_as::<_, Company>(&sql)
                .bind(ws.0)
                .bind(name.key())
                .bind(form)
                .fetch_optional(&mut **conn)
                .await?
        });
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(domain) = &input.domain {
        let sql = format!(
            "SELECT {COLUMNS} FROM companies WHERE workspace_id = $1 AND domain = $2 ORDER BY id LIMIT 1"
        );
        let found = with_tx!(tx, conn => {
            sqlx::query_as::<_, Company>(&sql).bind(ws.0).bind(domain).fetch_optional(&mut **conn).await?
        });
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The matching company, or a new one when the input names a company nobody has yet.
/// Returns `None` when the input has no name and matches nothing.
pub async fn find_or_create(
    db: &Db,
    ws: WorkspaceId,
    input: &CompanyInput,
) -> Result<Option<Company>> {
    let mut tx = db.begin().await?;
    let company = find_or_create_in(&mut tx, ws, input).await?;
    tx.commit().await?;
    Ok(company)
}

/// `find_or_create` inside a transaction.
pub async fn find_or_create_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    input: &CompanyInput,
) -> Result<Option<Company>> {
    if let Some(found) = find_matching_in(tx, ws, input).await? {
        return Ok(Some(found));
    }
    let Some(name) = &input.name else {
        return Ok(None);
    };
    let now = Micros::now().0;
    let sql = format!(
        "INSERT INTO companies (workspace_id, name, legal_form, legal_form_position, name_key, display_name, \
         raw_name, domain, corporate_number, address, industry, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING {COLUMNS}"
    );
    with_tx!(tx, conn => {
        Ok(Some(
            sqlx::query_as::<_, Company>(&sql)
                .bind(ws.0)
                .bind(&name.name)
                .bind(name.legal_form.map(|f| f.key()))
                .bind(name.position.map(position_key))
                .bind(name.key())
                .bind(name.display())
                .bind(&name.raw)
                .bind(&input.domain)
                .bind(&input.corporate_number)
                .bind(&input.address)
                .bind(&input.industry)
                .bind(now)
                .fetch_one(&mut **conn)
                .await?,
        ))
    })
}

pub(crate) fn position_key(p: ondo_domain::LegalFormPosition) -> &'static str {
    match p {
        ondo_domain::LegalFormPosition::Before => "before",
        ondo_domain::LegalFormPosition::After => "after",
    }
}

/// A company with how many leads it has, for the company list.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CompanySummary {
    pub id: i64,
    pub display_name: String,
    pub domain: Option<String>,
    pub corporate_number: Option<String>,
    pub leads: i64,
}

/// Companies by name, optionally filtered by a search key, with lead counts.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<CompanySummary>> {
    let sql = "SELECT c.id, c.display_name, c.domain, c.corporate_number, \
               (SELECT COUNT(*) FROM leads l WHERE l.workspace_id = c.workspace_id AND l.company_id = c.id) AS leads \
               FROM companies c WHERE c.workspace_id = $1 AND ($2 = '' OR c.name_key LIKE '%' || $2 || '%') \
               ORDER BY c.name_key, c.id LIMIT $3 OFFSET $4";
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, CompanySummary>(sql)
            .bind(ws.0)
            .bind(q.unwrap_or(""))
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?)
    })
}
