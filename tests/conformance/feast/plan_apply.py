"""Runs the real Feast CLI on dfp's rendered Feast repos.

Usage: plan_apply.py REPO...   Prints {"results": [{"repo", "ok", "steps": [{"command", "code", "output"}]}]}.

Each repo is copied to a temporary directory, and only the places a test cannot reach
are pointed at local files: the registry (S3 in the rendered file) and the online store
(Redis). The definitions module and the offline store configuration are used as
rendered. Then `feast plan --skip-source-validation` and `feast apply
--skip-source-validation` run there (no Spark session, no data: sources are not
read), and `feast feature-views list` shows what the registry now holds. Repos are checked
two at a time.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml
from concurrent.futures import ThreadPoolExecutor

FEAST = os.path.join(os.path.dirname(sys.executable), "feast")


def run(repo):
    steps = []
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "repo")
        shutil.copytree(repo, work)
        config_path = os.path.join(work, "feature_store.yaml")
        with open(config_path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
        config["registry"] = {"registry_type": "file", "path": os.path.join(tmp, "registry.db")}
        config["online_store"] = {"type": "sqlite", "path": os.path.join(tmp, "online.db")}
        with open(config_path, "w", encoding="utf-8") as f:
            yaml.safe_dump(config, f)
        env = {**os.environ, "FEAST_USAGE": "False", "PYTHONDONTWRITEBYTECODE": "1"}
        for command in (["plan", "--skip-source-validation"], ["apply", "--skip-source-validation"], ["feature-views", "list"]):
            r = subprocess.run([FEAST, "-c", work, *command], capture_output=True, text=True, env=env, timeout=300)
            steps.append({"command": "feast " + " ".join(command), "code": r.returncode, "output": (r.stdout + r.stderr)[-4000:]})
            if r.returncode != 0:
                break
    return {"repo": repo, "ok": all(s["code"] == 0 for s in steps) and len(steps) == 3, "steps": steps}


if __name__ == "__main__":
    # Feast's CLI takes seconds to start; repos are independent, so check them side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, sys.argv[1:]))
    json.dump({"results": results}, sys.stdout, indent=1)
