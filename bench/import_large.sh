#!/usr/bin/env bash
# Large-file import benchmark: `ondo import` of a ROWS-row CP932 CSV (1,000,000 by default)
# into an empty workspace, once as the import runs it (a chunk of 100,000 rows at a time,
# all in one transaction) and once with the whole file as one chunk (`--chunk-rows ROWS`),
# each under GNU time for wall time and peak memory. The file describes ROWS people of a
# world the size of a 1M-lead workspace (50,000 companies), 5% of its rows repeating another
# row's person written differently; `ondo-bench report` checks the repeats against the
# generator's truth.
#
# With --xlsx the same rows are written as an Excel workbook (strings shared, as Excel
# saves them) and imported once, a chunk at a time: the sheet is read a batch of rows at a
# time, not loaded.
#
# Usage: bench/import_large.sh [ROWS] [--xlsx]   (default 1000000; --quick for 200000)
# Environment: ONDO_BENCH_SEED (generator seed, default 42).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

ROWS=1000000
EXT=csv
for arg in "$@"; do
    case "$arg" in
        --quick) ROWS=200000 ;;
        --xlsx) EXT=xlsx ;;
        *[!0-9]* | "") echo "usage: bench/import_large.sh [ROWS | --quick] [--xlsx]" >&2; exit 2 ;;
        *) ROWS=$arg ;;
    esac
done
if [ ! -x /usr/bin/time ]; then
    echo "GNU time is needed for the peak memory (apt-get install time)" >&2
    exit 1
fi

bench_build
bench_run_dir
CSV=$RUN_DIR/large.$EXT
"$BENCH" gen-import --out "$CSV" --rows "$ROWS" --existing-leads 1000000 --overlap 0 \
    --seed "$SEED" >&2

echo "### Import of $ROWS rows ($EXT) into an empty workspace"
echo
echo "| chunk | wall time | rows/s | peak RSS | created | merged | candidate pairs | repeats in their first row's lead |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
CHUNKS=(100000 "$ROWS")
[ "$EXT" = xlsx ] && CHUNKS=(100000)
for chunk in "${CHUNKS[@]}"; do
    rm -rf "$RUN_DIR/data"
    mkdir -p "$RUN_DIR/data"
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$RUN_DIR/time.txt" "$ONDO" --data-dir "$RUN_DIR/data" import "$CSV" \
        --source large --chunk-rows "$chunk" --json >"$RUN_DIR/import.json" 2>"$RUN_DIR/import.err" || {
        echo "ondo import failed:" >&2
        head -c 2000 "$RUN_DIR/import.err" >&2
        exit 1
    }
    t1=$(date +%s%N)
    wall_ms=$(((t1 - t0) / 1000000))
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RUN_DIR/time.txt")
    "$BENCH" report --json "$RUN_DIR/import.json" --truth "$CSV.truth" --rows "$ROWS" \
        --existing-leads 0 --wall-ms "$wall_ms" --peak-rss-kib "$rss_kib" \
        --min-merged-share 0.04 >"$RUN_DIR/report.txt"
    python3 - "$RUN_DIR/import.json" "$RUN_DIR/report.txt" "$chunk" "$wall_ms" "$rss_kib" "$ROWS" <<'PY'
import json, re, sys
report, text, chunk, wall_ms, rss_kib, rows = sys.argv[1:]
r = json.load(open(report))
joined = re.search(r"in the same lead as the person's first row: ([\d,]+ \([\d.]+%\))", open(text).read())
label = f"{int(chunk):,} rows" if int(chunk) < int(rows) else "the whole file"
secs = int(wall_ms) / 1000
print(f"| {label} | {secs:.1f} s | {int(rows) / secs:,.0f} | {int(rss_kib) / 1024:,.0f} MiB "
      f"| {r['created']:,} | {r['merged']:,} | {r['candidate_pairs']:,} | {joined.group(1) if joined else '?'} |")
PY
done
if [ "$EXT" = csv ]; then
    # The dry run plans the file a chunk at a time too (in a transaction rolled back).
    rm -rf "$RUN_DIR/data"
    mkdir -p "$RUN_DIR/data"
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$RUN_DIR/time.txt" "$ONDO" --data-dir "$RUN_DIR/data" import "$CSV" \
        --source large --dry-run --json >"$RUN_DIR/import.json" 2>"$RUN_DIR/import.err" || {
        echo "ondo import --dry-run failed:" >&2
        head -c 2000 "$RUN_DIR/import.err" >&2
        exit 1
    }
    t1=$(date +%s%N)
    python3 - "$RUN_DIR/import.json" "$(((t1 - t0) / 1000000))" \
        "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RUN_DIR/time.txt")" "$ROWS" <<'PY'
import json, sys
report, wall_ms, rss_kib, rows = sys.argv[1:]
r = json.load(open(report))
secs = int(wall_ms) / 1000
print(f"| `--dry-run`, 100,000 rows at a time | {secs:.1f} s | {int(rows) / secs:,.0f} | {int(rss_kib) / 1024:,.0f} MiB "
      f"| {r['created']:,} | {r['merged']:,} | {r['candidate_pairs']:,} | (provisional keys) |")
PY
fi
echo
machine_line "after the runs"
