"""Runs a rendered DataFusion Job's SQL transform on real DataFusion.

Usage: run_sql_job.py JOB.json SETUP.sql RESULT.json
Writes {"outputs": {"ns.table": [row, ...]}} to RESULT.json, rows as JSON objects
(timestamps in ISO form), each query's result as dfp's runner would write it to its
output table. SETUP.sql creates the input tables in memory; the Job's own container
arguments (`--output T --query Q`, repeated) are the queries.
"""
import json
import sys

import datafusion


def plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def main():
    job_path, setup_path, result_path = sys.argv[1:4]
    with open(job_path) as f:
        job = json.load(f)
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "dfp_datafusion.run_sql"], "not a SQL transform"
    args = container["args"]
    pairs = [(args[i + 1], args[i + 3]) for i in range(0, len(args), 4) if args[i] == "--output" and args[i + 2] == "--query"]
    assert len(pairs) * 4 == len(args), f"unexpected arguments {args}"

    ctx = datafusion.SessionContext()
    with open(setup_path) as f:
        text = "\n".join(line for line in f if not line.startswith("--"))
    for stmt in [s.strip() for s in text.split(";") if s.strip()]:
        ctx.sql(stmt).collect()
    outputs = {table: [{k: plain(v) for k, v in row.items()} for row in ctx.sql(query).to_pylist()] for table, query in pairs}
    with open(result_path, "w") as f:
        json.dump({"outputs": outputs}, f)


if __name__ == "__main__":
    main()
