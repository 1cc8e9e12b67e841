"""Reads the Kronodroid transform's output tables with Spark, for tests/kronodroid-transform.test.ts.

  spark-submit … read_tables.py CATALOG RESULT.json   (the catalog's warehouse from the Spark properties)

Writes {table: {"rows", "formats"}} with the rows normalised as the pyiceberg reader does
(timestamps as epoch microseconds, dates as ISO text, floats as repr) and sorted, so a table
another engine wrote can be compared with what pyiceberg reads from it.
"""
import datetime
import json
import sys

from pyspark.sql import SparkSession

from dfp_tools.kronodroid import OUTPUT_TABLES


def plain(v):
    if isinstance(v, datetime.datetime):
        return int(v.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1_000_000 + v.microsecond
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def main(catalog, result):
    spark = SparkSession.builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    hadoop = spark._jsc.hadoopConfiguration()
    if hadoop.get("fs.s3a.impl") and not hadoop.get("fs.s3.impl"):
        hadoop.set("fs.s3.impl", hadoop.get("fs.s3a.impl"))
    out = {}
    for table in OUTPUT_TABLES:
        rows = [{k: plain(v) for k, v in r.asDict(recursive=True).items()} for r in spark.table(f"{catalog}.{table}").collect()]
        rows.sort(key=lambda r: json.dumps(r, sort_keys=True))
        formats = sorted({r["file_format"] for r in spark.sql(f"SELECT file_format FROM {catalog}.{table}.files").collect()})
        out[table] = {"rows": rows, "formats": formats}
    spark.stop()
    with open(result, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:3])
