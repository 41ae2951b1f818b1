//! Matching quality (名寄せ) on a labelled set of Japanese B2B leads.
//!
//! The set (see `matching_quality/generator.rs`) is generated from a seed: about 3,000
//! people at about 600 real companies (`shared/data/companies`), each written 1–4 times
//! by different sources the way those sources write people, with homonyms, same-name
//! colleagues, private webinar addresses, variant kanji and merged email domains. Every
//! record is reduced to [`PersonKeys`] as an importer does and grouped with the
//! production [`cluster_people`]; the groups are scored pairwise against the ground
//! truth, across all sources together and within each source alone.
//!
//! Run: `cargo test -p ondo-domain --test matching_quality -- --nocapture`
//! (add `--include-ignored` while the target test is ignored).

#[path = "matching_quality/companies.rs"]
mod companies;
#[path = "matching_quality/generator.rs"]
mod generator;
#[path = "matching_quality/names.rs"]
mod names;

use std::collections::{BTreeMap, HashMap, HashSet};

use ondo_domain::CompanyName;
use ondo_domain::matching::{Match, PersonKeys, cluster_people, fold_variants, match_people};

use generator::{Dataset, Record, Source, generate};

/// The seed of the reported figures; `MATCHING_QUALITY_SEED` picks another one.
const SEED: u64 = 20_251_224;
/// Pairwise precision target.
const MIN_PRECISION: f64 = 0.99;
/// Pairwise recall target.
const MIN_RECALL: f64 = 0.95;

/// Keys for one record, built the way an importer does: domain types parse the raw
/// fields, the title is set with [`PersonKeys::with_title`], and the company is the
/// [`CompanyName::key`] of the written company.
fn keys(r: &Record) -> PersonKeys {
    let phones: Vec<&str> = r.phones.iter().map(String::as_str).collect();
    let mobiles: Vec<&str> = r.mobiles.iter().map(String::as_str).collect();
    let mut keys = PersonKeys::from_raw(
        &r.name,
        &r.kana,
        &r.email,
        &phones,
        &mobiles,
        "",
        &r.department,
    )
    .with_title(&r.title);
    keys.company = CompanyName::parse(&r.company)
        .map(|c| c.key())
        .ok()
        .filter(|k| !k.is_empty());
    keys
}

/// `n` choose 2.
fn pairs(n: usize) -> u64 {
    (n as u64) * (n as u64).saturating_sub(1) / 2
}

/// The scores of one scope.
struct Outcome {
    label: String,
    records: usize,
    people: usize,
    groups: usize,
    true_pairs: u64,
    predicted_pairs: u64,
    true_positives: u64,
    candidate_pairs: usize,
    /// True pairs not merged whose groups are joined by a candidate pair (a person reviews them).
    left_as_candidates: u64,
    /// Missed true pairs, as indices into the dataset's records.
    missed: Vec<(usize, usize)>,
    /// Wrongly merged pairs, as indices into the dataset's records.
    wrong: Vec<(usize, usize)>,
    /// True pairs and missed pairs by the pair of sources (`card+webinar`).
    by_sources: BTreeMap<String, (u64, u64)>,
}

