//! Segments as stored: saved lead filters, and the leads they match. A definition
//! (`ondo_domain::segment`) becomes conditions for a day and a viewer; each condition is
//! compiled here to a predicate with bound parameters (no user value is ever written into
//! the SQL text), the same words on SQLite and PostgreSQL where they can be.
//!
//! Campaigns enrol a segment's leads through [`lead_ids`] and check one lead with
//! [`matches`]; both see every lead of the workspace, and "my leads" there means the
//! segment's creator's.

use ondo_domain::Micros;
use ondo_domain::scoring::ScoringRules;
use ondo_domain::segment::{Condition, Context, KeyUpper, SegmentDefinition};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::leads::{Lead, Visibility};
use crate::{Actor, Db, DbKind, WorkspaceId, with_db, with_tx};

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub definition: SegmentDefinition,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    description: String,
    definition: String,
    created_by: Option<i64>,
    updated_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Segment {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Segment> {
        let definition = serde_json::from_str(&r.definition)
            .map_err(|e| StoreError::Corrupt(format!("segment {}: {e}", r.id)))?;
        Ok(Segment {
            id: r.id,
            name: r.name,
            description: r.description,
            definition,
            created_by: r.created_by,
            updated_by: r.updated_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str =
    "id, name, description, definition, created_by, updated_by, created_at, updated_at";

/// The segment, or `None` when the workspace has no such segment.
pub async fn get(db: &Db, ws: WorkspaceId, id: i64) -> Result<Option<Segment>> {
    let sql = format!("SELECT {COLUMNS} FROM segments WHERE workspace_id = $1 AND id = $2");
    let row: Option<Row> = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(&sql).bind(ws.0).bind(id).fetch_optional(pool).await?
    });
    row.map(Segment::try_from).transpose()
}

/// Every segment of the workspace, by name.
pub async fn list(db: &Db, ws: WorkspaceId) -> Result<Vec<Segment>> {
    let sql = format!("SELECT {COLUMNS} FROM segments WHERE workspace_id = $1 ORDER BY name, id");
    let rows: Vec<Row> = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(&sql).bind(ws.0).fetch_all(pool).await?
    });
    rows.into_iter().map(Segment::try_from).collect()
}

/// A segment as written (checked by the caller).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentInput {
    pub name: String,
    pub description: String,
    pub definition: SegmentDefinition,
}

fn definition_json(d: &SegmentDefinition) -> Result<String> {
    serde_json::to_string(d).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn audit_json(name: &str, description: &str, d: &SegmentDefinition) -> String {
    serde_json::json!({ "name": name, "description": description, "definition": d }).to_string()
}

/// Creates a segment with an audit entry; `Conflict` when the name is taken.
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    input: &SegmentInput,
    actor: &Actor,
) -> Result<Segment> {
    let now = Micros::now().0;
    let definition = definition_json(&input.definition)?;
    let after = audit_json(&input.name, &input.description, &input.definition);
    let mut tx = db.begin_write().await?;
    let id = with_tx!(&mut tx, conn => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO segments (workspace_id, name, description, definition, created_by, \
             updated_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $6, $6) RETURNING id",
        )
        .bind(ws.0)
        .bind(&input.name)
        .bind(&input.description)
        .bind(&definition)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "segment", Some(id), "create",
            None::<&str>, Some(after.as_str()), now);
        id
    });
    tx.commit().await?;
    get(db, ws, id).await?.ok_or(StoreError::NotFound)
}

/// Replaces a segment's name, description and definition, with an audit entry of the
/// before and after; `NotFound` for no such segment, `Conflict` when the name is taken.
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    id: i64,
    input: &SegmentInput,
    actor: &Actor,
) -> Result<Segment> {
    let now = Micros::now().0;
    let current = get(db, ws, id).await?.ok_or(StoreError::NotFound)?;
    let before = audit_json(&current.name, &current.description, &current.definition);
    let after = audit_json(&input.name, &input.description, &input.definition);
    let definition = definition_json(&input.definition)?;
    let mut tx = db.begin_write().await?;
    with_tx!(&mut tx, conn => {
        let changed = sqlx::query(
            "UPDATE segments SET name = $3, description = $4, definition = $5, updated_by = $6, \
             updated_at = $7 WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .bind(&input.name)
        .bind(&input.description)
        .bind(&definition)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut **conn)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        crate::insert_audit!(&mut **conn, ws, actor, "segment", Some(id), "update",
            Some(before.as_str()), Some(after.as_str()), now);
    });
    tx.commit().await?;
    get(db, ws, id).await?.ok_or(StoreError::NotFound)
}

