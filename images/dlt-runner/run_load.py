"""dfp's dlt load runner: the program a DltLoad step's image runs (/opt/dfp/dlt/run_load.py).

Everything it does comes from dlt's own configuration: `.dlt/config.toml` (rendered by dfp per
environment into dist/<env>/dlt/, mounted from a ConfigMap) and the pod's environment (the key
pairs, from Secret references; a run's branch, DESTINATION__FILESYSTEM__BUCKET_URL). It reads the
files of `[dfp.source]` with dlt's filesystem source, gives the columns of `[dfp.columns]` (the
destination IcebergTable's fields) as hints, keeps only those columns, and writes the rows with the
filesystem destination's Iceberg table format into `<bucket_url>/<dataset_name>/<table_name>`,
i.e. the table's folder in the lakeFS warehouse.

It refuses, with one line on stderr naming the input and exit status 1, and before anything
is written: a source folder without matching files, and a file whose values do not fit the
table's column types (the schema contract freezes the columns and their types, so a bad
value never becomes an extra variant column). A load that fails midway leaves the table
on the run's lakeFS branch, which nobody commits: the pipeline's commit step never runs.

An Iceberg table the run's branch holds already (a run before this one created it on another
branch and merged it into main, the run's branch was made from main) records that other
branch in its `location`, and pyiceberg writes every new file, data, manifests and the new
metadata file, under the location: dlt's load would write the rows onto the other branch,
where this run's merge never takes them, and leave this branch's table as it was. So, once
the rows are extracted and checked, the table is moved to this branch's warehouse first
(`move_table_here`), and after the load the current snapshot of the table on this branch
must reference only files under its location (`check_table_here`).
"""

import os
import sys

import dlt
from dlt.sources.filesystem import filesystem, read_csv, read_jsonl, read_parquet

READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


# Table properties that send new files somewhere other than the table location.
PATH_PROPERTIES = ("write.data.path", "write.metadata.path", "write.object-storage.path", "write.folder-storage.path")


class LoadError(Exception):
    pass


def one_line(e: BaseException) -> str:
    """The innermost cause of a dlt failure, on one line."""
    while e.__cause__ is not None or getattr(e, "exception", None) is not None:
        e = e.__cause__ or e.exception  # type: ignore[attr-defined]
    return f"{type(e).__name__}: {' '.join(str(e).split())}"[:500]