impl Outcome {
    fn precision(&self) -> f64 {
        if self.predicted_pairs == 0 {
            1.0
        } else {
            self.true_positives as f64 / self.predicted_pairs as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.true_pairs == 0 {
            1.0
        } else {
            self.true_positives as f64 / self.true_pairs as f64
        }
    }

    fn meets_targets(&self) -> bool {
        self.precision() >= MIN_PRECISION && self.recall() >= MIN_RECALL
    }
}

/// The sources of two records, sorted: `card+webinar`.
fn source_pair(a: &Record, b: &Record) -> String {
    let mut s = [a.source.label(), b.source.label()];
    s.sort_unstable();
    s.join("+")
}

/// Clusters the records `subset` (indices into `data.records`) and scores the groups pairwise.
fn evaluate(label: &str, data: &Dataset, all_keys: &[PersonKeys], subset: &[usize]) -> Outcome {
    let keys: Vec<PersonKeys> = subset.iter().map(|&i| all_keys[i].clone()).collect();
    let (groups, candidates) = cluster_people(&keys);
    let person = |local: usize| data.records[subset[local]].person;

    let mut by_person: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut by_group: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut by_both: HashMap<(usize, usize), usize> = HashMap::new();
    for (local, &group) in groups.iter().enumerate() {
        by_person.entry(person(local)).or_default().push(local);
        by_group.entry(group).or_default().push(local);
        *by_both.entry((group, person(local))).or_default() += 1;
    }
    let true_pairs = by_person.values().map(|v| pairs(v.len())).sum();
    let predicted_pairs = by_group.values().map(|v| pairs(v.len())).sum();
    let true_positives = by_both.values().map(|&n| pairs(n)).sum();

    let linked: HashSet<(usize, usize)> = candidates
        .iter()
        .map(|&(a, b, _)| {
            let (x, y) = (groups[a], groups[b]);
            (x.min(y), x.max(y))
        })
        .collect();
    let mut missed = Vec::new();
    let mut by_sources: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut left_as_candidates = 0;
    let mut people: Vec<&Vec<usize>> = by_person.values().collect();
    people.sort();
    for members in people {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                let (ga, gb) = (groups[a], groups[b]);
                let (ra, rb) = (&data.records[subset[a]], &data.records[subset[b]]);
                let counts = by_sources.entry(source_pair(ra, rb)).or_default();
                counts.0 += 1;
                if ga == gb {
                    continue;
                }
                counts.1 += 1;
                if linked.contains(&(ga.min(gb), ga.max(gb))) {
                    left_as_candidates += 1;
                }
                missed.push((subset[a], subset[b]));
            }
        }
    }
    let mut wrong = Vec::new();
    let mut group_list: Vec<&Vec<usize>> = by_group.values().collect();
    group_list.sort();
    for members in group_list {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if person(a) != person(b) {
                    wrong.push((subset[a], subset[b]));
                }
            }
        }
    }
    Outcome {
        label: label.to_string(),
        records: subset.len(),
        people: by_person.len(),
        groups: by_group.len(),
        true_pairs,
        predicted_pairs,
        true_positives,
        candidate_pairs: candidates.len(),
        left_as_candidates,
        missed,
        wrong,
        by_sources,
    }
}

/// Prints the score table.
fn print_table(outcomes: &[Outcome]) {
    println!(
        "{:<22} {:>7} {:>6} {:>6} {:>9} {:>9} {:>7} {:>9} {:>8} {:>10} {:>10}",
        "scope",
        "records",
        "people",
        "groups",
        "precision",
        "recall",
        "true_pr",
        "merged_pr",
        "missed",
        "cand_pairs",
        "miss→cand"
    );
    for o in outcomes {
        let missed = o.true_pairs - o.true_positives;
        let share = if o.true_pairs == 0 {
            0.0
        } else {
            o.left_as_candidates as f64 / o.true_pairs as f64
        };
        println!(
            "{:<22} {:>7} {:>6} {:>6} {:>9.4} {:>9.4} {:>7} {:>9} {:>8} {:>10} {:>9.1}%",
            o.label,
            o.records,
            o.people,
            o.groups,
            o.precision(),
            o.recall(),
            o.true_pairs,
            o.predicted_pairs,
            missed,
            o.candidate_pairs,
            share * 100.0
        );
    }
    println!(
        "(pairwise over record pairs; merged_pr = pairs put in one group; miss→cand = share of \
         true pairs not merged but joined by a candidate pair for review: they count as missed)"
    );
}

