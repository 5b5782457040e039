#!/usr/bin/env bash
# Installs the Debian packages the project needs (WeasyPrint's libraries and the CJK fonts) when
# they are missing: with apt-get as root, otherwise it names the command to run and stops.
# `system-deps.sh browser` adds Chromium and its driver, for the browser tests.
#
# Fonts of the decision documents (GB/T 9704-2012: FangSong body, 小标宋-style title):
# - texlive-lang-chinese brings the free Fandol faces (GPL with the font exception): FandolFang
#   covers all of GB 2312 (7,444 of its 7,445 characters, all 6,763 hanzi, measured with
#   fontTools). It installs them outside fontconfig's folders; the renderer adds the folder.
# - fonts-cwtex-fs, Debian's other FangSong, is made for traditional characters: it covers
#   4,384 of the 6,763 GB 2312 hanzi only, so it is not used.
# - fonts-noto-cjk: Noto Serif CJK SC (title, and any character outside FandolFang), Noto Sans.
# An office's own licensed 仿宋_GB2312 and 方正小标宋 are used first when DOCUMENT_FONT_DIRS names
# their folder.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk texlive-lang-chinese)
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
