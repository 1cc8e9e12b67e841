"""A stand-in for the Kronodroid training step: run with the environment dfp rendered for
it, it "trains" (a few KB of seeded random weights, no framework), then does what the
real step does at the end: one call to dfp_tools.lineage.record_lineage, which tags the
MLflow run, logs the weights and registers a model version.

  python train_standin.py WORKDIR MODEL_NAME   ->  {"run_id": ..., "model_version": ..., "tags": {...}}
"""
import json
import os
import random
import struct
import sys

import mlflow
from dfp_tools.lineage import record_lineage

workdir, model_name = sys.argv[1], sys.argv[2]
rng = random.Random(20261202)
model_dir = os.path.join(workdir, "model")
os.makedirs(model_dir, exist_ok=True)
with open(os.path.join(model_dir, "weights.bin"), "wb") as f:
    f.write(struct.pack("<2048f", *(rng.gauss(0, 1) for _ in range(2048))))
with open(os.path.join(model_dir, "config.json"), "w") as f:
    json.dump({"latent_dim": 16, "input_dim": 128}, f, sort_keys=True)
pte = os.path.join(workdir, "model.pte")
with open(pte, "wb") as f:
    f.write(b"ET12" + bytes(rng.randrange(256) for _ in range(1024)))

mlflow.set_experiment(os.environ.get("DFP_PIPELINE", "stand-in"))
with mlflow.start_run() as run:
    mlflow.log_params({"latent_dim": 16, "max_epochs": 1})
    mlflow.log_metric("val_loss", 0.125)
    mlflow.log_metric("test_loss", 0.25)
    recorded = record_lineage(weights={"model": model_dir, "executorch": pte}, register_as=model_name)
print(json.dumps({"run_id": run.info.run_id, "model_version": recorded["model_version"], "tags": recorded["tags"]}))
