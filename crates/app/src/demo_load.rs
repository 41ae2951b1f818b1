//! Loads the generated demo workspace into the database through the same parsers that
//! imports use, so the demo shows normalised data.

use std::collections::HashMap;

use ondo_domain::scoring::{
    EventKind, ScoredEvent, ScoringRules, categorize, engagement_key, jst_day, score_on,
    temperature,
};
use ondo_domain::{CompanyName, CorporateNumber, Email, Micros, Phone, PostalCode, reading};
use ondo_store::bulk::{BulkActivity, BulkEvent, BulkLead, BulkStatusChange};
use ondo_store::companies::CompanyInput;
use ondo_store::leads::{LeadFields, NewTouchpoint};
use ondo_store::{Db, WorkspaceId};

use crate::demo::{self, DemoWorkspace};

/// The password of every demo user, printed by `serve --demo`.
pub const DEMO_PASSWORD: &str = "ondo-demo-2026";
/// The demo user to sign in as first.
pub const DEMO_ADMIN: &str = "admin@demo.ondo.example";

/// What was loaded.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub users: usize,
    pub companies: usize,
    pub leads: usize,
    pub events: usize,
    /// What the first AI training came to, in English (a model, or why there is none).
    pub ai: String,
}

/// Loads the demo workspace when the workspace has no leads; returns `None` otherwise.
pub async fn load_if_empty(
    db: &Db,
    ws: WorkspaceId,
    fast_hashing: bool,
) -> anyhow::Result<Option<DemoSummary>> {
    if !ondo_store::bulk::workspace_is_empty(db, ws).await? {
        return Ok(None);
    }
    let sources = demo::load_company_sources();
    let data = demo::generate(42, Micros::now(), &sources);
    Ok(Some(load(db, ws, &data, fast_hashing).await?))
}

