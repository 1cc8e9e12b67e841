"""The Kronodroid transform, written once for both engines (standard library only).

`/opt/dfp/kronodroid_iceberg_job.py` of the kronodroid-spark image and of the
kronodroid-datafusion image both run the statements built here, so the two engines run the
same SQL; the one spelling their dialects do not share (an array constructor: Spark's
`array(…)`, DataFusion's `make_array(…)`) is a parameter of `statements()`.

The transform (features/kronodroid.ts, `kronodroid-iceberg`):

- reads `raw_kronodroid.samples`, the CSV exports as the dlt load wrote them (one row per
  sample and capture, possibly several loads of the same sample);
- `stg_kronodroid.emulator_samples` / `stg_kronodroid.real_device_samples`: the rows of one
  capture, one per sample (the newest event), rows without a sample id dropped, and the
  syscall counts (`syscall_counts`, SYSCALLS integers joined by ';') turned into relative
  frequencies (`syscall_frequencies`, list<float>, each count over the sample's total);
- `kronodroid.fct_training_dataset`: one row per sample (its newest capture, the real device
  before the emulator on a tie), with `split` derived from the sample id alone, so a sample
  keeps its split whatever else is loaded: the first hex digit of md5(sample_id), 0-b train
  (75 %), c-d validation, e-f test (12.5 % each). md5 is the one hash both engines compute
  the same way.

The table schemas are the IcebergTables' (dist/<env>/schemas/*.iceberg.json, compared by
tests/kronodroid-transform.test.ts).
"""

RAW_TABLE = "raw_kronodroid.samples"
EMULATOR_TABLE = "stg_kronodroid.emulator_samples"
REAL_DEVICE_TABLE = "stg_kronodroid.real_device_samples"
TRAINING_TABLE = "kronodroid.fct_training_dataset"
OUTPUT_TABLES = (EMULATOR_TABLE, REAL_DEVICE_TABLE, TRAINING_TABLE)

# The syscalls whose counts a capture records, in the order of `syscall_counts` and of
# `syscall_frequencies`. The real KronoDroid set counts 288 syscalls; the synthetic set
# (dfp_tools.kronodroid_synthetic) and this transform use these 16.
SYSCALLS = (
    "read", "write", "openat", "close", "mmap", "munmap", "ioctl", "futex",
    "clone", "execve", "connect", "sendto", "recvfrom", "getuid", "fstat", "prctl",
)

# (name, Iceberg type, required), in the IcebergTable's field order.
SAMPLE_FIELDS = (
    ("sample_id", "string", False),
    ("event_timestamp", "timestamptz", True),
    ("is_malware", "int", False),
    ("malware_family", "string", False),
    ("api_level", "int", False),
    ("permission_count", "int", False),
    ("syscall_frequencies", "list<float>", False),
    ("detection_ratio", "double", False),
    ("first_seen", "date", False),
)
TRAINING_FIELDS = (SAMPLE_FIELDS[0], SAMPLE_FIELDS[1], ("split", "string", True)) + SAMPLE_FIELDS[2:]
SCHEMAS = {EMULATOR_TABLE: SAMPLE_FIELDS, REAL_DEVICE_TABLE: SAMPLE_FIELDS, TRAINING_TABLE: TRAINING_FIELDS}
PARTITION_BY = {EMULATOR_TABLE: (), REAL_DEVICE_TABLE: (), TRAINING_TABLE: ("split",)}

# The raw table's columns the transform needs (the rest of the dlt table is dlt's own).
RAW_COLUMNS = (
    "sample_id", "event_timestamp", "capture", "is_malware", "malware_family", "api_level",
    "permission_count", "syscall_counts", "detection_ratio", "first_seen",
)

SPARK = {"array": "array"}
DATAFUSION = {"array": "make_array"}


def _frequencies(dialect):
    part = [f"CAST(split_part(syscall_counts, ';', {i + 1}) AS DOUBLE)" for i in range(len(SYSCALLS))]
    total = " + ".join(part)
    items = ", ".join(f"CAST({p} / ({total}) AS FLOAT)" for p in part)
    return (
        f"CASE WHEN syscall_counts IS NULL OR ({total}) IS NULL OR ({total}) = 0 THEN NULL "
        f"ELSE {dialect['array']}({items}) END"
    )


