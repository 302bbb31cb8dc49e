#!/usr/bin/env python3
"""Checks of the deployment files that no schema can make (called by validate-manifests.sh).

    check-manifests.py REPO_ROOT RENDERED_DIR

RENDERED_DIR holds `dev.yaml` and `prod.yaml` (the rendered kustomize overlays). Checks:

* configuration: the keys each process reads are found in its settings structs (serde
  `Deserialize` in shared/src/settings.rs and <crate>/src/configuration.rs) and its defaults
  (COMMON_DEFAULTS, config/default.toml). In every overlay and in deploy/compose.yaml, every
  `KUAIDI_...` variable must name a key the process reads (no typos), every key without a
  default must be set, and every default that only suits a developer machine (127.0.0.1,
  development keys) must be overridden;
* the management port: `http.metrics_port` = the `metrics` container port = the scrape
  annotation (SPEC §2), and `http.port` = the `http` container port the probes use;
* workloads: probes on /readyz and /healthz, a grace period longer than the 20 s drain,
  memory requests and limits, a Service and a PodDisruptionBudget per process, HPAs for the
  gateway and shipments (whose Deployments leave `replicas` to them);
* secrets: prod contains no Secret; every Secret a workload reads exists (dev) or is listed in
  overlays/prod/required-secrets.yaml or made by an operator (prod);
* NetworkPolicies: every pod selector selects pods that exist in the overlay.
"""
import os
import re
import sys
import tomllib

import yaml

PROCESSES = {
    "gateway": ("GATEWAY", "gateway"),
    "customers": ("CUSTOMERS", "services/customers"),
    "shipments": ("SHIPMENTS", "services/shipments"),
    "complaints": ("COMPLAINTS", "services/complaints"),
    "analytics": ("ANALYTICS", "services/analytics"),
}
# Defaults that are right on a developer's machine and wrong anywhere else.
DEV_ONLY = re.compile(r"127\.0\.0\.1|localhost|ZGV2LW9ubHk")
DEV_ONLY_KEYS = ("pii.keys", "pii.blind_index_key", "pii.active_key_id")
DRAIN_SECONDS = 20
# Keys the SPEC gives every process that its code may not read yet (SPEC §2: the management
# port). Accepted as known; once the settings structs have them they are checked like any key.
SPEC_KEYS = {"http.metrics_port"}
notes = set()

errors = []


def error(where, message):
    errors.append(f"{where}: {message}")


# ---------------------------------------------------------------- what each process reads


def rust_structs(paths):
    """`struct Name { fields }` of the given files: name -> [(field, type, optional)]."""
    structs = {}
    for path in paths:
        text = open(path).read()
        for m in re.finditer(r"(?:pub )?struct (\w+)\s*\{(.*?)\n\}", text, re.S):
            fields, attrs = [], ""
            for line in m.group(2).splitlines():
                line = line.strip()
                if line.startswith("#["):
                    attrs += line
                    continue
                f = re.match(r"(?:pub )?(\w+)\s*:\s*(.+?),?$", line)
                if f:
                    if "serde(skip" not in attrs:
                        fields.append((f.group(1), f.group(2), "serde(default" in attrs))
                    attrs = ""
                elif not line.startswith("//"):
                    attrs = ""
            structs[m.group(1)] = fields
    return structs


def leaf_keys(structs, type_name, prefix=""):
    """Every configuration key below a struct: key -> (optional, is_map)."""
    keys = {}
    for field, ty, defaulted in structs[type_name]:
        key = f"{prefix}{field}"
        ty = re.sub(r"\b[\w]+::", "", ty)  # drop paths
        optional = defaulted
        if ty.startswith("Option<"):
            ty, optional = ty[len("Option<"):-1], True
        if ty.startswith("Vec<"):
            keys[key] = (optional, "list")
        elif ty.startswith(("BTreeMap<", "HashMap<")):
            keys[key] = (optional, "map")
        elif ty in structs:
            for k, (opt, kind) in leaf_keys(structs, ty, key + ".").items():
                keys[k] = (opt or optional, kind)
        else:
            keys[key] = (optional, "value")
    return keys


