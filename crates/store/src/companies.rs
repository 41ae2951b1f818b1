use ondo_domain::{CompanyName, Micros};

use crate::error::Result;
use crate::leads::Visibility;
use crate::{Actor, Db, Tx, WorkspaceId, with_db, with_tx};

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
    let mut tx = begin_matching(db, ws).await?;
    let company = find_or_create_in(&mut tx, ws, input).await?;
    tx.commit().await?;
    Ok(company)
}

/// [`find_or_create`], recording a company it creates in the audit log as `actor`'s.
pub async fn find_or_create_by(
    db: &Db,
    ws: WorkspaceId,
    input: &CompanyInput,
    actor: &Actor,
) -> Result<Option<Company>> {
    let mut tx = begin_matching(db, ws).await?;
    if let Some(found) = find_matching_in(&mut tx, ws, input).await? {
        tx.rollback().await?;
        return Ok(Some(found));
    }
    let created = insert_in(&mut tx, ws, input).await?;
    if let Some(c) = &created {
        let after = serde_json::json!({
            "name": c.display_name,
            "corporate_number": c.corporate_number,
            "domain": c.domain,
        })
        .to_string();
        let now = Micros::now().0;
        with_tx!(&mut tx, conn => {
            crate::insert_audit!(&mut **conn, ws, actor, "company", Some(c.id), "create", None::<&str>, Some(after.as_str()), now);
        });
    }
    tx.commit().await?;
    Ok(created)
}

/// A transaction that may create a company after looking for it: it holds the write lock
/// from the start (a read that then writes could be refused at once by SQLite when another
/// connection wrote meanwhile) and, on PostgreSQL, the workspace's matching lock, so that
/// two requests naming a new company at once create it once.
async fn begin_matching(db: &Db, ws: WorkspaceId) -> Result<Tx> {
    let mut tx = db.begin_write().await?;
    tx.lock_matching(ws, std::time::Duration::from_secs(10))
        .await?;
    Ok(tx)
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
    insert_in(tx, ws, input).await
}

/// A new company for this input (`None` without a name).
async fn insert_in(tx: &mut Tx, ws: WorkspaceId, input: &CompanyInput) -> Result<Option<Company>> {
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

/// How the company list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompanySort {
    /// By normalised name.
    #[default]
    Name,
    /// Most recent activity of any of its leads first; companies without any after
    /// those with, by name. Ranks at most [`LAST_ACTIVITY_RANK_LIMIT`] companies.
    LastActivity,
    /// Most leads first.
    People,
}

/// How many companies the last-activity order ranks: the walk that finds them grows
/// with how deep a page is, so it stops here instead of reading a workspace's whole
/// history for a page nobody pages to.
pub const LAST_ACTIVITY_RANK_LIMIT: i64 = 5_000;
/// At most this many activity, touchpoint and event rows are walked for one page.
const WALK_MAX_ROWS: i64 = 500_000;
/// A search matching this many companies or fewer is ranked by last activity lead by
/// lead, instead of walking the workspace's history for the few that match.
const FEW_MATCHES: i64 = 2_000;
/// How many of a company's people its summary names.
pub const SAMPLE_PEOPLE: i64 = 3;

/// Someone on our side who owns leads at a company.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CompanyOwner {
    pub user_id: i64,
    pub name: String,
    pub leads: i64,
}

/// A lead named in a company summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
}

/// A company with its people, their owners and their last activity.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CompanySummary {
    pub id: i64,
    pub display_name: String,
    pub domain: Option<String>,
    pub corporate_number: Option<String>,
    /// How many leads work there.
    pub people: i64,
    /// The owners of its leads, most leads first; unassigned leads count for nobody.
    pub owners: Vec<CompanyOwner>,
    /// The latest activity, touchpoint or event of any of its leads.
    pub last_activity_at: Option<i64>,
    /// Up to [`SAMPLE_PEOPLE`] of its leads, most recently active first.
    pub people_sample: Vec<PersonRef>,
}

