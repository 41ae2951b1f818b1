#!/usr/bin/env bash
# Matching quality through the product: the labelled set of the matching-quality test
# (6,660 records of 3,000 people at 600 real companies, written as business-card apps,
# trade-show Excel, webinar sign-ups and web forms write them) as four CSV files, imported
# with `ondo import` one after another into a new workspace (across files) and each alone
# (within a file). Prints pairwise precision and recall of the leads the rows went to,
# next to those of the in-memory clustering of every record at once that
# `cargo test -p ondo-domain --test matching_quality` reports.
#
# Usage: bench/matching_e2e.sh   (MATCHING_QUALITY_SEED picks another labelled set)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "building (cargo build --release -p ondo)..." >&2
cargo build --release -q -p ondo
ONDO=$PWD/${CARGO_TARGET_DIR:-target}/release/ondo
DIR=$(mktemp -d "${TMPDIR:-/tmp}/ondo-matching-e2e.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
MATCHING_QUALITY_CSV_DIR=$DIR cargo test -q -p ondo-domain --release --test matching_quality \
    writes_the_labelled_set_as_csv_files -- --ignored >&2
echo "### Matching quality through \`ondo import\` (seed ${MATCHING_QUALITY_SEED:-20251224})"
echo
python3 bench/matching_e2e.py "$ONDO" "$DIR"
echo
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +changes)"
