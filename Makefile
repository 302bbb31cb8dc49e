# Kuaidi — see README.md. `make run` brings the suite up; `make test` is what CI runs.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/kuaidi-target

.PHONY: run test fmt clippy openapi bench

run:
	bash deploy/run.sh

test:
	bash deploy/ensure-services.sh
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	bash deploy/drop-test-databases.sh
	if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace --no-fail-fast; \
	else \
		cargo test --workspace --no-fail-fast; \
	fi

fmt:
	cargo fmt --all

clippy:
	cargo clippy --workspace --all-targets -- -D warnings

openapi:
	KUAIDI_WRITE_DOCS=1 cargo test -p kuaidi-tests --test docs

bench:
	bash bench/run.sh
