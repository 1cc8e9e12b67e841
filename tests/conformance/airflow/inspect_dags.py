"""Imports a folder of dfp DAG files with real Airflow and reports what Airflow sees, as JSON.

usage: inspect_dags.py DAG_FOLDER OUT_JSON [--pods]

For every file: the string constants Python's `ast` parser reads from it. For every DAG
Airflow's DagBag imports: its settings, params, and every task with its upstream ids,
operator, image, commands, arguments, env, retries and trigger rule, both as written and
after Airflow renders the templated fields with the DAG's own Jinja environment (params
at their defaults; XCom pulls answered with a marker naming what was pulled, because
there is no run to pull from). With --pods, also the Kubernetes Pod each
KubernetesPodOperator would submit, built by the provider. The caller compares all of
it with dfp's model.
Airflow logs to stdout, so the result goes to OUT_JSON, never stdout.
"""

import ast
import json
import os
import sys


def string_constants(path):
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    return sorted({n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)})


class RunContextTI:
    """What a running task instance offers templates; XCom values stand in as markers."""

    def __init__(self, items, dag_id="dag", task_id="task"):
        self.map_index = 0
        self.dag_id = dag_id
        self.task_id = task_id
        self.try_number = 1
        self._items = items

    def xcom_pull(self, task_ids=None, key="return_value", map_indexes=None, **_):
        if key == "items":
            return self._items
        return MarkerDict(task_ids)


class MarkerDict(dict):
    def __init__(self, task_id):
        super().__init__()
        self.task_id = task_id

    def __missing__(self, output):
        return "<xcom:%s:%s>" % (self.task_id, output)


def env_json(env):
    out = []
    for e in env or []:
        item = {"name": e.name}
        if e.value is not None:
            item["value"] = e.value
        if e.value_from is not None and e.value_from.secret_key_ref is not None:
            ref = e.value_from.secret_key_ref
            item["secret"] = {"name": ref.name, "key": ref.key}
        out.append(item)
    return out


def pod_fields(task):
    resources = task.container_resources
    return {
        "image": task.image,
        "cmds": list(task.cmds or []),
        "arguments": list(task.arguments or []),
        "env": env_json(task.env_vars),
        "namespace": task.namespace,
        "service_account": task.service_account_name,
        "node_selector": dict(task.node_selector or {}),
        "tolerations": [t.to_dict() for t in task.tolerations or []],
        "resources": None if resources is None else {"requests": resources.requests, "limits": resources.limits},
        "volumes": [v.to_dict() for v in task.volumes or []],
        "volume_mounts": [m.to_dict() for m in task.volume_mounts or []],
        "do_xcom_push": task.do_xcom_push,
        "execution_timeout": None if task.execution_timeout is None else task.execution_timeout.total_seconds(),
    }


def loop_items(dag, task, params):
    """A mapped task's items, read from its loop task's arguments: literal, a param's default, or a marker."""
    for up in task.upstream_list:
        if getattr(getattr(up, "python_callable", None), "__name__", "") == "_dfp_loop_items":
            # op_kwargs is templated: render it, as Airflow does before calling the function.
            copy = up.__class__.__new__(up.__class__)
            copy.__dict__.update(up.__dict__)
            copy.render_template_fields({"params": params, "dag": dag}, jinja_env=dag.get_template_env())
            spec = copy.op_kwargs["items"]
            if spec["kind"] == "literal":
                return spec["value"]
            if spec["kind"] == "param":
                return params[spec["name"]]
            return ["<xcom-item:%s:%s>" % (spec["task"], spec["output"])]
    return []