/// Deletes a segment, keeping what it was in the audit log; `NotFound` for no such one.
pub async fn delete(db: &Db, ws: WorkspaceId, id: i64, actor: &Actor) -> Result<()> {
    let now = Micros::now().0;
    let current = get(db, ws, id).await?.ok_or(StoreError::NotFound)?;
    let before = audit_json(&current.name, &current.description, &current.definition);
    let mut tx = db.begin_write().await?;
    with_tx!(&mut tx, conn => {
        let gone = sqlx::query("DELETE FROM segments WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id)
            .execute(&mut **conn)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        crate::insert_audit!(&mut **conn, ws, actor, "segment", Some(id), "delete",
            Some(before.as_str()), None::<&str>, now);
    });
    tx.commit().await
}

/// Who is looking at a segment's leads, and when: which leads they may see, who "me"
/// is, and the moment relative dates and today's scores are taken at.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub visibility: Visibility,
    pub me: Option<i64>,
    pub now: Micros,
}

impl Scope {
    /// A signed-in user's view, now.
    pub fn viewer(visibility: Visibility, me: i64) -> Scope {
        Scope {
            visibility,
            me: Some(me),
            now: Micros::now(),
        }
    }

    /// Every lead of the workspace, now, "me" being the segment's creator (campaigns).
    pub fn whole_workspace(seg: &Segment) -> Scope {
        Scope {
            visibility: Visibility::All,
            me: seg.created_by,
            now: Micros::now(),
        }
    }
}

/// Matching lead ids, ascending, above `after_id`, at most `limit`: every lead of the
/// workspace the segment matches now (for enrolling a segment in batches).
pub async fn lead_ids(
    db: &Db,
    ws: WorkspaceId,
    seg: &Segment,
    after_id: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    let scope = Scope::whole_workspace(seg);
    Ok(
        lead_names_after(db, ws, &seg.definition, &scope, after_id, limit)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    )
}

/// Whether the segment matches this lead now (false for a lead of another workspace).
pub async fn matches(db: &Db, ws: WorkspaceId, seg: &Segment, lead_id: i64) -> Result<bool> {
    let scope = Scope::whole_workspace(seg);
    let mut q = compile(db, ws, &seg.definition, &scope, &[]).await?;
    let id = q.bind(Param::I(lead_id));
    let sql = format!(
        "SELECT COUNT(*) FROM leads l WHERE {} AND l.id = {id}",
        q.filter
    );
    Ok(fetch_count(db, &sql, q.params).await? > 0)
}

/// How many leads the definition matches, of those the scope may see, and that pass
/// the `extra` conditions too (the lead list's own filters).
pub async fn count(
    db: &Db,
    ws: WorkspaceId,
    definition: &SegmentDefinition,
    scope: &Scope,
    extra: &[Condition],
) -> Result<i64> {
    let q = compile(db, ws, definition, scope, extra).await?;
    let sql = format!("SELECT COUNT(*) FROM leads l WHERE {}", q.filter);
    fetch_count(db, &sql, q.params).await
}

