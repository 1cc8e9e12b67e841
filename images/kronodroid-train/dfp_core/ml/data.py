"""Reads the Kronodroid training table at the pinned lakeFS commit with pyiceberg.

The table is laid out as Iceberg's Hadoop catalog lays it out (the catalog the platform's
Spark and DataFusion jobs use on lakeFS): `<ICEBERG_TABLE_LOCATION>/metadata/vN.metadata.json`
and `version-hint.text`. The step reads it at LAKEFS_REF, a commit, never a branch:

1. lakeFS's REST API: the commit exists, and which metadata file is current at it;
2. pyiceberg, through lakeFS's S3 gateway (`s3://<repository>/<commit>/<path>`), reads the
   metadata, the manifest list, the manifests and the data files. Iceberg names its files
   by the absolute URIs of the engine that wrote them (`s3a://kronodroid/main/warehouse/…`,
   a branch): every such URI is re-rooted at the commit (`LakeFsCommitFileIO`), so no
   file is ever read from a branch;
3. Parquet and ORC data files are read by pyiceberg's Arrow reader; Avro data files (the
   platform writes `write.format.default=avro`, which pyiceberg's Arrow reader does not
   read) by pyiceberg's own Avro reader, against the same projected schema.
"""
import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .errors import InputError

# The columns training reads: the feature view's features (features/kronodroid.ts).
ID_COLUMN = "sample_id"
SCALAR_FEATURES = ("api_level", "permission_count", "detection_ratio")
VECTOR_FEATURE = "syscall_frequencies"
COLUMNS = (ID_COLUMN, "split", "is_malware", *SCALAR_FEATURES, VECTOR_FEATURE)
LAKEFS_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class TableRef:
    endpoint: str
    access_key_id: str
    secret_access_key: str
    repository: str
    commit: str
    table: str  # kronodroid.fct_training_dataset
    location: str  # warehouse/kronodroid/fct_training_dataset

    def where(self):
        return f"table {self.table} at lakeFS {self.repository}@{self.commit}"


@dataclass(frozen=True)
class Splits:
    """Per split: features (rows x dims, float32), labels, sample ids; and the snapshot read."""

    features: dict
    labels: dict
    ids: dict
    snapshot_id: str
    feature_names: tuple
    files_read: int


def table_ref(environ):
    """The table to read, from the step's rendered environment; names the variable that is missing."""
    def need(name):
        value = environ.get(name, "")
        if not value:
            raise InputError(f"{name} is not set; the step must be rendered by dfp with lineage: declared (docs/lineage.md)")
        return value

    commit = need("LAKEFS_REF")
    if not re.fullmatch(r"[0-9a-f]{64}", commit):
        raise InputError(f"LAKEFS_REF is '{commit}', which is not a 64-hex lakeFS commit id; training reads a pinned commit, never a branch")
    table = environ.get("ICEBERG_TABLE") or "kronodroid.fct_training_dataset"
    location = environ.get("ICEBERG_TABLE_LOCATION") or "warehouse/" + table.replace(".", "/")
    if location.startswith("/") or ".." in location.split("/"):
        raise InputError(f"ICEBERG_TABLE_LOCATION is '{location}', which is not a folder inside the lakeFS repository")
    return TableRef(need("LAKEFS_ENDPOINT").rstrip("/"), need("LAKEFS_ACCESS_KEY_ID"), need("LAKEFS_SECRET_ACCESS_KEY"), need("LAKEFS_REPOSITORY"), commit, table, location.strip("/"))


def _lakefs_get(ref, path, query=None):
    url = f"{ref.endpoint}/api/v1{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    token = base64.b64encode(f"{ref.access_key_id}:{ref.secret_access_key}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=LAKEFS_TIMEOUT_SECONDS) as response:
            return response.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        if e.code in (401, 403):
            raise InputError(f"lakeFS at {ref.endpoint} refused the credentials ({e.code}); check LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY") from None
        raise InputError(f"lakeFS at {ref.endpoint} answered {e.code} for {path}") from None
    except (urllib.error.URLError, OSError) as e:
        raise InputError(f"cannot reach lakeFS at {ref.endpoint} ({getattr(e, 'reason', e)}); is LAKEFS_ENDPOINT right?") from None


