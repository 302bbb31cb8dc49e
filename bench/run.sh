#!/usr/bin/env bash
# `make bench` (SPEC §9): starts the suite (release build, its own kb_* databases, rate limits
# off, logs at warn), seeds shipments, and measures — beside references measured in the same
# run (an actix-web hello-world: the HTTP ceiling; nginx proxying to the shipments service: the
# proxy reference) — public tracking through the gateway and direct, bulk scan ingestion, and
# memory. Prints one table and writes bench/results.json. Loopback only; every load is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}"
DURATION=${BENCH_SECONDS:-10}
SEED=${BENCH_SHIPMENTS:-20000}
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)

bash deploy/ensure-services.sh
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for port in 8080 8081 8082 8083 8084 18090 18091; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench: port $port is busy (is \`make run\` up?)" >&2
    exit 1
  fi
done
echo "bench: building (release)..."
cargo build --release --bins --quiet
# shellcheck source=bench/customers.sh
source bench/customers.sh

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

export RUST_LOG=warn
# Development keys (built-in PII keys, a generated signing key): allowed with this flag only.
export KUAIDI_DEV_MODE=1
export KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password
export KUAIDI_GATEWAY__RATE_LIMITS__PER_PRINCIPAL=0
export KUAIDI_GATEWAY__RATE_LIMITS__PUBLIC_PER_IP=0
names=(gateway customers shipments complaints analytics)
ports=(8080 8081 8082 8083 8084)
for name in "${names[@]}"; do
  db="kb_$name"
  dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db"
  createdb -h 127.0.0.1 -U postgres "$db"
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  env "KUAIDI_${upper}__DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db" \
    "$bin/kuaidi-$name" > "$work/$name.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 120); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
done

rss() { ps -o rss= -p "$1" | awk '{printf "%.1f", $1/1024}'; }
declare -A idle
for i in "${!names[@]}"; do idle[${names[$i]}]=$(rss "${pids[$i]}"); done

token=$(curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
echo "bench: seeding $SEED shipments..."
"$bin/kuaidi-bench-seed" http://127.0.0.1:8080 "$token" "$SEED" 32 > "$work/numbers.txt"
hot=$(head -n 1 "$work/numbers.txt")

"$bin/kuaidi-bench-hello" 18090 > /dev/null 2>&1 &
pids+=($!)
cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream shipments { server 127.0.0.1:8082; keepalive 128; }
  server {
    listen 127.0.0.1:18091;
    location / { proxy_pass http://shipments; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
nginx -c "$work/nginx.conf"
sleep 1

# wrk: requests/s and p99 (ms) at 64 connections.
measure() {
  local out
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$1")
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  echo "$rps $p99"
}
echo "bench: public tracking (wrk, ${DURATION}s each)..."
read -r hello_rps hello_p99 < <(measure "http://127.0.0.1:18090/")
read -r gw_rps gw_p99 < <(measure "http://127.0.0.1:8080/api/v1/tracking/$hot")
read -r direct_rps direct_p99 < <(measure "http://127.0.0.1:8082/api/v1/tracking/$hot")
read -r nginx_rps nginx_p99 < <(measure "http://127.0.0.1:18091/api/v1/tracking/$hot")

echo "bench: bulk ingestion (batches of 1000, ${DURATION}s)..."
ingest=$("$bin/kuaidi-bench-ingest" http://127.0.0.1:8080 "$token" "$work/numbers.txt" "$DURATION" 4)
ingest_eps=$(echo "$ingest" | sed -E 's/.*"events_per_second":([0-9.]+).*/\1/')

declare -A loaded
for i in "${!names[@]}"; do loaded[${names[$i]}]=$(rss "${pids[$i]}"); done

# The customer file at 1 M customers (own service and gateway; after the loads above).
bench_customers "$work/customers.json" || echo '{"error": "see the log above"}' > "$work/customers.json"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
gw_ratio=$(ratio "$gw_rps" "$direct_rps")
nginx_ratio=$(ratio "$nginx_rps" "$direct_rps")
ceiling_ratio=$(ratio "$gw_rps" "$hello_rps")

{
  printf '%-48s %14s %14s %8s\n' figure value reference ratio
  printf '%-48s %14s %14s %8s\n' "public tracking via gateway (req/s)" "$gw_rps" "$hello_rps" "$ceiling_ratio"
  printf '%-48s %14s %14s %8s\n' "public tracking via gateway p99 (ms)" "$gw_p99" "20" "-"
  printf '%-48s %14s %14s %8s\n' "gateway ÷ direct (req/s ratio)" "$gw_ratio" "$nginx_ratio" "nginx"
  printf '%-48s %14s %14s %8s\n' "public tracking direct (req/s)" "$direct_rps" "$nginx_rps" "nginx"
  printf '%-48s %14s %14s %8s\n' "bulk ingestion via gateway (events/s)" "$ingest_eps" "20000" "$(ratio "$ingest_eps" 20000)"
  for name in "${names[@]}"; do
    printf '%-48s %14s %14s %8s\n' "$name RSS idle / after load (MB)" "${idle[$name]} / ${loaded[$name]}" "64 / 256" "-"
  done
} | tee "$work/table.txt"

cat > bench/results.json <<JSON
{
  "measured_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "seconds_per_run": $DURATION,
  "connections": 64,
  "hello_world_rps": $hello_rps, "hello_world_p99_ms": $hello_p99,
  "public_tracking_gateway_rps": $gw_rps, "public_tracking_gateway_p99_ms": $gw_p99,
  "public_tracking_direct_rps": $direct_rps, "public_tracking_direct_p99_ms": $direct_p99,
  "public_tracking_nginx_rps": $nginx_rps, "public_tracking_nginx_p99_ms": $nginx_p99,
  "gateway_over_direct": $gw_ratio, "nginx_over_direct": $nginx_ratio, "gateway_over_ceiling": $ceiling_ratio,
  "ingestion": $ingest,
  "rss_mb_idle": {$(for n in "${names[@]}"; do printf '"%s": %s,' "$n" "${idle[$n]}"; done | sed 's/,$//')},
  "customers": $(cat "$work/customers.json"),
  "rss_mb_after_load": {$(for n in "${names[@]}"; do printf '"%s": %s,' "$n" "${loaded[$n]}"; done | sed 's/,$//')}
}
JSON
echo "bench: results in bench/results.json"
