"""Reads dfp's rendered DataHub files back with the real acryl-datahub package, no network.

usage: read_back.py <request.json>; prints one JSON report on stdout.

request: {"files": [<MCP JSON file>...], "recipes": [{"recipe": <recipe.yml>, "metadata": <folder the Job mounts>}...]}

For each MCP file:
  - `check_mce_file`, what `datahub check metadata-file` runs: DataHub's file source reads it;
  - each object through `MetadataChangeProposalWrapper.from_obj`, `validate()` (the aspect
    against its Avro schema, the URN), every URN in it parsed by `Urn.from_string`, dataset
    fabrics checked against FabricType, and `to_obj(simplified_structure=True)` compared with
    the object as written: what DataHub would write itself;
  - the lineage edges, as DataHub's classes read them (DataJobInputOutput, DataJobUrn,
    DatasetUrn), and owners and tags with their ids.
For each recipe: DataHub's config loader (with `${DATAHUB_GMS_TOKEN}` expanded from the
environment), `PipelineConfig`, the file source's and the datahub-rest sink's config models;
then the recipe's own source runs in a real ingestion Pipeline over the metadata folder as the
Job mounts it, into a file sink instead of GMS, and without stateful ingestion (its state lives
in GMS), and the records are counted.
"""
import copy
import json
import os
import sys
import tempfile
import traceback

os.environ.setdefault("DATAHUB_TELEMETRY_ENABLED", "false")

from datahub.cli.json_file import check_mce_file  # noqa: E402
from datahub.configuration.config_loader import load_config_file  # noqa: E402
from datahub.emitter.mce_builder import ALL_ENV_TYPES  # noqa: E402
from datahub.emitter.mcp import MetadataChangeProposalWrapper  # noqa: E402
from datahub.ingestion.run.pipeline import Pipeline  # noqa: E402
from datahub.ingestion.run.pipeline_config import PipelineConfig  # noqa: E402
from datahub.ingestion.sink.datahub_rest import DatahubRestSinkConfig  # noqa: E402
from datahub.ingestion.sink.sink_registry import sink_registry  # noqa: E402
from datahub.ingestion.source.file import FileSourceConfig  # noqa: E402
from datahub.ingestion.source.source_registry import source_registry  # noqa: E402
from datahub.metadata.schema_classes import DataJobInputOutputClass, GlobalTagsClass, OwnershipClass  # noqa: E402
from datahub.metadata.urns import DataJobUrn, DatasetUrn, Urn  # noqa: E402

TOKEN = "dfp-test-token-not-a-secret"


def urns_in(value):
    if isinstance(value, str):
        if value.startswith("urn:li:"):
            yield value
    elif isinstance(value, list):
        for v in value:
            yield from urns_in(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from urns_in(v)


def canonical(value):
    return json.dumps(value, sort_keys=True)


def check_urn(urn):
    parsed = Urn.from_string(urn)
    if isinstance(parsed, DatasetUrn) and parsed.env not in ALL_ENV_TYPES:
        raise ValueError(f"{urn}: fabric {parsed.env} is not a FabricType")
    return parsed


def read_file(path):
    out = {"file": path, "ok": True, "errors": [], "mcps": 0, "edges": [], "owners": [], "tags": [], "entities": []}
    try:
        out["check"] = check_mce_file(path)
    except Exception as e:  # the real reader refused the file
        out["errors"].append(f"check metadata-file: {e}")
    with open(path, encoding="utf-8") as f:
        objs = json.load(f)
    if not isinstance(objs, list):
        out["errors"].append("not a JSON list of MCPs")
        objs = []
    for i, obj in enumerate(objs):
        try:
            # from_obj rewrites its argument in place: it gets a copy.
            w = MetadataChangeProposalWrapper.from_obj(copy.deepcopy(obj))
            w.validate()
            for urn in urns_in(obj):
                check_urn(urn)
            again = w.to_obj(simplified_structure=True)
            if canonical(again) != canonical(obj):
                raise ValueError(f"DataHub writes it differently: {canonical(again)}")
        except Exception as e:
            out["errors"].append(f"{i}: {type(e).__name__}: {e}")
            continue
        out["mcps"] += 1
        out["entities"].append([w.entityType, w.entityUrn, w.aspectName])
        a = w.aspect
        if isinstance(a, DataJobInputOutputClass):
            job = DataJobUrn.from_string(w.entityUrn)
            flow = job.get_data_flow_urn()
            base = {"flow": [flow.orchestrator, flow.flow_id, flow.cluster], "job": job.job_id}
            for kind, urns in (("reads", a.inputDatasets), ("writes", a.outputDatasets)):
                for u in urns:
                    d = DatasetUrn.from_string(u)
                    platform = d.platform.split(":")[-1]
                    out["edges"].append({**base, "kind": kind, "platform": platform, "name": d.name, "fabric": d.env})
            for u in a.inputDatajobs:
                up = DataJobUrn.from_string(u)
                out["edges"].append({**base, "kind": "after", "name": up.job_id, "flow_urn": str(up.get_data_flow_urn())})
        if isinstance(a, OwnershipClass):
            for o in a.owners:
                u = Urn.from_string(o.owner)
                out["owners"].append([w.entityUrn, u.entity_type, u.entity_ids[0]])
        if isinstance(a, GlobalTagsClass):
            for t in a.tags:
                out["tags"].append([w.entityUrn, Urn.from_string(t.tag).entity_ids[0]])
    out["ok"] = not out["errors"]
    return out


def read_recipe(recipe, metadata):
    out = {"recipe": recipe, "ok": True, "errors": []}
    try:
        os.environ["DATAHUB_GMS_TOKEN"] = TOKEN
        raw = load_config_file(recipe)
        config = PipelineConfig.model_validate(raw)
        # The types resolve in DataHub's own registries, as `datahub ingest` looks them up.
        source_registry.get(config.source.type)
        sink_registry.get(config.sink.type)
        FileSourceConfig.model_validate(config.source.config)
        sink = DatahubRestSinkConfig.model_validate(config.sink.config)
        out["source"] = config.source.type
        out["sink"] = config.sink.type
        out["server"] = sink.server
        out["token_from_env"] = sink.token == TOKEN
        out["path"] = config.source.config["path"]
        # The recipe's source as it is, over the files where the Job mounts them, into a file sink.
        local = dict(raw)
        # Stateful ingestion keeps its state in GMS, which is not here: the local run goes without it.
        source_config = {k: v for k, v in raw["source"]["config"].items() if k != "stateful_ingestion"}
        out["stateful"] = bool(raw["source"]["config"].get("stateful_ingestion", {}).get("enabled"))
        local["source"] = {**raw["source"], "config": {**source_config, "path": metadata}}
        with tempfile.TemporaryDirectory() as tmp:
            sink_file = os.path.join(tmp, "out.json")
            local["sink"] = {"type": "file", "config": {"filename": sink_file}}
            p = Pipeline.create(local, report_to=None)
            p.run()
            p.raise_from_status()
            with open(sink_file, encoding="utf-8") as f:
                out["records"] = len(json.load(f))
    except Exception as e:
        out["errors"].append(f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}")
    out["ok"] = not out["errors"]
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    report = {
        "files": [read_file(p) for p in request.get("files", [])],
        "recipes": [read_recipe(r["recipe"], r["metadata"]) for r in request.get("recipes", [])],
    }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