/// Writes `data` into the workspace.
pub async fn load(
    db: &Db,
    ws: WorkspaceId,
    data: &DemoWorkspace,
    fast_hashing: bool,
) -> anyhow::Result<DemoSummary> {
    ondo_store::workspaces::set_display_name(db, ws, "デモ株式会社").await?;
    let hash = ondo_web::password::hash(DEMO_PASSWORD, fast_hashing);
    let mut user_ids = Vec::with_capacity(data.users.len());
    for u in &data.users {
        let id = match ondo_store::users::find_by_email(db, ws, &u.email).await? {
            Some(existing) => existing.id,
            None => {
                ondo_store::users::create(db, ws, &u.email, &u.display_name, u.role, &hash)
                    .await?
                    .id
            }
        };
        user_ids.push(id);
    }

    // The standard rules: the demo's temperatures at each activity.
    let rules = ScoringRules::default();
    let mut company_ids: HashMap<usize, (i64, String)> = HashMap::new();
    for (i, c) in data.companies.iter().enumerate() {
        let Ok(name) = CompanyName::parse(&c.raw_name) else {
            continue;
        };
        let input = CompanyInput {
            name: Some(name),
            corporate_number: c
                .corporate_number
                .as_deref()
                .and_then(|n| CorporateNumber::parse(n).ok())
                .map(|n| n.as_str().to_string()),
            domain: c.domain.clone(),
            address: c.address.clone(),
            industry: c.industry.clone(),
        };
        if let Some(company) = ondo_store::companies::find_or_create(db, ws, &input).await? {
            company_ids.insert(i, (company.id, c.raw_name.trim().to_string()));
        }
    }

    let user = |i: usize| user_ids.get(i).copied();
    let mut events = 0;
    // Ids follow creation time, so "newest first" lists read naturally.
    let mut ordered: Vec<&demo::DemoLead> = data.leads.iter().collect();
    ordered.sort_by_key(|l| l.created_at);
    let leads: Vec<BulkLead> = ordered
        .into_iter()
        .map(|l| {
            events += l.events.len();
            let company = l.company.and_then(|i| company_ids.get(&i));
            let fields = LeadFields {
                name: l.name.clone(),
                kana: reading(&l.kana),
                email: l
                    .email
                    .as_deref()
                    .and_then(|e| Email::parse(e).ok())
                    .map(|e| e.as_str().to_string()),
                phone: l.phone.as_deref().map(|p| {
                    Phone::parse(p)
                        .map(|p| p.national())
                        .unwrap_or_else(|_| p.to_string())
                }),
                mobile: l.mobile.as_deref().map(|p| {
                    Phone::parse(p)
                        .map(|p| p.national())
                        .unwrap_or_else(|_| p.to_string())
                }),
                title: l.title.clone(),
                department: l.department.clone(),
                company_id: company.map(|c| c.0),
                company_name: company.map(|c| c.1.clone()),
                postcode: l
                    .postcode
                    .as_deref()
                    .and_then(|p| PostalCode::parse(p).ok())
                    .map(|p| p.as_str().to_string()),
                address: l.address.clone(),
                owner_id: l.owner.and_then(user),
                custom_fields: l.custom_fields.clone(),
                consent_source: l.consent_source.clone(),
                consent_at: l.consent_at.map(|m| m.0),
                email_opt_out: l.email_opt_out,
            };
            let updated_at = l
                .status_changes
                .iter()
                .map(|s| s.at)
                .chain(l.activities.iter().map(|a| a.at))
                .max()
                .unwrap_or(l.created_at);
            BulkLead {
                fields,
                status: l.status,
                lost_reason: l.lost_reason.clone(),
                created_at: l.created_at,
                updated_at,
                touchpoints: l
                    .touchpoints
                    .iter()
                    .map(|t| NewTouchpoint {
                        kind: t.kind.clone(),
                        source: t.source.clone(),
                        occurred_at: t.at,
                        details: serde_json::json!({}),
                    })
                    .collect(),
                events: l
                    .events
                    .iter()
                    .map(|e| BulkEvent {
                        kind: e.kind.clone(),
                        at: e.at,
                        url: e.url.clone(),
                        properties: e.properties.clone(),
                    })
                    .collect(),
                activities: {
                    let scored = scored(&rules, &l.events);
                    l.activities
                        .iter()
                        .map(|a| BulkActivity {
                            kind: a.kind.clone(),
                            outcome: a.outcome.clone(),
                            note: a.note.clone(),
                            at: a.at,
                            user_id: user(a.user),
                            temperature: Some(temperature_at(&rules, &scored, a.at).to_string()),
                        })
                        .collect()
                },
                status_changes: l
                    .status_changes
                    .iter()
                    .map(|s| BulkStatusChange {
                        from: s.from,
                        to: s.to,
                        at: s.at,
                        user_id: s.user.and_then(user),
                        reason: s.reason.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    let ids = ondo_store::bulk::insert_leads(db, ws, &leads).await?;
    follow_ups(db, ws, data, &ids, &user_ids, &company_ids).await?;
    // A trade-show list through the real import: merges, candidate pairs for the duplicate
    // review, new leads, and an entry in the import history.
    let list = demo::list::trade_show_list(data);
    let file = ondo_ingest::SourceFile::from_bytes(
        demo::list::LIST_FILE,
        list.into_bytes(),
        &ondo_ingest::OpenOptions::default(),
    )?;
    let imported = ondo_jobs::import::run(
        db,
        ws,
        file,
        &ondo_jobs::import::ImportOptions {
            source: Some(demo::list::LIST_SOURCE.to_string()),
            mode: ondo_jobs::import::ImportMode::Upsert,
            dry_run: false,
            file_name: demo::list::LIST_FILE.to_string(),
            actor: ondo_store::Actor::system("demo"),
            progress: None,
            chunk_rows: ondo_jobs::import::CHUNK_ROWS,
            preview_rows: None,
        },
    )
    .await?;
    // Scores for the queue and the lead pages; the statuses stay as the demo tells them.
    ondo_jobs::scoring::rescore::rescore_all(db, ws, false, &mut |_| {}).await?;
    // The AI score learnt from the demo's own outcomes, as an admin would on day one.
    let actor = ondo_store::Actor::system("demo");
    let (_, trained) = ondo_jobs::ai::train_now(db, ws, &actor, "demo").await?;
    Ok(DemoSummary {
        users: user_ids.len(),
        companies: company_ids.len(),
        leads: leads.len() + imported.created,
        events,
        ai: trained.message().en,
    })
}

/// The demo's events as the scoring sees them.
fn scored(rules: &ScoringRules, events: &[crate::demo::DemoEvent]) -> Vec<ScoredEvent> {
    events
        .iter()
        .map(|e| ScoredEvent {
            kind: EventKind::parse(&e.kind).unwrap_or(EventKind::Custom(e.kind.clone())),
            category: e.url.as_deref().map(|u| categorize(u, &rules.page_rules)),
            at: e.at,
            bot: false,
        })
        .collect()
}

/// The lead's temperature at `at`, from its events until then: what a salesperson saw
/// when they logged the activity (the reports compare it with the outcome).
fn temperature_at(rules: &ScoringRules, events: &[ScoredEvent], at: Micros) -> &'static str {
    let before: Vec<ScoredEvent> = events.iter().filter(|e| e.at <= at).cloned().collect();
    let score = score_on(engagement_key(rules, &before), jst_day(at), rules);
    temperature(rules, score).key()
}

/// The salespeople's follow-ups, so the home page and the "today" view have work on the
/// first visit: for each rep some overdue, some due today and some in the next days, on
/// their sales-ready leads and opportunities; and a renewal for each customer.
async fn follow_ups(
    db: &Db,
    ws: WorkspaceId,
    data: &DemoWorkspace,
    lead_ids: &[i64],
    user_ids: &[i64],
    company_ids: &HashMap<usize, (i64, String)>,
) -> anyhow::Result<()> {
    use ondo_domain::LeadStatus;
    use ondo_store::tasks::NewTask;
    let actor = ondo_store::Actor::system("demo");
    let today = ondo_domain::business_hours::jst_day_start(Micros::now());
    // (days from today, hour JST, title)
    const PLAN: [(i64, i64, &str); 6] = [
        (-2, 10, "資料送付後のフォロー電話"),
        (-1, 15, "見積もりの回答確認"),
        (0, 10, "アポの日程確定の電話"),
        (0, 16, "導入事例の資料を送る"),
        (2, 11, "デモ環境の案内メール"),
        (5, 14, "決裁者同席の打ち合わせ設定"),
    ];
    let mut per_owner: HashMap<usize, usize> = HashMap::new();
    for (l, &lead_id) in data.leads.iter().zip(lead_ids) {
        let Some(owner) = l.owner else { continue };
        if !matches!(l.status, LeadStatus::SalesReady | LeadStatus::Opportunity) {
            continue;
        }
        let n = per_owner.entry(owner).or_default();
        let Some(&(days, hour, title)) = PLAN.get(*n) else {
            continue;
        };
        *n += 1;
        let due_at = today.saturating_add(Micros::days(days) + Micros::hours(hour));
        let task = NewTask {
            lead_id: Some(lead_id),
            company_id: None,
            owner_id: user_ids[owner],
            kind: "follow_up".to_string(),
            title: title.to_string(),
            note: None,
            due_at,
        };
        ondo_store::tasks::create(db, ws, &task, &actor).await?;
    }
    let mut renewals: std::collections::HashSet<usize> = Default::default();
    for l in data.leads.iter().filter(|l| l.status == LeadStatus::Won) {
        let (Some(company), Some(owner)) = (l.company, l.owner) else {
            continue;
        };
        let Some((company_id, _)) = company_ids.get(&company) else {
            continue;
        };
        if !renewals.insert(company) {
            continue;
        }
        let task = NewTask {
            lead_id: None,
            company_id: Some(*company_id),
            owner_id: user_ids[owner],
            kind: "renewal".to_string(),
            title: "契約更新の意向確認".to_string(),
            note: None,
            due_at: today.saturating_add(Micros::days(60) + Micros::hours(10)),
        };
        ondo_store::tasks::create(db, ws, &task, &actor).await?;
    }
    Ok(())
}
