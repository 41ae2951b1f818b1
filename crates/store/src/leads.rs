//! Leads: one record per person, with touchpoints, status history and the audit trail
//! written in the same transaction as the change.

use ondo_domain::{LeadStatus, Micros, fold_variants, search_fold, search_key};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Actor, Db, DbKind, Tx, WorkspaceId, with_db, with_tx};

/// A lead as stored, with the display names of its company and owner.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, serde::Deserialize)]
pub struct Lead {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub company_display: Option<String>,
    pub postcode: Option<String>,
    pub address: Option<String>,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub status: String,
    pub lost_reason: Option<String>,
    pub renurture_on: Option<i64>,
    pub custom_fields: String,
    pub consent_source: Option<String>,
    pub consent_at: Option<i64>,
    pub email_opt_out: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// See `ondo_store::scoring`: the time-invariant engagement key, the fit score and grade.
    #[serde(default)]
    pub engagement_key: Option<f64>,
    #[serde(default)]
    pub fit_score: f64,
    #[serde(default)]
    pub fit_grade: String,
    #[serde(default)]
    pub last_engaged_at: Option<i64>,
    #[serde(default)]
    pub returned_at: Option<i64>,
}

impl Lead {
    pub fn status(&self) -> LeadStatus {
        LeadStatus::parse(&self.status).unwrap_or(LeadStatus::New)
    }
    pub fn custom_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.custom_fields).unwrap_or_default()
    }
}

/// The editable fields of a lead, already parsed and normalised by the caller.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct LeadFields {
    pub name: String,
    pub kana: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub postcode: Option<String>,
    pub address: Option<String>,
    pub owner_id: Option<i64>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub consent_source: Option<String>,
    pub consent_at: Option<i64>,
    pub email_opt_out: bool,
}

impl LeadFields {
    /// The fields of a stored lead, to apply a change to.
    pub fn of(lead: &Lead) -> LeadFields {
        LeadFields {
            name: lead.name.clone(),
            kana: lead.kana.clone(),
            email: lead.email.clone(),
            phone: lead.phone.clone(),
            mobile: lead.mobile.clone(),
            title: lead.title.clone(),
            department: lead.department.clone(),
            company_id: lead.company_id,
            company_name: lead.company_name.clone(),
            postcode: lead.postcode.clone(),
            address: lead.address.clone(),
            owner_id: lead.owner_id,
            custom_fields: lead.custom_fields(),
            consent_source: lead.consent_source.clone(),
            consent_at: lead.consent_at,
            email_opt_out: lead.email_opt_out,
        }
    }

    /// Fills this lead's empty fields from `other`; never replaces a value. Differing
    /// values are returned as conflicts (field, kept value, other value) for the history.
    pub fn fill_empty_from(&mut self, other: &LeadFields) -> Vec<(&'static str, String, String)> {
        use ondo_domain::matching::merge_field;
        let mut conflicts = Vec::new();
        let mut kana = Some(self.kana.clone()).filter(|k| !k.is_empty());
        merge_field("kana", &mut kana, Some(other.kana.as_str()), &mut conflicts);
        self.kana = kana.unwrap_or_default();
        for (field, mine, theirs) in [
            ("email", &mut self.email, &other.email),
            ("phone", &mut self.phone, &other.phone),
            ("mobile", &mut self.mobile, &other.mobile),
            ("title", &mut self.title, &other.title),
            ("department", &mut self.department, &other.department),
            ("company_name", &mut self.company_name, &other.company_name),
            ("postcode", &mut self.postcode, &other.postcode),
            ("address", &mut self.address, &other.address),
            (
                "consent_source",
                &mut self.consent_source,
                &other.consent_source,
            ),
        ] {
            merge_field(field, mine, theirs.as_deref(), &mut conflicts);
        }
        self.company_id = self.company_id.or(other.company_id);
        self.owner_id = self.owner_id.or(other.owner_id);
        self.consent_at = self.consent_at.or(other.consent_at);
        self.email_opt_out |= other.email_opt_out;
        for (k, v) in &other.custom_fields {
            match self.custom_fields.get(k) {
                None => {
                    self.custom_fields.insert(k.clone(), v.clone());
                }
                Some(mine) if mine != v => {
                    conflicts.push(("custom_fields", format!("{k}: {mine}"), format!("{k}: {v}")))
                }
                Some(_) => {}
            }
        }
        conflicts
    }

    /// The key people are matched on: the normalised name without spaces.
    pub fn name_key(&self) -> String {
        name_key_of(&self.name)
    }

    /// What search matches against: name, reading, email, company and phones.
    pub fn search_text(&self) -> String {
        search_text_of(
            &self.name,
            &self.kana,
            [
                &self.email,
                &self.company_name,
                &self.department,
                &self.phone,
                &self.mobile,
            ],
        )
    }
}

