"""Exports the trained model to ExecuTorch and compares the runtimes on the host CPU:
`python -m dfp_core.export.executorch` (the `export-executorch` step, android/executorch-export.ts).

--model-dir             the train step's model folder (model.pt2, model.onnx, model.tflite,
                        config.json, reference_inputs.npy)
--backend               xnnpack (lowered to the XNNPACK delegate) or portable (no delegate)
--quantization          none (the only scheme this image applies)
--output                where the .pte is written (the step's `pte` artifact)
--mlflow-run-id         the training run: the .pte goes to --mlflow-artifact-path on it, the
--mlflow-artifact-path  comparison to host-cpu/results.json and its metrics as host.<runtime>.<metric>
--results               also write the comparison there (optional)
--iterations, --warmup  timed and untimed inferences per runtime

The comparison runs the same reference inputs (standardised test rows the training step
saved) through PyTorch (the exported program), the .pte in the ExecuTorch runtime, the
ONNX model in ONNX Runtime and the TFLite model in LiteRT, and records for each the
largest absolute difference from PyTorch and the latency of one inference (batch 1),
in the format the emulator benchmark writes (`dfp.runtime-benchmark/v1`, android/README.md).
"""
import argparse
import logging
import json
import os
import platform
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# torch warns on import that triton (left out: no GPU here) cannot count flops; a CPU step never needs it.
logging.getLogger("torch.utils.flop_counter").setLevel(logging.ERROR)

PROGRAM = "export_executorch"
RESULTS_FORMAT = "dfp.runtime-benchmark/v1"
BACKENDS = ("xnnpack", "portable")
QUANTIZATIONS = ("none",)
TOLERANCE = 1e-4


