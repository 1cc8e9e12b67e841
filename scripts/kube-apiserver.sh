#!/usr/bin/env bash
# Builds the Kubernetes API server that tests/kube-apiserver.test.ts runs, from the Go
# module proxy, and caches it in .tools/kube-apiserver/<version>/kube-apiserver
# (git-ignored), so a fresh clone builds it once. Builds etcd 3.6, its storage, from the
# module proxy too (scripts/etcd/), into $DFP_CACHE/bin/ (machine-wide).
#
# scripts/kube-apiserver/ is a wrapper module that pins k8s.io/kubernetes and, through
# go.sum, every dependency; its go.mod replaces each k8s.io staging module with the
# release of the same version. Also downloads the CRD releases scripts/kube-crds/ pins.
# Prints two lines on stdout: the kube-apiserver binary's path, then etcd's.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WRAPPER="$ROOT/scripts/kube-apiserver"
command -v go >/dev/null || { echo "kube-apiserver: Go is needed to build the API server" >&2; exit 1; }

# etcd: the API server's only dependency at run time. etcd 3.6, built from the Go module
# proxy by the wrapper module scripts/etcd/ into $DFP_CACHE/bin/etcd-<version>, the same
# binary the embedded cluster runs (scripts/cluster/build makes it the same way).
DFP_CACHE="${DFP_CACHE:-$HOME/.cache/dfp}"
ETCD_VERSION="$(cd "$ROOT/scripts/etcd" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
ETCD="$DFP_CACHE/bin/etcd-$ETCD_VERSION"
if [[ ! -x "$ETCD" ]]; then
  mkdir -p "$DFP_CACHE/bin"
  echo "kube-apiserver: compiling etcd $ETCD_VERSION (under a minute on two idle cores, once)" >&2
  (cd "$ROOT/scripts/etcd" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
    go build -trimpath -ldflags "-s -w" -o "$ETCD.$$" go.etcd.io/etcd/server/v3)
  mv "$ETCD.$$" "$ETCD"
fi

# The version the wrapper pins, read by Go itself (go.mod's layout is Go's to choose).
VERSION="$(cd "$WRAPPER" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' k8s.io/kubernetes)"
OUT="$ROOT/.tools/kube-apiserver/$VERSION"
BIN="$OUT/kube-apiserver"

if [[ ! -x "$BIN" ]]; then
  mkdir -p "$ROOT/.tools/kube-apiserver"
  WORK="$(mktemp -d "$ROOT/.tools/kube-apiserver/build.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  started=$SECONDS
  cd "$WRAPPER"
  # readonly: go.sum must already hold every checksum; no VCS stamp: the binary is not ours.
  export GOFLAGS="-mod=readonly -buildvcs=false"
  # The version variables Kubernetes' own build (hack/lib/version.sh) sets: without them
  # the server reports v0.0.0-master, which clients such as kubectl refuse to parse.
  major="${VERSION#v}"; major="${major%%.*}"
  minor="${VERSION#v*.}"; minor="${minor%%.*}"
  pkg=k8s.io/component-base/version
  ldflags="-s -w -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  echo "kube-apiserver: compiling kube-apiserver $VERSION (about 10 minutes on two cores, once)" >&2
  go build -trimpath -ldflags "$ldflags" -o "$WORK/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  mkdir -p "$OUT"
  mv "$WORK/kube-apiserver" "$BIN"
  echo "kube-apiserver: built $BIN in $((SECONDS - started)) s" >&2
fi

# The CRD releases the test installs (scripts/kube-crds/ pins them; go.sum checks the zips),
# fetched here too so that the test itself needs no network.
(cd "$ROOT/scripts/kube-crds" && GOFLAGS=-mod=readonly go mod download \
  github.com/argoproj/argo-workflows/v4 github.com/argoproj/argo-cd/v3)

echo "$BIN"
echo "$ETCD"
