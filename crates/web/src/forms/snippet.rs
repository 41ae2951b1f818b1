//! The HTML a marketer pastes into their site: a plain form that posts to Ondo, or an
//! iframe of the hosted page. Labels are Japanese, like the sites they go into; every
//! configured text is escaped, since it ends up inside someone else's page.

use askama::Template;
use ondo_store::forms::Form;

use super::definition::{CONSENT, FormKind, HONEYPOT, fields_of};
use crate::i18n::{Lang, Tr};

struct SnippetField {
    name: &'static str,
    label: String,
    input_type: &'static str,
    textarea: bool,
    autocomplete: &'static str,
    required: bool,
    max: usize,
}

#[derive(Template)]
#[template(path = "form_snippet.html")]
struct Snippet {
    t: Tr,
    action: String,
    fields: Vec<SnippetField>,
    consent_text: Option<String>,
    consent: &'static str,
    honeypot: &'static str,
}

#[derive(Template)]
#[template(path = "form_snippet_iframe.html")]
struct IframeSnippet {
    src: String,
    title: String,
    height: usize,
}

/// The public address of a form under `base` (scheme and host, no trailing slash).
pub fn public_url(base: &str, form: &Form) -> String {
    format!("{base}/f/{}", form.public_key)
}

/// The `<form>` to paste into a page.
pub fn form_html(base: &str, form: &Form) -> String {
    let t = Tr::new(Lang::Ja);
    let snippet = Snippet {
        t,
        action: public_url(base, form),
        fields: fields_of(form)
            .into_iter()
            .map(|f| SnippetField {
                name: f.key.key(),
                label: t.t(f.key.label_key()),
                input_type: f.key.input_type(),
                textarea: f.key.is_textarea(),
                autocomplete: f.key.autocomplete(),
                required: f.required,
                max: f.key.max_chars(),
            })
            .collect(),
        consent_text: form.consent_text.clone(),
        consent: CONSENT,
        honeypot: HONEYPOT,
    };
    snippet
        .render()
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The `<iframe>` of the hosted page, tall enough for its fields.
pub fn iframe_html(base: &str, form: &Form) -> String {
    let fields = fields_of(form);
    let textareas = fields.iter().filter(|f| f.key.is_textarea()).count();
    let consent = usize::from(form.consent_text.is_some());
    let snippet = IframeSnippet {
        src: public_url(base, form),
        title: Tr::new(Lang::Ja).t(FormKind::of(form).label_key()),
        height: 200 + 84 * fields.len() + 110 * textareas + 90 * consent,
    };
    snippet
        .render()
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
