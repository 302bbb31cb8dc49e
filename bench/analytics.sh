# Section of `make bench` (sourced by bench/run.sh): GET /analytics/kpis for a year by day over
# BENCH_ANALYTICS_SHIPMENTS (1,000,000) shipments, per filter, on the benchmark's own analytics
# service and database (kb_analytics_kpis). Needs the suite of bench/run.sh up (it signs in at
# the gateway for a token the analytics service accepts). Seeding a million shipments' rollups
# takes ~8 minutes on the 2-core machine, the 9 filters' requests one or two more:
# bench-timeout: 1200
bench_analytics() {
  local bin="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}/release"
  local token
  token=$(curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'content-type: application/json' \
    -d '{"username":"admin","password":"bench-admin-password"}' | jq -r .access_token)
  # The tool prints its figures (the `analytics` entry of bench/results.json) as one line.
  "$bin/kuaidi-bench-analytics" "$bin/kuaidi-analytics" "$token" \
    "${BENCH_ANALYTICS_SHIPMENTS:-1000000}" > "$1"
}
