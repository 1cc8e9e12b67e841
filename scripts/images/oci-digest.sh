#!/usr/bin/env bash
# The manifest digest of the image in an OCI archive (what `name@sha256:…` names, and what
# `ctr images import` keeps), or with --config the digest of its config (buildah's image id).
#   scripts/images/oci-digest.sh [--config] <archive.tar>
set -euo pipefail
what=manifest
if [[ "${1:-}" == --config ]]; then what=config; shift; fi
python3 - "$what" "$1" <<'PY'
import json, sys, tarfile
what, path = sys.argv[1], sys.argv[2]
with tarfile.open(path) as t:
    index = json.load(t.extractfile('index.json'))
    manifest = index['manifests'][0]['digest']
    if what == 'manifest':
        print(manifest)
    else:
        blob = json.load(t.extractfile('blobs/sha256/' + manifest.split(':')[1]))
        print(blob['config']['digest'])
PY
