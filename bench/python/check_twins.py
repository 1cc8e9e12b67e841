"""`python check_twins.py SPECS OUT`: builds every spec with kfp (compiled to IR, then
loaded back as kfp loads a pipeline file) and with Hera (to_yaml, parsed back), and
prints what each contains, so a test can hold both to the spec and to dfp's output."""
import json
import os
import sys

import yaml
from kfp import compiler, components

import hera_twin
import kfp_twin


def kfp_summary(spec: dict, out: str) -> dict:
    path = os.path.join(out, spec["name"] + ".kfp.yaml")
    compiler.Compiler().compile(kfp_twin.build_pipeline(spec), path)
    components.load_component_from_file(path)  # kfp's own loader accepts the file
    with open(path) as f:
        docs = list(yaml.safe_load_all(f))
    ir = docs[0]
    dags = [c["dag"]["tasks"] for c in [ir["root"], *ir["components"].values()] if "dag" in c]
    tasks = [t for d in dags for t in d.values()]
    platform = docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"] if len(docs) > 1 else {}
    return {
        "executors": len(ir["deploymentSpec"]["executors"]),
        "conditions": sum(1 for t in tasks if t.get("triggerPolicy", {}).get("condition")),
        "loops": sum(1 for t in tasks if "parameterIterator" in t),
        "secretSteps": sum(1 for e in platform.values() if e.get("secretAsEnv")),
    }


def hera_summary(spec: dict) -> dict:
    wt = yaml.safe_load(hera_twin.build_workflow(spec).to_yaml())
    templates = wt["spec"]["templates"]
    tasks = [t for tpl in templates if "dag" in tpl for t in tpl["dag"]["tasks"]]
    containers = [tpl for tpl in templates if "container" in tpl]
    return {
        "kind": wt["kind"],
        "containers": len(containers),
        "conditions": sum(1 for t in tasks if "when" in t),
        "loops": sum(1 for t in tasks if "withItems" in t),
        "secretSteps": sum(1 for c in containers if any("valueFrom" in e for e in c["container"].get("env", []))),
    }


def main() -> None:
    specs_file, out = sys.argv[1:3]
    with open(specs_file) as f:
        specs = json.load(f)
    print(json.dumps({s["name"]: {"kfp": kfp_summary(s, out), "hera": hera_summary(s)} for s in specs}))


if __name__ == "__main__":
    main()