/// One line per record, for examples.
fn describe(r: &Record) -> String {
    format!(
        "[{} p{}] name={:?} kana={:?} email={:?} phones={:?} direct/mobile={:?} company={:?} dept={:?} title={:?}",
        r.source.label(),
        r.person,
        r.name,
        r.kana,
        r.email,
        r.phones,
        r.mobiles,
        r.company,
        r.department,
        r.title
    )
}

/// What the keys of a pair agree on, in a few words.
fn signature(a: &PersonKeys, b: &PersonKeys) -> String {
    let eq = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) if x == y => "equal",
        (Some(_), Some(_)) => "differ",
        _ => "missing",
    };
    let name = match (&a.name, &b.name) {
        (Some(x), Some(y)) if x == y => "equal",
        (Some(x), Some(y)) if fold_variants(x) == fold_variants(y) => "variant kanji",
        (Some(_), Some(_)) => "differ",
        _ => "missing",
    };
    let free = |k: &PersonKeys| k.email.is_some() && k.company_domain.is_none();
    let email = match eq(&a.email, &b.email) {
        "differ" if free(a) || free(b) => "differ (private)",
        other => other,
    };
    let shared = |personal: bool| {
        a.phones.iter().any(|(p, pa)| {
            b.phones
                .iter()
                .any(|(q, pb)| p == q && (!personal || *pa || *pb))
        })
    };
    let phone = if shared(true) {
        "personal shared"
    } else if shared(false) {
        "main shared"
    } else {
        "none shared"
    };
    let verdict = match match_people(a, b) {
        Match::Same(r) => format!("same:{}", r.key()),
        Match::Candidate(r) => format!("candidate:{}", r.key()),
        Match::Different => "different".to_string(),
    };
    format!(
        "{verdict:<40} name {name:<13} company {:<7} email {email:<16} phone {phone:<15} dept {:<7} kana {}",
        eq(&a.company, &b.company),
        eq(&a.department, &b.department),
        eq(&a.kana, &b.kana),
    )
}

/// Prints what the missed and the wrongly merged pairs of a scope have in common, with examples.
fn print_analysis(o: &Outcome, data: &Dataset, all_keys: &[PersonKeys]) {
    println!(
        "\n== {}: {} missed pairs, {} wrongly merged pairs",
        o.label,
        o.missed.len(),
        o.wrong.len()
    );
    let mut by_note: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_signature: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for &(a, b) in &o.missed {
        let (ra, rb) = (&data.records[a], &data.records[b]);
        let notes: HashSet<&str> = ra.notes.iter().chain(&rb.notes).copied().collect();
        for n in notes {
            *by_note.entry(n).or_default() += 1;
        }
        by_signature
            .entry(signature(&all_keys[a], &all_keys[b]))
            .or_default()
            .push((a, b));
    }
    if !o.missed.is_empty() {
        println!("recall by sources of the pair:");
        for (sources, (total, missed)) in &o.by_sources {
            println!(
                "  {sources:<16} {total:>5} true pairs, {missed:>4} missed, recall {:.4}",
                (total - missed) as f64 / *total as f64
            );
        }
        let mut notes: Vec<_> = by_note.into_iter().collect();
        notes.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(y.0)));
        println!("missed pairs where either record has (a pair can have several):");
        for (note, n) in &notes {
            println!(
                "  {n:>5} ({:>5.1}%)  {note}",
                *n as f64 * 100.0 / o.missed.len() as f64
            );
        }
        let mut sigs: Vec<_> = by_signature.into_iter().collect();
        sigs.sort_by(|x, y| y.1.len().cmp(&x.1.len()).then(x.0.cmp(&y.0)));
        println!("missed pairs by what the keys agree on (top 12):");
        for (sig, list) in sigs.iter().take(12) {
            println!("  {:>5}  {sig}", list.len());
        }
        println!("examples of missed pairs:");
        for (sig, list) in sigs.iter().take(5) {
            let (a, b) = list[list.len() / 2];
            println!("  - {sig}");
            println!("      {}", describe(&data.records[a]));
            println!("      {}", describe(&data.records[b]));
        }
    }
    if !o.wrong.is_empty() {
        // The direct Same edges between records of different people explain the merges.
        let mut bridges: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for &(a, b) in &o.wrong {
            if let Match::Same(reason) = match_people(&all_keys[a], &all_keys[b]) {
                bridges
                    .entry(reason.key().to_string())
                    .or_default()
                    .push((a, b));
            }
        }
        let direct: usize = bridges.values().map(Vec::len).sum();
        println!(
            "wrongly merged pairs: {} with a direct Same match, {} only through a chain",
            direct,
            o.wrong.len() - direct
        );
        for (reason, list) in &bridges {
            println!("  {:>5}  {reason}", list.len());
        }
        println!("examples of wrong merges (direct Same between different people):");
        let mut shown = 0;
        let mut seen_people = HashSet::new();
        for list in bridges.values() {
            for &(a, b) in list {
                let key = (data.records[a].person, data.records[b].person);
                if shown < 5 && seen_people.insert(key) {
                    println!("  - {}", signature(&all_keys[a], &all_keys[b]));
                    println!("      {}", describe(&data.records[a]));
                    println!("      {}", describe(&data.records[b]));
                    shown += 1;
                }
            }
        }
    }
}

