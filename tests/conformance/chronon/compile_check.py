"""
Compiles one rendered Chronon repo with the real chronon-ai package and prints what it
holds, as JSON, for tests/chronon.test.ts to compare with the model.

    python compile_check.py <repo>   # a copy of dist/<env>/chronon/<project>/

Every GroupBy module is imported by Chronon's own loader (ai.chronon.repo.extract_objects,
which runs GroupBy()'s validation), checked by its repo validator and round-tripped through
its thrift JSON; every Join module is compiled by Chronon's `compile.py`, one file at a
time (a folder compile logs and skips broken files), and the thrift JSON it wrote is read
back. Any failure exits non-zero with Chronon's message.
"""
import json
import logging
import os
import sys

import ai.chronon.repo.extract_objects as eo
from ai.chronon.api.ttypes import GroupBy, Join
from ai.chronon.repo.compile import extract_and_convert
from ai.chronon.repo.serializer import file2thrift, thrift_simple_json_protected
from ai.chronon.repo.validator import ChrononRepoValidator, get_group_by_output_columns, get_join_output_columns
from ai.chronon.utils import FeatureDisplayKeys


def python_files(root: str, folder: str) -> list:
    out = []
    for dirpath, _, names in os.walk(os.path.join(root, folder)):
        out += [os.path.join(dirpath, n) for n in names if n.endswith(".py")]
    return sorted(out)


def main(root: str) -> dict:
    root = os.path.abspath(root)
    sys.path.insert(0, root)  # Chronon imports `group_bys.<team>.<file>` from the repo root
    validator = ChrononRepoValidator(root, "production", log_level=logging.ERROR)
    group_bys = {}
    for path in python_files(root, "group_bys"):
        objs = eo.from_file(root, path, GroupBy, log_level=logging.ERROR)
        if len(objs) != 1:
            raise SystemExit(f"{path}: {len(objs)} GroupBy objects, expected 1")
        for name, gb in objs.items():
            errors = validator.validate_obj(gb)
            if errors:
                raise SystemExit(f"{name}: {errors}")
            thrift_simple_json_protected(gb, GroupBy)
            query = gb.sources[0].events.query
            group_bys[name] = {
                "keys": gb.keyColumns,
                "columns": get_group_by_output_columns(gb),
                "table": gb.sources[0].events.table,
                "timeColumn": query.timeColumn,
                "online": bool(gb.metaData.online),
                "accuracy": gb.accuracy,
            }
    joins = {}
    for path in python_files(root, "joins"):
        rel = os.path.relpath(path, root)
        try:
            extract_and_convert.main(["--chronon_root", root, "--conf", rel, "--force-overwrite", "-y"], standalone_mode=False)
        except SystemExit as e:
            if e.code:
                raise
        team, file = rel[len("joins/"):-3].split("/")
        written = os.path.join(root, "production", "joins", team, f"{file}.v1")
        if not os.path.exists(written):
            raise SystemExit(f"{rel}: compile.py wrote no {written}")
        join = file2thrift(written, Join)
        columns = get_join_output_columns(join)
        joins[join.metaData.name] = {
            "keys": sorted(columns[FeatureDisplayKeys.KEY_COLUMNS]),  # Chronon collects them in a set
            "parts": [jp.groupBy.metaData.name for jp in join.joinParts],
            "outputColumns": columns[FeatureDisplayKeys.OUTPUT_COLUMNS],
            "team": join.metaData.team,
            "outputNamespace": join.metaData.outputNamespace,
        }
    return {"groupBys": group_bys, "joins": joins}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: compile_check.py <chronon repo>")
    result = main(sys.argv[1])
    sys.stdout.flush()
    print("DFP-CHRONON " + json.dumps(result, sort_keys=True))