/// A lead's search text from its name, reading and (email, company, department, phone,
/// mobile): one [`search_fold`] key, so variant kanji match either spelling.
fn search_text_of(name: &str, kana: &str, rest: [&Option<String>; 5]) -> String {
    let mut parts: Vec<&str> = vec![name, kana];
    parts.extend(rest.into_iter().flatten().map(String::as_str));
    search_fold(&parts.join(" \u{1f} "))
}

/// Leads whose search text is rewritten per transaction by [`reindex_search`].
const REINDEX_BATCH: i64 = 5_000;
/// Rows per `UPDATE … FROM (VALUES …)` statement of [`reindex_search`].
const REINDEX_ROWS_PER_STATEMENT: usize = 1_000;

/// Rewrites the search text of every lead of the workspaces listed in `search_reindex`
/// (a migration lists them when the search key changes), batch after batch, each batch
/// with its progress in one transaction, so a stop resumes where it was. Evaluates to
/// the leads rewritten.
pub async fn reindex_search(db: &Db) -> Result<u64> {
    let pending: Vec<(i64, i64)> = with_db!(db, pool => {
        sqlx::query_as("SELECT workspace_id, after_id FROM search_reindex ORDER BY workspace_id")
            .fetch_all(pool)
            .await?
    });
    let mut total = 0u64;
    for (ws, mut after) in pending {
        tracing::info!(
            workspace = ws,
            after_id = after,
            "rewriting lead search texts (variant kanji now match): about 15 s per million leads"
        );
        loop {
            type Row = (
                i64,
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let rows: Vec<Row> = with_db!(db, pool => {
                sqlx::query_as(
                    "SELECT id, name, kana, email, company_name, department, phone, mobile \
                     FROM leads WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(ws)
                .bind(after)
                .bind(REINDEX_BATCH)
                .fetch_all(pool)
                .await?
            });
            let mut tx = db.begin_write().await?;
            let Some(last) = rows.last().map(|r| r.0) else {
                with_tx!(&mut tx, conn => {
                    sqlx::query("DELETE FROM search_reindex WHERE workspace_id = $1")
                        .bind(ws)
                        .execute(&mut **conn)
                        .await?;
                });
                tx.commit().await?;
                break;
            };
            let texts: Vec<(i64, String)> = rows
                .iter()
                .map(
                    |(id, name, kana, email, company, department, phone, mobile)| {
                        let rest = [email, company, department, phone, mobile];
                        (*id, search_text_of(name, kana, rest))
                    },
                )
                .collect();
            for chunk in texts.chunks(REINDEX_ROWS_PER_STATEMENT) {
                with_tx!(&mut tx, conn => {
                    let mut qb = sqlx::QueryBuilder::new(
                        "UPDATE leads SET search_text = v.column2 FROM (",
                    );
                    qb.push_values(chunk, |mut b, (id, text)| {
                        b.push_bind(*id).push_bind(text.as_str());
                    });
                    qb.push(") AS v WHERE leads.workspace_id = ")
                        .push_bind(ws)
                        .push(" AND leads.id = v.column1 AND leads.search_text <> v.column2");
                    qb.build().execute(&mut **conn).await?;
                });
            }
            with_tx!(&mut tx, conn => {
                sqlx::query("UPDATE search_reindex SET after_id = $2 WHERE workspace_id = $1")
                    .bind(ws)
                    .bind(last)
                    .execute(&mut **conn)
                    .await?;
            });
            tx.commit().await?;
            total += rows.len() as u64;
            after = last;
        }
    }
    Ok(total)
}

/// A status change to record with a lead change.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub to: LeadStatus,
    pub reason: String,
    pub lost_reason: Option<String>,
    pub renurture_on: Option<i64>,
}

/// How a lead first reached us.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Touchpoint {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub occurred_at: i64,
    pub details: String,
}

/// A new touchpoint.
#[derive(Debug, Clone)]
pub struct NewTouchpoint {
    pub kind: String,
    pub source: String,
    pub occurred_at: Micros,
    pub details: serde_json::Value,
}

/// One row of a lead's status history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StatusHistoryRow {
    pub id: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: String,
    pub changed_by: Option<i64>,
    pub changed_by_name: Option<String>,
    pub changed_at: i64,
    /// The handoff rule that made the change (mql, sql, dormant, returned), if one did.
    pub rule: Option<String>,
    /// The rule's reason in English (`reason` holds it in Japanese).
    pub reason_en: Option<String>,
}

