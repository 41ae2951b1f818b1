//! One source row → normalised lead fields, matching keys and a dedupe key. A value that
//! identifies a person (the name, the email) must parse or the row is rejected; any other
//! value that does not parse is kept as written in a custom field, with a warning.

use ondo_domain::matching::PersonKeys;
use ondo_domain::{
    CompanyName, CorporateNumber, Email, Micros, PersonName, Phone, PhoneKind, PostalCode,
    normalize_text, parse_date, reading,
};
use ondo_ingest::{Layout, LeadField, SourceRow};
use ondo_store::WorkspaceId;
use ondo_store::leads::LeadFields;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A parsed row, ready for matching.
#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub row: usize,
    pub fields: LeadFields,
    pub company: Option<CompanyName>,
    pub corporate_number: Option<String>,
    /// The corporate domain from the email or the website.
    pub company_domain: Option<String>,
    pub company_address: Option<String>,
    pub industry: Option<String>,
    pub contacted_on: Option<Micros>,
    pub keys: PersonKeys,
    /// Same source and same content → same key, so re-importing adds no touchpoint.
    pub dedupe_key: String,
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(normalize_text).filter(|s| !s.is_empty())
}

fn website_domain(raw: &str) -> Option<String> {
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let host = url::Url::parse(&with_scheme)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (host.contains('.') && !ondo_domain::is_free_mail_domain(&host)).then_some(host)
}