def flatten(table, prefix=""):
    out = {}
    for k, v in table.items():
        if isinstance(v, dict) and v:
            out.update(flatten(v, f"{prefix}{k}."))
        out[f"{prefix}{k}"] = v
    return out


def settings_of(root):
    """process -> (env prefix, keys read, defaults) from the code."""
    shared = os.path.join(root, "shared/src/settings.rs")
    common = re.search(r'COMMON_DEFAULTS: &str = r#"(.*?)"#', open(shared).read(), re.S).group(1)
    result = {}
    for name, (env, crate) in PROCESSES.items():
        conf = os.path.join(root, crate, "src/configuration.rs")
        src = open(conf).read()
        structs = rust_structs([shared, conf])
        roots = []
        if "load_service(" in src:
            roots.append("ServiceSettings")
        roots += re.findall(r"let \w+: (\w+) =\s*[\w:]*load\(\s*\"%s\"" % env, src)
        roots += re.findall(r"Result<(\w+)>\s*\{\s*[\w:]*load\(\s*\"%s\"" % env, src)
        keys = {}
        for r in roots:
            keys.update(leaf_keys(structs, r))
        defaults = tomllib.loads(open(os.path.join(root, crate, "config/default.toml")).read())
        if "ServiceSettings" in roots:
            merged = tomllib.loads(common)
            for k, v in defaults.items():
                merged[k] = {**merged.get(k, {}), **v} if isinstance(v, dict) else v
            defaults = merged
        if not keys:
            error(conf, "found no settings struct loaded for " + env)
        result[name] = (env, keys, flatten(defaults))
    return result


def key_of(env_prefix, var):
    """`KUAIDI_SHIPMENTS__HTTP__PORT` -> `http.port`; None for variables of nobody's."""
    if var == "KUAIDI_AMQP_URL":
        return "amqp.url"
    head = f"KUAIDI_{env_prefix}__"
    if var.startswith(head):
        return var[len(head):].lower().replace("__", ".")
    return None


def check_env(where, name, settings, env):
    """env: variable -> value (None when it comes from a Secret)."""
    prefix, keys, defaults = settings[name]
    set_keys = {}
    for var, value in env.items():
        if not var.startswith("KUAIDI_"):
            continue
        key = key_of(prefix, var)
        if key is None:
            error(where, f"{var} is not read by {name} (its variables start KUAIDI_{prefix}__)")
            continue
        base = re.sub(r"\[\d+\]", "", key)
        known = base in keys or any(
            base.startswith(k + ".") and kind in ("map", "list") for k, (_, kind) in keys.items()
        )
        if not known and base in SPEC_KEYS:
            notes.add(f"`{base}` (SPEC) is set but not read by the code of this branch yet")
        elif not known:
            error(where, f"{var}: {name} reads no key `{key}`")
        set_keys[key] = value
    for key, (optional, kind) in sorted(keys.items()):
        is_set = key in set_keys or any(k.startswith(key + ".") or k.startswith(key + "[") for k in set_keys)
        if key == "amqp.url" and "amqp.url" not in defaults and not is_set:
            error(where, f"{name}: KUAIDI_AMQP_URL is not set")
        if not is_set and not optional and key not in defaults:
            error(where, f"{name}: `{key}` has no default and is not set")
        default = defaults.get(key)
        dev_only = key.startswith(DEV_ONLY_KEYS) or (
            isinstance(default, str) and DEV_ONLY.search(default) is not None
        )
        if default is not None and dev_only and not is_set:
            error(where, f"{name}: `{key}` keeps its development default {default!r}")
    for key, value in set_keys.items():
        if value is not None and DEV_ONLY.search(str(value)) and "dev" not in where:
            error(where, f"{name}: `{key}` set to a development value {value!r}")
    return set_keys


