"""Real dbt-core on dfp's dbt project (tests/dbt.test.ts runs this in the harness's uv-locked venv).

  check.py parse <project> <profiles.yml> <sources.yml> <target>
      Copies the project to a temporary folder, puts dfp's rendered sources.yml where the step
      mounts it (dfp/), and runs `dbt parse` with the rendered dbt-spark profile. Prints the
      manifest's models (with the models and sources each depends on), sources and tests as JSON.

  check.py build <project> <sources.yml> <seeds-dir>
      The same project on dbt-duckdb: creates each source table from <seeds-dir>/<table>.csv with
      the column types of the rendered sources.yml (columns DuckDB reads no CSV form of are left
      out), runs `dbt build`, and prints each node's status and the rows of every model as JSON.
      Exits 1 when dbt build fails.
"""

import json
import os
import shutil
import sys
import tempfile

import yaml
from dbt.cli.main import dbtRunner


def stage(project: str, sources: str, work: str) -> str:
    dst = os.path.join(work, "project")
    shutil.copytree(project, dst, ignore=shutil.ignore_patterns("target", "logs", "dfp"))
    os.makedirs(os.path.join(dst, "dfp"))
    shutil.copy(sources, os.path.join(dst, "dfp", "sources.yml"))
    return dst


def dbt(args: list[str]):
    res = dbtRunner().invoke(args)
    return res


def parse(project: str, profile: str, sources: str, target: str) -> int:
    with tempfile.TemporaryDirectory() as work:
        proj = stage(project, sources, work)
        profiles = os.path.join(work, "profiles")
        os.makedirs(profiles)
        shutil.copy(profile, os.path.join(profiles, "profiles.yml"))
        res = dbt(["parse", "--project-dir", proj, "--profiles-dir", profiles, "--target", target, "--target-path", os.path.join(work, "target"), "--log-path", os.path.join(work, "logs"), "--quiet"])
        if not res.success:
            print(json.dumps({"ok": False, "error": str(res.exception)}))
            return 1
        manifest = json.load(open(os.path.join(work, "target", "manifest.json")))
        models, tests = {}, []
        for node in manifest["nodes"].values():
            if node["resource_type"] == "model":
                deps = node["depends_on"]["nodes"]
                models[node["name"]] = {
                    "refs": sorted(manifest["nodes"][d]["name"] for d in deps if d.startswith("model.")),
                    "sources": sorted(f'{manifest["sources"][d]["source_name"]}.{manifest["sources"][d]["name"]}' for d in deps if d.startswith("source.")),
                }
            elif node["resource_type"] == "test":
                tests.append(node["name"])
        sources_out = {f'{s["source_name"]}.{s["name"]}': {"schema": s["schema"], "columns": {c: v.get("data_type") for c, v in s["columns"].items()}} for s in manifest["sources"].values()}
        adapter = manifest["metadata"]["adapter_type"]
        print(json.dumps({"ok": True, "adapter": adapter, "models": models, "sources": sources_out, "tests": sorted(tests)}))
        return 0


# DuckDB's names for the Spark SQL types the sources carry; anything else has no CSV form here.
DUCKDB_TYPES = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "float": "FLOAT", "double": "DOUBLE", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE"}


def build(project: str, sources: str, seeds: str) -> int:
    import duckdb

    with tempfile.TemporaryDirectory() as work:
        proj = stage(project, sources, work)
        db = os.path.join(work, "kronodroid.duckdb")
        spec = yaml.safe_load(open(sources))
        con = duckdb.connect(db)
        for src in spec["sources"]:
            con.execute(f'CREATE SCHEMA "{src["schema"]}"')
            for t in src["tables"]:
                cols = {c["name"]: DUCKDB_TYPES[c["data_type"]] for c in t["columns"] if c["data_type"] in DUCKDB_TYPES}
                csv = os.path.join(seeds, f'{t["name"]}.csv')
                columns_sql = ", ".join(f"'{n}': '{ty}'" for n, ty in cols.items())
                con.execute(f'CREATE TABLE "{src["schema"]}"."{t["name"]}" AS SELECT * FROM read_csv(?, header = true, columns = {{{columns_sql}}})', [csv])
        con.close()
        profiles = os.path.join(work, "profiles")
        os.makedirs(profiles)
        with open(os.path.join(profiles, "profiles.yml"), "w") as f:
            yaml.safe_dump({"kronodroid": {"target": "local", "outputs": {"local": {"type": "duckdb", "path": db, "schema": "dbt_kronodroid", "threads": 1}}}}, f)
        res = dbt(["build", "--project-dir", proj, "--profiles-dir", profiles, "--target-path", os.path.join(work, "target"), "--log-path", os.path.join(work, "logs"), "--quiet"])
        results = json.load(open(os.path.join(work, "target", "run_results.json")))["results"]
        status = {r["unique_id"]: r["status"] for r in results}
        rows = {}
        con = duckdb.connect(db)
        for uid in status:
            if uid.startswith("model.") and status[uid] == "success":
                name = uid.split(".")[-1]
                cur = con.execute(f'SELECT * FROM "dbt_kronodroid"."{name}"')
                names = [d[0] for d in cur.description]
                rows[name] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(names, row)} for row in cur.fetchall()]
        print(json.dumps({"ok": bool(res.success), "status": status, "rows": rows}, default=str))
        return 0 if res.success else 1


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    sys.exit(parse(*rest) if cmd == "parse" else build(*rest))
