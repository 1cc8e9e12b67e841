"""Compares dfp's Kubeflow IR with the IR kfp's own compiler makes of the same pipeline
written in the kfp DSL (fixtures/*.py).

Usage: compare.py FIXTURE_MODULE DFP_IR_FILE [FIXTURE_MODULE DFP_IR_FILE ...]
Prints {"results": [{"fixture", "file", "equal", "differences", "tasks", "dags"}]}.

kfp invents names for the DAGs it makes (condition-2, for-loop-4, exit-handler-1) and
for the channels that carry values into them; dfp names them after the constructs.
Both are normalised away: a DAG is named by the container tasks inside it, and every
task input is traced through the DAG plumbing to where its value comes from (a
pipeline parameter, a task's output, a loop item and field, or a constant), and every
artifact a DAG hands out through its selectors to the tasks that made it (several
selectors: a dsl.OneOf of them). What is compared: the task graph and nesting, images,
commands, args, env, parameters and their types and defaults, artifact types,
conditions, loops, DAG outputs and OneOfs, caching, retry, resources and the
Kubernetes platform config.
"""
import importlib
import json
import re
import sys
import tempfile

import yaml
from google.protobuf import json_format
from kfp import compiler
from kfp.pipeline_spec import pipeline_spec_pb2

CONDITION_INPUT = re.compile(r"inputs\.parameter_values\['((?:[^'\\]|\\.)*)'\]")


class Describer:
    def __init__(self, docs):
        self.spec = docs[0]
        platform = docs[1] if len(docs) > 1 else {}
        self.k8s = platform.get("platforms", {}).get("kubernetes", {}).get("deploymentSpec", {}).get("executors", {})
        self.components = self.spec["components"]
        self.executors = self.spec["deploymentSpec"]["executors"]
        self.containers = {}
        self.dags = {}

    def run(self):
        root = self.spec["root"]
        self.walk(root, [])
        params = root.get("inputDefinitions", {}).get("parameters", {})
        return {
            "name": self.spec["pipelineInfo"]["name"],
            "parameters": {k: [v["parameterType"], number(v.get("defaultValue"))] for k, v in params.items()},
            "containers": self.containers,
            "dags": self.dags,
        }

    def leaves(self, component):
        names = []
        for tname, task in component.get("dag", {}).get("tasks", {}).items():
            child = self.components[task["componentRef"]["name"]]
            names += self.leaves(child) if "dag" in child else [tname]
        return sorted(names)

    def dag_name(self, task, component):
        """A DAG's name from what it is and holds: kind(leaf tasks)."""
        kind = "condition" if task.get("triggerPolicy", {}).get("condition") else "loop" if "parameterIterator" in task else "group"
        return f"{kind}({','.join(self.leaves(component))})"

    def member_name(self, dag_tasks, name):
        child = self.components[dag_tasks[name]["componentRef"]["name"]]
        return self.dag_name(dag_tasks[name], child) if "dag" in child else name

    def trace(self, arg, frames):
        """Where a task input's value comes from. frames: [(task, component)] outermost first."""
        if "runtimeValue" in arg:
            return ["constant", number(arg["runtimeValue"]["constant"])]
        if "taskOutputParameter" in arg:
            t = arg["taskOutputParameter"]
            return ["output", t["producerTask"], t["outputParameterKey"]]
        if "taskOutputArtifact" in arg:
            t = arg["taskOutputArtifact"]
            # The producer is a sibling: a task of the DAG the reading task sits in.
            dag = frames[-1][1] if frames else self.spec["root"]
            return self.subtask_artifact(dag, t["producerTask"], t["outputArtifactKey"])
        name = arg.get("componentInputParameter") or arg.get("componentInputArtifact")
        selector = arg.get("parameterExpressionSelector")
        if not frames:
            return ["param", name] + ([selector] if selector else [])
        task, _ = frames[-1]
        iterator = task.get("parameterIterator")
        if iterator and iterator["itemInput"] == name:
            loop = self.dag_name(task, frames[-1][1])
            return ["item", loop] + ([selector] if selector else [])
        inputs = task.get("inputs", {})
        upstream = inputs.get("parameters", {}).get(name) or inputs.get("artifacts", {}).get(name)
        if upstream is None:
            return ["missing", name]
        traced = self.trace(upstream, frames[:-1])
        return traced + [selector] if selector else traced

    def subtask_artifact(self, dag, task_name, key):
        """Task `task_name` of DAG component `dag`'s artifact `key`, followed into the DAG that
        hands it out, down to the container tasks that make it."""
        task = dag["dag"]["tasks"].get(task_name)
        if task is None:
            return ["missing", task_name, key]
        child = self.components[task["componentRef"]["name"]]
        return self.dag_artifact(child, key) if "dag" in child else ["artifact", task_name, key]

    def dag_artifact(self, component, key):
        """A DAG's output artifact: what its selectors select (one: that; several: a OneOf)."""
        selectors = component["dag"].get("outputs", {}).get("artifacts", {}).get(key, {}).get("artifactSelectors")
        if not selectors:
            return ["missing output", key]
        found = [self.subtask_artifact(component, s["producerSubtask"], s["outputArtifactKey"]) for s in selectors]
        return found[0] if len(found) == 1 else ["oneOf", found]

    def walk(self, component, frames):
        tasks = component["dag"]["tasks"]
        scope = [self.dag_name(t, c) for t, c in frames]
        for tname, task in tasks.items():
            child = self.components[task["componentRef"]["name"]]
            deps = sorted(self.member_name(tasks, d) for d in task.get("dependentTasks", []))
            inputs = {k: self.trace(v, frames) for k, v in task.get("inputs", {}).get("parameters", {}).items()}
            artifacts = {k: self.trace(v, frames) for k, v in task.get("inputs", {}).get("artifacts", {}).items()}
            trigger = task.get("triggerPolicy", {})
            if "dag" in child:
                own = frames + [(task, child)]
                condition = trigger.get("condition")
                if condition:
                    condition = CONDITION_INPUT.sub(lambda m: json.dumps(self.trace({"componentInputParameter": m.group(1)}, own)), condition)
                iterator = task.get("parameterIterator")
                items = None
                if iterator:
                    src = iterator["items"]
                    items = ["raw", json.loads(src["raw"])] if "raw" in src else self.trace({"componentInputParameter": src["inputParameter"]}, own)
                key = self.member_name(tasks, tname)
                assert key not in self.dags, f"two DAGs normalise to {key}"
                # What the DAG hands out, by where it comes from (the output names are invented).
                outputs = sorted((self.dag_artifact(child, k) for k in child["dag"].get("outputs", {}).get("artifacts", {})),
                                 key=json.dumps)
                self.dags[key] = {
                    "scope": scope, "dependsOn": deps, "condition": condition, "items": items,
                    "parallelism": task.get("iteratorPolicy", {}).get("parallelismLimit"), "outputs": outputs,
                }
                self.walk(child, own)
                continue
            executor = self.executors[child["executorLabel"]]["container"]
            # Every field kfp writes, the older numeric ones and accelerator type/count that
            # backends before KFP 2.4 read among them (dfp writes them too).
            resources = executor.get("resources", {})
            retry = task.get("retryPolicy")
            self.containers[tname] = {
                "scope": scope,
                "dependsOn": deps,
                "trigger": trigger.get("strategy"),
                "inputs": inputs,
                "artifacts": artifacts,
                "inputTypes": {k: v["parameterType"] for k, v in child.get("inputDefinitions", {}).get("parameters", {}).items()},
                "inputArtifactTypes": {k: v["artifactType"]["schemaTitle"] for k, v in child.get("inputDefinitions", {}).get("artifacts", {}).items()},
                "outputTypes": {k: v["parameterType"] for k, v in child.get("outputDefinitions", {}).get("parameters", {}).items()},
                "outputArtifactTypes": {k: v["artifactType"]["schemaTitle"] for k, v in child.get("outputDefinitions", {}).get("artifacts", {}).items()},
                "image": executor["image"],
                "command": executor.get("command", []),
                "args": executor.get("args", []),
                "env": sorted((e["name"], e["value"]) for e in executor.get("env", [])),
                "resources": resources,
                "caching": bool(task.get("cachingOptions", {}).get("enableCache", False)),
                "retry": number(retry) if retry else None,
                "kubernetes": normalise_k8s(self.k8s.get(child["executorLabel"], {})),
            }


