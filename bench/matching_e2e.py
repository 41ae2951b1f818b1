#!/usr/bin/env python3
"""Scores `ondo import` against the labelled set that bench/matching_e2e.sh wrote.

Usage: matching_e2e.py ONDO DIR
DIR holds SOURCE.csv and SOURCE.truth for card, expo, webinar and form (see
crates/domain/tests/matching_quality.rs, writes_the_labelled_set_as_csv_files). Across
files: the four files are imported one after another into one new workspace, as a company
collects them. Within a file: the file alone into a new workspace. Pairwise precision and
recall of the leads the rows went to (`rows_to_leads`); across files next to those of the
groups `cluster_people` makes when it sees every record at once (the second truth column).
A file imported alone is clustered exactly as the matching-quality test clusters it.
"Found or offered" also counts a true pair whose two leads the imports offered for review
(an open candidate pair in the database), as the review page shows them.
"""
import json
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from itertools import combinations

ONDO, DIR = sys.argv[1], sys.argv[2]
SOURCES = ["card", "expo", "webinar", "form"]


def truth(source):
    with open(f"{DIR}/{source}.truth") as f:
        return [tuple(int(x) for x in line.split()) for line in f]


def run_import(data, source):
    out = subprocess.run(
        [ONDO, "--data-dir", data, "import", f"{DIR}/{source}.csv", "--source", source, "--json"],
        capture_output=True, text=True, check=True,
    )
    report = json.loads(out.stdout)
    if report["errors"]:
        sys.exit(f"{source}: rows were rejected: {report['errors'][:3]}")
    return report["rows_to_leads"]


def score(records):
    """records: (person, predicted group or None). Pairwise (precision, recall)."""
    pairs = lambda n: n * (n - 1) // 2
    true = sum(pairs(n) for n in Counter(p for p, _ in records).values())
    predicted = sum(pairs(n) for n in Counter(g for _, g in records if g is not None).values())
    both = sum(pairs(n) for n in Counter((p, g) for p, g in records if g is not None).values())
    return (both / predicted if predicted else 1.0, both / true if true else 1.0, true)


def offered(records, data):
    """(share of true pairs in one lead or in two leads the imports offered as a pair,
    pairs offered, of which two leads of one person)."""
    db = sqlite3.connect(f"{data}/ondo.db")
    pairs = {(a, b) for a, b in db.execute(
        "SELECT lead_a, lead_b FROM candidate_pairs WHERE status = 'open'")}
    db.close()
    by_person = defaultdict(list)
    people_of = defaultdict(set)
    for p, g in records:
        lead = g[1] if g is not None else None
        by_person[p].append(lead)
        if lead is not None:
            people_of[lead].add(p)
    true = found = 0
    for leads in by_person.values():
        for a, b in combinations(leads, 2):
            true += 1
            if a is not None and b is not None and (a == b or (min(a, b), max(a, b)) in pairs):
                found += 1
    right = sum(1 for a, b in pairs if people_of[a] & people_of[b])
    return (found / true if true else 1.0, len(pairs), right)


def line(label, imported, data, at_once=None):
    p, r, true = score(imported)
    ref = "— | —" if at_once is None else "{:.4f} | {:.4f}".format(*score(at_once)[:2])
    found, pairs, right = offered(imported, data)
    print(f"| {label} | {true:,} | {p:.4f} | {r:.4f} | {found:.4f} | {pairs:,} ({right:,}) | {ref} |")


print("| scope | true pairs | precision, `ondo import` | recall, `ondo import` "
      "| recall, found or offered for review | pairs offered (of one person) "
      "| precision, all at once | recall, all at once |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
work = f"{DIR}/data"
shutil.rmtree(work, ignore_errors=True)
imported, at_once = [], []
for source in SOURCES:
    t = truth(source)
    leads = run_import(work, source)
    imported += [(p, ("lead", lead) if lead is not None else None) for (p, _), lead in zip(t, leads)]
    at_once += [(p, g) for p, g in t]
line("across files, imported card → expo → webinar → form", imported, work, at_once)
for source in SOURCES:
    shutil.rmtree(work, ignore_errors=True)
    t = truth(source)
    leads = run_import(work, source)
    within = [(p, ("lead", lead) if lead is not None else None) for (p, _), lead in zip(t, leads)]
    line(f"within {source}, imported alone", within, work)
shutil.rmtree(work, ignore_errors=True)
