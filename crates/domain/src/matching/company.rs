//! Company keys and the pairwise company-matching rules.

use crate::company_name::CompanyName;
use crate::corporate_number::CorporateNumber;
use crate::free_mail::is_free_mail_domain;
use crate::text::normalize_text;

use super::{CandidateReason, Match, MatchReason, present};

/// What matching knows about a company record.
///
/// `None` and empty strings both mean "unknown".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CompanyKeys {
    /// The 13-digit corporate number (法人番号).
    pub corporate_number: Option<String>,
    /// The name key ([`CompanyName::key`]).
    pub name: Option<String>,
    /// The legal form key ([`LegalForm::key`](crate::LegalForm::key)).
    pub legal_form: Option<String>,
    /// The company's domain, lowercase, without `www.`.
    pub domain: Option<String>,
}

impl CompanyKeys {
    /// Builds keys from raw strings (any may be empty); unparseable values are ignored.
    ///
    /// `domain` may be a bare domain, a URL (`https://www.example.co.jp/about`) or an email
    /// address; free-mail domains are dropped.
    pub fn from_raw(corporate_number: &str, name: &str, domain: &str) -> CompanyKeys {
        let corporate_number = CorporateNumber::parse(corporate_number)
            .ok()
            .map(|n| n.as_str().to_string());
        let company = CompanyName::parse(name).ok();
        CompanyKeys {
            corporate_number,
            name: company.as_ref().map(|c| c.key()).filter(|k| !k.is_empty()),
            legal_form: company
                .and_then(|c| c.legal_form)
                .map(|f| f.key().to_string()),
            domain: domain_key(domain),
        }
    }
}

/// Normalises a domain, URL or email address to a lowercase domain; `None` if it is not one or is free mail.
fn domain_key(raw: &str) -> Option<String> {
    let s = normalize_text(raw).to_ascii_lowercase();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(&s);
    let s = s.split(['/', '?', '#']).next().unwrap_or("");
    let s = s.rsplit_once('@').map_or(s, |(_, d)| d);
    let s = s.split(':').next().unwrap_or("");
    let s = s.trim_end_matches('.');
    let s = s.strip_prefix("www.").unwrap_or(s);
    let valid = s.contains('.')
        && s.split('.').all(|l| !l.is_empty())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    (valid && !is_free_mail_domain(s)).then(|| s.to_string())
}

/// Returns the corporate number if it is exactly 13 ASCII digits.
fn corporate_number(c: &CompanyKeys) -> Option<&str> {
    present(&c.corporate_number).filter(|n| n.len() == 13 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Compares two companies.
///
/// In order:
/// 1. both have corporate numbers: equal → `Same(SameCorporateNumber)`, different →
///    `Different`, whatever the names;
/// 2. equal name keys and the same legal form, or a form on one side only → `Same(SameCompanyName)`;
/// 3. equal corporate (non-free) domains → `Same(SameCompanyDomain)`;
/// 4. equal name keys with different explicit legal forms (株式会社 vs 有限会社) →
///    `Candidate(SameCompanyNameDifferentForm)`;
/// 5. otherwise `Different`.
pub fn match_companies(a: &CompanyKeys, b: &CompanyKeys) -> Match {
    if let (Some(x), Some(y)) = (corporate_number(a), corporate_number(b)) {
        return if x == y {
            Match::Same(MatchReason::SameCorporateNumber)
        } else {
            Match::Different
        };
    }
    let same_name = matches!((present(&a.name), present(&b.name)), (Some(x), Some(y)) if x == y);
    let forms_conflict = matches!(
        (present(&a.legal_form), present(&b.legal_form)),
        (Some(x), Some(y)) if x != y
    );
    if same_name && !forms_conflict {
        return Match::Same(MatchReason::SameCompanyName);
    }
    let same_domain = matches!(
        (present(&a.domain), present(&b.domain)),
        (Some(x), Some(y)) if x == y && !is_free_mail_domain(x)
    );
    if same_domain {
        return Match::Same(MatchReason::SameCompanyDomain);
    }
    if same_name {
        return Match::Candidate(CandidateReason::SameCompanyNameDifferentForm);
    }
    Match::Different
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_key_accepts_urls_and_emails() {
        for raw in [
            "sakata-seed.co.jp",
            "https://www.sakata-seed.co.jp/about/",
            "http://SAKATA-SEED.co.jp:8080",
            "info@sakata-seed.co.jp",
            "ｗｗｗ．ｓａｋａｔａ－ｓｅｅｄ．ｃｏ．ｊｐ",
        ] {
            assert_eq!(
                domain_key(raw).as_deref(),
                Some("sakata-seed.co.jp"),
                "{raw}"
            );
        }
        assert_eq!(domain_key("gmail.com"), None);
        assert_eq!(domain_key("someone@yahoo.co.jp"), None);
        assert_eq!(domain_key("localhost"), None);
        assert_eq!(domain_key(""), None);
        assert_eq!(domain_key("サカタ.jp"), None);
    }
}
