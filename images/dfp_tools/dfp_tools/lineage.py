"""Records what a training run read and wrote as MLflow tags: the one call a training
step makes, `record_lineage(run_id, weights={...}, register_as=...)`.

dfp renders the lineage stamps into the step's environment (docs/lineage.md): the lakeFS
repository and commit, the source table and its folder in lakeFS, the feature view and
the digest of its definitions (FEATURE_VIEW / FEATURE_DEFS_SHA256, whatever the feature
store, and under their former names FEAST_*), the dataset split ids, and per environment
the pipeline,
the environment and the digest of the definitions that rendered the step, and the step's
image (DFP_IMAGE, by digest when the lock pins it; tag `code.image`). This module
checks every stamp, resolves what only the run can know (the Iceberg snapshot id of the
table at that commit, read from the table's metadata in lakeFS), hashes the weights,
and only then writes to MLflow: run tags in one batch, the weights as run artifacts, and
the same tags on the registered model version when one is made. A missing or malformed
stamp raises LineageError naming the variable before anything is logged.

`python -m dfp_tools.lineage stamps` prints the tags the environment would give, as
JSON, without MLflow (the stamps' names and values are the contract `dfp trace` reads).
"""
import base64
import hashlib
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

HEX64 = re.compile(r"^[0-9a-f]{64}$")
DECIMAL = re.compile(r"^[0-9]+$")
SPLIT_ID = {"DATASET_TRAIN_ID": "train", "DATASET_VAL_ID": "val", "DATASET_TEST_ID": "test"}

# Environment variable -> MLflow tag, and whether the step must have it.
STAMPS = (
    ("LAKEFS_REPOSITORY", "data.lakefs_repository", True),
    ("LAKEFS_REF", "data.lakefs_ref", True),
    ("DATA_SOURCE_TABLE", "data.source_table", True),
    ("ICEBERG_TABLE", "data.iceberg_table", False),
    ("ICEBERG_TABLE_LOCATION", "data.iceberg_table_location", False),
    ("ICEBERG_SNAPSHOT_ID", "data.iceberg_snapshot_id", False),
    ("FEATURE_VIEW", "features.feature_view", False),
    ("FEATURE_DEFS_SHA256", "features.defs_sha256", False),
    # The former names of the two above (same values), kept for the runs and queries that use them.
    ("FEAST_FEATURE_VIEW", "feast.feature_view", False),
    ("FEAST_DEFS_SHA256", "feast.defs_sha256", False),
    ("DATASET_TRAIN_ID", "dataset.train_id", False),
    ("DATASET_VAL_ID", "dataset.val_id", False),
    ("DATASET_TEST_ID", "dataset.test_id", False),
    ("DFP_PIPELINE", "dfp.pipeline", True),
    ("DFP_ENVIRONMENT", "dfp.environment", True),
    ("DFP_DEFINITIONS_SHA256", "dfp.definitions_sha256", True),
    ("DFP_DEFINITIONS_REVISION", "dfp.definitions_revision", False),
    ("LAKEFS_ENDPOINT", "dfp.lakefs_endpoint", False),
    # The image the step ran, by digest when dfp.lock.json pins it: the exact code.
    ("DFP_IMAGE", "code.image", False),
)
# Weights are tagged `dfp.weights/<artifact path>` = sha256 of the file.
WEIGHTS_TAG = "dfp.weights/"
LAKEFS_TIMEOUT_SECONDS = 30


class LineageError(Exception):
    """A stamp is missing or wrong, or what it points at cannot be read; nothing was logged."""


