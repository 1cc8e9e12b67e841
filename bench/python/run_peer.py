"""`python run_peer.py kfp|hera SPECS OUT [--limit M]`: the peer's side of the benchmark.

Imports the tool (timed as start-up), then for each spec builds the pipeline with the
tool's DSL and renders it the way the tool's users do: kfp compiles to an IR YAML file
with `Compiler().compile`; Hera builds a WorkflowTemplate and writes `to_yaml()` to a
file. `--limit M` renders only the first M specs (for extrapolating a run that would not
fit the time budget). Prints one JSON object: wall and CPU milliseconds, peak RSS."""
import json
import os
import resource
import sys
import time

WALL0, CPU0 = time.perf_counter(), time.process_time()


def main() -> None:
    tool, specs_file, out = sys.argv[1:4]
    limit = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--limit" else None
    if tool == "kfp":
        from kfp import compiler

        import kfp_twin

        def render(spec: dict) -> None:
            compiler.Compiler().compile(kfp_twin.build_pipeline(spec), os.path.join(out, spec["name"] + ".yaml"))
    elif tool == "hera":
        import hera_twin

        def render(spec: dict) -> None:
            with open(os.path.join(out, spec["name"] + ".yaml"), "w") as f:
                f.write(hera_twin.build_workflow(spec).to_yaml())
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    startup_ms = (time.perf_counter() - WALL0) * 1000

    with open(specs_file) as f:
        specs = json.load(f)
    done = specs[:limit] if limit is not None else specs
    os.makedirs(out, exist_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    for spec in done:
        render(spec)
    total_ms = (time.perf_counter() - wall) * 1000
    total_cpu_ms = (time.process_time() - cpu) * 1000
    print(json.dumps({
        "tool": tool,
        "pipelines": len(specs),
        "rendered": len(done),
        "steps": sum(len(s["steps"]) for s in done),
        "bytes": sum(os.path.getsize(os.path.join(out, s["name"] + ".yaml")) for s in done),
        "startupMs": startup_ms,
        "totalMs": total_ms,
        "totalCpuMs": total_cpu_ms,
        "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
