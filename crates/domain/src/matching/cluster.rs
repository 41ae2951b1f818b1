//! Grouping many person records: blocking, pairwise rules and union-find.

use std::borrow::Cow;
use std::collections::hash_map::Entry;

// foldhash, not SipHash: clustering hashes every record and every key of an import, and
// the input is the importer's own file.
use foldhash::{HashMap, HashMapExt, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::people::{PersonKeys, match_people_except};
use super::variants::fold_variants;
use super::{CandidateReason, Match, present};
use crate::romaji::{Script, script_of_normalised};

/// The most records of one blocking key that are compared with each other.
pub const BLOCK_LIMIT: usize = 200;

/// Disjoint sets over record indices, with path halving and union by size.
struct UnionFind {
    /// Parent of each element; roots are their own parent.
    parent: Vec<usize>,
    /// Size of the set, valid at roots.
    size: Vec<usize>,
}

impl UnionFind {
    /// Creates `n` singleton sets.
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    /// Returns the root of `x`'s set.
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    fn union(&mut self, a: usize, b: usize) {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        if self.size[ra] < self.size[rb] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb] = ra;
        self.size[ra] += self.size[rb];
    }
}

/// 64-bit FNV-1a; blocks are keyed by hash, and a collision only adds comparisons.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A fast hasher for pairs of record indices (not for untrusted keys: it is not DoS-resistant).
#[derive(Default)]
struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// Numbers that the records themselves show to be shared lines (a company's 代表 number):
/// never marked personal on any record, and written on records of at least two different
/// names. Only names in kanji count (after [`fold_variants`], in either order of two
/// written parts), so that one person's name in romaji or kana is not a second person.
fn shared_lines(records: &[PersonKeys]) -> HashSet<&str> {
    let personal: HashSet<&str> = records
        .iter()
        .flat_map(|r| r.phones.iter())
        .filter(|(p, personal)| *personal && !p.is_empty())
        .map(|(p, _)| p.as_str())
        .collect();
    // Per number: the first name seen (and its parts swapped), and whether another was seen.
    let mut first_name: HashMap<&str, ([String; 2], bool)> = HashMap::new();
    for r in records {
        let unmarked = |p: &String| !p.is_empty() && !personal.contains(p.as_str());
        if !r.phones.iter().any(|(p, _)| unmarked(p)) {
            continue;
        }
        let Some(name) = present(&r.name).filter(|n| script_of_normalised(n) == Script::Other)
        else {
            continue;
        };
        let folded = fold_variants(name);
        let swapped = present(&r.name_swapped)
            .map(fold_variants)
            .unwrap_or_default();
        for (phone, _) in &r.phones {
            if phone.is_empty() || personal.contains(phone.as_str()) {
                continue;
            }
            match first_name.entry(phone) {
                Entry::Occupied(mut seen) => {
                    let [first, first_swapped] = &seen.get().0;
                    if *first != folded && *first_swapped != folded && *first != swapped {
                        seen.get_mut().1 = true;
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(([folded.clone(), swapped.clone()], false));
                }
            }
        }
    }
    first_name
        .into_iter()
        .filter(|(_, (_, shared))| *shared)
        .map(|(phone, _)| phone)
        .collect()
}

/// The records as [`cluster_people`] compares them: without the numbers they show to be
/// shared lines (a company's 代表 number, on the records of two or more differently named
/// people, and marked personal on none).
///
/// A number everyone at a company answers says nothing about which of two namesakes there
/// a record is, so [`match_people`](super::match_people) must not count it as the extra
/// field beside name and company; a number never seen with another name still counts.
/// Records without such a number are borrowed, not copied. [`cluster_people`] gets the
/// same result without copying: it compares the records with these numbers ignored.
pub fn without_shared_lines(records: &[PersonKeys]) -> Vec<Cow<'_, PersonKeys>> {
    let shared = shared_lines(records);
    records
        .iter()
        .map(|r| {
            if r.phones.iter().any(|(p, _)| shared.contains(p.as_str())) {
                let mut r = r.clone();
                r.phones.retain(|(p, _)| !shared.contains(p.as_str()));
                Cow::Owned(r)
            } else {
                Cow::Borrowed(r)
            }
        })
        .collect()
}

