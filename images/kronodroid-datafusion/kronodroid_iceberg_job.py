"""The Kronodroid transform on DataFusion: /opt/dfp/kronodroid_iceberg_job.py of the kronodroid-datafusion image.

  python kronodroid_iceberg_job.py --lakefs-repository kronodroid --catalog lakefs --file-format avro
      [--branch B] [--enabled true|false]

The batch/v1 Job dfp renders (dist/<env>/datafusion/jobs/kronodroid-iceberg.yaml) gives it
the warehouse (DFP_WAREHOUSE, `s3://<repository>/main/warehouse`; a run's `--branch`
replaces the ref), the format (DFP_WRITE_FORMAT=avro), and lakeFS's S3 gateway
(AWS_ENDPOINT_URL, AWS_REGION, the key pair from Secret references).

It runs the same SQL as the Spark job (dfp_tools.kronodroid) on DataFusion, over
`raw_kronodroid.samples` as the dlt load wrote it (its newest metadata file, read with
pyiceberg). pyiceberg writes Parquet data files only, so the Avro data files are written
here, with pyiceberg's own Avro encoder (the Iceberg Avro schema: field ids, timestamptz as
timestamp-micros adjusted to UTC, lists with element ids), one file per partition, and
committed with pyiceberg's snapshot producer (manifest, manifest list and table metadata
written by pyiceberg, the DataFile entries saying AVRO) in one overwrite snapshot per table.
The table is laid out as Iceberg's Hadoop catalog lays it out (the catalog the Spark job
uses): the new metadata is published as `metadata/v<N>.metadata.json` and
`version-hint.text`, so Spark, pyiceberg and dfp_tools.lineage read it. A table found on
the branch whose `location` is another branch's warehouse (it came in by a merge) is moved
to this branch's first (move_table), so every file a run writes is on its own branch.

Errors are one line on stderr naming the input (`kronodroid_iceberg_job: …`), exit 1; the
input is read and every query runs before any table is written, and nothing is committed
to lakeFS here (the pipeline's lakefs-commit-merge step does that).
"""

import json
import os
import sys
import time
import uuid

from dfp_tools.kronodroid import (
    DATAFUSION, OUTPUT_TABLES, PARTITION_BY, RAW_COLUMNS, RAW_TABLE, SCHEMAS, TransformError,
    newest_dlt_metadata, parse_bool, parser, statements, warehouse_for,
)


def iceberg_schema(table):
    from pyiceberg.schema import Schema
    from pyiceberg.types import DateType, DoubleType, FloatType, IntegerType, ListType, NestedField, StringType, TimestamptzType

    primitive = {"string": StringType(), "timestamptz": TimestamptzType(), "int": IntegerType(), "double": DoubleType(), "date": DateType()}
    fields = SCHEMAS[table]
    nested = len(fields)
    out = []
    for i, (name, kind, required) in enumerate(fields, start=1):
        if kind == "list<float>":
            nested += 1
            field_type = ListType(element_id=nested, element_type=FloatType(), element_required=False)
        else:
            field_type = primitive[kind]
        out.append(NestedField(field_id=i, name=name, field_type=field_type, required=required))
    return Schema(*out)


def partition_spec(table, schema):
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform

    return PartitionSpec(*[
        PartitionField(source_id=schema.find_field(c).field_id, field_id=1000 + i, transform=IdentityTransform(), name=c)
        for i, c in enumerate(PARTITION_BY[table])
    ])


