//! `ondo-bench seed`: a workspace with many realistic leads, written through the store's
//! bulk loader.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use ondo_domain::{CompanyName, Email, LeadStatus, Micros, PersonName, PostalCode, reading};
use ondo_store::bulk::{BulkLead, BulkStatusChange};
use ondo_store::companies::CompanyInput;
use ondo_store::leads::{LeadFields, NewTouchpoint};
use ondo_store::{Db, WorkspaceId};

use crate::vocab::SEED_SOURCES;
use crate::world::{Person, World, shared_data_dir};

const DAY: i64 = 86_400_000_000;

/// Creates `data_dir/ondo.db` with workspace "default" holding `leads` leads.
pub async fn run(data_dir: &Path, leads: u64, seed: u64, chunk: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let db_path = data_dir.join("ondo.db");
    if db_path.exists() {
        bail!(
            "{} already exists: seed writes a fresh database (lead ids must start at 1)",
            db_path.display()
        );
    }
    let db = Db::open_data_dir(data_dir)
        .await
        .with_context(|| format!("cannot create {}", db_path.display()))?;
    let ws = ondo_store::workspaces::ensure(&db, "default").await?.id();

    let t = Instant::now();
    let data = shared_data_dir();
    let world = World::new(seed, leads, data.as_deref());
    eprintln!(
        "world: {} companies ({} from the public lists in {}), built in {:.1} s",
        world.seed_companies,
        world.real_names.min(world.seed_companies),
        data.as_deref()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "(absent)".into()),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let company_ids = insert_companies(&db, ws, &world).await?;
    let companies_s = t.elapsed().as_secs_f64();
    eprintln!(
        "companies: {} in {companies_s:.1} s ({:.0}/s)",
        company_ids.len(),
        company_ids.len() as f64 / companies_s
    );

    let t = Instant::now();
    let now = Micros::now().0;
    let mut next_report = 100_000;
    let (mut gen_s, mut insert_s) = (0.0, 0.0);
    let mut j = 0u64;
    while j < leads {
        let end = (j + chunk as u64).min(leads);
        let g = Instant::now();
        let batch: Vec<BulkLead> = (j..end)
            .map(|k| bulk_lead(&world, &world.person(k), &company_ids, now))
            .collect::<anyhow::Result<_>>()?;
        gen_s += g.elapsed().as_secs_f64();
        let i = Instant::now();
        let ids = ondo_store::bulk::insert_leads(&db, ws, &batch).await?;
        insert_s += i.elapsed().as_secs_f64();
        // The import benchmark relies on person j being lead j + 1.
        if ids.first() != Some(&(j as i64 + 1)) || ids.last() != Some(&(end as i64)) {
            bail!(
                "lead ids {:?}..{:?} do not follow the person numbers {}..{}",
                ids.first(),
                ids.last(),
                j + 1,
                end
            );
        }
        j = end;
        if j >= next_report || j == leads {
            let s = t.elapsed().as_secs_f64();
            eprintln!(
                "leads: {j}/{leads} in {s:.1} s ({:.0}/s)",
                j as f64 / s.max(1e-9)
            );
            next_report += 100_000;
        }
    }
    let leads_s = t.elapsed().as_secs_f64();
    db.close().await;
    let total = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0);
    println!(
        "seeded {leads} leads at {} companies into {} in {total:.1} s \
         (companies {companies_s:.1} s; leads {leads_s:.1} s = {:.0} leads/s, of which \
         generating {gen_s:.1} s and insert_leads {insert_s:.1} s); database {:.0} MB",
        company_ids.len(),
        db_path.display(),
        leads as f64 / leads_s.max(1e-9),
        size as f64 / 1e6
    );
    Ok(())
}

/// Creates the seeded companies in one transaction; returns their ids by company index.
async fn insert_companies(db: &Db, ws: WorkspaceId, world: &World) -> anyhow::Result<Vec<i64>> {
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(world.seed_companies);
    for c in 0..world.seed_companies {
        let company = world.company(c);
        let name = CompanyName::parse(&company.raw)
            .with_context(|| format!("company name {:?}", company.raw))?;
        let input = CompanyInput {
            name: Some(name),
            corporate_number: None,
            domain: Some(company.domain.clone()),
            address: Some(format!("〒{} {}", company.postcode, company.address)),
            industry: None,
        };
        let found = ondo_store::companies::find_or_create_in(&mut tx, ws, &input)
            .await?
            .context("find_or_create returned no company for a named input")?;
        ids.push(found.id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// The lead of person `p`, normalised the way an import would store it.
fn bulk_lead(world: &World, p: &Person, company_ids: &[i64], now: i64) -> anyhow::Result<BulkLead> {
    let company = world.company(p.company);
    let name = PersonName::parse(&p.name())?;
    let email = Email::parse(&p.email)?;
    let created = now - p.age_days * DAY - (p.j as i64 % 86_400) * 1_000_000;
    let updated = created + (now - created) / 3;
    let (kind, source) = SEED_SOURCES[p.source];
    let fields = LeadFields {
        name: name.as_str().to_string(),
        kana: reading(&p.kana()),
        email: Some(email.as_str().to_string()),
        phone: p.phone.clone(),
        mobile: p.mobile.clone(),
        title: p.title.map(str::to_string),
        department: p.department.map(str::to_string),
        company_id: Some(company_ids[p.company]),
        company_name: Some(company.raw.trim().to_string()),
        postcode: Some(PostalCode::parse(company.postcode)?.as_str().to_string()),
        address: Some(company.address.clone()),
        ..LeadFields::default()
    };
    let mut status_changes = vec![BulkStatusChange {
        from: None,
        to: LeadStatus::New,
        at: Micros(created),
        user_id: None,
        reason: String::new(),
    }];
    if p.status != LeadStatus::New {
        status_changes.push(BulkStatusChange {
            from: Some(LeadStatus::New),
            to: p.status,
            at: Micros(updated),
            user_id: None,
            reason: String::new(),
        });
    }
    Ok(BulkLead {
        fields,
        status: p.status,
        lost_reason: (p.status == LeadStatus::LostDormant).then(|| "時期尚早".to_string()),
        created_at: Micros(created),
        updated_at: Micros(updated),
        touchpoints: vec![NewTouchpoint {
            kind: kind.to_string(),
            source: source.to_string(),
            occurred_at: Micros(created),
            details: serde_json::json!({}),
        }],
        events: Vec::new(),
        activities: Vec::new(),
        status_changes,
    })
}
