"""What dfp_tools.lineage does with environments a test gives it, in one process (MLflow's
import is slow): for each `stamps` case, the tags it would record; for each `refuse`
case, the error it raises and the tags the run has afterwards (none may be lineage's).

  python helper_checks.py < {"stamps": {name: env}, "refuse": {name: env}}  ->  JSON
"""
import json
import sys

import mlflow
from dfp_tools.lineage import STAMPS, LineageError, lineage_tags, record_lineage

cases = json.load(sys.stdin)
out = {"contract": [[env, tag] for env, tag, _required in STAMPS], "stamps": {}, "refuse": {}}
for name, env in sorted(cases.get("stamps", {}).items()):
    out["stamps"][name] = lineage_tags(env)
if cases.get("refuse"):
    client = mlflow.MlflowClient()
    experiment = client.create_experiment("dfp-helper-refusals")
    for name, env in sorted(cases["refuse"].items()):
        run = client.create_run(experiment)
        try:
            record_lineage(run.info.run_id, weights={"model": __file__}, environ=env, client=client)
            error = None
        except LineageError as e:
            error = str(e)
        tags = client.get_run(run.info.run_id).data.tags
        out["refuse"][name] = {"error": error, "tags": sorted(k for k in tags if not k.startswith("mlflow."))}
print(json.dumps(out, sort_keys=True))
