//! Rescoring one lead: read its events and fields, compute fit and engagement with the
//! domain rules, store the keys, and apply a handoff rule's status change (assigning an
//! owner when the lead goes to sales).

use ondo_domain::scoring::{
    AssignmentFacts, EventKind, FitInput, HandoffFacts, HandoffRule, PageCategory, ScoredEvent,
    ScoringRules, engagement_key, evaluate, fit, jst_day, score_on,
};
use ondo_domain::{LeadStatus, Micros};
use ondo_store::scoring::{RuleChange, ScoreKeys};
use ondo_store::{Db, StoreError, Tx, WorkspaceId};

/// Priority of a lead without engagement: below every engaged lead, ordered by fit.
const NO_ENGAGEMENT: f64 = -1.0e6;

/// What rescoring changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Rescored {
    /// The engagement score today.
    pub engagement: f64,
    /// A status change made by a handoff rule: (from, to, rule).
    pub moved: Option<(LeadStatus, LeadStatus, HandoffRule)>,
}

/// Events as stored → events as the domain scores them.
pub fn scored_events(rows: Vec<ondo_store::events::ScoringEvent>) -> Vec<ScoredEvent> {
    rows.into_iter()
        .map(|r| ScoredEvent {
            kind: EventKind::parse(&r.kind).unwrap_or(EventKind::Custom(r.kind)),
            category: r
                .category
                .as_deref()
                .and_then(|c| PageCategory::parse(c).ok()),
            at: Micros(r.occurred_at),
            bot: r.bot_reason.is_some(),
        })
        .collect()
}

/// The queue's order: engagement times a fit factor (0.5 at fit 0 … 1.5 at fit 100) times,
/// when the lead has an AI probability p, an AI factor 0.5 + p (neutral at p = 0.5), as a
/// log key, so it stays right as every score decays (p is a constant until the lead is
/// scored again).
pub fn priority_key(
    engagement_key: Option<f64>,
    fit_score: f64,
    ai_probability: Option<f64>,
) -> f64 {
    let ai = ai_probability.map_or(0.0, |p| (0.5 + p.clamp(0.0, 1.0)).ln());
    match engagement_key {
        Some(k) => k + (0.5 + fit_score / 100.0).ln() + ai,
        None => NO_ENGAGEMENT + fit_score / 100.0 + ai,
    }
}

/// The fields of a lead the fit score reads.
struct Profile<'a> {
    company_id: Option<i64>,
    company_name: &'a Option<String>,
    department: &'a Option<String>,
    title: &'a Option<String>,
    email: &'a Option<String>,
    address: &'a Option<String>,
    /// The stored JSON object of custom fields.
    custom_fields: &'a str,
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|v| !v.trim().is_empty())
}

impl Profile<'_> {
    fn company_known(&self) -> bool {
        self.company_id.is_some() || nonblank(self.company_name).is_some()
    }

    fn department_known(&self) -> bool {
        nonblank(self.department).is_some()
    }

    /// Custom fields as (name, text) pairs.
    fn custom(&self) -> Vec<(String, String)> {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(self.custom_fields)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()
    }

    fn fit(&self, rules: &ScoringRules) -> ondo_domain::scoring::Fit {
        let custom = self.custom();
        fit(
            &rules.fit,
            &FitInput {
                company_known: self.company_known(),
                department: nonblank(self.department),
                title: nonblank(self.title),
                email_domain: self
                    .email
                    .as_deref()
                    .and_then(|e| e.rsplit_once('@'))
                    .map(|(_, d)| d),
                company_name: nonblank(self.company_name),
                address: nonblank(self.address),
                custom: &custom,
            },
        )
    }
}

/// Rescores a lead inside `tx` and applies the handoff rules; `None` when the workspace
/// has no such lead.
pub async fn rescore_lead(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    lead_id: i64,
    now: Micros,
) -> Result<Option<Rescored>, StoreError> {
    rescore(tx, ws, rules, lead_id, now, true).await
}

/// [`rescore_lead`], the handoff rules applied only with `apply_rules`.
pub async fn rescore(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    lead_id: i64,
    now: Micros,
    apply_rules: bool,
) -> Result<Option<Rescored>, StoreError> {
    let Some(facts) = ondo_store::scoring::lead_facts(tx, ws, lead_id).await? else {
        return Ok(None);
    };
    let events = scored_events(ondo_store::events::for_scoring(tx, ws, lead_id).await?);
    let ai = crate::ai::score::refresh_in_tx(tx, ws, &[lead_id], None, now).await?;
    let computed = compute(
        rules,
        &facts,
        &events,
        now,
        apply_rules,
        ai.get(&lead_id).copied(),
    );
    let engagement = score_on(computed.keys.engagement_key, jst_day(now), rules);
    ondo_store::scoring::set_scores(tx, ws, lead_id, &computed.keys).await?;
    let Some(t) = computed.transition else {
        return Ok(Some(Rescored {
            engagement,
            moved: None,
        }));
    };
    let moved = Some(apply_transition(tx, ws, rules, lead_id, &facts, &t, now).await?);
    Ok(Some(Rescored { engagement, moved }))
}

