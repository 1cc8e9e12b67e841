"""Runs one dfp transform for one pipeline step: `python -m dfp_tools.run_transform
--transform NAME [--timeout-seconds N] -- [run arguments...]`.

The environment's engine target deployed the transform as a suspended run template of
that name in this namespace: a SparkApplication (spark/) or a Job (datafusion/). This
creates a running copy of it, with this run's arguments appended to the template's,
waits until the copy succeeds or fails, and exits 0 or 1. The pipeline names only the
transform, so switching an environment's engine changes no pipeline.

`run_copy` and `outcome` are pure (tests/launcher.test.ts checks the copies against the
Spark Operator's and Kubernetes' schemas); `main` talks to the Kubernetes API.
"""
import argparse
import copy
import hashlib
import os
import sys
import time

SPARK = ("sparkoperator.k8s.io", "v1beta2", "sparkapplications")
NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
# Labels the API server puts on a Job's pod template, naming that Job: a run's copy gets its own.
GENERATED_POD_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name")
# Annotations that belong to the template's deployment, not to a run.
DEPLOY_ONLY = ("argocd.argoproj.io/",)


def run_copy(template, run_args, run_id):
    """The object that runs `template` once, with `run_args` appended to its arguments."""
    meta = template["metadata"]
    name = meta["name"]
    run = copy.deepcopy(template)
    run.pop("status", None)
    labels = {**meta.get("labels", {}), "dfp.dev/run": run_id}
    annotations = {k: v for k, v in meta.get("annotations", {}).items() if not k.startswith(DEPLOY_ONLY)}
    run["metadata"] = {
        "generateName": f"{name}-",
        "namespace": meta["namespace"],
        "labels": labels,
        "annotations": {**annotations, "dfp.dev/template": name},
    }
    spec = run["spec"]
    spec["suspend"] = False
    if template["kind"] == "SparkApplication":
        spec["arguments"] = [*spec.get("arguments", []), *run_args]
    elif template["kind"] == "Job":
        pod = spec["template"]
        pod.setdefault("metadata", {}).setdefault("labels", {})["dfp.dev/run"] = run_id
        container = pod["spec"]["containers"][0]
        container["args"] = [*container.get("args", []), *run_args]
    else:
        raise ValueError(f"{name}: a transform runs as a SparkApplication or a Job, not a {template['kind']}")
    return run


def outcome(obj):
    """'succeeded', 'failed' or 'running', from the object's status."""
    status = obj.get("status") or {}
    if obj["kind"] == "SparkApplication":
        state = (status.get("applicationState") or {}).get("state")
        # FAILING is not final: the operator may still retry it (restartPolicy OnFailure).
        return {"COMPLETED": "succeeded", "FAILED": "failed", "SUBMISSION_FAILED": "failed"}.get(state, "running")
    for c in status.get("conditions") or []:
        if c.get("status") == "True" and c.get("type") in ("Complete", "Failed"):
            return "succeeded" if c["type"] == "Complete" else "failed"
    return "running"


def run_id_of(pod_name):
    """A label value (at most 63 characters) unique to this step's pod."""
    return hashlib.sha256(pod_name.encode()).hexdigest()[:16]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="run_transform")
    parser.add_argument("--transform", required=True)
    parser.add_argument("--timeout-seconds", type=int, default=0)
    parser.add_argument("--poll-seconds", type=int, default=10)
    parser.add_argument("run_args", nargs="*")
    args = parser.parse_args(argv)

    from kubernetes import client, config  # the image has it; the pure functions need nothing
    from kubernetes.client.rest import ApiException

    config.load_incluster_config()
    with open(NAMESPACE_FILE) as f:
        namespace = f.read().strip()
    api = client.ApiClient()
    custom, batch = client.CustomObjectsApi(api), client.BatchV1Api(api)
    try:
        template = custom.get_namespaced_custom_object(*SPARK[:2], namespace, SPARK[2], args.transform)
        create = lambda o: custom.create_namespaced_custom_object(*SPARK[:2], namespace, SPARK[2], o)
        read = lambda n: custom.get_namespaced_custom_object(*SPARK[:2], namespace, SPARK[2], n)
        delete = lambda n: custom.delete_namespaced_custom_object(*SPARK[:2], namespace, SPARK[2], n)
    except ApiException as e:
        if e.status != 404:
            raise
        template = api.sanitize_for_serialization(batch.read_namespaced_job(args.transform, namespace))
        template.update(apiVersion="batch/v1", kind="Job")
        for generated in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "selector"):
            template["metadata"].pop(generated, None)
        # The API server adds a selector and its labels (the controller's uid, and since
        # Kubernetes 1.27 the Job's name, which must equal the Job's own): a copy gets its own.
        template["spec"].pop("selector", None)
        for generated in GENERATED_POD_LABELS:
            template["spec"]["template"]["metadata"]["labels"].pop(generated, None)
        create = lambda o: api.sanitize_for_serialization(batch.create_namespaced_job(namespace, o))
        read = lambda n: api.sanitize_for_serialization(batch.read_namespaced_job(n, namespace)) | {"kind": "Job"}
        delete = lambda n: batch.delete_namespaced_job(n, namespace, propagation_policy="Background")

    run = run_copy(template, args.run_args, run_id_of(os.environ.get("HOSTNAME", args.transform)))
    name = create(run)["metadata"]["name"]
    print(f"started {run['kind']} {namespace}/{name}", flush=True)
    deadline = time.monotonic() + args.timeout_seconds if args.timeout_seconds else None
    while (state := outcome(read(name))) == "running":
        if deadline and time.monotonic() > deadline:
            delete(name)
            print(f"{name}: timed out after {args.timeout_seconds}s; deleted", file=sys.stderr)
            return 1
        time.sleep(args.poll_seconds)
    print(f"{name}: {state}", flush=True)
    return 0 if state == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
