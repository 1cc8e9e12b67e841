"""Runs one compiled Kubeflow pipeline (dfp's IR file) with kfp's own local runner.

    python kfp-local-run.py REQUEST.json

REQUEST: {"pipeline": path, "pipelineRoot": dir, "arguments": {...}, "runner": {...}}, where
runner holds `kfp.local.DockerRunner` keyword arguments (docker SDK `containers.run`
arguments; `mounts` as [{"source", "target", "read_only"}]). Nothing here executes a step:
kfp.local loads the IR (`kfp.components.load_component_from_file`), walks its DAG and
starts each step's container through the Docker API in DOCKER_HOST (podman's service).

Prints one JSON line last: {"status", "tasks": {task: status}, "exits": {task: [code]},
"outputs", "error"}: the task statuses as kfp.local's own log lines state them ("Task 'x'
finished with status SUCCESS"), and beside them each task container's exit code as the
Docker API's `die` event reports it. kfp 2.17's DockerRunner starts containers with
auto_remove=True and, when the container is already gone at `container.wait()`, assumes
exit 0 (kfp/local/docker_task_handler.py, run_docker_container); podman removes an exited
container at once, so a failed step is reported SUCCESS. The exit codes are how the
caller tells. A `die` belongs to the one task whose image the container ran, when only
one task of the pipeline runs that image; otherwise to the task last announced by
"Executing task 'x'" (kfp.local runs one task at a time, but the event stream may lag behind
its log: a container that fails at once can die after the next task was announced).
"""
import json
import logging
import re
import sys
import threading
import time
import traceback

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FINISHED = re.compile(r"Task '?([\w.-]+)'? finished with status (\w+)")
SKIPPED = re.compile(r"[Ss]kipp\w* task '?([\w.-]+)'?|Task '?([\w.-]+)'? (?:was )?skipped")


EXECUTING = re.compile(r"Executing task '?([\w.-]+)'?")


def image_name(ref):
    """`registry/dfp/name:tag@sha256:…` → `name`: how a task's image and an event's are compared."""
    return re.sub(r"@.*$", "", ref).rsplit("/", 1)[-1].split(":")[0]


def tasks_by_image(path):
    """{image name: [task, …]} for every container task of the IR file, nested DAGs included."""
    import yaml

    spec = next(d for d in yaml.safe_load_all(open(path)) if d and "deploymentSpec" in d)
    executors = spec["deploymentSpec"]["executors"]
    components = spec.get("components", {})
    found = {}

    def walk(dag):
        for name, task in sorted((dag.get("tasks") or {}).items()):
            component = components.get(task["componentRef"]["name"], {})
            if "dag" in component:
                walk(component["dag"])
            label = component.get("executorLabel")
            if label in executors:
                found.setdefault(image_name(executors[label]["container"]["image"]), []).append(name)

    walk(spec["root"]["dag"])
    return found


class TaskStatuses(logging.Filter):
    """Collects every task's final status from kfp.local's log records. A filter on the
    root logger, because kfp.local replaces the root logger's handlers while it runs."""

    def __init__(self, images):
        super().__init__()
        self.images = images
        self.tasks = {}
        self.current = None
        self.exits = {}
        self.lock = threading.Lock()

    def filter(self, record):
        text = ANSI.sub("", record.getMessage())
        with self.lock:
            for m in EXECUTING.finditer(text):
                self.current = m.group(1)
            for m in FINISHED.finditer(text):
                self.tasks[m.group(1)] = m.group(2)
            for m in SKIPPED.finditer(text):
                self.tasks.setdefault(m.group(1) or m.group(2), "SKIPPED")
        return True

    def watch(self, client):
        """Records each container's exit code from the API's events, for the current task."""
        def run():
            for event in client.events(decode=True, filters={"type": "container"}):
                if event.get("Action") != "die":
                    continue
                attributes = (event.get("Actor") or {}).get("Attributes", {})
                code = int(attributes.get("exitCode", "-1"))
                owners = self.images.get(image_name(attributes.get("image", "")), [])
                with self.lock:
                    task = owners[0] if len(owners) == 1 else self.current
                    self.exits.setdefault(task or "?", []).append(code)
        threading.Thread(target=run, daemon=True).start()


def main():
    request = json.load(open(sys.argv[1]))
    import docker
    import docker.types
    from kfp import components, local

    runner_args = dict(request.get("runner", {}))
    if "mounts" in runner_args:
        runner_args["mounts"] = [
            docker.types.Mount(m["target"], m["source"], type="bind", read_only=m.get("read_only", True))
            for m in runner_args["mounts"]
        ]
    statuses = TaskStatuses(tasks_by_image(request["pipeline"]))
    logging.getLogger().addFilter(statuses)
    logging.getLogger().setLevel(logging.INFO)
    statuses.watch(docker.from_env())
    result = {"status": "FAILURE", "tasks": {}, "exits": {}, "outputs": {}, "error": None}
    try:
        local.init(
            runner=local.DockerRunner(**runner_args),
            pipeline_root=request["pipelineRoot"],
            raise_on_error=True,
        )
        pipeline = components.load_component_from_file(request["pipeline"])
        task = pipeline(**request.get("arguments", {}))
        outputs = getattr(task, "outputs", {}) or {}
        result["outputs"] = {k: v if isinstance(v, (str, int, float, bool)) else repr(v) for k, v in outputs.items()}
        result["status"] = "SUCCESS"
    except Exception as e:  # kfp's own error, reported verbatim
        result["error"] = "".join(traceback.format_exception_only(type(e), e)).strip()
        traceback.print_exc()
    time.sleep(1)  # the last die event
    with statuses.lock:
        result["tasks"] = statuses.tasks
        result["exits"] = statuses.exits
    sys.stdout.flush()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