/// The latest activity, touchpoint or event time of the lead `l`: one index seek into
/// each table (`*_lead` indexes end with `occurred_at`).
const LEAD_LAST_ACTIVITY: &str = "(SELECT MAX(v) FROM (\
     SELECT (SELECT MAX(a.occurred_at) FROM activities a WHERE a.workspace_id = l.workspace_id AND a.lead_id = l.id) AS v \
     UNION ALL SELECT (SELECT MAX(t.occurred_at) FROM touchpoints t WHERE t.workspace_id = l.workspace_id AND t.lead_id = l.id) \
     UNION ALL SELECT (SELECT MAX(e.occurred_at) FROM events e WHERE e.workspace_id = l.workspace_id AND e.lead_id = l.id)\
     ) lm)";

/// `%key%` for `LIKE … ESCAPE '\'`.
fn contains_pattern(key: &str) -> String {
    let escaped = key
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `$from, $from+1, …` for `n` values.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One page of companies, optionally only those whose normalised name contains
/// `name_key`, with their people, owners and last activity. The page's company ids are
/// found first; the aggregates are computed for those companies only.
pub async fn list(
    db: &Db,
    ws: WorkspaceId,
    name_key: &str,
    sort: CompanySort,
    limit: i64,
    offset: i64,
) -> Result<Vec<CompanySummary>> {
    list_filtered(
        db,
        ws,
        name_key,
        false,
        sort,
        limit,
        offset,
        Visibility::All,
    )
    .await
}

/// Companies whose leads have two or more different owners (an owner conflict, 二重アプローチ):
/// a short seek into `leads_company_name` per company the page walks.
const OWNER_CONFLICT: &str = " AND (SELECT COUNT(DISTINCT ol.owner_id) FROM leads ol \
    WHERE ol.workspace_id = c.workspace_id AND ol.company_id = c.id) > 1";

/// [`list`], optionally only companies with an owner conflict, with the people each
/// summary names limited to those `visibility` may see.
#[allow(clippy::too_many_arguments)]
pub async fn list_filtered(
    db: &Db,
    ws: WorkspaceId,
    name_key: &str,
    conflicts_only: bool,
    sort: CompanySort,
    limit: i64,
    offset: i64,
    visibility: Visibility,
) -> Result<Vec<CompanySummary>> {
    let pattern = (!name_key.is_empty()).then(|| contains_pattern(name_key));
    let pattern = pattern.as_deref();
    let extra = if conflicts_only { OWNER_CONFLICT } else { "" };
    let ids = match sort {
        CompanySort::Name => {
            ids_ordered(db, ws, pattern, extra, "c.name_key, c.id", limit, offset).await?
        }
        CompanySort::People => ids_by_people(db, ws, pattern, extra, limit, offset).await?,
        CompanySort::LastActivity => {
            let limit = limit.min(LAST_ACTIVITY_RANK_LIMIT - offset).max(0);
            if limit == 0 {
                return Ok(Vec::new());
            }
            if conflicts_only {
                // Conflicts are few: rank each of them instead of walking the history.
                let ids =
                    ids_by_last_activity_of_few(db, ws, pattern, extra, limit, offset).await?;
                return summaries_for(db, ws, &ids, visibility).await;
            }
            match pattern {
                Some(p) if count_matching(db, ws, p, FEW_MATCHES + 1).await? <= FEW_MATCHES => {
                    ids_by_last_activity_of_few(db, ws, Some(p), "", limit, offset).await?
                }
                _ => ids_by_last_activity(db, ws, pattern, limit, offset).await?,
            }
        }
    };
    summaries_for(db, ws, &ids, visibility).await
}

async fn ids_by_name(
    db: &Db,
    ws: WorkspaceId,
    pattern: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    ids_ordered(db, ws, pattern, "", "c.name_key, c.id", limit, offset).await
}

/// Ranking by people needs every (matching) company's count: one seek and a short
/// covering-index range per company.
async fn ids_by_people(
    db: &Db,
    ws: WorkspaceId,
    pattern: Option<&str>,
    extra: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    let order = "(SELECT COUNT(*) FROM leads l WHERE l.workspace_id = c.workspace_id \
        AND l.company_id = c.id) DESC, c.name_key, c.id";
    ids_ordered(db, ws, pattern, extra, order, limit, offset).await
}

/// A page of company ids (optionally only names matching `pattern`, and the `extra`
/// condition on `c`) in `order`.
async fn ids_ordered(
    db: &Db,
    ws: WorkspaceId,
    pattern: Option<&str>,
    extra: &str,
    order: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    let filter = if pattern.is_some() {
        " AND c.name_key LIKE $4 ESCAPE '\\'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT c.id FROM companies c WHERE c.workspace_id = $1{filter}{extra} \
         ORDER BY {order} LIMIT $2 OFFSET $3"
    );
    with_db!(db, pool => {
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(ws.0).bind(limit).bind(offset);
        if let Some(p) = pattern {
            q = q.bind(p);
        }
        Ok(q.fetch_all(pool).await?)
    })
}

async fn count_matching(db: &Db, ws: WorkspaceId, pattern: &str, cap: i64) -> Result<i64> {
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM (SELECT 1 FROM companies WHERE workspace_id = $1 \
             AND name_key LIKE $2 ESCAPE '\\' LIMIT $3) m",
        )
        .bind(ws.0)
        .bind(pattern)
        .bind(cap)
        .fetch_one(pool)
        .await?)
    })
}

