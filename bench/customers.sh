#!/usr/bin/env bash
# The customers figures of `make bench` (issue 8): classification over 1 000 000 customers with
# 12 months of activity (≤ 60 s) and exact phone search at that size (p99 < 10 ms).
#
# `bench_customers <out.json>` starts its own customers service and gateway (release builds,
# their own kb1m_* databases, their own event exchange so the million customers' events reach
# no other service), seeds the file, runs `kuaidi-bench-customers` and writes its JSON object
# (the `customers` entry of bench/results.json) to <out.json>. Sourced by bench/run.sh; run on
# its own with `bash bench/customers.sh [out.json]`. Loopback only; every load is bounded.
#
# Ports 18180 (gateway) and 18181 (customers): free of `make run` and of the main bench.
# BENCH_CUSTOMERS (default 1000000) and BENCH_SECONDS (default 10) size the run;
# BENCH_CUSTOMERS_SEEDED=1 times again on the file an earlier run seeded.

bench_customers() {
  local out=$1
  local bin="$CARGO_TARGET_DIR/release"
  local dir gw_pid cu_pid status
  dir=$(mktemp -d)
  for port in 18180 18181; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "bench: port $port is busy" >&2
      return 1
    fi
  done
  # BENCH_CUSTOMERS_SEEDED=1 keeps an already-seeded kb1m_customers (seeding takes minutes).
  local dbs=(kb1m_gateway kb1m_customers)
  [ "${BENCH_CUSTOMERS_SEEDED:-0}" = 1 ] && dbs=(kb1m_gateway)
  for db in "${dbs[@]}"; do
    dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db"
    createdb -h 127.0.0.1 -U postgres "$db"
  done
  # Development keys (KUAIDI_DEV_MODE) shared by both processes and the benchmark itself.
  env RUST_LOG=warn KUAIDI_DEV_MODE=1 \
    KUAIDI_CUSTOMERS__DATABASE_URL=postgres://postgres@127.0.0.1:5432/kb1m_customers \
    KUAIDI_CUSTOMERS__HTTP__PORT=18181 KUAIDI_CUSTOMERS__HTTP__METRICS_PORT=0 \
    KUAIDI_CUSTOMERS__AUTH__JWKS_URL=http://127.0.0.1:18180/.well-known/jwks.json \
    KUAIDI_CUSTOMERS__AMQP__EXCHANGE=kb1m.events KUAIDI_CUSTOMERS__AMQP__QUEUE_PREFIX=kb1m. \
    KUAIDI_CUSTOMERS__AMQP__DECLARE_TOPOLOGY=false \
    "$bin/kuaidi-customers" > "$dir/customers.log" 2>&1 &
  cu_pid=$!
  env RUST_LOG=warn KUAIDI_DEV_MODE=1 \
    KUAIDI_GATEWAY__DATABASE_URL=postgres://postgres@127.0.0.1:5432/kb1m_gateway \
    KUAIDI_GATEWAY__HTTP__PORT=18180 KUAIDI_GATEWAY__HTTP__METRICS_PORT=0 \
    KUAIDI_GATEWAY__SERVICES__CUSTOMERS=http://127.0.0.1:18181 \
    KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password \
    KUAIDI_GATEWAY__RATE_LIMITS__PER_PRINCIPAL=0 \
    "$bin/kuaidi-gateway" > "$dir/gateway.log" 2>&1 &
  gw_pid=$!
  for port in 18180 18181; do
    for _ in $(seq 120); do
      curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
      sleep 0.5
    done
  done
  echo "bench: customers (${BENCH_CUSTOMERS:-1000000} seeded in SQL, then search and classification)..." >&2
  if "$bin/kuaidi-bench-customers" postgres://postgres@127.0.0.1:5432/kb1m_customers \
    http://127.0.0.1:18180 http://127.0.0.1:18181 bench-admin-password > "$out"; then
    status=0
  else
    status=$?
    echo "bench: customers failed; logs in $dir" >&2
  fi
  # The million customers' events are unwanted here (their exchange reaches no one): stop
  # without the graceful outbox flush, which would publish them all first.
  kill -TERM "$gw_pid" 2>/dev/null || true
  kill -KILL "$cu_pid" 2>/dev/null || true
  wait "$gw_pid" "$cu_pid" 2>/dev/null || true
  return $status
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}"
  bash deploy/ensure-services.sh
  cargo build --release --quiet --bin kuaidi-gateway --bin kuaidi-customers --bin kuaidi-bench-customers
  bench_customers "${1:-/dev/stdout}"
fi
