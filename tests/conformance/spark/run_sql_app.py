"""Runs a rendered SQL SparkApplication on a local Spark, as the operator would run it.

Usage: run_sql_app.py APP.json WAREHOUSE IVY_DIR SETUP.sql RESULT.json
Writes {"statements": n, "outputs": {"ns.table": {"formats": [...], "rows": n, "properties": {...}}}}
to RESULT.json (Ivy and the JVM print to stdout).

The session gets the application's own sparkConf and deps.packages (resolved by Ivy
from Maven Central), with two changes a test machine needs: the catalog's warehouse is a
local folder instead of the lakeFS S3 gateway, and hadoop-aws (the S3A filesystem, unused
then) is left out. The statements are the application's `--statement` arguments, run in
order, after SETUP.sql (the test's input tables) has been run. Then each output table
named by the `dfp.dev/outputs` annotation reports the formats of its data files.
"""
import json
import sys

from pyspark.sql import SparkSession


def main():
    app_path, warehouse, ivy, setup_path, result_path = sys.argv[1:6]
    with open(app_path) as f:
        app = json.load(f)
    spec = app["spec"]
    assert spec["mainApplicationFile"] == "local:///opt/dfp/run_sql.py", "not a SQL transform"
    args = spec.get("arguments", [])
    statements = [args[i + 1] for i in range(0, len(args), 2) if args[i] == "--statement"]
    catalog = spec["sparkConf"]["spark.sql.defaultCatalog"]

    builder = SparkSession.builder.master("local[1]").appName(app["metadata"]["name"])
    for key, value in spec["sparkConf"].items():
        builder = builder.config(key, value)
    packages = [p for p in spec["deps"]["packages"] if not p.startswith("org.apache.hadoop:hadoop-aws:")]
    builder = (
        builder.config(f"spark.sql.catalog.{catalog}.warehouse", f"file://{warehouse}")
        .config("spark.jars.packages", ",".join(packages))
        .config("spark.jars.ivy", ivy)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    with open(setup_path) as f:
        for stmt in [s.strip() for s in f.read().split(";") if s.strip()]:
            spark.sql(stmt)
    for stmt in statements:
        spark.sql(stmt)

    outputs = {}
    for table in app["metadata"]["annotations"]["dfp.dev/outputs"].split(","):
        files = spark.sql(f"SELECT file_format FROM {catalog}.{table}.files").collect()
        props = {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {catalog}.{table}").collect()}
        rows = spark.sql(f"SELECT count(*) AS n FROM {catalog}.{table}").collect()[0]["n"]
        outputs[table] = {"formats": sorted({r["file_format"] for r in files}), "rows": rows, "properties": props}
    spark.stop()
    with open(result_path, "w") as f:
        json.dump({"statements": len(statements), "outputs": outputs}, f)


if __name__ == "__main__":
    main()
