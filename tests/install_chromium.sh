#!/usr/bin/env bash
# Install what the report tests need from apt when missing: Debian's chromium (the HTML screenshot test,
# driven by Playwright with executable_path, never `playwright install`) and the Pango libraries weasyprint
# renders PDFs with. Idempotent and quiet; used by `make test` before pytest. Without root it only warns.
set -euo pipefail
log() { echo "install_chromium: $*" >&2; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then log "missing ${missing[*]} and this is not root: their tests will be skipped"; exit 0; fi
log "installing ${missing[*]} from apt"
apt-get update -qq >/dev/null 2>&1 || apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