/// Inserts one lead row and evaluates to its id; a macro so one statement serves every
/// executor (pool transaction, `Tx`, either driver).
#[macro_export]
#[doc(hidden)]
macro_rules! insert_lead_row {
    ($exec:expr, $ws:expr, $f:expr, $status:expr, $lost_reason:expr, $created:expr, $updated:expr) => {{
        let f: &$crate::leads::LeadFields = $f;
        let custom = serde_json::to_string(&f.custom_fields).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO leads (workspace_id, name, kana, email, phone, mobile, title, department, company_id, \
             company_name, postcode, address, owner_id, status, lost_reason, custom_fields, consent_source, \
             consent_at, email_opt_out, search_text, name_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
             RETURNING id",
        )
        .bind($ws.0)
        .bind(&f.name)
        .bind(&f.kana)
        .bind(&f.email)
        .bind(&f.phone)
        .bind(&f.mobile)
        .bind(&f.title)
        .bind(&f.department)
        .bind(f.company_id)
        .bind(&f.company_name)
        .bind(&f.postcode)
        .bind(&f.address)
        .bind(f.owner_id)
        .bind($status)
        .bind($lost_reason)
        .bind(custom)
        .bind(&f.consent_source)
        .bind(f.consent_at)
        .bind(f.email_opt_out)
        .bind(f.search_text())
        .bind(f.name_key())
        .bind($created)
        .bind($updated)
        .fetch_one($exec)
        .await?;
        id
    }};
}

/// Replaces the editable fields of one lead row (not its status); evaluates to the number
/// of rows changed.
#[macro_export]
#[doc(hidden)]
macro_rules! update_lead_fields {
    ($exec:expr, $ws:expr, $id:expr, $f:expr, $now:expr) => {{
        let f: &$crate::leads::LeadFields = $f;
        let custom = serde_json::to_string(&f.custom_fields).map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "UPDATE leads SET name = $3, kana = $4, email = $5, phone = $6, mobile = $7, title = $8, \
             department = $9, company_id = $10, company_name = $11, postcode = $12, address = $13, owner_id = $14, \
             custom_fields = $15, consent_source = $16, consent_at = $17, email_opt_out = $18, search_text = $19, \
             name_key = $20, updated_at = $21 WHERE workspace_id = $1 AND id = $2",
        )
        .bind($ws.0)
        .bind($id)
        .bind(&f.name)
        .bind(&f.kana)
        .bind(&f.email)
        .bind(&f.phone)
        .bind(&f.mobile)
        .bind(&f.title)
        .bind(&f.department)
        .bind(f.company_id)
        .bind(&f.company_name)
        .bind(&f.postcode)
        .bind(&f.address)
        .bind(f.owner_id)
        .bind(custom)
        .bind(&f.consent_source)
        .bind(f.consent_at)
        .bind(f.email_opt_out)
        .bind(f.search_text())
        .bind(f.name_key())
        .bind($now)
        .execute($exec)
        .await?
        .rows_affected()
    }};
}

/// A lead's columns without the joined names (for reads inside a transaction, where the
/// names are not needed): `{BARE_SELECT} WHERE l.workspace_id = $1 AND …`.
pub(crate) const BARE_SELECT: &str = "SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.title, l.department, \
    l.company_id, l.company_name, NULL AS company_display, l.postcode, l.address, \
    l.owner_id, NULL AS owner_name, NULL AS owner_email, l.status, l.lost_reason, \
    l.renurture_on, l.custom_fields, l.consent_source, l.consent_at, l.email_opt_out, l.created_at, l.updated_at, \
    l.engagement_key, l.fit_score, l.fit_grade, l.last_engaged_at, l.returned_at \
    FROM leads l";

const SELECT: &str = "SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.title, l.department, \
    l.company_id, l.company_name, c.display_name AS company_display, l.postcode, l.address, \
    l.owner_id, u.display_name AS owner_name, u.email AS owner_email, l.status, l.lost_reason, \
    l.renurture_on, l.custom_fields, l.consent_source, l.consent_at, l.email_opt_out, l.created_at, l.updated_at, \
    l.engagement_key, l.fit_score, l.fit_grade, l.last_engaged_at, l.returned_at \
    FROM leads l \
    LEFT JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id \
    LEFT JOIN users u ON u.workspace_id = l.workspace_id AND u.id = l.owner_id";

/// The lead, or `NotFound` (also for a lead of another workspace).
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Lead> {
    let sql = format!("{SELECT} WHERE l.workspace_id = $1 AND l.id = $2");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Lead>(&sql).bind(ws.0).bind(id).fetch_one(pool).await?)
    })
}

/// [`get`] inside a transaction.
pub async fn get_in(tx: &mut Tx, ws: WorkspaceId, id: i64) -> Result<Lead> {
    let sql = format!("{SELECT} WHERE l.workspace_id = $1 AND l.id = $2");
    crate::with_tx!(tx, conn => {
        Ok(sqlx::query_as(&sql).bind(ws.0).bind(id).fetch_one(&mut **conn).await?)
    })
}

/// The oldest lead with this normalised email.
pub async fn find_by_email(db: &Db, ws: WorkspaceId, email: &str) -> Result<Option<Lead>> {
    let sql = format!("{SELECT} WHERE l.workspace_id = $1 AND l.email = $2 ORDER BY l.id LIMIT 1");
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Lead>(&sql).bind(ws.0).bind(email).fetch_optional(pool).await?)
    })
}

