//! Page categories: which kind of page a viewed URL is, decided by workspace rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, quote};

/// What a viewed page is about; product pages say more about intent than the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageCategory {
    /// Product, pricing, feature or service pages.
    Product,
    /// Customer case studies.
    CaseStudy,
    /// Documents: white papers, brochures, PDFs.
    Document,
    /// Any other page.
    Other,
}

impl PageCategory {
    /// Every category, in the order they are listed to users.
    pub const ALL: [PageCategory; 4] = [
        PageCategory::Product,
        PageCategory::CaseStudy,
        PageCategory::Document,
        PageCategory::Other,
    ];

    /// Returns the stable snake_case key.
    pub fn key(&self) -> &'static str {
        match self {
            PageCategory::Product => "product",
            PageCategory::CaseStudy => "case_study",
            PageCategory::Document => "document",
            PageCategory::Other => "other",
        }
    }

    /// Parses a key (surrounding whitespace and ASCII case are ignored); field name `category`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let wanted = raw.trim();
        PageCategory::ALL
            .into_iter()
            .find(|c| c.key().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let allowed: Vec<&str> = PageCategory::ALL.iter().map(|c| c.key()).collect();
                DomainError::invalid(
                    "category",
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
            PageCategory::Product => "製品・料金ページ",
            PageCategory::CaseStudy => "導入事例ページ",
            PageCategory::Document => "資料ページ",
            PageCategory::Other => "その他のページ",
        }
    }

    /// Returns the English label.
    pub fn label_en(&self) -> &'static str {
        match self {
            PageCategory::Product => "Product/pricing page",
            PageCategory::CaseStudy => "Case study page",
            PageCategory::Document => "Document page",
            PageCategory::Other => "Other page",
        }
    }
}

impl fmt::Display for PageCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for PageCategory {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PageCategory::parse(s)
    }
}

/// One rule of the URL-to-category table: a URL whose path matches `pattern` is in `category`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UrlRule {
    /// `.pdf`-style suffix (starts with `.`) or a substring of the path, e.g. `/pricing`.
    pub pattern: String,
    /// The category of matching pages.
    pub category: PageCategory,
}

impl UrlRule {
    /// Builds a rule.
    pub fn new(pattern: impl Into<String>, category: PageCategory) -> Self {
        UrlRule {
            pattern: pattern.into(),
            category,
        }
    }

    /// Returns true when the rule matches a path already decoded and lowercased.
    fn matches(&self, path: &str) -> bool {
        // Patterns are decoded too, so one copied from an address bar (`/%E4%BA%8B%E4%BE%8B`) works.
        let pattern = percent_decode(self.pattern.trim()).to_lowercase();
        if pattern.is_empty() {
            return false;
        }
        if pattern.starts_with('.') {
            path.ends_with(&pattern)
        } else {
            path.contains(&pattern)
        }
    }
}

/// First matching rule wins. The URL's path is taken (scheme/host/query/fragment dropped; a bare path like "/x" is accepted), percent-decoded (UTF-8, lossy) and lowercased; a pattern starting with '.' matches when the path ends with it (".pdf"); any other pattern matches when the lowercased path contains the lowercased pattern. No match → Other.
pub fn categorize(url: &str, rules: &[UrlRule]) -> PageCategory {
    let path = percent_decode(url_path(url)).to_lowercase();
    rules
        .iter()
        .find(|rule| rule.matches(&path))
        .map_or(PageCategory::Other, |rule| rule.category)
}

