//! Japanese and English UI text from Fluent files; the language is chosen per request.

use axum::http::HeaderMap;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "ja",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
    pub fn parse(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        if code.starts_with("ja") {
            Some(Lang::Ja)
        } else if code.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Ja => fluent_templates::langid!("ja"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The request's language: the `ondo_lang` cookie, then the user's setting, then
    /// `Accept-Language`, then Japanese.
    pub fn negotiate(headers: &HeaderMap, user_locale: Option<&str>) -> Lang {
        if let Some(l) = cookie(headers, "ondo_lang").and_then(|v| Lang::parse(&v)) {
            return l;
        }
        if let Some(l) = user_locale.and_then(Lang::parse) {
            return l;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::Ja)
    }
}

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Translations for one request; templates call `t.t("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }
    /// The text for `key`, or the key itself when missing (a test checks none is).
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.lang.id(), key)
            .unwrap_or_else(|| key.to_string())
    }
    /// The text for `key` with one `$n`-style argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = std::collections::HashMap::new();
        args.insert(
            std::borrow::Cow::from(name.to_string()),
            fluent_templates::fluent_bundle::FluentValue::from(value.to_string()),
        );
        LOCALES
            .try_lookup_with_args(&self.lang.id(), key, &args)
            .unwrap_or_else(|| key.to_string())
    }
    /// The text for `key` with several `$name` arguments.
    pub fn tn(&self, key: &str, args: &[(&str, String)]) -> String {
        let args = args
            .iter()
            .map(|(name, value)| {
                (
                    std::borrow::Cow::from(name.to_string()),
                    fluent_templates::fluent_bundle::FluentValue::from(value.clone()),
                )
            })
            .collect::<std::collections::HashMap<_, _>>();
        LOCALES
            .try_lookup_with_args(&self.lang.id(), key, &args)
            .unwrap_or_else(|| key.to_string())
    }
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(&self.lang.id(), key).is_some()
    }
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
    /// A status key's label in this language.
    pub fn status(&self, key: &str) -> String {
        match ondo_domain::LeadStatus::parse(key) {
            Ok(s) => match self.lang {
                Lang::Ja => s.label_ja().to_string(),
                Lang::En => s.label_en().to_string(),
            },
            Err(_) => key.to_string(),
        }
    }
    /// A role's label in this language.
    pub fn role(&self, role: ondo_domain::Role) -> &'static str {
        match self.lang {
            Lang::Ja => role.label_ja(),
            Lang::En => role.label_en(),
        }
    }
    /// A date-time in Japan time, formatted for this language.
    pub fn datetime(&self, micros: impl std::borrow::Borrow<i64>) -> String {
        ondo_domain::Micros(*micros.borrow()).format_jst()
    }
    /// A date in Japan time, formatted for this language.
    pub fn date(&self, micros: impl std::borrow::Borrow<i64>) -> String {
        ondo_domain::Micros(*micros.borrow()).format_jst_date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_highest_quality_supported() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,ja;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("fr,ja;q=0.5,en;q=0.4"),
            Some(Lang::Ja)
        );
        assert_eq!(Lang::from_accept_language("fr,de"), None);
    }

    #[test]
    fn every_key_exists_in_both_languages() {
        // Every .ftl file of a language (fluent-templates loads them all), one after another.
        let read = |lang: &str| {
            let dir = format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .expect("locale directory exists")
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
                .collect();
            files.sort();
            files
                .iter()
                .map(|p| std::fs::read_to_string(p).expect("locale file is readable"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let keys = |s: &str| -> std::collections::BTreeSet<String> {
            s.lines()
                .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
                .map(|l| l.split(" =").next().unwrap_or("").trim().to_string())
                .collect()
        };
        let key_lines = |s: &str| {
            s.lines()
                .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
                .count()
        };
        let (ja_text, en_text) = (read("ja"), read("en"));
        let ja = keys(&ja_text);
        let en = keys(&en_text);
        assert_eq!(
            ja.len(),
            key_lines(&ja_text),
            "a Japanese key is defined twice"
        );
        assert_eq!(
            en.len(),
            key_lines(&en_text),
            "an English key is defined twice"
        );
        assert!(ja.len() > 50, "the Japanese file has its keys");
        assert_eq!(
            ja.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in en"
        );
        assert_eq!(
            en.difference(&ja).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in ja"
        );
    }
}
