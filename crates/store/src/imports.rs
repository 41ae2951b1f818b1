//! Writes of an import, all inside one transaction: finding the leads a file may match,
//! creating and filling leads, idempotent touchpoints, candidate pairs, and the import's
//! own record.

use ondo_domain::{LeadStatus, Micros};
use serde::Serialize;

use crate::error::Result;
use crate::leads::LeadFields;
use crate::{Actor, Tx, WorkspaceId, with_tx};

/// Rows per IN list or multi-row INSERT: under both engines' bind limits.
const CHUNK: usize = 500;

/// What matching needs to know about a lead already in the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExistingLead {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub department: Option<String>,
    /// 役職: the same rank at the same company is the further field that tells one person.
    pub title: Option<String>,
    pub company_id: Option<i64>,
    pub company_name_key: Option<String>,
    pub company_domain: Option<String>,
}

/// Which values to look existing leads up by.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub emails: Vec<String>,
    /// (name key, company name key): a name alone matches only together with its company
    /// (or a phone, looked up by `phones`), so homonyms elsewhere are never loaded.
    pub names_at_companies: Vec<(String, String)>,
    /// Numbers that reach one person (from a mobile column, or a mobile or 050 number in
    /// any column), as stored (national format, e.g. "090-1234-5678"): looked up in both
    /// phone columns.
    pub personal_phones: Vec<String>,
    /// Other numbers (landlines, often a company's main line shared by everyone there):
    /// looked up only in the mobile column, where a lead's own number is kept. Looking
    /// them up in the phone column would load every colleague behind a main line, and
    /// a shared landline only counts together with the name at the same company, which
    /// `names_at_companies` finds.
    pub phones: Vec<String>,
    /// Company name keys whose leads are all candidates ([`COLLEAGUES_PER_COMPANY`] at
    /// most): a name written in romaji or kana (`Hinata Noda`, `まつお ゆうこ`) is the same
    /// name as a kanji name read that way, which no name key finds.
    pub colleagues_at: Vec<String>,
    /// Company name keys of names written in kanji: the leads there whose names are
    /// written by sound (romaji or kana) are candidates, the other way round.
    pub sound_colleagues_at: Vec<String>,
}

/// Leads of one company a name written in romaji or kana is compared with, at most.
pub const COLLEAGUES_PER_COMPANY: i64 = 100;

impl Lookup {
    /// Adds a record's name at its company: under its name key, and under the keys an
    /// earlier record of the person may have that the matching compares with it (the two
    /// parts swapped, other forms of its variant kanji: see
    /// [`ondo_domain::matching::other_name_keys`]).
    pub fn add_name_at_company(&mut self, name: &str, company_key: &str) {
        self.names_at_companies
            .push((crate::leads::name_key_of(name), company_key.to_owned()));
        for key in ondo_domain::matching::other_name_keys(name) {
            self.names_at_companies.push((key, company_key.to_owned()));
        }
        if ondo_domain::romaji::script(name) == ondo_domain::romaji::Script::Other {
            self.sound_colleagues_at.push(company_key.to_owned());
        } else {
            self.colleagues_at.push(company_key.to_owned());
        }
    }

    /// Adds a record's numbers (national format) to the lookup by what they reach.
    pub fn add_phones(&mut self, phone: Option<&str>, mobile: Option<&str>) {
        if let Some(m) = mobile.filter(|m| !m.is_empty()) {
            self.personal_phones.push(m.to_string());
        }
        if let Some(p) = phone.filter(|p| !p.is_empty()) {
            let personal = ondo_domain::Phone::parse(p).is_ok_and(|n| n.is_personal());
            if personal {
                self.personal_phones.push(p.to_string());
            } else {
                self.phones.push(p.to_string());
            }
        }
    }

    /// Sorts the values and drops repeats, so each is looked up once.
    pub fn dedup(&mut self) {
        for v in [
            &mut self.emails,
            &mut self.personal_phones,
            &mut self.phones,
        ] {
            v.sort_unstable();
            v.dedup();
        }
        self.names_at_companies.sort_unstable();
        self.names_at_companies.dedup();
        for v in [&mut self.colleagues_at, &mut self.sound_colleagues_at] {
            v.sort_unstable();
            v.dedup();
        }
    }
}