class Warehouse:
    """The warehouse's files: pyarrow's filesystem for listing, pyiceberg's FileIO for the rest."""

    def __init__(self, url, environ):
        import pyarrow.fs as pafs

        self.url = url.rstrip("/")
        scheme = url.split("://", 1)[0]
        self.properties = {}
        if scheme in ("s3", "s3a"):
            endpoint = environ.get("AWS_ENDPOINT_URL")
            if not endpoint:
                raise TransformError("AWS_ENDPOINT_URL is not set; the Job needs lakeFS's S3 gateway")
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                if not environ.get(name):
                    raise TransformError(f"{name} is not set; the Job needs lakeFS's key pair")
            region = environ.get("AWS_REGION", "us-east-1")
            self.properties = {
                "s3.endpoint": endpoint, "s3.region": region, "s3.path-style-access": "true",
                "s3.access-key-id": environ["AWS_ACCESS_KEY_ID"], "s3.secret-access-key": environ["AWS_SECRET_ACCESS_KEY"],
                "py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO",
            }
            self.fs = pafs.S3FileSystem(
                access_key=environ["AWS_ACCESS_KEY_ID"], secret_key=environ["AWS_SECRET_ACCESS_KEY"], region=region,
                endpoint_override=endpoint, force_virtual_addressing=False, request_timeout=30, connect_timeout=10,
                retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=3),
            )
            self.strip = lambda u: u.split("://", 1)[1]
        elif scheme == "file":
            self.fs = pafs.LocalFileSystem()
            self.strip = lambda u: u.split("://", 1)[1]
        else:
            raise TransformError(f"DFP_WAREHOUSE {url!r}: only s3://, s3a:// and file:// warehouses are supported")
        from pyiceberg.io.pyarrow import PyArrowFileIO

        self.io = PyArrowFileIO(self.properties)

    def names(self, directory):
        import pyarrow.fs as pafs

        infos = self.fs.get_file_info(pafs.FileSelector(self.strip(directory), allow_not_found=True))
        return [i.base_name for i in infos if i.type == pafs.FileType.File]

    def read_text(self, url):
        with self.io.new_input(url).open() as f:
            return f.read().decode()

    def write_bytes(self, url, data, overwrite):
        with self.io.new_output(url).create(overwrite=overwrite) as f:
            f.write(data)


def read_raw(wh):
    import pyarrow.compute as pc
    from pyiceberg.table import StaticTable

    namespace, name = RAW_TABLE.split(".")
    metadata_dir = f"{wh.url}/{namespace}/{name}/metadata"
    try:
        newest = newest_dlt_metadata(wh.names(metadata_dir))
    except OSError as e:
        raise TransformError(f"input table {RAW_TABLE}: cannot list {metadata_dir} ({' '.join(str(e).split())[:300]})") from None
    if newest is None:
        raise TransformError(f"input table {RAW_TABLE} has no Iceberg metadata under {metadata_dir}; did the dlt load run on this branch?")
    try:
        table = StaticTable.from_metadata(f"{metadata_dir}/{newest}", properties=wh.properties)
    except Exception as e:
        raise TransformError(f"input table {RAW_TABLE} ({metadata_dir}/{newest}) is not readable Iceberg metadata: {type(e).__name__}: {' '.join(str(e).split())[:300]}") from None
    missing = [c for c in RAW_COLUMNS if c not in {f.name for f in table.schema().fields}]
    if missing:
        raise TransformError(f"input table {RAW_TABLE} lacks the column(s) {', '.join(missing)}")
    try:
        arrow = table.scan(selected_fields=RAW_COLUMNS).to_arrow()
    except Exception as e:
        raise TransformError(f"input table {RAW_TABLE}: its data files cannot be read: {type(e).__name__}: {' '.join(str(e).split())[:300]}") from None
    return arrow


def register(ctx, name, table):
    import pyarrow as pa

    batches = table.to_batches() or [pa.RecordBatch.from_pylist([], schema=table.schema)]
    ctx.register_record_batches(name, [batches])


def run_sql(raw):
    import datafusion

    ctx = datafusion.SessionContext()
    register(ctx, "raw_samples", raw)
    names = {RAW_TABLE: "raw_samples", **{t: t.replace(".", "__") for t in OUTPUT_TABLES}}
    results = {}
    for table, query in statements(DATAFUSION, names):
        try:
            result = ctx.sql(query).to_arrow_table()
        except Exception as e:
            raise TransformError(f"the query for {table} failed on DataFusion: {' '.join(str(e).split())[:300]}") from None
        results[table] = result
        register(ctx, names[table], result)
    return results


def to_records(arrow, schema):
    """pyiceberg Records in `schema`'s field order: timestamps as microseconds, dates as days."""
    import pyarrow as pa
    from pyiceberg.typedef import Record
    from pyiceberg.types import DateType, TimestamptzType

    columns = []
    for field in schema.fields:
        col = arrow.column(field.name)
        if isinstance(field.field_type, TimestamptzType):
            col = col.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
        elif isinstance(field.field_type, DateType):
            col = col.cast(pa.date32()).cast(pa.int32())
        values = col.to_pylist()
        if field.required and any(v is None for v in values):
            raise TransformError(f"column {field.name} is required but the query gave nulls")
        columns.append(values)
    return [Record(*row) for row in zip(*columns)]


