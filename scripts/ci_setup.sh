#!/usr/bin/env bash
# Install what the browser tests (tests/web) need and the Python packages cannot bring:
# Debian's chromium and chromium-driver (plus a CJK font so Chinese renders in screenshots).
# Idempotent: does nothing when they are already there.  Needs root (or sudo) for apt-get.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -x /usr/bin/chromedriver ] || command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "CJK" || need+=(fonts-noto-cjk)

if [ ${#need[@]} -eq 0 ]; then
  echo "ci_setup: chromium and chromium-driver present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ci_setup: need root to install ${need[*]} (apt-get)" >&2; exit 1
  fi
fi
echo "ci_setup: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
chromium --version
