#!/usr/bin/env bash
# `make bench` (SPEC §9): starts the suite (release build, its own kb_* databases, rate limits
# off, logs at warn), seeds shipments, and measures, each figure beside its goal and a reference
# measured in the same run:
#   http       the actix-web hello-world ceiling, the shipments service direct, nginx proxying
#              to it (two workers and one), a bare hyper proxy (bench/src/bin/proxy.rs) and the
#              gateway — public tracking of one hot number — interleaved over BENCH_ROUNDS
#              rounds so the ratios compare like with like, with each proxy's CPU per request;
#              the authenticated GET /shipments/{tracking_number} through the gateway;
#   ingestion  bulk scans through the gateway in batches of 1000 (after a warm-up pass), with the
#              event propagation probe (scan accepted -> visible in GET /analytics/kpis) beside it, the
#              queue backlog it leaves and how long it takes to drain;
#   memory     every process's RSS idle and its peak under the loads above;
#   <key>      every section bench/<key>.sh (a function bench_<key>; see below and
#              bench/src/lib.rs), e.g. customers, complaints, analytics.
# Prints one table and writes bench/results.json. Loopback only; every load is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}"
DURATION=${BENCH_SECONDS:-10}
# The main ingestion pass, with the propagation probe beside it: the goal (issue 11) is 20,000
# scans/s and its propagation bounds *sustained for 60 s*; the warm-up and diagnostic passes
# take BENCH_SECONDS.
INGEST_SECONDS=${BENCH_INGEST_SECONDS:-60}
# The HTTP targets alternate in short windows: this machine's speed moves by a third between
# consecutive 10-second windows (2026-12-04: direct 71.8k then 95.1k req/s, the authenticated
# read 34.1k then 22.9k), so five rounds of 4 s compare like with like better than two of 10.
ROUNDS=${BENCH_ROUNDS:-5}
HTTP_SECONDS=${BENCH_HTTP_SECONDS:-4}
SEED=${BENCH_SHIPMENTS:-20000}
# One probe shipment per probe (~6.5 a second under the load): enough for the 60 s pass.
PROBES=${BENCH_PROBES:-1000}
# A section's time budget: its own `# bench-timeout: <s>` line, else 600 s; BENCH_SECTION_TIMEOUT
# overrides both.
SECTION_TIMEOUT=${BENCH_SECTION_TIMEOUT:-}
# BENCH_PARTS: which parts run (default all: "http ingestion sections"); BENCH_SECTIONS: which
# sections (default every bench/<key>.sh), e.g. BENCH_PARTS=ingestion for that part alone.
PARTS=${BENCH_PARTS:-http ingestion sections}
part() { [[ " $PARTS " == *" $1 "* ]]; }
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
rows="$work/rows"
mkdir -p "$rows"