# --------------------------------------------------------------------- rendered overlays


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def required_secrets(root):
    with open(os.path.join(root, "deploy/k8s/overlays/prod/required-secrets.yaml")) as f:
        spec = yaml.safe_load(f)
    return spec["secrets"], set(spec["operator_secrets"])


def secret_keys(overlay, docs, root, name):
    """Keys of a Secret, or None when it is made by an operator (keys unknown here)."""
    secrets = by_kind(docs, "Secret")
    if name in secrets:
        return set(secrets[name].get("data", {})) | set(secrets[name].get("stringData", {}))
    listed, operators = required_secrets(root)
    if overlay == "prod" and name in listed:
        return set(listed[name]["keys"]) | {
            f"<{p}>" for p in listed[name].get("key_patterns", [])
        }
    if name in operators or re.match(r"pg-\w+-app$", name):
        return None
    error(overlay, f"Secret {name} is read but neither in the overlay nor listed as required")
    return set()


def container_env(overlay, docs, root, container):
    """The container's environment: variable -> value (None: from a Secret)."""
    env = {}
    maps = by_kind(docs, "ConfigMap")
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            cm = maps.get(source["configMapRef"]["name"])
            if cm is None:
                error(overlay, f"ConfigMap {source['configMapRef']['name']} does not exist")
                continue
            for k, v in cm.get("data", {}).items():
                env[prefix + k] = v
        if "secretRef" in source:
            keys = secret_keys(overlay, docs, root, source["secretRef"]["name"])
            for k in keys or []:
                if k.startswith("<"):  # a pattern of keys: one example of it
                    k = "PII__KEYS__EXAMPLE" if "PII__KEYS" in k else k.strip("<>")
                env[prefix + k] = None
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            keys = secret_keys(overlay, docs, root, ref["name"])
            if keys is not None and ref["key"] not in keys:
                error(overlay, f"Secret {ref['name']} has no key {ref['key']}")
            env[var["name"]] = None
        else:
            env[var["name"]] = var.get("value")
    return env


def check_workloads(overlay, docs, root, settings):
    deployments = by_kind(docs, "Deployment")
    services = by_kind(docs, "Service")
    pdbs = by_kind(docs, "PodDisruptionBudget")
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    for name in PROCESSES:
        where = f"{overlay}/{name}"
        d = deployments.get(name)
        if d is None:
            error(where, "no Deployment")
            continue
        pod = d["spec"]["template"]
        spec = pod["spec"]
        c = spec["containers"][0]
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            error(where, "readiness probe is not GET /readyz")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
            error(where, "liveness probe is not GET /healthz")
        for probe in ("readinessProbe", "livenessProbe"):
            if c.get(probe, {}).get("httpGet", {}).get("port") not in ("http", ports.get("http")):
                error(where, f"{probe} is not on the http port")
        pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        grace = spec.get("terminationGracePeriodSeconds", 30)
        if grace <= DRAIN_SECONDS + pre_stop:
            error(where, f"grace period {grace}s is not longer than the {DRAIN_SECONDS}s drain + {pre_stop}s")
        res = c.get("resources", {})
        if not res.get("requests", {}).get("memory") or not res.get("limits", {}).get("memory"):
            error(where, "memory requests and limits are not both set")
        env = container_env(overlay, docs, root, c)
        set_keys = check_env(where, name, settings, env)
        if str(set_keys.get("http.port")) != str(ports.get("http")):
            error(where, f"http.port {set_keys.get('http.port')} is not the http container port {ports.get('http')}")
        metrics = set_keys.get("http.metrics_port")
        annotations = pod["metadata"].get("annotations", {})
        if metrics is None or str(metrics) != str(ports.get("metrics")) or str(metrics) != annotations.get("prometheus.io/port"):
            error(where, f"metrics port: setting {metrics}, container port {ports.get('metrics')}, scrape annotation {annotations.get('prometheus.io/port')} differ")
        if set_keys.get("http.host") != "0.0.0.0":
            error(where, "http.host must be 0.0.0.0 in a pod")
        labels = pod["metadata"]["labels"]
        if not any(matches(s["spec"].get("selector", {}), labels) for s in services.values()):
            error(where, "no Service selects its pods")
        if not any(matches(p["spec"]["selector"].get("matchLabels", {}), labels) for p in pdbs.values()):
            error(where, "no PodDisruptionBudget")
    for name in ("gateway", "shipments"):
        if name not in hpas:
            error(f"{overlay}/{name}", "no HorizontalPodAutoscaler")
    for hpa in hpas.values():
        target = deployments.get(hpa["spec"]["scaleTargetRef"]["name"])
        if target is None:
            error(f"{overlay}/hpa/{hpa['metadata']['name']}", "scales no Deployment of the overlay")
        elif "replicas" in target["spec"]:
            error(f"{overlay}/{target['metadata']['name']}", "sets replicas although an HPA owns them")


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_label_sets(docs):
    sets = [d["spec"]["template"]["metadata"]["labels"] for d in by_kind(docs, "Deployment").values()]
    sets += [{"cnpg.io/cluster": n} for n in by_kind(docs, "Cluster")]
    sets += [{"app.kubernetes.io/name": n} for n in by_kind(docs, "RabbitmqCluster")]
    return sets