/// Prints what the set contains, so that the figures can be read against it.
fn print_composition(data: &Dataset) {
    let n = data.people.len() as f64;
    let pct = |k: usize, of: f64| k as f64 * 100.0 / of;
    let mut orgs_by_name: HashMap<(&str, &str), HashSet<usize>> = HashMap::new();
    let mut people_by_org_name: HashMap<(usize, &str, &str), usize> = HashMap::new();
    for p in &data.people {
        let name = (p.family.as_str(), p.given.as_str());
        orgs_by_name.entry(name).or_default().insert(p.org);
        *people_by_org_name
            .entry((p.org, name.0, name.1))
            .or_default() += 1;
    }
    let homonyms = data
        .people
        .iter()
        .filter(|p| orgs_by_name[&(p.family.as_str(), p.given.as_str())].len() > 1)
        .count();
    let colleague_pairs: u64 = people_by_org_name.values().map(|&k| pairs(k)).sum();
    let deliberate = data.people.iter().filter(|p| p.colleague_homonym).count() / 2;
    let webinar: Vec<&Record> = data
        .records
        .iter()
        .filter(|r| r.source == Source::Webinar)
        .collect();
    let private = webinar
        .iter()
        .filter(|r| r.notes.contains(&"email: private (free mail)"))
        .count();
    let mut seen = HashSet::new();
    let twice: HashSet<usize> = data
        .records
        .iter()
        .filter(|r| !seen.insert((r.person, r.source)))
        .map(|r| r.person)
        .collect();
    println!(
        "composition: {:.1}% of people share their full name with someone at another company; \
         {colleague_pairs} same-name pairs at one company ({deliberate} made on purpose, different \
         departments); {:.1}% of webinar records use a private address; {:.1}% of people listed \
         twice in one source; {:.1}% write a variant kanji; {} changed address with a merger",
        pct(homonyms, n),
        pct(private, webinar.len() as f64),
        pct(twice.len(), n),
        pct(data.people.iter().filter(|p| p.has_variant()).count(), n),
        data.people.iter().filter(|p| p.old_email.is_some()).count(),
    );
}

/// Scores the set across all sources and within each source.
fn evaluate_all(data: &Dataset) -> (Vec<Outcome>, Vec<PersonKeys>) {
    let start = std::time::Instant::now();
    let all_keys: Vec<PersonKeys> = data.records.iter().map(keys).collect();
    let keyed = start.elapsed();
    let everything: Vec<usize> = (0..data.records.len()).collect();
    let mut outcomes = vec![evaluate("across files", data, &all_keys, &everything)];
    for source in Source::ALL {
        let subset: Vec<usize> = (0..data.records.len())
            .filter(|&i| data.records[i].source == source)
            .collect();
        let label = format!("within {}", source.label());
        outcomes.push(evaluate(&label, data, &all_keys, &subset));
    }
    println!(
        "keys for {} records in {keyed:?}; clustered and scored in every scope in {:?}",
        all_keys.len(),
        start.elapsed() - keyed
    );
    (outcomes, all_keys)
}

