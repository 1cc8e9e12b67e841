"""The Spark Operator's validation markers that its generated API models do not carry.

The operator's CRD is generated from its Go types (api/v1beta2/sparkapplication_types.go)
with kubebuilder markers: `+kubebuilder:validation:Enum=…` and `Minimum=…`. The Python
models (kubeflow-spark-api) are generated from the OpenAPI spec, which drops those
markers, so a SparkApplication with `type: Pyhton`, `mode: local`, `restartPolicy.type:
Sometimes` or zero executors passed both validate.py and the CRD made by crd.py while the
operator's own CRD refuses it. This table restores them, path by path, as the Go types
state them (kubeflow/spark-operator, api/v1beta2).
"""

# path (from the object's root) -> {"enum": [...]} or {"minimum": n}
MARKERS = {
    ("spec", "type"): {"enum": ["Java", "Python", "Scala", "R"]},
    ("spec", "mode"): {"enum": ["cluster", "client"]},
    ("spec", "pythonVersion"): {"enum": ["2", "3"]},
    ("spec", "restartPolicy", "type"): {"enum": ["Never", "Always", "OnFailure"]},
    ("spec", "restartPolicy", "onSubmissionFailureRetries"): {"minimum": 0},
    ("spec", "restartPolicy", "onFailureRetries"): {"minimum": 0},
    ("spec", "restartPolicy", "onSubmissionFailureRetryInterval"): {"minimum": 1},
    ("spec", "restartPolicy", "onFailureRetryInterval"): {"minimum": 1},
    ("spec", "driver", "cores"): {"minimum": 1},
    ("spec", "executor", "cores"): {"minimum": 1},
    ("spec", "executor", "instances"): {"minimum": 1},
}


def violations(obj):
    """(path, message) for each marker the object breaks."""
    out = []
    for path, rule in MARKERS.items():
        node = obj
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            continue
        if "enum" in rule and node not in rule["enum"]:
            out.append((list(path), f"{node!r} is not one of {', '.join(rule['enum'])} (the operator's CRD enum)"))
        if "minimum" in rule and isinstance(node, (int, float)) and node < rule["minimum"]:
            out.append((list(path), f"{node!r} is less than {rule['minimum']} (the operator's CRD minimum)"))
    return out


def apply(root):
    """Writes the markers into a structural schema (crd.py's root)."""
    for path, rule in MARKERS.items():
        node = root
        for key in path:
            node = node["properties"][key]
        node.update(rule)
