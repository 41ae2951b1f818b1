//! User roles and what they may do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, quote};

/// A user's role within a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Full control, including users and settings.
    Admin,
    /// Manages teams, assignments and reports.
    Manager,
    /// Imports and nurtures leads.
    Marketing,
    /// Works the leads handed over to sales.
    Sales,
}

impl Role {
    /// Every role, from most to least privileged.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Marketing, Role::Sales];

    /// Returns the stable snake_case key stored in the database.
    pub fn key(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Marketing => "marketing",
            Role::Sales => "sales",
        }
    }

    /// Parses a key (surrounding whitespace and ASCII case are ignored).
    pub fn parse(key: &str) -> Result<Self, DomainError> {
        let wanted = key.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.key().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let allowed: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                DomainError::invalid(
                    "role",
                    format!(
                        "must be one of {}; got {}",
                        allowed.join(", "),
                        quote(wanted)
                    ),
                )
            })
    }

    /// Returns the Japanese label.
    pub fn label_ja(&self) -> &'static str {
        match self {
            Role::Admin => "管理者",
            Role::Manager => "マネージャー",
            Role::Marketing => "マーケティング",
            Role::Sales => "営業",
        }
    }

    /// Returns the English label.
    pub fn label_en(&self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Marketing => "Marketing",
            Role::Sales => "Sales",
        }
    }

    /// Returns true if the role may administer the workspace (users, settings).
    pub fn can_admin(&self) -> bool {
        matches!(self, Role::Admin)
    }

    /// Returns true if the role may manage leads and assignments of others.
    pub fn can_manage(&self) -> bool {
        matches!(self, Role::Admin | Role::Manager)
    }

    /// Returns true if the role may send behaviour events (marketing's tools do; a
    /// salesperson's token may not make its own leads hot).
    pub fn can_send_events(&self) -> bool {
        !matches!(self, Role::Sales)
    }

    /// Returns true if the role may change the scoring and handoff rules (everyone may
    /// read them: they are the shared language of marketing and sales).
    pub fn can_edit_scoring(&self) -> bool {
        !matches!(self, Role::Sales)
    }

    /// Returns true if the role may see every salesperson's queue.
    pub fn can_see_every_queue(&self) -> bool {
        !matches!(self, Role::Sales)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Role {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    #[test]
    fn keys_round_trip_and_match_serde() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()), Ok(r));
            assert_eq!(r.to_string().parse::<Role>(), Ok(r));
            let d: StrDeserializer<'_, DeError> = r.key().into_deserializer();
            assert_eq!(Role::deserialize(d), Ok(r));
        }
        assert_eq!(Role::parse("ADMIN"), Ok(Role::Admin));
    }

    #[test]
    fn permissions() {
        assert!(Role::Admin.can_admin());
        assert!(Role::Admin.can_manage());
        assert!(!Role::Manager.can_admin());
        assert!(Role::Manager.can_manage());
        for r in [Role::Marketing, Role::Sales] {
            assert!(!r.can_admin());
            assert!(!r.can_manage());
        }
    }

    #[test]
    fn labels() {
        let ja: Vec<&str> = Role::ALL.iter().map(|r| r.label_ja()).collect();
        assert_eq!(ja, ["管理者", "マネージャー", "マーケティング", "営業"]);
        assert_eq!(Role::Marketing.label_en(), "Marketing");
    }

    #[test]
    fn unknown_role() {
        let e = Role::parse("owner").expect_err("unknown");
        assert_eq!(e.field(), "role");
        assert_eq!(
            e.message(),
            "must be one of admin, manager, marketing, sales; got \"owner\""
        );
    }
}