/// Matching leads the scope may see that pass the `extra` conditions too, newest first,
/// below `before_id`, at most `limit` (the lead list, the preview and the export page
/// through these).
pub async fn leads(
    db: &Db,
    ws: WorkspaceId,
    definition: &SegmentDefinition,
    scope: &Scope,
    extra: &[Condition],
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Lead>> {
    let mut q = compile(db, ws, definition, scope, extra).await?;
    let mut sql = format!("{LEAD_SELECT} WHERE {}", q.filter);
    if let Some(before) = before_id {
        let p = q.bind(Param::I(before));
        sql.push_str(&format!(" AND l.id < {p}"));
    }
    let n = q.bind(Param::I(limit));
    sql.push_str(&format!(" ORDER BY l.id DESC LIMIT {n}"));
    with_db!(db, pool => {
        let mut query = sqlx::query_as::<_, Lead>(&sql);
        for p in q.params {
            query = match p {
                Param::I(v) => query.bind(v),
                Param::F(v) => query.bind(v),
                Param::T(v) => query.bind(v),
            };
        }
        Ok(query.fetch_all(pool).await?)
    })
}

/// Matching leads the scope may see as (id, name), ascending by id above `after_id`,
/// at most `limit` (the API's pages).
pub async fn lead_names_after(
    db: &Db,
    ws: WorkspaceId,
    definition: &SegmentDefinition,
    scope: &Scope,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    let mut q = compile(db, ws, definition, scope, &[]).await?;
    let after = q.bind(Param::I(after_id));
    let n = q.bind(Param::I(limit));
    let sql = format!(
        "SELECT l.id, l.name FROM leads l WHERE {} AND l.id > {after} ORDER BY l.id LIMIT {n}",
        q.filter
    );
    with_db!(db, pool => {
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
        for p in q.params {
            query = match p {
                Param::I(v) => query.bind(v),
                Param::F(v) => query.bind(v),
                Param::T(v) => query.bind(v),
            };
        }
        Ok(query.fetch_all(pool).await?)
    })
}

/// Custom-field names in use, from the newest leads (for the editor's suggestions).
pub async fn custom_field_names(db: &Db, ws: WorkspaceId) -> Result<Vec<String>> {
    let rows: Vec<String> = with_db!(db, pool => {
        sqlx::query_scalar(
            "SELECT custom_fields FROM leads WHERE workspace_id = $1 AND custom_fields <> '{}' \
             ORDER BY id DESC LIMIT 500",
        )
        .bind(ws.0)
        .fetch_all(pool)
        .await?
    });
    let mut names = std::collections::BTreeSet::new();
    for r in rows {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&r) {
            names.extend(m.keys().cloned());
        }
    }
    Ok(names.into_iter().collect())
}

/// A lead's columns with its company's and owner's names (as `leads::get` reads them).
const LEAD_SELECT: &str = "SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.title, l.department, \
    l.company_id, l.company_name, c.display_name AS company_display, l.postcode, l.address, \
    l.owner_id, u.display_name AS owner_name, u.email AS owner_email, l.status, l.lost_reason, \
    l.renurture_on, l.custom_fields, l.consent_source, l.consent_at, l.email_opt_out, l.created_at, l.updated_at, \
    l.engagement_key, l.fit_score, l.fit_grade, l.last_engaged_at, l.returned_at \
    FROM leads l \
    LEFT JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id \
    LEFT JOIN users u ON u.workspace_id = l.workspace_id AND u.id = l.owner_id";

/// A bound value.
#[derive(Debug, Clone)]
enum Param {
    I(i64),
    F(f64),
    T(String),
}

/// A compiled filter over `leads l`: the predicate and the values it binds (`$1` is the
/// workspace).
struct Compiled {
    kind: DbKind,
    filter: String,
    params: Vec<Param>,
}

impl Compiled {
    /// Adds a value and returns its placeholder.
    fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }
}

/// The workspace's scoring rules (the defaults when none were saved or they no longer
/// parse): temperature bands and half-life.
async fn rules(db: &Db, ws: WorkspaceId) -> Result<ScoringRules> {
    Ok(crate::scoring::current_rules(db, ws)
        .await?
        .and_then(|v| ScoringRules::from_toml(&v.rules_toml).ok())
        .unwrap_or_default())
}

