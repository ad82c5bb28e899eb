#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for the tests and prints the URL
# to reach it (TEGOED_TEST_POSTGRES). Installs PostgreSQL when it is missing.
# The cluster lives in a temporary folder, runs as an unprivileged user on a
# free port on 127.0.0.1 with trust authentication, and is for tests only.
#
# Usage: eval "$(.ci/postgres.sh)"    # exports TEGOED_TEST_POSTGRES
#        .ci/postgres.sh stop DIR
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "${1:-}" = stop ]; then
  dir=$2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  as_root su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' stop -m fast" >/dev/null || true
  as_root rm -rf "$dir"
  exit 0
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  (as_root apt-get update -qq && as_root apt-get install -y -qq postgresql) >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
user=postgres
if ! id "$user" >/dev/null 2>&1; then
  as_root useradd --system --no-create-home "$user"
fi
dir=$(mktemp -d /tmp/tegoed-pg.XXXXXX)
chmod 755 "$dir"
as_root chown "$user" "$dir"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run() { as_root su "$user" -s /bin/sh -c "$*"; }
run "'$bin/initdb' -D '$dir/data' -U tegoed --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
run "'$bin/pg_ctl' -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400\" -l '$dir/log' -w start" >/dev/null
echo "export TEGOED_TEST_POSTGRES=postgres://tegoed@127.0.0.1:$port/postgres"
echo "export TEGOED_TEST_POSTGRES_DIR=$dir"
