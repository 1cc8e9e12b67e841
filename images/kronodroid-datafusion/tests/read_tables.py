"""Reads the Kronodroid transform's output tables with pyiceberg, for tests/kronodroid-transform.test.ts.

  python read_tables.py WAREHOUSE   (S3 settings from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …)

Each table is read as Iceberg's Hadoop catalog lays it out (metadata/version-hint.text, then
vN.metadata.json), the way Spark and dfp_tools.lineage read it. pyiceberg 0.12 plans the scan
(metadata, manifests) but its scan cannot decode Avro data files ("Unsupported file format:
AVRO"), so each planned data file is decoded with pyiceberg's own Avro reader against the
table schema (by field id). pyiceberg 0.12.0's Cython Avro decoder reads a double with a
float's precision (CythonBinaryDecoder(struct.pack('<d', 0.001132)).read_double() gives
0.0011320000048726797), so the data files are decoded with its pure-Python decoder. Prints one JSON object:
{table: {"schema", "spec", "properties", "formats", "snapshot_id", "rows"}} with the rows
normalised (timestamps as epoch microseconds, dates as ISO text, floats as repr) and sorted.
"""
import datetime
import json
import os
import sys

from pyiceberg.table import StaticTable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from kronodroid_iceberg_job import Warehouse  # noqa: E402
from dfp_tools.kronodroid import OUTPUT_TABLES  # noqa: E402

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def plain(v):
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(microseconds=1)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def read_rows(t):
    import pyiceberg.avro.file as avro_file
    from pyiceberg.avro.decoder import StreamingBinaryDecoder
    from pyiceberg.avro.file import AvroFile

    avro_file.new_decoder = StreamingBinaryDecoder
    from pyiceberg.typedef import Record

    schema = t.schema()
    names = [f.name for f in schema.fields]
    rows = []
    for task in t.scan().plan_files():
        assert task.file.file_format.name == "AVRO", task.file.file_path
        with AvroFile[Record](t.io.new_input(task.file.file_path), schema, read_types={}) as reader:
            for rec in reader:
                row = {}
                for i, (name, field) in enumerate(zip(names, schema.fields)):
                    v = rec[i]
                    kind = str(field.field_type)
                    if kind == "timestamptz" and v is not None:
                        v = EPOCH + datetime.timedelta(microseconds=v)
                    elif kind == "date" and v is not None:
                        v = datetime.date(1970, 1, 1) + datetime.timedelta(days=v)
                    row[name] = v
                rows.append(row)
    return rows


def main(url):
    wh = Warehouse(url, os.environ)
    out = {}
    for table in OUTPUT_TABLES:
        ns, name = table.split(".")
        meta = f"{wh.url}/{ns}/{name}/metadata"
        version = int(wh.read_text(f"{meta}/version-hint.text").strip())
        t = StaticTable.from_metadata(f"{meta}/v{version}.metadata.json", properties=wh.properties)
        rows = [{k: plain(v) for k, v in r.items()} for r in read_rows(t)]
        rows.sort(key=lambda r: json.dumps(r, sort_keys=True))
        out[table] = {
            "schema": json.loads(t.schema().model_dump_json())["fields"],
            "spec": [{"name": f.name, "transform": str(f.transform), "source-id": f.source_id} for f in t.spec().fields],
            "properties": t.properties,
            "formats": sorted({task.file.file_format.name for task in t.scan().plan_files()}),
            "snapshot_id": str(t.metadata.current_snapshot_id),
            "rows": rows,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