# Table properties that would send new files somewhere other than the table location.
PATH_PROPERTIES = ("write.data.path", "write.metadata.path", "write.object-storage.path", "write.folder-storage.path")


def move_table(catalog, table, existing, location):
    """The existing table, its `location` set to this run's branch warehouse.

    The table found on the branch was created (or last written) through another lakeFS
    branch, so its `location` names that branch (`s3://<repo>/<other>/warehouse/...`), and
    pyiceberg writes new manifests, the manifest list and the metadata under the table
    location: onto the other branch, uncommitted, where the merge of this branch never
    takes them. Iceberg's own way to move a table is the SetLocation update: the schema,
    spec, snapshot history and table uuid stay; files already written keep the absolute
    paths they are recorded under (the earlier snapshots' files, which the other branch's
    merge brought here); new files go under the new location. pyiceberg 0.12 has no
    Transaction.update_location and its snapshot producer takes the location provider from
    the table as loaded, so the location is committed first (a catalog commit whose metadata
    file is already written under the new location) and the overwrite is committed on the
    reloaded table. Only the overwrite's metadata is published as v<N+1>, so readers of the
    Hadoop layout see one step from v<N> to a table whose location and snapshot are both
    this run's.
    """
    from pyiceberg.table.update import AssertTableUUID, RemovePropertiesUpdate, SetLocationUpdate

    updates = [SetLocationUpdate(location=location)]
    stale = [k for k in PATH_PROPERTIES if k in existing.properties]
    if stale:
        updates.append(RemovePropertiesUpdate(removals=stale))
    catalog.commit_table(existing, requirements=(AssertTableUUID(uuid=existing.metadata.table_uuid),), updates=tuple(updates))
    return catalog.load_table(table)


def snapshot_files(iceberg):
    """The current snapshot's manifest list, manifests and live data files."""
    snapshot = iceberg.current_snapshot()
    if snapshot is None:
        return []
    manifests = snapshot.manifests(iceberg.io)
    files = [snapshot.manifest_list] + [m.manifest_path for m in manifests]
    for m in manifests:
        files += [e.data_file.file_path for e in m.fetch_manifest_entry(iceberg.io, discard_deleted=True)]
    return files


