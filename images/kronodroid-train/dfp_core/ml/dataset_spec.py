"""The Kronodroid dataset spec, as features/kronodroid.ts declares it (`KRONODROID.datasetSpec`),
and the split ids dfp derives from it (constructs/lineage.ts `datasetId`).

dfp renders only the ids (DATASET_TRAIN_ID, …) into the step, so the step checks that the
spec it splits by is the one those ids were made from: a changed spec in the definitions
without a new image (or the other way round) is refused instead of training on splits
the lineage tags do not describe.
"""
import hashlib
import json
import math

from .errors import InputError

KRONODROID_SPEC = {
    "table": "kronodroid.fct_training_dataset",
    "splitColumn": "split",
    "splits": {"train": "train", "val": "validation", "test": "test"},
    "label": "is_malware",
}

SPLIT_ENV = {"train": "DATASET_TRAIN_ID", "val": "DATASET_VAL_ID", "test": "DATASET_TEST_ID"}


def canonical_json(value):
    """emit/json.ts: sorted keys, no spaces, JSON.stringify's scalars."""
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{canonical_json(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "null"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def dataset_id(spec, split):
    """`<split>-<first 16 hex of sha256(canonical spec + "\\n" + split)>`, as dfp renders it."""
    digest = hashlib.sha256(f"{canonical_json(spec)}\n{split}".encode()).hexdigest()
    return f"{split}-{digest[:16]}"


def check_split_ids(environ, spec=KRONODROID_SPEC):
    """The split ids of `spec`; raises InputError when the rendered ones differ."""
    ids = {split: dataset_id(spec, split) for split in SPLIT_ENV}
    for split, name in SPLIT_ENV.items():
        rendered = environ.get(name)
        if rendered and rendered != ids[split]:
            raise InputError(
                f"{name} is '{rendered}', but this image splits by a dataset spec whose {split} id is '{ids[split]}'; "
                "the definitions (features/kronodroid.ts datasetSpec) and the training image disagree: rebuild one of them"
            )
    return ids
