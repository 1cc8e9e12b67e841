"""Validate Kubernetes objects against the schema of one Kubernetes version, strictly.

Reads a JSON list of {"name": ..., "object": {...}} on stdin and prints a JSON list of
{"name": ..., "ok": bool, "error": str | null, "path": str | null}. Strict mode uses
kubernetes-validate's "-strict" schemas, in which every object has
additionalProperties: false, so an unknown field is an error.
"""
import json
import sys

import kubernetes_validate
from kubernetes_validate.utils import ValidationError


def check(name, obj, version):
    try:
        kubernetes_validate.validate(obj, version, strict=True)
        return {"name": name, "ok": True, "error": None, "path": None}
    except ValidationError as e:
        # kubernetes-validate copies the jsonschema error's fields onto its own error.
        path = ".".join(str(p) for p in e.absolute_path)
        return {"name": name, "ok": False, "error": e.message, "path": path}
    except Exception as e:  # unknown kind or version: a failure, never a pass
        return {"name": name, "ok": False, "error": f"{type(e).__name__}: {e}", "path": None}


def main():
    version = sys.argv[1]
    subjects = json.load(sys.stdin)
    json.dump([check(s["name"], s["object"], version) for s in subjects], sys.stdout)


if __name__ == "__main__":
    main()
