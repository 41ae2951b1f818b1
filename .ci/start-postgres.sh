#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the Ondo test suites.
#
# Usage:
#   eval "$(.ci/start-postgres.sh)"      # start; exports TEST_DATABASE_URL, PG_STOP, ONDO_PG_DIR
#   eval "$PG_STOP"                      # stop the cluster and delete its directory
#   .ci/start-postgres.sh --stop DIR     # same as PG_STOP
#
# The cluster listens on 127.0.0.1 on a free port, with its data directory,
# unix socket and log in a fresh temporary directory. Its bootstrap superuser
# is `ondo` (password `ondo`), so the URL may CREATE/DROP DATABASE; database
# `ondo_test` exists. Durability is switched off (fsync etc.): test data only.
# DDL statements are logged (log_statement=ddl) to $ONDO_PG_DIR/postgres.log;
# .ci/run counts the CREATE DATABASE lines there to check the suites used it.
#
# Works as root (the server then runs as the `postgres` system user, which the
# Debian `postgresql` package creates) and as a normal user.
#
# Only `export ...` lines go to stdout; progress and errors go to stderr.

set -euo pipefail

PG_USER=ondo
PG_PASSWORD=ondo
PG_DB=ondo_test
RUN_AS=
RUNUSER=

log() { printf 'start-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Binaries: $PG_BINDIR if set, else the highest /usr/lib/postgresql/<ver>/bin,
# else whatever pg_ctl is on PATH (e.g. a non-Debian install).
find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/pg_ctl" ]] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    local best
    best=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null \
        | sed -E 's#^/usr/lib/postgresql/([^/]+)/bin/pg_ctl$#\1#' | sort -V | tail -n 1 || true)
    if [[ -n "$best" ]]; then
        printf '/usr/lib/postgresql/%s/bin\n' "$best"
        return
    fi
    if command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return
    fi
    die "no PostgreSQL server binaries found (install the Debian package 'postgresql')"
}

# Run a command as the cluster owner (postgres refuses to run as root).
as_owner() {
    if [[ -n "$RUN_AS" ]]; then
        "$RUNUSER" -u "$RUN_AS" -- "$@"
    else
        "$@"
    fi
}

pick_root_user() {
    if [[ "$(id -u)" -eq 0 ]]; then
        getent passwd postgres >/dev/null || die "running as root but there is no 'postgres' user"
        RUNUSER=$(command -v runuser || true)
        for c in /usr/sbin/runuser /sbin/runuser; do
            [[ -n "$RUNUSER" ]] || { [[ -x "$c" ]] && RUNUSER=$c; }
        done
        [[ -n "$RUNUSER" ]] || die "running as root but 'runuser' is missing"
        RUN_AS=postgres
    else
        RUN_AS=
    fi
}

stop_cluster() {
    local dir=$1
    [[ -n "$dir" && -d "$dir" ]] || { log "nothing to stop at '$dir'"; return 0; }
    [[ -f "$dir/.ondo-ci-cluster" ]] || die "$dir is not a cluster made by this script; refusing to delete it"
    local bindir
    bindir=$(cat "$dir/.ondo-ci-bindir")
    pick_root_user
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        (cd / && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2) \
            || (cd / && as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2) \
            || log "warning: pg_ctl stop failed"
    fi
    rm -rf -- "$dir"
    log "stopped and removed $dir"
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
        return
    fi
    # Fallback: random high port that nothing answers on.
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            printf '%s\n' "$p"
            return
        fi
    done
    die "could not find a free TCP port"
}

if [[ "${1:-}" == "--stop" ]]; then
    [[ $# -eq 2 ]] || die "usage: $0 --stop DIR"
    stop_cluster "$2"
    exit 0
fi
[[ $# -eq 0 ]] || die "usage: $0 [--stop DIR]"

BINDIR=$(find_bindir)
pick_root_user
log "using $BINDIR ($("$BINDIR/postgres" --version))${RUN_AS:+ as user $RUN_AS}"

# Short path: the unix socket lives here too and socket paths are limited to ~107 bytes.
DIR=$(mktemp -d /tmp/ondo-pg.XXXXXX)
touch "$DIR/.ondo-ci-cluster"
printf '%s\n' "$BINDIR" >"$DIR/.ondo-ci-bindir"
printf '%s\n' "$PG_PASSWORD" >"$DIR/pwfile"
chmod 600 "$DIR/pwfile"
if [[ -n "$RUN_AS" ]]; then
    chown -R "$RUN_AS:" "$DIR"
fi
chmod 700 "$DIR"

cleanup_on_error() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        log "failed (exit $rc); server log follows:"
        [[ -f "$DIR/postgres.log" ]] && tail -n 50 "$DIR/postgres.log" >&2
        if [[ -f "$DIR/data/postmaster.pid" ]]; then
            (cd / && as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1) || true
        fi
        rm -rf -- "$DIR"
    fi
}
trap cleanup_on_error EXIT

log "initdb in $DIR/data"
# cd /: the owner may not be allowed into the caller's working directory.
(cd / && as_owner "$BINDIR/initdb" -D "$DIR/data" --username="$PG_USER" --pwfile="$DIR/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1) \
    || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
rm -f "$DIR/pwfile"

# The port is free when picked but could be taken before postgres binds it: retry.
started=
for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    log "starting on 127.0.0.1:$PORT (attempt $attempt)"
    if (cd / && as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c max_wal_size=256MB -c log_statement=ddl" \
        start >&2); then
        started=1
        break
    fi
    tail -n 20 "$DIR/postgres.log" >&2 || true
done
[[ -n "$started" ]] || die "could not start PostgreSQL"

(cd / && as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U "$PG_USER" -d postgres \
    -c "CREATE DATABASE $PG_DB" >&2) || die "could not create database $PG_DB"

URL="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DB"
# Check the URL itself (TCP + password auth) works.
PGCONNECT_TIMEOUT=10 "$BINDIR/psql" -X -q -At "$URL" -c 'select 1' >/dev/null \
    || die "cannot connect with $URL"

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
log "ready: $URL"
printf 'export TEST_DATABASE_URL=%q\n' "$URL"
printf 'export ONDO_PG_DIR=%q\n' "$DIR"
printf 'export PG_STOP=%q\n' "$(printf 'bash %q --stop %q' "$SELF" "$DIR")"