/// The last-activity order of the few companies a search matches: each one's leads are
/// read with one seek per activity, touchpoint and event index.
async fn ids_by_last_activity_of_few(
    db: &Db,
    ws: WorkspaceId,
    pattern: Option<&str>,
    extra: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    let filter = if pattern.is_some() {
        " AND c.name_key LIKE $4 ESCAPE '\\'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT c.id FROM companies c WHERE c.workspace_id = $1{filter}{extra} \
         ORDER BY (SELECT MAX(x.v) FROM (SELECT {LEAD_LAST_ACTIVITY} AS v FROM leads l \
           WHERE l.workspace_id = c.workspace_id AND l.company_id = c.id) x) DESC NULLS LAST, \
         c.name_key, c.id LIMIT $2 OFFSET $3"
    );
    with_db!(db, pool => {
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(ws.0).bind(limit).bind(offset);
        if let Some(p) = pattern {
            q = q.bind(p);
        }
        Ok(q.fetch_all(pool).await?)
    })
}

/// The rows of one company among those the walk read.
#[derive(sqlx::FromRow)]
struct WalkGroup {
    company_id: i64,
    last_at: i64,
    first_at: i64,
    n: i64,
}

/// A company's last activity is where it first appears when the workspace's activities,
/// touchpoints and events are read from the newest back (three time-ordered index
/// scans merged). The walk reads `k` rows, and four times more while that shows too few
/// companies; only companies seen before the oldest row read are certain of their place.
async fn ids_by_last_activity(
    db: &Db,
    ws: WorkspaceId,
    pattern: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    let needed = offset + limit;
    let company_join = if pattern.is_some() {
        " JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id \
         AND c.name_key LIKE $3 ESCAPE '\\'"
    } else {
        ""
    };
    // PostgreSQL joins the whole tables before it sorts unless each table's newest rows
    // are limited on their own; SQLite merges the three index scans as they are and would
    // only read up to three times more with the inner limits.
    let per_table_limit = db.kind() == crate::DbKind::Postgres;
    let arm = |table: &str, alias: &str| {
        let select = format!(
            "SELECT l.company_id, {alias}.occurred_at FROM {table} {alias} \
             JOIN leads l ON l.workspace_id = {alias}.workspace_id AND l.id = {alias}.lead_id{company_join} \
             WHERE {alias}.workspace_id = $1 AND l.company_id IS NOT NULL"
        );
        if per_table_limit {
            format!("SELECT * FROM ({select} ORDER BY {alias}.occurred_at DESC LIMIT $2) w{alias}")
        } else {
            select
        }
    };
    let sql = format!(
        "SELECT company_id, MAX(occurred_at) AS last_at, MIN(occurred_at) AS first_at, COUNT(*) AS n FROM (\
         {} UNION ALL {} UNION ALL {} ORDER BY occurred_at DESC LIMIT $2) w GROUP BY company_id",
        arm("activities", "a"),
        arm("touchpoints", "t"),
        arm("events", "e"),
    );
    let mut k = (needed * 4).clamp(1_000, WALK_MAX_ROWS);
    loop {
        let groups = with_db!(db, pool => {
            let mut q = sqlx::query_as::<_, WalkGroup>(&sql).bind(ws.0).bind(k);
            if let Some(p) = pattern {
                q = q.bind(p);
            }
            q.fetch_all(pool).await?
        });
        let read: i64 = groups.iter().map(|g| g.n).sum();
        let exhausted = read < k;
        let oldest = groups.iter().map(|g| g.first_at).min().unwrap_or(i64::MIN);
        let mut ranked: Vec<(i64, i64)> = groups
            .iter()
            .filter(|g| exhausted || g.last_at > oldest)
            .map(|g| (g.last_at, g.company_id))
            .collect();
        ranked.sort_by_key(|&(last, id)| (std::cmp::Reverse(last), id));
        if (ranked.len() as i64) < needed && !exhausted && k < WALK_MAX_ROWS {
            k = (k * 4).min(WALK_MAX_ROWS);
            continue;
        }
        let mut ids: Vec<i64> = ranked.into_iter().map(|(_, id)| id).collect();
        if exhausted && (ids.len() as i64) < needed {
            // Companies without any activity, by name, after every company with some.
            let seen: std::collections::HashSet<i64> = ids.iter().copied().collect();
            let scan = needed + seen.len() as i64;
            let by_name = ids_by_name(db, ws, pattern, scan, 0).await?;
            ids.extend(by_name.into_iter().filter(|id| !seen.contains(id)));
        }
        return Ok(ids
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect());
    }
}

