//! Matching and merge rules: realistic Japanese cases and properties.

use ondo_domain::matching::{
    BLOCK_LIMIT, CandidateReason, CompanyKeys, Match, MatchReason, PersonKeys, cluster_people,
    fold_variants, match_companies, match_people, merge_field, name_key, within_one_edit,
    without_shared_lines,
};
use proptest::prelude::*;

use CandidateReason::*;
use MatchReason::*;

/// Keys from raw strings, with phones given as general numbers (no direct lines).
fn person(name: &str, email: &str, phones: &[&str], company: &str, department: &str) -> PersonKeys {
    PersonKeys::from_raw(name, "", email, phones, &[], company, department)
}

/// Asserts the match in both directions.
fn assert_match(a: &PersonKeys, b: &PersonKeys, expected: Match) {
    assert_eq!(match_people(a, b), expected, "a={a:?}\nb={b:?}");
    assert_eq!(match_people(b, a), expected, "reversed: a={a:?}\nb={b:?}");
}

fn shares_blocking_key(a: &PersonKeys, b: &PersonKeys) -> bool {
    let kb = b.blocking_keys();
    a.blocking_keys().iter().any(|k| kb.contains(k))
}

// ---------------------------------------------------------------- name keys

#[test]
fn name_key_normalises_width_kana_and_spaces_but_not_variants() {
    assert_eq!(name_key("髙橋　一郎"), "髙橋一郎");
    assert_eq!(name_key(" 高橋 一郎 "), "高橋一郎");
    assert_eq!(name_key("ﾀｶﾊｼ ｲﾁﾛｳ"), "タカハシイチロウ");
    assert_eq!(name_key("たかはし いちろう"), "タカハシイチロウ");
    assert_eq!(name_key("John  SMITH"), "johnsmith");
    assert_eq!(name_key("Ｊｏｈｎ Ｓｍｉｔｈ"), "johnsmith");
    assert_ne!(name_key("髙橋一郎"), name_key("高橋一郎"));
    assert_eq!(fold_variants(&name_key("髙橋 一郎")), name_key("高橋一郎"));
}

#[test]
fn fold_variants_covers_the_listed_kanji() {
    let groups: &[&[&str]] = &[
        &["髙橋", "高橋"],
        &["山﨑", "山崎"],
        &["斎藤", "斉藤", "齋藤", "齊藤"],
        &["渡邊", "渡邉", "渡辺"],
        &["澤田", "沢田"],
        &["濱田", "浜田"],
        &["中嶋", "中島"],
        &["德川", "徳川"],
        &["廣田", "広田"],
        &["國井", "国井"],
    ];
    for group in groups {
        let folded: Vec<String> = group.iter().map(|n| fold_variants(n)).collect();
        assert!(
            folded.windows(2).all(|w| w[0] == w[1]),
            "{group:?} → {folded:?}"
        );
    }
    assert_ne!(fold_variants("高橋"), fold_variants("高梨"));
    assert_ne!(fold_variants("斎藤"), fold_variants("佐藤"));
}

#[test]
fn edit_distance_is_in_characters() {
    assert!(within_one_edit("山田太郎", "山田太朗"));
    assert!(within_one_edit("サトウ", "サトー"));
    assert!(!within_one_edit("山田太郎", "山口次郎"));
    // "山田" and "山田太郎" are two characters (six bytes) apart.
    assert!(!within_one_edit("山田", "山田太郎"));
}

// ---------------------------------------------------------------- from_raw

#[test]
fn from_raw_parses_and_normalises() {
    let k = PersonKeys::from_raw(
        "髙橋　一郎",
        "たかはし いちろう",
        "Ichiro.Takahashi@Sakata-Seed.co.jp",
        &["045-123-4567（代表）", "090-1234-5678"],
        &["03-9876-5432"],
        "株式会社　サカタのタネ",
        "営業部　第１課",
    );
    assert_eq!(k.name.as_deref(), Some("髙橋一郎"));
    assert_eq!(k.kana.as_deref(), Some("タカハシイチロウ"));
    assert_eq!(
        k.email.as_deref(),
        Some("ichiro.takahashi@sakata-seed.co.jp")
    );
    assert_eq!(k.company.as_deref(), Some("サカタノタネ"));
    assert_eq!(k.company_domain.as_deref(), Some("sakata-seed.co.jp"));
    assert_eq!(k.department.as_deref(), Some("営業部 第1課"));
    assert_eq!(
        k.phones,
        vec![
            ("+81451234567".to_string(), false),
            ("+819012345678".to_string(), true),
            ("+81398765432".to_string(), true),
        ]
    );
}

#[test]
fn from_raw_ignores_unparseable_values() {
    let k = PersonKeys::from_raw(
        " \u{3000}",
        "山田",
        "not an email",
        &["abc", "03-1234-567", ""],
        &[""],
        "株式会社",
        " ",
    );
    assert_eq!(k, PersonKeys::default());
    assert!(k.blocking_keys().is_empty());
}

#[test]
fn from_raw_free_mail_has_no_company_domain() {
    let k = person("高橋 一郎", "ichiro.t@gmail.com", &[], "", "");
    assert_eq!(k.email.as_deref(), Some("ichiro.t@gmail.com"));
    assert_eq!(k.company_domain, None);
    let k = person("高橋 一郎", "ichiro@docomo.ne.jp", &[], "", "");
    assert_eq!(k.company_domain, None);
}

#[test]
fn from_raw_merges_a_number_listed_twice() {
    let k = PersonKeys::from_raw("山田", "", "", &["03-1234-5678"], &["0312345678"], "", "");
    assert_eq!(k.phones, vec![("+81312345678".to_string(), true)]);
}

#[test]
fn blocking_keys_examples() {
    let k = PersonKeys::from_raw(
        "髙橋 一郎",
        "タカハシ イチロウ",
        "ichiro@tokyo.sakata-seed.co.jp",
        &["090-1234-5678"],
        &[],
        "(株)サカタのタネ",
        "営業部",
    );
    let keys = k.blocking_keys();
    for expected in [
        "e:ichiro@tokyo.sakata-seed.co.jp",
        "np:高橋一郎|+819012345678",
        "nc:髙橋一郎|サカタノタネ",
        "nc:髙橋一|サカタノタネ",
        "nc:橋一郎|サカタノタネ",
        "vc:高橋一郎|サカタノタネ",
        "kc:タカハシイチロウ|サカタノタネ",
        "el:ichiro|tokyo.sakata-seed.co.jp",
        "el:ichiro|sakata-seed.co.jp",
    ] {
        assert!(
            keys.iter().any(|k| k == expected),
            "{expected} not in {keys:?}"
        );
    }
    assert!(!keys.iter().any(|k| k == "el:ichiro|co.jp"), "{keys:?}");
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, keys);
}

// ---------------------------------------------------------------- the Takahashi case

/// Trade-show business card: 髙橋 一郎 / 株式会社サカタのタネ / 090-1234-5678.
fn card() -> PersonKeys {
    person(
        "髙橋 一郎",
        "",
        &["090-1234-5678"],
        "株式会社サカタのタネ",
        "",
    )
}

#[test]
fn webinar_with_gmail_and_the_same_mobile_is_the_same_person() {
    let webinar = PersonKeys::from_raw(
        "髙橋　一郎",
        "タカハシ イチロウ",
        "takahashi.ichiro1975@gmail.com",
        &["０９０－１２３４－５６７８"],
        &[],
        "",
        "",
    );
    assert_match(&card(), &webinar, Match::Same(SameNameAndPersonalPhone));
}

#[test]
fn webinar_typed_with_the_common_kanji_is_a_candidate() {
    // 髙 is hard to type, so web forms usually get 高: similar spelling is never automatic.
    let webinar = person(
        "高橋 一郎",
        "takahashi.ichiro1975@gmail.com",
        &["09012345678"],
        "",
        "",
    );
    assert_match(&card(), &webinar, Match::Candidate(VariantSpelling));
}

