//! What a web form is: its kind, the fields it asks for (from a fixed set of lead
//! fields), and the settings a marketer chooses, parsed from the creation page.

use std::collections::HashMap;

use ondo_store::forms::{Form, NewForm};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// What a form is for; it decides the default source and the public page's heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Inquiry,
    DocumentRequest,
}

impl FormKind {
    pub const ALL: [FormKind; 2] = [FormKind::Inquiry, FormKind::DocumentRequest];

    pub fn key(self) -> &'static str {
        match self {
            FormKind::Inquiry => "inquiry",
            FormKind::DocumentRequest => "document_request",
        }
    }

    pub fn parse(key: &str) -> Option<FormKind> {
        FormKind::ALL.into_iter().find(|k| k.key() == key.trim())
    }

    /// The stored kind of a form; an unknown value reads as an inquiry.
    pub fn of(form: &Form) -> FormKind {
        FormKind::parse(&form.kind).unwrap_or(FormKind::Inquiry)
    }

    /// The translation key of its label (also the public page's heading).
    pub fn label_key(self) -> &'static str {
        match self {
            FormKind::Inquiry => "forms-kind-inquiry",
            FormKind::DocumentRequest => "forms-kind-document-request",
        }
    }

    /// The translation key of the default thank-you message.
    pub fn thanks_key(self) -> &'static str {
        match self {
            FormKind::Inquiry => "pubform-thanks-inquiry",
            FormKind::DocumentRequest => "pubform-thanks-document-request",
        }
    }

    /// The translation key of the source a new form of this kind proposes.
    pub fn default_source_key(self) -> &'static str {
        match self {
            FormKind::Inquiry => "forms-default-source-inquiry",
            FormKind::DocumentRequest => "forms-default-source-document-request",
        }
    }
}

/// A field a form may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKey {
    Name,
    Kana,
    Email,
    Company,
    Department,
    Title,
    Phone,
    Message,
}

/// Longest value of a one-line field, in characters.
const MAX_LINE_CHARS: usize = 200;
/// Longest message, in characters (the lead service's limit for free text).
const MAX_MESSAGE_CHARS: usize = 2000;

impl FieldKey {
    /// Every field, in the order a form shows them.
    pub const ALL: [FieldKey; 8] = [
        FieldKey::Name,
        FieldKey::Kana,
        FieldKey::Email,
        FieldKey::Company,
        FieldKey::Department,
        FieldKey::Title,
        FieldKey::Phone,
        FieldKey::Message,
    ];

    /// The input's name in the posted form.
    pub fn key(self) -> &'static str {
        match self {
            FieldKey::Name => "name",
            FieldKey::Kana => "kana",
            FieldKey::Email => "email",
            FieldKey::Company => "company",
            FieldKey::Department => "department",
            FieldKey::Title => "title",
            FieldKey::Phone => "phone",
            FieldKey::Message => "message",
        }
    }

    /// A lead needs a name, and a form lead is reached by email: both are always asked.
    pub fn always_required(self) -> bool {
        matches!(self, FieldKey::Name | FieldKey::Email)
    }

    /// The translation key of the field's label on a public form.
    pub fn label_key(self) -> &'static str {
        match self {
            FieldKey::Name => "pubform-field-name",
            FieldKey::Kana => "pubform-field-kana",
            FieldKey::Email => "pubform-field-email",
            FieldKey::Company => "pubform-field-company",
            FieldKey::Department => "pubform-field-department",
            FieldKey::Title => "pubform-field-title",
            FieldKey::Phone => "pubform-field-phone",
            FieldKey::Message => "pubform-field-message",
        }
    }

    /// The `type` of its input; the message is a text area.
    pub fn input_type(self) -> &'static str {
        match self {
            FieldKey::Email => "email",
            FieldKey::Phone => "tel",
            _ => "text",
        }
    }

    pub fn is_textarea(self) -> bool {
        self == FieldKey::Message
    }

    /// The browser's autofill hint.
    pub fn autocomplete(self) -> &'static str {
        match self {
            FieldKey::Name => "name",
            FieldKey::Email => "email",
            FieldKey::Company => "organization",
            FieldKey::Title => "organization-title",
            FieldKey::Phone => "tel",
            _ => "off",
        }
    }

    pub fn max_chars(self) -> usize {
        match self {
            FieldKey::Message => MAX_MESSAGE_CHARS,
            _ => MAX_LINE_CHARS,
        }
    }
}

/// One field of a form and whether it must be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub key: FieldKey,
    pub required: bool,
}

/// The fields a stored form asks for, in display order; name and email are always
/// there and required, whatever the stored list says.
pub fn fields_of(form: &Form) -> Vec<FormField> {
    let stored: Vec<FormField> = serde_json::from_str(&form.fields).unwrap_or_default();
    normalise_fields(&stored)
}

fn normalise_fields(chosen: &[FormField]) -> Vec<FormField> {
    FieldKey::ALL
        .into_iter()
        .filter_map(|key| {
            if key.always_required() {
                return Some(FormField {
                    key,
                    required: true,
                });
            }
            chosen.iter().find(|f| f.key == key).copied()
        })
        .collect()
}

/// The name of the hidden field people leave empty and form-filling robots do not.
pub const HONEYPOT: &str = "website";
/// The name of the consent checkbox.
pub const CONSENT: &str = "consent";
/// The name of the hidden field that carries the tracking snippet's visitor id.
pub const VISITOR: &str = "ondo_vid";

