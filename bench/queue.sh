#!/usr/bin/env bash
# Queue benchmark: how long a salesperson waits for "今追うべきリード" in a workspace of
# LEADS leads with EVENTS events. Design target: p99 < 20 ms at 1M leads and 20M events.
#
# Steps: build release binaries; take the cached database of LEADS leads and EVENTS events
# (built once: `ondo-bench seed`, then `ondo-bench seed-events`: 20 salespeople owning the
# leads of four companies in five, EVENTS events over the last 180 days, every lead scored
# by the rescoring path); copy it, start `ondo serve` on 127.0.0.1, create an admin API
# token; then `ondo-bench queue-load` asks for each salesperson's queue in turn
# (`GET /api/v1/queue?limit=50&owner=EMAIL`, REQUESTS times after 50 untimed ones), and
# times the store's query alone and the queue with its reasons in the process as well.
#
# Usage: bench/queue.sh [LEADS] [EVENTS] [REQUESTS]   (defaults 1000000 20000000 2000)
#        bench/queue.sh --quick                       (100000 leads, 2000000 events)
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
REQUESTS=${ARGS[2]:-2000}
case "$LEADS$EVENTS$REQUESTS$SEED" in *[!0-9]*) echo "LEADS, EVENTS and REQUESTS must be numbers" >&2; exit 2 ;; esac

bench_build
bench_run_dir
CACHE=$(temperature_cache "$LEADS" "$EVENTS")
work_copy "$CACHE"
start_server "$DATA"
TOKEN=$(api_token "$DATA" bench-admin@bench.example.jp admin)
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)

echo
echo "### Queue benchmark: $LEADS leads, $EVENTS events"
echo
ONDO_BENCH_TOKEN=$TOKEN "$BENCH" queue-load --url "$URL" --data-dir "$DATA" \
    --requests "$REQUESTS" --limit 50
echo
machine_line "$LOAD_BEFORE before the run"
