#!/usr/bin/env bash
# Creates (or refreshes) the Python environment of one conformance harness from its lock
# file: `scripts/python-env.sh tests/conformance/kfp` → tests/conformance/kfp/.venv.
# uv itself comes from PyPI at a pinned version into .tools/uv/, so nothing is needed on
# the machine beyond python3. uv never downloads an interpreter: it uses python3.11 here.
set -euo pipefail
UV_VERSION=0.9.30
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
UV_HOME="$ROOT/.tools/uv"
UV="$UV_HOME/bin/uv"

if [[ $# -ne 1 || ! -f "$1/pyproject.toml" ]]; then
  echo "usage: scripts/python-env.sh <folder with pyproject.toml and uv.lock>" >&2
  exit 2
fi

if [[ ! -x "$UV" ]] || [[ "$("$UV" --version | cut -d' ' -f2)" != "$UV_VERSION" ]]; then
  rm -rf "$UV_HOME"
  python3 -m venv "$UV_HOME"
  "$UV_HOME/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

export UV_PYTHON_DOWNLOADS=never
# The package cache is machine-wide (DFP_CACHE, default ~/.cache/dfp), so a fresh clone, as
# CI uses, installs from it instead of downloading every wheel again.
export UV_CACHE_DIR="${DFP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dfp}/uv"
# --locked: fail, rather than silently re-resolve, when pyproject.toml and uv.lock disagree.
"$UV" sync --quiet --locked --python python3.11 --project "$1"
