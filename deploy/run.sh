#!/usr/bin/env bash
# `make run`: brings the whole suite up on this machine — PostgreSQL and RabbitMQ (installed and
# started when missing), the five databases, a release build, the five processes — waits until
# every /readyz answers, prints how to use it, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}"

names=(gateway customers shipments complaints analytics)
ports=(8080 8081 8082 8083 8084)
for i in "${!names[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/${ports[$i]}") 2>/dev/null; then
    echo "run: port ${ports[$i]} (${names[$i]}) is already in use; is the suite already running?" >&2
    exit 1
  fi
done

bash deploy/ensure-services.sh
bash deploy/create-databases.sh
echo "run: building (cargo build --release --bins)..."
cargo build --release --bins --quiet

# The gateway uses this password only when it creates the admin user (empty user table), so the
# generated one is kept in .run/ and reused: what is printed stays true on later runs.
mkdir -p .run
if [ -z "${KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD:-}" ]; then
  [ -s .run/admin-password ] || head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > .run/admin-password
  KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD=$(cat .run/admin-password)
fi
export KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD
pw=$KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD

# A development machine: the built-in PII keys and a generated JWT signing key kept in the
# gateway database are allowed only with this flag (production configures real keys).
export KUAIDI_DEV_MODE=1
echo "run: development mode (KUAIDI_DEV_MODE=1): built-in PII keys and a generated signing key"
# PostgreSQL is on this machine's loopback: no TLS on those connections (libpq's default
# `prefer` uses it whenever the server offers it, as Debian's does), unless set otherwise.
export PGSSLMODE="${PGSSLMODE:-disable}"

pids=()
stop_all() {
  trap - INT TERM
  echo "run: stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "run: stopped"
}
trap 'echo; stop_all; exit 0' INT TERM
fail() { # name: says why, shows the end of its log, stops the others
  echo "run: $1; the end of .run/$2.log:" >&2
  tail -n 20 ".run/$2.log" >&2
  stop_all
  exit 1
}

for name in "${names[@]}"; do
  # Own session: a terminal's Ctrl-C reaches this script only, which then asks each process
  # to shut down gracefully (SIGTERM: drain requests, flush the outbox).
  setsid "$CARGO_TARGET_DIR/release/kuaidi-$name" > ".run/$name.log" 2>&1 &
  pids+=($!)
done

deadline=$((SECONDS + 60))
for i in "${!names[@]}"; do
  name=${names[$i]}
  until curl -fs --max-time 2 "http://127.0.0.1:${ports[$i]}/readyz" >/dev/null 2>&1; do
    kill -0 "${pids[$i]}" 2>/dev/null || fail "$name exited during start-up" "$name"
    [ "$SECONDS" -lt "$deadline" ] || fail "$name was not ready within 60 s" "$name"
    sleep 0.5
  done
done

cat <<TXT

Kuaidi is up (logs in .run/<name>.log).
  gateway     http://127.0.0.1:8080
  API docs    http://127.0.0.1:8080/docs
  OpenAPI     http://127.0.0.1:8080/openapi.json
  JWKS        http://127.0.0.1:8080/.well-known/jwks.json
  dashboard   http://127.0.0.1:8080/dashboard
  customers   http://127.0.0.1:8081
  shipments   http://127.0.0.1:8082
  complaints  http://127.0.0.1:8083
  analytics   http://127.0.0.1:8084
  metrics     http://127.0.0.1:9080/metrics (gateway), 9081-9084 (services), management ports only

Admin login: username admin
admin password (used only when the admin user is first created): $pw

Try:
TOKEN=\$(curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"admin","password":"$pw"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
curl -s -X POST http://127.0.0.1:8080/api/v1/customers -H "authorization: Bearer \$TOKEN" -H 'content-type: application/json' -d '{"kind":"business","name":"Acme Trading"}'

Ctrl-C stops all five.
TXT

# Stay up until Ctrl-C, or until one process dies.
while true; do
  for i in "${!names[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || fail "${names[$i]} exited" "${names[$i]}"
  done
  sleep 1
done
