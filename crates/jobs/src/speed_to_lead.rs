//! Speed-to-lead: a lead that became sales-ready must get a call, email or meeting
//! within the workspace's window of business minutes (JST business hours, weekdays that
//! are not holidays). The housekeeping loop sweeps for leads whose window has passed
//! untouched and alerts the owner and every manager — in the app, by email — and the
//! webhook channels, once per status change.

use ondo_domain::Micros;
use ondo_domain::business_hours::BusinessHours;
use ondo_store::alerts::{self, NewAlert};
use ondo_store::workflow_settings::{self, SPEED_TO_LEAD_ALERT, WaitingHandoff};
use ondo_store::{Db, StoreError, WorkspaceId};
use serde_json::json;

use crate::notify::speed::{self, MissFacts};

/// Only status changes this recent are looked at: an older miss is history, not news.
pub const LOOKBACK_DAYS: i64 = 14;

/// Sweeps every workspace; evaluates to how many misses were newly alerted.
pub async fn sweep(db: &Db, now: Micros) -> Result<usize, StoreError> {
    let mut total = 0;
    for ws in ondo_store::dormancy::workspace_ids(db).await? {
        let n = sweep_workspace(db, ws, now).await?;
        if n > 0 {
            tracing::info!(workspace = ws.0, missed = n, "speed-to-lead misses alerted");
        }
        total += n;
    }
    Ok(total)
}

/// Who hears of a miss: the lead's owner and every manager (the admins when the
/// workspace has no manager), active users only, each once.
fn recipients(users: &[ondo_store::users::User], owner_id: Option<i64>) -> Vec<i64> {
    use ondo_domain::Role;
    let active = || users.iter().filter(|u| !u.disabled);
    let mut ids: Vec<i64> = active()
        .filter(|u| Some(u.id) == owner_id)
        .map(|u| u.id)
        .collect();
    let mut managers: Vec<i64> = active()
        .filter(|u| u.role() == Role::Manager)
        .map(|u| u.id)
        .collect();
    if managers.is_empty() {
        managers = active()
            .filter(|u| u.role() == Role::Admin)
            .map(|u| u.id)
            .collect();
    }
    for id in managers {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Sweeps one workspace as of `now`; evaluates to how many misses were newly alerted.
pub async fn sweep_workspace(db: &Db, ws: WorkspaceId, now: Micros) -> Result<usize, StoreError> {
    let settings = workflow_settings::get(db, ws).await?;
    // Saved settings were checked; a row edited by hand falls back to the defaults.
    let hours = BusinessHours::new(
        i64::from(settings.day_start_minute),
        i64::from(settings.day_end_minute),
    )
    .unwrap_or_default();
    let minutes = u32::try_from(settings.speed_to_lead_minutes)
        .ok()
        .filter(|m| *m > 0)
        .unwrap_or(60);
    // A window of N business minutes is at least N minutes of wall-clock time.
    // Only handoffs since the rule started in this workspace (none before its start).
    let Some(started) = settings.started_at else {
        return Ok(0);
    };
    let since = Micros(
        now.saturating_add(-Micros::days(LOOKBACK_DAYS))
            .0
            .max(started),
    );
    let until = now.saturating_add(-Micros::minutes(i64::from(minutes)));
    let waiting = workflow_settings::waiting_handoffs(db, ws, since, until).await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let users = ondo_store::users::list(db, ws).await?;
    let channels: Vec<i64> = ondo_store::notifications::list(db, ws)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| c.id)
        .collect();
    let mut alerted = 0;
    for w in waiting {
        let deadline = hours.add_minutes(Micros(w.changed_at), minutes);
        if deadline > now {
            continue;
        }
        if alert_miss(db, ws, &w, &users, &channels, deadline, minutes, now).await? {
            alerted += 1;
        }
    }
    Ok(alerted)
}

/// In one transaction: the alerts of one miss, an email per new alert, and the channels'
/// messages when anyone was newly alerted. Evaluates to whether anyone was.
#[allow(clippy::too_many_arguments)]
async fn alert_miss(
    db: &Db,
    ws: WorkspaceId,
    w: &WaitingHandoff,
    users: &[ondo_store::users::User],
    channels: &[i64],
    deadline: Micros,
    minutes: u32,
    now: Micros,
) -> Result<bool, StoreError> {
    let owner_name = w
        .owner_id
        .and_then(|id| users.iter().find(|u| u.id == id))
        .map(|u| u.display_name.clone());
    let facts = MissFacts {
        lead_id: w.lead_id,
        history_id: w.history_id,
        owner_id: w.owner_id,
        sales_ready_at: Micros(w.changed_at),
        deadline,
        minutes,
    };
    let details = json!({
        "history_id": w.history_id,
        "owner_id": w.owner_id,
        "owner_name": owner_name,
        "sales_ready_at": w.changed_at,
        "deadline": deadline.0,
        "minutes": minutes,
    });
    let mut tx = db.begin_write().await?;
    let mut raised = false;
    for user_id in recipients(users, w.owner_id) {
        let new = NewAlert {
            user_id,
            kind: SPEED_TO_LEAD_ALERT.into(),
            lead_id: Some(w.lead_id),
            dedupe_key: w.history_id.to_string(),
            details: details.clone(),
        };
        if alerts::raise(&mut tx, ws, &new, now).await?.is_some() {
            raised = true;
            speed::enqueue_email(&mut tx, ws, &facts, user_id, now).await?;
        }
    }
    if raised {
        for &channel_id in channels {
            speed::enqueue_webhook(&mut tx, ws, &facts, channel_id, now).await?;
        }
    }
    tx.commit().await?;
    Ok(raised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ondo_domain::Role;

    fn user(id: i64, role: Role, disabled: bool) -> ondo_store::users::User {
        ondo_store::users::User {
            id,
            workspace_id: 1,
            email: format!("u{id}@example.com"),
            display_name: format!("U{id}"),
            role: role.key().into(),
            password_hash: String::new(),
            locale: None,
            disabled,
            created_at: 0,
        }
    }

    #[test]
    fn the_owner_and_active_managers_hear_of_a_miss_once_each() {
        let users = [
            user(1, Role::Admin, false),
            user(2, Role::Manager, false),
            user(3, Role::Manager, true),
            user(4, Role::Sales, false),
            user(5, Role::Sales, false),
        ];
        assert_eq!(recipients(&users, Some(4)), [4, 2]);
        assert_eq!(recipients(&users, None), [2]);
        // A manager who owns the lead hears of it once.
        assert_eq!(recipients(&users, Some(2)), [2]);
        // No manager: the admins stand in.
        let no_managers = [user(1, Role::Admin, false), user(4, Role::Sales, false)];
        assert_eq!(recipients(&no_managers, Some(4)), [4, 1]);
    }
}
