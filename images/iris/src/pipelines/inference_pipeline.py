"""Iris batch inference: python -m src.pipelines.inference_pipeline --data PATH --model-name NAME
--model-version N --predictions PATH.

Loads the registered model version from MLflow (MLFLOW_TRACKING_URI) and writes one
prediction per dataset row to --predictions (Parquet): the row's id and features, the
predicted label and species, the predicted class's probability, and the model name and
version. The file is written only when every row has its prediction.
"""

import json
import sys
import time

from src.pipelines.common import FEATURES, SPECIES, Parser, StepError, mlflow_client, positive_int, read_dataset, run, write_atomically


def main(argv=None):
    ap = Parser(prog="inference_pipeline", description="Iris batch inference.")
    ap.add_argument("--data", required=True)
    ap.add_argument("--model-name", required=True)
    ap.add_argument("--model-version", type=positive_int("--model-version"), required=True)
    ap.add_argument("--predictions", required=True)
    args = ap.parse_args(argv)
    return run("inference_pipeline", lambda: infer(args))


def infer(args):
    started = time.time()
    df = read_dataset(args.data)
    client = mlflow_client()
    try:
        client.get_model_version(args.model_name, str(args.model_version))
    except Exception:
        raise StepError(f"model {args.model_name!r} version {args.model_version} is not in the MLflow registry (--model-name, --model-version)") from None

    import mlflow.xgboost

    try:
        model = mlflow.xgboost.load_model(f"models:/{args.model_name}/{args.model_version}")
    except Exception as e:
        raise StepError(f"model {args.model_name!r} version {args.model_version} cannot be loaded: {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None
    proba = model.predict_proba(df[list(FEATURES)])
    out = df[["sample_id", *FEATURES]].copy()
    out["prediction"] = proba.argmax(axis=1).astype("int32")
    out["predicted_species"] = out["prediction"].map(dict(enumerate(SPECIES)))
    out["probability"] = proba.max(axis=1).astype("float64")
    out["model_name"] = args.model_name
    out["model_version"] = args.model_version
    if len(out) != len(df) or out["prediction"].isna().any():
        raise StepError("the model did not give one prediction per row")
    write_atomically(args.predictions, lambda tmp: out.to_parquet(tmp, index=False))
    accuracy = float((out["prediction"].values == df["label"].values).mean())
    print(json.dumps({"rows": len(out), "predictions": args.predictions, "accuracy_all_rows": accuracy, "seconds": round(time.time() - started, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