def read_stamps(environ):
    """The stamps as {env name: value}, every one checked; raises LineageError naming the variable."""
    stamps = {}
    for name, _tag, required in STAMPS:
        value = environ.get(name)
        if value is None or value == "":
            if required:
                raise LineageError(f"{name} is not set; the step must be rendered by dfp with lineage: declared (docs/lineage.md)")
            continue
        stamps[name] = value
    checks = {
        "LAKEFS_REF": (HEX64, "a 64-hex lakeFS commit id, never a branch"),
        "FEATURE_DEFS_SHA256": (HEX64, "a 64-hex sha256"),
        "FEAST_DEFS_SHA256": (HEX64, "a 64-hex sha256"),
        "DFP_DEFINITIONS_SHA256": (HEX64, "a 64-hex sha256"),
        "ICEBERG_SNAPSHOT_ID": (DECIMAL, "a decimal Iceberg snapshot id"),
    }
    for name, (pattern, what) in checks.items():
        if name in stamps and not pattern.match(stamps[name]):
            raise LineageError(f"{name} is '{stamps[name]}', which is not {what}")
    present = [n for n in SPLIT_ID if n in stamps]
    if present and len(present) != len(SPLIT_ID):
        missing = next(n for n in SPLIT_ID if n not in stamps)
        raise LineageError(f"{missing} is not set, but {present[0]} is; a run records all three split ids or none")
    for name, split in SPLIT_ID.items():
        if name in stamps and not re.match(rf"^{split}-[0-9a-f]{{16}}$", stamps[name]):
            raise LineageError(f"{name} is '{stamps[name]}', which is not a dfp split id ({split}-<16 hex>)")
    for view, defs in (("FEATURE_VIEW", "FEATURE_DEFS_SHA256"), ("FEAST_FEATURE_VIEW", "FEAST_DEFS_SHA256")):
        if defs in stamps and view not in stamps:
            raise LineageError(f"{view} is not set, but {defs} is; name the view the digest belongs to")
    for neutral, feast in (("FEATURE_VIEW", "FEAST_FEATURE_VIEW"), ("FEATURE_DEFS_SHA256", "FEAST_DEFS_SHA256")):
        if neutral in stamps and feast in stamps and stamps[neutral] != stamps[feast]:
            raise LineageError(f"{neutral} is '{stamps[neutral]}' but {feast} is '{stamps[feast]}'; the former name must hold the same value")
    location = stamps.get("ICEBERG_TABLE_LOCATION")
    if location is not None and (location.startswith("/") or ".." in location.split("/")):
        raise LineageError(f"ICEBERG_TABLE_LOCATION is '{location}', which is not a folder inside the lakeFS repository")
    return stamps


