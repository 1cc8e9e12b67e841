"""Reads dfp's Iceberg table definitions with pyiceberg's own models.

Usage: check.py FILE...   Prints {"results": [{"file", "ok", "errors", "schema"}]}.

Each file must parse as the REST catalog's CreateTableRequest, and writing the parsed
request back must give the same JSON: a field pyiceberg does not know would be dropped
on the way and show up as a difference. The schema's columns are reported as pyiceberg
reads them (name, type, required), for the test to compare with the model.
"""
import json
import sys

from pyiceberg.catalog.rest import CreateTableRequest


def check(path):
    with open(path, encoding="utf-8") as f:
        original = json.load(f)
    try:
        request = CreateTableRequest.model_validate(original)
    except Exception as e:  # pydantic's ValidationError and pyiceberg's own errors
        return {"file": path, "ok": False, "errors": [f"{type(e).__name__}: {e}"], "schema": None}
    back = json.loads(request.model_dump_json(by_alias=True, exclude_none=True))
    errors = [] if back == original else [f"round trip differs: {json.dumps(back, sort_keys=True)}"]
    schema = [[f.name, str(f.field_type), f.required] for f in request.table_schema.fields]
    return {"file": path, "ok": not errors, "errors": errors, "schema": schema}


if __name__ == "__main__":
    json.dump({"results": [check(p) for p in sys.argv[1:]]}, sys.stdout, indent=1)
