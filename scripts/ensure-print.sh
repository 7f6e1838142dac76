#!/usr/bin/env bash
# What printed documents need: the BIZ UD fonts (SIL OFL, embedded as
# subsets in every PDF) and poppler's pdftotext/pdftoppm/pdffonts, with which
# the tests read the PDFs back. Installs them from Debian's packages when
# missing; idempotent.
set -euo pipefail
need=()
[ -f /usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf ] || need+=(fonts-morisawa-bizud-gothic)
[ -f /usr/share/fonts/truetype/bizud-mincho/BIZUDMincho-Regular.ttf ] || need+=(fonts-morisawa-bizud-mincho)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  echo "print: installing ${need[*]} from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo -n); fi
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
