# Section of `make bench` (sourced by bench/run.sh): the complaints figures of issue 9 — the SLA
# sweep and the case list over BENCH_COMPLAINTS (100,000) cases, on the benchmark's own database
# (kb_complaints_sla) and an in-process complaints service. Runnable alone:
# `bash -c 'source bench/complaints.sh; bench_complaints /dev/stdout'`.
bench_complaints() {
  local bin="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}/release"
  "$bin/kuaidi-bench-complaints" "${BENCH_COMPLAINTS:-100000}" 2>/dev/null | jq -c . > "$1"
}
