#!/usr/bin/env bash
# Rescoring benchmark: a change of the scoring rules, then every lead of a workspace of
# LEADS leads with EVENTS events rescored with it, the handoff rules applied, progress
# printed as it goes. Design target: < 60 s at 1M leads and 20M events.
#
# Steps: build release binaries; take the cached database of LEADS leads and EVENTS events
# (the same one as bench/queue.sh: scored with the default rules); copy it; run
# `ondo-bench rescore`, which saves the new rules (half-life 14 → 21 days, case studies
# 4 → 6 points, MQL threshold 15 → 12) as a new version and times
# `ondo_jobs::scoring::rescore::rescore_all` — the function the rescoring job of a rule
# change runs — then rescores the first 20,000 leads one at a time through the per-lead
# path, the way the whole workspace was rescored before, for comparison.
#
# Usage: bench/rescore.sh [LEADS] [EVENTS]   (defaults 1000000 20000000)
#        bench/rescore.sh --quick            (100000 leads, 2000000 events)
# Environment: ONDO_BENCH_CACHE (where databases are cached; default target/bench-cache),
# ONDO_BENCH_SEED (default 42).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
ARGS=()
QUICK=0
for a in "$@"; do
    case $a in
        --quick) QUICK=1 ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "unknown option $a" >&2; usage >&2; exit 2 ;;
        *) ARGS+=("$a") ;;
    esac
done
if [ "$QUICK" = 1 ]; then DL=100000 DE=2000000; else DL=1000000 DE=20000000; fi
LEADS=${ARGS[0]:-$DL}
EVENTS=${ARGS[1]:-$DE}
case "$LEADS$EVENTS$SEED" in *[!0-9]*) echo "LEADS and EVENTS must be numbers" >&2; exit 2 ;; esac

bench_build
bench_run_dir
CACHE=$(temperature_cache "$LEADS" "$EVENTS")
work_copy "$CACHE"
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)

"$BENCH" rescore --data-dir "$DATA" >"$RUN_DIR/table.md"
echo
echo "### Rescoring benchmark: $LEADS leads, $EVENTS events"
echo
cat "$RUN_DIR/table.md"
echo
machine_line "$LOAD_BEFORE before the run"