async fn compile(
    db: &Db,
    ws: WorkspaceId,
    definition: &SegmentDefinition,
    scope: &Scope,
    extra: &[Condition],
) -> Result<Compiled> {
    let rules = if definition.temperature.is_some() {
        rules(db, ws).await?
    } else {
        ScoringRules::default()
    };
    let ctx = Context {
        rules: &rules,
        now: scope.now,
        me: scope.me,
    };
    let mut q = Compiled {
        kind: db.kind(),
        filter: String::new(),
        params: vec![Param::I(ws.0)],
    };
    let mut parts = vec!["l.workspace_id = $1".to_string()];
    for c in definition.conditions(&ctx).iter().chain(extra) {
        let p = predicate(&mut q, c);
        parts.push(p);
    }
    if let Visibility::Sales(me) = scope.visibility {
        let me = q.bind(Param::I(me));
        parts.push(crate::leads::sales_visible_sql(&me));
    }
    q.filter = parts.join(" AND ");
    Ok(q)
}

/// The predicate of one condition over `leads l`.
fn predicate(q: &mut Compiled, c: &Condition) -> String {
    match c {
        Condition::Nothing => "1 = 0".into(),
        Condition::StatusIn(statuses) => {
            let ps: Vec<String> = statuses
                .iter()
                .map(|s| q.bind(Param::T(s.key().to_string())))
                .collect();
            format!("l.status IN ({})", ps.join(", "))
        }
        Condition::EngagementIn(ranges) => {
            let alternatives: Vec<String> = ranges
                .iter()
                .map(|r| {
                    let mut both = Vec::new();
                    if let Some(lo) = r.lower {
                        let p = q.bind(Param::F(lo));
                        both.push(format!("l.engagement_key >= {p}"));
                    }
                    match r.upper {
                        Some(KeyUpper::Below(hi)) => {
                            let p = q.bind(Param::F(hi));
                            both.push(format!(
                                "(l.engagement_key IS NULL OR l.engagement_key < {p})"
                            ));
                        }
                        Some(KeyUpper::AtMost(hi)) => {
                            let p = q.bind(Param::F(hi));
                            both.push(format!(
                                "(l.engagement_key IS NULL OR l.engagement_key <= {p})"
                            ));
                        }
                        Some(KeyUpper::Unengaged) => both.push("l.engagement_key IS NULL".into()),
                        None => {}
                    }
                    if both.is_empty() {
                        "1 = 1".to_string()
                    } else {
                        format!("({})", both.join(" AND "))
                    }
                })
                .collect();
            format!("({})", alternatives.join(" OR "))
        }
        Condition::SourceIn(sources) => {
            let ps: Vec<String> = sources
                .iter()
                .map(|s| q.bind(Param::T(s.clone())))
                .collect();
            // Through `touchpoints_source`: the leads of a source, once.
            format!(
                "l.id IN (SELECT t.lead_id FROM touchpoints t WHERE t.workspace_id = $1 \
                 AND t.source IN ({}))",
                ps.join(", ")
            )
        }
        Condition::CompanyIs(id) => format!("l.company_id = {}", q.bind(Param::I(*id))),
        Condition::CompanyNameContains(key) => {
            let p = q.bind(Param::T(key.clone()));
            let contains = match q.kind {
                DbKind::Sqlite => format!("instr(c2.name_key, {p}) > 0"),
                DbKind::Postgres => format!("strpos(c2.name_key, {p}) > 0"),
            };
            format!(
                "l.company_id IN (SELECT c2.id FROM companies c2 WHERE c2.workspace_id = $1 AND {contains})"
            )
        }
        Condition::OwnerIs(id) => format!("l.owner_id = {}", q.bind(Param::I(*id))),
        Condition::Unassigned => "l.owner_id IS NULL".into(),
        Condition::FieldEquals { field, value } => {
            let text = field_text(q, field);
            let v = q.bind(Param::T(value.clone()));
            format!("{text} = {v}")
        }
        Condition::FieldAtLeast { field, value } => field_number(q, field, ">=", *value),
        Condition::FieldAtMost { field, value } => field_number(q, field, "<=", *value),
        Condition::EventsAtLeast {
            event_type,
            category,
            since,
            count,
        } => {
            let since = q.bind(Param::I(since.0));
            let mut sql = format!(
                "SELECT 1 FROM events e WHERE e.workspace_id = l.workspace_id AND e.lead_id = l.id \
                 AND e.occurred_at >= {since} AND e.bot_reason IS NULL"
            );
            if let Some(t) = event_type {
                let p = q.bind(Param::T(t.clone()));
                sql.push_str(&format!(" AND e.type = {p}"));
            }
            if let Some(c) = category {
                let p = q.bind(Param::T(c.clone()));
                sql.push_str(&format!(" AND e.category = {p}"));
            }
            if *count <= 1 {
                format!("EXISTS ({sql})")
            } else {
                // Counting stops at `count`: a busy lead costs no more than a quiet one.
                let n = q.bind(Param::I(*count));
                format!("(SELECT COUNT(*) FROM ({sql} LIMIT {n}) ev) >= {n}")
            }
        }
        Condition::CreatedFrom(t) => format!("l.created_at >= {}", q.bind(Param::I(t.0))),
        Condition::CreatedBefore(t) => format!("l.created_at < {}", q.bind(Param::I(t.0))),
        Condition::ActiveFrom(t) => format!("l.last_engaged_at >= {}", q.bind(Param::I(t.0))),
        Condition::InactiveSince(t) => {
            let p = q.bind(Param::I(t.0));
            format!("(l.last_engaged_at IS NULL OR l.last_engaged_at < {p})")
        }
        Condition::NotOptedOut => "l.email_opt_out = FALSE".into(),
        Condition::SearchTextContains(key) => {
            // Search texts fold variant kanji (see `leads::search_text`).
            let p = q.bind(Param::T(ondo_domain::fold_variants(key)));
            match q.kind {
                DbKind::Sqlite => format!("instr(l.search_text, {p}) > 0"),
                DbKind::Postgres => format!("strpos(l.search_text, {p}) > 0"),
            }
        }
    }
}

