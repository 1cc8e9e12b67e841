"""Writes a small real Iceberg table with pyiceberg, laid out as Iceberg's Hadoop catalog
lays out a table (the catalog the platform's Spark jobs use on lakeFS):
`<dir>/warehouse/<namespace>/<table>/metadata/vN.metadata.json` and `version-hint.text`,
plus the data and manifest files. Each call appends rows as one new snapshot.

  python iceberg_table.py DIR NAMESPACE TABLE ROWS SEED   ->  {"snapshot_id": "...", "version": N}

pyiceberg has no Hadoop catalog, so its SQL catalog (SQLite in DIR) writes the files and
this script adds the Hadoop catalog's two names for the current metadata file.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

from hadoop_metadata import publish_version

root, namespace, name, rows, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
location = os.path.join(root, "warehouse", namespace, name)
catalog = SqlCatalog("local", uri=f"sqlite:///{os.path.join(root, 'catalog.db')}", warehouse=f"file://{os.path.join(root, 'warehouse')}")
rng = random.Random(seed)
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
data = pa.table({
    "sample_id": pa.array([f"s{seed}-{i}" for i in range(rows)], pa.string()),
    "event_timestamp": pa.array([start + timedelta(minutes=i) for i in range(rows)], pa.timestamp("us", tz="UTC")),
    "is_malware": pa.array([rng.randint(0, 1) for _ in range(rows)], pa.int32()),
    "split": pa.array([rng.choice(["train", "train", "train", "validation", "test"]) for _ in range(rows)], pa.string()),
})
if (namespace,) not in catalog.list_namespaces():
    catalog.create_namespace(namespace)
identifier = f"{namespace}.{name}"
table = catalog.load_table(identifier) if catalog.table_exists(identifier) else catalog.create_table(identifier, schema=data.schema, location=f"file://{location}")
table.append(data)
table = catalog.load_table(identifier)
version = publish_version(table, location)
print(json.dumps({"snapshot_id": str(table.metadata.current_snapshot_id), "version": version}))
