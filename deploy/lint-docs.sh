#!/usr/bin/env bash
# `make lint-docs` (issue 12): lints the committed API documents with the pinned linters —
# `redocly lint` (recommended rules, adjusted in redocly.yaml) on proto-docs/openapi.json and
# `asyncapi validate` on proto-docs/asyncapi.yaml. Errors fail; warnings are printed only.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(bash deploy/ensure-linters.sh)
# No telemetry, no update checks, no prompts (CI has no stdin).
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true ASYNCAPI_METRICS=false CI=true \
  SUPPRESS_NO_CONFIG_WARNING=1
"$bin/redocly" lint --config redocly.yaml proto-docs/openapi.json
"$bin/asyncapi" validate proto-docs/asyncapi.yaml --fail-severity=error </dev/null