#[test]
#[ignore = "recall misses the target (seed 20251224): across files precision 1.0000 recall 0.9068; \
            within webinar recall 0.8125, within expo 0.9677 (precision 1.0 in every scope). Most \
            missed pairs are the same name at the same company with nothing else of the person's \
            agreeing (a private webinar address, no department, no rank, or only the company's \
            shared 代表 line), which the rules leave as candidate pairs for a person (the set labels \
            them as one person, so the rule caps recall below 0.95); the rest are records without \
            a company, two addresses at one company domain, variant or other kanji, kanji names \
            without a reading or an address that spells them, and company names the key cannot \
            join. Run with --include-ignored --nocapture"]
fn matching_quality_meets_the_targets() {
    let seed = std::env::var("MATCHING_QUALITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let start = std::time::Instant::now();
    let data = generate(seed);
    let generated = start.elapsed();
    println!(
        "labelled set (seed {seed}): {} records of {} people at {} companies; company names: {}",
        data.records.len(),
        data.people.len(),
        data.orgs.len(),
        if data.synthetic {
            "SYNTHETIC built-in list (shared/data/companies not found)"
        } else {
            "real (EDINET + Japan Post, shared/data/companies)"
        }
    );
    print_composition(&data);
    let (outcomes, all_keys) = evaluate_all(&data);
    print_table(&outcomes);
    for o in &outcomes {
        print_analysis(o, &data, &all_keys);
    }
    println!(
        "\n(generated in {generated:?}, all done in {:?})",
        start.elapsed()
    );
    let failing: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.meets_targets())
        .map(|o| {
            format!(
                "{}: precision {:.4}, recall {:.4}",
                o.label,
                o.precision(),
                o.recall()
            )
        })
        .collect();
    assert!(
        failing.is_empty(),
        "targets precision ≥ {MIN_PRECISION} and recall ≥ {MIN_RECALL} missed in: {failing:?}"
    );
}