#[test]
fn excel_row_with_variant_kanji_at_the_same_company_is_a_candidate() {
    let excel = person("高橋一郎", "", &[], "(株)サカタのタネ", "営業部");
    assert_match(&card(), &excel, Match::Candidate(VariantSpelling));
    // Spelled the same way, the department makes it automatic.
    let card_with_department = person(
        "髙橋 一郎",
        "",
        &["090-1234-5678"],
        "株式会社サカタのタネ",
        "営業部",
    );
    let excel_same_spelling = person("髙橋一郎", "", &[], "サカタのタネ(株)", "営業部");
    assert_match(
        &card_with_department,
        &excel_same_spelling,
        Match::Same(SameNameCompanyAnd("department")),
    );
}

#[test]
fn takahashi_records_cluster() {
    let records = vec![
        card(),
        person(
            "髙橋 一郎",
            "takahashi.ichiro1975@gmail.com",
            &["09012345678"],
            "",
            "",
        ),
        person("高橋一郎", "", &[], "(株)サカタのタネ", "営業部"),
        person(
            "高橋 一郎",
            "ichiro.takahashi@sakata-seed.co.jp",
            &[],
            "サカタのタネ",
            "営業部",
        ),
        person("田中 太郎", "", &["090-1234-5678"], "", ""),
    ];
    let (groups, candidates) = cluster_people(&records);
    // card + webinar by name and mobile; the Excel row and the company-email record by
    // name, company and department; the stranger with the same mobile stays apart.
    assert_eq!(groups, vec![0, 0, 1, 1, 2]);
    assert_eq!(
        candidates,
        vec![(0, 2, VariantSpelling), (0, 3, VariantSpelling)]
    );
}

// ---------------------------------------------------------------- emails

#[test]
fn equal_emails_are_the_same_whatever_the_spelling() {
    let a = person(
        "髙橋 一郎",
        "Ichiro.Takahashi@Sakata-Seed.co.jp",
        &[],
        "",
        "",
    );
    let b = person(
        "タカハシ イチロウ",
        "ｉｃｈｉｒｏ．ｔａｋａｈａｓｈｉ＠ｓａｋａｔａ－ｓｅｅｄ．ｃｏ．ｊｐ",
        &[],
        "",
        "",
    );
    assert_match(&a, &b, Match::Same(SameEmail));
    let nameless = person("", "ichiro.takahashi@sakata-seed.co.jp", &[], "", "");
    assert_match(&a, &nameless, Match::Same(SameEmail));
}

#[test]
fn different_emails_at_the_same_corporate_domain_with_different_names_stay_different() {
    let a = person(
        "佐藤 一郎",
        "ichiro.sato@sakata-seed.co.jp",
        &[],
        "株式会社サカタのタネ",
        "",
    );
    let b = person(
        "佐藤 次郎",
        "jiro.sato@sakata-seed.co.jp",
        &[],
        "株式会社サカタのタネ",
        "",
    );
    assert_match(&a, &b, Match::Different);
    // Without the emails the one-character difference would be worth a look.
    let a = person("佐藤 一郎", "", &[], "株式会社サカタのタネ", "");
    let b = person("佐藤 次郎", "", &[], "株式会社サカタのタネ", "");
    assert_match(&a, &b, Match::Candidate(SimilarNameSameCompany));
    // Even variant spellings: two mailboxes at one company are two people.
    let a = person(
        "髙橋 一郎",
        "i-takahashi@sakata-seed.co.jp",
        &[],
        "サカタのタネ",
        "",
    );
    let b = person(
        "高橋 一郎",
        "takahashi@sakata-seed.co.jp",
        &[],
        "サカタのタネ",
        "",
    );
    assert_match(&a, &b, Match::Different);
}

#[test]
fn same_local_part_at_a_related_company_domain_is_a_candidate() {
    let a = person(
        "髙橋 一郎",
        "ichiro.takahashi@sakata-seed.co.jp",
        &[],
        "",
        "",
    );
    let b = person(
        "タカハシ イチロウ",
        "ichiro.takahashi@tokyo.sakata-seed.co.jp",
        &[],
        "",
        "",
    );
    assert_match(&a, &b, Match::Candidate(SameEmailLocalSameDomain));
    // The caller may fill the company domain from the company record for a free-mail address.
    let mut c = person("高橋 一郎", "ichiro.takahashi@gmail.com", &[], "", "");
    c.company_domain = Some("sakata-seed.co.jp".into());
    assert_match(&a, &c, Match::Candidate(SameEmailLocalSameDomain));
    // Unrelated domains, or the public suffix only, are not the same company domain.
    let d = person("佐藤 花子", "info@abc-shoji.co.jp", &[], "", "");
    let e = person("鈴木 一郎", "info@xyz-kogyo.co.jp", &[], "", "");
    assert_match(&d, &e, Match::Different);
    let mut f = person("鈴木 一郎", "info@xyz-kogyo.co.jp", &[], "", "");
    f.company_domain = Some("co.jp".into());
    let mut g = person("鈴木 次郎", "info@abc-shoji.co.jp", &[], "", "");
    g.company_domain = Some("abc-shoji.co.jp".into());
    assert_match(&f, &g, Match::Different);
    // Same name and company: the local part is the agreeing field.
    let h = person(
        "高橋 一郎",
        "ichiro.takahashi@tokyo.sakata-seed.co.jp",
        &[],
        "サカタのタネ",
        "",
    );
    let i = person(
        "高橋 一郎",
        "ichiro.takahashi@sakata-seed.co.jp",
        &[],
        "サカタのタネ",
        "",
    );
    assert_match(&h, &i, Match::Same(SameNameCompanyAnd("email_local")));
}

// ---------------------------------------------------------------- homonyms

#[test]
fn homonyms_at_different_companies_stay_different() {
    let a = PersonKeys::from_raw(
        "田中 太郎",
        "タナカ タロウ",
        "t.tanaka@abc-shoji.co.jp",
        &["03-1111-2222"],
        &[],
        "株式会社ABC商事",
        "営業部",
    );
    let b = PersonKeys::from_raw(
        "田中太郎",
        "たなか たろう",
        "tanaka@xyz-kogyo.co.jp",
        &["06-3333-4444"],
        &[],
        "有限会社XYZ工業",
        "営業部",
    );
    assert_match(&a, &b, Match::Different);
    let a = person("田中 太郎", "", &[], "株式会社ABC商事", "");
    let b = person("田中 太郎", "", &[], "有限会社XYZ工業", "");
    assert_match(&a, &b, Match::Different);
    // A name alone is no evidence either.
    assert_match(
        &person("田中 太郎", "", &[], "", ""),
        &person("田中太郎", "", &[], "", ""),
        Match::Different,
    );
}

#[test]
fn the_same_mobile_follows_a_person_who_changed_company() {
    let a = person(
        "田中 太郎",
        "t.tanaka@abc-shoji.co.jp",
        &["080-1111-2222"],
        "株式会社ABC商事",
        "",
    );
    let b = person(
        "田中 太郎",
        "tanaka@xyz-kogyo.co.jp",
        &["080-1111-2222"],
        "有限会社XYZ工業",
        "",
    );
    assert_match(&a, &b, Match::Same(SameNameAndPersonalPhone));
}

#[test]
fn different_personal_phones_with_the_same_name_stay_different() {
    let a = person("田中 太郎", "", &["090-1111-1111"], "", "");
    let b = person("田中 太郎", "", &["090-2222-2222"], "", "");
    assert_match(&a, &b, Match::Different);
    let a = person("田中 太郎", "", &["090-1111-1111"], "株式会社ABC商事", "");
    let b = person("田中 太郎", "", &["090-2222-2222"], "ABC商事", "");
    assert_match(&a, &b, Match::Candidate(SameNameAndCompany));
}