/// The rules a new workspace starts with: documents first, then case studies, then product pages.
pub fn default_url_rules() -> Vec<UrlRule> {
    let table: [(&[&str], PageCategory); 3] = [
        (
            &[
                ".pdf",
                "/whitepaper",
                "/download",
                "/documents",
                "/ebook",
                "/資料",
            ],
            PageCategory::Document,
        ),
        (
            &["/case", "/customers", "/jirei", "/事例"],
            PageCategory::CaseStudy,
        ),
        (
            &[
                "/product",
                "/pricing",
                "/price",
                "/features",
                "/service",
                "/solution",
                "/製品",
                "/料金",
                "/サービス",
            ],
            PageCategory::Product,
        ),
    ];
    table
        .iter()
        .flat_map(|(patterns, category)| patterns.iter().map(|p| UrlRule::new(*p, *category)))
        .collect()
}

/// Returns the path of a URL: the part after the host, without query or fragment.
///
/// `https://example.jp/a?b#c` and `//example.jp/a` give `/a`; a bare `/a?b` gives `/a`;
/// a URL with a host and no path gives `""`.
fn url_path(url: &str) -> &str {
    let url = url.trim();
    let after_host = if let Some(i) = url.find("://").filter(|&i| is_scheme(&url[..i])) {
        skip_host(&url[i + 3..])
    } else if let Some(rest) = url.strip_prefix("//") {
        skip_host(rest)
    } else {
        url
    };
    let end = after_host.find(['?', '#']).unwrap_or(after_host.len());
    &after_host[..end]
}

/// Returns what follows the authority (host, port, user info) of a URL without its scheme.
fn skip_host(rest: &str) -> &str {
    rest.find(['/', '?', '#']).map_or("", |i| &rest[i..])
}

