"""What the Iris steps share: one-line errors, the dataset's columns, reading it, MLflow's reachability."""

import argparse
import os
import sys

FEATURES = ("sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm")
COLUMNS = ("sample_id", *FEATURES, "label", "species", "split")
SPECIES = ("setosa", "versicolor", "virginica")


class StepError(Exception):
    """A one-line reason the step refused, naming the input at fault."""


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage block), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def run(step, main):
    try:
        return main()
    except StepError as e:
        print(f"{step}: {e}", file=sys.stderr, flush=True)
        return 1


def read_dataset(path, option="--data"):
    import pandas as pd

    if not os.path.exists(path):
        raise StepError(f"{option} {path}: no such file")
    try:
        df = pd.read_parquet(path)
    except Exception as e:
        raise StepError(f"{option} {path} is not a Parquet dataset ({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise StepError(f"{option} {path} lacks the column(s) {', '.join(missing)}")
    if df.empty:
        raise StepError(f"{option} {path} has no rows")
    if df[list(FEATURES)].isna().any().any():
        raise StepError(f"{option} {path} has missing feature values")
    return df


def mlflow_client():
    """The MLflow client, after checking the tracking server answers (before any work is done)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise StepError("MLFLOW_TRACKING_URI is not set")
    # Fail fast and on one line when the server is down, instead of minutes of retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    try:
        client.search_experiments(max_results=1)
    except Exception as e:
        raise StepError(f"cannot reach MLflow at {uri} (MLFLOW_TRACKING_URI): {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None
    return client


def positive_int(name):
    def parse(value):
        try:
            v = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {value!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {v}")
        return v

    return parse


def unit_float(name):
    def parse(value):
        try:
            v = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {value!r}") from None
        if not 0 < v <= 1:
            raise argparse.ArgumentTypeError(f"{name} must be in (0, 1], got {v}")
        return v

    return parse


def write_atomically(path, write):
    """Writes through `write(tmp_path)` then renames, so a failed step leaves no half file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    write(tmp)
    os.replace(tmp, path)
