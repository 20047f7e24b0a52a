#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: Debian's `postgresql` package,
# `initdb` in a folder of its own, run as the `postgres` user when we are root, on a free port
# of 127.0.0.1 with its own socket folder. Never touches a system service.
#
#   scripts/pg-cluster.sh start DIR [--fast]   # prints the URL to use (HAZARDSNAP_TEST_PG)
#   scripts/pg-cluster.sh stop DIR             # stops it and removes DIR
#
# --fast turns fsync off: for tests, where the database never outlives the run. Benchmarks run
# without it, on PostgreSQL's defaults.
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?folder}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
    fast=""
    [ "${3:-}" = "--fast" ] && fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_pg mkdir -p "$dir/sock"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c max_connections=400 $fast" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR [--fast]" >&2
    exit 2
    ;;
esac