#[test]
fn the_generator_is_deterministic_and_has_the_advertised_mix() {
    let data = generate(7);
    assert_eq!(data, generate(7), "same seed, same set");
    assert_ne!(
        data.records,
        generate(8).records,
        "another seed, another set"
    );

    let n = data.people.len();
    assert_eq!(n, generator::PEOPLE);
    let expected_companies = if data.synthetic {
        100
    } else {
        generator::COMPANIES
    };
    assert_eq!(data.orgs.len(), expected_companies);
    if !data.synthetic {
        assert!(data.orgs.iter().any(|o| o.company.origin == "EDINET"));
        assert!(data.orgs.iter().any(|o| o.company.origin == "Japan Post"));
    }

    // Every person appears in 1–4 sources, at most twice in one.
    let mut per_person: HashMap<usize, Vec<Source>> = HashMap::new();
    for r in &data.records {
        per_person.entry(r.person).or_default().push(r.source);
    }
    assert_eq!(per_person.len(), n, "everyone has a record");
    let mut twice = 0;
    for sources in per_person.values() {
        let distinct: HashSet<&Source> = sources.iter().collect();
        assert!((1..=4).contains(&distinct.len()));
        assert!(sources.len() <= distinct.len() + 1);
        twice += usize::from(sources.len() > distinct.len());
    }
    let twice_share = twice as f64 / n as f64;
    assert!(
        (0.03..=0.07).contains(&twice_share),
        "listed twice in a source: {twice_share}"
    );

    // Homonyms: at least 5% of people share their full name with someone at another company.
    let mut orgs_by_name: HashMap<(String, String), HashSet<usize>> = HashMap::new();
    for p in &data.people {
        orgs_by_name
            .entry((p.family.clone(), p.given.clone()))
            .or_default()
            .insert(p.org);
    }
    let homonyms = data
        .people
        .iter()
        .filter(|p| orgs_by_name[&(p.family.clone(), p.given.clone())].len() > 1)
        .count();
    let homonym_share = homonyms as f64 / n as f64;
    assert!(
        homonym_share >= 0.05,
        "homonyms at other companies: {homonym_share}"
    );

    // Same-name colleagues: same company, different department and email.
    let colleagues: Vec<_> = data.people.iter().filter(|p| p.colleague_homonym).collect();
    let mut colleague_pairs = 0;
    for (i, a) in colleagues.iter().enumerate() {
        for b in &colleagues[i + 1..] {
            if a.org == b.org && a.family == b.family && a.given == b.given {
                assert_ne!(a.department_short, b.department_short);
                assert_ne!(a.email, b.email);
                colleague_pairs += 1;
            }
        }
    }
    assert!(
        colleague_pairs >= 10,
        "same-name colleagues: {colleague_pairs}"
    );

    // No two people share an email or a personal number; the 代表 number is per company.
    let mut owner: HashMap<String, usize> = HashMap::new();
    for p in &data.people {
        let personal = [
            Some(&p.email),
            p.old_email.as_ref(),
            p.alias_email.as_ref(),
            Some(&p.private_email),
        ];
        let lines = [p.direct.as_ref(), p.mobile.as_ref()];
        for value in personal.into_iter().chain(lines).flatten() {
            assert_eq!(*owner.entry(value.clone()).or_insert(p.id), p.id, "{value}");
        }
    }
    let mains: HashSet<&str> = data.orgs.iter().map(|o| o.main_phone.as_str()).collect();
    assert_eq!(mains.len(), data.orgs.len());

    // Webinar sign-ups: about 40% private addresses, on free-mail domains.
    let webinar: Vec<&Record> = data
        .records
        .iter()
        .filter(|r| r.source == Source::Webinar)
        .collect();
    let private = webinar
        .iter()
        .filter(|r| ondo_domain::Email::parse(&r.email).is_ok_and(|e| e.is_free_mail()))
        .count();
    let private_share = private as f64 / webinar.len() as f64;
    assert!(
        (0.33..=0.47).contains(&private_share),
        "private webinar emails: {private_share}"
    );
    let corporate_elsewhere = data
        .records
        .iter()
        .filter(|r| r.source != Source::Webinar && !r.email.is_empty())
        .all(|r| !ondo_domain::Email::parse(&r.email).is_ok_and(|e| e.is_free_mail()));
    assert!(
        corporate_elsewhere,
        "only webinar records carry private addresses"
    );

    // The ways of writing that the sources are known for all occur.
    let count = |note: &str| {
        data.records
            .iter()
            .filter(|r| r.notes.contains(&note))
            .count()
    };
    for (note, at_least) in [
        ("name: variant kanji typed as common kanji", 50),
        ("phone: leading 0 dropped", 100),
        ("email: full-width", 50),
        ("email: upper case", 50),
        ("email: missing", 100),
        ("kana: half-width", 100),
        ("company: without legal form", 200),
        ("company: katakana reading", 30),
        ("company: missing", 30),
        ("email: pre-merger domain", 20),
        ("name: given name first (Zoom fields)", 10),
        ("name: romaji", 100),
        ("name: IME chose another kanji of the same reading", 20),
        ("email: alias at the company domain", 20),
    ] {
        assert!(count(note) >= at_least, "{note}: {}", count(note));
    }
    if !data.synthetic {
        assert!(count("company: English name") >= 30);
    }
    let abbreviated = data
        .records
        .iter()
        .filter(|r| {
            r.source == Source::Expo && (r.company.contains('㈱') || r.company.contains("(株)"))
        })
        .count();
    assert!(
        abbreviated >= 300,
        "(株)/㈱ on trade-show lists: {abbreviated}"
    );
    let with_variants = data.people.iter().filter(|p| p.has_variant()).count();
    assert!(
        with_variants >= 50,
        "people writing variant kanji: {with_variants}"
    );
    // People whose address changed with a merger kept their mobile.
    assert!(
        data.people
            .iter()
            .filter(|p| p.old_email.is_some())
            .all(|p| p.mobile.is_some())
    );

    // The kana helpers the sources use.
    assert_eq!(names::romaji("サトウ", true), "sato");
    assert_eq!(names::romaji("サトウ", false), "satou");
    assert_eq!(names::romaji("ショウタ", true), "shota");
    assert_eq!(names::romaji("ハットリ", true), "hattori");
    assert_eq!(names::romaji("リュウノスケ", true), "ryunosuke");
    assert_eq!(names::romaji("イノウエ", true), "inoue");
    assert_eq!(names::romaji("マツウラ", true), "matsuura");
    assert_eq!(names::romaji("オオタ", true), "ota");
    assert_eq!(names::romaji("ユウスケ", true), "yusuke");
    assert_eq!(names::romaji("キョウコ", true), "kyoko");
    assert_eq!(names::to_half_width("サトウ ケン"), "ｻﾄｳ ｹﾝ");
    assert_eq!(names::to_hiragana("サトウ ケン"), "さとう けん");
    assert_eq!(
        companies::split_csv_line(r#""E1","株式会社　A ""B""",x"#),
        ["E1", "株式会社　A \"B\"", "x"]
    );
}

/// Writes the labelled set as the CSV files an importer gets, one per source
/// (`card.csv`, `expo.csv`, `webinar.csv`, `form.csv`, UTF-8, the headers of a generic
/// list), each with `SOURCE.truth`: per data row, the true person and the group
/// [`cluster_people`] puts the record in when it sees every file at once. Used by
/// `bench/matching_e2e.sh`, which imports the files one after another with `ondo import`
/// and scores the leads the rows went to. A record keeps its first phone and first
/// personal number (331 of 6,660 have more).
#[test]
#[ignore = "writes files for bench/matching_e2e.sh: set MATCHING_QUALITY_CSV_DIR"]
fn writes_the_labelled_set_as_csv_files() {
    let dir = std::path::PathBuf::from(
        std::env::var("MATCHING_QUALITY_CSV_DIR").expect("MATCHING_QUALITY_CSV_DIR"),
    );
    let seed = std::env::var("MATCHING_QUALITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let data = generate(seed);
    let all_keys: Vec<PersonKeys> = data.records.iter().map(keys).collect();
    let (groups, _) = cluster_people(&all_keys);
    let cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for source in Source::ALL {
        let mut csv =
            String::from("会社名,氏名,フリガナ,メールアドレス,電話番号,携帯電話,部署,役職\n");
        let mut truth = String::new();
        let mut rows = 0;
        for (i, r) in data.records.iter().enumerate() {
            if r.source != source {
                continue;
            }
            let first = |v: &[String]| v.first().map(|s| cell(s)).unwrap_or_default();
            let cells = [
                cell(&r.company),
                cell(&r.name),
                cell(&r.kana),
                cell(&r.email),
                first(&r.phones),
                first(&r.mobiles),
                cell(&r.department),
                cell(&r.title),
            ];
            csv.push_str(&cells.join(","));
            csv.push('\n');
            truth.push_str(&format!("{} {}\n", r.person, groups[i]));
            rows += 1;
        }
        assert!(rows > 0, "{} has records", source.label());
        std::fs::write(dir.join(format!("{}.csv", source.label())), csv).expect("write");
        std::fs::write(dir.join(format!("{}.truth", source.label())), truth).expect("write");
    }
}
