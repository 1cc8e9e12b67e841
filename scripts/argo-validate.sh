#!/usr/bin/env bash
# Builds our harness around Argo Workflows' own validator (scripts/argo-validate/main.go,
# which tests/argo-validate.test.ts runs) from the Go module proxy, and caches it in
# .tools/argo-validate/<version>/argo-validate (git-ignored), so a fresh clone builds it
# once (Go's build cache is machine-wide: on a machine that built it before, a link step).
#
# scripts/argo-validate/ pins github.com/argoproj/argo-workflows/v3 (the release the
# embedded cluster runs) and, through go.sum, every dependency. The module zip drops a
# symlink under workflow/executor/osspecific, which only argoexec needs; workflow/validate
# does not import it (checked below), so the verified module builds as it is.
# Prints the binary's path on stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HARNESS="$ROOT/scripts/argo-validate"
command -v go >/dev/null || { echo "argo-validate: Go is needed to build Argo's validator" >&2; exit 1; }
export GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

# The version the harness pins, read by Go itself, and a hash of our own source so that an
# edit of main.go or the pins rebuilds.
VERSION="$(cd "$HARNESS" && go list -m -f '{{.Version}}' github.com/argoproj/argo-workflows/v3)"
SOURCE="$(cat "$HARNESS/go.mod" "$HARNESS/go.sum" "$HARNESS/main.go" | sha256sum | cut -c1-12)"
OUT="$ROOT/.tools/argo-validate/$VERSION-$SOURCE"
BIN="$OUT/argo-validate"

if [[ ! -x "$BIN" ]]; then
  cd "$HARNESS"
  if go list -deps . | grep -q '/workflow/executor/osspecific$'; then
    echo "argo-validate: the harness now imports workflow/executor/osspecific, whose symlink the module zip drops; build it from a copy of the module with the link restored" >&2
    exit 1
  fi
  mkdir -p "$ROOT/.tools/argo-validate"
  WORK="$(mktemp -d "$ROOT/.tools/argo-validate/build.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  started=$SECONDS
  echo "argo-validate: compiling Argo Workflows $VERSION's validator (a few minutes on two cores, once)" >&2
  go build -trimpath -ldflags "-s -w" -o "$WORK/argo-validate" .
  mkdir -p "$OUT"
  mv "$WORK/argo-validate" "$BIN"
  # Builds of earlier sources are never run again.
  find "$ROOT/.tools/argo-validate" -mindepth 1 -maxdepth 1 -type d ! -name "$(basename "$OUT")" ! -name 'build.*' -exec rm -rf {} +
  echo "argo-validate: built $BIN in $((SECONDS - started)) s" >&2
fi
echo "$BIN"