/// Groups records into people: `Same` pairs are unioned (union-find, transitive), candidate pairs between different groups are reported.
///
/// Returns for each input index its group number (0-based, numbered in order of first
/// appearance) and the candidate pairs as `(index_a, index_b, reason)` with
/// `index_a < index_b`, sorted, one entry per pair of records.
///
/// Only records that share a [`PersonKeys::blocking_keys`] key are compared, so the work
/// is about linear in the number of records. To bound it, a blocking key shared by more
/// than [`BLOCK_LIMIT`] (200) records is compared only within that key's first 200 records
/// (by index); pairs beyond it are found only through another, smaller key. Two
/// exceptions are not bounded because they need no pairwise comparison: records with the
/// same email are always joined, and so are identical records that match themselves.
///
/// Groups are joined only on `Same` and records are compared with each other, never with
/// a merged group profile, so a group is a chain of direct `Same` matches; candidate
/// pairs never join groups. Records are compared as [`without_shared_lines`] gives them:
/// a number the batch shows to be a company's shared line is no evidence.
pub fn cluster_people(
    records: &[PersonKeys],
) -> (Vec<usize>, Vec<(usize, usize, CandidateReason)>) {
    let n = records.len();
    let shared = shared_lines(records);
    let mut sets = UnionFind::new(n);
    let mut first_with_email: HashMap<&str, usize> = HashMap::with_capacity(n);
    let mut first_identical: HashMap<&PersonKeys, (usize, bool)> = HashMap::with_capacity(n);
    // (key hash, record index) for every non-email blocking key, sorted into blocks below.
    let mut keyed: Vec<(u64, usize)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        // A shared team mailbox (info@) is compared pair by pair like any other key.
        let shared_mailbox = present(&record.email).is_some_and(super::people::is_shared_mailbox);
        if let Some(email) = present(&record.email).filter(|_| !shared_mailbox) {
            match first_with_email.entry(email) {
                Entry::Occupied(first) => sets.union(*first.get(), i),
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        match first_identical.entry(record) {
            Entry::Occupied(first) => {
                let (j, self_same) = *first.get();
                if self_same {
                    sets.union(j, i);
                }
            }
            Entry::Vacant(slot) => {
                slot.insert((i, match_people_except(record, record, &shared).is_same()));
            }
        }
        for key in record.blocking_keys() {
            if key.starts_with("e:") && !shared_mailbox {
                continue;
            }
            keyed.push((fnv1a(&key), i));
        }
    }

    keyed.sort_unstable();
    let mut compared: std::collections::HashSet<(usize, usize), BuildHasherDefault<PairHasher>> =
        std::collections::HashSet::default();
    let mut candidates = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let block = &run[..run.len().min(BLOCK_LIMIT)];
        for (x, &(_, i)) in block.iter().enumerate() {
            for &(_, j) in &block[x + 1..] {
                if sets.find(i) == sets.find(j) || !compared.insert((i, j)) {
                    continue;
                }
                match match_people_except(&records[i], &records[j], &shared) {
                    Match::Same(_) => sets.union(i, j),
                    Match::Candidate(reason) => candidates.push((i, j, reason)),
                    Match::Different => {}
                }
            }
        }
    }

    let mut group_of_root = vec![usize::MAX; n];
    let mut next = 0;
    let mut groups = Vec::with_capacity(n);
    for i in 0..n {
        let root = sets.find(i);
        if group_of_root[root] == usize::MAX {
            group_of_root[root] = next;
            next += 1;
        }
        groups.push(group_of_root[root]);
    }
    candidates.retain(|&(i, j, _)| groups[i] != groups[j]);
    candidates.sort_unstable();
    (groups, candidates)
}