def check_commit(ref):
    """The commit exists in the repository (else InputError naming LAKEFS_REF)."""
    repo = urllib.parse.quote(ref.repository, safe="")
    if _lakefs_get(ref, f"/repositories/{repo}") is None:
        raise InputError(f"LAKEFS_REPOSITORY is '{ref.repository}', which lakeFS at {ref.endpoint} does not have")
    if _lakefs_get(ref, f"/repositories/{repo}/commits/{ref.commit}") is None:
        raise InputError(f"LAKEFS_REF is {ref.commit}, which lakeFS repository '{ref.repository}' has no commit of; run 'dfp lock' and synth again, or name an existing commit")


def current_metadata_path(ref):
    """`<location>/metadata/vN.metadata.json` current at the commit (version-hint, else the highest N)."""
    repo = urllib.parse.quote(ref.repository, safe="")
    base = f"/repositories/{repo}/refs/{ref.commit}/objects"
    metadata = f"{ref.location}/metadata"
    hint = _lakefs_get(ref, base, {"path": f"{metadata}/version-hint.text"})
    if hint is not None and hint.strip().isdigit():
        return f"{metadata}/v{int(hint.strip())}.metadata.json"
    listing = _lakefs_get(ref, f"{base}/ls", {"prefix": f"{metadata}/", "amount": "1000"})
    paths = [o["path"] for o in json.loads(listing).get("results", [])] if listing else []
    versions = [(int(m.group(1)), p) for p in paths if (m := re.search(r"/v([0-9]+)\.metadata\.json$", p))]
    if not versions:
        raise InputError(f"no Iceberg {ref.where()}: nothing at {metadata}/ (ICEBERG_TABLE_LOCATION); was the table written before this commit?")
    return max(versions)[1]


def _file_io(ref):
    """A pyiceberg FileIO over lakeFS's S3 gateway that re-roots every table file at the commit."""
    from pyiceberg.io.pyarrow import PyArrowFileIO

    class LakeFsCommitFileIO(PyArrowFileIO):
        def _at_commit(self, location):
            marker = f"/{ref.location}/"
            at = location.find(marker)
            if at < 0:
                raise InputError(f"{ref.where()} names a file outside its folder {ref.location}/: {location}")
            return f"s3://{ref.repository}/{ref.commit}/{ref.location}/{location[at + len(marker):]}"

        def new_input(self, location):
            return super().new_input(self._at_commit(location))

    return LakeFsCommitFileIO(properties={
        "s3.endpoint": ref.endpoint,
        "s3.access-key-id": ref.access_key_id,
        "s3.secret-access-key": ref.secret_access_key,
        "s3.region": "us-east-1",
        "s3.force-virtual-addressing": "false",
        "s3.connect-timeout": "30",
    })


