//! Matching and merge rules (名寄せ): when two records describe the same person or company.
//!
//! Records are reduced to normalised keys ([`PersonKeys`], [`CompanyKeys`]) and compared
//! pairwise by [`match_people`] and [`match_companies`]. A pair is [`Match::Same`] (merge
//! automatically), [`Match::Candidate`] (weaker evidence: a person reviews it) or
//! [`Match::Different`]. [`cluster_people`] groups many records with blocking keys and a
//! union-find over `Same` pairs only; [`merge_field`] merges values without losing any.
//!
//! Everything here is pure: no I/O, no clock, deterministic output.

mod cluster;
mod company;
mod merge;
mod people;
mod variants;

pub use cluster::{BLOCK_LIMIT, cluster_people, without_shared_lines};
pub use company::{CompanyKeys, match_companies};
pub use merge::merge_field;
pub use people::{PersonKeys, is_shared_mailbox, match_people, name_key, other_name_keys};
pub use variants::{fold_variants, variant_spellings, within_one_edit};

/// Why two records are the same (an automatic merge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchReason {
    /// Equal normalised email addresses.
    SameEmail,
    /// Equal names (or one name written in romaji or kana, see [`match_people`]) and a shared personal phone (mobile, 050 or a direct line).
    SameNameAndPersonalPhone,
    /// Equal names (or one written in romaji or kana) at the same company, plus the named
    /// field: `department`, `phone`, `email_local`, `kana` or `title`.
    SameNameCompanyAnd(&'static str),
    /// Equal corporate numbers (法人番号).
    SameCorporateNumber,
    /// Equal company name keys with compatible legal forms.
    SameCompanyName,
    /// Equal corporate (non-free) domains.
    SameCompanyDomain,
}

impl MatchReason {
    /// Returns a stable snake_case key, e.g. `same_name_company_and_department`, for history records.
    pub fn key(&self) -> &'static str {
        match self {
            MatchReason::SameEmail => "same_email",
            MatchReason::SameNameAndPersonalPhone => "same_name_and_personal_phone",
            MatchReason::SameNameCompanyAnd("department") => "same_name_company_and_department",
            MatchReason::SameNameCompanyAnd("phone") => "same_name_company_and_phone",
            MatchReason::SameNameCompanyAnd("email_local") => "same_name_company_and_email_local",
            MatchReason::SameNameCompanyAnd("kana") => "same_name_company_and_kana",
            MatchReason::SameNameCompanyAnd("title") => "same_name_company_and_title",
            MatchReason::SameNameCompanyAnd(_) => "same_name_company_and_other",
            MatchReason::SameCorporateNumber => "same_corporate_number",
            MatchReason::SameCompanyName => "same_company_name",
            MatchReason::SameCompanyDomain => "same_company_domain",
        }
    }
}

/// Why two records might be the same; a person has to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CandidateReason {
    /// Equal names at the same company, with nothing else agreeing.
    SameNameAndCompany,
    /// Names equal after folding variant kanji (髙/高, 﨑/崎 …), at the same company or with a shared personal phone.
    VariantSpelling,
    /// Different names with the same kana reading at the same company.
    SameReadingSameCompany,
    /// Names one character apart (insertion, deletion or substitution) at the same company.
    SimilarNameSameCompany,
    /// The same email local part at the same or a related (sub)domain of the company.
    SameEmailLocalSameDomain,
    /// Companies with the same name key but different explicit legal forms.
    SameCompanyNameDifferentForm,
    /// The same name written another way (romaji against kanji with its reading, another
    /// order, kana) at the same company, with nothing else agreeing.
    SameRomajiSameCompany,
}

impl CandidateReason {
    /// Returns a stable snake_case key, e.g. `variant_spelling`, for the review queue.
    pub fn key(&self) -> &'static str {
        match self {
            CandidateReason::SameNameAndCompany => "same_name_and_company",
            CandidateReason::VariantSpelling => "variant_spelling",
            CandidateReason::SameReadingSameCompany => "same_reading_same_company",
            CandidateReason::SimilarNameSameCompany => "similar_name_same_company",
            CandidateReason::SameEmailLocalSameDomain => "same_email_local_same_domain",
            CandidateReason::SameCompanyNameDifferentForm => "same_company_name_different_form",
            CandidateReason::SameRomajiSameCompany => "same_romaji_same_company",
        }
    }
}

/// The outcome of comparing two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Match {
    /// The same person or company: merge automatically.
    Same(MatchReason),
    /// Possibly the same: show the pair to a person.
    Candidate(CandidateReason),
    /// Not the same (or not enough evidence to say so).
    Different,
}

impl Match {
    /// Returns true for [`Match::Same`].
    pub fn is_same(&self) -> bool {
        matches!(self, Match::Same(_))
    }

    /// Returns true for [`Match::Candidate`].
    pub fn is_candidate(&self) -> bool {
        matches!(self, Match::Candidate(_))
    }
}

/// Returns the value if it is present and not empty.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}