// ---------------------------------------------------------------- 代表 numbers

#[test]
fn a_shared_main_number_does_not_merge_different_people() {
    let company = "株式会社サカタのタネ";
    let main = "045-123-4567（代表）";
    let staff: Vec<PersonKeys> = ["佐藤 花子", "鈴木 一郎", "高田 健", "中村 美咲", "小林 誠"]
        .iter()
        .map(|n| person(n, "", &[main], company, ""))
        .collect();
    for (i, a) in staff.iter().enumerate() {
        for b in &staff[i + 1..] {
            assert_match(a, b, Match::Different);
        }
    }
    let (groups, candidates) = cluster_people(&staff);
    assert_eq!(groups, vec![0, 1, 2, 3, 4]);
    assert!(candidates.is_empty());
}

#[test]
fn a_landline_counts_as_personal_only_when_marked_as_a_direct_line() {
    let a = person("田中 太郎", "", &["03-1234-5678"], "", "");
    let b = person("田中太郎", "", &["0312345678"], "", "");
    assert_match(&a, &b, Match::Different);
    let direct = PersonKeys::from_raw("田中太郎", "", "", &[], &["03-1234-5678"], "", "");
    assert_match(&a, &direct, Match::Same(SameNameAndPersonalPhone));
    // 050 IP phones are personal.
    let c = person("田中 太郎", "", &["050-1234-5678"], "", "");
    let d = person("田中 太郎", "", &["05012345678"], "", "");
    assert_match(&c, &d, Match::Same(SameNameAndPersonalPhone));
}

#[test]
fn the_same_name_at_the_same_company_with_any_shared_phone_is_the_same() {
    // The spec counts any equal phone, the 代表 number included, once name and company agree.
    let a = person(
        "田中 太郎",
        "",
        &["045-123-4567"],
        "株式会社サカタのタネ",
        "",
    );
    let b = person("田中太郎", "", &["045-123-4567"], "サカタのタネ", "");
    assert_match(&a, &b, Match::Same(SameNameCompanyAnd("phone")));
}

// ---------------------------------------------------------------- name + company

#[test]
fn name_and_company_alone_is_a_candidate() {
    let a = person("山田 太郎", "", &[], "株式会社ABC商事", "営業部");
    let b = person("山田太郎", "", &[], "ABC商事株式会社", "総務部");
    assert_match(&a, &b, Match::Candidate(SameNameAndCompany));
}

#[test]
fn name_and_company_with_equal_kana_is_the_same() {
    let a = PersonKeys::from_raw(
        "山田 太郎",
        "やまだ たろう",
        "",
        &[],
        &[],
        "株式会社ABC商事",
        "",
    );
    let b = PersonKeys::from_raw("山田太郎", "ﾔﾏﾀﾞﾀﾛｳ", "", &[], &[], "(株)ABC商事", "");
    assert_match(&a, &b, Match::Same(SameNameCompanyAnd("kana")));
}

#[test]
fn the_same_reading_with_different_kanji_at_the_same_company_is_a_candidate() {
    let a = PersonKeys::from_raw(
        "小島 誠",
        "コジマ マコト",
        "",
        &[],
        &[],
        "株式会社ABC商事",
        "",
    );
    let b = PersonKeys::from_raw("児嶋 誠", "こじま まこと", "", &[], &[], "ABC商事", "");
    assert_match(&a, &b, Match::Candidate(SameReadingSameCompany));
    let c = PersonKeys::from_raw("児嶋 誠", "こじま まこと", "", &[], &[], "XYZ工業", "");
    assert_match(&a, &c, Match::Different);
}

#[test]
fn names_one_character_apart_at_the_same_company_are_a_candidate() {
    let a = person("山田 太郎", "", &[], "株式会社ABC商事", "");
    let b = person("山田 太朗", "", &[], "株式会社ABC商事", "");
    assert_match(&a, &b, Match::Candidate(SimilarNameSameCompany));
    let c = person("山田 太", "", &[], "株式会社ABC商事", "");
    assert_match(&a, &c, Match::Candidate(SimilarNameSameCompany));
    let d = person("山口 次郎", "", &[], "株式会社ABC商事", "");
    assert_match(&a, &d, Match::Different);
    let e = person("山田 太朗", "", &[], "XYZ工業", "");
    assert_match(&a, &e, Match::Different);
}

#[test]
fn variant_spellings_need_a_company_or_a_personal_phone() {
    for (x, y) in [
        ("山﨑 健", "山崎 健"),
        ("齋藤 花子", "斉藤 花子"),
        ("渡邊 剛", "渡辺 剛"),
        ("小澤 明", "小沢 明"),
        ("濱田 誠", "浜田 誠"),
        ("中嶋 聡", "中島 聡"),
        ("德永 薫", "徳永 薫"),
        ("廣瀬 涼", "広瀬 涼"),
        ("國分 隆", "国分 隆"),
    ] {
        let a = person(x, "", &[], "株式会社ABC商事", "");
        let b = person(y, "", &[], "ABC商事", "営業部");
        assert_match(&a, &b, Match::Candidate(VariantSpelling));
        let b = person(y, "", &[], "XYZ工業", "");
        assert_match(&a, &b, Match::Different);
        let a = person(x, "", &["080-5555-6666"], "", "");
        let b = person(y, "", &["08055556666"], "", "");
        assert_match(&a, &b, Match::Candidate(VariantSpelling));
        let b = person(y, "", &[], "", "");
        assert_match(&a, &b, Match::Different);
    }
}

#[test]
fn empty_strings_never_agree() {
    let a = PersonKeys {
        email: Some(String::new()),
        name: Some("山田太郎".into()),
        company: Some(String::new()),
        department: Some(String::new()),
        phones: vec![(String::new(), true)],
        ..PersonKeys::default()
    };
    assert_match(&a, &a.clone(), Match::Different);
    assert!(
        a.blocking_keys().iter().all(|k| !k.ends_with('|')),
        "{:?}",
        a.blocking_keys()
    );
}

// ---------------------------------------------------------------- companies

fn company(number: &str, name: &str, domain: &str) -> CompanyKeys {
    CompanyKeys::from_raw(number, name, domain)
}

fn assert_company_match(a: &CompanyKeys, b: &CompanyKeys, expected: Match) {
    assert_eq!(match_companies(a, b), expected, "a={a:?}\nb={b:?}");
    assert_eq!(match_companies(b, a), expected, "reversed");
}

#[test]
fn company_keys_from_raw() {
    let c = company(
        "7010401022916",
        "株式会社　サカタのタネ",
        "https://www.sakata-seed.co.jp/",
    );
    assert_eq!(c.corporate_number.as_deref(), Some("7010401022916"));
    assert_eq!(c.name.as_deref(), Some("サカタノタネ"));
    assert_eq!(c.legal_form.as_deref(), Some("kabushiki_kaisha"));
    assert_eq!(c.domain.as_deref(), Some("sakata-seed.co.jp"));
    let c = company("5070001000716", "株式会社", "someone@gmail.com");
    assert_eq!(c, CompanyKeys::default());
}

#[test]
fn companies_match_on_corporate_number_first() {
    let a = company("7010401022916", "株式会社サカタのタネ", "");
    let b = company("7-0104-0102-2916", "サカタ種苗", "");
    assert_company_match(&a, &b, Match::Same(SameCorporateNumber));
    // Different numbers are different entities, even with the same name and domain.
    let c = CompanyKeys {
        corporate_number: Some("5070001000715".into()),
        ..a.clone()
    };
    let a = CompanyKeys {
        domain: Some("sakata-seed.co.jp".into()),
        ..a
    };
    let c = CompanyKeys {
        domain: Some("sakata-seed.co.jp".into()),
        ..c
    };
    assert_company_match(&a, &c, Match::Different);
}

