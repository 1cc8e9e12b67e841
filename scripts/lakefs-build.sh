#!/usr/bin/env bash
# Builds the lakeFS server that the tests run, from the Go module proxy, and caches it in
# .tools/lakefs/<version>/lakefs (git-ignored), so a fresh clone builds it once.
#
# scripts/lakefs/ is a wrapper module that pins the lakeFS version and, through go.sum,
# every dependency. The published module lacks lakeFS's generated code (the OpenAPI server
# and the auth client, made by its own go:generate lines) and the web UI bundle, so this
# script copies the module source, generates that code with the oapi-codegen version
# lakeFS pins, puts a placeholder where the UI bundle goes, and builds cmd/lakefs with the
# wrapper pointed at that copy. Prints the binary's path on stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WRAPPER="$ROOT/scripts/lakefs"
command -v go >/dev/null || { echo "lakefs-build: Go is needed to build the lakeFS server" >&2; exit 1; }
# The version the wrapper pins, read by Go itself (go.mod's layout is Go's to choose).
VERSION="$(cd "$WRAPPER" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' github.com/treeverse/lakefs)"
OUT="$ROOT/.tools/lakefs/$VERSION"
BIN="$OUT/lakefs"

if [[ -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

mkdir -p "$ROOT/.tools/lakefs"
WORK="$(mktemp -d "$ROOT/.tools/lakefs/build.XXXXXX")"
# The module cache is read-only, and so is a copy of it until we add write bits.
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
started=$SECONDS

cd "$WRAPPER"
# readonly: go.sum must already hold every checksum; no VCS stamp: the binary is not ours.
export GOFLAGS="-mod=readonly -buildvcs=false"
# Downloads (or finds) the lakeFS module and checks it against go.sum.
go mod download github.com/treeverse/lakefs
SRC="$(go list -m -f '{{.Dir}}' github.com/treeverse/lakefs)"
cp -R "$SRC" "$WORK/lakefs"
chmod -R u+w "$WORK/lakefs"

echo "lakefs-build: generating lakeFS's API code for $VERSION" >&2
go build -o "$WORK/oapi-codegen" github.com/deepmap/oapi-codegen/cmd/oapi-codegen
# The same arguments as lakeFS's go:generate lines in pkg/api/apigen/doc.go and
# pkg/auth/service.go.
(cd "$WORK/lakefs/pkg/api/apigen" &&
  "$WORK/oapi-codegen" -package apigen -generate "types,client,chi-server,spec" \
    -templates ../tmpl -o lakefs.gen.go ../../../api/swagger.yml)
(cd "$WORK/lakefs/pkg/auth" &&
  "$WORK/oapi-codegen" -package auth -generate "types,client" \
    -o client.gen.go ../../api/authorization.yml)
# webui/content.go embeds webui/dist; the tests never open the UI.
mkdir -p "$WORK/lakefs/webui/dist"
printf '<!doctype html><title>lakeFS</title><p>web UI not built</p>\n' >"$WORK/lakefs/webui/dist/index.html"

# The wrapper's go.mod and go.sum, copied so the replace never touches the committed files.
cp go.mod "$WORK/wrapper.mod"
cp go.sum "$WORK/wrapper.sum"
go mod edit -modfile="$WORK/wrapper.mod" -replace "github.com/treeverse/lakefs=$WORK/lakefs"
echo "lakefs-build: compiling lakeFS $VERSION (a few minutes, once)" >&2
# The version string follows lakeFS's own local builds (dev-<revision>): a "dev" version
# also switches off lakeFS's audit call home, which a test server must never make.
go build -modfile="$WORK/wrapper.mod" -trimpath \
  -ldflags "-s -w -X github.com/treeverse/lakefs/pkg/version.Version=dev-$VERSION" \
  -o "$WORK/lakefs.bin" github.com/treeverse/lakefs/cmd/lakefs

mkdir -p "$OUT"
mv "$WORK/lakefs.bin" "$BIN"
echo "lakefs-build: built $BIN in $((SECONDS - started)) s" >&2
echo "$BIN"
