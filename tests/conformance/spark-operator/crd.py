"""Print a SparkApplication CustomResourceDefinition (JSON) made from the Spark Operator's
own API models (kubeflow-spark-api, generated from the operator's OpenAPI spec, i.e. from
the same Go types the operator's CRD is generated from).

The operator's CRD file is not to be had here as a pinned release (its Go module is not
served), so tests/kube-apiserver.test.ts installs this one. The models' JSON Schema
becomes a structural OpenAPI v3 schema, as an API server requires: references inlined,
optional fields (`anyOf [T, null]`) as T, no titles, descriptions or defaults, one-of
wrappers (quantities, int-or-string) as int-or-string, and what the models leave
untyped (Any) kept unchecked.
"""
import json
import sys

from markers import apply as apply_markers

from kubeflow_spark_api.models.spark_v1beta2_spark_application import SparkV1beta2SparkApplication

KEPT = ("type", "properties", "items", "required", "enum", "additionalProperties")


def structural(node, defs, seen):
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            raise SystemExit(f"crd.py: {name} is recursive; a structural schema cannot inline it")
        target = defs[name]
        if "actual_instance" in target.get("properties", {}):
            # The models' one-of wrappers (IntOrString, Quantity): an int or a string, as
            # Kubernetes' own schemas say it.
            return {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
        return structural(target, defs, seen | {name})
    variants = [v for v in node.get("anyOf", []) if v.get("type") != "null"]
    if len(variants) == 1:
        return structural(variants[0], defs, seen)
    if variants or not node.get("type"):
        # Any value (the models' Any, or a union the schema cannot say): kept, not checked.
        return {"x-kubernetes-preserve-unknown-fields": True}
    out = {}
    for key in KEPT:
        if key not in node:
            continue
        value = node[key]
        if key == "properties":
            out[key] = {name: structural(child, defs, seen) for name, child in sorted(value.items())}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = structural(value, defs, seen)
        elif key == "additionalProperties" and value is True:
            out[key] = {"x-kubernetes-preserve-unknown-fields": True}
        elif key != "additionalProperties":
            out[key] = value
    if out.get("type") == "object" and "properties" not in out and "additionalProperties" not in out:
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


def main():
    schema = SparkV1beta2SparkApplication.model_json_schema()
    root = structural(schema, schema.get("$defs", {}), frozenset())
    # apiVersion, kind and metadata are the API server's own; a CRD may not constrain them.
    for key in ("apiVersion", "kind", "metadata"):
        root["properties"].pop(key, None)
    # The enums and minimums of the operator's kubebuilder markers, which the models lack.
    apply_markers(root)
    root["required"] = [r for r in root.get("required", []) if r not in ("apiVersion", "kind", "metadata")]
    if not root["required"]:
        del root["required"]
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": "sparkapplications.sparkoperator.k8s.io",
            # An API server refuses a *.k8s.io CRD without this annotation (the operator's
            # own CRD carries it too); "unapproved, …" is the form for an API that
            # Kubernetes' API review has not approved.
            "annotations": {"api-approved.kubernetes.io": "unapproved, generated from kubeflow-spark-api by dfp's tests"},
        },
        "spec": {
            "group": "sparkoperator.k8s.io",
            "scope": "Namespaced",
            "names": {"kind": "SparkApplication", "listKind": "SparkApplicationList", "plural": "sparkapplications", "singular": "sparkapplication", "shortNames": ["sparkapp"]},
            "versions": [{"name": "v1beta2", "served": True, "storage": True, "schema": {"openAPIV3Schema": root}, "subresources": {"status": {}}}],
        },
    }
    json.dump(crd, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
