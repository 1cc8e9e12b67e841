"""What the KFP backend needs of a PipelineSpec beyond its protobuf shape.

proto3 has no required fields and kfp's loader does not follow references, so a spec
with a dangling componentRef, a missing image or an undeclared input loads fine and
fails only when a run starts. These checks walk the parsed protobuf and report each
such reference, the way the backend's driver would meet it.
"""
import re

from kfp.pipeline_spec import pipeline_spec_pb2

CONDITION_INPUT = re.compile(r"inputs\.parameter_values\['((?:[^'\\]|\\.)*)'\]")


def check_integrity(spec: pipeline_spec_pb2.PipelineSpec, where: str) -> list:
    errors = []
    err = errors.append
    if not spec.pipeline_info.name:
        err(f"{where}: pipelineInfo.name is required")
    if spec.schema_version != "2.1.0":
        err(f"{where}: schemaVersion must be 2.1.0, found {spec.schema_version!r}")
    deployment = pipeline_spec_pb2.PipelineDeploymentConfig()
    spec.deployment_spec  # a Struct; re-parse it to follow executor labels
    from google.protobuf import json_format
    json_format.ParseDict(json_format.MessageToDict(spec.deployment_spec), deployment, ignore_unknown_fields=True)

    def component(name, at):
        if name not in spec.components:
            err(f"{where}: {at}: componentRef {name!r} names no component")
            return None
        return spec.components[name]

    for name, comp in spec.components.items():
        kind = comp.WhichOneof("implementation")
        if kind is None:
            err(f"{where}: component {name} has neither a dag nor an executorLabel")
        elif kind == "executor_label":
            ex = deployment.executors.get(comp.executor_label)
            if ex is None:
                err(f"{where}: component {name}: executorLabel {comp.executor_label!r} names no executor")
            elif not ex.container.image:
                err(f"{where}: executor {comp.executor_label}: container.image is required")

    def walk(comp_name, comp):
        if comp.WhichOneof("implementation") != "dag":
            return
        own_params = comp.input_definitions.parameters
        own_artifacts = comp.input_definitions.artifacts
        tasks = comp.dag.tasks
        for tname, task in tasks.items():
            at = f"{comp_name}.dag.tasks.{tname}"
            if not task.HasField("component_ref") or not task.component_ref.name:
                err(f"{where}: {at}: componentRef is required")
                continue
            target = component(task.component_ref.name, at)
            if target is None:
                continue
            for dep in task.dependent_tasks:
                if dep not in tasks:
                    err(f"{where}: {at}: dependentTasks names {dep!r}, not a task of this DAG")
            declared = target.input_definitions
            for key, spec_ in declared.parameters.items():
                if not spec_.is_optional and key not in task.inputs.parameters and key != task.parameter_iterator.item_input:
                    err(f"{where}: {at}: input parameter {key!r} is required by {task.component_ref.name}")
            for key, arg in task.inputs.parameters.items():
                if key not in declared.parameters:
                    err(f"{where}: {at}: passes parameter {key!r}, which {task.component_ref.name} does not declare")
                which = arg.WhichOneof("kind")
                if which == "component_input_parameter" and arg.component_input_parameter not in own_params:
                    err(f"{where}: {at}: reads {arg.component_input_parameter!r}, not an input of {comp_name}")
                if which == "task_output_parameter":
                    producer = tasks.get(arg.task_output_parameter.producer_task)
                    if producer is None:
                        err(f"{where}: {at}: producerTask {arg.task_output_parameter.producer_task!r} is not in this DAG")
                    elif arg.task_output_parameter.output_parameter_key not in spec.components[producer.component_ref.name].output_definitions.parameters:
                        err(f"{where}: {at}: {arg.task_output_parameter.producer_task} has no output {arg.task_output_parameter.output_parameter_key!r}")
            for key in declared.artifacts:
                if key not in task.inputs.artifacts:
                    err(f"{where}: {at}: input artifact {key!r} is required by {task.component_ref.name}")
            for key, arg in task.inputs.artifacts.items():
                which = arg.WhichOneof("kind")
                if which == "component_input_artifact" and arg.component_input_artifact not in own_artifacts:
                    err(f"{where}: {at}: reads artifact {arg.component_input_artifact!r}, not an input of {comp_name}")
                if which == "task_output_artifact":
                    producer = tasks.get(arg.task_output_artifact.producer_task)
                    if producer is None:
                        err(f"{where}: {at}: producerTask {arg.task_output_artifact.producer_task!r} is not in this DAG")
                    elif arg.task_output_artifact.output_artifact_key not in spec.components[producer.component_ref.name].output_definitions.artifacts:
                        err(f"{where}: {at}: {arg.task_output_artifact.producer_task} has no output artifact {arg.task_output_artifact.output_artifact_key!r}")
            if task.trigger_policy.condition:
                for name in CONDITION_INPUT.findall(task.trigger_policy.condition):
                    if name not in task.inputs.parameters:
                        err(f"{where}: {at}: the condition reads {name!r}, which is not an input of the task")
            if task.HasField("parameter_iterator"):
                items = task.parameter_iterator.items
                if items.WhichOneof("kind") == "input_parameter" and items.input_parameter not in task.inputs.parameters:
                    err(f"{where}: {at}: iterates over {items.input_parameter!r}, which is not an input of the task")
            walk(task.component_ref.name, target)
        # What the DAG hands out: each selector names a task of this DAG and one of its outputs
        # (several selectors are a dsl.OneOf: the backend takes the one whose task ran).
        for key, selector_spec in comp.dag.outputs.artifacts.items():
            at = f"{comp_name}.dag.outputs.artifacts.{key}"
            if key not in comp.output_definitions.artifacts:
                err(f"{where}: {at}: not declared in {comp_name}'s outputDefinitions")
            for sel in selector_spec.artifact_selectors:
                producer = tasks.get(sel.producer_subtask)
                if producer is None:
                    err(f"{where}: {at}: producerSubtask {sel.producer_subtask!r} is not in this DAG")
                elif sel.output_artifact_key not in spec.components[producer.component_ref.name].output_definitions.artifacts:
                    err(f"{where}: {at}: {sel.producer_subtask} has no output artifact {sel.output_artifact_key!r}")

    walk("root", spec.root)
    return errors
