#!/usr/bin/env bash
# Install redis-server from apt when missing (the distributed mode's tests start their own servers from it), then
# print its path. Used by `make test`. Needs root to install (as on CI); prints nothing and exits 1 when it cannot.
set -euo pipefail
log() { echo "start_redis: $*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then log "redis-server is not installed and this is not root: skipping"; exit 1; fi
  log "installing redis-server from apt"
  apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
  # Debian starts a server on port 6379 at install: the tests start their own on free ports.
  (service redis-server stop || pkill -x redis-server || true) >/dev/null 2>&1
fi
command -v redis-server
