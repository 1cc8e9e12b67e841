"""How long real Airflow takes to parse folders of DAG files, the way its DAG processor does:
DagBag.process_file on each file, again and again in one process (the processor re-parses
every file each `min_file_process_interval`), the median of the repeats per file.

usage (the Airflow harness's Python, tests/conformance/airflow/.venv, with AIRFLOW_HOME set):
  parse_dags.py REPEATS LABEL=FOLDER [LABEL=FOLDER ...]
Prints one JSON object: per label the files, DAGs, tasks, import errors, the median parse
per file (ms), the sum of the per-file medians, and Airflow's dagbag_import_timeout.
Airflow logs to stderr and stdout; the JSON is the last line.
"""

import json
import os
import statistics
import sys
import time


def main():
    repeats = int(sys.argv[1])
    folders = [arg.split("=", 1) for arg in sys.argv[2:]]
    from airflow.configuration import conf
    from airflow.models.dagbag import DagBag

    results = {}
    for label, folder in folders:
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".py"))
        bag = DagBag(dag_folder=os.devnull, include_examples=False)
        per_file = {f: [] for f in files}
        # Interleave the files so no file gets a warmer cache than the others.
        for _ in range(repeats):
            for f in files:
                t = time.perf_counter()
                bag.process_file(f, only_if_updated=False, safe_mode=False)
                per_file[f].append((time.perf_counter() - t) * 1000)
        medians = [statistics.median(v) for v in per_file.values()]
        results[label] = {
            "files": len(files),
            "dags": len(bag.dags),
            "tasks": sum(len(d.tasks) for d in bag.dags.values()),
            "importErrors": len(bag.import_errors),
            "firstError": next(iter(bag.import_errors.values()), None),
            "medianPerFileMs": statistics.median(medians) if medians else 0,
            "sumOfMediansMs": sum(medians),
            "maxMedianMs": max(medians) if medians else 0,
        }
    results["dagbagImportTimeoutS"] = conf.getfloat("core", "dagbag_import_timeout")
    results["repeats"] = repeats
    sys.stdout.write("\n" + json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
