#!/usr/bin/env bash
# The Debian tools the image builds and tests use, installed when missing (as root, as on
# this project's machines and CI): mmdebstrap (the bases), buildah (the builds, no daemon),
# runc (tests/images-run.test.ts). Sourced by base.sh and build.sh.
missing=()
for tool in mmdebstrap buildah runc; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "images: installing ${missing[*]} from Debian" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
