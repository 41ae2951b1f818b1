//! Free (consumer) mail providers, used to tell personal addresses from company ones.

/// Domains of free and carrier mail providers; subdomains of these match too.
pub const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.co.jp",
    "ymail.ne.jp",
    "yahoo.com",
    "outlook.com",
    "outlook.jp",
    "hotmail.com",
    "hotmail.co.jp",
    "live.jp",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "nifty.com",
    "biglobe.ne.jp",
    "ocn.ne.jp",
    "so-net.ne.jp",
    "plala.or.jp",
    "excite.co.jp",
    "goo.jp",
    "mail.goo.ne.jp",
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "ymobile.ne.jp",
    "y-mobile.ne.jp",
    "rakuten.jp",
    "proton.me",
    "protonmail.com",
    "zoho.com",
    "gmx.com",
    "yandex.com",
    "qq.com",
    "163.com",
    "naver.com",
];

/// Returns true if `domain` is a free mail domain or a subdomain of one (case-insensitive).
pub fn is_free_mail_domain(domain: &str) -> bool {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    FREE_MAIL_DOMAINS.iter().any(|free| {
        domain == *free
            || domain
                .strip_suffix(free)
                .is_some_and(|head| head.ends_with('.') && head.len() > 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_domains_match() {
        for d in FREE_MAIL_DOMAINS {
            assert!(is_free_mail_domain(d), "{d}");
        }
        assert!(is_free_mail_domain("gmail.com"));
        assert!(is_free_mail_domain("yahoo.co.jp"));
        assert!(is_free_mail_domain("GMAIL.COM"));
        assert!(is_free_mail_domain("gmail.com."));
    }

    #[test]
    fn subdomains_match_on_label_boundary() {
        assert!(is_free_mail_domain("sub.docomo.ne.jp"));
        assert!(is_free_mail_domain("x.y.ezweb.ne.jp"));
        assert!(!is_free_mail_domain("notgmail.com"));
        assert!(!is_free_mail_domain("mygoo.jp"));
        assert!(!is_free_mail_domain(".gmail.com"));
    }

    #[test]
    fn company_domains_do_not_match() {
        assert!(!is_free_mail_domain("sakata-seed.co.jp"));
        assert!(!is_free_mail_domain("example.co.jp"));
        assert!(!is_free_mail_domain("gmail.com.example.jp"));
        assert!(!is_free_mail_domain("softbank.jp"));
        assert!(!is_free_mail_domain(""));
    }
}