const EXISTING: &str = "SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.department, l.title, l.company_id, \
    c.name_key AS company_name_key, c.domain AS company_domain FROM leads l \
    LEFT JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id WHERE l.workspace_id = ";

/// The leads that share an email, a name key or a phone with the lookup, each once.
pub async fn find_existing(
    tx: &mut Tx,
    ws: WorkspaceId,
    lookup: &Lookup,
) -> Result<Vec<ExistingLead>> {
    let mut found: std::collections::BTreeMap<i64, ExistingLead> = Default::default();
    let mut mobiles: Vec<&String> = lookup
        .personal_phones
        .iter()
        .chain(&lookup.phones)
        .collect();
    mobiles.sort_unstable();
    mobiles.dedup();
    let emails: Vec<&String> = lookup.emails.iter().collect();
    let personal: Vec<&String> = lookup.personal_phones.iter().collect();
    let queries: [(&str, &Vec<&String>); 3] = [
        ("l.email IN", &emails),
        ("l.phone IN", &personal),
        ("l.mobile IN", &mobiles),
    ];
    for (clause, values) in queries {
        let started = std::time::Instant::now();
        let before = found.len();
        for chunk in values.chunks(CHUNK) {
            let rows = with_tx!(tx, conn => {
                let mut qb = sqlx::QueryBuilder::new(EXISTING);
                qb.push_bind(ws.0).push(" AND ").push(clause).push(" (");
                let mut list = qb.separated(", ");
                for v in chunk {
                    list.push_bind(v.as_str());
                }
                qb.push(")");
                qb.build_query_as::<ExistingLead>().fetch_all(&mut **conn).await?
            });
            for r in rows {
                found.entry(r.id).or_insert(r);
            }
        }
        tracing::debug!(
            clause,
            values = values.len(),
            found = found.len() - before,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "looked up"
        );
    }
    // Names at companies: driven from the list of pairs, so each pair is one seek of the
    // company-name index and one of (company, name) — namesakes elsewhere are never read.
    for chunk in lookup.names_at_companies.chunks(CHUNK / 2) {
        let rows = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("WITH w(cn, nk) AS (VALUES ");
            let mut list = qb.separated(", ");
            for (name, company) in chunk {
                list.push("(").push_bind_unseparated(company.as_str()).push_unseparated(", ");
                list.push_bind_unseparated(name.as_str()).push_unseparated(")");
            }
            qb.push(
                ") SELECT l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.department, l.title, l.company_id, \
                 c.name_key AS company_name_key, c.domain AS company_domain \
                 FROM w CROSS JOIN companies c CROSS JOIN leads l \
                 WHERE c.workspace_id = ",
            );
            qb.push_bind(ws.0).push(
                " AND c.name_key = w.cn AND l.workspace_id = c.workspace_id \
                 AND l.company_id = c.id AND l.name_key = w.nk",
            );
            qb.build_query_as::<ExistingLead>().fetch_all(&mut **conn).await?
        });
        for r in rows {
            found.entry(r.id).or_insert(r);
        }
    }
    // Colleagues of names written in romaji or kana: a query per company, stopping at
    // the cap, so that a company of many leads costs no more than one of a hundred. The
    // name index is walked from its end, where names in kanji sort (after Latin letters
    // and kana): those are the ones a name written by sound can be the same as.
    for company in company_ids(tx, ws, &lookup.colleagues_at).await? {
        let rows = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(EXISTING);
            qb.push_bind(ws.0).push(" AND l.company_id = ").push_bind(company);
            qb.push(" ORDER BY l.name_key DESC LIMIT ").push_bind(COLLEAGUES_PER_COMPANY);
            qb.build_query_as::<ExistingLead>().fetch_all(&mut **conn).await?
        });
        for r in rows {
            found.entry(r.id).or_insert(r);
        }
    }
    // The other way round: leads written by sound at the companies of names written in
    // kanji. Their name keys (Latin letters, katakana) sort before every kanji, so each
    // company's part of the name index is walked only up to its first kanji name.
    let by_sound = match tx {
        Tx::Sqlite(_) => " AND l.name_key < ",
        // Byte order, whatever the database's collation.
        Tx::Postgres(_) => " AND l.name_key COLLATE \"C\" < ",
    };
    let companies = company_ids(tx, ws, &lookup.sound_colleagues_at).await?;
    for chunk in companies.chunks(CHUNK) {
        let rows = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(EXISTING);
            qb.push_bind(ws.0).push(" AND l.company_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")").push(by_sound).push_bind(FIRST_KANJI);
            qb.build_query_as::<ExistingLead>().fetch_all(&mut **conn).await?
        });
        for r in rows {
            found.entry(r.id).or_insert(r);
        }
    }
    let alternates = find_by_identities(tx, ws, &emails, &personal, &mobiles).await?;
    let mut out: Vec<ExistingLead> = found.into_values().collect();
    out.extend(alternates);
    Ok(out)
}

