#!/usr/bin/env bash
# Installs the Debian packages the project needs (WeasyPrint's libraries and the CJK fonts) when
# they are missing: with apt-get as root, otherwise it names the command to run and stops.
# `system-deps.sh browser` adds Chromium and its driver, for the browser tests.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
if [ "${1:-}" = "browser" ]; then
  packages+=(chromium chromium-driver)
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; make sure these are installed: ${packages[*]}" >&2
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Missing system packages; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
