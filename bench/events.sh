#!/usr/bin/env bash
# Event ingestion benchmark: CLIENTS concurrent clients post batches of BATCH events to
# `POST /api/v1/events` of `ondo serve` (SQLite) for SECONDS seconds; every request is
# answered only after its events are committed. Design target: >= 20,000 events/s with
# batches of 100 from 4 clients, durable.
#
# Steps: build release binaries; copy the cached database of LEADS leads and EVENTS events
# (the same one as bench/queue.sh); note the newest event id; start `ondo serve` on
# 127.0.0.1 and create a marketing user's API token; run `ondo-bench events-load`: each
# client sends sessions of a few events per lead (newsletter opens and clicks, some by
# mail scanners, page views of product, case-study and document pages, downloads,
# webinars, forms) for known leads, four in five from a tenth of them (today's campaign),
# and 5% for emails nobody has yet; ids are unique and time-ordered; then the server is killed with SIGKILL
# right after the last answer and the events stored after the noted id are counted: every
# acknowledged event must be there. The anchor is `sqlite3 .import` of the same rows (as
# CSV) into an empty table without indexes.
#
# Usage: bench/events.sh [SECONDS] [CLIENTS] [BATCH] [LEADS] [EVENTS]
#        (defaults 30 4 100 1000000 20000000)
#        bench/events.sh --quick   (10 s into 100000 leads with 2000000 events)
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
if [ "$QUICK" = 1 ]; then DS=10 DL=100000 DE=2000000; else DS=30 DL=1000000 DE=20000000; fi
SECONDS_=${ARGS[0]:-$DS}
CLIENTS=${ARGS[1]:-4}
BATCH=${ARGS[2]:-100}
LEADS=${ARGS[3]:-$DL}
EVENTS=${ARGS[4]:-$DE}
case "$SECONDS_$CLIENTS$BATCH$LEADS$EVENTS$SEED" in *[!0-9]*) echo "arguments must be whole numbers" >&2; exit 2 ;; esac

bench_build
bench_run_dir
CACHE=$(temperature_cache "$LEADS" "$EVENTS")
work_copy "$CACHE"
BEFORE=$("$BENCH" events-count --data-dir "$DATA")
[[ $BEFORE =~ \"max_id\":([0-9]+) ]] || { echo "unexpected events-count output: $BEFORE" >&2; exit 1; }
MAX_ID=${BASH_REMATCH[1]}
start_server "$DATA"
TOKEN=$(api_token "$DATA" bench-tracker@bench.example.jp marketing)
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)

echo "sending batches of $BATCH events from $CLIENTS clients for $SECONDS_ s..." >&2
ONDO_BENCH_TOKEN=$TOKEN "$BENCH" events-load --url "$URL" --data-dir "$DATA" \
    --clients "$CLIENTS" --batch "$BATCH" --seconds "$SECONDS_" --seed "$SEED" \
    --csv "$RUN_DIR/events.csv" --json "$RUN_DIR/load.json" >/dev/null
# Every answer has come back: kill the server without letting it shut down cleanly.
stop_server KILL
AFTER=$("$BENCH" events-count --data-dir "$DATA" --after "$MAX_ID")
[[ $AFTER =~ \"after\":([0-9]+) ]] || { echo "unexpected events-count output: $AFTER" >&2; exit 1; }
STORED=${BASH_REMATCH[1]}

ANCHOR_ARGS=()
if command -v sqlite3 >/dev/null 2>&1; then
    "$BENCH" sqlite-anchor --csv "$RUN_DIR/events.csv" --json >"$RUN_DIR/anchor.json"
    ANCHOR_ARGS=(--anchor-json "$RUN_DIR/anchor.json")
else
    echo "sqlite3 is not installed: no anchor (apt-get install sqlite3)" >&2
fi

echo
echo "### Event ingestion benchmark: batches of $BATCH from $CLIENTS clients for $SECONDS_ s"
echo
rc=0
"$BENCH" events-report --load "$RUN_DIR/load.json" --stored "$STORED" --leads "$LEADS" \
    --events-before "$EVENTS" "${ANCHOR_ARGS[@]}" || rc=$?
echo
machine_line "$LOAD_BEFORE before the run"
exit "$rc"
