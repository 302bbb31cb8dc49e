#!/usr/bin/env bash
# Makes sure the API document linters are installed at their pinned versions (`make lint-docs`):
# `@redocly/cli` (OpenAPI) and `@asyncapi/cli` (AsyncAPI), from npm into a prefix under the cache,
# installing Node.js and npm with apt-get first when they are missing. Idempotent, needs no stdin;
# prints the prefix's bin directory, and nothing else when everything is already there.
set -euo pipefail

REDOCLY_VERSION=2.77.0
ASYNCAPI_VERSION=6.2.0
prefix="${KUAIDI_NPM_PREFIX:-$HOME/.cache/kuaidi-npm}"
bin="$prefix/node_modules/.bin"

installed() { # package version
  local manifest="$prefix/node_modules/$1/package.json"
  [ -f "$manifest" ] && grep -q "\"version\": \"$2\"" "$manifest"
}

if ! command -v npm >/dev/null 2>&1; then
  bash "$(dirname "$0")/apt-install.sh" ensure-linters nodejs npm
fi
# The pinned redocly needs Node.js 20.19+ (Debian 12's own nodejs is 18: use NodeSource's).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "ensure-linters: Node.js $(node --version) is too old; the linters need 20.19 or later" >&2
  exit 1
fi

if ! installed @redocly/cli "$REDOCLY_VERSION" || ! installed @asyncapi/cli "$ASYNCAPI_VERSION"; then
  echo "ensure-linters: installing @redocly/cli@$REDOCLY_VERSION and @asyncapi/cli@$ASYNCAPI_VERSION into $prefix" >&2
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "@redocly/cli@$REDOCLY_VERSION" "@asyncapi/cli@$ASYNCAPI_VERSION" >&2
fi
echo "$bin"
