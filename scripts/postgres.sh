#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster for tests and benchmarks and print the
# URL to reach it. Usage: scripts/postgres.sh start DIR PORT [fsync=on|off]
#                         scripts/postgres.sh stop DIR
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data directory}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    port=${3:?port}; fsync=${4:-on}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$pgbin/initdb" -D "$dir" -A trust -U postgres >/dev/null
    fi
    as_pg "$pgbin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
      -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_connections=300" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "$pgbin/pg_ctl" -D "$dir" -m fast stop >/dev/null || true
    ;;
esac
