"""Runs a rendered SQL SparkApplication on a local Spark, as the operator would run it.

Usage: run_sql_app.py APP.json WAREHOUSE IVY_DIR SETUP.sql RESULT.json
Writes {"queries": n, "outputs": {"ns.table": {"formats": [...], "rows": [...], "properties": {...}}}}
to RESULT.json (Ivy and the JVM print to stdout).

The session gets the application's own sparkConf, with three changes a test machine needs:
the packages its dfp.dev/spark-packages annotation names (whose jars the platform's images
hold in /opt/dfp/jars, on the rendered classpath) are resolved by Ivy from Maven Central,
the catalog's warehouse is a local folder instead of the lakeFS S3 gateway, and hadoop-aws
(the S3A filesystem, unused then) is left out. The queries run in order,
after SETUP.sql (the test's input tables) has been run. The application's arguments are
`--output T --query Q` pairs; each query is written into its table (created or replaced
in the catalog), as dfp's SQL runner does. Then each output table reports the formats of
its data files, its properties and its rows (JSON objects, timestamps in ISO form).
"""
import json
import sys

from pyspark.sql import SparkSession


def plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def main():
    app_path, warehouse, ivy, setup_path, result_path = sys.argv[1:6]
    with open(app_path) as f:
        app = json.load(f)
    spec = app["spec"]
    assert spec["mainApplicationFile"] == "local:///opt/dfp/run_sql.py", "not a SQL transform"
    args = spec.get("arguments", [])
    pairs = [(args[i + 1], args[i + 3]) for i in range(0, len(args), 4) if args[i] == "--output" and args[i + 2] == "--query"]
    assert len(pairs) * 4 == len(args), f"unexpected arguments {args}"
    catalog = spec["sparkConf"]["spark.sql.defaultCatalog"]

    builder = SparkSession.builder.master("local[1]").appName(app["metadata"]["name"])
    for key, value in spec["sparkConf"].items():
        builder = builder.config(key, value)
    assert "deps" not in spec, "the image's jars are on the classpath; nothing is resolved at start-up"
    named = app["metadata"]["annotations"]["dfp.dev/spark-packages"].split(",")
    packages = [p for p in named if not p.startswith("org.apache.hadoop:hadoop-aws:")]
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
        text = "\n".join(line for line in f if not line.startswith("--"))
    for stmt in [s.strip() for s in text.split(";") if s.strip()]:
        spark.sql(stmt)
    for table, query in pairs:
        spark.sql(query).writeTo(f"{catalog}.{table}").createOrReplace()

    outputs = {}
    for table, _ in pairs:
        files = spark.sql(f"SELECT file_format FROM {catalog}.{table}.files").collect()
        props = {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {catalog}.{table}").collect()}
        rows = [{k: plain(v) for k, v in r.asDict().items()} for r in spark.table(f"{catalog}.{table}").collect()]
        outputs[table] = {"formats": sorted({r["file_format"] for r in files}), "rows": rows, "properties": props}
    spark.stop()
    with open(result_path, "w") as f:
        json.dump({"queries": len(pairs), "outputs": outputs}, f)


if __name__ == "__main__":
    main()
