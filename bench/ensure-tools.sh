#!/usr/bin/env bash
# The tools `make bench` drives, installed from Debian when missing: wrk (load), nginx (the proxy
# reference) and, with BENCH_PROFILE=1, perf (linux-perf) for the gateway's profile.
set -euo pipefail
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx-light)
if [ "${BENCH_PROFILE:-0}" = 1 ]; then command -v perf >/dev/null || missing+=(linux-perf); fi
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
