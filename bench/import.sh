#!/usr/bin/env bash
# Import benchmark: `ondo import` of a ROWS-row CP932 CSV (as Excel saves it) into a
# workspace already holding EXISTING leads, with normalisation and de-duplication; the
# anchor is plain `sqlite3 .import` of the same rows on the same machine.
#
# Design target: 100k rows into 1M leads at >= 50,000 rows/s with peak memory < 500 MB.
#
# Steps: build release binaries; seed a workspace with EXISTING leads (`ondo-bench seed`,
# cached in $ONDO_BENCH_CACHE because it takes minutes at 1M, and copied into a fresh
# temporary data dir every run); write the CSV (`ondo-bench gen-import`: ~30% of the rows
# are people the workspace holds, written differently, ~5% repeat a row of the file, the
# rest are new); time `sqlite3 .import` of the same rows; run
#   ondo --data-dir DIR import FILE --source ベンチ展示会 --mode upsert --json
# under GNU time (wall time and peak RSS); check the JSON report (rows == ROWS, no errors,
# created + merged == ROWS, merged >= 30% of ROWS) and print a Markdown table.
#
# Usage: bench/import.sh [ROWS] [EXISTING]   (defaults 100000 1000000)
#        bench/import.sh --quick             (10000 rows into 100000 leads: a smoke run)
# Environment: ONDO_BENCH_CACHE (where the seeded database is cached, shared with the
# temperature benchmarks; default target/bench-cache), ONDO_BENCH_SEED (generator seed,
# default 42), ONDO_BENCH_TIMEOUT (seconds the import may take before it is stopped,
# default 1800), ONDO_BENCH_POLL_RSS=1 (measure peak RSS by polling /proc even when GNU
# time is installed).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

QUICK=0
ARGS=()
for a in "$@"; do
    case $a in
        --quick) QUICK=1 ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "unknown option $a" >&2; usage >&2; exit 2 ;;
        *) ARGS+=("$a") ;;
    esac
done
if [ "$QUICK" = 1 ]; then
    ROWS=${ARGS[0]:-10000}
    EXISTING=${ARGS[1]:-100000}
else
    ROWS=${ARGS[0]:-100000}
    EXISTING=${ARGS[1]:-1000000}
fi
SEED=${ONDO_BENCH_SEED:-42}
TIMEOUT=${ONDO_BENCH_TIMEOUT:-1800}
case "$ROWS$EXISTING$SEED$TIMEOUT" in *[!0-9]*) echo "ROWS, EXISTING and the seed must be numbers" >&2; exit 2 ;; esac

echo "building release binaries (cargo build --release -p ondo -p ondo-bench)..." >&2
cargo build --release -q -p ondo -p ondo-bench
ONDO=${CARGO_TARGET_DIR:-target}/release/ondo
BENCH=${CARGO_TARGET_DIR:-target}/release/ondo-bench

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ondo-bench-import.XXXXXX")
IMPORT_PID=
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    if [ -n "$IMPORT_PID" ] && kill -0 "$IMPORT_PID" 2>/dev/null; then
        kill "$IMPORT_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The seeded database, cached by leads count, generator seed, and a hash of what decides
# its content (the generator's sources, whether the public company lists are
# there): seeding 1M leads takes minutes.
if [ -d ../shared/data/companies ] || [ -n "${ONDO_BENCH_DATA_DIR:-}" ]; then NAMES=lists; else NAMES=builtin; fi
# The schema is not part of the key: a copy is brought up to date with `ondo migrate`
# before the timed import, so a new migration does not cost a reseed (nor import time).
VERSION=$(cat crates/bench/src/world.rs crates/bench/src/vocab.rs crates/bench/src/seed.rs \
    | sha256sum | cut -c1-12)