/// One row of the summary statement: a (company, owner) group of its leads, or one of
/// the people a company's summary names.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    company_id: i64,
    display_name: Option<String>,
    domain: Option<String>,
    corporate_number: Option<String>,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    leads: Option<i64>,
    last_at: Option<i64>,
    lead_id: Option<i64>,
    lead_name: Option<String>,
    /// The named person's place, most recently active first.
    lead_rank: Option<i64>,
}

/// The summaries of these companies of the workspace, in the order given (unknown ids
/// are left out). One statement: each lead of these companies is read once, with one
/// seek per activity, touchpoint and event index for its latest time.
pub async fn summaries(db: &Db, ws: WorkspaceId, ids: &[i64]) -> Result<Vec<CompanySummary>> {
    summaries_for(db, ws, ids, Visibility::All).await
}

/// [`summaries`] whose named people are only those `visibility` may see (the counts and
/// owners stay whole: a salesperson should know a company is someone else's).
pub async fn summaries_for(
    db: &Db,
    ws: WorkspaceId,
    ids: &[i64],
    visibility: Visibility,
) -> Result<Vec<CompanySummary>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(3, ids.len());
    let me = match visibility {
        Visibility::All => None,
        Visibility::Sales(me) => Some(me),
    };
    let visible = match me {
        None => String::new(),
        Some(_) => {
            let me = format!("${}", 3 + ids.len());
            format!(
                " WHERE pl.owner_id IS NULL OR pl.owner_id = {me} OR pl.company_id IN \
                 (SELECT mine.company_id FROM pl mine WHERE mine.owner_id = {me})"
            )
        }
    };
    let sql = format!(
        "WITH pl AS MATERIALIZED (\
           SELECT l.id, l.name, l.company_id, l.owner_id, {LEAD_LAST_ACTIVITY} AS last_at \
           FROM leads l WHERE l.workspace_id = $1 AND l.company_id IN ({list})), \
         owners AS (\
           SELECT company_id, owner_id, COUNT(*) AS leads, MAX(last_at) AS last_at \
           FROM pl GROUP BY company_id, owner_id), \
         sample AS (\
           SELECT company_id, id, name, ROW_NUMBER() OVER (\
             PARTITION BY company_id ORDER BY last_at DESC NULLS LAST, id DESC) AS rn FROM pl{visible}) \
         SELECT c.id AS company_id, c.display_name, c.domain, c.corporate_number, o.owner_id, \
           u.display_name AS owner_name, o.leads, o.last_at, \
           CAST(NULL AS BIGINT) AS lead_id, CAST(NULL AS TEXT) AS lead_name, \
           CAST(NULL AS BIGINT) AS lead_rank \
         FROM companies c \
         LEFT JOIN owners o ON o.company_id = c.id \
         LEFT JOIN users u ON u.workspace_id = c.workspace_id AND u.id = o.owner_id \
         WHERE c.workspace_id = $1 AND c.id IN ({list}) \
         UNION ALL \
         SELECT s.company_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s.id, s.name, s.rn \
         FROM sample s WHERE s.rn <= $2"
    );
    let rows = with_db!(db, pool => {
        let mut q = sqlx::query_as::<_, SummaryRow>(&sql).bind(ws.0).bind(SAMPLE_PEOPLE);
        for id in ids {
            q = q.bind(id);
        }
        if let Some(me) = me {
            q = q.bind(me);
        }
        q.fetch_all(pool).await?
    });
    let mut by_id: std::collections::HashMap<i64, CompanySummary> = Default::default();
    let mut sample: Vec<(i64, i64, PersonRef)> = Vec::new();
    for r in rows {
        if let (Some(id), Some(name)) = (r.lead_id, r.lead_name) {
            let rank = r.lead_rank.unwrap_or(i64::MAX);
            sample.push((r.company_id, rank, PersonRef { id, name }));
            continue;
        }
        let c = by_id.entry(r.company_id).or_insert_with(|| CompanySummary {
            id: r.company_id,
            display_name: r.display_name.unwrap_or_default(),
            domain: r.domain,
            corporate_number: r.corporate_number,
            people: 0,
            owners: Vec::new(),
            last_activity_at: None,
            people_sample: Vec::new(),
        });
        let leads = r.leads.unwrap_or(0);
        c.people += leads;
        c.last_activity_at = c.last_activity_at.max(r.last_at);
        if let Some(user_id) = r.owner_id {
            c.owners.push(CompanyOwner {
                user_id,
                name: r.owner_name.unwrap_or_default(),
                leads,
            });
        }
    }
    sample.sort_by_key(|&(company_id, rank, _)| (company_id, rank));
    for (company_id, _, person) in sample {
        if let Some(c) = by_id.get_mut(&company_id) {
            c.people_sample.push(person);
        }
    }
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|mut c| {
            c.owners
                .sort_by(|a, b| b.leads.cmp(&a.leads).then_with(|| a.name.cmp(&b.name)));
            c
        })
        .collect())
}

