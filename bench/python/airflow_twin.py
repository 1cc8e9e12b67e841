"""Generated specs (bench/generator/spec.ts) as the Airflow 3 DAG files a person would write
by hand for the same graphs: KubernetesPodOperator per step with the same image, command,
arguments, resources, secret reference and restricted security context as dfp's; the
condition as a ShortCircuitOperator on the scoring step's XCom; each loop step mapped over
the literal items with partial().expand(); dependencies with >>. One helper function and
module-level constants shared by the tasks, as people factor such files.

usage: airflow_twin.py SPECS_JSON OUT_DIR   (writes OUT_DIR/<pipeline>.py; any Python 3)
"""

import json
import os
import sys

COMMAND = ["python", "-m", "bench_step"]  # bench/dfp/pipeline.ts AIRFLOW_COMMAND
NAMESPACE = "ml-bench"
BUCKET_URI = "s3://dfp-bench/dfp/{{ dag.dag_id }}/{{ run_id }}"
PARAM_TYPES = {"string": "string", "int": "integer", "float": "number"}

HEADER = '''import datetime

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import DAG, Param
from kubernetes.client import models as k8s

IMAGE = {image!r}
SECRET_ENV = [
    k8s.V1EnvVar(
        name={env!r},
        value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name={secret!r}, key={key!r})),
    )
]
POD_SECURITY = k8s.V1PodSecurityContext(
    run_as_non_root=True, run_as_user=1000, run_as_group=1000, seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault")
)
CONTAINER_SECURITY = k8s.V1SecurityContext(allow_privilege_escalation=False, capabilities=k8s.V1Capabilities(drop=["ALL"]))


def pod_args(task_id, cpu, memory, secret=False, xcom=False):
    """What every step's pod shares; the caller adds its arguments."""
    return dict(
        task_id=task_id,
        namespace={namespace!r},
        image=IMAGE,
        cmds={command!r},
        env_vars=SECRET_ENV if secret else [],
        container_resources=k8s.V1ResourceRequirements(
            requests={{"cpu": cpu, "memory": memory}}, limits={{"cpu": cpu, "memory": memory}}
        ),
        service_account_name="dfp-runner",
        security_context=POD_SECURITY,
        container_security_context=CONTAINER_SECURITY,
        do_xcom_push=xcom,
    )


def score_clears(threshold_param, scorer):
    def check(ti, params):
        return float(ti.xcom_pull(task_ids=scorer)["score"]) >= float(params[threshold_param])

    return check

'''


def var(step_name):
    return step_name.replace("-", "_")


def arg_text(spec, step, piece, item_expr=None):
    kind = piece["kind"]
    if kind == "text":
        return repr(piece["value"])
    if kind == "param":
        return repr("{{ params.%s }}" % piece["name"])
    if kind == "inputPath":
        source = next(a for a in step["inputs"] if a["name"] == piece["name"])
        return repr("%s/%s/%s" % (BUCKET_URI, source["step"], source["output"]))
    if kind == "outputPath":
        return repr("%s/%s/%s" % (BUCKET_URI, step["name"], piece["name"]))
    if kind == "scorePath":
        return repr("/airflow/xcom/return.json")
    return item_expr


def dag_file(spec):
    out = [HEADER.format(image=spec["image"], env=spec["secret"]["env"], secret=spec["secret"]["secret"],
                         key=spec["secret"]["key"], namespace=NAMESPACE, command=COMMAND)]
    if any(s["group"] == "loop" for s in spec["steps"]):
        out.append("ITEMS = %r\n\n" % (list(spec["loop"]["items"]),))
    params = ",\n".join(
        "        %r: Param(%r, type=%r)" % (p["name"], p["default"], PARAM_TYPES[p["type"]]) for p in spec["parameters"]
    )
    out.append(
        "with DAG(\n"
        "    dag_id=%r,\n"
        "    description=%r,\n"
        "    schedule=None,\n"
        "    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),\n"
        "    catchup=False,\n"
        "    params={\n%s,\n    },\n"
        ") as dag:\n" % (spec["name"], spec["description"], params)
    )
    cond = spec["condition"]
    gate = var(cond["name"])
    edges = []
    gate_written = False
    for step in spec["steps"]:
        name = var(step["name"])
        if step["group"] == "condition" and not gate_written:
            out.append(
                "    %s = ShortCircuitOperator(task_id=%r, python_callable=score_clears(%r, %r))\n"
                % (gate, cond["name"], cond["param"], cond["step"])
            )
            edges.append((var(cond["step"]), gate))
            gate_written = True
        common = "**pod_args(%r, %r, %r%s%s)" % (
            step["name"], step["cpu"], step["memory"], ", secret=True" if step["secret"] else "", ", xcom=True" if step["score"] else ""
        )
        if step["group"] == "loop":
            args = ", ".join(arg_text(spec, step, p, "item") for p in step["args"])
            out.append("    %s = KubernetesPodOperator.partial(%s).expand(arguments=[[%s] for item in ITEMS])\n" % (name, common, args))
        else:
            args = ", ".join(arg_text(spec, step, p) for p in step["args"])
            out.append("    %s = KubernetesPodOperator(%s, arguments=[%s])\n" % (name, common, args))
        if step["group"] == "condition":
            edges.append((gate, name))
        for a in step["inputs"]:
            edges.append((var(a["step"]), name))
    seen = set()
    out.append("\n")
    for up, down in edges:
        if (up, down) not in seen:
            seen.add((up, down))
            out.append("    %s >> %s\n" % (up, down))
    return "".join(out)


def main():
    specs_file, out_dir = sys.argv[1], sys.argv[2]
    with open(specs_file, encoding="utf-8") as f:
        specs = json.load(f)
    os.makedirs(out_dir, exist_ok=True)
    for spec in specs:
        with open(os.path.join(out_dir, spec["name"] + ".py"), "w", encoding="utf-8") as f:
            f.write(dag_file(spec))
    print(json.dumps({"files": len(specs)}))


if __name__ == "__main__":
    main()