/// A custom field's value as text (NULL when the lead has no such field). Booleans read
/// `true` / `false` on both engines.
fn field_text(q: &mut Compiled, field: &str) -> String {
    match q.kind {
        DbKind::Sqlite => {
            // A quoted label: dots and spaces in a field name are part of the name.
            let path = q.bind(Param::T(format!("$.\"{field}\"")));
            format!(
                "(CASE json_type(l.custom_fields, {path}) WHEN 'true' THEN 'true' \
                 WHEN 'false' THEN 'false' ELSE CAST(json_extract(l.custom_fields, {path}) AS TEXT) END)"
            )
        }
        DbKind::Postgres => {
            let key = q.bind(Param::T(field.to_string()));
            format!("(CAST(l.custom_fields AS JSONB) ->> CAST({key} AS TEXT))")
        }
    }
}

/// A custom field compared as a number: values that do not read as a number (`1,200`
/// does, as 1200) match no comparison.
fn field_number(q: &mut Compiled, field: &str, op: &str, value: f64) -> String {
    let text = field_text(q, field);
    let v = q.bind(Param::F(value));
    match q.kind {
        DbKind::Sqlite => format!(
            "EXISTS (SELECT 1 FROM (SELECT x, CASE WHEN substr(x, 1, 1) = '-' THEN substr(x, 2) ELSE x END AS d \
             FROM (SELECT trim(replace({text}, ',', '')) AS x) a) b \
             WHERE b.d <> '' AND b.d NOT GLOB '*[^0-9.]*' AND b.d GLOB '*[0-9]*' AND b.d NOT GLOB '*.*.*' \
             AND CAST(b.x AS REAL) {op} {v})"
        ),
        DbKind::Postgres => format!(
            "(CASE WHEN btrim(replace({text}, ',', '')) ~ '^-?([0-9]+[.]?[0-9]*|[.][0-9]+)$' \
             THEN CAST(btrim(replace({text}, ',', '')) AS DOUBLE PRECISION) END) {op} {v}"
        ),
    }
}

async fn fetch_count(db: &Db, sql: &str, params: Vec<Param>) -> Result<i64> {
    with_db!(db, pool => {
        let mut query = sqlx::query_scalar::<_, i64>(sql);
        for p in params {
            query = match p {
                Param::I(v) => query.bind(v),
                Param::F(v) => query.bind(v),
                Param::T(v) => query.bind(v),
            };
        }
        Ok(query.fetch_one(pool).await?)
    })
}