/// Which owner a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerFilter {
    Unassigned,
    User(i64),
}

/// Which leads a viewer may see: the one rule every list, page and API call applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Every lead of the workspace (admins, managers, marketing).
    #[default]
    All,
    /// A salesperson's view: the leads they own, leads nobody owns, and the other leads
    /// of every company where they own one (their colleagues).
    Sales(i64),
}

/// Filters of the lead list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    /// Who is looking; leads they may not see are left out.
    pub visibility: Visibility,
    /// Matched as a substring of the lead's search text (normalised by the caller).
    pub q: Option<String>,
    pub status: Option<LeadStatus>,
    pub owner: Option<OwnerFilter>,
    pub company_id: Option<i64>,
    /// A touchpoint source, exactly.
    pub source: Option<String>,
    /// Only leads with an id below this (the previous page's last id).
    pub before_id: Option<i64>,
}

#[derive(Clone)]
enum Param {
    I(i64),
    T(String),
}

/// Ids a salesperson's list walks at a time, newest first (see [`list`]).
const WALK_CHUNK: i64 = 20_000;
/// Ids a salesperson's list walks before it expects to fill the page; past it, the list
/// switches to the three index-ordered streams.
const WALK_BUDGET: i64 = 120_000;

/// Leads matching the filter, newest first, at most `limit`.
///
/// Everyone but a salesperson gets one scan by id. A salesperson usually may see a good
/// share of the workspace (their own leads, unassigned leads and their companies' other
/// leads), so their list walks the ids newest first in chunks, checking visibility per
/// row (one `leads_company_owner` seek), and stops when the page is full. When the first
/// chunks show that the visible matches are too sparse to fill the page within
/// [`WALK_BUDGET`] ids (a new rep, a rare search term), the rest comes from three
/// index-ordered streams instead — their own leads and unassigned leads (`leads_owner`),
/// and their companies' other leads (`leads_company_owner`) — which never read a lead
/// they may not see but read every lead of their companies.
pub async fn list(db: &Db, ws: WorkspaceId, filter: &LeadFilter, limit: i64) -> Result<Vec<Lead>> {
    list_walking(db, ws, filter, limit, WALK_CHUNK, WALK_BUDGET).await
}

/// [`list`] with a salesperson's walk of `chunk` ids at a time and a budget of `budget`
/// ids; for tests, which need the switch to the streams on small workspaces.
#[doc(hidden)]
pub async fn list_walking(
    db: &Db,
    ws: WorkspaceId,
    filter: &LeadFilter,
    limit: i64,
    chunk: i64,
    budget: i64,
) -> Result<Vec<Lead>> {
    let mut conditions = String::new();
    let mut params: Vec<Param> = vec![Param::I(ws.0)];
    let mut push = |sql: &mut String, clause: &str, p: Param| {
        params.push(p);
        sql.push_str(&clause.replace("$?", &format!("${}", params.len())));
    };
    let sql = &mut conditions;
    // Search texts fold variant kanji; a caller's search key may not have.
    let q = filter.q.as_deref().map(fold_variants);
    if let Some(q) = q.as_deref().filter(|q| !q.is_empty()) {
        // Both sides are search keys (lowercase katakana), so a plain substring test does:
        // on SQLite `instr` reads a row five times faster than `LIKE`, which folds case
        // character by character (1.1 s against 0.2 s over 400k leads).
        let clause = match db.kind() {
            DbKind::Sqlite => " AND instr(l.search_text, $?) > 0",
            DbKind::Postgres => " AND strpos(l.search_text, $?) > 0",
        };
        push(sql, clause, Param::T(q.to_string()));
    }
    if let Some(status) = filter.status {
        push(
            sql,
            " AND l.status = $?",
            Param::T(status.key().to_string()),
        );
    }
    match filter.owner {
        Some(OwnerFilter::Unassigned) => sql.push_str(" AND l.owner_id IS NULL"),
        Some(OwnerFilter::User(id)) => push(sql, " AND l.owner_id = $?", Param::I(id)),
        None => {}
    }
    if let Some(company) = filter.company_id {
        push(sql, " AND l.company_id = $?", Param::I(company));
    }
    if let Some(source) = &filter.source {
        push(
            sql,
            " AND EXISTS (SELECT 1 FROM touchpoints t WHERE t.workspace_id = l.workspace_id \
             AND t.lead_id = l.id AND t.source = $?)",
            Param::T(source.clone()),
        );
    }
    match filter.visibility {
        Visibility::All => {
            let mut params = params;
            let mut sql = format!("{SELECT} WHERE l.workspace_id = $1{conditions}");
            if let Some(before) = filter.before_id {
                params.push(Param::I(before));
                sql.push_str(&format!(" AND l.id < ${}", params.len()));
            }
            params.push(Param::I(limit));
            sql.push_str(&format!(" ORDER BY l.id DESC LIMIT ${}", params.len()));
            fetch_leads(db, &sql, params).await
        }
        Visibility::Sales(me) => {
            let top = match filter.before_id {
                Some(before) => before,
                None => max_lead_id(db, ws).await? + 1,
            };
            let mut found = Vec::new();
            let mut hi = top;
            // Walk while the page can be expected to fill within the budget.
            while hi > 1 && (found.len() as i64) < limit {
                let walked = top - hi;
                if walked >= chunk {
                    let rate = found.len() as f64 / walked as f64;
                    let needed = (limit - found.len() as i64) as f64;
                    if rate == 0.0 || walked as f64 + needed / rate > budget as f64 {
                        break;
                    }
                }
                let lo = (hi - chunk).max(1);
                let mut params = params.clone();
                let (me_i, hi_i, lo_i, n_i) = (
                    params.len() + 1,
                    params.len() + 2,
                    params.len() + 3,
                    params.len() + 4,
                );
                params.extend([
                    Param::I(me),
                    Param::I(hi),
                    Param::I(lo),
                    Param::I(limit - found.len() as i64),
                ]);
                let sql = format!(
                    "{SELECT} WHERE l.workspace_id = $1{conditions} AND l.id < ${hi_i} AND l.id >= ${lo_i} \
                     AND {} ORDER BY l.id DESC LIMIT ${n_i}",
                    sales_visible_sql(&format!("${me_i}"))
                );
                found.extend(fetch_leads(db, &sql, params).await?);
                hi = lo;
            }
            if (found.len() as i64) < limit && hi > 1 {
                let rest =
                    sales_streams(db, &conditions, params, me, hi, limit - found.len() as i64)
                        .await?;
                found.extend(rest);
            }
            Ok(found)
        }
    }
}