/// The first CJK unified ideograph: name keys below it are written by sound.
const FIRST_KANJI: &str = "\u{4E00}";

/// The ids of the companies with these name keys.
async fn company_ids(tx: &mut Tx, ws: WorkspaceId, keys: &[String]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let ids: Vec<i64> = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("SELECT id FROM companies WHERE workspace_id = ");
            qb.push_bind(ws.0).push(" AND name_key IN (");
            let mut list = qb.separated(", ");
            for key in chunk {
                list.push_bind(key.as_str());
            }
            qb.push(")");
            qb.build_query_scalar().fetch_all(&mut **conn).await?
        });
        out.extend(ids);
    }
    Ok(out)
}

/// A lead found by an email or number it was seen with besides its own fields.
#[derive(sqlx::FromRow)]
struct IdentityHit {
    kind: String,
    value: String,
    #[sqlx(flatten)]
    lead: ExistingLead,
}

/// The leads that were seen with one of these emails or numbers besides their own
/// fields (`lead_identities`), each as it would be with that value in the field: matching
/// then compares a row with every address and number the lead is known by. The same
/// columns as the leads' own: `personal` in both phone kinds, `mobiles` (every number)
/// among the numbers kept as a mobile.
async fn find_by_identities(
    tx: &mut Tx,
    ws: WorkspaceId,
    emails: &[&String],
    personal: &[&String],
    mobiles: &[&String],
) -> Result<Vec<ExistingLead>> {
    let mut out = Vec::new();
    if !crate::identities::any(tx, ws).await? {
        return Ok(out);
    }
    let queries: [(&str, &[&String]); 3] = [
        ("i.kind = 'email'", emails),
        ("i.kind = 'phone'", personal),
        ("i.kind = 'mobile'", mobiles),
    ];
    for (kind, values) in queries {
        for chunk in values.chunks(CHUNK) {
            let hits = with_tx!(tx, conn => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT i.kind, i.value, l.id, l.name, l.kana, l.email, l.phone, l.mobile, l.department, \
                     l.title, l.company_id, c.name_key AS company_name_key, c.domain AS company_domain \
                     FROM lead_identities i JOIN leads l ON l.workspace_id = i.workspace_id AND l.id = i.lead_id \
                     LEFT JOIN companies c ON c.workspace_id = l.workspace_id AND c.id = l.company_id \
                     WHERE i.workspace_id = ",
                );
                qb.push_bind(ws.0).push(" AND ").push(kind).push(" AND i.value IN (");
                let mut list = qb.separated(", ");
                for v in chunk {
                    list.push_bind(v.as_str());
                }
                qb.push(")");
                qb.build_query_as::<IdentityHit>().fetch_all(&mut **conn).await?
            });
            for hit in hits {
                let mut lead = hit.lead;
                let slot = match hit.kind.as_str() {
                    "email" => &mut lead.email,
                    "phone" => &mut lead.phone,
                    _ => &mut lead.mobile,
                };
                *slot = Some(hit.value);
                out.push(lead);
            }
        }
    }
    Ok(out)
}

