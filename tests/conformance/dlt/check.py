"""Real dlt on a load dfp rendered (tests/dlt.test.ts runs this in the harness's uv-locked venv).

  check.py <run_load.py> <config.toml> <source-dir> <warehouse-dir>

Puts the rendered config.toml where the step mounts it (<project>/.dlt/config.toml), points the
source and the destination at local folders through dlt's env provider (what differs from the
cluster: the URLs, not the settings), runs the very runner the image runs, then reads the Iceberg
table dlt wrote back with pyiceberg (its newest metadata file) and prints its schema and rows as
JSON. Exits with the runner's status when it fails.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

from pyiceberg.table import StaticTable


def main(runner: str, config: str, source: str, warehouse: str) -> int:
    runner, config, source, warehouse = (os.path.abspath(p) for p in (runner, config, source, warehouse))
    cfg = tomllib.load(open(config, "rb"))["dfp"]
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, ".dlt"))
        shutil.copy(config, os.path.join(work, ".dlt", "config.toml"))
        env = {
            **os.environ,
            "DLT_PROJECT_DIR": work,
            "DLT_DATA_DIR": os.path.join(work, "data"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "DESTINATION__FILESYSTEM__BUCKET_URL": f"file://{warehouse}",
            "DFP__SOURCE__BUCKET_URL": f"file://{source}",
        }
        run = subprocess.run([sys.executable, runner], env=env, cwd=work, capture_output=True, text=True)
        if run.returncode != 0:
            print(json.dumps({"ok": False, "code": run.returncode, "stderr": run.stderr[-4000:], "stdout": run.stdout[-2000:]}))
            return run.returncode
    table_dir = os.path.join(warehouse, cfg["dataset_name"], cfg["table_name"])
    metadata = sorted(glob.glob(os.path.join(table_dir, "metadata", "*.metadata.json")), key=os.path.getmtime)
    table = StaticTable.from_metadata(f"file://{metadata[-1]}")
    arrow = table.scan().to_arrow()
    rows = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in arrow.to_pylist()]
    schema = {f.name: str(f.field_type) for f in table.schema().fields}
    print(json.dumps({"ok": True, "table": table_dir, "format": table.properties.get("write.format.default", "parquet"), "schema": schema, "rows": rows}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
