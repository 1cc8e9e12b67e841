"""Evaluates the Python literals dfp printed, with Python's own parser, and reports them as JSON.

usage: eval_literals.py LITERALS_PY OUT_JSON

LITERALS_PY assigns one list, `VALUES = [...]`. Each element is read with
`ast.literal_eval` (which accepts literals only, never code) and written back as JSON
(ASCII, so every code point survives), for the caller to compare with what it printed.
"""

import ast
import json
import sys


def main():
    source_path, out_path = sys.argv[1], sys.argv[2]
    with open(source_path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=source_path)
    (assign,) = tree.body
    values = [ast.literal_eval(element) for element in assign.value.elts]
    with open(out_path, "w", encoding="ascii") as f:
        json.dump(values, f, ensure_ascii=True, allow_nan=False)


if __name__ == "__main__":
    main()