/// Tables whose ids an import reserves before it writes their rows in batches.
#[derive(Debug, Clone, Copy)]
pub enum IdTable {
    Leads,
    Companies,
}

/// Reserves ids for `n` rows of `table` that this transaction inserts with explicit ids.
/// On SQLite the transaction must hold the write lock (`Db::begin_write`), so the ids
/// after the largest one stay free until it commits; on PostgreSQL they come from the
/// table's identity sequence.
pub async fn reserve_ids(tx: &mut Tx, table: IdTable, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let name = match table {
        IdTable::Leads => "leads",
        IdTable::Companies => "companies",
    };
    match tx {
        Tx::Sqlite(conn) => {
            let max: i64 = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) FROM {name}"))
                .fetch_one(&mut **conn)
                .await?;
            Ok((max + 1..=max + n as i64).collect())
        }
        Tx::Postgres(conn) => Ok(sqlx::query_scalar(&format!(
            "SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, $1)"
        ))
        .bind(n as i64)
        .fetch_all(&mut **conn)
        .await?),
    }
}

/// What company matching needs to know about a company already in the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompanyKeys {
    pub id: i64,
    pub name_key: String,
    pub legal_form: Option<String>,
    pub corporate_number: Option<String>,
    pub domain: Option<String>,
}

/// The companies that share a corporate number, a name key or a domain with the given
/// values, each once, by id.
pub async fn find_companies(
    tx: &mut Tx,
    ws: WorkspaceId,
    corporate_numbers: &[String],
    name_keys: &[String],
    domains: &[String],
) -> Result<Vec<CompanyKeys>> {
    let mut found: std::collections::BTreeMap<i64, CompanyKeys> = Default::default();
    let queries: [(&str, &[String]); 3] = [
        ("corporate_number", corporate_numbers),
        ("name_key", name_keys),
        ("domain", domains),
    ];
    for (column, values) in queries {
        for chunk in values.chunks(CHUNK) {
            let rows = with_tx!(tx, conn => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id, name_key, legal_form, corporate_number, domain FROM companies WHERE workspace_id = ",
                );
                qb.push_bind(ws.0).push(format!(" AND {column} IN ("));
                let mut list = qb.separated(", ");
                for v in chunk {
                    list.push_bind(v.as_str());
                }
                qb.push(")");
                qb.build_query_as::<CompanyKeys>().fetch_all(&mut **conn).await?
            });
            for r in rows {
                found.entry(r.id).or_insert(r);
            }
        }
    }
    Ok(found.into_values().collect())
}

