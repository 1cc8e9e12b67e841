#!/usr/bin/env bash
# `make images`: builds every images/*/Containerfile with buildah (daemonless), on the
# local base images of scripts/images/base.sh, into one OCI archive per image and set of
# inputs, $DFP_CACHE/images/<name>/<key>.tar (<key>: the hash of its inputs, below) with
# <key>.digest beside it (`<ref> <digest>`), tagged registry.dfp.internal/dfp/<name>:<tag>
# with the tag the pipelines give it in dist/. Builds from different inputs (branches, CI
# clones sharing the machine) coexist; going back to inputs built before is a cache hit.
# scripts/images/archive-for finds the archive of a reference dist/ names.
#
#   scripts/images/build.sh [--rebuild | --cached-only] [name...]   (default: every image with a Containerfile)
#
# --rebuild builds again what the cache holds (the bases stay cached) and says, per image,
# whether the digest came out the same: the check that the builds are reproducible.
# --cached-only builds no image (nor a base of images/bases/): those whose inputs have an
# archive are reported and locked as usual, the others named, and the script exits 1.
#
# An image is rebuilt only when its inputs change (its folder, dfp_tools, the Containerfile,
# the base image's digest, the tag: scripts/images/inputs.py), so a second run with no
# change builds nothing and reports the same digests. After each image, the
# DFP_IMAGES_KEEP (default 2) archives of it used last (built or found cached) are kept and
# the older ones deleted, each named on stderr.
# The flat layout of before ($DFP_CACHE/images/<name>.tar, .key, .digest) is moved into
# <name>/<key>.* once (a move, never a copy), and the flat links earlier versions kept are
# removed: readers find an archive by its digest (archive-for). Each image built is pushed
# to its archive and removed from buildah's store (the bases stay). Prints per image: tag, size, build
# time, digest, and the cold and warm totals; then records the digests in dfp.lock.json
# (`dfp lock --images`), from which synth renders `name:tag@sha256:…`.
# An image whose folder lacks its Python project (pyproject.toml + uv.lock) or a file its
# Containerfile copies fails with a message naming it; the others are still built, and the
# script exits 1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
DFP_CACHE="${DFP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dfp}"
OUT="$DFP_CACHE/images"
# uv's package cache; DFP_IMAGES_UV_CACHE names another folder (an empty one: a build with a cold cache).
UV_CACHE="${DFP_IMAGES_UV_CACHE:-$DFP_CACHE/uv}"
mkdir -p "$OUT" "$UV_CACHE"
# shellcheck source=tools.sh
source "$ROOT/scripts/images/tools.sh"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}" # the bases' time: 2025-01-01T00:00:00Z
REGISTRY=registry.dfp.internal/dfp
# Every flag that shapes the image is part of the key.
BUD_FLAGS=(--layers=false --identity-label=false --timestamp "$SOURCE_DATE_EPOCH" --pull=never
  --build-arg UV_CACHE_DIR=/var/cache/dfp-uv)

# Mounted while RUN steps run, never part of the image: uv's package cache (machine-wide,
# shared with scripts/python-env.sh), and the host's CA bundle, so that downloads from PyPI
# trust what the host trusts (a TLS-inspecting proxy's CA, for one).
MOUNTS=(-v "$UV_CACHE:/var/cache/dfp-uv")
[[ -f /etc/ssl/certs/ca-certificates.crt ]] && MOUNTS+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)

KEEP="${DFP_IMAGES_KEEP:-2}"
[[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || { echo "images: DFP_IMAGES_KEEP=$KEEP: want a whole number of archives per image, 1 or more" >&2; exit 2; }

# shellcheck source=cache.sh
source "$ROOT/scripts/images/cache.sh"
cache_migrate

REBUILD=0 CACHED_ONLY=0
if [[ "${1:-}" == --rebuild ]]; then REBUILD=1; shift; fi
if [[ "${1:-}" == --cached-only ]]; then CACHED_ONLY=1; shift; fi
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for f in images/*/Containerfile; do names+=("$(basename "$(dirname "$f")")"); done
fi

# The FROM of a Containerfile: its image name under localhost/dfp/ (python-base, …) and the whole reference.
from_name() { awk 'toupper($1)=="FROM" { sub(/^localhost\/dfp\//, "", $2); sub(/:.*/, "", $2); print $2; exit }' "$1"; }
from_ref() { awk 'toupper($1)=="FROM" { print $2; exit }' "$1"; }

