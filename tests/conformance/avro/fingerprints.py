"""Parsing Canonical Form and sha256 fingerprint of each .avsc file given, as fastavro and
Apache Avro's Python package (avro) compute them. Prints one JSON object:
{path: {"fastavro": {"canonical": ..., "sha256": ...}, "avro": {"canonical": ...}}}.
"""
import hashlib
import json
import sys

import avro.schema
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    parsed = parse_schema(json.loads(text))
    out[path] = {
        "fastavro": {"canonical": to_parsing_canonical_form(parsed), "sha256": fingerprint(to_parsing_canonical_form(parsed), "SHA-256")},
        "avro": {"canonical": avro.schema.parse(text).canonical_form},
    }
print(json.dumps(out))