/// A lead of a company, for the company page.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CompanyPerson {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub status: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    /// The latest activity, touchpoint or event of this lead.
    pub last_activity_at: Option<i64>,
}

/// The company's leads, most recently active first, at most `limit`.
pub async fn people(
    db: &Db,
    ws: WorkspaceId,
    company_id: i64,
    limit: i64,
) -> Result<Vec<CompanyPerson>> {
    people_visible(db, ws, company_id, Visibility::All, limit).await
}

/// [`people`], only those `visibility` may see.
pub async fn people_visible(
    db: &Db,
    ws: WorkspaceId,
    company_id: i64,
    visibility: Visibility,
    limit: i64,
) -> Result<Vec<CompanyPerson>> {
    let (visible, me) = match visibility {
        Visibility::All => ("", None),
        Visibility::Sales(me) => (
            " AND (l.owner_id IS NULL OR l.owner_id = $4 OR EXISTS (SELECT 1 FROM leads m \
             WHERE m.workspace_id = $1 AND m.company_id = $2 AND m.owner_id = $4))",
            Some(me),
        ),
    };
    let sql = format!(
        "SELECT l.id, l.name, l.kana, l.title, l.department, l.status, l.owner_id, \
         u.display_name AS owner_name, {LEAD_LAST_ACTIVITY} AS last_activity_at \
         FROM leads l LEFT JOIN users u ON u.workspace_id = l.workspace_id AND u.id = l.owner_id \
         WHERE l.workspace_id = $1 AND l.company_id = $2{visible} \
         ORDER BY last_activity_at DESC NULLS LAST, l.id DESC LIMIT $3"
    );
    with_db!(db, pool => {
        let mut q = sqlx::query_as::<_, CompanyPerson>(&sql)
            .bind(ws.0)
            .bind(company_id)
            .bind(limit);
        if let Some(me) = me {
            q = q.bind(me);
        }
        Ok(q.fetch_all(pool).await?)
    })
}