# The bases the images need, first (cached; minutes only on a machine that never built them):
# the Debian ones of base.sh, and the ones built from images/bases/<name>/Containerfile on
# them (torch-base: the torch layer that kronodroid-train and executorch-export share).
bases=() ; derived=()
declare -A BASE_REF
for name in "${names[@]}"; do
  [[ -f "images/$name/Containerfile" ]] || continue
  b="$(from_name "images/$name/Containerfile")"
  if [[ -f "images/bases/$b/Containerfile" ]]; then
    [[ " ${derived[*]} " == *" $b "* ]] || derived+=("$b")
    BASE_REF[$b]="$(from_ref "images/$name/Containerfile")"
    b="$(from_name "images/bases/$b/Containerfile")"
  fi
  [[ " ${bases[*]} " == *" $b "* ]] || bases+=("$b")
done
declare -A BASE_DIGEST
if [[ ${#bases[@]} -gt 0 ]]; then
  while IFS=$'\t' read -r base digest _size _archive; do BASE_DIGEST[$base]=$digest; done \
    < <(scripts/images/base.sh "${bases[@]}")
fi

# A base of images/bases/<name>: built with the same flags, kept in buildah's store only (no
# archive: every image built on it carries its layers, and it is large). Its identity in the
# images' keys is its image id (the config's digest), recorded with the key of its inputs in
# $OUT/base/<name>.<key>.state (one per set of inputs, as the archives: a branch going back to
# inputs built before needs no build of the base to find its images cached; <name>.state,
# the last one, for branches on the flat layout); the build is reproducible, so a store that lost it (buildah rmi)
# gets it back, with the same id, only when an image on it must be built.
declare -A DERIVED_KEY
derived_key() {
  local d="$1" parent; parent="$(from_name "images/bases/$d/Containerfile")"
  python3 scripts/images/inputs.py images "bases/$d" "${BASE_DIGEST[$parent]:-}" "${BASE_REF[$d]}" "${BUD_FLAGS[*]}"
}
derived_id_in_store() {
  local id; id="$(buildah inspect --type image --format '{{.FromImageID}}' "${BASE_REF[$1]}" 2>/dev/null)" || return 0
  echo "sha256:$id"
}
build_derived() {
  local d="$1" t0=$SECONDS log="$OUT/base/$1.build.log" id
  if ! buildah bud "${BUD_FLAGS[@]}" "${MOUNTS[@]}" -f "images/bases/$d/Containerfile" -t "${BASE_REF[$d]}" images >"$log" 2>&1; then
    echo "images: base $d: buildah bud failed; the last lines of $log:" >&2
    tail -n 15 "$log" >&2
    return 1
  fi
  id="$(derived_id_in_store "$d")"
  echo "base: $d image in $((SECONDS - t0)) s, $(buildah images --format '{{.Size}}' "${BASE_REF[$d]}" | head -1) in the store, id $id" >&2
  printf '%s %s\n' "${DERIVED_KEY[$d]}" "$id" > "$OUT/base/$d.${DERIVED_KEY[$d]}.state"
  cp "$OUT/base/$d.${DERIVED_KEY[$d]}.state" "$OUT/base/$d.state"
  BASE_DIGEST[$d]="$id"
}
# Before an image on base d is built: the base in the store, with the id its key was made with.
ensure_derived() {
  local d="$1" want="${BASE_DIGEST[$1]}"
  [[ " ${REBUILT_BASES[*]} " == *" $d "* ]] && return 0 # built in this run
  [[ $REBUILD == 0 && "$(derived_id_in_store "$d")" == "$want" ]] && return 0
  build_derived "$d" || return 1
  REBUILT_BASES+=("$d")
  if [[ "${BASE_DIGEST[$d]}" != "$want" ]]; then
    echo "images: base $d: built again from the same inputs as ${BASE_DIGEST[$d]}, was $want (not reproducible); run make images again" >&2
    return 1
  fi
  [[ $REBUILD == 1 ]] && echo "base: $d: built again from the same inputs: the same id" >&2
  return 0
}
REBUILT_BASES=() ; FAILED_BASES=()
for d in "${derived[@]}"; do
  DERIVED_KEY[$d]="$(derived_key "$d")"
  state="$(cat "$OUT/base/$d.${DERIVED_KEY[$d]}.state" 2>/dev/null || cat "$OUT/base/$d.state" 2>/dev/null || true)"
  if [[ "${state%% *}" == "${DERIVED_KEY[$d]}" ]]; then
    BASE_DIGEST[$d]="${state#* }"
    [[ -f "$OUT/base/$d.${DERIVED_KEY[$d]}.state" ]] || echo "$state" > "$OUT/base/$d.${DERIVED_KEY[$d]}.state"
  else
    mkdir -p "$OUT/base"
    if [[ $CACHED_ONLY == 1 ]]; then echo "images: base $d: its inputs changed; not built (--cached-only)" >&2; FAILED_BASES+=("$d")
    elif build_derived "$d"; then REBUILT_BASES+=("$d"); else FAILED_BASES+=("$d"); fi
  fi
done

# What a Containerfile copies from the build context (images/), for the missing-file check.
copy_sources() {
  awk 'toupper($1)=="COPY" { for (i = 2; i < NF; i++) if ($i !~ /^--/) print $i }' "$1"
}

failed=() ; rows=() ; digest_files=() ; cold=0 ; warm=0 ; built=0 ; cached=0
for name in "${names[@]}"; do
  dir="images/$name"
  cf="$dir/Containerfile"
  problems=()
  [[ -f "$cf" ]] || problems+=("no $cf")
  [[ -f "$dir/pyproject.toml" ]] || problems+=("no $dir/pyproject.toml (the image's Python project)")
  [[ -f "$dir/uv.lock" ]] || problems+=("no $dir/uv.lock (lock it: .tools/uv/bin/uv lock --project $dir)")
  if [[ -f "$cf" ]]; then
    for src in $(copy_sources "$cf"); do [[ -e "images/$src" ]] || problems+=("no images/$src, which $cf copies"); done
  fi
  tags=()
  while IFS= read -r t; do tags+=("$t"); done \
    < <(grep -rhoE "$REGISTRY/$name:[A-Za-z0-9._-]+" dist 2>/dev/null | sed "s#^$REGISTRY/$name:##" | sort -u)
  [[ ${#tags[@]} -gt 0 ]] || problems+=("dist/ names no image $REGISTRY/$name:<tag> (run make synth?)")
  [[ ${#tags[@]} -le 1 ]] || problems+=("dist/ names $REGISTRY/$name with several tags (${tags[*]}); one archive holds one")
  if [[ ${#problems[@]} -gt 0 ]]; then
    for p in "${problems[@]}"; do echo "images: $name: $p" >&2; done
    failed+=("$name")
    continue
  fi
  tag="${tags[0]}" ; ref="$REGISTRY/$name:$tag"
  base="$(from_name "$cf")"
  if [[ " ${FAILED_BASES[*]} " == *" $base "* ]]; then
    echo "images: $name: its base $base (images/bases/$base) did not build (above)" >&2
    failed+=("$name") ; continue
  fi
  base_digest="${BASE_DIGEST[$base]:-}"
  if [[ -z "$base_digest" ]]; then
    echo "images: $name: $cf is not FROM localhost/dfp/python-base, python-java-base or a base of images/bases/" >&2
    failed+=("$name") ; continue
  fi
  # On a base of images/bases/ that is a Python environment: the image's lock must keep it.
  if [[ -f "images/bases/$base/uv.lock" ]] && ! python3 scripts/images/base-lock-check.py "images/bases/$base" "$dir" >&2; then
    echo "images: $name: its uv.lock does not keep the packages of its base $base (above)" >&2
    failed+=("$name") ; continue
  fi
  key="$(python3 scripts/images/inputs.py images "$name" "$base_digest" "$ref" "${BUD_FLAGS[*]}")"
  mkdir -p "$OUT/$name"
  archive="$OUT/$name/$key.tar" ; digest_file="$OUT/$name/$key.digest"
  t0=$SECONDS
  previous=""
  if [[ $REBUILD == 1 && -f "$digest_file" ]]; then
    previous="$(cut -d' ' -f2 "$digest_file")"
  fi
  if [[ $REBUILD == 0 ]] && cache_get "$name" "$key" >/dev/null; then
    status=cached ; cached=$((cached + 1))
    digest="$(cut -d' ' -f2 "$digest_file")"
  elif [[ $CACHED_ONLY == 1 ]]; then
    echo "images: $name: no archive of its inputs ($key); not built (--cached-only)" >&2
    failed+=("$name") ; continue
  else
    if [[ -n "${BASE_REF[$base]:-}" ]] && ! ensure_derived "$base"; then
      failed+=("$name") ; continue
    fi
    log="$OUT/$name/$key.build.log" iid="$OUT/$name/$key.iid.$$"
    if ! buildah bud "${BUD_FLAGS[@]}" "${MOUNTS[@]}" --iidfile "$iid" -f "$cf" images >"$log" 2>&1; then
      mv "$log" "$OUT/$name/failed.log"
      rm -f "$iid"
      echo "images: $name: buildah bud failed; the last lines of $OUT/$name/failed.log:" >&2
      tail -n 15 "$OUT/$name/failed.log" >&2
      failed+=("$name") ; continue
    fi
    # Built untagged and pushed by its id (the archive names it $ref): a tag in buildah's
    # store, shared by every checkout on the machine, would be moved by another checkout's
    # build of the same image meanwhile, and would leave the image it moved from dangling.
    # Then removed from the store, which would otherwise keep every build (the archive is
    # what everything reads; a base of images/bases/ stays). (Another checkout building the
    # very same image at that moment has the same id, and its push may fail, naming it; run
    # again, it finds the archive.)
    image_id="$(cat "$iid")" ; rm -f "$iid" "$archive.tmp.$$"
    if ! buildah push --quiet "$image_id" "oci-archive:$archive.tmp.$$:$ref" >/dev/null 2>"$log.push"; then
      echo "images: $name: buildah push to $archive.tmp.$$ failed: $(tail -n 3 "$log.push")" >&2
      rm -f "$archive.tmp.$$" "$log.push" ; failed+=("$name") ; continue
    fi
    rm -f "$log.push"
    buildah rmi "$image_id" >/dev/null 2>&1 || true
    digest="$(cache_put "$name" "$key" "$ref" "$archive.tmp.$$")"
    status=built ; built=$((built + 1))
  fi
  secs=$((SECONDS - t0))
  digest_files+=("$digest_file")
  size_mb="$(du -m "$archive" | cut -f1)"
  if [[ $status == built ]]; then cold=$((cold + secs)); else warm=$((warm + secs)); fi
  if [[ -n "$previous" ]]; then
    if [[ "$previous" == "$digest" ]]; then status=same; else status=CHANGED; echo "images: $name: rebuilt from the same inputs as $digest, was $previous" >&2; fi
  fi
  rows+=("$(printf '%-22s %-12s %-7s %6s MB %5s s  %s' "$name" "$tag" "$status" "$size_mb" "$secs" "$digest")")
done

echo
printf '%-22s %-12s %-7s %9s %7s  %s\n' image tag status size time digest
# status: built (new inputs), cached (unchanged inputs: nothing built), same/CHANGED (--rebuild:
# built again from unchanged inputs, and whether the digest is the one the cache had).
for r in "${rows[@]}"; do echo "$r"; done
echo "built $built in ${cold} s, cached $cached in ${warm} s; archives in $OUT/<name>/<key>.tar (sizes: gzip-compressed OCI archives)"

# The digests into dfp.lock.json (only the images built or cached above).
if [[ ${#digest_files[@]} -gt 0 ]]; then
  node scripts/run.mjs dfp.ts lock --images "${digest_files[@]}"
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "images: ${#failed[@]} image(s) not built: ${failed[*]} (see the messages above)" >&2
  exit 1
fi
