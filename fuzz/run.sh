#!/usr/bin/env bash
# `make fuzz` (SPEC §10, issue 12): a schema-driven fuzzer over the whole API. Installs a pinned
# schemathesis into a virtual environment under the cache, starts the five processes (debug
# builds) on their own fresh databases, broker namespace and ports, rate limits off, signs in as
# admin, and runs every phase (examples, coverage, fuzzing, stateful) over the gateway's
# /openapi.json with the checks not_a_server_error, response_schema_conformance,
# content_type_conformance and negative_data_rejection. Exits non-zero on any finding.
#
#   KUAIDI_FUZZ_MAX_EXAMPLES  examples per operation and phase (default 50)
#   KUAIDI_FUZZ_SECONDS       time budget of the schemathesis run (--max-time; default 600)
#   KUAIDI_FUZZ_SHORT=1       the CI pass: 10 examples, 180 s
# Reports (JUnit XML, VCR cassette) and the processes' logs go to .run/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}"

SCHEMATHESIS_VERSION=4.32.5
if [ "${KUAIDI_FUZZ_SHORT:-0}" = 1 ]; then
  max_examples=${KUAIDI_FUZZ_MAX_EXAMPLES:-10}
  seconds=${KUAIDI_FUZZ_SECONDS:-180}
else
  max_examples=${KUAIDI_FUZZ_MAX_EXAMPLES:-50}
  seconds=${KUAIDI_FUZZ_SECONDS:-600}
fi

venv="$HOME/.cache/kuaidi-venv-fuzz"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  # A bare Debian has python3 without its venv module (CI starts bare).
  python3 -c 'import ensurepip' 2>/dev/null || bash deploy/apt-install.sh fuzz python3-venv
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

bash deploy/ensure-services.sh
echo "fuzz: building (cargo build --bins)..."
cargo build --bins --quiet

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ns="fz$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
out=.run/fuzz
mkdir -p "$out"
rm -f "$out"/*.log
names=(gateway customers shipments complaints analytics)
declare -A port
for name in "${names[@]}"; do port[$name]=$(free_port); done
pg="postgres://postgres@127.0.0.1:5432"
admin_password="fuzz-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for name in "${names[@]}"; do
    psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS \"kt_${ns}_$name\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

start() { # name: starts one process on its own database, its log in .run/fuzz/<name>.log
  local name=$1 upper
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  psql "$pg/postgres" -qc "CREATE DATABASE \"kt_${ns}_$name\"" >/dev/null
  env "KUAIDI_${upper}__DATABASE_URL=$pg/kt_${ns}_$name" \
    "KUAIDI_${upper}__HTTP__PORT=${port[$name]}" \
    "KUAIDI_${upper}__HTTP__METRICS_PORT=0" \
    "KUAIDI_DEV_MODE=1" \
    "KUAIDI_${upper}__AMQP__EXCHANGE=kt.$ns.events" \
    "KUAIDI_${upper}__AMQP__QUEUE_PREFIX=kt.$ns." \
    "KUAIDI_${upper}__AMQP__QUEUE_EXPIRES_MS=600000" \
    "KUAIDI_${upper}__AMQP__EXCHANGE_AUTO_DELETE=true" \
    "KUAIDI_${upper}__AUTH__JWKS_URL=http://127.0.0.1:${port[gateway]}/.well-known/jwks.json" \
    "KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD=$admin_password" \
    "KUAIDI_GATEWAY__RATE_LIMITS__PER_PRINCIPAL=0" \
    "KUAIDI_GATEWAY__RATE_LIMITS__PUBLIC_PER_IP=0" \
    "KUAIDI_GATEWAY__SERVICES__CUSTOMERS=http://127.0.0.1:${port[customers]}" \
    "KUAIDI_GATEWAY__SERVICES__SHIPMENTS=http://127.0.0.1:${port[shipments]}" \
    "KUAIDI_GATEWAY__SERVICES__COMPLAINTS=http://127.0.0.1:${port[complaints]}" \
    "KUAIDI_GATEWAY__SERVICES__ANALYTICS=http://127.0.0.1:${port[analytics]}" \
    "$CARGO_TARGET_DIR/debug/kuaidi-$name" > "$out/$name.log" 2>&1 &
  pids+=($!)
}
await_ready() { # name
  local deadline=$((SECONDS + 60))
  until curl -fs --max-time 2 "http://127.0.0.1:${port[$1]}/readyz" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "fuzz: $1 not ready in 60 s; the end of $out/$1.log:" >&2
      tail -n 20 "$out/$1.log" >&2
      exit 2
    fi
    sleep 0.3
  done
}

# The services first: the gateway fetches their documents when it starts (then every minute).
# They verify tokens through the gateway's JWKS, fetched when the first token arrives.
for name in customers shipments complaints analytics; do start "$name"; done
for name in customers shipments complaints analytics; do await_ready "$name"; done
start gateway
await_ready gateway
base="http://127.0.0.1:${port[gateway]}"
# Every service's operations must be in the merged document, or they go unfuzzed.
deadline=$((SECONDS + 90))
until curl -fs --max-time 5 "$base/openapi.json" | python3 -c \
  'import json,sys; sys.exit("x-kuaidi-unavailable" in json.load(sys.stdin))'; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "fuzz: the gateway's /openapi.json still lacks a service after 90 s" >&2
    exit 2
  fi
  sleep 1
done
token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

echo "fuzz: schemathesis over $base/openapi.json (${max_examples} examples, at most ${seconds} s)"
status=0
# From the output directory: schemathesis keeps its cache of failing cases (replayed first on the
# next run) and hypothesis its example database there, out of the work tree.
cd "$out"
timeout --signal=INT "$((seconds + 120))" "$venv/bin/schemathesis" run "$base/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --phases examples,coverage,fuzzing,stateful \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,negative_data_rejection \
  --max-examples "$max_examples" \
  --max-time "$seconds" \
  --continue-on-failure \
  --workers 1 \
  --request-timeout 15 \
  --seed 42 \
  --no-color \
  --report junit,vcr --report-dir . \
  || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 130 ]; then
  echo "fuzz: killed $((seconds + 120)) s in (past its --max-time); findings so far are above" >&2
fi
exit "$status"
