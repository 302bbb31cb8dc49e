#!/usr/bin/env bash
# `make fault`: whole-system fault tests (SPEC §10, issue 12) — the five real processes (debug
# builds) on their own databases, RabbitMQ and PostgreSQL behind TCP proxies the tests cut:
# kill -9 of every service and a broker cut under load, then counts compared exactly; PostgreSQL
# cut → 503 problem+json and recovery; RabbitMQ down at start-up → not ready, then catch-up.
#
# KUAIDI_FAULT_SHIPMENTS: shipments created at least (default 2000 here; `make test` runs the
# same tests with 60). Loopback only; bounded by nextest's slow-timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kuaidi-target}"
export KUAIDI_FAULT_SHIPMENTS="${KUAIDI_FAULT_SHIPMENTS:-2000}"

bash deploy/ensure-services.sh
cargo build --bins --quiet
echo "fault: ${KUAIDI_FAULT_SHIPMENTS} shipments under kill -9 and broker cuts..."
# cargo test, not nextest: a large size outlasts nextest's slow-timeout; one test at a time, so
# the load test has the machine to itself.
cargo test -p kuaidi-tests --test fault -- --test-threads=1