def normalise_k8s(config):
    out = json.loads(json.dumps(config))
    for entry in out.get("secretAsEnv", []):
        entry["keyToEnv"] = sorted(entry["keyToEnv"], key=lambda k: k["envVar"])
    if "secretAsEnv" in out:
        out["secretAsEnv"] = sorted(out["secretAsEnv"], key=lambda s: s["secretName"])
    return out


def number(value):
    """kfp writes integral defaults as floats (3.0); compare numbers as numbers."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [number(v) for v in value]
    if isinstance(value, dict):
        return {k: number(v) for k, v in value.items()}
    return value


def differences(a, b, path="$"):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: only kfp has {json.dumps(b[k])[:200]}")
            elif k not in b:
                out.append(f"{path}.{k}: only dfp has {json.dumps(a[k])[:200]}")
            else:
                out += differences(a[k], b[k], f"{path}.{k}")
        return out
    return [] if a == b else [f"{path}: dfp {json.dumps(a)[:200]} != kfp {json.dumps(b)[:200]}"]


def as_kfp_reads_it(docs):
    """The PipelineSpec as kfp's protobuf parses it (strict: an unknown field fails), back as JSON."""
    spec = json_format.ParseDict(docs[0], pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    return [json_format.MessageToDict(spec)] + docs[1:]


def compare(fixture, dfp_file):
    module = importlib.import_module(fixture)
    with tempfile.NamedTemporaryFile(suffix=".yaml") as out:
        compiler.Compiler().compile(module.pipeline, out.name)
        with open(out.name, encoding="utf-8") as f:
            kfp_docs = list(yaml.safe_load_all(f))
    with open(dfp_file, encoding="utf-8") as f:
        dfp_docs = list(yaml.safe_load_all(f))
    dfp, kfp = Describer(as_kfp_reads_it(dfp_docs)).run(), Describer(as_kfp_reads_it(kfp_docs)).run()
    diffs = differences(dfp, kfp)
    return {"fixture": fixture, "file": dfp_file, "equal": not diffs, "differences": diffs,
            "tasks": len(dfp["containers"]), "dags": len(dfp["dags"])}


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/fixtures")
    pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
    json.dump({"results": [compare(f, d) for f, d in pairs]}, sys.stdout, indent=1)
