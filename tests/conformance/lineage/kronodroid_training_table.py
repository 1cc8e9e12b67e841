"""Writes a synthetic `kronodroid.fct_training_dataset` with pyiceberg: the training table's
schema (features/kronodroid.ts), partitioned by `split`, laid out as Iceberg's Hadoop
catalog lays out a table (`<dir>/warehouse/kronodroid/fct_training_dataset/metadata/vN.metadata.json`
and `version-hint.text`), from a seeded generator. The real KronoDroid data set is not
reachable from here; these rows only have its shape: malware samples ask for more
permissions, call some system calls more often and have higher detection ratios.

  python kronodroid_training_table.py DIR ROWS SEED   ->  {"snapshot_id": "...", "version": N, "rows": {...}}

pyiceberg writes Parquet data files (it has no Avro data-file writer); the platform's
engines write Avro, which the training step reads with pyiceberg's Avro reader.
"""
import json
import math
import os
import random
import sys
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

from hadoop_metadata import publish_version

SYSCALLS = 16
FAMILIES = ["airpush", "dowgin", "fakeinst", "kuguo", "opfake", "smsreg"]

root, rows, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
namespace, name = "kronodroid", "fct_training_dataset"
location = os.path.join(root, "warehouse", namespace, name)
rng = random.Random(seed)
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Per system call, how much more often malware calls it (some not at all).
lift = [rng.choice([1.0, 1.0, 1.0, 1.3, 1.8]) for _ in range(SYSCALLS)]
base = [rng.uniform(0.5, 4.0) for _ in range(SYSCALLS)]

records = {k: [] for k in ("sample_id", "event_timestamp", "split", "is_malware", "malware_family", "api_level", "permission_count", "syscall_frequencies", "detection_ratio", "first_seen")}
for i in range(rows):
    malware = rng.random() < 0.45
    u = rng.random()
    records["sample_id"].append(f"apk-{seed}-{i:06d}")
    records["event_timestamp"].append(start + timedelta(minutes=7 * i))
    records["split"].append("train" if u < 0.7 else "validation" if u < 0.85 else "test")
    records["is_malware"].append(1 if malware else 0)
    records["malware_family"].append(rng.choice(FAMILIES) if malware else None)
    records["api_level"].append(rng.randint(16, 33) if malware else rng.randint(19, 34))
    records["permission_count"].append(max(0, int(rng.gauss(16 if malware else 12, 6))))
    records["syscall_frequencies"].append([max(0.0, rng.gauss(math.log1p(b * (l if malware else 1.0)), 0.4)) for b, l in zip(base, lift)])
    records["detection_ratio"].append(min(1.0, max(0.0, rng.gauss(0.25 if malware else 0.05, 0.2 if malware else 0.08))))
    records["first_seen"].append(date(2020, 1, 1) + timedelta(days=rng.randint(0, 2000)))

schema = pa.schema([
    ("sample_id", pa.string()),
    ("event_timestamp", pa.timestamp("us", tz="UTC")),
    ("split", pa.string()),
    ("is_malware", pa.int32()),
    ("malware_family", pa.string()),
    ("api_level", pa.int32()),
    ("permission_count", pa.int32()),
    ("syscall_frequencies", pa.list_(pa.float32())),
    ("detection_ratio", pa.float64()),
    ("first_seen", pa.date32()),
])
data = pa.table(records, schema=schema)

catalog = SqlCatalog("local", uri=f"sqlite:///{os.path.join(root, 'catalog.db')}", warehouse=f"file://{os.path.join(root, 'warehouse')}")
if (namespace,) not in catalog.list_namespaces():
    catalog.create_namespace(namespace)
identifier = f"{namespace}.{name}"
if catalog.table_exists(identifier):
    table = catalog.load_table(identifier)
else:
    table = catalog.create_table(identifier, schema=schema, location=f"file://{location}")
    with table.update_spec() as spec:
        spec.add_identity("split")
table = catalog.load_table(identifier)
table.append(data)
table = catalog.load_table(identifier)
version = publish_version(table, location)
counts = {s: records["split"].count(s) for s in ("train", "validation", "test")}
print(json.dumps({"snapshot_id": str(table.metadata.current_snapshot_id), "version": version, "rows": counts}))
