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
"""

import os
import sys

import dlt
from dlt.sources.filesystem import filesystem, read_csv, read_jsonl, read_parquet

READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


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
    info = pipeline.run(rows)
    print(info, flush=True)
    if info.has_failed_jobs:
        raise LoadError(f"dlt reported failed load jobs for {cfg['dfp.dataset_name']}.{cfg['dfp.table_name']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