/// The condition that salesperson `me` (a bound parameter, e.g. `$3`) may see lead `l`
/// of workspace `$1` (see [`Visibility::Sales`]): their own leads, unassigned leads, and
/// the other leads of every company where they own one (one `leads_company_owner` seek).
pub(crate) fn sales_visible_sql(me: &str) -> String {
    format!(
        "(l.owner_id = {me} OR l.owner_id IS NULL OR EXISTS (SELECT 1 FROM leads m \
         WHERE m.workspace_id = $1 AND m.company_id = l.company_id AND m.owner_id = {me}))"
    )
}

/// The newest `limit` leads below id `before` that salesperson `me` may see, as the
/// newest of three index-ordered streams (see [`list`]).
async fn sales_streams(
    db: &Db,
    conditions: &str,
    mut params: Vec<Param>,
    me: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<Lead>> {
    params.extend([Param::I(before), Param::I(me), Param::I(limit)]);
    let (before, me, n) = (params.len() - 2, params.len() - 1, params.len());
    // With a status, the unassigned leads of that status are few and found through
    // `leads_queue_owner`, then sorted; walking `leads_status` in id order instead reads
    // every lead of the status (most have an owner): 0.7 s at 1M. The unary plus keeps the
    // planner from ordering by an index (SQLite and PostgreSQL).
    let order = if conditions.contains("l.status") {
        "+l.id"
    } else {
        "l.id"
    };
    let stream = |who: &str| {
        format!(
            "SELECT id FROM (SELECT l.id FROM leads l WHERE l.workspace_id = $1 AND {who}{conditions} \
             AND l.id < ${before} ORDER BY {order} DESC LIMIT ${n}) s"
        )
    };
    let sql = format!(
        "{SELECT} WHERE l.workspace_id = $1 AND l.id IN ({} UNION ALL {} UNION ALL {}) \
         ORDER BY l.id DESC LIMIT ${n}",
        stream(&format!("l.owner_id = ${me}")),
        stream("l.owner_id IS NULL"),
        stream(&format!(
            "l.owner_id <> ${me} AND l.company_id IN (SELECT m.company_id FROM leads m \
             WHERE m.workspace_id = $1 AND m.owner_id = ${me} AND m.company_id IS NOT NULL)"
        )),
    );
    fetch_leads(db, &sql, params).await
}

/// The highest lead id of the workspace (0 when it has none).
async fn max_lead_id(db: &Db, ws: WorkspaceId) -> Result<i64> {
    with_db!(db, pool => {
        // Newest first through the primary key: `MAX(id)` with a workspace condition would
        // read every lead of the workspace on SQLite.
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT id FROM leads WHERE workspace_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(ws.0)
        .fetch_optional(pool)
        .await?
        .unwrap_or(0))
    })
}

async fn fetch_leads(db: &Db, sql: &str, params: Vec<Param>) -> Result<Vec<Lead>> {
    with_db!(db, pool => {
        let mut query = sqlx::query_as::<_, Lead>(sql);
        for p in params {
            query = match p {
                Param::I(v) => query.bind(v),
                Param::T(v) => query.bind(v),
            };
        }
        Ok(query.fetch_all(pool).await?)
    })
}