#[test]
fn companies_match_on_name_key_and_form() {
    let a = company("", "株式会社サカタのタネ", "");
    assert_company_match(
        &a,
        &company("", "サカタのタネ(株)", ""),
        Match::Same(SameCompanyName),
    );
    assert_company_match(&a, &company("", "ｻｶﾀﾉﾀﾈ", ""), Match::Same(SameCompanyName));
    assert_company_match(
        &a,
        &company("", "有限会社サカタのタネ", ""),
        Match::Candidate(SameCompanyNameDifferentForm),
    );
    assert_company_match(&a, &company("", "株式会社サカタ", ""), Match::Different);
    // A corporate number on one side only does not block a name match.
    assert_company_match(
        &company("7010401022916", "株式会社サカタのタネ", ""),
        &company("", "サカタのタネ", ""),
        Match::Same(SameCompanyName),
    );
}

#[test]
fn companies_match_on_corporate_domain_but_not_free_mail() {
    let a = company("", "サカタのタネ", "sakata-seed.co.jp");
    let b = company("", "Sakata Seed Corporation", "info@sakata-seed.co.jp");
    assert_company_match(&a, &b, Match::Same(SameCompanyDomain));
    let c = CompanyKeys {
        name: Some("abc".into()),
        domain: Some("gmail.com".into()),
        ..CompanyKeys::default()
    };
    let d = CompanyKeys {
        name: Some("xyz".into()),
        domain: Some("gmail.com".into()),
        ..CompanyKeys::default()
    };
    assert_company_match(&c, &d, Match::Different);
    // The same name with different forms but the same domain: the domain decides.
    let e = company("", "有限会社サカタのタネ", "sakata-seed.co.jp");
    let f = company("", "株式会社サカタのタネ", "sakata-seed.co.jp");
    assert_company_match(&e, &f, Match::Same(SameCompanyDomain));
    assert_company_match(
        &CompanyKeys::default(),
        &CompanyKeys::default(),
        Match::Different,
    );
}

// ---------------------------------------------------------------- merging

#[test]
fn merge_fills_blanks_and_reports_conflicts() {
    let mut conflicts = Vec::new();
    let mut department = None;
    merge_field(
        "department",
        &mut department,
        Some("営業部"),
        &mut conflicts,
    );
    assert_eq!(department.as_deref(), Some("営業部"));

    let mut blank = Some("  ".to_string());
    merge_field("department", &mut blank, Some("営業部"), &mut conflicts);
    assert_eq!(blank.as_deref(), Some("営業部"));

    let mut kana = Some("タカハシ".to_string());
    merge_field("kana", &mut kana, None, &mut conflicts);
    merge_field("kana", &mut kana, Some(""), &mut conflicts);
    merge_field("kana", &mut kana, Some("\u{3000}"), &mut conflicts);
    assert_eq!(kana.as_deref(), Some("タカハシ"));
    assert!(conflicts.is_empty());

    // Width and spacing differences are not conflicts.
    let mut title = Some("部長 代理".to_string());
    merge_field("title", &mut title, Some("部長　代理"), &mut conflicts);
    assert!(conflicts.is_empty());

    let mut phone = Some("+81312345678".to_string());
    merge_field("phone", &mut phone, Some("+81698765432"), &mut conflicts);
    assert_eq!(phone.as_deref(), Some("+81312345678"));
    assert_eq!(
        conflicts,
        vec![(
            "phone",
            "+81312345678".to_string(),
            "+81698765432".to_string()
        )]
    );
}

// ---------------------------------------------------------------- clustering

#[test]
fn cluster_numbers_groups_in_order_of_first_appearance() {
    let records = vec![
        person("田中 太郎", "", &[], "", ""),
        person("山田 花子", "hanako@abc-shoji.co.jp", &[], "", ""),
        person("鈴木 一郎", "", &[], "", ""),
        person("", "hanako@abc-shoji.co.jp", &[], "", ""),
    ];
    let (groups, candidates) = cluster_people(&records);
    assert_eq!(groups, vec![0, 1, 2, 1]);
    assert!(candidates.is_empty());
    assert_eq!(cluster_people(&[]), (vec![], vec![]));
}

#[test]
fn cluster_chains_same_matches_but_not_candidates() {
    let records = vec![
        // 0 and 1: same email; 1 and 2: same name and mobile (private address).
        person("山田 太郎", "t.yamada@abc-shoji.co.jp", &[], "ABC商事", ""),
        person(
            "山田 太郎",
            "t.yamada@abc-shoji.co.jp",
            &["090-1111-2222"],
            "",
            "",
        ),
        person(
            "山田 太郎",
            "yamada.taro@gmail.com",
            &["09011112222"],
            "",
            "",
        ),
        // 3: one character from 山田 太郎 at the same company: a candidate, not merged.
        person("山﨑 太郎", "", &["080-1234-0000"], "ABC商事", ""),
        // 4: another 山田 太郎 at the same company with nothing else agreeing.
        person("山田 太郎", "", &["080-9999-0000"], "ABC商事", ""),
        // 5: 3's variant spelling with 3's mobile but no company.
        person("山崎 太郎", "", &["08012340000"], "", ""),
    ];
    let (groups, candidates) = cluster_people(&records);
    assert_eq!(groups, vec![0, 0, 0, 1, 2, 3]);
    assert_eq!(
        candidates,
        vec![
            (0, 3, SimilarNameSameCompany),
            (0, 4, SameNameAndCompany),
            (3, 4, SimilarNameSameCompany),
            (3, 5, VariantSpelling),
        ]
    );
}

#[test]
fn cluster_does_not_chain_through_a_main_number_or_a_candidate() {
    // Everyone lists the 代表 number; two pairs of people are the same by email.
    let main = "03-5555-0000";
    let records = vec![
        person(
            "佐藤 花子",
            "h.sato@abc-shoji.co.jp",
            &[main],
            "ABC商事",
            "総務部",
        ),
        person(
            "鈴木 一郎",
            "i.suzuki@abc-shoji.co.jp",
            &[main],
            "ABC商事",
            "営業部",
        ),
        person("佐藤 花子", "h.sato@abc-shoji.co.jp", &[], "", ""),
        person("鈴木 一郎", "", &[main], "", "営業部"),
        person("鈴木 一朗", "", &[main], "ABC商事", "営業部"),
    ];
    let (groups, candidates) = cluster_people(&records);
    // 3 has no company, and the 代表 number is not personal: it stays apart from 1.
    assert_eq!(groups, vec![0, 1, 0, 2, 3]);
    // 4 is one character from 1 at the same company: reviewed, never merged.
    assert_eq!(candidates, vec![(1, 4, SimilarNameSameCompany)]);
}

#[test]
fn identical_records_and_emails_are_joined_beyond_the_block_limit() {
    let n = BLOCK_LIMIT + 50;
    let dup = person("田中 太郎", "", &[], "ABC商事", "営業部");
    let mut records = vec![dup; n];
    records.extend(
        (0..n).map(|i| person(&format!("利用者{i}"), "shared@abc-shoji.co.jp", &[], "", "")),
    );
    let (groups, candidates) = cluster_people(&records);
    assert!(groups[..n].iter().all(|&g| g == 0));
    assert!(groups[n..].iter().all(|&g| g == 1));
    assert!(candidates.is_empty());
}

