#!/usr/bin/env bash
# Install (from apt) and start a local PostgreSQL server for the test suite, then print its admin URL.
# Used by `make test`. Needs root (as on CI); prints nothing and exits 1 when it cannot.
set -euo pipefail
log() { echo "start_postgres: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then log "PostgreSQL is not installed and this is not root: skipping"; exit 1; fi
  log "installing PostgreSQL from apt"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$version" main >&2
  cluster="$version main"
fi
# shellcheck disable=SC2086
pg_ctlcluster $cluster start >&2 2>/dev/null || true
port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
for _ in $(seq 1 30); do
  su postgres -c "psql -p $port -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -p $port -qtAc \"select 1 from pg_roles where rolname = 'veilleur_test'\"" | grep -q 1 ||
  su postgres -c "psql -p $port -qc \"create role veilleur_test login createdb password 'veilleur_test'\"" >&2
# A throwaway test server: no autovacuum worker to hold a database the suite is dropping.
su postgres -c "psql -p $port -qtAc 'show autovacuum'" | grep -q off || {
  su postgres -c "psql -p $port -qc 'alter system set autovacuum = off'" >&2
  su postgres -c "psql -p $port -qc 'select pg_reload_conf()'" >/dev/null
}
echo "postgresql+psycopg://veilleur_test:veilleur_test@127.0.0.1:$port/postgres"
