"""Trains the Kronodroid autoencoder: `python -m dfp_core.ml.train_kronodroid_autoencoder`.

Run with the environment dfp renders for the `train` step of kronodroid-autoencoder
(pipelines/kronodroid-autoencoder.ts): the lineage stamps (LAKEFS_REPOSITORY, LAKEFS_REF,
ICEBERG_TABLE_LOCATION, DATASET_*_ID, …), LAKEFS_ENDPOINT and keys, MLFLOW_TRACKING_URI.

In order, so that a bad input is refused before anything is written anywhere:
1. arguments, lineage stamps (dfp_tools.lineage, which also reads the table's Iceberg
   snapshot id at the commit) and the split ids (dataset_spec.py) are checked, and MLflow
   is asked whether it answers;
2. the table is read at the commit (data.py) and split by the dataset spec;
3. the Lightning autoencoder trains on CPU, is validated every epoch and tested;
4. the model folder is written: model.pt2 (torch.export), model.onnx, model.tflite,
   config.json (features, standardisation, sizes), reference_inputs.npy (test rows the
   runtime comparison feeds every runtime);
5. only then an MLflow run: params, per-epoch metrics, test metrics, the ONNX and TFLite
   files at onnx/model.onnx and tflite/model.tflite (where the Android benchmark fetches
   them), and `record_lineage`, which tags the run, logs the model folder and registers a
   new version of `kronodroid-autoencoder` with the same tags, last;
6. the metrics file and the run-id file the step declares.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .errors import InputError, OneLineParser, main_guard, positive_int

PROGRAM = "train_kronodroid_autoencoder"
MODEL_NAME = "kronodroid-autoencoder"
HIDDEN_DIM = 64
LEARNING_RATE = 1e-3
SEED = 20261207
REFERENCE_ROWS = 64


def parse_args(argv):
    p = OneLineParser(prog=PROGRAM, description="Trains the Kronodroid autoencoder on the pinned training table and registers it in MLflow.")
    p.add_argument("--max-epochs", type=positive_int("--max-epochs"), required=True)
    p.add_argument("--latent-dim", type=positive_int("--latent-dim"), required=True)
    p.add_argument("--batch-size", type=positive_int("--batch-size"), required=True)
    p.add_argument("--max-rows-per-split", type=positive_int("--max-rows-per-split", allow_zero=True), required=True, help="0: every row")
    p.add_argument("--model-dir", type=Path, required=True)
    p.add_argument("--metrics-file", type=Path, required=True)
    p.add_argument("--run-id-file", type=Path, required=True)
    p.add_argument("--register-as", default=MODEL_NAME, help="the registered model's name")
    return p.parse_args(argv)


def check_mlflow(environ):
    """MLflow answers at MLFLOW_TRACKING_URI (asked once, before any work)."""
    uri = environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith(("http://", "https://")):
        raise InputError(f"MLFLOW_TRACKING_URI is '{uri}'; the step logs to an MLflow tracking server (http:// or https://)")
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=15) as r:
            if r.status != 200:
                raise InputError(f"MLflow at {uri} answered {r.status} to /health")
    except urllib.error.HTTPError as e:
        raise InputError(f"MLflow at {uri} answered {e.code} to /health; is MLFLOW_TRACKING_URI right?") from None
    except (urllib.error.URLError, OSError) as e:
        raise InputError(f"cannot reach MLflow at {uri} ({getattr(e, 'reason', e)}); is MLFLOW_TRACKING_URI right?") from None
    return uri


def train(args, environ):
    from dfp_tools.lineage import lineage_tags

    from .data import check_commit, current_metadata_path, read_table, table_ref, to_splits
    from .dataset_spec import KRONODROID_SPEC, check_split_ids

    # 1. Every check that needs no training, before anything is written: the split ids,
    # the table's address, MLflow, the commit, the table at it, then every lineage stamp.
    split_ids = check_split_ids(environ)
    ref = table_ref(environ)
    check_mlflow(environ)
    check_commit(ref)
    current_metadata_path(ref)
    tags = lineage_tags(environ)

    # 2. The data at the commit.
    started = time.monotonic()
    rows, snapshot_id, files = read_table(ref)
    if snapshot_id != tags.get("data.iceberg_snapshot_id", snapshot_id):
        raise InputError(f"the table's snapshot changed while it was read ({tags['data.iceberg_snapshot_id']} then {snapshot_id})")
    splits = to_splits(rows, snapshot_id, files, KRONODROID_SPEC, args.max_rows_per_split, ref.where())
    read_seconds = time.monotonic() - started

    # 3. Training, CPU only, seeded.
    import numpy as np
    import pytorch_lightning as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from .formats import export_onnx, export_program, write_tflite
    from .model import AutoencoderTask, reconstruction_errors, roc_auc

    pl.seed_everything(SEED, workers=True, verbose=False)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    # An anomaly detector: it learns to reconstruct benign samples (label 0); malware should
    # reconstruct worse, which the test split's ROC AUC of the reconstruction error measures.
    benign = {s: splits.features[s][splits.labels[s] == 0] for s in splits.features}
    for s, rows_ in benign.items():
        if len(rows_) == 0:
            raise InputError(f"{ref.where()}: the {s} split has no benign rows ({KRONODROID_SPEC['label']} = 0) to learn from")
    mean = benign["train"].mean(axis=0)
    std = benign["train"].std(axis=0)
    std = np.where(std > 1e-8, std, 1.0).astype(np.float32)
    tensors = {s: torch.from_numpy(((splits.features[s] - mean) / std).astype(np.float32)) for s in splits.features}
    fit = {s: torch.from_numpy(((benign[s] - mean) / std).astype(np.float32)) for s in benign}
    loaders = {
        s: DataLoader(TensorDataset(fit[s]), batch_size=args.batch_size, shuffle=(s == "train"), generator=torch.Generator().manual_seed(SEED))
        for s in fit
    }
    input_dim = tensors["train"].shape[1]
    task = AutoencoderTask(input_dim, args.latent_dim, HIDDEN_DIM, LEARNING_RATE)
    trainer = pl.Trainer(
        max_epochs=args.max_epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, deterministic=True, num_sanity_val_steps=0,
    )
    train_started = time.monotonic()
    trainer.fit(task, loaders["train"], loaders["val"])
    train_seconds = time.monotonic() - train_started
    test_loss = float(trainer.test(task, loaders["test"], verbose=False)[0]["test_loss"])
    net = task.net.eval()
    errors = reconstruction_errors(net, tensors["test"]).numpy()
    auc = roc_auc(errors, splits.labels["test"])

    # 4. The model folder.
    model_dir = args.model_dir
    model_dir.mkdir(parents=True, exist_ok=True)
    export_program(net, input_dim, model_dir / "model.pt2")
    export_onnx(net, input_dim, model_dir / "model.onnx")
    write_tflite(net, input_dim, model_dir / "model.tflite")
    np.save(model_dir / "reference_inputs.npy", tensors["test"][:REFERENCE_ROWS].numpy())
    config = {
        "architecture": "fully-connected autoencoder (Linear, ReLU)",
        "input_dim": input_dim,
        "hidden_dim": HIDDEN_DIM,
        "latent_dim": args.latent_dim,
        "input": {"name": "features", "shape": [1, input_dim], "dtype": "float32", "standardised": True},
        "output": {"name": "reconstruction", "shape": [1, input_dim], "dtype": "float32"},
        "features": list(splits.feature_names),
        "standardisation": {"mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        "dataset": {"spec": KRONODROID_SPEC, "split_ids": split_ids, "rows": {s: len(v) for s, v in splits.ids.items()}, "trained_on": "benign rows (label 0)"},
        "files": {"exported_program": "model.pt2", "onnx": "model.onnx", "tflite": "model.tflite", "reference_inputs": "reference_inputs.npy"},
        "torch": torch.__version__.split("+")[0],
    }
    (model_dir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    metrics = {
        "train_loss": task.history[-1]["train_loss"],
        "val_loss": task.history[-1]["val_loss"],
        "test_loss": test_loss,
        **({"test_auc_reconstruction_error": auc} if auc is not None else {}),
        "train_seconds": train_seconds,
        "read_seconds": read_seconds,
        "rows_train": len(splits.ids["train"]),
        "rows_val": len(splits.ids["val"]),
        "rows_test": len(splits.ids["test"]),
        "rows_benign_train": len(benign["train"]),
    }
    sizes = {f"model_bytes_{k}": (model_dir / f).stat().st_size for k, f in (("pt2", "model.pt2"), ("onnx", "model.onnx"), ("tflite", "model.tflite"))}

    # 5. MLflow, last: params, metrics, files, lineage and the model version.
    import mlflow
    from dfp_tools.lineage import record_lineage

    mlflow.set_experiment(environ.get("DFP_PIPELINE") or MODEL_NAME)
    with mlflow.start_run() as run:
        client = mlflow.MlflowClient()
        mlflow.log_params({
            "max_epochs": args.max_epochs, "latent_dim": args.latent_dim, "batch_size": args.batch_size,
            "max_rows_per_split": args.max_rows_per_split, "hidden_dim": HIDDEN_DIM, "learning_rate": LEARNING_RATE,
            "input_dim": input_dim, "seed": SEED, "device": "cpu", "torch": config["torch"],
        })
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        history = [Metric(k, h[k], now, h["epoch"]) for h in task.history for k in ("train_loss", "val_loss")]
        # train_loss and val_loss are logged per epoch above; the rest once.
        final = {k: v for k, v in {**metrics, **sizes}.items() if k not in ("train_loss", "val_loss")}
        client.log_batch(run.info.run_id, metrics=history + [Metric(k, float(v), now, 0) for k, v in final.items()])
        record_lineage(
            weights={"model": model_dir, "onnx": model_dir / "model.onnx", "tflite": model_dir / "model.tflite"},
            register_as=args.register_as,
        )
        run_id = run.info.run_id

    # 6. The step's declared outputs.
    args.metrics_file.parent.mkdir(parents=True, exist_ok=True)
    args.metrics_file.write_text(json.dumps({"mlflow_run_id": run_id, "metrics": metrics, "model_bytes": sizes, "epochs": task.history}, indent=2, sort_keys=True) + "\n")
    args.run_id_file.parent.mkdir(parents=True, exist_ok=True)
    args.run_id_file.write_text(run_id)
    print(json.dumps({"mlflow_run_id": run_id, "metrics": metrics, "model_bytes": sizes}, sort_keys=True))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return main_guard(PROGRAM, lambda: train(args, os.environ))


if __name__ == "__main__":
    sys.exit(main())