def _staging(raw, capture, dialect):
    columns = ", ".join(name for name, _, _ in SAMPLE_FIELDS)
    return (
        f"SELECT {columns} FROM ("
        f"SELECT sample_id, event_timestamp, is_malware, malware_family, api_level, permission_count, "
        f"{_frequencies(dialect)} AS syscall_frequencies, detection_ratio, first_seen, "
        f"ROW_NUMBER() OVER (PARTITION BY sample_id ORDER BY event_timestamp DESC, detection_ratio DESC NULLS LAST, "
        f"permission_count DESC NULLS LAST, api_level DESC NULLS LAST) AS rn "
        f"FROM {raw} WHERE capture = '{capture}' AND sample_id IS NOT NULL AND event_timestamp IS NOT NULL"
        f") t WHERE rn = 1"
    )


def _training(emulator, real_device):
    columns = ", ".join(name for name, _, _ in SAMPLE_FIELDS)
    split = (
        "CASE WHEN substr(md5(sample_id), 1, 1) IN ('0','1','2','3','4','5','6','7','8','9','a','b') THEN 'train' "
        "WHEN substr(md5(sample_id), 1, 1) IN ('c','d') THEN 'validation' ELSE 'test' END"
    )
    ordered = ", ".join(name for name, _, _ in TRAINING_FIELDS)
    return (
        f"SELECT {ordered} FROM ("
        f"SELECT {columns}, {split} AS split, "
        f"ROW_NUMBER() OVER (PARTITION BY sample_id ORDER BY event_timestamp DESC, capture_rank ASC) AS rn FROM ("
        f"SELECT {columns}, 0 AS capture_rank FROM {real_device} "
        f"UNION ALL SELECT {columns}, 1 AS capture_rank FROM {emulator}"
        f") u) t WHERE rn = 1"
    )


def statements(dialect, names=None):
    """[(output table, SELECT)] in the order they must run; `names` maps a table to how the
    engine's SQL refers to it (default: the table's own name)."""
    n = {t: t for t in (RAW_TABLE, *OUTPUT_TABLES)} | dict(names or {})
    return [
        (EMULATOR_TABLE, _staging(n[RAW_TABLE], "emulator", dialect)),
        (REAL_DEVICE_TABLE, _staging(n[RAW_TABLE], "real_device", dialect)),
        (TRAINING_TABLE, _training(n[EMULATOR_TABLE], n[REAL_DEVICE_TABLE])),
    ]


def newest_dlt_metadata(names):
    """The current metadata file of a table dlt wrote: the last by name (dlt's own rule,
    dlt.common.libs.pyiceberg.get_last_metadata_file; its names start with a zero-padded
    sequence number). None when there is none."""
    found = sorted(n for n in names if n.endswith(".metadata.json"))
    return found[-1] if found else None


def parser(prog, description):
    """An argparse parser whose errors are one line (`prog: error: …`, exit 2), no usage block."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            self.exit(2, f"{self.prog}: error: {message}\n")

    return Parser(prog=prog, description=description)


class TransformError(Exception):
    """A one-line reason the transform refused to run, naming the input at fault."""


def parse_bool(value, name):
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise TransformError(f"{name} must be true or false, got {value!r}")


def warehouse_for(warehouse, repository, branch):
    """The warehouse of `branch`: `<scheme>://<repository>/<ref>/warehouse` with the ref
    replaced (the rendered warehouse names the table's default ref, `main`)."""
    scheme, sep, rest = warehouse.partition("://")
    parts = rest.split("/")
    if not sep or len(parts) < 3 or parts[0] != repository:
        raise TransformError(f"warehouse {warehouse!r} is not <scheme>://{repository}/<ref>/<path> (--lakefs-repository {repository!r})")
    if not branch or "/" in branch or branch.strip() != branch:
        raise TransformError(f"--branch {branch!r} is not a lakeFS branch name")
    return f"{scheme}://{repository}/{branch}/" + "/".join(parts[2:])
