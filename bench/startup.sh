#!/usr/bin/env bash
# Start-up time and idle memory of `ondo serve` (release build), on SQLite.
# Measures three starts in fresh data directories: an empty workspace, the first
# `--demo` start (creates and loads the demo workspace), and a restart of that demo.
# Start-up time = from exec to the first 200 from /healthz; idle memory = VmRSS after
# the server has been idle for 2 s. Prints a Markdown table.
#
# Usage: bench/startup.sh [RUNS]   (default 5 runs each; the median is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
cargo build --release -q
BIN=target/release/ondo

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start DIR ARGS... → prints "ms rss_kib"
measure() {
    local dir=$1; shift
    local p; p=$(port)
    local t0; t0=$(date +%s%N)
    "$BIN" --data-dir "$dir" serve --listen "127.0.0.1:$p" "$@" >/dev/null 2>&1 &
    local pid=$!
    until curl -sf "http://127.0.0.1:$p/healthz" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { echo "server died" >&2; exit 1; }
        sleep 0.005
    done
    local t1; t1=$(date +%s%N)
    sleep 2
    local rss; rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill -TERM "$pid"; wait "$pid" || true
    echo "$(( (t1 - t0) / 1000000 )) $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A ms rss
for kind in empty demo-first demo-restart; do
    : > "/tmp/ondo-startup-$kind.txt"
done
for _ in $(seq "$RUNS"); do
    d=$(mktemp -d)
    measure "$d/empty" >> /tmp/ondo-startup-empty.txt
    measure "$d/demo" --demo >> /tmp/ondo-startup-demo-first.txt
    measure "$d/demo" --demo >> /tmp/ondo-startup-demo-restart.txt
    rm -rf "$d"
done
echo "| start | time to /healthz 200 (median of $RUNS) | idle RSS |"
echo "|---|---|---|"
for kind in empty demo-first demo-restart; do
    m=$(awk '{print $1}' "/tmp/ondo-startup-$kind.txt" | median)
    r=$(awk '{print $2}' "/tmp/ondo-startup-$kind.txt" | median)
    awk -v k="$kind" -v m="$m" -v r="$r" 'BEGIN { printf "| %s | %s ms | %.1f MiB |\n", k, m, r / 1024 }'
done
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