CACHE_DIR=${ONDO_BENCH_CACHE:-target/bench-cache}
CACHE=$CACHE_DIR/seed-$EXISTING-s$SEED-$NAMES-$VERSION.db
mkdir -p "$CACHE_DIR"
if [ ! -f "$CACHE" ]; then
    # Stale caches of the same size are large (about 1 GB at 1M leads): drop them.
    rm -f "$CACHE_DIR"/seed-"$EXISTING"-*.db
    echo "seeding $EXISTING leads (once; cached as $CACHE)..." >&2
    "$BENCH" seed --data-dir "$TMP/seed" --leads "$EXISTING" --seed "$SEED" >&2
    if [ -s "$TMP/seed/ondo.db-wal" ]; then
        echo "the seeded database still has a write-ahead log; not caching it" >&2
        exit 1
    fi
    cp "$TMP/seed/ondo.db" "$CACHE.partial"
    mv "$CACHE.partial" "$CACHE"
    rm -rf "$TMP/seed"
fi
mkdir -p "$TMP/data"
cp "$CACHE" "$TMP/data/ondo.db"
"$ONDO" --data-dir "$TMP/data" migrate >&2

CSV=$TMP/import.csv
"$BENCH" gen-import --out "$CSV" --rows "$ROWS" --existing-leads "$EXISTING" --seed "$SEED" >&2

ANCHOR_ARGS=()
if command -v sqlite3 >/dev/null 2>&1; then
    "$BENCH" sqlite-anchor --csv "$CSV" --json >"$TMP/anchor.json"
    ANCHOR_ARGS=(--anchor-json "$TMP/anchor.json")
else
    echo "sqlite3 is not installed: no anchor (apt-get install sqlite3)" >&2
fi

echo "importing $ROWS rows into $EXISTING leads..." >&2
IMPORT=("$ONDO" --data-dir "$TMP/data" import "$CSV" --source ベンチ展示会 --mode upsert --json)
status=0
if [ -x /usr/bin/time ] && [ -z "${ONDO_BENCH_POLL_RSS:-}" ]; then
    t0=$(date +%s%N)
    timeout "$TIMEOUT" /usr/bin/time -v -o "$TMP/time.txt" "${IMPORT[@]}" \
        >"$TMP/import.json" 2>"$TMP/import.err" || status=$?
    t1=$(date +%s%N)
    RSS_KIB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt" 2>/dev/null || true)
else
    # No GNU time (Debian package `time`): wall time from bash, peak RSS from VmHWM,
    # polled until the process exits (the last few milliseconds may be missed).
    t0=$(date +%s%N)
    timeout "$TIMEOUT" "${IMPORT[@]}" >"$TMP/import.json" 2>"$TMP/import.err" &
    IMPORT_PID=$!
    RSS_KIB=0
    while kill -0 "$IMPORT_PID" 2>/dev/null; do
        for p in "$IMPORT_PID" $(pgrep -P "$IMPORT_PID" 2>/dev/null || true); do
            hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
            if [ -n "$hwm" ] && [ "$hwm" -gt "$RSS_KIB" ]; then RSS_KIB=$hwm; fi
        done
        sleep 0.01
    done
    wait "$IMPORT_PID" || status=$?
    IMPORT_PID=
    t1=$(date +%s%N)
fi
if [ "$status" != 0 ]; then
    [ "$status" = 124 ] && echo "the import did not finish within ${TIMEOUT} s and was stopped" >&2
    echo "ondo import failed (exit $status):" >&2
    head -c 2000 "$TMP/import.err" >&2 || true
    head -c 2000 "$TMP/import.json" >&2 || true
    exit 1
fi
WALL_MS=$(( (t1 - t0) / 1000000 ))

echo
echo "### Import benchmark: $ROWS rows into $EXISTING leads"
echo
rc=0
"$BENCH" report --json "$TMP/import.json" --truth "$CSV.truth" --rows "$ROWS" \
    --existing-leads "$EXISTING" --wall-ms "$WALL_MS" --peak-rss-kib "${RSS_KIB:-0}" \
    "${ANCHOR_ARGS[@]}" || rc=$?
echo
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || COMMIT="$COMMIT+changes"
echo "machine: $(nproc) cores ($CPU), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); \
sqlite3 $(sqlite3 -version 2>/dev/null | cut -d' ' -f1); commit $COMMIT; seed $SEED; \
seeded database copied fresh from $CACHE (warm page cache)"
exit "$rc"
