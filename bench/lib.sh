# shellcheck shell=bash
# Shared steps of the temperature benchmarks (events.sh, queue.sh, rescore.sh): build the
# release binaries, the cached databases they start from, a running server with an API
# token, and the line describing the machine. Sourced, not run.
#
# Databases are cached in $ONDO_BENCH_CACHE (default target/bench-cache), each built once:
#   seed-LEADS-sSEED-NAMES-VERSION.db           `ondo-bench seed` (shared with import.sh)
#   temperature-LEADS-EVENTS-sSEED-NAMES-V.db   + `ondo-bench seed-events`: salespeople,
#                                                owners, EVENTS events, every lead scored
# and every run works on a fresh copy in $ONDO_BENCH_CACHE/run.XXXXXX, removed at exit.
# With ONDO_BENCH_IN_PLACE=1 the run works on the cached file itself (moved into the run
# directory and back at exit) when the disk has no room for a copy: the cache then keeps
# what the run did (a rule change, new events), so later figures start from that state.

ONDO=${CARGO_TARGET_DIR:-target}/release/ondo
BENCH=${CARGO_TARGET_DIR:-target}/release/ondo-bench
CACHE_DIR=${ONDO_BENCH_CACHE:-target/bench-cache}
SEED=${ONDO_BENCH_SEED:-42}
SERVER_PID=
RUN_DIR=
RESTORE=

bench_build() {
    echo "building release binaries (cargo build --release -p ondo -p ondo-bench)..." >&2
    cargo build --release -q -p ondo -p ondo-bench
}

# shellcheck disable=SC2317  # invoked by the trap
bench_cleanup() {
    stop_server TERM
    if [ -n "$RESTORE" ] && [ -f "$RUN_DIR/data/ondo.db" ]; then
        # The write-ahead log goes back with the database (SQLite folds it in when the
        # file is next opened); the shared-memory index is rebuilt from it.
        if [ -f "$RUN_DIR/data/ondo.db-wal" ]; then
            mv "$RUN_DIR/data/ondo.db-wal" "$RESTORE-wal"
        fi
        mv "$RUN_DIR/data/ondo.db" "$RESTORE"
    fi
    if [ -n "$RUN_DIR" ]; then rm -rf "$RUN_DIR"; fi
}

bench_run_dir() {
    mkdir -p "$CACHE_DIR"
    RUN_DIR=$(mktemp -d "$CACHE_DIR/run.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

names_kind() {
    if [ -d ../shared/data/companies ] || [ -n "${ONDO_BENCH_DATA_DIR:-}" ]; then echo lists; else echo builtin; fi
}

# seed_cache LEADS → the path of the cached database of LEADS seeded leads (built if
# missing, as import.sh does; the same file).
seed_cache() {
    local leads=$1
    local version
    version=$(cat crates/bench/src/world.rs crates/bench/src/vocab.rs crates/bench/src/seed.rs \
        | sha256sum | cut -c1-12)
    local cache
    cache="$CACHE_DIR/seed-$leads-s$SEED-$(names_kind)-$version.db"
    if [ ! -f "$cache" ]; then
        rm -f "$CACHE_DIR"/seed-"$leads"-*.db
        echo "seeding $leads leads (once; cached as $cache)..." >&2
        local tmp="$RUN_DIR/seed"
        "$BENCH" seed --data-dir "$tmp" --leads "$leads" --seed "$SEED" >&2
        if [ -s "$tmp/ondo.db-wal" ]; then
            echo "the seeded database still has a write-ahead log; not caching it" >&2
            exit 1
        fi
        mv "$tmp/ondo.db" "$cache.partial"
        mv "$cache.partial" "$cache"
        rm -rf "$tmp"
    fi
    echo "$cache"
}

# temperature_cache LEADS EVENTS → the path of the cached database of LEADS leads with
# EVENTS events, salespeople and scores (built if missing: minutes at 1M/20M).
temperature_cache() {
    local leads=$1 events=$2
    local version
    version=$(cat crates/bench/src/world.rs crates/bench/src/vocab.rs crates/bench/src/seed.rs \
        crates/bench/src/activity.rs crates/bench/src/seed_events.rs | sha256sum | cut -c1-12)
    local cache
    cache="$CACHE_DIR/temperature-$leads-$events-s$SEED-$(names_kind)-$version.db"
    if [ ! -f "$cache" ]; then
        rm -f "$CACHE_DIR"/temperature-"$leads"-"$events"-*.db
        local seeded
        seeded=$(seed_cache "$leads")
        echo "adding $events events to $leads leads (once; cached as $cache)..." >&2
        local tmp="$RUN_DIR/events"
        mkdir -p "$tmp"
        cp "$seeded" "$tmp/ondo.db"
        "$ONDO" --data-dir "$tmp" migrate >&2
        "$BENCH" seed-events --data-dir "$tmp" --events "$events" --seed "$SEED" >&2
        if [ -s "$tmp/ondo.db-wal" ]; then
            echo "the database still has a write-ahead log; not caching it" >&2
            exit 1
        fi
        mv "$tmp/ondo.db" "$cache.partial"
        mv "$cache.partial" "$cache"
        rm -rf "$tmp"
    fi
    echo "$cache"
}

# work_copy CACHE → sets DATA to a data directory holding a fresh copy of CACHE at the
# current schema (with ONDO_BENCH_IN_PLACE=1, CACHE itself, put back at exit).
work_copy() {
    local dir="$RUN_DIR/data"
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "${ONDO_BENCH_IN_PLACE:-0}" = 1 ]; then
        mv "$1" "$dir/ondo.db"
        RESTORE=$1
    else
        cp "$1" "$dir/ondo.db"
    fi
    "$ONDO" --data-dir "$dir" migrate >&2
    DATA=$dir
    export DATA
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server DIR → starts `ondo serve` on a free loopback port; sets SERVER_PID and URL.
start_server() {
    local dir=$1 port
    port=$(free_port)
    URL="http://127.0.0.1:$port"
    ONDO_LOG=${ONDO_LOG:-warn} "$ONDO" --data-dir "$dir" serve --listen "127.0.0.1:$port" \
        >"$RUN_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    local tries=0
    until curl -sf "$URL/healthz" >/dev/null 2>&1; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "ondo serve exited:" >&2
            tail -20 "$RUN_DIR/server.log" >&2
            exit 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -gt 3000 ]; then
            echo "ondo serve did not answer /healthz within 30 s" >&2
            exit 1
        fi
        sleep 0.01
    done
}

# stop_server [SIGNAL] → stops the server started by start_server (TERM by default).
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "-${1:-TERM}" "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}

# api_token DIR EMAIL ROLE → adds the user and prints an API token for it.
api_token() {
    local dir=$1 email=$2 role=$3
    printf 'bench-password-%s\n' "$RANDOM$RANDOM" \
        | "$ONDO" --data-dir "$dir" user add "$email" --role "$role" >/dev/null
    "$ONDO" --data-dir "$dir" token create --user "$email"
}

machine_line() {
    local cpu commit
    cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
    echo "machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); \
load average $(cut -d' ' -f1-3 /proc/loadavg) ($1); commit $commit; seed $SEED"
}