/// Whether a viewer may see this lead (see [`Visibility`]): for a salesperson, a lead
/// they own, nobody owns, or whose company has a lead they own (one `leads_owner` seek).
pub async fn is_visible(
    db: &Db,
    ws: WorkspaceId,
    lead: &Lead,
    visibility: Visibility,
) -> Result<bool> {
    let me = match visibility {
        Visibility::All => return Ok(true),
        Visibility::Sales(me) => me,
    };
    if lead.owner_id.is_none_or(|o| o == me) {
        return Ok(true);
    }
    let Some(company) = lead.company_id else {
        return Ok(false);
    };
    with_db!(db, pool => {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE workspace_id = $1 AND owner_id = $2 \
             AND company_id = $3 LIMIT 1) x",
        )
        .bind(ws.0)
        .bind(me)
        .bind(company)
        .fetch_one(pool)
        .await?
            > 0)
    })
}

/// The lead if this viewer may see it; `NotFound` otherwise, exactly as for a lead that
/// does not exist, so ids cannot be probed.
pub async fn get_visible(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    visibility: Visibility,
) -> Result<Lead> {
    let lead = get(db, ws, id).await?;
    if is_visible(db, ws, &lead, visibility).await? {
        Ok(lead)
    } else {
        Err(StoreError::NotFound)
    }
}

/// Inserts one touchpoint row with any executor (a pool or either driver's transaction).
macro_rules! insert_touchpoint_row {
    ($exec:expr, $ws:expr, $lead_id:expr, $tp:expr, $now:expr) => {{
        let tp: &NewTouchpoint = $tp;
        sqlx::query(
            "INSERT INTO touchpoints (workspace_id, lead_id, kind, source, occurred_at, details, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($ws.0)
        .bind($lead_id)
        .bind(&tp.kind)
        .bind(&tp.source)
        .bind(tp.occurred_at.0)
        .bind(tp.details.to_string())
        .bind($now)
        .execute($exec)
        .await?;
    }};
}

/// Creates a lead in status `new` with its first touchpoint, its first status history row
/// and an audit entry, in one transaction.
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    fields: &LeadFields,
    touchpoint: Option<&NewTouchpoint>,
    actor: &Actor,
) -> Result<Lead> {
    let mut tx = db.begin().await?;
    let id = create_in(&mut tx, ws, fields, touchpoint, actor).await?;
    tx.commit().await?;
    get(db, ws, id).await
}

/// [`create`] inside a transaction; returns the new lead's id.
pub async fn create_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    fields: &LeadFields,
    touchpoint: Option<&NewTouchpoint>,
    actor: &Actor,
) -> Result<i64> {
    let now = Micros::now().0;
    let after = serde_json::to_string(fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let status = LeadStatus::New.key();
    let id = crate::with_tx!(tx, conn => {
        let id = crate::insert_lead_row!(&mut **conn, ws, fields, status, None::<String>, now, now);
        if let Some(tp) = touchpoint {
            insert_touchpoint_row!(&mut **conn, ws, id, tp, now);
        }
        sqlx::query(
            "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, reason, changed_by, changed_at) \
             VALUES ($1, $2, NULL, $3, $4, $5, $6)",
        )
        .bind(ws.0)
        .bind(id)
        .bind(status)
        .bind("")
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(id), "create", None::<&str>, Some(after.as_str()), now);
        id
    });
    Ok(id)
}

/// Adds a touchpoint to an existing lead (a repeated form submission, an import row).
pub async fn add_touchpoint(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    tp: &NewTouchpoint,
) -> Result<()> {
    let now = Micros::now().0;
    with_db!(db, pool => {
        insert_touchpoint_row!(pool, ws, lead_id, tp, now);
    });
    Ok(())
}

/// Replaces a lead's fields (and optionally its status), recording the before and after
/// of what changed in the audit log and the status change in the history. A change that
/// changes nothing writes nothing.
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    fields: &LeadFields,
    status: Option<&StatusChange>,
    actor: &Actor,
) -> Result<Lead> {
    update_inner(db, ws, id, fields, status, None, &[], None, actor).await
}

/// [`update`] for a change that may give the lead another owner: the owner change is
/// also recorded as its own `reassign` audit entry with the previous and the new owner
/// and, after, the reason given (every owner change through [`update`] gets that entry;
/// this one carries the words).
pub async fn update_with_reason(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    fields: &LeadFields,
    status: Option<&StatusChange>,
    owner_reason: Option<&str>,
    actor: &Actor,
) -> Result<Lead> {
    update_inner(db, ws, id, fields, status, None, &[], owner_reason, actor).await
}

