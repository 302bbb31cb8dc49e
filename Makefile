# Kuaidi — see README.md. `make run` brings the suite up; `make test` is what CI runs.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/kuaidi-target

.PHONY: run test fmt clippy openapi lint-docs bench fault fuzz manifests

run:
	bash deploy/run.sh

test:
	bash deploy/ensure-services.sh
	bash deploy/ensure-chromium.sh
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	bash deploy/validate-manifests.sh
	$(MAKE) lint-docs
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

# The committed API documents linted: redocly (recommended rules, redocly.yaml) and asyncapi
# validate, at the versions deploy/ensure-linters.sh pins; any error fails.
lint-docs:
	bash deploy/lint-docs.sh

bench:
	bash bench/run.sh

# Whole-system fault tests at a larger size (make test runs them at KUAIDI_FAULT_SHIPMENTS=60).
fault:
	bash fault/run.sh

# Schema-driven fuzzing of the whole API (schemathesis); KUAIDI_FUZZ_SHORT=1 for a short pass.
fuzz:
	bash fuzz/run.sh

# Dockerfile, compose and Kubernetes manifests checked offline.
manifests:
	bash deploy/validate-manifests.sh
