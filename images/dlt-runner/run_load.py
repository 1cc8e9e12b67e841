"""dfp's dlt load runner: the program a DltLoad step's image runs (/opt/dfp/dlt/run_load.py).

Everything it does comes from dlt's own configuration: `.dlt/config.toml` (rendered by dfp per
environment into dist/<env>/dlt/, mounted from a ConfigMap) and the pod's environment (the key
pairs, from Secret references; a run's branch, DESTINATION__FILESYSTEM__BUCKET_URL). It reads the
files of `[dfp.source]` with dlt's filesystem source, gives the columns of `[dfp.columns]` (the
destination IcebergTable's fields) as hints, keeps only those columns, and writes the rows with the
filesystem destination's Iceberg table format into `<bucket_url>/<dataset_name>/<table_name>`,
i.e. the table's folder in the lakeFS warehouse.
"""

import os
import sys

import dlt
from dlt.sources.filesystem import filesystem, read_csv, read_jsonl, read_parquet

READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def main() -> int:
    cfg = dlt.config
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
    rows = (files | READERS[cfg["dfp.source.format"]]()).with_name(cfg["dfp.resource"])
    # Only the table's columns: the schema is the IcebergTable's, whatever else the files hold.
    rows.add_map(lambda row: {name: row.get(name) for name in columns})
    rows.apply_hints(
        table_name=cfg["dfp.table_name"],
        columns=columns,
        write_disposition=cfg["dfp.write_disposition"],
        table_format=cfg["dfp.table_format"],
    )
    pipeline = dlt.pipeline(pipeline_name=cfg["dfp.pipeline_name"], destination="filesystem", dataset_name=cfg["dfp.dataset_name"])
    info = pipeline.run(rows)
    print(info, flush=True)
    return 1 if info.has_failed_jobs else 0


if __name__ == "__main__":
    sys.exit(main())
