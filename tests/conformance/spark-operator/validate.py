"""Validate SparkApplications with the Spark Operator's own API models, strictly.

Reads a JSON list of {"name": ..., "object": {...}} on stdin and prints a JSON list of
{"name": ..., "ok": bool, "error": str | null, "path": str | null}.

The models (kubeflow-spark-api, generated from the operator's OpenAPI spec, i.e. its Go
types, as its CRD is) check types and required fields but, like most generated models,
drop unknown fields silently. So an object passes only when it also survives a round
trip unchanged: validated, dumped back under the API's own (camelCase) names, and equal
to the input. A misspelt or unknown field, or a snake_case alias, shows as a difference
at its path.
"""
import json
import sys

from pydantic import ValidationError

from markers import violations
from kubeflow_spark_api.models.spark_v1beta2_spark_application import SparkV1beta2SparkApplication

API_VERSION = "sparkoperator.k8s.io/v1beta2"


def first_difference(given, dumped, path):
    """The path and description of the first place where `dumped` differs from `given`."""
    if isinstance(given, dict) and isinstance(dumped, dict):
        for key in given:
            if key not in dumped:
                return path + [key], f"'{key}' is not a field of the SparkApplication API here"
            diff = first_difference(given[key], dumped[key], path + [key])
            if diff:
                return diff
        for key in dumped:
            if key not in given:
                return path + [key], f"'{key}' was added by the models (a default the input lacks)"
        return None
    if isinstance(given, list) and isinstance(dumped, list) and len(given) == len(dumped):
        for i, (g, d) in enumerate(zip(given, dumped)):
            diff = first_difference(g, d, path + [i])
            if diff:
                return diff
        return None
    if given != dumped or type(given) is not type(dumped):
        return path, f"{given!r} came back as {dumped!r}"
    return None


def check(name, obj):
    def fail(error, path):
        return {"name": name, "ok": False, "error": error, "path": ".".join(str(p) for p in path)}

    if obj.get("apiVersion") != API_VERSION or obj.get("kind") != "SparkApplication":
        return fail(f"expected {API_VERSION} SparkApplication, got {obj.get('apiVersion')} {obj.get('kind')}", [])
    try:
        app = SparkV1beta2SparkApplication.model_validate(obj)
    except ValidationError as e:
        err = e.errors()[0]
        return fail(f"{err['msg']} ({err['type']})", list(err["loc"]))
    dumped = app.model_dump(mode="json", by_alias=True, exclude_unset=True)
    diff = first_difference(obj, dumped, [])
    if diff:
        return fail(diff[1], diff[0])
    # What the operator's CRD refuses and the models let through (markers.py).
    for path, message in violations(obj):
        return fail(message, path)
    return {"name": name, "ok": True, "error": None, "path": None}


def main():
    subjects = json.load(sys.stdin)
    json.dump([check(s["name"], s["object"]) for s in subjects], sys.stdout)


if __name__ == "__main__":
    main()