def write_table(wh, table, arrow, file_format):
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.avro.file import AvroOutputFile
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    schema = iceberg_schema(table)
    spec = partition_spec(table, schema)
    namespace, name = table.split(".")
    location = f"{wh.url}/{namespace}/{name}"
    metadata_dir = f"{location}/metadata"
    properties = {"write.format.default": file_format, "format-version": "2"}
    catalog = SqlCatalog("dfp", uri="sqlite:///:memory:", warehouse=wh.url, **wh.properties)
    catalog.create_namespace(namespace)

    version = 0
    names = wh.names(metadata_dir)
    if "version-hint.text" in names:
        version = int(wh.read_text(f"{metadata_dir}/version-hint.text").strip())
    existing = None
    if version:
        existing = catalog.register_table(table, f"{metadata_dir}/v{version}.metadata.json")
        if existing.schema().as_struct() != schema.as_struct() or existing.spec() != spec:
            catalog.drop_table(table)
            existing = None
    if existing is not None and (existing.metadata.location.rstrip("/") != location or any(k in existing.properties for k in PATH_PROPERTIES)):
        existing = move_table(catalog, table, existing, location)
    iceberg = existing or catalog.create_table(table, schema=schema, location=location, partition_spec=spec, properties=properties)

    # One Avro data file per partition, as Spark writes them.
    groups = {}
    partition_columns = PARTITION_BY[table]
    for record, values in zip(to_records(arrow, schema), zip(*[arrow.column(c).to_pylist() for c in partition_columns]) if partition_columns else ((),) * arrow.num_rows):
        groups.setdefault(tuple(values), []).append(record)
    files = []
    for values, records in sorted(groups.items()):
        folder = "/".join(f"{c}={v}" for c, v in zip(partition_columns, values))
        path = f"{location}/data/{folder + '/' if folder else ''}{uuid.uuid4()}.avro"
        with AvroOutputFile(wh.io.new_output(path), schema, schema_name=name, metadata={"avro.codec": "deflate"}) as out:
            out.write_block(records)
        size = len(wh.io.new_input(path))
        files.append(DataFile.from_args(
            content=DataFileContent.DATA, file_path=path, file_format=FileFormat.AVRO, partition=Record(*values),
            record_count=len(records), file_size_in_bytes=size, sort_order_id=None, spec_id=iceberg.metadata.default_spec_id,
            equality_ids=None, key_metadata=None,
        ))

    with iceberg.transaction() as tx:
        tx.set_properties(properties)
        with tx.update_snapshot().overwrite() as overwrite:
            if existing is not None:
                for task in existing.scan().plan_files():
                    overwrite.delete_data_file(task.file)
            for f in files:
                overwrite.append_data_file(f)
    iceberg = catalog.load_table(table)

    # Publish the new metadata under the Hadoop catalog's names; refuse to overwrite a
    # version another writer published meanwhile. Every file the new snapshot references
    # must be this run's, under this branch's table location.
    outside = [f for f in snapshot_files(iceberg) if not f.startswith(location + "/")]
    if outside or iceberg.metadata.location.rstrip("/") != location:
        raise TransformError(f"{table}: the new snapshot references files outside {location} ({', '.join(outside[:3])}); nothing was published")
    nxt = version + 1
    if f"v{nxt}.metadata.json" in wh.names(metadata_dir):
        raise TransformError(f"{table}: {metadata_dir}/v{nxt}.metadata.json appeared while this job ran; another writer is at work on the branch")
    wh.write_bytes(f"{metadata_dir}/v{nxt}.metadata.json", wh.io.new_input(iceberg.metadata_location).open().read(), overwrite=False)
    wh.write_bytes(f"{metadata_dir}/version-hint.text", str(nxt).encode(), overwrite=True)
    formats = sorted({task.file.file_format.name for task in iceberg.scan().plan_files()})
    if arrow.num_rows and formats != [file_format.upper()]:
        raise TransformError(f"{table} holds {formats} data files, not {file_format}")
    return {"rows": arrow.num_rows, "formats": formats, "files": len(files), "version": nxt}


def run(args, environ):
    started = time.time()
    # lakeFS's S3 gateway (0.113 at least) refuses the trailing checksums the AWS SDK in
    # pyarrow adds by default (UploadPart answers Access Denied); S3 itself does not need them.
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
    fmt = environ.get("DFP_WRITE_FORMAT", args.file_format)
    if fmt != "avro" or args.file_format != "avro":
        raise TransformError(f"DFP_WRITE_FORMAT {fmt!r} / --file-format {args.file_format!r}: this job writes Avro data files only")
    warehouse = environ.get("DFP_WAREHOUSE")
    if not warehouse:
        raise TransformError("DFP_WAREHOUSE is not set; the Job names the warehouse")
    if args.branch is not None:
        warehouse = warehouse_for(warehouse, args.lakefs_repository, args.branch)
    wh = Warehouse(warehouse, environ)
    raw = read_raw(wh)
    results = run_sql(raw)
    report = {table: write_table(wh, table, results[table], fmt) for table in OUTPUT_TABLES}
    return {"engine": "datafusion", "warehouse": warehouse, "raw_rows": raw.num_rows, "tables": report, "seconds": round(time.time() - started, 1)}


def main(argv=None, environ=None):
    ap = parser("kronodroid_iceberg_job", "The Kronodroid transform on DataFusion.")
    ap.add_argument("--lakefs-repository", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--file-format", required=True, choices=["avro"])
    ap.add_argument("--branch")
    ap.add_argument("--enabled", default="true")
    args = ap.parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        if not parse_bool(args.enabled, "--enabled"):
            print(json.dumps({"engine": "datafusion", "enabled": False}), flush=True)
            return 0
        report = run(args, environ)
    except TransformError as e:
        print(f"kronodroid_iceberg_job: {e}", file=sys.stderr, flush=True)
        return 1
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