/// A new, unguessable public key: 144 random bits, URL-safe (24 characters).
pub fn new_public_key() -> String {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

/// Whether a string can be a public key at all, before asking the database.
pub fn looks_like_public_key(key: &str) -> bool {
    (16..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What is wrong with one setting, as a translation key.
pub type SettingErrors = HashMap<&'static str, &'static str>;

/// Longest form name, source, and texts, in characters.
const MAX_NAME_CHARS: usize = 100;
const MAX_TEXT_CHARS: usize = 2000;
const MAX_URL_CHARS: usize = 2000;

/// The thank-you redirect: an absolute http(s) URL without credentials.
pub fn parse_redirect_url(raw: &str) -> Result<Option<String>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err("forms-error-too-long");
    }
    let url = url::Url::parse(raw).map_err(|_| "forms-error-redirect-url")?;
    let web = matches!(url.scheme(), "http" | "https");
    if !web || url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() {
        return Err("forms-error-redirect-url");
    }
    if url.password().is_some() {
        return Err("forms-error-redirect-url");
    }
    Ok(Some(url.to_string()))
}

/// Reads the creation page's fields into a new form (with a fresh public key), or the
/// translation key of what is wrong with each setting. `default_source` names the
/// touchpoint source when none is given, in the creator's language.
pub fn parse_settings(
    v: &HashMap<String, String>,
    default_source: impl Fn(FormKind) -> String,
) -> Result<NewForm, SettingErrors> {
    let get = |k: &str| v.get(k).map(|s| s.trim()).unwrap_or("");
    let on = |k: &str| matches!(get(k), "on" | "true" | "1");
    let mut errors = SettingErrors::new();
    let too_long = |s: &str, max: usize| s.chars().count() > max;

    let name = get("name");
    if name.is_empty() {
        errors.insert("name", "forms-error-name-required");
    } else if too_long(name, MAX_NAME_CHARS) || name.chars().any(char::is_control) {
        errors.insert("name", "forms-error-too-long");
    }
    let kind = FormKind::parse(get("kind"));
    if kind.is_none() {
        errors.insert("kind", "forms-error-kind");
    }
    let kind = kind.unwrap_or(FormKind::Inquiry);
    let source = match get("source") {
        "" => default_source(kind),
        s => s.to_string(),
    };
    if too_long(&source, MAX_NAME_CHARS) || source.chars().any(char::is_control) {
        errors.insert("source", "forms-error-too-long");
    }
    let optional_text = |k: &'static str, errors: &mut SettingErrors| {
        let s = get(k);
        if too_long(s, MAX_TEXT_CHARS) {
            errors.insert(k, "forms-error-too-long");
        }
        Some(s.to_string()).filter(|s| !s.is_empty())
    };
    let consent_text = optional_text("consent_text", &mut errors);
    let thanks_text = optional_text("thanks_text", &mut errors);
    let redirect_url = parse_redirect_url(get("redirect_url")).unwrap_or_else(|e| {
        errors.insert("redirect_url", e);
        None
    });
    let chosen: Vec<FormField> = FieldKey::ALL
        .into_iter()
        .filter(|k| on(&format!("field_{}", k.key())) || on(&format!("required_{}", k.key())))
        .map(|key| FormField {
            key,
            required: on(&format!("required_{}", key.key())),
        })
        .collect();
    let fields = serde_json::to_string(&normalise_fields(&chosen))
        .expect("a list of plain fields always serialises");
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewForm {
        public_key: new_public_key(),
        name: name.to_string(),
        kind: kind.key().to_string(),
        fields,
        source,
        consent_text,
        thanks_text,
        redirect_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn name_and_email_are_always_asked_and_required() {
        let form = parse_settings(
            &settings(&[
                ("name", "問い合わせ"),
                ("kind", "inquiry"),
                ("field_company", "on"),
                ("required_phone", "on"),
            ]),
            |_| "Web".into(),
        )
        .expect("valid");
        let parsed: Vec<FormField> = serde_json::from_str(&form.fields).expect("json");
        let keys: Vec<(&str, bool)> = parsed.iter().map(|f| (f.key.key(), f.required)).collect();
        assert_eq!(
            keys,
            [
                ("name", true),
                ("email", true),
                ("company", false),
                ("phone", true)
            ]
        );
        assert_eq!(form.source, "Web");
    }

    #[test]
    fn redirects_must_be_web_addresses() {
        assert_eq!(
            parse_redirect_url(" https://example.co.jp/thanks "),
            Ok(Some("https://example.co.jp/thanks".into()))
        );
        assert_eq!(parse_redirect_url(""), Ok(None));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "/thanks",
            "//evil.example",
            "ftp://example.co.jp/",
            "https://user:pw@example.co.jp/",
        ] {
            assert!(parse_redirect_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_errors_name_each_field() {
        let errors = parse_settings(
            &settings(&[
                ("name", ""),
                ("kind", "newsletter"),
                ("redirect_url", "javascript:x"),
            ]),
            |_| "Web".into(),
        )
        .expect_err("invalid");
        assert_eq!(errors.get("name"), Some(&"forms-error-name-required"));
        assert_eq!(errors.get("kind"), Some(&"forms-error-kind"));
        assert_eq!(
            errors.get("redirect_url"),
            Some(&"forms-error-redirect-url")
        );
    }

    #[test]
    fn public_keys_are_long_random_and_url_safe() {
        let (a, b) = (new_public_key(), new_public_key());
        assert_ne!(a, b);
        assert_eq!(a.len(), 24);
        assert!(looks_like_public_key(&a));
        assert!(!looks_like_public_key("../../etc"));
        assert!(!looks_like_public_key("short"));
    }
}
