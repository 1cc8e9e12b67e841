"""The Kronodroid transform on Spark: /opt/dfp/kronodroid_iceberg_job.py of the kronodroid-spark image.

  kronodroid_iceberg_job.py --lakefs-repository kronodroid --catalog lakefs --file-format avro
      [--branch B] [--enabled true|false]

The SparkApplication dfp renders (dist/<env>/spark/applications/kronodroid-iceberg.yaml)
starts it with its Spark properties: the Iceberg catalog `--catalog` (Hadoop type) whose
warehouse is `s3a://<repository>/main/warehouse` on lakeFS's S3 gateway and whose tables
write Avro data files. A run's `--branch` (appended by dfp_tools.run_transform) replaces
the ref in that warehouse, so the job reads and writes the branch. `--enabled false` does
nothing (the pipeline's run_transform parameter).

What it does (the SQL is dfp_tools.kronodroid's, the same text the DataFusion job runs):
reads `raw_kronodroid.samples`, the Iceberg table the dlt load wrote (dlt's own layout, so
its newest metadata file is registered in an in-memory Iceberg catalog to be read), then
creates or replaces, each in one Iceberg commit, `stg_kronodroid.emulator_samples`,
`stg_kronodroid.real_device_samples` and `kronodroid.fct_training_dataset` (partitioned by
split) with the IcebergTables' schemas and `write.format.default=avro`. It checks every
data file it wrote is Avro, and prints one JSON line with the rows and files per table.

Errors are one line on stderr naming the input (`kronodroid_iceberg_job: …`), exit 1; the
input is checked before any table is written, and nothing is committed to lakeFS here:
the pipeline's lakefs-commit-merge step does that after the transform and dbt succeed.
"""

import json
import sys
import tempfile
import time

from dfp_tools.kronodroid import (
    OUTPUT_TABLES, PARTITION_BY, RAW_COLUMNS, RAW_TABLE, SCHEMAS, SPARK, TransformError,
    newest_dlt_metadata, parse_bool, parser, statements, warehouse_for,
)

INPUT_CATALOG = "dfp_input"


def spark_type(iceberg):
    from pyspark.sql import types as T

    return {
        "string": T.StringType(), "timestamptz": T.TimestampType(), "int": T.IntegerType(),
        "double": T.DoubleType(), "date": T.DateType(), "list<float>": T.ArrayType(T.FloatType(), True),
    }[iceberg]


def spark_schema(table):
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, spark_type(t), not required) for name, t, required in SCHEMAS[table]])


def with_schema(spark, df, schema):
    """`df` with exactly `schema` (types and nullability): the IcebergTable's required fields
    stay required whatever nullability Spark infers for the query. Rows with a null in a
    required column are dropped first (the queries give none), on the JVM side."""
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    df = df.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])
    for f in schema.fields:
        if not f.nullable:
            df = df.where(F.col(f.name).isNotNull())
    jschema = spark._jsparkSession.parseDataType(schema.json())
    return DataFrame(spark._jsparkSession.createDataFrame(df._jdf.toJavaRDD(), jschema), spark)


def java_message(e):
    """The first line of a Java exception's message, for a one-line error."""
    text = str(getattr(e, "java_exception", None) or e)
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:400]
    return type(e).__name__


def list_names(spark, directory):
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(directory)
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    if not fs.exists(path):
        return []
    return [s.getPath().getName() for s in fs.listStatus(path)]


def register_raw(spark, warehouse, scratch):
    """`dfp_input.raw_kronodroid.samples`: the table dlt wrote, read through a Hadoop catalog
    in a scratch folder of the driver whose only metadata file is a copy of dlt's newest
    (dlt names its metadata files its own way, which Iceberg's Hadoop catalog does not read;
    the metadata's paths are absolute, so the data and manifests are read where dlt wrote them)."""
    namespace, name = RAW_TABLE.split(".")
    metadata_dir = f"{warehouse}/{namespace}/{name}/metadata"
    try:
        newest = newest_dlt_metadata(list_names(spark, metadata_dir))
    except Exception as e:
        raise TransformError(f"input table {RAW_TABLE}: cannot list {metadata_dir} ({java_message(e)})") from None
    if newest is None:
        raise TransformError(f"input table {RAW_TABLE} has no Iceberg metadata under {metadata_dir}; did the dlt load run on this branch?")
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    try:
        src = jvm.org.apache.hadoop.fs.Path(f"{metadata_dir}/{newest}")
        dst = jvm.org.apache.hadoop.fs.Path(f"file://{scratch}/{namespace}/{name}/metadata/v1.metadata.json")
        jvm.org.apache.hadoop.fs.FileUtil.copy(src.getFileSystem(conf), src, dst.getFileSystem(conf), dst, False, conf)
        with open(f"{scratch}/{namespace}/{name}/metadata/version-hint.text", "w") as f:
            f.write("1")
        raw = spark.table(f"{INPUT_CATALOG}.{RAW_TABLE}")
        columns = set(raw.columns)
    except Exception as e:
        raise TransformError(f"input table {RAW_TABLE} ({metadata_dir}/{newest}) cannot be read: {java_message(e)}") from None
    missing = [c for c in RAW_COLUMNS if c not in columns]
    if missing:
        raise TransformError(f"input table {RAW_TABLE} lacks the column(s) {', '.join(missing)}")
    return raw


