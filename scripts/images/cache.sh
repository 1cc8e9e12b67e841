#!/usr/bin/env bash
# The archive cache of `make images`: $OUT/<name>/<key>.tar with <key>.digest (`<ref> <digest>`)
# beside it, <key> the hash of the image's inputs (scripts/images/inputs.py). Sourced by
# build.sh (OUT and KEEP set); also a command, for the tests of this bookkeeping:
#
#   scripts/images/cache.sh migrate                  the flat layout into <name>/<key>.* (and its flat links removed)
#   scripts/images/cache.sh get NAME KEY             prints the archive, if cached (exit 1 if not); marks it used
#   scripts/images/cache.sh put NAME KEY REF ARCHIVE moves ARCHIVE in (never a copy), records its digest, marks it used
#
# An archive's last use is its digest file's time; after each get or put the KEEP
# (DFP_IMAGES_KEEP, default 2) archives of the image used last stay, older ones are deleted
# and named on stderr.

# The flat layout, moved into <name>/<key>.*: an archive (a file, not a link) with its key
# and digest; the flat key and digest files then go. One already there under its key (the
# same inputs) stays; the flat one is then dropped only when it holds the same digest.
migrate_flat() {
  local tar="$1" name key dir
  name="$(basename "$tar" .tar)"
  [[ -f "$tar" && ! -L "$tar" && -s "$OUT/$name.key" && -s "$OUT/$name.digest" ]] || return 0
  key="$(cat "$OUT/$name.key")"
  [[ "$key" =~ ^[0-9a-f]+$ ]] || return 0
  dir="$OUT/$name"
  mkdir -p "$dir"
  if [[ -f "$dir/$key.tar" ]]; then
    if [[ "$(cut -d' ' -f2 "$dir/$key.digest" 2>/dev/null)" == "$(cut -d' ' -f2 "$OUT/$name.digest")" ]]; then
      rm -f "$tar"
    else
      echo "images: $name: $tar and $dir/$key.tar hold different digests of the same inputs; left as it is" >&2
      return 0
    fi
  else
    cp -p "$OUT/$name.digest" "$dir/$key.digest.tmp" && mv "$dir/$key.digest.tmp" "$dir/$key.digest"
    touch -r "$tar" "$dir/$key.digest"
    mv "$tar" "$dir/$key.tar"
    [[ -f "$OUT/$name.build.log" ]] && mv "$OUT/$name.build.log" "$dir/$key.build.log"
    echo "images: $name: moved $tar to $dir/$key.tar (the keyed layout)" >&2
  fi
  rm -f "$OUT/$name.key" "$OUT/$name.digest"
}
# The flat names earlier versions of this script kept beside the keyed layout for branches
# that read $OUT/<name>.tar (a link to the archive used last, <name>.key, <name>.digest):
# every reader now finds archives by digest (archive-for), so they are removed.
drop_flat_links() {
  local tar="$1" name
  name="$(basename "$tar" .tar)"
  [[ -L "$tar" && "$(readlink "$tar")" == "$name/"*.tar ]] || return 0
  rm -f "$tar" "$OUT/$name.key" "$OUT/$name.digest"
  echo "images: $name: removed the flat names $tar, $name.key, $name.digest (readers use archive-for)" >&2
}
cache_migrate() {
  local tar
  shopt -s nullglob
  for tar in "$OUT"/*.tar; do migrate_flat "$tar"; drop_flat_links "$tar"; done
  shopt -u nullglob
}

# After image <name> was built or found: it is marked used (its digest file's time), and
# only the KEEP used last stay.
keep_recent() {
  local name="$1" key="$2" dir="$OUT/$1" i=0 d k
  touch "$dir/$key.digest"
  while IFS= read -r d; do
    i=$((i + 1)); ((i > KEEP)) || continue
    k="$(basename "$d" .digest)"
    echo "images: $name: removed $dir/$k.tar ($(du -m "$dir/$k.tar" 2>/dev/null | cut -f1) MB, $(cut -d' ' -f2 "$d")), used before the $KEEP kept (DFP_IMAGES_KEEP)" >&2
    rm -f "$dir/$k.tar" "$dir/$k.digest" "$dir/$k.build.log"
  done < <(ls -t "$dir"/*.digest)
}


# An archive cached under NAME/KEY: its path, marked used.
cache_get() {
  local dir="$OUT/$1"
  [[ -f "$dir/$2.tar" && -s "$dir/$2.digest" ]] || return 1
  keep_recent "$1" "$2"
  echo "$dir/$2.tar"
}
# ARCHIVE (an OCI archive of REF) moved in as NAME/KEY; prints its digest.
cache_put() {
  local name="$1" key="$2" ref="$3" archive="$4" dir="$OUT/$1" digest
  mkdir -p "$dir"
  digest="$("$(dirname "${BASH_SOURCE[0]}")/oci-digest.sh" "$archive")"
  [[ "$archive" == "$dir/$key.tar" ]] || mv "$archive" "$dir/$key.tar"
  printf '%s %s\n' "$ref" "$digest" > "$dir/$key.digest.tmp.$$" && mv "$dir/$key.digest.tmp.$$" "$dir/$key.digest"
  keep_recent "$name" "$key"
  echo "$digest"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  DFP_CACHE="${DFP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dfp}"
  OUT="$DFP_CACHE/images"
  KEEP="${DFP_IMAGES_KEEP:-2}"
  [[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || { echo "images: DFP_IMAGES_KEEP=$KEEP: want a whole number of archives per image, 1 or more" >&2; exit 2; }
  mkdir -p "$OUT"
  case "${1:-}" in
    migrate) cache_migrate ;;
    get) (($# == 3)) && cache_get "$2" "$3" ;;
    put) (($# == 5)) && cache_put "$2" "$3" "$4" "$5" ;;
    *) echo "usage: scripts/images/cache.sh migrate | get NAME KEY | put NAME KEY REF ARCHIVE" >&2; exit 2 ;;
  esac
fi
