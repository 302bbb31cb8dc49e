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

bash "$(dirname "$0")/apt-install.sh" ensure-chromium chromium fonts-noto-cjk
find_browser