/// Stores a transition the handoff rules called for, as [`rescore`] does once the lead's
/// scores are written: a lead handed to sales without an owner gets one (assignment rules,
/// else the next sales user), the status change goes with its history and audit rows, and
/// the owner's notification is queued in the same transaction. Evaluates to (from, to,
/// rule).
pub async fn apply_transition(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    lead_id: i64,
    facts: &ondo_store::scoring::LeadFacts,
    t: &ondo_domain::scoring::Transition,
    now: Micros,
) -> Result<(LeadStatus, LeadStatus, HandoffRule), StoreError> {
    let assign_owner = if t.to == LeadStatus::SalesReady && facts.owner_id.is_none() {
        let profile = Profile {
            company_id: facts.company_id,
            company_name: &facts.company_name,
            department: &facts.department,
            title: &facts.title,
            email: &facts.email,
            address: &facts.address,
            custom_fields: &facts.custom_fields,
        };
        choose_owner(tx, ws, rules, lead_id, &profile, now).await?
    } else {
        None
    };
    let change = rule_change(rules, facts, t, assign_owner, now);
    ondo_store::scoring::apply_rule_change(tx, ws, lead_id, &change, now.0).await?;
    // The owner hears of it by email and webhook, queued in this transaction.
    if t.to == LeadStatus::SalesReady
        && let Some(owner) = assign_owner.or(facts.owner_id)
    {
        crate::notify::enqueue_handoff(tx, ws, lead_id, owner).await?;
    }
    let from = LeadStatus::parse(&facts.status).unwrap_or(LeadStatus::New);
    Ok((from, t.to, t.rule))
}

/// The owner of a lead handed to sales: the first assignment rule that matches and names
/// an active user, else the next sales user in turn. The choice goes to the audit log.
async fn choose_owner(
    tx: &mut Tx,
    ws: WorkspaceId,
    rules: &ScoringRules,
    lead_id: i64,
    profile: &Profile<'_>,
    now: Micros,
) -> Result<Option<i64>, StoreError> {
    if !rules.assignment.is_empty() {
        let sources = ondo_store::assignment::lead_sources(tx, ws, lead_id).await?;
        let custom = profile.custom();
        let facts = AssignmentFacts {
            sources: &sources,
            address: nonblank(profile.address),
            custom: &custom,
        };
        // A rule naming someone who left (or a typo) falls through to the next rule.
        for (i, rule) in rules.assignment.iter().enumerate() {
            if !rule.matches(&facts) {
                continue;
            }
            match ondo_store::assignment::active_user_by_email(tx, ws, &rule.owner).await? {
                Some(owner) => {
                    let how = format!(
                        "rule {}: {} contains \"{}\"",
                        i + 1,
                        rule.field.key(),
                        rule.contains
                    );
                    ondo_store::assignment::record_assignment(tx, ws, lead_id, owner, &how, now.0)
                        .await?;
                    return Ok(Some(owner));
                }
                None => tracing::warn!(
                    rule = i + 1,
                    owner = %rule.owner,
                    "assignment rule names no active user; trying the next"
                ),
            }
        }
    }
    let owner = ondo_store::scoring::next_sales_owner(tx, ws).await?;
    if let Some(owner) = owner {
        ondo_store::assignment::record_assignment(tx, ws, lead_id, owner, "round robin", now.0)
            .await?;
    }
    Ok(owner)
}

/// Attaches events kept for the lead's email, then rescores it, in one transaction: for a
/// lead just created or changed outside the event writer (the API, a form, the lead page).
pub async fn rescore_now(
    db: &Db,
    ws: WorkspaceId,
    lead_id: i64,
    email: Option<&str>,
) -> Result<Option<Rescored>, StoreError> {
    let (_, rules) = super::workspace_rules(db, ws).await?;
    let mut tx = db.begin_write().await?;
    ondo_store::events::attach(&mut tx, ws, lead_id, email, None).await?;
    let out = rescore_lead(&mut tx, ws, &rules, lead_id, Micros::now()).await?;
    tx.commit().await?;
    Ok(out)
}