def main() -> int:
    try:
        return load()
    except LoadError as e:
        print(f"run_load: {e}", file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # dlt's PipelineStepFailed and the errors it wraps
        print(f"run_load: loading {dlt.config.get('dfp.source.bucket_url')} into {dlt.config.get('dfp.dataset_name')}.{dlt.config.get('dfp.table_name')} failed: {one_line(e)}", file=sys.stderr, flush=True)
        return 1


def load() -> int:
    cfg = dlt.config
    # lakeFS's S3 gateway (0.113 at least) refuses the trailing checksums the AWS SDK in
    # pyarrow adds by default (UploadPart answers Access Denied); S3 itself does not need them.
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")
    # dlt takes credentials (the S3 endpoint is one of their fields) only from secret providers,
    # so the endpoint in config.toml reaches them as env defaults; the key pairs are already there.
    for section in ("DESTINATION__FILESYSTEM__CREDENTIALS", "SOURCES__FILESYSTEM__CREDENTIALS"):
        for key in ("endpoint_url", "region_name"):
            os.environ.setdefault(f"{section}__{key.upper()}", cfg[f"dfp.s3.{key}"])
    # The source's files are on the same gateway: the destination's key pair (Secret references) reads them.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if f"DESTINATION__FILESYSTEM__CREDENTIALS__{key}" in os.environ:
            os.environ.setdefault(f"SOURCES__FILESYSTEM__CREDENTIALS__{key}", os.environ[f"DESTINATION__FILESYSTEM__CREDENTIALS__{key}"])
    columns = {name: dict(hint) for name, hint in cfg["dfp.columns"].items()}
    files = filesystem(bucket_url=cfg["dfp.source.bucket_url"], file_glob=cfg["dfp.source.file_glob"])
    try:
        found = sum(len(page) for page in files)
    except Exception as e:
        raise LoadError(f"cannot list the source {cfg['dfp.source.bucket_url']} ({one_line(e)})") from None
    if not found:
        raise LoadError(f"no {cfg['dfp.source.file_glob']} files under the source {cfg['dfp.source.bucket_url']} (dfp.source); nothing was loaded")
    files = filesystem(bucket_url=cfg["dfp.source.bucket_url"], file_glob=cfg["dfp.source.file_glob"])
    rows = (files | READERS[cfg["dfp.source.format"]]()).with_name(cfg["dfp.resource"])
    # Only the table's columns: the schema is the IcebergTable's, whatever else the files hold.
    rows.add_map(lambda row: {name: row.get(name) for name in columns})
    rows.apply_hints(
        table_name=cfg["dfp.table_name"],
        columns=columns,
        write_disposition=cfg["dfp.write_disposition"],
        table_format=cfg["dfp.table_format"],
        schema_contract={"columns": "freeze", "data_type": "freeze"} if columns else None,
    )
    pipeline = dlt.pipeline(pipeline_name=cfg["dfp.pipeline_name"], destination="filesystem", dataset_name=cfg["dfp.dataset_name"])
    # pipeline.run's steps, with the table moved to this branch between normalize and load:
    # a file that breaks the schema contract is refused before anything is written.
    pipeline.sync_destination()
    pipeline.extract(rows)
    pipeline.normalize()
    iceberg = cfg["dfp.table_format"] == "iceberg"
    if iceberg:
        moved = move_table_here(pipeline, cfg["dfp.table_name"])
        if moved:
            print(f"run_load: {cfg['dfp.dataset_name']}.{cfg['dfp.table_name']} moved from {moved[0]} to {moved[1]}", flush=True)
    info = pipeline.load()
    print(info, flush=True)
    if info.has_failed_jobs:
        raise LoadError(f"dlt reported failed load jobs for {cfg['dfp.dataset_name']}.{cfg['dfp.table_name']}")
    if iceberg:
        check_table_here(pipeline, cfg["dfp.table_name"])
    return 0


def _table_on_branch(client, table_name):
    """(this destination's location of the table, the table registered from its current
    metadata file by dlt's own rule, or None when it has none)."""
    from dlt.common.libs.pyiceberg import register_table

    location = client.get_open_table_location("iceberg", table_name).rstrip("/")
    metadata_dir = client.pathlib.join(client.get_table_dir(table_name), "metadata")
    if not client.fs_client.exists(metadata_dir):
        return location, None
    catalog = client.get_open_table_catalog("iceberg")
    return location, register_table(f"{client.dataset_name}.{table_name}", metadata_dir, catalog, client.fs_client, client.config)


def move_table_here(pipeline, table_name):
    """Sets the `location` of the destination's Iceberg table to this destination's table folder
    (the run's branch) when it names another, with Iceberg's SetLocation update: schema,
    snapshots and table uuid stay, files already written keep the paths they are recorded
    under, and the new metadata file (the next by name, dlt's rule for the current one) is
    written under the new location, so that dlt's load, which registers the table from it,
    writes everything on this branch. Returns (old, new) location when it moved the table."""
    from pyiceberg.table.update import AssertTableUUID, RemovePropertiesUpdate, SetLocationUpdate

    with pipeline.destination_client() as client:
        location, table = _table_on_branch(client, table_name)
        if table is None:
            return None
        old = table.metadata.location.rstrip("/")
        stale = [k for k in PATH_PROPERTIES if k in table.properties]
        if old == location and not stale:
            return None
        updates = [SetLocationUpdate(location=location)] + ([RemovePropertiesUpdate(removals=stale)] if stale else [])
        client.get_open_table_catalog("iceberg").commit_table(
            table, requirements=(AssertTableUUID(uuid=table.metadata.table_uuid),), updates=tuple(updates)
        )
        return old, location


def check_table_here(pipeline, table_name):
    """The table's current metadata file on this branch (dlt's rule, the readers' too) must be
    the one this load wrote: its location this destination's, and every file its current
    snapshot references under it."""
    with pipeline.destination_client() as client:
        location, table = _table_on_branch(client, table_name)
        if table is None:
            raise LoadError(f"the load left no Iceberg metadata for {client.dataset_name}.{table_name} under {location}")
        snapshot = table.current_snapshot()
        files = [table.metadata.location]
        if snapshot is not None:
            manifests = snapshot.manifests(table.io)
            files += [snapshot.manifest_list] + [m.manifest_path for m in manifests]
            for m in manifests:
                files += [e.data_file.file_path for e in m.fetch_manifest_entry(table.io, discard_deleted=True)]
        outside = [f for f in files if f.rstrip("/") != location and not f.startswith(location + "/")]
        if outside:
            raise LoadError(f"{client.dataset_name}.{table_name}: the current metadata {table.metadata_location} references files outside {location} ({', '.join(outside[:3])})")


if __name__ == "__main__":
    sys.exit(main())