def run(args):
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    started = time.time()
    spark = SparkSession.builder.appName("kronodroid-iceberg").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    catalog = args.catalog
    conf = f"spark.sql.catalog.{catalog}"
    warehouse = spark.conf.get(f"{conf}.warehouse", None)
    if not warehouse:
        raise TransformError(f"--catalog {catalog!r}: the Spark properties have no {conf}.warehouse")
    if args.branch is not None:
        warehouse = warehouse_for(warehouse, args.lakefs_repository, args.branch)
    # Catalogs load on first use, so these take effect for this session's queries.
    spark.conf.set(f"{conf}.warehouse", warehouse)
    spark.conf.set(f"{conf}.table-override.write.format.default", args.file_format)
    # Spark makes a CTAS/RTAS schema nullable; Iceberg keeps the query's nullability (the
    # IcebergTables' required fields) only with this catalog option.
    spark.conf.set(f"{conf}.use-nullable-query-schema", "false")
    scratch = tempfile.mkdtemp(prefix="dfp-input-")
    spark.conf.set(f"spark.sql.catalog.{INPUT_CATALOG}", "org.apache.iceberg.spark.SparkCatalog")
    spark.conf.set(f"spark.sql.catalog.{INPUT_CATALOG}.type", "hadoop")
    spark.conf.set(f"spark.sql.catalog.{INPUT_CATALOG}.warehouse", f"file://{scratch}")
    # dlt (pyiceberg) and the DataFusion job write s3:// paths into the metadata; on lakeFS's
    # gateway they are the same objects S3A reads as s3a://.
    hadoop = spark._jsc.hadoopConfiguration()
    if hadoop.get("fs.s3a.impl") and not hadoop.get("fs.s3.impl"):
        hadoop.set("fs.s3.impl", hadoop.get("fs.s3a.impl"))

    raw = register_raw(spark, warehouse, scratch)
    raw.select(*RAW_COLUMNS).createOrReplaceTempView("raw_samples")
    raw_rows = spark.table("raw_samples").count()

    # The training statement reads the staging tables this run has just written.
    names = {RAW_TABLE: "raw_samples", **{t: f"{catalog}.{t}" for t in OUTPUT_TABLES}}
    report = {}
    for table, query in statements(SPARK, names):
        namespace, name = table.split(".")
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {catalog}.{namespace}")
        # A table that came in by a merge keeps the `location` of the branch that created it
        # (Iceberg refuses to relocate a Hadoop table, and a replace keeps the location), and
        # data files go under the location: onto that other branch, uncommitted. The Hadoop
        # catalog writes the metadata and manifests under this branch's path already; the
        # data files go there by write.data.path.
        branch_table = f"{warehouse.rstrip('/')}/{namespace}/{name}"
        try:
            df = with_schema(spark, spark.sql(query), spark_schema(table))
            writer = (
                df.writeTo(f"{catalog}.{table}").using("iceberg").tableProperty("write.format.default", args.file_format)
                .tableProperty("format-version", "2").tableProperty("write.data.path", f"{branch_table}/data")
            )
            if PARTITION_BY[table]:
                writer = writer.partitionedBy(*[F.col(c) for c in PARTITION_BY[table]])
            writer.createOrReplace()
        except Exception as e:
            raise TransformError(f"writing {catalog}.{table} under {warehouse} failed: {java_message(e)}") from None
        files = spark.sql(f"SELECT file_path, file_format FROM {catalog}.{table}.files").collect()
        manifests = [r["path"] for r in spark.sql(f"SELECT path FROM {catalog}.{table}.manifests").collect()]
        outside = [p for p in [r["file_path"] for r in files] + manifests if not p.startswith(branch_table + "/")]
        if outside:
            raise TransformError(f"{catalog}.{table}: the new snapshot references files outside {branch_table} ({', '.join(outside[:3])})")
        formats = sorted({r["file_format"] for r in files})
        rows = spark.table(f"{catalog}.{table}").count()
        if rows and formats != [args.file_format.upper()]:
            raise TransformError(f"{catalog}.{table} holds {formats} data files, not {args.file_format}; check {conf}.table-override.write.format.default")
        report[table] = {"rows": rows, "formats": formats}
    spark.stop()
    return {"engine": "spark", "warehouse": warehouse, "raw_rows": raw_rows, "tables": report, "seconds": round(time.time() - started, 1)}


def main(argv=None):
    ap = parser("kronodroid_iceberg_job", "The Kronodroid transform on Spark.")
    ap.add_argument("--lakefs-repository", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--file-format", required=True, choices=["avro"])
    ap.add_argument("--branch")
    ap.add_argument("--enabled", default="true")
    args = ap.parse_args(argv)
    try:
        if not parse_bool(args.enabled, "--enabled"):
            print(json.dumps({"engine": "spark", "enabled": False}), flush=True)
            return 0
        report = run(args)
    except TransformError as e:
        print(f"kronodroid_iceberg_job: {e}", file=sys.stderr, flush=True)
        return 1
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