#[test]
fn a_block_larger_than_the_limit_is_compared_within_its_first_records() {
    // Same name at the same company, each with their own mobile: every pair is a candidate,
    // and every blocking key they share has more than BLOCK_LIMIT records.
    let n = BLOCK_LIMIT + 50;
    let records: Vec<PersonKeys> = (0..n)
        .map(|i| {
            person(
                "田中 太郎",
                "",
                &[&format!("090-0000-{i:04}")],
                "ABC商事",
                "",
            )
        })
        .collect();
    let (groups, candidates) = cluster_people(&records);
    assert_eq!(groups, (0..n).collect::<Vec<_>>());
    assert_eq!(candidates.len(), BLOCK_LIMIT * (BLOCK_LIMIT - 1) / 2);
    assert!(
        candidates
            .iter()
            .all(|&(a, b, r)| a < b && b < BLOCK_LIMIT && r == SameNameAndCompany)
    );
}

/// A small deterministic generator for synthetic data.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// About 100k records of 40k people at 2,000 companies, with common names, shared 代表
/// numbers, variant spellings, free-mail addresses and missing fields.
fn synthetic_records(count: usize) -> Vec<PersonKeys> {
    const FAMILY: &[&str] = &[
        "佐藤",
        "鈴木",
        "高橋",
        "田中",
        "伊藤",
        "渡辺",
        "山本",
        "中村",
        "小林",
        "加藤",
        "吉田",
        "山田",
        "佐々木",
        "山口",
        "松本",
        "井上",
        "木村",
        "林",
        "斎藤",
        "清水",
        "山崎",
        "森",
        "池田",
        "橋本",
        "阿部",
        "石川",
        "山下",
        "中島",
        "石井",
        "小川",
    ];
    const GIVEN: &[&str] = &[
        "太郎", "一郎", "健", "誠", "翔", "大輔", "花子", "美咲", "陽子", "直子", "浩", "隆", "聡",
        "恵", "剛", "彩", "拓也", "由美", "健一", "亮",
    ];
    const DEPARTMENTS: &[&str] = &["営業部", "総務部", "経理部", "開発部", "人事部", "企画部"];
    let mut rng = Lcg(0x5eed);
    let mut records = Vec::with_capacity(count);
    let mut person_id = 0;
    while records.len() < count {
        person_id += 1;
        let company = rng.below(2_000);
        let family = FAMILY[rng.below(FAMILY.len())];
        let given = GIVEN[rng.below(GIVEN.len())];
        let mobile = rng.chance(60).then(|| format!("+8190{person_id:08}"));
        let department = DEPARTMENTS[rng.below(DEPARTMENTS.len())];
        for _ in 0..1 + rng.below(4) {
            let mut name = format!("{family}{given}");
            if rng.chance(10) {
                name = name
                    .replace('高', "髙")
                    .replace('崎', "﨑")
                    .replace('辺', "邊")
                    .replace('斎', "齋");
            }
            let email = if rng.chance(50) {
                Some(format!("p{person_id}@c{company}.co.jp"))
            } else if rng.chance(20) {
                Some(format!("p{person_id}@gmail.com"))
            } else {
                None
            };
            let mut phones = Vec::new();
            if let Some(m) = &mobile
                && rng.chance(70)
            {
                phones.push((m.clone(), true));
            }
            if rng.chance(50) {
                phones.push((format!("+81{:09}", 300_000_000 + company), false));
            }
            records.push(PersonKeys {
                company_domain: email
                    .as_ref()
                    .filter(|e| !e.ends_with("gmail.com"))
                    .map(|_| format!("c{company}.co.jp")),
                email,
                name: rng.chance(97).then_some(name),
                kana: rng.chance(40).then(|| format!("カナ{family}{given}")),
                phones,
                company: rng.chance(80).then(|| format!("company{company}")),
                department: rng.chance(40).then(|| department.to_string()),
                romaji: None,
                name_swapped: None,
                title: rng
                    .chance(50)
                    .then(|| ["部長", "課長", "担当"][rng.below(3)].to_string()),
                email_romaji: None,
            });
            if records.len() == count {
                break;
            }
        }
    }
    records
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored cluster"]
fn cluster_100k_synthetic_records() {
    let records = synthetic_records(100_000);
    let start = std::time::Instant::now();
    let (groups, candidates) = cluster_people(&records);
    let elapsed = start.elapsed();
    let distinct = groups.iter().max().map_or(0, |g| g + 1);
    eprintln!(
        "cluster_people: {} records → {distinct} groups, {} candidate pairs in {elapsed:?}",
        records.len(),
        candidates.len()
    );
    assert_eq!(groups.len(), 100_000);
    assert!((30_000..100_000).contains(&distinct), "{distinct}");
    assert!(elapsed.as_secs() < 60);
}

#[test]
fn cluster_synthetic_sample_agrees_with_pairwise_matching() {
    let records = synthetic_records(600);
    let (groups, candidates) = cluster_people(&records);
    let (expected_groups, expected_candidates) = brute_force_cluster(&records);
    assert_eq!(groups, expected_groups);
    assert_eq!(candidates, expected_candidates);
}

// ---------------------------------------------------------------- properties

/// Groups by comparing every pair: connected components of `Same`, candidates across groups.
fn brute_force_cluster(
    records: &[PersonKeys],
) -> (Vec<usize>, Vec<(usize, usize, CandidateReason)>) {
    // The clustering compares records without the lines they show to be shared.
    let records = without_shared_lines(records);
    let n = records.len();
    let mut component: Vec<usize> = (0..n).collect();
    let mut candidates = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            match match_people(&records[i], &records[j]) {
                Match::Same(_) => {
                    let (from, to) = (component[j], component[i]);
                    if from != to {
                        for c in component.iter_mut() {
                            if *c == from {
                                *c = to;
                            }
                        }
                    }
                }
                Match::Candidate(r) => candidates.push((i, j, r)),
                Match::Different => {}
            }
        }
    }
    let mut numbering: Vec<usize> = Vec::new();
    let groups: Vec<usize> = component
        .iter()
        .map(|c| match numbering.iter().position(|x| x == c) {
            Some(g) => g,
            None => {
                numbering.push(*c);
                numbering.len() - 1
            }
        })
        .collect();
    candidates.retain(|&(i, j, _)| groups[i] != groups[j]);
    (groups, candidates)
}

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(options).prop_map(str::to_string))
}

/// Keys drawn from small pools so that values collide often; includes empty strings.
fn person_keys() -> impl Strategy<Value = PersonKeys> {
    (
        pick(&[
            "ichiro@sakata-seed.co.jp",
            "ichiro@tokyo.sakata-seed.co.jp",
            "jiro@sakata-seed.co.jp",
            "ichiro@gmail.com",
            "info@abc.co.jp",
            "info@xyz.co.jp",
            "",
        ]),
        pick(&[
            "髙橋一郎",
            "高橋一郎",
            "高橋次郎",
            "高橋一",
            "タカハシイチロウ",
            "山﨑健",
            "山崎健",
            "林",
            "森",
            "ichirotakahashi",
            "takahashiichiro",
            "",
        ]),
        pick(&["タカハシイチロウ", "ヤマサキケン", "ハヤシ", ""]),
        prop::collection::vec(
            (
                prop::sample::select(
                    &[
                        "+819012345678",
                        "+819087654321",
                        "+81451234567",
                        "+81312345678",
                        "",
                    ][..],
                )
                .prop_map(str::to_string),
                any::<bool>(),
            ),
            0..3,
        ),
        pick(&[
            "サカタノタネ",
            "abc商事",
            "42",
            "abc",
            "sakataseed",
            "サカタシード",
            "",
        ]),
        pick(&[
            "sakata-seed.co.jp",
            "tokyo.sakata-seed.co.jp",
            "abc.co.jp",
            "co.jp",
            "gmail.com",
            "",
        ]),
        pick(&["営業部", "営業本部 営業部", "東日本営業部", "総務部", ""]),
        pick(&[
            "itiro takahasi",
            "takahasiitiro",
            "ken yamasaki",
            "hayasi",
            "",
        ]),
        pick(&["部長", "担当", ""]),
        pick(&["itirotakahasi", "ken yamasaki", ""]),
    )
        .prop_map(
            |(
                email,
                name,
                kana,
                phones,
                company,
                company_domain,
                department,
                romaji,
                title,
                email_romaji,
            )| PersonKeys {
                email,
                name,
                kana,
                phones,
                company,
                company_domain,
                department,
                romaji,
                name_swapped: None,
                title,
                email_romaji,
            },
        )
}