/// Creates companies with ids from [`reserve_ids`]; each must have a name.
pub async fn insert_companies(
    tx: &mut Tx,
    ws: WorkspaceId,
    companies: &[(i64, crate::companies::CompanyInput)],
) -> Result<()> {
    let now = Micros::now().0;
    let named: Vec<(
        i64,
        &ondo_domain::CompanyName,
        &crate::companies::CompanyInput,
    )> = companies
        .iter()
        .filter_map(|(id, c)| c.name.as_ref().map(|n| (*id, n, c)))
        .collect();
    for chunk in named.chunks(CHUNK) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO companies (id, workspace_id, name, legal_form, legal_form_position, name_key, \
                 display_name, raw_name, domain, corporate_number, address, industry, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, (id, name, c)| {
                b.push_bind(*id)
                    .push_bind(ws.0)
                    .push_bind(name.name.clone())
                    .push_bind(name.legal_form.map(|f| f.key()))
                    .push_bind(name.position.map(crate::companies::position_key))
                    .push_bind(name.key())
                    .push_bind(name.display())
                    .push_bind(name.raw.clone())
                    .push_bind(c.domain.clone())
                    .push_bind(c.corporate_number.clone())
                    .push_bind(c.address.clone())
                    .push_bind(c.industry.clone())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}

/// Creates leads with ids from [`reserve_ids`], in `status`, each with its first status
/// history row.
pub async fn insert_leads(
    tx: &mut Tx,
    ws: WorkspaceId,
    leads: &[(i64, LeadFields)],
    status: LeadStatus,
    reason: &str,
    actor: &Actor,
) -> Result<()> {
    let now = Micros::now().0;
    // 24 values a row: 250 rows stay under SQLite's and PostgreSQL's bind limits.
    for chunk in leads.chunks(250) {
        let mut customs = Vec::with_capacity(chunk.len());
        for (_, f) in chunk {
            customs.push(
                serde_json::to_string(&f.custom_fields)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
            );
        }
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO leads (id, workspace_id, name, kana, email, phone, mobile, title, department, \
                 company_id, company_name, postcode, address, owner_id, status, lost_reason, custom_fields, \
                 consent_source, consent_at, email_opt_out, search_text, name_key, created_at, updated_at) ",
            );
            qb.push_values(chunk.iter().zip(&customs), |mut b, ((id, f), custom)| {
                b.push_bind(*id)
                    .push_bind(ws.0)
                    .push_bind(f.name.clone())
                    .push_bind(f.kana.clone())
                    .push_bind(f.email.clone())
                    .push_bind(f.phone.clone())
                    .push_bind(f.mobile.clone())
                    .push_bind(f.title.clone())
                    .push_bind(f.department.clone())
                    .push_bind(f.company_id)
                    .push_bind(f.company_name.clone())
                    .push_bind(f.postcode.clone())
                    .push_bind(f.address.clone())
                    .push_bind(f.owner_id)
                    .push_bind(status.key())
                    .push_bind(None::<String>)
                    .push_bind(custom.clone())
                    .push_bind(f.consent_source.clone())
                    .push_bind(f.consent_at)
                    .push_bind(f.email_opt_out)
                    .push_bind(f.search_text())
                    .push_bind(f.name_key())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(&mut **conn).await?;
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO status_history (workspace_id, lead_id, from_status, to_status, reason, changed_by, changed_at) ",
            );
            qb.push_values(chunk, |mut b, (id, _)| {
                b.push_bind(ws.0)
                    .push_bind(*id)
                    .push_bind(None::<String>)
                    .push_bind(status.key())
                    .push_bind(reason.to_string())
                    .push_bind(actor.user_id)
                    .push_bind(now);
            });
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}

/// The current fields of many leads, inside the transaction, by id.
pub async fn lead_fields_many(
    tx: &mut Tx,
    ws: WorkspaceId,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, LeadFields>> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let leads = with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(LEAD_FIELDS);
            qb.push(" WHERE l.workspace_id = ").push_bind(ws.0).push(" AND l.id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as::<crate::leads::Lead>().fetch_all(&mut **conn).await?
        });
        for lead in &leads {
            out.insert(lead.id, LeadFields::of(lead));
        }
    }
    Ok(out)
}

const LEAD_FIELDS: &str = crate::leads::BARE_SELECT;

/// Replaces a lead's fields and writes the audit entry with what changed.
pub async fn update_lead(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: i64,
    before: &LeadFields,
    after: &LeadFields,
    action: &str,
    actor: &Actor,
) -> Result<()> {
    if before == after {
        return Ok(());
    }
    let now = Micros::now().0;
    let (b, a) = crate::leads::changed_fields(before, after);
    let (b, a) = (
        serde_json::Value::Object(b).to_string(),
        serde_json::Value::Object(a).to_string(),
    );
    with_tx!(tx, conn => {
        crate::update_lead_fields!(&mut **conn, ws, id, after, now);
        crate::insert_audit!(&mut **conn, ws, actor, "lead", Some(id), action, Some(b.as_str()), Some(a.as_str()), now);
    });
    Ok(())
}

/// A touchpoint an import row makes; `dedupe_key` makes a re-import add nothing.
#[derive(Debug, Clone)]
pub struct ImportTouchpoint {
    pub lead_id: i64,
    pub kind: String,
    pub source: String,
    pub occurred_at: Micros,
    pub details: serde_json::Value,
    pub dedupe_key: String,
}

/// Inserts touchpoints, skipping those whose dedupe key exists; returns how many were new.
pub async fn insert_touchpoints(
    tx: &mut Tx,
    ws: WorkspaceId,
    tps: &[ImportTouchpoint],
) -> Result<u64> {
    let now = Micros::now().0;
    let mut added = 0;
    for chunk in tps.chunks(CHUNK) {
        added += with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO touchpoints (workspace_id, lead_id, kind, source, occurred_at, details, created_at, dedupe_key) ",
            );
            qb.push_values(chunk, |mut b, t| {
                b.push_bind(ws.0)
                    .push_bind(t.lead_id)
                    .push_bind(t.kind.clone())
                    .push_bind(t.source.clone())
                    .push_bind(t.occurred_at.0)
                    .push_bind(t.details.to_string())
                    .push_bind(now)
                    .push_bind(t.dedupe_key.clone());
            });
            qb.push(" ON CONFLICT (workspace_id, dedupe_key) DO NOTHING");
            qb.build().execute(&mut **conn).await?.rows_affected()
        });
    }
    Ok(added)
}