bash deploy/ensure-services.sh
bash bench/ensure-tools.sh
for port in 8080 8081 8082 8083 8084 18090 18091 18092 18093 18094; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench: port $port is busy (is \`make run\` up?)" >&2
    exit 1
  fi
done
echo "bench: building (release)..."
cargo build --release --bins --quiet

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
  for f in "$work"/nginx*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
echo "bench: work directory $work (logs, raw figures)"

# row <section> <figure> <value> <unit> <goal> <reference> [met: true|false]
row() {
  printf '{"name":"%s","value":%s,"unit":"%s","goal":"%s","reference":"%s","met":%s}\n' \
    "$2" "${3:-null}" "$4" "$5" "$6" "${7:-null}" >> "$rows/$1.jsonl"
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
holds() { awk "BEGIN { print ($1) ? \"true\" : \"false\" }"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
export RUST_LOG=warn
# Loopback PostgreSQL, as `make run` connects to it: no TLS (measured: ~2.5 % of the machine's
# CPU in OpenSSL, both ends, under the ingestion load).
export PGSSLMODE=disable
# Development keys (built-in PII keys, a generated signing key): allowed with this flag only.
export KUAIDI_DEV_MODE=1
export KUAIDI_GATEWAY__BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password
export KUAIDI_GATEWAY__RATE_LIMITS__PER_PRINCIPAL=0
export KUAIDI_GATEWAY__RATE_LIMITS__PUBLIC_PER_IP=0
names=(gateway customers shipments complaints analytics)
ports=(8080 8081 8082 8083 8084)
# The services' queues start empty and bound only as the services declare them (no backlog or
# binding left by an earlier run or release).
for q in customers shipments complaints analytics; do
  for suffix in "" .retry .dlq; do rabbitmqctl -q delete_queue "$q.events$suffix" >/dev/null 2>&1 || true; done
done
for name in "${names[@]}"; do
  db="kb_$name"
  dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db"
  createdb -h 127.0.0.1 -U postgres "$db"
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  export "KUAIDI_BENCH_DB_$upper=postgres://postgres@127.0.0.1:5432/$db"
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

# A process's RSS in MB, into $mb: read from /proc by the shell itself, with no process started
# (the sampler runs beside the loads; `ps` and `awk` five times a second cost ~4 % of the CPU).
rss() {
  local key value _
  mb=0
  while read -r key value _; do
    if [ "$key" = VmRSS: ]; then mb="$((value / 1024)).$(((value % 1024) * 10 / 1024))"; return; fi
  done < "/proc/$1/status"
}
declare -A idle peak
for i in "${!names[@]}"; do rss "${pids[$i]}"; idle[${names[$i]}]=$mb; done
# Every process's RSS every half second from here to the end of the run; the peaks at the end.
sample_rss() {
  while true; do
    for i in "${!names[@]}"; do rss "${pids[$i]}"; echo "${names[$i]} $mb"; done
    sleep 0.5
  done
}
sample_rss > "$work/rss.txt" &
pids+=($!)

token=$(curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
export KUAIDI_BENCH_GATEWAY=http://127.0.0.1:8080 KUAIDI_BENCH_TOKEN="$token" BENCH_SECONDS="$DURATION"
# The authenticated read is measured as an operator, who sees recipients masked: an admin's
# reads are unmasked, so each one also writes a PII-read audit row (SPEC §3).
curl -fs -X POST http://127.0.0.1:8080/api/v1/users -H "authorization: Bearer $token" \
  -H 'content-type: application/json' \
  -d '{"username":"bench-operator","password":"Kd-perf-2026-load","role":"operator","display_name":"bench"}' > /dev/null
operator=$(curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"username":"bench-operator","password":"Kd-perf-2026-load"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
echo "bench: seeding $SEED shipments (+$PROBES probes)..."
"$bin/kuaidi-bench-seed" http://127.0.0.1:8080 "$token" "$((SEED + PROBES))" 32 > "$work/seeded.txt"
head -n "$SEED" "$work/seeded.txt" > "$work/numbers.txt"
tail -n +"$((SEED + 1))" "$work/seeded.txt" > "$work/probes.txt"
hot=$(head -n 1 "$work/numbers.txt")

"$bin/kuaidi-bench-hello" 18090 > /dev/null 2>&1 &
pids+=($!)
# nginx twice: two workers (one per core, nginx's `auto` here) and one. On this 2-core machine,
# where wrk and the service share the cores with the proxy, one worker is the faster nginx
# (2026-12-04 21:30: 45-48k req/s against 32-45k, 17.5 against 20-24 µs of CPU per request):
# the hop's goal is judged against whichever answers more in the run.
nginx_conf() {
  cat > "$work/nginx$1.conf" <<NGINX
worker_processes $1;
pid $work/nginx$1.pid;
error_log $work/nginx$1-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream shipments { server 127.0.0.1:8082; keepalive 128; }
  server {
    listen 127.0.0.1:$2;
    location / { proxy_pass http://shipments; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
  nginx -c "$work/nginx$1.conf"
}
nginx_conf 2 18091
nginx_conf 1 18093
# The second reference for the hop: hyper on both sides and no logic (bench/src/bin/proxy.rs).
"$bin/kuaidi-bench-proxy" 18092 127.0.0.1:8082 > "$work/proxy.log" 2>&1 &
pids+=($!)
hyper_pid=$!
sleep 1

# wrk at 64 connections: "<requests/s> <p99 ms> <requests>".
measure() {
  local out
  out=$(wrk -t2 -c64 -d"${HTTP_SECONDS}s" --latency "$@")
  # A figure counts answers, not errors (an expired token would make the authenticated read
  # a fast 401).
  if echo "$out" | grep -q "Non-2xx"; then
    echo "  warning: $(echo "$out" | grep "Non-2xx") for $*" >&2
  fi
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}')
  echo "$rps $p99 $(echo "$out" | awk '/requests in/ {print $1}')"
}
# The CPU time (user + system, clock ticks) the processes $@ have used so far, into $ticks.
cpu_ticks() {
  local p f
  ticks=0
  for p in "$@"; do
    read -r -a f < "/proc/$p/stat" || continue
    ticks=$((ticks + f[13] + f[14]))
  done
}
# Each proxy's processes, whose CPU per request is measured beside its requests per second:
# less noisy than the rate on a machine whose speed moves between windows.
declare -A proxy_pids=(
  [nginx]="$(pgrep -P "$(cat "$work/nginx2.pid")" | tr '\n' ' ')"
  [nginx1]="$(pgrep -P "$(cat "$work/nginx1.pid")" | tr '\n' ' ')"
  [hyper]=$hyper_pid
  [gateway]=${pids[0]}
)
declare -A cpu_used served
clock_ticks=$(getconf CLK_TCK)
declare -A rps p99
targets=(hello direct nginx nginx1 hyper gateway auth)
for t in "${targets[@]}"; do rps[$t]=0; p99[$t]=0; cpu_used[$t]=0; served[$t]=0; done
tracking=/api/v1/tracking/$hot
# Every consuming queue's depth, "<queue> <messages>" per line.
depths() { rabbitmqctl -q list_queues name messages 2>/dev/null | awk '$1 ~ /^(customers|shipments|complaints|analytics)\.events$/ { print $1 "=" $2 }'; }
# The total; empty when rabbitmqctl did not answer (it times out on a loaded machine).
backlog() { depths | awk -F= '{ s += $2; n++ } END { if (n) print s }'; }
# Waits (at most 180 s) until the queues are empty; prints the seconds it took.
drain() {
  local start=$SECONDS
  local left
  while [ $((SECONDS - start)) -lt 180 ]; do
    left=$(backlog)
    [ "$left" = 0 ] && break
    sleep 1
  done
  if [ $((SECONDS - start)) -ge 180 ]; then
    # Not drained: what the services' database sessions are doing, for the reader.
    psql -h 127.0.0.1 -U postgres -d postgres -c "SELECT datname, state, wait_event_type, wait_event,
      now() - xact_start AS in_xact, left(query, 100) AS query FROM pg_stat_activity
      WHERE datname LIKE 'kb_%' AND state <> 'idle'" > "$work/not-drained-$SECONDS.txt" 2>&1 || true
    echo "  not drained after 180 s: $(depths | tr '\n' ' '); sessions in $work/not-drained-*.txt" >&2
  fi
  echo $((SECONDS - start))
}
# The seeding's own events (one shipment.created per shipment) are consumed before any load:
# the HTTP figures are not measured beside consumers working off a backlog, nor the
# propagation behind it.
echo "bench: waiting for the seeding's events to be consumed..."
seeded_drain=$(drain)
if part http; then
echo "bench: HTTP, $ROUNDS interleaved rounds of ${#targets[@]} x ${HTTP_SECONDS}s..."
for round in $(seq "$ROUNDS"); do
  for t in "${targets[@]}"; do
    # shellcheck disable=SC2086 # the pids are words
    cpu_ticks ${proxy_pids[$t]:-}
    before=$ticks
    case $t in
      hello) r=$(measure "http://127.0.0.1:18090/") ;;
      direct) r=$(measure "http://127.0.0.1:8082$tracking") ;;
      nginx) r=$(measure "http://127.0.0.1:18091$tracking") ;;
      nginx1) r=$(measure "http://127.0.0.1:18093$tracking") ;;
      hyper) r=$(measure "http://127.0.0.1:18092$tracking") ;;
      gateway) r=$(measure "http://127.0.0.1:8080$tracking") ;;
      auth) r=$(measure -H "Authorization: Bearer $operator" "http://127.0.0.1:8080/api/v1/shipments/$hot") ;;
    esac
    read -r a b n <<< "$r"
    # shellcheck disable=SC2086
    cpu_ticks ${proxy_pids[$t]:-}
    cpu_used[$t]=$((cpu_used[$t] + ticks - before))
    served[$t]=$((served[$t] + ${n:-0}))
    echo "  round $round $t: $a req/s, p99 $b ms"
    rps[$t]=$(calc "${rps[$t]} + $a / $ROUNDS")
    # The worst round's p99.
    p99[$t]=$(awk -v x="${p99[$t]}" -v y="$b" 'BEGIN { print (y > x) ? y : x }')
  done
done
gw_direct=$(calc "${rps[gateway]} / ${rps[direct]}")
# The reference for the hop: the faster nginx of the run.
best_nginx=nginx
[ "$(holds "${rps[nginx1]} > ${rps[nginx]}")" = true ] && best_nginx=nginx1
nginx_direct=$(calc "${rps[$best_nginx]} / ${rps[direct]}")
# µs of CPU per request over the rounds.
per_request() {
  awk "BEGIN { n = ${served[$1]}; printf \"%.1f\", (n > 0 ? ${cpu_used[$1]} * 1000000 / $clock_ticks / n : 0) }"
}
row http "hello-world ceiling (the reference)" "${rps[hello]}" "req/s" "" "actix-web, 1 route"
row http "public tracking, shipments direct" "${rps[direct]}" "req/s" "≥ 0.5 × hello" \
  "$(calc "${rps[direct]} / ${rps[hello]}") × hello" "$(holds "${rps[direct]} >= 0.5 * ${rps[hello]}")"
row http "public tracking, nginx (2 workers) → shipments" "${rps[nginx]}" "req/s" "" \
  "$(calc "${rps[nginx]} / ${rps[direct]}") × direct; $(per_request nginx) µs CPU per request"
row http "public tracking, nginx (1 worker) → shipments" "${rps[nginx1]}" "req/s" "" \
  "$(calc "${rps[nginx1]} / ${rps[direct]}") × direct; $(per_request nginx1) µs CPU per request"
row http "public tracking, bare hyper proxy → shipments" "${rps[hyper]}" "req/s" "" \
  "$(calc "${rps[hyper]} / ${rps[direct]}") × direct; $(per_request hyper) µs CPU per request"
row http "public tracking, gateway → shipments" "${rps[gateway]}" "req/s" "≥ 0.2 × hello" \
  "$(calc "${rps[gateway]} / ${rps[hello]}") × hello; $(per_request gateway) µs CPU per request" \
  "$(holds "${rps[gateway]} >= 0.2 * ${rps[hello]}")"
row http "gateway ÷ direct (hop cost)" "$gw_direct" "ratio" "≥ nginx ÷ direct (the faster nginx)" \
  "$best_nginx ÷ direct $nginx_direct" "$(holds "$gw_direct >= $nginx_direct")"
row http "public tracking via gateway, p99 (worst round)" "${p99[gateway]}" "ms" "< 20 ms" \
  "direct ${p99[direct]}, nginx ${p99[nginx]} / ${p99[nginx1]}" "$(holds "${p99[gateway]} < 20")"
row http "authenticated GET /shipments/{tn} via gateway (operator)" "${rps[auth]}" "req/s" "≥ 0.9 × public" \
  "$(calc "${rps[auth]} / ${rps[gateway]}") × public" "$(holds "${rps[auth]} >= 0.9 * ${rps[gateway]}")"
row http "authenticated GET via gateway, p99 (worst round)" "${p99[auth]}" "ms" "" ""

# BENCH_PROFILE=1: where the gateway spends its time on public tracking (perf, self time per
# symbol), written to bench/profiles/gateway-public-tracking.txt.
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  echo "bench: profiling the gateway (${DURATION}s)..."
  mkdir -p bench/profiles
  perf record -F 999 -o "$work/gateway.perf" -p "${pids[0]}" -- sleep "$DURATION" > /dev/null 2>&1 &
  profiler=$!
  measure "http://127.0.0.1:8080$tracking" > /dev/null
  wait "$profiler" || true
  perf report -i "$work/gateway.perf" --stdio --no-children --sort dso,symbol --percent-limit 0.5 2>/dev/null \
    | grep -v '^$' | sed 's/  */ /g' | cut -c1-160 > bench/profiles/gateway-public-tracking.txt || true
fi
fi

# ingest <label>: the load with the probe beside it; leaves $ingest_eps and the peaks.
ingest() {
  local seconds=$DURATION
  [ "$1" = main ] && seconds=$INGEST_SECONDS
  "$bin/kuaidi-bench-ingest" http://127.0.0.1:8080 "$token" "$work/numbers.txt" "$seconds" 4 > "$work/ingest-$1.json" &
  local load=$!
  if [ "$1" = main ]; then
    # Where the CPU goes under the load (the middle of it, past the first second).
    "$bin/kuaidi-bench-cpu" ingestion "$((seconds > 4 ? seconds - 3 : 1))" 1 > "$work/cpu-ingestion.jsonl" &
    local cpu=$!
    "$bin/kuaidi-bench-propagation" http://127.0.0.1:8080 "$token" "$work/probes.txt" "$seconds" >> "$rows/ingestion.jsonl" || true
  fi
  wait "$load"
  if [ "$1" = main ] && wait "$cpu"; then cat "$work/cpu-ingestion.jsonl" >> "$rows/ingestion.jsonl"; fi
  ingest_eps=$(sed -E 's/.*"events_per_second":([0-9.]+).*/\1/' "$work/ingest-$1.json")
}
if part ingestion; then
row ingestion "seeding's backlog drained before the loads" "$seeded_drain" "s" "" ""
# The first pass over freshly seeded shipments runs slower than every later one (13.3k, then
# 15.4k, 17.4k and, consumers stopped, 18.4k events/s in one run's four passes), whatever runs
# beside it: the goal is a sustained rate, so one pass warms up, reported but not the figure.
echo "bench: warm-up pass of bulk ingestion (${DURATION}s)..."
ingest warmup
row ingestion "warm-up: first pass over the seeded shipments (not the figure)" "$ingest_eps" "events/s" "" ""
drain > /dev/null
echo "bench: bulk ingestion (batches of 1000, ${INGEST_SECONDS}s) with the propagation probe..."
ingest main
row ingestion "bulk ingestion via gateway (batches of 1000)" "$ingest_eps" "events/s" "≥ 20000 events/s" \
  "$(sed -E 's/.*"accepted":([0-9]+).*"not_accepted":([0-9]+).*/\1 accepted, \2 not/' "$work/ingest-main.json")" \
  "$(holds "$ingest_eps >= 20000")"
queues=$(depths | tr '\n' ' ')
left=$(echo "$queues" | tr ' ' '\n' | awk -F= 'NF == 2 { s += $2 } END { print s + 0 }')
echo "  queues after the load: $queues"
row ingestion "queue backlog when the load stops (all services)" "$left" "messages" "" "$queues"
row ingestion "time for the consumers to drain it (bound 180 s)" "$(drain)" "s" "" ""
# Diagnostic: the same load with the other services' consumers stopped (SIGSTOP), to tell the
# cost of ingestion itself from that of the consumers sharing the machine.
signal_consumers() {
  for i in "${!names[@]}"; do
    case ${names[$i]} in customers|complaints|analytics) kill "-$1" "${pids[$i]}" ;; esac
  done
}
signal_consumers STOP
ingest alone
signal_consumers CONT
row ingestion "diagnostic: same load, other services' consumers stopped" "$ingest_eps" "events/s" "" \
  "shipments' own consumer still runs" ""
row ingestion "time to drain after the diagnostic load" "$(drain)" "s" "" ""
fi

# Sections: bench/<key>.sh defines `bench_<key> <out>`, which writes its figures to <out> —
# rows (one JSON object {name, value, unit, goal, reference, met} per line, see
# bench/src/lib.rs) or one JSON object, kept as it is in results.json and shown by its numbers.
if part sections; then
for hook in bench/*.sh; do
  key=$(basename "$hook" .sh)
  [ "$key" = run ] || [ "$key" = ensure-tools ] && continue
  grep -q "^bench_$key()" "$hook" || continue
  if [ -n "${BENCH_SECTIONS:-}" ] && [[ " $BENCH_SECTIONS " != *" $key "* ]]; then continue; fi
  limit=${SECTION_TIMEOUT:-$(sed -n 's/^# bench-timeout: *\([0-9][0-9]*\).*/\1/p' "$hook" | head -n 1)}
  limit=${limit:-600}
  echo "bench: section $key (at most ${limit}s)..."
  # What earlier parts wrote is on disk before the section times anything of its own.
  psql -h 127.0.0.1 -U postgres -q -c CHECKPOINT postgres
  # timeout signals the whole process group: whatever the section started stops with it.
  timeout "$limit" bash -c 'set -euo pipefail; source "$1"; "bench_$2" "$3"' _ \
    "$hook" "$key" "$work/section-$key.out" || echo "  section $key failed or timed out (status $?)" >&2
  if [ -s "$work/section-$key.out" ]; then cp "$work/section-$key.out" "$rows/$key.jsonl"; fi
done
fi

for name in "${names[@]}"; do
  peak[$name]=$(awk -v n="$name" '$1 == n && $2 > m { m = $2 } END { printf "%.1f", m }' "$work/rss.txt")
  row memory "$name RSS idle" "${idle[$name]}" "MB" "< 64 MB" "" "$(holds "${idle[$name]} < 64")"
  row memory "$name RSS peak under load" "${peak[$name]}" "MB" "< 256 MB" "" "$(holds "${peak[$name]} < 256")"
done

note="$(nproc) cores; load average before the run $load_before; ${DURATION}s per load (the main ingestion pass ${INGEST_SECONDS}s), $ROUNDS interleaved HTTP rounds of ${HTTP_SECONDS}s (mean req/s, worst p99), wrk -t2 -c64"
# A partial run (BENCH_PARTS, BENCH_SECTIONS) leaves the committed results alone.
out=bench/results.json
if [ -n "${BENCH_PARTS:-}${BENCH_SECTIONS:-}" ]; then out=$work/results.json; fi
"$bin/kuaidi-bench-report" "$rows" "$out" "$note"
echo "bench: results in $out"