def rendered(dag, task, params):
    """The task's templated fields after Airflow's own rendering."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    if getattr(task, "is_mapped", False) or task.__class__.__name__ == "MappedOperator":
        kwargs = dict(task.partial_kwargs)
        kwargs.pop("task_id", None)
        kwargs.pop("labels", None)
        op = KubernetesPodOperator(task_id=task.task_id + ".rendered", **kwargs)
    else:
        op = task.__class__.__new__(task.__class__)
        op.__dict__.update(task.__dict__)
    items = loop_items(dag, task, params)
    context = {"params": params, "dag": dag, "run_id": "manual__dfp", "ti": RunContextTI(items, dag.dag_id, task.task_id)}
    op.render_template_fields(context, jinja_env=dag.get_template_env())
    if isinstance(op, KubernetesPodOperator) and not BUILD_PODS:
        return pod_fields(op)
    if isinstance(op, KubernetesPodOperator):
        from kubernetes.client import ApiClient

        # The pod the operator would submit, built by the provider itself (no cluster is contacted).
        pod = ApiClient().sanitize_for_serialization(op.build_pod_request_obj(context))
        return {**pod_fields(op), "pod": pod}
    return {"op_kwargs": getattr(op, "op_kwargs", None), "evaluated": evaluate(op, params)}


class PushRecordingTI(RunContextTI):
    def __init__(self):
        super().__init__([])
        self.pushed = {}

    def xcom_push(self, key, value):
        self.pushed[key] = value


def evaluate(op, params):
    """Calls a control task's function as Airflow would, when its inputs need no earlier task."""
    kwargs = getattr(op, "op_kwargs", None) or {}
    if any(isinstance(v, dict) and v.get("kind") == "output" for v in kwargs.values()):
        return None
    if getattr(op, "python_callable", None) is None or op.python_callable.__name__ == "_dfp_fail_if_any_failed":
        return None
    ti = PushRecordingTI()
    result = op.python_callable(**kwargs, params=params, ti=ti)
    return {"result": result, "pushed": ti.pushed}


def task_json(dag, task, params):
    mapped = task.__class__.__name__ == "MappedOperator"
    out = {
        "task_id": task.task_id,
        "operator": task.operator_name if hasattr(task, "operator_name") else task.__class__.__name__,
        "mapped": mapped,
        "upstream": sorted(task.upstream_task_ids),
        "trigger_rule": str(task.trigger_rule.value if hasattr(task.trigger_rule, "value") else task.trigger_rule),
        "retries": task.retries,
        "retry_delay": task.retry_delay.total_seconds() if task.retry_delay is not None else None,
        "doc_md": task.doc_md,
    }
    if mapped:
        out["operator"] = task.operator_class.__name__ if hasattr(task.operator_class, "__name__") else task.operator_class.get("task_type")
        out["written"] = {k: v for k, v in task.partial_kwargs.items() if k in ("image", "cmds", "arguments")}
    elif out["operator"] == "KubernetesPodOperator":
        out["written"] = pod_fields(task)
    else:
        out["written"] = {"op_kwargs": getattr(task, "op_kwargs", None)}
    try:
        out["rendered"] = rendered(dag, task, params)
    except Exception as e:  # reported per task, so one bad template does not hide the rest
        out["rendered"] = {"error": "%s: %s" % (type(e).__name__, e)}
    return out


def dag_json(dag):
    # Resolving a param validates it against its schema: do it once per DAG, not per task.
    params = {k: dag.params[k] for k in dag.params}
    return {
        "dag_id": dag.dag_id,
        "fileloc": os.path.basename(dag.fileloc),
        "description": dag.description,
        "schedule": dag.timetable.summary if dag.timetable.can_be_scheduled else None,
        "timezone": str(getattr(dag.timetable, "_timezone", "")) if dag.timetable.can_be_scheduled else None,
        "catchup": dag.catchup,
        "tags": sorted(dag.tags),
        "params": {k: {"default": dag.params[k], "description": dag.params.get_param(k).description, "schema": dag.params.get_param(k).schema} for k in dag.params},
        "tasks": {t.task_id: task_json(dag, t, params) for t in dag.tasks},
    }


BUILD_PODS = "--pods" in sys.argv[3:]


def main():
    folder, out_path = sys.argv[1], sys.argv[2]
    files = sorted(f for f in os.listdir(folder) if f.endswith(".py"))
    constants = {f: string_constants(os.path.join(folder, f)) for f in files}

    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=folder, include_examples=False)
    result = {
        "airflow_version": __import__("airflow").__version__,
        "import_errors": {os.path.basename(k): v for k, v in bag.import_errors.items()},
        "constants": constants,
        "dags": {dag_id: dag_json(dag) for dag_id, dag in sorted(bag.dags.items())},
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=True, default=str)


if __name__ == "__main__":
    main()