/// Keys built from raw input the way an import would.
fn raw_person_keys() -> impl Strategy<Value = PersonKeys> {
    (
        prop::sample::select(
            &[
                "髙橋 一郎",
                "高橋　一郎",
                "ﾀｶﾊｼ ｲﾁﾛｳ",
                "山﨑 健",
                "山崎健",
                "山崎 建",
                "一郎 髙橋",
                "Ichiro Takahashi",
                "TAKAHASHI Ichirou",
                "takahashi.itiro",
                "",
            ][..],
        ),
        prop::sample::select(&["たかはし いちろう", "ﾀｶﾊｼｲﾁﾛｳ", "やまさき けん", ""][..]),
        prop::sample::select(
            &[
                "Ichiro@Sakata-Seed.co.jp",
                "ichiro@tokyo.sakata-seed.co.jp",
                "ken@sakata-seed.co.jp",
                "ichiro@gmail.com",
                "",
            ][..],
        ),
        prop::sample::select(&["090-1234-5678", "045-123-4567", "03-1234-5678", ""][..]),
        prop::sample::select(&["080-1111-2222", "03-1234-5678", ""][..]),
        prop::sample::select(
            &[
                "株式会社サカタのタネ",
                "サカタのタネ(株)",
                "有限会社ABC",
                "",
            ][..],
        ),
        prop::sample::select(&["営業部", "営業 部", "総務部", ""][..]),
    )
        .prop_map(|(name, kana, email, phone, mobile, company, department)| {
            PersonKeys::from_raw(name, kana, email, &[phone], &[mobile], company, department)
        })
}

fn any_person_keys() -> impl Strategy<Value = PersonKeys> {
    prop_oneof![person_keys(), raw_person_keys()]
}

fn company_keys() -> impl Strategy<Value = CompanyKeys> {
    (
        pick(&["7010401022916", "5070001000715", "123", ""]),
        pick(&["サカタノタネ", "abc商事", ""]),
        pick(&["kabushiki_kaisha", "yugen_kaisha", ""]),
        pick(&["sakata-seed.co.jp", "abc.co.jp", "gmail.com", ""]),
    )
        .prop_map(|(corporate_number, name, legal_form, domain)| CompanyKeys {
            corporate_number,
            name,
            legal_form,
            domain,
        })
}

proptest! {
    #[test]
    fn match_people_is_symmetric(a in any_person_keys(), b in any_person_keys()) {
        prop_assert_eq!(match_people(&a, &b), match_people(&b, &a));
    }

    #[test]
    fn a_record_with_email_or_name_and_personal_phone_matches_itself(a in any_person_keys()) {
        // A shared team mailbox (info@) identifies nobody on its own.
        let has_email = a.email.as_deref().is_some_and(|e| !e.is_empty() && !ondo_domain::matching::is_shared_mailbox(e));
        let has_name = a.name.as_deref().is_some_and(|n| !n.is_empty());
        let personal_phone = a.phones.iter().any(|(p, personal)| *personal && !p.is_empty());
        if has_email || (has_name && personal_phone) {
            prop_assert!(match_people(&a, &a).is_same(), "{:?}", match_people(&a, &a));
        }
    }

    #[test]
    fn same_or_candidate_pairs_share_a_blocking_key(a in any_person_keys(), b in any_person_keys()) {
        let m = match_people(&a, &b);
        if m != Match::Different {
            prop_assert!(shares_blocking_key(&a, &b), "{:?}\na={:?}\nb={:?}", m, a, b);
        }
    }

    #[test]
    fn cluster_agrees_with_pairwise_matching(records in prop::collection::vec(any_person_keys(), 0..40)) {
        let (groups, candidates) = cluster_people(&records);
        let compared = without_shared_lines(&records);
        for i in 0..records.len() {
            for j in i + 1..records.len() {
                if match_people(&compared[i], &compared[j]).is_same() {
                    prop_assert_eq!(groups[i], groups[j], "{} and {} are Same", i, j);
                }
            }
        }
        let (expected_groups, expected_candidates) = brute_force_cluster(&records);
        prop_assert_eq!(groups, expected_groups);
        prop_assert_eq!(candidates, expected_candidates);
    }

    #[test]
    fn match_companies_is_symmetric(a in company_keys(), b in company_keys()) {
        prop_assert_eq!(match_companies(&a, &b), match_companies(&b, &a));
    }

    #[test]
    fn different_corporate_numbers_are_never_the_same(a in company_keys(), b in company_keys()) {
        let number = |c: &CompanyKeys| c.corporate_number.clone().filter(|n| n.len() == 13);
        if let (Some(x), Some(y)) = (number(&a), number(&b)) && x != y {
            prop_assert_eq!(match_companies(&a, &b), Match::Different);
        }
    }

    #[test]
    fn merge_never_loses_a_value(
        existing in pick(&["営業部", "", " "]),
        incoming in pick(&["営業部", "総務部", "", "営業部 "]),
    ) {
        let mut merged = existing.clone();
        let mut conflicts = Vec::new();
        merge_field("department", &mut merged, incoming.as_deref(), &mut conflicts);
        let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if filled(&existing) {
            prop_assert_eq!(&merged, &existing);
        } else if filled(&incoming) {
            prop_assert_eq!(merged.as_deref(), incoming.as_deref());
        }
        prop_assert!(conflicts.len() <= 1);
        for (field, old, new) in conflicts {
            prop_assert_eq!(field, "department");
            prop_assert_eq!(Some(old), existing.clone());
            prop_assert_eq!(Some(new), incoming.clone());
        }
    }
}

#[test]
fn colleagues_of_the_same_name_with_their_own_addresses_are_not_merged_by_shared_evidence() {
    // Two 石田 健 at one company: the 代表 number, the department and the reading are
    // shared by colleagues, so they make a candidate pair at most.
    let a = PersonKeys::from_raw(
        "石田 健",
        "イシダ ケン",
        "ishidak@axyz.co.jp",
        &["03-6689-1669"],
        &[],
        "株式会社エーエックスワイゼット",
        "営業部",
    );
    let b = PersonKeys::from_raw(
        "石田 健",
        "イシダ ケン",
        "ishidak2@axyz.co.jp",
        &["03-6689-1669"],
        &[],
        "株式会社エーエックスワイゼット",
        "営業部",
    );
    assert_match(&a, &b, Match::Candidate(SameNameAndCompany));
    // A shared mobile is one person's, whatever the addresses say.
    let c = PersonKeys::from_raw(
        "石田 健",
        "",
        "ishidak@axyz.co.jp",
        &[],
        &["090-1234-5678"],
        "株式会社エーエックスワイゼット",
        "",
    );
    let d = PersonKeys::from_raw(
        "石田 健",
        "",
        "k.ishida@axyz.co.jp",
        &[],
        &["090-1234-5678"],
        "株式会社エーエックスワイゼット",
        "",
    );
    assert_match(&c, &d, Match::Same(MatchReason::SameNameAndPersonalPhone));
}