class InputError(Exception):
    """An input is missing or wrong; reported as one line naming it."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: {message}\n")


def count(name, minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be >= {minimum}, got {value}")
        return value

    return parse


def parse_args(argv):
    p = OneLineParser(prog=PROGRAM, description="Exports the model to ExecuTorch (.pte) and compares runtimes on the host CPU.")
    p.add_argument("--model-dir", type=Path, required=True)
    p.add_argument("--backend", required=True, help=f"one of {', '.join(BACKENDS)}")
    p.add_argument("--quantization", required=True, help=f"one of {', '.join(QUANTIZATIONS)}")
    p.add_argument("--output", type=Path, required=True)
    p.add_argument("--mlflow-run-id")
    p.add_argument("--mlflow-artifact-path", default="executorch/model.pte")
    p.add_argument("--results", type=Path)
    p.add_argument("--iterations", type=count("--iterations", 1), default=200)
    p.add_argument("--warmup", type=count("--warmup", 0), default=20)
    args = p.parse_args(argv)
    if args.backend not in BACKENDS:
        p.error(f"argument --backend: '{args.backend}' is not available in this image; use one of {', '.join(BACKENDS)} (vulkan and qnn need their SDKs)")
    if args.quantization not in QUANTIZATIONS:
        p.error(f"argument --quantization: '{args.quantization}' is not applied by this image; use none")
    return args


def check_mlflow(environ):
    uri = environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith(("http://", "https://")):
        raise InputError(f"MLFLOW_TRACKING_URI is '{uri}'; --mlflow-run-id needs an MLflow tracking server (http:// or https://)")
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=15):
            pass
    except urllib.error.HTTPError as e:
        raise InputError(f"MLflow at {uri} answered {e.code} to /health; is MLFLOW_TRACKING_URI right?") from None
    except (urllib.error.URLError, OSError) as e:
        raise InputError(f"cannot reach MLflow at {uri} ({getattr(e, 'reason', e)}); is MLFLOW_TRACKING_URI right?") from None


def read_model_dir(model_dir):
    """config.json and the files it names; InputError naming --model-dir for anything missing."""
    config_path = model_dir / "config.json"
    try:
        config = json.loads(config_path.read_text())
        files = config["files"]
        input_dim = int(config["input_dim"])
    except FileNotFoundError:
        raise InputError(f"--model-dir {model_dir} has no config.json; give the train step's model folder") from None
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"--model-dir {model_dir}: config.json is not the train step's model config ({type(e).__name__}: {e})") from None
    paths = {}
    for key in ("exported_program", "onnx", "tflite", "reference_inputs"):
        path = model_dir / str(files.get(key, ""))
        if not files.get(key) or not path.is_file():
            raise InputError(f"--model-dir {model_dir} has no {files.get(key) or key} (config.json files.{key})")
        paths[key] = path
    return config, input_dim, paths


def lower_to_pte(program, backend, output):
    from executorch.exir import to_edge_transform_and_lower

    partitioners = []
    if backend == "xnnpack":
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        partitioners = [XnnpackPartitioner()]
    edge = to_edge_transform_and_lower(program, partitioner=partitioners)
    delegated = sum(1 for n in edge.exported_program().graph.nodes if n.op == "call_function" and "executorch_call_delegate" in str(n.target))
    et = edge.to_executorch()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".partial")
    tmp.write_bytes(et.buffer)
    os.replace(tmp, output)
    return delegated


def _latencies(run, x_one, iterations, warmup):
    for _ in range(warmup):
        run(x_one)
    times = []
    for _ in range(iterations):
        t = time.perf_counter_ns()
        run(x_one)
        times.append((time.perf_counter_ns() - t) / 1e6)
    import numpy as np

    a = np.asarray(times)
    return {k: float(v) for k, v in {"mean": a.mean(), "p50": np.percentile(a, 50), "p90": np.percentile(a, 90), "p99": np.percentile(a, 99), "min": a.min(), "max": a.max()}.items()}


def compare(program, pte, paths, iterations, warmup):
    """Each runtime on the reference inputs: max |output - PyTorch| and latency of one inference."""
    import numpy as np
    import torch
    # ExecuTorch first: its runtime is loaded and the method planned before LiteRT's and
    # ONNX Runtime's libraries come into the process (LiteRT loaded first breaks it).
    from executorch.runtime import Runtime

    torch.set_num_threads(1)
    inputs = np.load(paths["reference_inputs"]).astype(np.float32)
    module = program.module()
    with torch.no_grad():
        reference = np.concatenate([module(torch.from_numpy(row[None, :])).numpy() for row in inputs])

    def torch_run(x):
        with torch.no_grad():
            return module(torch.from_numpy(x)).numpy()

    # The Program must outlive its Method (the method points into it).
    et_program = Runtime.get().load_program(pte.read_bytes())
    et_method = et_program.load_method("forward")

    def et_run(x):
        return et_method.execute([torch.from_numpy(x)])[0].numpy()

    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(paths["onnx"]), opts, providers=["CPUExecutionProvider"])
    onnx_input = session.get_inputs()[0].name

    def onnx_run(x):
        return session.run(None, {onnx_input: x})[0]

    interpreter = Interpreter(model_path=str(paths["tflite"]), num_threads=1)
    interpreter.allocate_tensors()
    tfl_in, tfl_out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def tflite_run(x):
        interpreter.set_tensor(tfl_in, x)
        interpreter.invoke()
        return interpreter.get_tensor(tfl_out).copy()

    runtimes = {
        "pytorch": (torch_run, paths["exported_program"]),
        "executorch": (et_run, pte),
        "onnxruntime": (onnx_run, paths["onnx"]),
        "tflite": (tflite_run, paths["tflite"]),
    }
    results = {}
    for name, (run, file) in runtimes.items():
        outputs = np.concatenate([run(row[None, :]) for row in inputs])
        results[name] = {
            "model": file.name,
            "model_bytes": file.stat().st_size,
            "max_abs_diff": float(np.abs(outputs - reference).max()),
            "outputs_compared": int(outputs.size),
            "latency_ms": _latencies(run, inputs[:1], iterations, warmup),
        }
    return results


def export(args, environ):
    config, input_dim, paths = read_model_dir(args.model_dir)
    if args.mlflow_run_id:
        check_mlflow(environ)
        import mlflow
        from mlflow.exceptions import MlflowException

        try:
            mlflow.MlflowClient().get_run(args.mlflow_run_id)
        except MlflowException:
            raise InputError(f"--mlflow-run-id {args.mlflow_run_id}: MLflow has no such run") from None
    import zipfile

    if not zipfile.is_zipfile(paths["exported_program"]):
        raise InputError(f"--model-dir {args.model_dir}: {paths['exported_program'].name} is not a torch.export program (not a .pt2 archive)")
    import torch

    # torch.export.load logs its own stack trace before raising; the one line below says it.
    logging.getLogger("torch.export").setLevel(logging.CRITICAL)
    try:
        program = torch.export.load(str(paths["exported_program"]))
    except Exception as e:  # noqa: BLE001 - a corrupt input
        raise InputError(f"--model-dir {args.model_dir}: {paths['exported_program'].name} is not a torch.export program ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
    started = time.monotonic()
    delegated = lower_to_pte(program, args.backend, args.output)
    export_seconds = time.monotonic() - started
    runtimes = compare(program, args.output, paths, args.iterations, args.warmup)
    worst = max(r["max_abs_diff"] for r in runtimes.values())
    results = {
        "format": RESULTS_FORMAT,
        "device": {"name": "host-cpu", "kind": "host", "abi": platform.machine(), "cores": os.cpu_count(), "threads": 1, "python": platform.python_version()},
        "iterations": args.iterations,
        "warmup": args.warmup,
        "batch": 1,
        "input_dim": input_dim,
        "reference": "pytorch",
        "tolerance": TOLERANCE,
        "executorch": {"backend": args.backend, "quantization": args.quantization, "delegated_subgraphs": delegated, "export_seconds": export_seconds},
        "runtimes": runtimes,
    }
    text = json.dumps(results, indent=2, sort_keys=True) + "\n"
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(text)
    if worst > TOLERANCE:
        # Nothing is logged for a model whose exports do not compute what it computes.
        diffs = ", ".join(f"{k} {r['max_abs_diff']:.3g}" for k, r in runtimes.items())
        raise InputError(f"a runtime's outputs differ from PyTorch by more than {TOLERANCE}: {diffs}")
    if args.mlflow_run_id:
        import mlflow
        from mlflow.entities import Metric

        client = mlflow.MlflowClient()
        now = int(time.time() * 1000)
        metrics = []
        for name, r in sorted(runtimes.items()):
            metrics += [Metric(f"host.{name}.latency_ms_{k}", v, now, 0) for k, v in sorted(r["latency_ms"].items())]
            metrics += [Metric(f"host.{name}.max_abs_diff", r["max_abs_diff"], now, 0), Metric(f"host.{name}.model_bytes", float(r["model_bytes"]), now, 0)]
        client.log_batch(args.mlflow_run_id, metrics=metrics)
        artifact_dir, artifact_name = os.path.split(args.mlflow_artifact_path)
        with tempfile.TemporaryDirectory() as tmp:
            named = Path(tmp) / artifact_name
            named.write_bytes(args.output.read_bytes())
            client.log_artifact(args.mlflow_run_id, str(named), artifact_path=artifact_dir or None)
            results_file = Path(tmp) / "results.json"
            results_file.write_text(text)
            client.log_artifact(args.mlflow_run_id, str(results_file), artifact_path="host-cpu")
    print(text, end="")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        export(args, os.environ)
    except InputError as e:
        print(f"{PROGRAM}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - still one line
        print(f"{PROGRAM}: unexpected {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
        if "DFP_TRACEBACK" in os.environ:
            import traceback

            traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
