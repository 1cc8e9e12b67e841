"""Checks dfp's Kubeflow output with the real kfp SDK.

Usage: check.py FILE...   (IR files `pipelines/*.yaml` and `manifests/*.yaml`)
Prints one JSON object: {"results": [{"file", "ok", "errors", "checks"}]}.

For an IR file, and for the spec embedded in each PipelineVersion:
  0. every reference inside the spec resolves (integrity.py);
  1. kfp.components.load_component_from_text loads it;
  2. json_format.ParseDict, with unknown fields rejected, parses the PipelineSpec, its
     deploymentSpec as PipelineDeploymentConfig, the platform document as PlatformSpec
     and every Kubernetes executor config as KubernetesExecutorConfig (the last three are
     protobuf Structs inside their parents, so a plain load never looks at them);
  3. the loaded component runs inside a new @dsl.pipeline that kfp compiles.
"""
import json
import sys
import tempfile

import yaml
from google.protobuf import json_format
from kfp import compiler, dsl
from kfp.components import load_component_from_text
from kfp.kubernetes import kubernetes_executor_config_pb2 as k8s_pb2
from kfp.pipeline_spec import pipeline_spec_pb2

from integrity import check_integrity

# What a PipelineVersion/Pipeline may carry, as kfp's own Kubernetes-manifest compiler
# writes them (kfp.compiler with kubernetes_manifest_format=True).
MANIFEST_KEYS = {
    "Pipeline": {"spec": {"displayName", "description"}},
    "PipelineVersion": {"spec": {"displayName", "description", "pipelineName", "pipelineSpec", "platformSpec"}},
}
METADATA_KEYS = {"name", "namespace", "labels", "annotations"}

SAMPLE = {"STRING": "x", "NUMBER_INTEGER": 1, "NUMBER_DOUBLE": 0.5, "BOOLEAN": True, "LIST": [], "STRUCT": {}}


def strict(message, value, where, errors):
    try:
        json_format.ParseDict(value, message, ignore_unknown_fields=False)
    except json_format.ParseError as e:
        errors.append(f"{where}: {e}")


def check_spec(spec, platform, where, errors, checks):
    parsed = pipeline_spec_pb2.PipelineSpec()
    strict(parsed, spec, f"{where} PipelineSpec", errors)
    if not errors:
        errors.extend(check_integrity(parsed, where))
        checks.append("references resolve")
    strict(pipeline_spec_pb2.PipelineDeploymentConfig(), spec.get("deploymentSpec", {}), f"{where} deploymentSpec", errors)
    checks.append("strict PipelineSpec + PipelineDeploymentConfig")
    if platform:
        strict(pipeline_spec_pb2.PlatformSpec(), platform, f"{where} PlatformSpec", errors)
        executors = platform.get("platforms", {}).get("kubernetes", {}).get("deploymentSpec", {}).get("executors", {})
        for name, config in executors.items():
            strict(k8s_pb2.KubernetesExecutorConfig(), config, f"{where} {name} KubernetesExecutorConfig", errors)
        checks.append(f"strict PlatformSpec + {len(executors)} KubernetesExecutorConfig")
    if errors:
        return
    text = yaml.safe_dump_all([spec, platform] if platform else [spec], sort_keys=True)
    try:
        component = load_component_from_text(text)
        checks.append("load_component_from_text")
    except Exception as e:  # kfp raises many types; each is a rejection
        errors.append(f"{where}: kfp could not load it: {type(e).__name__}: {e}")
        return
    inputs = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    required = {k: SAMPLE[v["parameterType"]] for k, v in inputs.items() if not v.get("isOptional")}

    @dsl.pipeline(name="dfp-conformance-wrapper")
    def wrapper():
        component(**required)

    try:
        with tempfile.NamedTemporaryFile(suffix=".yaml") as out:
            compiler.Compiler().compile(wrapper, out.name)
        checks.append("recompiled inside @dsl.pipeline")
    except Exception as e:
        errors.append(f"{where}: kfp could not compile a pipeline using it: {type(e).__name__}: {e}")


def check_manifests(docs, path, errors, checks):
    kinds = [d.get("kind") for d in docs]
    if kinds != ["Pipeline", "PipelineVersion"]:
        errors.append(f"{path}: expected a Pipeline then a PipelineVersion, found {kinds}")
        return
    pipeline, version = docs
    for doc in docs:
        kind = doc["kind"]
        if doc.get("apiVersion") != "pipelines.kubeflow.org/v2beta1":
            errors.append(f"{path} {kind}: apiVersion {doc.get('apiVersion')!r}")
        extra = set(doc) - {"apiVersion", "kind", "metadata", "spec"}
        extra |= {f"metadata.{k}" for k in set(doc.get("metadata", {})) - METADATA_KEYS}
        extra |= {f"spec.{k}" for k in set(doc.get("spec", {})) - MANIFEST_KEYS[kind]["spec"]}
        if extra:
            errors.append(f"{path} {kind}: unknown fields {sorted(extra)}")
        if not doc.get("metadata", {}).get("name"):
            errors.append(f"{path} {kind}: metadata.name is required")
    if version.get("spec", {}).get("pipelineName") != pipeline.get("metadata", {}).get("name"):
        errors.append(f"{path}: PipelineVersion.spec.pipelineName does not name the Pipeline")
    if "pipelineSpec" not in version.get("spec", {}):
        errors.append(f"{path}: PipelineVersion.spec.pipelineSpec is required")
        return
    check_spec(version["spec"]["pipelineSpec"], version["spec"].get("platformSpec"), f"{path} PipelineVersion", errors, checks)


def check_file(path):
    errors, checks = [], []
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if docs and "apiVersion" in docs[0]:
        check_manifests(docs, path, errors, checks)
    elif 1 <= len(docs) <= 2:
        check_spec(docs[0], docs[1] if len(docs) == 2 else None, path, errors, checks)
    else:
        errors.append(f"{path}: expected 1 or 2 YAML documents, found {len(docs)}")
    return {"file": path, "ok": not errors, "errors": errors, "checks": checks}


if __name__ == "__main__":
    json.dump({"results": [check_file(p) for p in sys.argv[1:]]}, sys.stdout, indent=1)