#[test]
fn a_shared_team_mailbox_does_not_make_two_people_one() {
    let a = PersonKeys::from_raw(
        "佐藤 花子",
        "",
        "info@abc-shoji.example.co.jp",
        &[],
        &[],
        "ABC商事株式会社",
        "総務部",
    );
    let b = PersonKeys::from_raw(
        "鈴木 一郎",
        "",
        "INFO@abc-shoji.example.co.jp",
        &[],
        &[],
        "ABC商事株式会社",
        "営業部",
    );
    assert_match(&a, &b, Match::Different);
    // The same person writing the team address twice is still recognised by name and company.
    let c = PersonKeys::from_raw(
        "佐藤 花子",
        "",
        "info@abc-shoji.example.co.jp",
        &[],
        &[],
        "ABC商事株式会社",
        "総務部",
    );
    assert_match(
        &a,
        &c,
        Match::Same(MatchReason::SameNameCompanyAnd("department")),
    );
    // A personal address is unaffected.
    let d = PersonKeys::from_raw(
        "佐藤 花子",
        "",
        "h.sato@abc-shoji.example.co.jp",
        &[],
        &[],
        "",
        "",
    );
    let e = PersonKeys::from_raw(
        "サトウ",
        "",
        "H.Sato@abc-shoji.example.co.jp",
        &[],
        &[],
        "",
        "",
    );
    assert_match(&d, &e, Match::Same(MatchReason::SameEmail));
    assert!(ondo_domain::matching::is_shared_mailbox(
        "toiawase@example.co.jp"
    ));
    assert!(!ondo_domain::matching::is_shared_mailbox(
        "t.sato@example.co.jp"
    ));
}

/// A record with every field given, for the romaji tests.
fn written(
    name: &str,
    kana: &str,
    email: &str,
    mobile: &str,
    company: &str,
    dept: &str,
) -> PersonKeys {
    PersonKeys::from_raw(name, kana, email, &[], &[mobile], company, dept)
}

#[test]
fn a_romaji_name_and_the_kanji_name_it_reads_as_are_one_person_with_a_shared_mobile() {
    let card = written(
        "山田 太郎",
        "ヤマダ タロウ",
        "t-yamada@abc.co.jp",
        "090-1111-2222",
        "株式会社ABC",
        "営業部",
    );
    for name in [
        "Taro Yamada",
        "YAMADA Taro",
        "yamada taro",
        "Ｔａｒｏ　Ｙａｍａｄａ",
        "Tarou Yamada",
        "Taroh Yamada",
    ] {
        let webinar = written(name, "", "taro.y@gmail.com", "09011112222", "", "");
        assert_match(
            &card,
            &webinar,
            Match::Same(MatchReason::SameNameAndPersonalPhone),
        );
        assert!(shares_blocking_key(&card, &webinar), "{name}");
    }
    // Long vowels written any way: 大野 read オオノ is Ohno, Ono, Oono or Ōno.
    let ohno = written("大野 由紀", "オオノ ユキ", "", "080-3333-4444", "", "");
    for name in ["Yuki Ohno", "Yuki Ono", "ONO Yuki", "Yuki Ōno"] {
        let other = written(name, "", "", "080-3333-4444", "", "");
        assert_match(
            &ohno,
            &other,
            Match::Same(MatchReason::SameNameAndPersonalPhone),
        );
    }
}

#[test]
fn a_romaji_name_at_the_same_company_needs_another_agreeing_field() {
    let card = written(
        "山田 太郎",
        "ヤマダ タロウ",
        "t-yamada@abc.co.jp",
        "",
        "株式会社ABC",
        "営業部",
    );
    let same_dept = written("Taro Yamada", "", "taro@gmail.com", "", "ABC", "営業部");
    assert_match(
        &card,
        &same_dept,
        Match::Same(MatchReason::SameNameCompanyAnd("department")),
    );
    // Name and company only: a person decides.
    let only_company = written(
        "Taro Yamada",
        "",
        "taro.yamada@yahoo.co.jp",
        "",
        "(株)ABC",
        "",
    );
    assert_match(
        &card,
        &only_company,
        Match::Candidate(CandidateReason::SameRomajiSameCompany),
    );
    // The reading a romaji name agrees through is no second field.
    let with_kana = written(
        "Taro Yamada",
        "ヤマダ タロウ",
        "taro@gmail.com",
        "",
        "ABC",
        "",
    );
    assert_match(
        &card,
        &with_kana,
        Match::Candidate(CandidateReason::SameRomajiSameCompany),
    );
    // The same name at another company is someone else.
    let elsewhere = written(
        "Taro Yamada",
        "",
        "taro@gmail.com",
        "",
        "XYZ株式会社",
        "営業部",
    );
    assert_match(&card, &elsewhere, Match::Different);
    // Without a reading, a kanji name cannot be compared with romaji.
    let no_reading = written(
        "山田 太郎",
        "",
        "t-yamada@abc.co.jp",
        "",
        "株式会社ABC",
        "営業部",
    );
    assert_match(&no_reading, &same_dept, Match::Different);
    let (groups, candidates) = cluster_people(&[card, same_dept, only_company]);
    assert_eq!(groups, vec![0, 0, 1]);
    // Both records of the first group point at the third for review.
    assert_eq!(candidates.len(), 2, "{candidates:?}");
    assert!(candidates.iter().all(|&(_, j, _)| j == 2), "{candidates:?}");
}

#[test]
fn kanji_names_with_one_reading_are_still_different_names() {
    let a = written(
        "山田 太郎",
        "ヤマダ タロウ",
        "",
        "090-1111-2222",
        "株式会社ABC",
        "営業部",
    );
    let b = written(
        "山田 太朗",
        "ヤマダ タロウ",
        "",
        "090-1111-2222",
        "株式会社ABC",
        "営業部",
    );
    assert!(!match_people(&a, &b).is_same());
    // A name in kana is compared with the other's reading as written.
    let kana = written("やまだ たろう", "", "", "090-1111-2222", "", "");
    assert_match(
        &a,
        &kana,
        Match::Same(MatchReason::SameNameAndPersonalPhone),
    );
    let other_kana = written("やまだ じろう", "", "", "090-1111-2222", "", "");
    assert_match(&a, &other_kana, Match::Different);
}

#[test]
fn a_name_written_given_name_first_is_the_same_name() {
    let card = written(
        "酒井 洋平",
        "",
        "sakai@abc.co.jp",
        "",
        "株式会社ABC",
        "マーケティング部",
    );
    let zoom = written(
        "洋平 酒井",
        "",
        "yohei@gmail.com",
        "",
        "ABC",
        "マーケティング部",
    );
    assert_match(
        &card,
        &zoom,
        Match::Same(MatchReason::SameNameCompanyAnd("department")),
    );
    let unspaced = written("酒井洋平", "", "", "070-5555-6666", "", "");
    let zoom_mobile = written("洋平 酒井", "", "", "07055556666", "", "");
    assert_match(
        &unspaced,
        &zoom_mobile,
        Match::Same(MatchReason::SameNameAndPersonalPhone),
    );
    assert!(shares_blocking_key(&unspaced, &zoom_mobile));
}

// ---------------------------------------------------------------- more agreeing fields

#[test]
fn a_department_written_with_more_or_fewer_levels_agrees() {
    // The card prints the whole path, a trade-show list types the 部 alone.
    let card = person(
        "大塚 駿",
        "otsuka_shun@randix.co.jp",
        &[],
        "株式会社ランディックス",
        "営業本部　営業部",
    );
    for typed in ["営業部", "営業本部営業部", "営業本部"] {
        let excel = person("大塚駿", "", &[], "ランディックス(株)", typed);
        assert_match(&card, &excel, Match::Same(SameNameCompanyAnd("department")));
    }
    let team = person("大塚駿", "", &[], "ランディックス", "営業部 第１課");
    let short = person("大塚 駿", "", &[], "ランディックス", "営業部");
    assert_match(&team, &short, Match::Same(SameNameCompanyAnd("department")));
    // A level that only ends like the other may be a sibling department (西日本営業部 is
    // typed 営業部 too); two different teams of one 部 are two units.
    for other in ["東日本営業部", "営業部 第2グループ", "品質保証部"] {
        let excel = person("大塚駿", "", &[], "ランディックス(株)", other);
        assert_match(&team, &excel, Match::Candidate(SameNameAndCompany));
    }
    let key = |d: &str| person("大塚駿", "", &[], "", d).department;
    assert_eq!(key("営業本部　営業部").as_deref(), Some("営業本部 営業部"));
    assert_eq!(key(" ｴｲｷﾞｮｳ  ﾌﾞ ").as_deref(), Some("エイギョウ ブ"));
    assert_eq!(key("　"), None);
}

