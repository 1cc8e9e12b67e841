"""A generated spec (bench/generator/spec.ts) as a Hera WorkflowTemplate: one container
template per step, a root DAG, and one DAG per group (the condition's runs `when` the
score clears the threshold; the loop's runs `with_items`), as dfp's Argo target lays it
out. Artifacts made outside a group enter it as the group DAG's input artifacts."""
from hera.workflows import DAG, Artifact, Container, Parameter, Resources, SecretEnv, Task, WorkflowTemplate
from hera.workflows import models as m

LOOP_ITEM = "per_item_item"  # the name dfp gives the loop item input


def _container(spec: dict, step: dict) -> Container:
    def arg(piece: dict) -> str:
        kind = piece["kind"]
        if kind == "text":
            return piece["value"]
        if kind == "param":
            return "{{inputs.parameters.%s}}" % piece["name"]
        if kind == "inputPath":
            return f"/tmp/inputs/{piece['name']}"
        if kind == "outputPath":
            return f"/tmp/outputs/{piece['name']}"
        if kind == "scorePath":
            return "/tmp/outputs/score"
        return "{{inputs.parameters.%s}}" % LOOP_ITEM

    inputs = [Parameter(name=p) for p in step["params"]]
    inputs += [Artifact(name=a["name"], path=f"/tmp/inputs/{a['name']}") for a in step["inputs"]]
    if step["loopItem"]:
        inputs.append(Parameter(name=LOOP_ITEM))
    outputs = [Artifact(name=a["name"], path=f"/tmp/outputs/{a['name']}") for a in step["outputs"]]
    if step["score"]:
        outputs.append(Parameter(name="score", value_from=m.ValueFrom(path="/tmp/outputs/score")))
    secret = spec["secret"]
    return Container(
        name=step["name"],
        image=spec["image"],
        args=[arg(piece) for piece in step["args"]],
        inputs=inputs,
        outputs=outputs,
        env=[SecretEnv(name=secret["env"], secret_name=secret["secret"], secret_key=secret["key"])] if step["secret"] else None,
        resources=Resources(cpu_request=step["cpu"], cpu_limit=step["cpu"], memory_request=step["memory"], memory_limit=step["memory"]),
        # dfp's default restricted profile.
        security_context=m.SecurityContext(allow_privilege_escalation=False, capabilities=m.Capabilities(drop=["ALL"])),
        pod_security_context=m.PodSecurityContext(run_as_non_root=True, run_as_user=1000, run_as_group=1000,
                                                  seccomp_profile=m.SeccompProfile(type="RuntimeDefault")),
    )


def _task(step: dict, template: Container, local: set, artifact_from) -> Task:
    """The step's task; `local` names the steps in the same DAG, `artifact_from` says
    where an artifact of a step outside it comes from."""
    arguments = [Parameter(name=p, value="{{workflow.parameters.%s}}" % p) for p in step["params"]]
    for a in step["inputs"]:
        if a["step"] in local:
            source = "{{tasks.%s.outputs.artifacts.%s}}" % (a["step"], a["output"])
        else:
            source = artifact_from(a)
        arguments.append(Artifact(name=a["name"], from_=source))
    if step["loopItem"]:
        arguments.append(Parameter(name=LOOP_ITEM, value="{{inputs.parameters.%s}}" % LOOP_ITEM))
    dependencies = sorted({a["step"] for a in step["inputs"] if a["step"] in local})
    return Task(name=step["name"], template=template, arguments=arguments, dependencies=dependencies or None)


def _external_name(a: dict) -> str:
    return "%s_%s" % (a["step"].replace("-", "_"), a["output"])


def build_workflow(spec: dict) -> WorkflowTemplate:
    steps = spec["steps"]
    by_group = {g: [s for s in steps if s["group"] == g] for g in ("root", "condition", "loop")}
    condition, loop = spec["condition"], spec["loop"]
    with WorkflowTemplate(
        name=spec["name"],
        namespace="ml-bench",
        entrypoint=spec["name"],
        annotations={"workflows.argoproj.io/description": spec["description"]},
        arguments=[Parameter(name=p["name"], value=str(p["default"])) for p in spec["parameters"]],
        service_account_name="dfp-runner",
    ) as wt:
        templates = {s["name"]: _container(spec, s) for s in steps}
        group_dags = {}
        for group in ("condition", "loop"):
            members = by_group[group]
            local = {s["name"] for s in members}
            external = {}
            for s in members:
                for a in s["inputs"]:
                    if a["step"] not in local:
                        external[_external_name(a)] = a
            inputs = [Artifact(name=n) for n in sorted(external)]
            if group == "loop":
                inputs.append(Parameter(name=LOOP_ITEM))
            name = condition["name"] if group == "condition" else loop["name"]
            with DAG(name=name, inputs=inputs) as dag:
                for s in members:
                    _task(s, templates[s["name"]], local, lambda a: "{{inputs.artifacts.%s}}" % _external_name(a))
            group_dags[group] = (dag, external)

        root_local = {s["name"] for s in by_group["root"]}
        with DAG(name=spec["name"]):
            for s in by_group["root"]:
                _task(s, templates[s["name"]], root_local, None)
            for group, (dag, external) in group_dags.items():
                arguments = [Artifact(name=n, from_="{{tasks.%s.outputs.artifacts.%s}}" % (a["step"], a["output"])) for n, a in sorted(external.items())]
                producers = {a["step"] for a in external.values()}
                if group == "condition":
                    producers.add(condition["step"])
                    Task(name=dag.name, template=dag, arguments=arguments, dependencies=sorted(producers),
                         when="{{tasks.%s.outputs.parameters.score}} >= {{workflow.parameters.%s}}" % (condition["step"], condition["param"]))
                else:
                    arguments.append(Parameter(name=LOOP_ITEM, value="{{item}}"))
                    Task(name=dag.name, template=dag, arguments=arguments, dependencies=sorted(producers) or None,
                         with_items=list(loop["items"]))
    return wt
