#!/usr/bin/env python3
"""Turns a published CustomResourceDefinition into one JSON Schema per served version.

    python3 extract.py CRD.yaml OUTDIR

writes OUTDIR/<kind>_<version>.json (lower-case kind). The schema is the CRD's
`openAPIV3Schema` with `additionalProperties: false` added to every object that lists its
properties and does not preserve unknown fields, so a misspelt field is an error, as with
`kubectl apply --validate=strict` (the API server would otherwise prune it silently).
"""
import json
import sys

import yaml


def strict(node):
    if isinstance(node, dict):
        if (
            node.get("type") == "object"
            and "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)


def main(crd_path, out_dir):
    with open(crd_path) as f:
        crd = yaml.safe_load(f)
    kind = crd["spec"]["names"]["kind"].lower()
    group = crd["spec"]["group"]
    for version in crd["spec"]["versions"]:
        if not version.get("served"):
            continue
        schema = version["schema"]["openAPIV3Schema"]
        strict(schema)
        # apiVersion/kind/metadata are checked by the API server, not by the CRD schema.
        schema.setdefault("properties", {})
        schema["properties"]["metadata"] = {"type": "object"}
        schema["properties"]["apiVersion"] = {"const": f"{group}/{version['name']}"}
        schema["properties"]["kind"] = {"const": crd["spec"]["names"]["kind"]}
        schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        path = f"{out_dir}/{kind}_{version['name']}.json"
        with open(path, "w") as f:
            json.dump(schema, f, indent=1, sort_keys=True)
            f.write("\n")
        print(path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