/// Records pairs of leads that may be the same person, for review; known pairs are kept.
pub async fn insert_candidate_pairs(
    tx: &mut Tx,
    ws: WorkspaceId,
    pairs: &[(i64, i64, String)],
) -> Result<()> {
    let now = Micros::now().0;
    for chunk in pairs.chunks(CHUNK) {
        with_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO candidate_pairs (workspace_id, lead_a, lead_b, reason, created_at) ",
            );
            qb.push_values(chunk, |mut b, (a, c, reason)| {
                b.push_bind(ws.0).push_bind(*a.min(c)).push_bind(*a.max(c)).push_bind(reason.clone()).push_bind(now);
            });
            qb.push(" ON CONFLICT (workspace_id, lead_a, lead_b) DO NOTHING");
            qb.build().execute(&mut **conn).await?;
        });
    }
    Ok(())
}

/// The outcome of one import, as recorded.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportRun {
    pub id: i64,
    pub file_name: String,
    pub source: String,
    pub mode: String,
    pub rows_total: i64,
    pub created: i64,
    pub merged: i64,
    pub updated: i64,
    pub skipped: i64,
    pub errors: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// Records an import and its audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn record_run(
    tx: &mut Tx,
    ws: WorkspaceId,
    file_name: &str,
    source: &str,
    mode: &str,
    counts: [i64; 5],
    errors_json: &str,
    actor: &Actor,
) -> Result<i64> {
    let now = Micros::now().0;
    let [rows, created, merged, updated, skipped] = counts;
    let after = serde_json::json!({
        "file": file_name, "source": source, "mode": mode, "rows": rows,
        "created": created, "merged": merged, "updated": updated, "skipped": skipped
    })
    .to_string();
    with_tx!(tx, conn => {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO imports (workspace_id, file_name, source, mode, rows_total, created, merged, updated, skipped, \
             errors, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(ws.0)
        .bind(file_name)
        .bind(source)
        .bind(mode)
        .bind(rows)
        .bind(created)
        .bind(merged)
        .bind(updated)
        .bind(skipped)
        .bind(errors_json)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut **conn)
        .await?;
        crate::insert_audit!(&mut **conn, ws, actor, "import", Some(id), "import", None::<&str>, Some(after.as_str()), now);
        Ok(id)
    })
}

/// One import of the workspace.
pub async fn get_run(db: &crate::Db, ws: WorkspaceId, id: i64) -> Result<ImportRun> {
    crate::with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ImportRun>(
            "SELECT id, file_name, source, mode, rows_total, created, merged, updated, skipped, errors, created_by, \
             created_at FROM imports WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0)
        .bind(id)
        .fetch_one(pool)
        .await?)
    })
}

/// Recent imports of the workspace, newest first.
pub async fn list_runs(db: &crate::Db, ws: WorkspaceId, limit: i64) -> Result<Vec<ImportRun>> {
    crate::with_db!(db, pool => {
        Ok(sqlx::query_as::<_, ImportRun>(
            "SELECT id, file_name, source, mode, rows_total, created, merged, updated, skipped, errors, created_by, \
             created_at FROM imports WHERE workspace_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(ws.0)
        .bind(limit)
        .fetch_all(pool)
        .await?)
    })
}