/// [`update`] and its kin: the change in a transaction of its own, then the lead read again.
#[allow(clippy::too_many_arguments)]
async fn update_inner(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    fields: &LeadFields,
    status: Option<&StatusChange>,
    touchpoint: Option<&NewTouchpoint>,
    others: &[(i64, &str, String)],
    owner_reason: Option<&str>,
    actor: &Actor,
) -> Result<Lead> {
    // It reads the lead, then writes: the write lock is taken first, or SQLite may refuse
    // the write at once when another connection wrote since the read.
    let mut tx = db.begin_write().await?;
    let change = Change {
        status,
        touchpoint,
        others,
        owner_reason,
    };
    let unchanged = update_in(&mut tx, ws, id, fields, change, actor).await?;
    tx.commit().await?;
    match unchanged {
        Some(lead) => Ok(lead),
        None => get(db, ws, id).await,
    }
}

/// What an update brings besides the fields (see [`update_with_touchpoint_in`]).
#[derive(Default, Clone, Copy)]
struct Change<'a> {
    status: Option<&'a StatusChange>,
    touchpoint: Option<&'a NewTouchpoint>,
    others: &'a [(i64, &'a str, String)],
    owner_reason: Option<&'a str>,
}

/// [`update`] inside a transaction, and a touchpoint added with it (a returning person's
/// new form submission or API call) with the emails and numbers it brought that the lead
/// keeps beside its own (`(kind, value)`, see [`crate::identities::add`]; recorded with the
/// touchpoint's source): all are written, or none.
pub async fn update_with_touchpoint_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    fields: &LeadFields,
    status: Option<&StatusChange>,
    arrival: (&NewTouchpoint, &[(&str, String)]),
    actor: &Actor,
) -> Result<()> {
    let (touchpoint, others) = arrival;
    let others: Vec<(i64, &str, String)> = others
        .iter()
        .map(|(kind, value)| (id, *kind, value.clone()))
        .collect();
    let change = Change {
        status,
        touchpoint: Some(touchpoint),
        others: &others,
        owner_reason: None,
    };
    update_in(tx, ws, id, fields, change, actor).await?;
    Ok(())
}

/// [`update`] inside a transaction (no owner reason, no touchpoint).
pub async fn update_status_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    fields: &LeadFields,
    status: Option<&StatusChange>,
    actor: &Actor,
) -> Result<()> {
    let change = Change {
        status,
        ..Change::default()
    };
    update_in(tx, ws, id, fields, change, actor).await?;
    Ok(())
}

/// Writes an update in `tx`; returns the lead as it was when nothing but a touchpoint or
/// other addresses changed (the lead's row is then as read).
async fn update_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    fields: &LeadFields,
    change: Change<'_>,
    actor: &Actor,
) -> Result<Option<Lead>> {
    let Change {
        status,
        touchpoint,
        others,
        owner_reason,
    } = change;
    let current = get_in(tx, ws, id).await?;
    let before_fields = LeadFields::of(&current);
    let status_changes = status.is_some_and(|s| {
        s.to.key() != current.status
            || s.lost_reason != current.lost_reason
            || s.renurture_on != current.renurture_on
    });
    let others = crate::identities::to_insert(others);
    let others_source = touchpoint.map(|tp| tp.source.as_str()).unwrap_or_default();
    if before_fields == *fields && !status_changes {
        if touchpoint.is_some() || !others.is_empty() {
            let now = Micros::now().0;
            crate::with_tx!(tx, conn => {
                if let Some(tp) = touchpoint {
                    insert_touchpoint_row!(&mut **conn, ws, id, tp, now);
                }
                for chunk in others.chunks(crate::identities::CHUNK) {
                    crate::identities::insert_rows!(&mut **conn, ws, others_source, chunk, now);
                }
            });
        }
        return Ok(Some(current));
    }

    let (before, after) = diff_json(&before_fields, fields, &current, status);
    let now = Micros::now().0;
    let (new_status, lost_reason, renurture_on) = match status {
        Some(s) => (
            s.to.key().to_string(),
            s.lost_reason.clone(),
            s.renurture_on,
        ),
        None => (
            current.status.clone(),
            current.lost_reason.clone(),
            current.renurture_on,
        ),
    };
    crate::with_tx!(tx, conn => {
        let updated = crate::update_lead_fields!(&mut **conn, ws, id, fields, now);
        sqlx::query("UPDATE leads SET status = $3, lost_reason = $4, renurture_on = $5 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .bind(&new_status)
            .bind(&lost_reason)
            .bind(renurture_on)
            .execute(&mut **conn)
            .await?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(s) = status.filter(|s| s.to.key() != current.status) {
            sqlx::query(
                "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, reason, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(ws.0)
            .bind(id)
            .bind(&current.status)
            .bind(s.to.key())
            .bind(&s.reason)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut **conn)
            .await?;
        }
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(id), "update", Some(before.as_str()), Some(after.as_str()), now);
        if fields.owner_id != current.owner_id {
            let new_owner: Option<String> = match fields.owner_id {
                Some(owner) => sqlx::query_scalar("SELECT display_name FROM users WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(owner)
                    .fetch_optional(&mut **conn)
                    .await?,
                None => None,
            };
            let (before, after) = reassignment_json(&current, fields.owner_id, new_owner, owner_reason);
            crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(id), "reassign", Some(before.as_str()), Some(after.as_str()), now);
        }
        if let Some(tp) = touchpoint {
            insert_touchpoint_row!(&mut **conn, ws, id, tp, now);
        }
        for chunk in others.chunks(crate::identities::CHUNK) {
            crate::identities::insert_rows!(&mut **conn, ws, others_source, chunk, now);
        }
    });
    Ok(None)
}