def selects_something(selector, label_sets):
    def ok(labels):
        for k, v in selector.get("matchLabels", {}).items():
            if labels.get(k) != v:
                return False
        for e in selector.get("matchExpressions", []):
            if e["operator"] == "In" and labels.get(e["key"]) not in e["values"]:
                return False
        return True

    return any(ok(labels) for labels in label_sets)


def check_network_policies(overlay, docs):
    label_sets = pod_label_sets(docs)
    for name, np in by_kind(docs, "NetworkPolicy").items():
        where = f"{overlay}/networkpolicy/{name}"
        selectors = [np["spec"]["podSelector"]]
        for rule in np["spec"].get("ingress", []):
            selectors += [p["podSelector"] for p in rule.get("from", []) if "podSelector" in p and "namespaceSelector" not in p]
        for rule in np["spec"].get("egress", []):
            selectors += [p["podSelector"] for p in rule.get("to", []) if "podSelector" in p and "namespaceSelector" not in p]
        for s in selectors:
            if s and not selects_something(s, label_sets):
                error(where, f"pod selector {s} selects no pod of the overlay")


def check_overlay(overlay, docs, root, settings):
    if overlay == "prod":
        for name in by_kind(docs, "Secret"):
            error(overlay, f"contains Secret {name}: prod Secrets are made outside git")
    check_workloads(overlay, docs, root, settings)
    check_network_policies(overlay, docs)


def check_compose(root, settings):
    with open(os.path.join(root, "deploy/compose.yaml")) as f:
        compose = yaml.safe_load(f)
    for name in PROCESSES:
        svc = compose["services"].get(name)
        if svc is None:
            error("compose", f"no service {name}")
            continue
        env = {k: re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(v)) for k, v in svc["environment"].items()}
        set_keys = check_env(f"compose-dev/{name}", name, settings, env)
        if "healthcheck" not in svc or "/readyz" not in " ".join(svc["healthcheck"]["test"]):
            error(f"compose/{name}", "no health check on /readyz")
        if str(set_keys.get("http.port")) not in " ".join(svc["healthcheck"]["test"]):
            error(f"compose/{name}", "health check is not on the http port")


def main(root, rendered):
    settings = settings_of(root)
    counted = 0
    for overlay in ("dev", "prod"):
        docs = load_docs(os.path.join(rendered, f"{overlay}.yaml"))
        counted += len(docs)
        check_overlay(overlay, docs, root, settings)
    check_compose(root, settings)
    keys = sum(len(k) for _, k, _ in settings.values())
    for n in sorted(notes):
        print(f"  note: {n}")
    if errors:
        for e in errors:
            print(f"  FAIL {e}")
        print(f"check-manifests: {len(errors)} problem(s)")
        return 1
    print(f"check-manifests: {counted} objects, {keys} configuration keys of 5 processes: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