/// Returns true for an RFC 3986 scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Decodes `%XX` escapes as UTF-8 (invalid sequences become U+FFFD); a stray `%` stays as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|b| hex_value(*b)),
                bytes.get(i + 2).and_then(|b| hex_value(*b)),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Returns the value of one hexadecimal digit.
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(url: &str) -> PageCategory {
        categorize(url, &default_url_rules())
    }

    #[test]
    fn default_rules_categorise_typical_urls() {
        assert_eq!(
            cat("https://example.co.jp/product/crm"),
            PageCategory::Product
        );
        assert_eq!(cat("https://example.co.jp/pricing"), PageCategory::Product);
        assert_eq!(cat("/features/mail"), PageCategory::Product);
        assert_eq!(
            cat("https://example.co.jp/case/tanaka-seiko"),
            PageCategory::CaseStudy
        );
        assert_eq!(
            cat("https://example.co.jp/customers/"),
            PageCategory::CaseStudy
        );
        assert_eq!(
            cat("https://example.co.jp/whitepaper/dx"),
            PageCategory::Document
        );
        assert_eq!(cat("https://example.co.jp/"), PageCategory::Other);
        assert_eq!(cat("https://example.co.jp"), PageCategory::Other);
        assert_eq!(
            cat("https://example.co.jp/company/about"),
            PageCategory::Other
        );
        assert_eq!(cat(""), PageCategory::Other);
    }

    #[test]
    fn japanese_percent_encoded_path() {
        assert_eq!(cat("/%E4%BA%8B%E4%BE%8B/abc"), PageCategory::CaseStudy);
        assert_eq!(
            cat("https://example.jp/%e8%b3%87%e6%96%99/dl"),
            PageCategory::Document
        );
        assert_eq!(cat("https://example.jp/事例/abc"), PageCategory::CaseStudy);
    }

    #[test]
    fn suffix_patterns_ignore_case() {
        assert_eq!(
            cat("https://example.jp/files/Catalog.PDF"),
            PageCategory::Document
        );
        // A suffix pattern only matches at the end of the path.
        assert_eq!(
            cat("https://example.jp/pdf-viewer/help"),
            PageCategory::Other
        );
    }

    #[test]
    fn query_and_fragment_are_ignored() {
        assert_eq!(
            cat("https://example.jp/Pricing?utm_source=mail&ref=/case#plans"),
            PageCategory::Product
        );
        // Only the query mentions a case study: not a case-study page.
        assert_eq!(
            cat("https://example.jp/blog?from=/case"),
            PageCategory::Other
        );
        assert_eq!(
            cat("https://example.jp/a.pdf?download=1"),
            PageCategory::Document
        );
        // The host is not part of the path.
        assert_eq!(cat("https://product.example.jp/blog"), PageCategory::Other);
        assert_eq!(cat("//product.example.jp/blog"), PageCategory::Other);
        assert_eq!(
            cat("https://user:pw@example.jp:8443/product"),
            PageCategory::Product
        );
    }

    #[test]
    fn first_matching_rule_wins() {
        // "/case-studies/x.pdf" is both a document and a case study; documents come first.
        assert_eq!(
            cat("https://example.jp/case-studies/x.pdf"),
            PageCategory::Document
        );
        let rules = vec![
            UrlRule::new("/blog/pricing", PageCategory::Other),
            UrlRule::new("/pricing", PageCategory::Product),
        ];
        assert_eq!(
            categorize("/blog/pricing-tips", &rules),
            PageCategory::Other
        );
        assert_eq!(categorize("/pricing", &rules), PageCategory::Product);
        assert_eq!(categorize("/pricing", &[]), PageCategory::Other);
    }

    #[test]
    fn patterns_are_case_insensitive_and_may_be_encoded() {
        let rules = vec![UrlRule::new("/Seminar", PageCategory::Product)];
        assert_eq!(
            categorize("https://x.jp/seminar/2025", &rules),
            PageCategory::Product
        );
        let rules = vec![UrlRule::new("/%E8%A3%BD%E5%93%81", PageCategory::Product)];
        assert_eq!(
            categorize("https://x.jp/製品/a", &rules),
            PageCategory::Product
        );
        let rules = vec![UrlRule::new("  ", PageCategory::Product)];
        assert_eq!(categorize("https://x.jp/a", &rules), PageCategory::Other);
    }

    #[test]
    fn percent_decoding_is_lossy_and_tolerant() {
        assert_eq!(percent_decode("/a%20b"), "/a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
        assert_eq!(url_path("mailto:x@y.jp"), "mailto:x@y.jp");
        assert_eq!(url_path("HTTPS://EXAMPLE.JP/A?b"), "/A");
    }

    #[test]
    fn keys_labels_and_serde() {
        for c in PageCategory::ALL {
            assert_eq!(PageCategory::parse(c.key()), Ok(c));
        }
        assert_eq!(
            PageCategory::parse(" Case_Study "),
            Ok(PageCategory::CaseStudy)
        );
        let e = PageCategory::parse("blog").expect_err("unknown");
        assert_eq!(e.field(), "category");
        assert_eq!(
            e.message(),
            "must be one of product, case_study, document, other; got \"blog\""
        );
        assert_eq!(PageCategory::Product.label_ja(), "製品・料金ページ");
        assert_eq!(PageCategory::CaseStudy.label_ja(), "導入事例ページ");
        assert_eq!(PageCategory::Document.label_ja(), "資料ページ");
        assert_eq!(PageCategory::Other.label_ja(), "その他のページ");
        assert_eq!(PageCategory::Product.label_en(), "Product/pricing page");
        assert_eq!(PageCategory::CaseStudy.label_en(), "Case study page");
        let rule: UrlRule =
            toml::from_str("pattern = \"/x\"\ncategory = \"case_study\"").expect("valid");
        assert_eq!(rule, UrlRule::new("/x", PageCategory::CaseStudy));
    }

    #[test]
    fn default_rules_are_in_the_documented_order() {
        let rules = default_url_rules();
        assert_eq!(rules.len(), 19);
        assert_eq!(rules[0], UrlRule::new(".pdf", PageCategory::Document));
        assert_eq!(rules[6], UrlRule::new("/case", PageCategory::CaseStudy));
        assert_eq!(rules[10], UrlRule::new("/product", PageCategory::Product));
        assert_eq!(rules[18], UrlRule::new("/サービス", PageCategory::Product));
    }
}
