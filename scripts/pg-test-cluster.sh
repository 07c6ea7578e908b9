#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on 127.0.0.1 for the test suite.
#   pg-test-cluster.sh start|stop|url
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -euo pipefail
PORT=${SQM_PG_PORT:-55432}
DIR=${SQM_PG_DIR:-/tmp/sqm-pg-$PORT}

find_bin() {
  local name=$1
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/$name" ] && { echo "$d/$name"; return; }
  done
  command -v "$name" || true
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-}" in
  start)
    if [ -z "$(find_bin initdb)" ] || [ -z "$(find_bin pg_ctl)" ]; then
      echo "pg-test-cluster: installing PostgreSQL server" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    INITDB=$(find_bin initdb); PG_CTL=$(find_bin pg_ctl)
    # A cluster of ours still running here would lose its files under it: stop it first.
    if [ -f "$DIR/data/postmaster.pid" ]; then
      as_owner "'$PG_CTL' -D '$DIR/data' -m fast stop >/dev/null" || true
    fi
    rm -rf "$DIR"; mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
    as_owner "'$INITDB' -D '$DIR/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null"
    as_owner "'$PG_CTL' -D '$DIR/data' -l '$DIR/log' -w -o \"-p $PORT -c listen_addresses=127.0.0.1 -k '$DIR' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start >/dev/null"
    echo "pg-test-cluster: PostgreSQL on 127.0.0.1:$PORT" >&2
    ;;
  stop)
    PG_CTL=$(find_bin pg_ctl)
    [ -d "$DIR/data" ] && as_owner "'$PG_CTL' -D '$DIR/data' -m fast stop >/dev/null" || true
    ;;
  url)
    echo "postgres://postgres@127.0.0.1:$PORT/sqm"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