#[test]
fn a_rank_is_the_other_field_but_not_a_generic_title_or_against_the_department() {
    let titled = |title: &str, department: &str| {
        person("石川 誠", "", &[], "株式会社ＭＣＪ", department).with_title(title)
    };
    let webinar = PersonKeys::from_raw(
        "石川誠",
        "",
        "sora_ishikawa37@gmail.com",
        &[],
        &[],
        "ＭＣＪ",
        "",
    )
    .with_title("室長");
    assert_match(
        &titled("室長", "情報システム部"),
        &webinar,
        Match::Same(SameNameCompanyAnd("title")),
    );
    // Full-width and half-width spellings of a rank are one rank.
    assert_match(
        &titled("ﾏﾈｰｼﾞｬｰ", ""),
        &titled("マネージャー", ""),
        Match::Same(SameNameCompanyAnd("title")),
    );
    // 担当 says nothing, another rank disagrees, and name plus company stays a candidate.
    assert_match(
        &titled("担当", ""),
        &titled("担当", ""),
        Match::Candidate(SameNameAndCompany),
    );
    assert_match(
        &titled("室長", ""),
        &titled("部長", ""),
        Match::Candidate(SameNameAndCompany),
    );
    assert_match(
        &titled("", ""),
        &webinar,
        Match::Candidate(SameNameAndCompany),
    );
    // Two 室長 石川 誠 in different departments are namesake colleagues.
    assert_match(
        &titled("室長", "情報システム部"),
        &titled("室長", "法務部"),
        Match::Candidate(SameNameAndCompany),
    );
    // Without the company a rank is nothing.
    let elsewhere = person("石川 誠", "", &[], "", "").with_title("室長");
    assert_match(&elsewhere, &webinar, Match::Different);
    assert!(shares_blocking_key(&titled("室長", ""), &webinar));
}

#[test]
fn a_shared_line_does_not_count_against_a_contradicting_department() {
    // Two 杉本 亮 at one bank: the 代表 number on both, different departments.
    let a = PersonKeys::from_raw(
        "杉本亮",
        "すぎもと りょう",
        "",
        &["03-8662-5483"],
        &[],
        "株式会社香川銀行",
        "カスタマーサクセス部",
    );
    let b = person(
        "杉本 亮",
        "",
        &["03-8662-5483"],
        "株式会社香川銀行",
        "品質保証部",
    );
    assert_match(&a, &b, Match::Candidate(SameNameAndCompany));
    // Without the departments the number is still the other field.
    let c = person("杉本 亮", "", &["03-8662-5483"], "株式会社香川銀行", "");
    assert_match(&a, &c, Match::Same(SameNameCompanyAnd("phone")));
}

#[test]
fn a_kanji_name_without_reading_is_read_as_its_email_spells_it() {
    let kanji = person(
        "坂本 朋子",
        "tomokosakamoto99@gmail.com",
        &["08044417162"],
        "ＳＢＩホールディングス（株）",
        "購買部",
    );
    assert_eq!(kanji.email_romaji.as_deref(), Some("tomokosakamoto"));
    let romaji = person(
        "Tomoko Sakamoto",
        "sakamoto_tomoko@sbiholdings.jp",
        &["080-4441-7162"],
        "",
        "",
    );
    assert_match(&kanji, &romaji, Match::Same(SameNameAndPersonalPhone));
    let hiragana = person("さかもと ともこ", "", &["080-4441-7162"], "", "");
    assert_match(&kanji, &hiragana, Match::Same(SameNameAndPersonalPhone));
    let (groups, _) = cluster_people(&[kanji.clone(), romaji.clone(), hiragana]);
    assert_eq!(groups, vec![0, 0, 0]);
    // Another name in romaji, a written reading that differs, or an address that does not
    // spell a name: the names do not agree.
    let other = person("Tomoko Sakai", "", &["080-4441-7162"], "", "");
    assert_match(&kanji, &other, Match::Different);
    let read = PersonKeys::from_raw(
        "坂本 朋子",
        "サカモト トモエ",
        "tomokosakamoto99@gmail.com",
        &["08044417162"],
        &[],
        "",
        "",
    );
    assert_eq!(read.email_romaji, None, "a written reading wins");
    assert_match(&read, &romaji, Match::Different);
    for local in ["s.sakamoto1979", "info", "sales2"] {
        let k = person("坂本 朋子", &format!("{local}@sbi.co.jp"), &[], "", "");
        assert_eq!(k.email_romaji, None, "{local}");
    }
    // Kanji against kanji is never decided by the addresses.
    let homophone = person(
        "坂元 朋子",
        "tomoko.sakamoto@example.co.jp",
        &["080-4441-7162"],
        "",
        "",
    );
    assert_ne!(
        match_people(&kanji, &homophone),
        Match::Same(SameNameAndPersonalPhone)
    );
}

#[test]
fn a_number_seen_with_other_names_is_a_shared_line() {
    // The 代表 number of アクシーズ on a webinar sign-up and on two cards of two people.
    let webinar = person(
        "石田 健",
        "k.ishida1979@ezweb.ne.jp",
        &["03-6689-1669"],
        "(株)アクシーズ",
        "",
    );
    let card = PersonKeys::from_raw(
        "石田 健",
        "",
        "ishidak@axyz.co.jp",
        &["03-6689-1669"],
        &["080-2427-6336"],
        "株式会社アクシーズ",
        "マーケティング本部 デジタルマーケティング部",
    );
    let colleague = person(
        "佐藤 花子",
        "hanako.sato@axyz.co.jp",
        &["03-6689-1669"],
        "株式会社アクシーズ",
        "総務部",
    );
    assert_match(&webinar, &card, Match::Same(SameNameCompanyAnd("phone")));
    let (groups, candidates) = cluster_people(&[webinar.clone(), card.clone()]);
    assert_eq!(groups, vec![0, 0], "alone, the number may be the person's");
    assert!(candidates.is_empty());
    let (groups, candidates) = cluster_people(&[webinar.clone(), card.clone(), colleague.clone()]);
    assert_eq!(groups, vec![0, 1, 2]);
    assert_eq!(candidates, vec![(0, 1, SameNameAndCompany)]);
    let three = [webinar.clone(), card.clone(), colleague];
    let view = without_shared_lines(&three);
    assert!(view[0].phones.is_empty());
    assert_eq!(view[1].phones.len(), 1, "the mobile stays");
    // The same person's name in romaji or with the parts swapped is not another name, and
    // a number marked personal anywhere is never a shared line.
    let swapped = person("健 石田", "", &["03-6689-1669"], "アクシーズ", "");
    let romaji = person("Ken Ishida", "", &["03-6689-1669"], "アクシーズ", "");
    let same_person = [webinar.clone(), swapped.clone(), romaji];
    let view = without_shared_lines(&same_person);
    assert!(view.iter().all(|r| r.phones.len() == 1));
    let (groups, _) = cluster_people(&[webinar.clone(), card.clone(), swapped]);
    assert_eq!(groups, vec![0, 0, 0]);
    let direct = PersonKeys::from_raw("石田 健", "", "", &[], &["03-6689-1669"], "", "");
    let namesake = person("石田 健二", "", &["03-6689-1669"], "", "");
    let marked = [direct, webinar, namesake];
    let view = without_shared_lines(&marked);
    assert!(view.iter().all(|r| r.phones.len() == 1));
}