/// The before and after of an owner change, as JSON text: owner id and name, and after,
/// the reason given (empty when none was).
fn reassignment_json(
    current: &Lead,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    reason: Option<&str>,
) -> (String, String) {
    let before = serde_json::json!({"owner_id": current.owner_id, "owner": current.owner_name});
    let after = serde_json::json!({
        "owner_id": owner_id,
        "owner": owner_name,
        "reason": reason.unwrap_or(""),
    });
    (before.to_string(), after.to_string())
}

/// The fields that differ, before and after, as two JSON objects.
pub(crate) fn changed_fields(
    before: &LeadFields,
    after: &LeadFields,
) -> (
    serde_json::Map<String, serde_json::Value>,
    serde_json::Map<String, serde_json::Value>,
) {
    let b = serde_json::to_value(before).unwrap_or_default();
    let a = serde_json::to_value(after).unwrap_or_default();
    let mut bm = serde_json::Map::new();
    let mut am = serde_json::Map::new();
    if let (Some(bo), Some(ao)) = (b.as_object(), a.as_object()) {
        for (k, av) in ao {
            let bv = bo.get(k).cloned().unwrap_or(serde_json::Value::Null);
            if &bv != av {
                bm.insert(k.clone(), bv);
                am.insert(k.clone(), av.clone());
            }
        }
    }
    (bm, am)
}

/// The changed keys only, status included, before and after, as JSON text.
fn diff_json(
    before: &LeadFields,
    after: &LeadFields,
    current: &Lead,
    status: Option<&StatusChange>,
) -> (String, String) {
    let (mut bm, mut am) = changed_fields(before, after);
    if let Some(s) = status {
        if s.to.key() != current.status {
            bm.insert("status".into(), current.status.clone().into());
            am.insert("status".into(), s.to.key().into());
        }
        if s.lost_reason != current.lost_reason {
            bm.insert("lost_reason".into(), current.lost_reason.clone().into());
            am.insert("lost_reason".into(), s.lost_reason.clone().into());
        }
        if s.renurture_on != current.renurture_on {
            bm.insert("renurture_on".into(), current.renurture_on.into());
            am.insert("renurture_on".into(), s.renurture_on.into());
        }
    }
    (
        serde_json::Value::Object(bm).to_string(),
        serde_json::Value::Object(am).to_string(),
    )
}

/// A lead's touchpoints, oldest first.
pub async fn touchpoints(db: &Db, ws: WorkspaceId, lead_id: i64) -> Result<Vec<Touchpoint>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, Touchpoint>(
            "SELECT id, kind, source, occurred_at, details FROM touchpoints \
             WHERE workspace_id = $1 AND lead_id = $2 ORDER BY occurred_at, id",
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(pool)
        .await?)
    })
}

/// A lead's status history, newest first.
pub async fn status_history(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
) -> Result<Vec<StatusHistoryRow>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, StatusHistoryRow>(
            "SELECT h.id, h.from_status, h.to_status, h.reason, h.changed_by, u.display_name AS changed_by_name, \
             h.changed_at, h.rule, h.reason_en FROM status_history h \
             LEFT JOIN users u ON u.workspace_id = h.workspace_id AND u.id = h.changed_by \
             WHERE h.workspace_id = $1 AND h.lead_id = $2 ORDER BY h.changed_at DESC, h.id DESC",
        )
        .bind(ws.0)
        .bind(lead_id)
        .fetch_all(pool)
        .await?)
    })
}

/// Distinct touchpoint sources of the workspace with their lead counts, most used first.
pub async fn sources(db: &Db, ws: WorkspaceId) -> Result<Vec<(String, i64)>> {
    with_db!(db, pool => {
        Ok(sqlx::query_as::<_, (String, i64)>(
            "SELECT source, COUNT(DISTINCT lead_id) FROM touchpoints WHERE workspace_id = $1 \
             GROUP BY source ORDER BY COUNT(DISTINCT lead_id) DESC, source LIMIT 200",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?)
    })
}

/// The key people are matched on: the normalised name without spaces.
pub fn name_key_of(name: &str) -> String {
    search_key(name)
}