def _first_line(e):
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def read_table(ref):
    """Every training row of the table at the commit, as an Arrow table of COLUMNS; and its snapshot id."""
    from pyiceberg.catalog.noop import NoopCatalog
    from pyiceberg.io.pyarrow import ArrowScan
    from pyiceberg.manifest import FileFormat
    from pyiceberg.serializers import FromInputFile
    from pyiceberg.table import Table

    check_commit(ref)
    metadata_path = current_metadata_path(ref)
    io = _file_io(ref)
    try:
        metadata = FromInputFile.table_metadata(io.new_input(f"/{metadata_path}"))
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - any parse failure is a corrupt input
        raise InputError(f"{metadata_path} of {ref.where()} is not Iceberg table metadata ({_first_line(e)})") from None
    missing = [c for c in COLUMNS if c not in {f.name for f in metadata.schema().fields}]
    if missing:
        raise InputError(f"{ref.where()} has no column {', '.join(repr(c) for c in missing)}; training reads {', '.join(COLUMNS)}")
    snapshot = metadata.current_snapshot()
    if snapshot is None:
        raise InputError(f"{ref.where()} has no snapshot: it holds no data to train on")
    table = Table((ref.table.split(".")[0], ref.table.split(".")[-1]), metadata, f"/{metadata_path}", io, NoopCatalog("lakefs"))
    scan = table.scan(selected_fields=COLUMNS)
    try:
        tasks = list(scan.plan_files())
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001
        raise InputError(f"the manifests of {ref.where()} cannot be read ({_first_line(e)})") from None
    projected = scan.projection()
    pieces = []
    for task in tasks:
        name = task.file.file_path
        if task.delete_files:
            raise InputError(f"{ref.where()} has delete files for {name}; compact the table (rewrite_data_files) before training")
        try:
            if task.file.file_format == FileFormat.AVRO:
                pieces.append(_read_avro(io, name, projected))
            else:
                pieces.append(ArrowScan(metadata, io, projected, scan.row_filter).to_table([task]))
        except InputError:
            raise
        except Exception as e:  # noqa: BLE001
            raise InputError(f"data file {name} of {ref.where()} cannot be read ({_first_line(e)})") from None
    if not pieces:
        raise InputError(f"{ref.where()} has no data files at snapshot {snapshot.snapshot_id}: nothing to train on")
    rows = pa.concat_tables([p.select(list(COLUMNS)) for p in pieces], promote_options="permissive")
    return rows, str(snapshot.snapshot_id), len(tasks)


def _read_avro(io, path, projected):
    """An Avro data file, read by pyiceberg's Avro reader against the projected schema."""
    from pyiceberg.avro.file import AvroFile
    from pyiceberg.io.pyarrow import schema_to_pyarrow
    from pyiceberg.typedef import Record

    with AvroFile[Record](io.new_input(path), projected, {}) as reader:
        records = [dict(zip([f.name for f in projected.fields], list(r))) for r in reader]
    return pa.Table.from_pylist(records, schema=schema_to_pyarrow(projected, include_field_ids=False))


def to_splits(rows, snapshot_id, files_read, spec, max_rows_per_split, where):
    """Rows by the spec's split column, sorted by sample id, at most `max_rows_per_split` each (0: all)."""
    column = spec["splitColumn"]
    values = rows.column(column).to_pylist()
    ids_all = rows.column(ID_COLUMN).to_pylist()
    if any(v is None for v in ids_all):
        raise InputError(f"{where} has rows without {ID_COLUMN}")
    vectors = rows.column(VECTOR_FEATURE).to_pylist()
    lengths = {len(v) for v in vectors if v is not None}
    if any(v is None for v in vectors) or len(lengths) != 1:
        raise InputError(f"{where}: column {VECTOR_FEATURE} must hold lists of one length in every row, found lengths {sorted(lengths)}{' and nulls' if any(v is None for v in vectors) else ''}")
    width = lengths.pop()
    scalars = []
    for name in SCALAR_FEATURES:
        col = rows.column(name).to_pylist()
        if any(v is None for v in col):
            raise InputError(f"{where}: column {name} has nulls")
        scalars.append(np.asarray(col, dtype=np.float64))
    matrix = np.concatenate([np.stack(scalars, axis=1), np.asarray(vectors, dtype=np.float64)], axis=1).astype(np.float32)
    labels = np.asarray([v if v is not None else -1 for v in rows.column(spec["label"]).to_pylist()], dtype=np.int64)
    features, labels_by, ids_by = {}, {}, {}
    for split, value in spec["splits"].items():
        chosen = sorted((ids_all[i], i) for i, v in enumerate(values) if v == value)
        if max_rows_per_split:
            chosen = chosen[:max_rows_per_split]
        if not chosen:
            raise InputError(f"{where} has no rows with {column} = '{value}' (the {split} split)")
        index = np.asarray([i for _id, i in chosen])
        features[split], labels_by[split], ids_by[split] = matrix[index], labels[index], [sid for sid, _i in chosen]
    names = (*SCALAR_FEATURES, *(f"{VECTOR_FEATURE}[{i}]" for i in range(width)))
    return Splits(features, labels_by, ids_by, snapshot_id, names, files_read)
