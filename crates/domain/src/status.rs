//! Lead lifecycle status.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, quote};

/// The standard lost reasons (失注理由), until a workspace edits its list.
pub const DEFAULT_LOST_REASONS: [&str; 6] = [
    "予算なし",
    "時期尚早",
    "競合採用",
    "連絡不通",
    "ニーズなし",
    "その他",
];

/// Where a lead stands in the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    /// Just captured, not yet worked.
    New,
    /// Marketing qualified lead being nurtured.
    Nurturing,
    /// Sales qualified lead handed to sales.
    SalesReady,
    /// Expected to become a deal.
    Opportunity,
    /// Lost or dormant; may be re-nurtured later.
    LostDormant,
    /// Won: the lead's company became a customer (the CRM side takes over).
    Won,
}

impl LeadStatus {
    /// Every status, in funnel order.
    pub const ALL: [LeadStatus; 6] = [
        LeadStatus::New,
        LeadStatus::Nurturing,
        LeadStatus::SalesReady,
        LeadStatus::Opportunity,
        LeadStatus::LostDormant,
        LeadStatus::Won,
    ];

    /// Returns the stable snake_case key stored in the database.
    pub fn key(&self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Nurturing => "nurturing",
            LeadStatus::SalesReady => "sales_ready",
            LeadStatus::Opportunity => "opportunity",
            LeadStatus::LostDormant => "lost_dormant",
            LeadStatus::Won => "won",
        }
    }

    /// Parses a key (surrounding whitespace and ASCII case are ignored).
    pub fn parse(key: &str) -> Result<Self, DomainError> {
        let wanted = key.trim();
        LeadStatus::ALL
            .into_iter()
            .find(|s| s.key().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let allowed: Vec<&str> = LeadStatus::ALL.iter().map(|s| s.key()).collect();
                DomainError::invalid(
                    "status",
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
            LeadStatus::New => "新規",
            LeadStatus::Nurturing => "育成中 (MQL)",
            LeadStatus::SalesReady => "営業渡し (SQL)",
            LeadStatus::Opportunity => "案件化見込み",
            LeadStatus::LostDormant => "失注/休眠",
            LeadStatus::Won => "受注 (顧客)",
        }
    }

    /// Returns the English label.
    pub fn label_en(&self) -> &'static str {
        match self {
            LeadStatus::New => "New",
            LeadStatus::Nurturing => "Nurturing (MQL)",
            LeadStatus::SalesReady => "Sales-ready (SQL)",
            LeadStatus::Opportunity => "Opportunity",
            LeadStatus::LostDormant => "Lost/Dormant",
            LeadStatus::Won => "Won (customer)",
        }
    }
}

impl fmt::Display for LeadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for LeadStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LeadStatus::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    #[test]
    fn keys_round_trip_and_match_serde() {
        for s in LeadStatus::ALL {
            assert_eq!(LeadStatus::parse(s.key()), Ok(s));
            assert_eq!(s.to_string().parse::<LeadStatus>(), Ok(s));
            let d: StrDeserializer<'_, DeError> = s.key().into_deserializer();
            assert_eq!(LeadStatus::deserialize(d), Ok(s));
        }
        assert_eq!(
            LeadStatus::parse(" Sales_Ready "),
            Ok(LeadStatus::SalesReady)
        );
    }

    #[test]
    fn labels() {
        assert_eq!(LeadStatus::Nurturing.label_ja(), "育成中 (MQL)");
        assert_eq!(LeadStatus::SalesReady.label_ja(), "営業渡し (SQL)");
        assert_eq!(LeadStatus::LostDormant.label_ja(), "失注/休眠");
        assert_eq!(LeadStatus::SalesReady.label_en(), "Sales-ready (SQL)");
        assert_eq!(LeadStatus::LostDormant.label_en(), "Lost/Dormant");
    }

    #[test]
    fn unknown_key_lists_allowed() {
        let e = LeadStatus::parse("closed").expect_err("unknown");
        assert_eq!(e.field(), "status");
        assert_eq!(
            e.message(),
            "must be one of new, nurturing, sales_ready, opportunity, lost_dormant, won; got \"closed\""
        );
        assert!(LeadStatus::parse("").is_err());
    }
}
