"""Iris training: python -m src.pipelines.training_pipeline --data PATH --model-name NAME
--max-depth N --learning-rate X --model-version-file PATH.

Trains an XGBoost classifier on the dataset's train rows, evaluates it on the test rows,
logs params, metrics and the model to MLflow (MLFLOW_TRACKING_URI), registers the model
under NAME, and writes the new version number to --model-version-file.

Nothing is registered half: the input and the server are checked before training; the
model version is created only after the run has logged the model, and the version file is
written only once the version is READY. A failure after the run started marks the run
FAILED.
"""

import json
import sys
import time

from src.pipelines.common import FEATURES, Parser, StepError, mlflow_client, positive_int, read_dataset, run, unit_float, write_atomically

SEED = 42


def main(argv=None):
    ap = Parser(prog="training_pipeline", description="Iris XGBoost training with MLflow registration.")
    ap.add_argument("--data", required=True)
    ap.add_argument("--model-name", required=True)
    ap.add_argument("--max-depth", type=positive_int("--max-depth"), required=True)
    ap.add_argument("--learning-rate", type=unit_float("--learning-rate"), required=True)
    ap.add_argument("--model-version-file", required=True)
    ap.add_argument("--n-estimators", type=positive_int("--n-estimators"), default=50)
    args = ap.parse_args(argv)
    return run("training_pipeline", lambda: train(args))


def train(args):
    started = time.time()
    df = read_dataset(args.data)
    train_df, test_df = df[df.split == "train"], df[df.split == "test"]
    if train_df.empty or test_df.empty:
        raise StepError(f"--data {args.data} needs train and test rows (column split)")
    if not args.model_name.strip():
        raise StepError("--model-name is empty")
    client = mlflow_client()

    import mlflow
    import mlflow.xgboost
    from mlflow.models import infer_signature
    from sklearn.metrics import accuracy_score, f1_score
    from xgboost import XGBClassifier

    model = XGBClassifier(
        max_depth=args.max_depth, learning_rate=args.learning_rate, n_estimators=args.n_estimators,
        objective="multi:softprob", random_state=SEED, n_jobs=1, tree_method="hist",
    )
    X_train, y_train = train_df[list(FEATURES)], train_df["label"]
    X_test, y_test = test_df[list(FEATURES)], test_df["label"]
    mlflow.set_experiment("iris")
    with mlflow.start_run(run_name=f"{args.model_name}-train") as active:
        mlflow.log_params({"max_depth": args.max_depth, "learning_rate": args.learning_rate, "n_estimators": args.n_estimators, "seed": SEED, "train_rows": len(train_df), "test_rows": len(test_df)})
        model.fit(X_train, y_train)
        predicted = model.predict(X_test)
        metrics = {"accuracy": float(accuracy_score(y_test, predicted)), "f1_macro": float(f1_score(y_test, predicted, average="macro"))}
        mlflow.log_metrics(metrics)
        info = mlflow.xgboost.log_model(model, name="model", signature=infer_signature(X_train, model.predict_proba(X_train)), input_example=X_train.head(3))
        version = mlflow.register_model(info.model_uri, args.model_name)
        for _ in range(60):
            status = client.get_model_version(args.model_name, version.version).status
            if status == "READY":
                break
            if status == "FAILED_REGISTRATION":
                raise StepError(f"MLflow could not register {args.model_name} version {version.version}")
            time.sleep(1)
        else:
            raise StepError(f"{args.model_name} version {version.version} did not become READY in 60 s")
        client.set_model_version_tag(args.model_name, version.version, "dfp.run_id", active.info.run_id)
    write_atomically(args.model_version_file, lambda tmp: open(tmp, "w").write(str(version.version)))
    print(json.dumps({"model": args.model_name, "version": int(version.version), "run_id": active.info.run_id, **metrics, "seconds": round(time.time() - started, 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
