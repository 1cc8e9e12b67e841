"""A generated spec (bench/generator/spec.ts) as a kfp DSL pipeline: the pipeline a kfp
user would write for the same graph, built with the ordinary decorators. The functions
are made at run time, so their signatures are set explicitly (kfp reads them with
inspect.signature, as it does for hand-written ones)."""
import inspect

from kfp import dsl, kubernetes

ARTIFACT_TYPES = {"Dataset": dsl.Dataset, "Model": dsl.Model, "Metrics": dsl.Metrics, "Artifact": dsl.Artifact}
PARAM_TYPES = {"string": str, "int": int, "float": float}
LOOP_ITEM = "per_item_item"  # the name dfp gives the loop item input


def _identifier(name: str) -> str:
    return name.replace("-", "_")


def _component(spec: dict, step: dict):
    """A container component with the step's inputs, outputs and arguments."""
    types = {p["name"]: PARAM_TYPES[p["type"]] for p in spec["parameters"]}
    kw = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(p, kw, annotation=types[p]) for p in step["params"]]
    params += [inspect.Parameter(a["name"], kw, annotation=dsl.Input[ARTIFACT_TYPES[a["type"]]]) for a in step["inputs"]]
    if step["loopItem"]:
        params.append(inspect.Parameter(LOOP_ITEM, kw, annotation=str))
    params += [inspect.Parameter(a["name"], kw, annotation=dsl.Output[ARTIFACT_TYPES[a["type"]]]) for a in step["outputs"]]
    if step["score"]:
        params.append(inspect.Parameter("score", kw, annotation=dsl.OutputPath(float)))

    def arg(piece: dict, values: dict):
        kind = piece["kind"]
        if kind == "text":
            return piece["value"]
        if kind == "param":
            return values[piece["name"]]
        if kind in ("inputPath", "outputPath"):
            return values[piece["name"]].path
        return values["score" if kind == "scorePath" else LOOP_ITEM]

    # kfp calls the function positionally, in signature order, with placeholders.
    names = [p.name for p in params]

    def body(*placeholders):
        values = dict(zip(names, placeholders))
        return dsl.ContainerSpec(image=spec["image"], args=[arg(piece, values) for piece in step["args"]])

    body.__name__ = _identifier(step["name"])
    body.__signature__ = inspect.Signature(params)
    return dsl.container_component(body)


def build_pipeline(spec: dict):
    """The pipeline as kfp's GraphComponent (built by @dsl.pipeline)."""
    components = {s["name"]: _component(spec, s) for s in spec["steps"]}

    names = [p["name"] for p in spec["parameters"]]

    def body(*channels):
        values = dict(zip(names, channels))
        tasks = {}

        def add(step: dict, item=None):
            kwargs = {p: values[p] for p in step["params"]}
            kwargs.update({a["name"]: tasks[a["step"]].outputs[a["output"]] for a in step["inputs"]})
            if step["loopItem"]:
                kwargs[LOOP_ITEM] = item
            task = components[step["name"]](**kwargs).set_caching_options(False)
            task.set_cpu_request(step["cpu"]).set_cpu_limit(step["cpu"])
            task.set_memory_request(step["memory"]).set_memory_limit(step["memory"])
            # dfp's default restricted profile.
            kubernetes.set_security_context(task, run_as_user=1000, run_as_group=1000, run_as_non_root=True)
            if step["secret"]:
                secret = spec["secret"]
                kubernetes.use_secret_as_env(task, secret_name=secret["secret"], secret_key_to_env={secret["key"]: secret["env"]})
            tasks[step["name"]] = task

        for step in spec["steps"]:
            if step["group"] == "root":
                add(step)
        condition = spec["condition"]
        with dsl.If(tasks[condition["step"]].outputs["score"] >= values[condition["param"]], name=spec["condition"]["name"]):
            for step in spec["steps"]:
                if step["group"] == "condition":
                    add(step)
        with dsl.ParallelFor(list(spec["loop"]["items"])) as item:
            for step in spec["steps"]:
                if step["group"] == "loop":
                    add(step, item)

    body.__name__ = _identifier(spec["name"])
    body.__signature__ = inspect.Signature([
        inspect.Parameter(p["name"], inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=PARAM_TYPES[p["type"]], default=p["default"])
        for p in spec["parameters"]
    ])
    return dsl.pipeline(name=spec["name"], description=spec["description"])(body)
