#!/usr/bin/env bash
# `make run`: brings the whole suite up on this machine — PostgreSQL and RabbitMQ (installed and
# started when missing), the five databases, a release build, the five processes — waits until
# every /readyz answers, prints how to use it, and stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}"

bash deploy/ensure-services.sh
bash deploy/create-databases.sh
echo "run: building (release)..."
cargo build --release --bins --quiet

mkdir -p .run
if [ -z "${KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD:-}" ]; then
  [ -s .run/admin-password ] || head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' > .run/admin-password
  KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD=$(cat .run/admin-password)
fi
export KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD

names=(gateway customers shipments complaints analytics)
ports=(8080 8081 8082 8083 8084)
pids=()
stop_all() {
  trap - INT TERM
  echo
  echo "run: stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "run: stopped"
}
trap 'stop_all; exit 0' INT TERM

for i in "${!names[@]}"; do
  name=${names[$i]}
  # Own session: a terminal's Ctrl-C reaches this script only, which then asks each process
  # to shut down gracefully (SIGTERM: drain requests, flush the outbox).
  setsid "$CARGO_TARGET_DIR/release/kuaidi-$name" > ".run/$name.log" 2>&1 &
  pids+=($!)
done

for i in "${!names[@]}"; do
  name=${names[$i]} port=${ports[$i]}
  ready=0
  for _ in $(seq 120); do
    if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then break; fi
    sleep 0.5
  done
  if [ "$ready" != 1 ]; then
    echo "run: $name did not become ready; the end of .run/$name.log:" >&2
    tail -n 20 ".run/$name.log" >&2
    stop_all
    exit 1
  fi
done

pw=$KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD
cat <<TXT

Kuaidi is up.
  gateway     http://127.0.0.1:8080
  API docs    http://127.0.0.1:8080/docs        (OpenAPI: /openapi.json)
  JWKS        http://127.0.0.1:8080/.well-known/jwks.json
  dashboard   http://127.0.0.1:8080/dashboard
  services    customers :8081  shipments :8082  complaints :8083  analytics :8084
  logs        .run/<name>.log

Admin login: username admin, password $pw
  (the password is used when the admin user is first created; it is kept in .run/admin-password)

Try:
  TOKEN=\$(curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \\
    -d '{"username":"admin","password":"$pw"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s -X POST http://127.0.0.1:8080/api/v1/customers -H "authorization: Bearer \$TOKEN" \\
    -H 'content-type: application/json' -d '{"kind":"business","name":"Acme Trading"}'

Ctrl-C stops all five.
TXT

# Stay up until Ctrl-C, or until one process dies.
while true; do
  for i in "${!names[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "run: ${names[$i]} exited; the end of .run/${names[$i]}.log:" >&2
      tail -n 20 ".run/${names[$i]}.log" >&2
      stop_all
      exit 1
    fi
  done
  sleep 1
done
