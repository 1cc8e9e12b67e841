"""What Iceberg's Hadoop catalog reads, next to what pyiceberg's SQL catalog wrote: the table's
current metadata as `metadata/vN.metadata.json` and `metadata/version-hint.text` naming N, so
readers that find a table by its folder (dfp_tools.lineage, the training step) see this commit."""
import os
import shutil


def publish_version(table, location):
    """Copies `table`'s current metadata to the next vN.metadata.json under `location` and points
    version-hint.text at it; returns N."""
    metadata_dir = os.path.join(location, "metadata")
    version = 1 + sum(1 for f in os.listdir(metadata_dir) if f.startswith("v") and f.endswith(".metadata.json"))
    shutil.copyfile(table.metadata_location.removeprefix("file://"), os.path.join(metadata_dir, f"v{version}.metadata.json"))
    with open(os.path.join(metadata_dir, "version-hint.text"), "w") as f:
        f.write(str(version))
    return version
