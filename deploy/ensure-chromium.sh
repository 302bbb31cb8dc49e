#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is installed (the dashboard's browser test runs it):
# installs the Debian package `chromium` with apt-get when no chromium is on PATH. Idempotent,
# needs no stdin, prints the browser's path, and nothing else when it is already there.
set -euo pipefail

find_browser() {
  for name in chromium chromium-browser google-chrome-stable google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if find_browser; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-chromium: chromium is missing and this is not root; install the Debian package 'chromium'" >&2
    exit 1
  fi
else
  SUDO=""
fi

echo "ensure-chromium: installing chromium" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
find_browser
