//! Who may see which leads. The rule itself is [`ondo_store::leads::Visibility`]; this
//! module turns a user into it and answers a lead a user may not see as "not found", so
//! that ids cannot be probed.

use ondo_domain::Role;
use ondo_store::audit::AuditFilter;
use ondo_store::leads::{Lead, Visibility};
use ondo_store::users::User;
use ondo_store::{Db, WorkspaceId};

use super::ServiceError;

/// The leads this user may see: a salesperson their own, unassigned ones and their
/// companies' colleagues; every other role all of the workspace's.
pub fn visibility(user: &User) -> Visibility {
    match user.role() {
        Role::Sales => Visibility::Sales(user.id),
        Role::Admin | Role::Manager | Role::Marketing => Visibility::All,
    }
}

/// `Ok` when the user may see the lead with this id; `NotFound` when it does not exist
/// or they may not see it (the same answer, on purpose). Roles that see every lead cost
/// no query here: the handler's own read answers `NotFound` for a missing lead.
pub async fn ensure_can_see_lead(
    db: &Db,
    ws: WorkspaceId,
    user: &User,
    lead_id: i64,
) -> Result<(), ServiceError> {
    match visibility(user) {
        Visibility::All => Ok(()),
        v => {
            ondo_store::leads::get_visible(db, ws, lead_id, v).await?;
            Ok(())
        }
    }
}

/// The customer (a company with a won lead), if the user may see it: a salesperson one
/// where they own a lead, every other role any. `NotFound` otherwise, as for a company
/// that is no customer.
pub async fn visible_customer(
    db: &Db,
    ws: WorkspaceId,
    user: &User,
    company_id: i64,
) -> Result<ondo_store::customers::Customer, ServiceError> {
    let customer = ondo_store::customers::get(db, ws, company_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Visibility::Sales(me) = visibility(user)
        && !ondo_store::customers::owns_lead_in(db, ws, company_id, me).await?
    {
        return Err(ServiceError::NotFound);
    }
    Ok(customer)
}

/// [`ensure_can_see_lead`] for a lead already read.
pub async fn ensure_can_see(
    db: &Db,
    ws: WorkspaceId,
    user: &User,
    lead: &Lead,
) -> Result<(), ServiceError> {
    if ondo_store::leads::is_visible(db, ws, lead, visibility(user)).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The lead with this id, if the user may see it (`NotFound` otherwise).
pub async fn visible_lead(
    db: &Db,
    ws: WorkspaceId,
    user: &User,
    lead_id: i64,
) -> Result<Lead, ServiceError> {
    Ok(ondo_store::leads::get_visible(db, ws, lead_id, visibility(user)).await?)
}

/// Whether this user may give a lead owned by `from` to `to`: admins and managers may
/// move any lead, marketing may hand leads over, a salesperson may only take a lead
/// nobody owns for themselves.
pub fn may_reassign(user: &User, from: Option<i64>, to: Option<i64>) -> bool {
    match user.role() {
        Role::Admin | Role::Manager | Role::Marketing => true,
        Role::Sales => from.is_none() && to == Some(user.id),
    }
}

/// Whether this user may read the audit log: admins and managers.
pub fn may_read_audit(user: &User) -> bool {
    user.role().can_manage()
}

/// The audit-log filter a request asks for: `entity` must look like an entity name and
/// `actor` (an email or a user id) must be a user of the workspace; refused by field.
pub async fn audit_filter(
    db: &Db,
    ws: WorkspaceId,
    lead_id: Option<i64>,
    entity: Option<&str>,
    actor: Option<&str>,
    before_id: Option<i64>,
) -> Result<AuditFilter, ServiceError> {
    let entity = entity.map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = entity
        && (e.len() > 40 || !e.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
    {
        return Err(ServiceError::invalid(
            "entity",
            format!("\"{e}\" is not an entity name (lowercase letters and _)"),
        ));
    }
    let actor_user_id = match actor.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let found = match a.parse::<i64>() {
                Ok(id) => ondo_store::users::get(db, ws, id).await.ok(),
                Err(_) => ondo_store::users::find_by_email(db, ws, &a.to_lowercase()).await?,
            };
            let user = found.ok_or_else(|| {
                ServiceError::invalid("actor", format!("no user {a} in this workspace"))
            })?;
            Some(user.id)
        }
    };
    Ok(AuditFilter {
        lead_id,
        entity: entity.map(str::to_string),
        actor_user_id,
        before_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> User {
        User {
            id,
            workspace_id: 1,
            email: format!("u{id}@example.com"),
            display_name: format!("u{id}"),
            role: role.key().to_string(),
            password_hash: String::new(),
            locale: None,
            disabled: false,
            created_at: 0,
        }
    }

    #[test]
    fn a_salesperson_may_only_take_unassigned_leads_for_themselves() {
        let sales = user(7, Role::Sales);
        assert!(may_reassign(&sales, None, Some(7)));
        assert!(!may_reassign(&sales, None, Some(8)));
        assert!(!may_reassign(&sales, Some(8), Some(7)));
        assert!(!may_reassign(&sales, Some(7), None));
        assert!(!may_reassign(&sales, Some(7), Some(8)));
        for role in [Role::Admin, Role::Manager, Role::Marketing] {
            assert!(may_reassign(&user(1, role), Some(8), Some(7)), "{role:?}");
        }
    }

    #[test]
    fn only_sales_see_a_part_of_the_workspace() {
        assert_eq!(visibility(&user(7, Role::Sales)), Visibility::Sales(7));
        for role in [Role::Admin, Role::Manager, Role::Marketing] {
            assert_eq!(visibility(&user(1, role)), Visibility::All);
        }
    }
}