/// A lead's scores explained for its page: today's engagement and temperature, the fit
/// and its parts, and which events give how many points today.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub engagement: f64,
    pub temperature: ondo_domain::scoring::Temperature,
    pub fit: ondo_domain::scoring::Fit,
    pub breakdown: Vec<ondo_domain::scoring::BreakdownLine>,
    pub half_life_days: f64,
}

/// Explains a lead's scores with the workspace's current rules.
pub async fn explain(
    db: &Db,
    ws: WorkspaceId,
    lead: &ondo_store::leads::Lead,
    now: Micros,
) -> Result<Explanation, StoreError> {
    let (_, rules) = super::workspace_rules(db, ws).await?;
    let events = scored_events(ondo_store::events::for_scoring_db(db, ws, lead.id).await?);
    let today = jst_day(now);
    let engagement = score_on(engagement_key(&rules, &events), today, &rules);
    let fit = Profile {
        company_id: lead.company_id,
        company_name: &lead.company_name,
        department: &lead.department,
        title: &lead.title,
        email: &lead.email,
        address: &lead.address,
        custom_fields: &lead.custom_fields,
    }
    .fit(&rules);
    Ok(Explanation {
        engagement,
        temperature: ondo_domain::scoring::temperature(&rules, engagement),
        fit,
        breakdown: ondo_domain::scoring::breakdown(&rules, &events, today),
        half_life_days: rules.half_life_days,
    })
}

/// What rescoring a lead comes to, before anything is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    /// The scores to store.
    pub keys: ScoreKeys,
    /// The status change the handoff rules call for (only looked for with `apply_rules`).
    pub transition: Option<ondo_domain::scoring::Transition>,
}

/// [`rescore`]'s arithmetic for a lead whose facts, events and AI probability are
/// already read, without touching the database. Rescoring many leads at once computes every lead with it, writes
/// the keys in bulk and sends only the leads with a transition through [`rescore`] (which
/// assigns owners and writes history and audit); a test keeps the two in agreement.
pub fn compute(
    rules: &ScoringRules,
    facts: &ondo_store::scoring::LeadFacts,
    events: &[ScoredEvent],
    now: Micros,
    apply_rules: bool,
    ai_probability: Option<f64>,
) -> Computed {
    let key = engagement_key(rules, events);
    let profile = Profile {
        company_id: facts.company_id,
        company_name: &facts.company_name,
        department: &facts.department,
        title: &facts.title,
        email: &facts.email,
        address: &facts.address,
        custom_fields: &facts.custom_fields,
    };
    let fit = profile.fit(rules);
    let keys = ScoreKeys {
        engagement_key: key,
        fit_score: fit.score,
        fit_grade: fit.grade.key(),
        priority_key: priority_key(key, fit.score, ai_probability),
        last_engaged_at: events.iter().filter(|e| !e.bot).map(|e| e.at.0).max(),
    };
    let transition = apply_rules
        .then(|| {
            evaluate(
                &rules.handoff,
                &HandoffFacts {
                    status: LeadStatus::parse(&facts.status).unwrap_or(LeadStatus::New),
                    status_since: Micros(facts.status_since),
                    now,
                    engagement: score_on(key, jst_day(now), rules),
                    fit_grade: fit.grade,
                    company_known: profile.company_known(),
                    department_known: profile.department_known(),
                    events,
                },
            )
        })
        .flatten();
    Computed { keys, transition }
}

/// The stored form of a transition [`compute`] found, as [`rescore`] writes it (a
/// dormant lead gets its re-nurture date); for transitions that do not hand the lead to
/// sales, which [`rescore`] only stores (no owner to choose, nobody to notify).
pub fn rule_change(
    rules: &ScoringRules,
    facts: &ondo_store::scoring::LeadFacts,
    t: &ondo_domain::scoring::Transition,
    assign_owner: Option<i64>,
    now: Micros,
) -> RuleChange<'static> {
    let from = LeadStatus::parse(&facts.status).unwrap_or(LeadStatus::New);
    RuleChange {
        from: from.key(),
        to: t.to.key(),
        rule: t.rule.key(),
        reason_ja: t.reason.text_ja(),
        reason_en: t.reason.text_en(),
        assign_owner,
        renurture_on: (t.to == LeadStatus::LostDormant).then(|| {
            now.saturating_add(Micros::days(i64::from(rules.handoff.dormant_days)))
                .0
        }),
        returned: t.rule == HandoffRule::Returned,
    }
}
