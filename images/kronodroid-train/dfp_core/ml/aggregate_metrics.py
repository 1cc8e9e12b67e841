"""Joins the training metrics and the runtime benchmark into one summary:
`python -m dfp_core.ml.aggregate_metrics` (the `aggregate-metrics` step).

--training-metrics   the train step's metrics file (JSON: {"metrics": {...}, "model_bytes": {...}})
--benchmark-results  the benchmark's results (JSON, format `dfp.runtime-benchmark/v1`, written
                     alike by the emulator benchmark and by the host-CPU comparison of the
                     ExecuTorch export; or `{"skipped": true, "reason": ...}` when the
                     pipeline ran with run_android_benchmark=false; see android/README.md)
--mlflow-run-id      the training run the summary is logged on
--summary            where the summary (JSON) is written

The summary's metrics go on the run as `summary.<name>` and the file as
`summary/summary.json`; nothing is logged when an input is missing or malformed.
"""
import json
import os
import sys
from pathlib import Path

from .errors import InputError, OneLineParser, main_guard
from .train_kronodroid_autoencoder import check_mlflow

PROGRAM = "aggregate_metrics"
RESULTS_FORMAT = "dfp.runtime-benchmark/v1"


def _read_json(path, flag):
    """The JSON document at `path`, or the only .json file in it when it is a folder (an artifact)."""
    if path.is_dir():
        found = sorted(p for p in path.rglob("*.json") if p.is_file())
        if len(found) != 1:
            raise InputError(f"{flag} {path} is a folder with {len(found)} JSON files; give the file")
        path = found[0]
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{flag} {path} does not exist") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{flag} {path} is not JSON ({str(e).splitlines()[0]})") from None


def summarise(training, results):
    if not isinstance(training, dict) or not isinstance(training.get("metrics"), dict):
        raise InputError("--training-metrics has no 'metrics' object; give the train step's metrics file")
    if isinstance(results, dict) and results.get("skipped") is True:
        # The emulator step ran with --run-benchmark false: the summary says so instead of
        # inventing runtimes, and the training metrics are still joined and logged.
        reason = results.get("reason") if isinstance(results.get("reason"), str) else "no reason given"
        print(f"android benchmark: skipped ({reason})", file=sys.stderr)
        summary = {"training": training["metrics"], "model_bytes": training.get("model_bytes", {}),
                   "android_benchmark": "skipped", "android_benchmark_reason": reason, "runtimes": {}, "fastest_runtime": None}
        return summary, {f"training.{k}": v for k, v in training["metrics"].items() if isinstance(v, (int, float))}
    if not isinstance(results, dict) or results.get("format") != RESULTS_FORMAT or not isinstance(results.get("runtimes"), dict):
        raise InputError(f"--benchmark-results is not a {RESULTS_FORMAT} document (no 'format' or 'runtimes'); give the benchmark's results file")
    summary = {
        "training": training["metrics"],
        "model_bytes": training.get("model_bytes", {}),
        "device": results.get("device", {}),
        "runtimes": {},
    }
    flat = {f"training.{k}": v for k, v in training["metrics"].items() if isinstance(v, (int, float))}
    for runtime, r in sorted(results["runtimes"].items()):
        if not isinstance(r, dict) or not isinstance(r.get("latency_ms"), dict):
            raise InputError(f"--benchmark-results: runtime '{runtime}' has no latency_ms")
        entry = {"latency_ms_p50": r["latency_ms"].get("p50"), "latency_ms_mean": r["latency_ms"].get("mean"), "model_bytes": r.get("model_bytes"), "max_abs_diff": r.get("max_abs_diff")}
        summary["runtimes"][runtime] = entry
        flat.update({f"{runtime}.{k}": v for k, v in entry.items() if isinstance(v, (int, float))})
    fastest = min(summary["runtimes"].items(), key=lambda kv: kv[1]["latency_ms_p50"] if kv[1]["latency_ms_p50"] is not None else float("inf"), default=(None, None))[0]
    summary["fastest_runtime"] = fastest
    return summary, flat


def aggregate(args, environ):
    training = _read_json(args.training_metrics, "--training-metrics")
    results = _read_json(args.benchmark_results, "--benchmark-results")
    summary, flat = summarise(training, results)
    check_mlflow(environ)
    import mlflow
    from mlflow.exceptions import MlflowException

    client = mlflow.MlflowClient()
    try:
        client.get_run(args.mlflow_run_id)
    except MlflowException:
        raise InputError(f"--mlflow-run-id {args.mlflow_run_id}: MLflow has no such run") from None
    args.summary.parent.mkdir(parents=True, exist_ok=True)
    args.summary.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    from mlflow.entities import Metric
    import time

    now = int(time.time() * 1000)
    client.log_batch(args.mlflow_run_id, metrics=[Metric(f"summary.{k}", float(v), now, 0) for k, v in sorted(flat.items())])
    client.log_artifact(args.mlflow_run_id, str(args.summary), artifact_path="summary")
    print(json.dumps(summary, sort_keys=True))


def main(argv=None):
    p = OneLineParser(prog=PROGRAM, description="Joins training metrics and benchmark results and logs the summary on the MLflow run.")
    p.add_argument("--training-metrics", type=Path, required=True)
    p.add_argument("--benchmark-results", type=Path, required=True)
    p.add_argument("--mlflow-run-id", required=True)
    p.add_argument("--summary", type=Path, required=True)
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    return main_guard(PROGRAM, lambda: aggregate(args, os.environ))


if __name__ == "__main__":
    sys.exit(main())