/// Parses a row; `Err` is the reason the row is rejected, in words.
pub fn parse_row(
    ws: WorkspaceId,
    source: &str,
    layout: Layout,
    row: &SourceRow,
) -> Result<(ParsedRow, Vec<String>), String> {
    let mut warnings = Vec::new();
    let mut custom = serde_json::Map::new();
    for (k, v) in &row.custom {
        custom.insert(k.clone(), Value::String(v.trim().to_string()));
    }

    let name_raw = match row.get(LeadField::Name) {
        Some(n) => n.to_string(),
        None => [
            row.get(LeadField::FamilyName),
            row.get(LeadField::GivenName),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" "),
    };
    if name_raw.trim().is_empty() {
        return Err("name is missing: map a column to 氏名 (name), or to 姓 and 名".into());
    }
    let name = PersonName::parse(&name_raw).map_err(|e| e.to_string())?;
    let kana_raw = match row.get(LeadField::Kana) {
        Some(k) => k.to_string(),
        None => [
            row.get(LeadField::FamilyKana),
            row.get(LeadField::GivenKana),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" "),
    };
    let email = match row.get(LeadField::Email) {
        Some(e) => Some(Email::parse(e).map_err(|e| e.to_string())?),
        None => None,
    };

    let mut phone: Option<Phone> = None;
    let mut mobile: Option<Phone> = None;
    for (field, raw) in row
        .fields
        .iter()
        .filter(|(f, v)| matches!(f, LeadField::Phone | LeadField::Mobile) && !v.trim().is_empty())
    {
        match Phone::parse(raw) {
            Ok(p) => {
                let slot = if *field == LeadField::Mobile || p.kind() == PhoneKind::Mobile {
                    &mut mobile
                } else {
                    &mut phone
                };
                if slot.is_none() {
                    *slot = Some(p);
                } else if phone.is_none() {
                    phone = Some(p);
                }
            }
            Err(_) => {
                let label = if *field == LeadField::Mobile {
                    "携帯電話（元の値）"
                } else {
                    "電話番号（元の値）"
                };
                warnings.push(format!(
                    "phone \"{}\" is not a Japanese phone number; kept as {label}",
                    raw.trim()
                ));
                custom.insert(label.into(), Value::String(raw.trim().into()));
            }
        }
    }
    if let Some(fax) = row.get(LeadField::Fax) {
        custom.insert("FAX".into(), Value::String(fax.trim().into()));
    }

    let company = match row.get(LeadField::Company) {
        Some(c) => match CompanyName::parse(c) {
            Ok(c) => Some(c),
            Err(e) => {
                warnings.push(format!("company: {e}"));
                None
            }
        },
        None => None,
    };
    let corporate_number = match row.get(LeadField::CorporateNumber) {
        Some(n) => match CorporateNumber::parse(n) {
            Ok(n) => Some(n.as_str().to_string()),
            Err(e) => {
                warnings.push(format!("{e}; kept as 法人番号（元の値）"));
                custom.insert("法人番号（元の値）".into(), Value::String(n.trim().into()));
                None
            }
        },
        None => None,
    };
    let postcode = match row.get(LeadField::Postcode) {
        Some(p) => match PostalCode::parse(p) {
            Ok(p) => Some(p.as_str().to_string()),
            Err(e) => {
                warnings.push(format!("{e}; kept as 郵便番号（元の値）"));
                custom.insert("郵便番号（元の値）".into(), Value::String(p.trim().into()));
                None
            }
        },
        None => None,
    };
    let address_parts: Vec<String> = [
        LeadField::Prefecture,
        LeadField::City,
        LeadField::Address,
        LeadField::Street,
        LeadField::Building,
    ]
    .into_iter()
    .flat_map(|f| row.all(f).map(normalize_text).collect::<Vec<_>>())
    .collect();
    let address = Some(address_parts.join(" ")).filter(|a| !a.is_empty());
    let contacted_on = match row.get(LeadField::ContactedOn) {
        Some(d) => match parse_date(d) {
            Ok(date) => Some(Micros::from_offset(
                date.midnight().assume_offset(time::macros::offset!(+9)),
            )),
            Err(e) => {
                warnings.push(e.to_string());
                None
            }
        },
        None => None,
    };
    for (field, label) in [
        (LeadField::Note, "備考"),
        (LeadField::CompanyKana, "会社名カナ"),
        (LeadField::EmployeeCount, "従業員数"),
        (LeadField::MinutesAttended, "視聴時間（分）"),
        (LeadField::Website, "URL"),
    ] {
        if let Some(v) = row.get(field) {
            custom.insert(label.into(), Value::String(v.trim().into()));
        }
    }
    let mut tags: Vec<String> = row.tags.clone();
    tags.extend(row.all(LeadField::Tags).map(|t| t.trim().to_string()));
    if !tags.is_empty() {
        custom.insert("タグ".into(), Value::String(tags.join(", ")));
    }

    let email_domain = email
        .as_ref()
        .filter(|e| !e.is_free_mail())
        .map(|e| e.domain().to_string());
    let company_domain =
        email_domain.or_else(|| row.get(LeadField::Website).and_then(website_domain));
    let consent_source = match layout {
        Layout::Eight | Layout::Sansan | Layout::VCard if email.is_some() => {
            Some("business_card".to_string())
        }
        _ => None,
    };
    let fields = LeadFields {
        name: name.as_str().to_string(),
        kana: reading(&kana_raw),
        email: email.as_ref().map(|e| e.as_str().to_string()),
        phone: phone.as_ref().map(Phone::national),
        mobile: mobile.as_ref().map(Phone::national),
        title: text(row.get(LeadField::Title)),
        department: text(row.get(LeadField::Department)),
        company_id: None,
        company_name: row.get(LeadField::Company).map(|c| c.trim().to_string()),
        postcode,
        address: address.clone(),
        owner_id: None,
        custom_fields: custom,
        consent_at: consent_source
            .as_ref()
            .map(|_| contacted_on.unwrap_or_else(Micros::now).0),
        consent_source,
        email_opt_out: false,
    };
    let phones: Vec<String> = phone.iter().map(Phone::national).collect();
    let mobiles: Vec<String> = mobile.iter().map(Phone::national).collect();
    let phone_refs: Vec<&str> = phones.iter().map(String::as_str).collect();
    let mobile_refs: Vec<&str> = mobiles.iter().map(String::as_str).collect();
    let mut keys = PersonKeys::from_raw(
        &fields.name,
        &fields.kana,
        fields.email.as_deref().unwrap_or(""),
        &phone_refs,
        &mobile_refs,
        "",
        fields.department.as_deref().unwrap_or(""),
    )
    .with_title(fields.title.as_deref().unwrap_or(""));
    keys.company = company.as_ref().map(|c| c.key());
    if keys.company_domain.is_none() {
        keys.company_domain = company_domain.clone();
    }
    let mut h = Sha256::new();
    h.update(ws.0.to_le_bytes());
    h.update(source.as_bytes());
    for (f, v) in &row.fields {
        h.update([0x1f]);
        h.update(f.key().as_bytes());
        h.update([0x1e]);
        h.update(v.trim().as_bytes());
    }
    for (k, v) in &row.custom {
        h.update([0x1f]);
        h.update(k.as_bytes());
        h.update([0x1e]);
        h.update(v.trim().as_bytes());
    }
    let dedupe_key = hex::encode(h.finalize());
    Ok((
        ParsedRow {
            row: row.row,
            fields,
            company,
            corporate_number,
            company_domain,
            company_address: address,
            industry: text(row.get(LeadField::Industry)),
            contacted_on,
            keys,
            dedupe_key,
        },
        warnings,
    ))
}
