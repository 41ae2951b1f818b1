//! Ondo domain types: pure values that parse raw input once and stay valid.
//!
//! Nothing in this crate performs I/O; every type is built with a `parse` function
//! that either returns a normalised value or a [`DomainError`] naming the field.

#![warn(missing_docs)]

pub mod automated;
pub mod business_hours;
pub mod campaign;
pub mod company_name;
pub mod corporate_number;
pub mod date;
pub mod email;
pub mod error;
pub mod free_mail;
pub mod matching;
pub mod person;
pub mod phone;
pub mod postcode;
pub mod role;
pub mod romaji;
pub mod scoring;
pub mod segment;
pub mod status;
pub mod text;
pub mod time;
pub mod tracking;

pub use crate::company_name::{CompanyName, LegalForm, LegalFormPosition};
pub use crate::corporate_number::{CorporateNumber, corporate_check_digit};
pub use crate::date::parse_date;
pub use crate::email::Email;
pub use crate::error::DomainError;
pub use crate::free_mail::{FREE_MAIL_DOMAINS, is_free_mail_domain};
pub use crate::matching::{
    CandidateReason, CompanyKeys, Match, MatchReason, PersonKeys, cluster_people, fold_variants,
    match_companies, match_people, merge_field, name_key,
};
pub use crate::person::{MAX_PERSON_NAME_CHARS, PersonName};
pub use crate::phone::{Phone, PhoneKind};
pub use crate::postcode::PostalCode;
pub use crate::role::Role;
pub use crate::status::LeadStatus;
pub use crate::text::{
    hiragana_to_katakana, is_dash_like, is_kana, normalize_text, reading, search_fold, search_key,
    to_katakana,
};
pub use crate::time::Micros;
