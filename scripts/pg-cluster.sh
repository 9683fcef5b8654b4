#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster (Debian's package) for the tests:
#   scripts/pg-cluster.sh start DIR   initialises DIR/data if needed, starts the server on a
#                                     free 127.0.0.1 port, prints its postgres:// URL
#   scripts/pg-cluster.sh url DIR     prints the URL of the cluster started in DIR
#   scripts/pg-cluster.sh stop DIR    stops it (nothing to do when it is not running)
# The server listens on 127.0.0.1 only, with password (SCRAM) authentication: a random password
# per cluster, kept in DIR/url (mode 0600). No unix socket outside DIR. Collation C (byte order,
# as SQLite's BINARY), UTF-8.
# PostgreSQL refuses to run as root: as root, the cluster runs as the system user
# `passregion-pg` (created if missing, no shell, no home).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=passregion-pg

usage() {
  echo "usage: $0 start|stop|url DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

need_binaries() {
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    echo "PostgreSQL 15 not found in $PG_BIN (Debian: apt-get install postgresql-15)" >&2
    exit 1
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

running() {
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

start() {
  need_binaries
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    id -u "$PG_USER" >/dev/null 2>&1 ||
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER"
    chown "$PG_USER" "$dir"
    chmod 0700 "$dir"
  fi
  if running; then
    cat "$dir/url"
    return
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    local password
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    (umask 077 && printf '%s\n' "$password" >"$dir/pwfile")
    [ "$(id -u)" -ne 0 ] || chown "$PG_USER" "$dir/pwfile"
    as_owner "$PG_BIN/initdb" -D "$dir/data" --username=passregion --pwfile="$dir/pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    mkdir -p "$dir/socket"
    [ "$(id -u)" -ne 0 ] || chown "$PG_USER" "$dir/socket"
    (umask 077 && printf '%s\n' "$password" >"$dir/password")
  fi
  local password port url attempt
  password=$(cat "$dir/password")
  for attempt in 1 2 3; do
    port=$(free_port)
    # Only 127.0.0.1, the socket inside DIR; fsync on (what the durability tests rely on).
    if as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir/socket -c max_connections=200" \
      start >/dev/null; then
      url="postgres://passregion:${password}@127.0.0.1:${port}/postgres"
      (umask 077 && printf '%s\n' "$url" >"$dir/url")
      echo "$url"
      return
    fi
    echo "start on port $port failed (attempt $attempt); see $dir/server.log" >&2
  done
  exit 1
}

stop() {
  if [ ! -d "$dir/data" ]; then
    return
  fi
  if running; then
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
  rm -f "$dir/url"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  url)
    if running && [ -f "$dir/url" ]; then cat "$dir/url"; else echo "no cluster running in $dir" >&2; exit 1; fi
    ;;
  *) usage ;;
esac