#[cfg(test)]
mod tests {
    use ondo_domain::{CompanyName, LeadStatus, Micros};

    use super::*;
    use crate::bulk::{BulkEvent, BulkLead};
    use crate::leads::{LeadFields, NewTouchpoint};

    fn day(d: i64) -> Micros {
        Micros(1_767_225_600_000_000 + d * 86_400_000_000)
    }

    async fn company(db: &Db, ws: WorkspaceId, name: &str) -> i64 {
        let input = CompanyInput {
            name: Some(CompanyName::parse(name).expect("company name")),
            ..Default::default()
        };
        find_or_create(db, ws, &input)
            .await
            .expect("company")
            .expect("created")
            .id
    }

    fn lead(company_id: i64, touchpoint: Option<i64>, events: &[i64]) -> BulkLead {
        BulkLead {
            fields: LeadFields {
                name: "試験 太郎".into(),
                company_id: Some(company_id),
                ..Default::default()
            },
            status: LeadStatus::New,
            lost_reason: None,
            created_at: day(0),
            updated_at: day(0),
            touchpoints: touchpoint
                .map(|d| NewTouchpoint {
                    kind: "import".into(),
                    source: "展示会".into(),
                    occurred_at: day(d),
                    details: serde_json::json!({}),
                })
                .into_iter()
                .collect(),
            events: events
                .iter()
                .map(|d| BulkEvent {
                    kind: "page_view".into(),
                    at: day(*d),
                    url: None,
                    properties: serde_json::json!({}),
                })
                .collect(),
            activities: Vec::new(),
            status_changes: Vec::new(),
        }
    }

    /// Both ways of ranking by last activity — walking the history filtered by name, and
    /// reading the leads of each matching company — give one order, newest first, with
    /// companies never active last by name and other names left out.
    #[tokio::test]
    async fn walking_and_reading_each_company_rank_a_search_alike() {
        let db = crate::testing::fresh_db().await;
        let ws = crate::workspaces::ensure(&db, "acme")
            .await
            .expect("workspace")
            .id();
        let mut leads = Vec::new();
        let mut expected = Vec::new();
        for i in 0..30_i64 {
            let id = company(&db, ws, &format!("テスト{i:02}株式会社")).await;
            // Every third company is busy: many events, so the walk must read further back.
            let events: Vec<i64> = if i % 3 == 0 {
                (0..200).map(|k| i * 10 - k % 5).collect()
            } else {
                Vec::new()
            };
            leads.push(lead(id, Some(i * 10 - 7), &events));
            expected.push((i, id));
        }
        let silent = company(&db, ws, "テスト沈黙株式会社").await;
        let other = company(&db, ws, "株式会社ほか").await;
        leads.push(lead(other, Some(1_000), &[1_001]));
        crate::bulk::insert_leads(&db, ws, &leads)
            .await
            .expect("leads");
        expected.sort_by_key(|&(i, _)| std::cmp::Reverse(i));
        let mut expected: Vec<i64> = expected.into_iter().map(|(_, id)| id).collect();
        expected.push(silent);

        let pattern = contains_pattern("テスト");
        for (limit, offset) in [(100, 0), (5, 0), (5, 10), (3, 29)] {
            let want: Vec<i64> = expected.iter().copied().skip(offset).take(limit).collect();
            let (limit, offset) = (limit as i64, offset as i64);
            let walked = ids_by_last_activity(&db, ws, Some(&pattern), limit, offset)
                .await
                .expect("walk");
            let read = ids_by_last_activity_of_few(&db, ws, Some(&pattern), "", limit, offset)
                .await
                .expect("read");
            assert_eq!(walked, want, "walk, {limit} from {offset}");
            assert_eq!(read, want, "per company, {limit} from {offset}");
        }
    }
}
