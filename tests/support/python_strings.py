"""Every string constant of generated Python files (and every string of a TOML file, read with
tomllib), with where it is and what it becomes.

usage: python_strings.py IN_JSON OUT_JSON
IN_JSON: [{"file": path, "params": {...}}]. For each file: `ast.parse` (a syntax error is
reported, not raised), then every str constant with its path in the tree (field names and
list indices from the module down) and, when it sits in a field Airflow renders as a
Jinja template (a KubernetesPodOperator's cmds/arguments/env_vars, a PythonOperator's
op_kwargs), the text Airflow's sandboxed Jinja renders it to with the DAG's params, dfp's
`dfp_text` filter and undefined names left empty. The caller compares these with what the
definitions said; one Python process serves a whole batch of files.
"""

import ast
import json
import sys
import tomllib

from jinja2 import Undefined
from jinja2.sandbox import SandboxedEnvironment

# The KubernetesPodOperator fields Airflow renders that hold user text (its template_fields).
TEMPLATED = {"cmds", "arguments", "env_vars", "op_kwargs", "annotations"}


def dfp_text(value):
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def strings(tree):
    out = []

    def walk(node, path, templated):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((".".join(path), node.value, templated))
            return
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        walk(item, path + [field, str(i)], templated)
            elif isinstance(value, ast.AST):
                inner = templated or (isinstance(node, ast.keyword) and node.arg in TEMPLATED)
                walk(value, path + [field], inner)

    walk(tree, [], False)
    return out


def toml_strings(text):
    """Every string of a TOML file (dlt's config.toml), by its dotted key path, as tomllib reads it."""
    out = []

    def walk(node, path):
        if isinstance(node, str):
            out.append({"path": ".".join(path), "value": node, "templated": False, "rendered": None})
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + [k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [str(i)])

    walk(tomllib.loads(text), [])
    return out


def main(src, dst):
    env = SandboxedEnvironment(undefined=Undefined, keep_trailing_newline=True)
    env.filters["dfp_text"] = dfp_text
    report = {}
    for item in json.load(open(src, encoding="utf-8")):
        text = open(item["file"], encoding="utf-8").read()
        if item["file"].endswith(".toml"):
            try:
                report[item["file"]] = {"strings": toml_strings(text)}
            except tomllib.TOMLDecodeError as e:
                report[item["file"]] = {"error": "TOMLDecodeError: %s" % e}
            continue
        try:
            tree = ast.parse(text, filename=item["file"])
        except SyntaxError as e:
            report[item["file"]] = {"error": "%s: %s" % (type(e).__name__, e)}
            continue
        found = []
        for path, value, templated in strings(tree):
            rendered = None
            if templated:
                try:
                    rendered = env.from_string(value).render(params=item.get("params", {}))
                except Exception as e:  # an expression that needs a run (xcom): not a user string
                    rendered = "<unrenderable: %s>" % type(e).__name__
            found.append({"path": path, "value": value, "templated": templated, "rendered": rendered})
        report[item["file"]] = {"strings": found}
    json.dump(report, open(dst, "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
