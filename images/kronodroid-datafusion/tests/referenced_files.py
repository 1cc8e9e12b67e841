"""Every file the current snapshot of each Kronodroid output table references, read with pyiceberg.

  python referenced_files.py WAREHOUSE   (S3 settings from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, …)

The table is read as Iceberg's Hadoop catalog lays it out (metadata/version-hint.text, then
vN.metadata.json). Reading the manifest list and each manifest proves they exist at the
paths the metadata names; prints {table: {"location", "files": [manifest list, manifests,
data files]}} for the test to check each path against lakeFS.
"""
import json
import os
import sys

from pyiceberg.table import StaticTable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from kronodroid_iceberg_job import Warehouse  # noqa: E402
from dfp_tools.kronodroid import OUTPUT_TABLES  # noqa: E402


def main(url):
    wh = Warehouse(url, os.environ)
    out = {}
    for table in OUTPUT_TABLES:
        ns, name = table.split(".")
        meta = f"{wh.url}/{ns}/{name}/metadata"
        version = int(wh.read_text(f"{meta}/version-hint.text").strip())
        t = StaticTable.from_metadata(f"{meta}/v{version}.metadata.json", properties=wh.properties)
        snapshot = t.current_snapshot()
        manifests = snapshot.manifests(t.io)
        files = [snapshot.manifest_list] + [m.manifest_path for m in manifests]
        for m in manifests:
            files += [e.data_file.file_path for e in m.fetch_manifest_entry(t.io, discard_deleted=True)]
        out[table] = {"location": t.metadata.location, "files": files}
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