class LakeFs:
    """The two lakeFS reads lineage needs, over its REST API with the standard library."""

    def __init__(self, endpoint, access_key_id, secret_access_key, timeout=LAKEFS_TIMEOUT_SECONDS):
        self.endpoint = endpoint.rstrip("/")
        token = base64.b64encode(f"{access_key_id}:{secret_access_key}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.timeout = timeout

    def _get(self, path, query):
        url = f"{self.endpoint}/api/v1{path}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            if e.code in (401, 403):
                raise LineageError(f"lakeFS at {self.endpoint} refused the credentials ({e.code}); check LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY") from None
            raise LineageError(f"lakeFS at {self.endpoint} answered {e.code} for {path}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise LineageError(f"cannot reach lakeFS at {self.endpoint} ({reason}); is LAKEFS_ENDPOINT right?") from None

    def object(self, repo, ref, path):
        """The object's bytes at `ref`, or None when there is none."""
        return self._get(f"/repositories/{urllib.parse.quote(repo, safe='')}/refs/{urllib.parse.quote(ref, safe='')}/objects", {"path": path})

    def list(self, repo, ref, prefix):
        """Every object path under `prefix` at `ref`."""
        paths, after = [], ""
        while True:
            body = self._get(
                f"/repositories/{urllib.parse.quote(repo, safe='')}/refs/{urllib.parse.quote(ref, safe='')}/objects/ls",
                {"prefix": prefix, "after": after, "amount": "1000"},
            )
            if body is None:
                return paths
            page = json.loads(body)
            paths += [o["path"] for o in page.get("results", []) if o.get("path_type", "object") == "object"]
            if not page.get("pagination", {}).get("has_more"):
                return paths
            after = page["pagination"]["next_offset"]


def current_snapshot_id(lakefs, repo, commit, location):
    """The table's current Iceberg snapshot id at `commit`, from its Hadoop-catalog metadata."""
    metadata = f"{location}/metadata"
    hint = lakefs.object(repo, commit, f"{metadata}/version-hint.text")
    if hint is not None and hint.strip().isdigit():
        names = [f"{metadata}/v{int(hint.strip())}.metadata.json"]
    else:
        # Iceberg's own fallback when the hint is missing: the highest vN.metadata.json.
        versions = [(int(m.group(1)), p) for p in lakefs.list(repo, commit, f"{metadata}/") if (m := re.search(r"/v([0-9]+)\.metadata\.json$", p))]
        names = [max(versions)[1]] if versions else []
    body = lakefs.object(repo, commit, names[0]) if names else None
    if body is None:
        raise LineageError(f"lakeFS {repo}@{commit} has no Iceberg table metadata under {metadata}/ (ICEBERG_TABLE_LOCATION); is the commit right, and was the table written there?")
    try:
        snapshot = json.loads(body).get("current-snapshot-id")
    except ValueError:
        raise LineageError(f"{names[0]} at lakeFS {repo}@{commit} is not Iceberg table metadata (not JSON)") from None
    if snapshot is None or int(snapshot) < 0:
        raise LineageError(f"the Iceberg table at {location} has no snapshot at lakeFS {repo}@{commit}: it holds no data to train on")
    return str(int(snapshot))


def lineage_tags(environ=None):
    """The MLflow tags of this run's lineage, with the snapshot id resolved from lakeFS when needed."""
    environ = os.environ if environ is None else environ
    stamps = read_stamps(environ)
    location = stamps.get("ICEBERG_TABLE_LOCATION")
    if location is not None:
        for name in ("LAKEFS_ENDPOINT", "LAKEFS_ACCESS_KEY_ID", "LAKEFS_SECRET_ACCESS_KEY"):
            if not environ.get(name):
                raise LineageError(f"{name} is not set; it is needed to read the snapshot id of {location} from lakeFS")
        lakefs = LakeFs(environ["LAKEFS_ENDPOINT"], environ["LAKEFS_ACCESS_KEY_ID"], environ["LAKEFS_SECRET_ACCESS_KEY"])
        resolved = current_snapshot_id(lakefs, stamps["LAKEFS_REPOSITORY"], stamps["LAKEFS_REF"], location)
        pinned = stamps.get("ICEBERG_SNAPSHOT_ID")
        if pinned is not None and pinned != resolved:
            raise LineageError(f"ICEBERG_SNAPSHOT_ID is {pinned}, but the table at {location} is at snapshot {resolved} in lakeFS commit {stamps['LAKEFS_REF']}")
        stamps["ICEBERG_SNAPSHOT_ID"] = resolved
    return {tag: stamps[name] for name, tag, _required in STAMPS if name in stamps}


def weight_files(weights):
    """{artifact path: (local file, sha256)} for each file of each entry, in a stable order."""
    files = {}
    for artifact_dir, local in sorted(weights.items()):
        local = os.fspath(local)
        if os.path.isdir(local):
            found = sorted(os.path.relpath(os.path.join(d, f), local) for d, _dirs, fs in os.walk(local) for f in fs)
            pairs = [(os.path.join(local, rel), f"{artifact_dir}/{rel}") for rel in found]
        elif os.path.isfile(local):
            pairs = [(local, f"{artifact_dir}/{os.path.basename(local)}")]
        else:
            raise LineageError(f"weights['{artifact_dir}'] is {local}, which is neither a file nor a folder")
        for path, artifact in pairs:
            with open(path, "rb") as f:
                files[artifact.replace(os.sep, "/")] = (path, hashlib.sha256(f.read()).hexdigest())
    if not files:
        raise LineageError("weights names no file; pass the model folder (and the .pte when there is one)")
    return files


def record_lineage(run_id=None, *, weights, register_as=None, client=None, environ=None):
    """Tags the run (and, with `register_as`, a new version of that registered model) with
    its lineage and the sha256 of each weight file, and logs the weights as artifacts.
    Returns {"tags": {...}, "model_version": "N" or None}."""
    import mlflow
    from mlflow.entities import RunTag

    tags = lineage_tags(environ)
    files = weight_files(weights)
    tags.update({f"{WEIGHTS_TAG}{artifact}": digest for artifact, (_path, digest) in files.items()})
    client = client or mlflow.MlflowClient()
    run_id = run_id or (mlflow.active_run().info.run_id if mlflow.active_run() else None)
    if run_id is None:
        raise LineageError("no MLflow run: pass run_id, or call record_lineage inside mlflow.start_run()")
    client.log_batch(run_id, tags=[RunTag(k, v) for k, v in sorted(tags.items())])
    for artifact, (path, _digest) in files.items():
        client.log_artifact(run_id, path, artifact_path=os.path.dirname(artifact))
    version = None
    if register_as is not None:
        try:
            client.get_registered_model(register_as)
        except mlflow.exceptions.MlflowException:
            client.create_registered_model(register_as)
        source_dir = sorted(weights)[0]
        version = client.create_model_version(register_as, source=f"runs:/{run_id}/{source_dir}", run_id=run_id, tags=tags).version
    return {"tags": tags, "model_version": version}


def main(argv):
    if argv != ["stamps"]:
        print("usage: python -m dfp_tools.lineage stamps   (prints the lineage tags this environment gives, as JSON)", file=sys.stderr)
        return 2
    try:
        print(json.dumps(lineage_tags(), indent=2, sort_keys=True))
    except LineageError as e:
        print(f"dfp_tools.lineage: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
