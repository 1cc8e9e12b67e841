#!/usr/bin/env bash
# Builds the two base images every images/*/Containerfile starts FROM, from Debian packages,
# with no registry: `mmdebstrap` (bookworm, minbase) writes a root file system tarball and
# `buildah` imports it as `FROM scratch` + the tarball.
#
#   localhost/dfp/python-base       python3 (3.11), python3-venv, ca-certificates, uv
#   localhost/dfp/python-java-base  the same + openjdk-17-jre-headless (Spark, dbt-spark, Chronon)
#
# uv comes from PyPI at the version scripts/python-env.sh pins (the wheel's sha256 is
# checked), into /usr/local/bin/uv. Every file gets SOURCE_DATE_EPOCH as its time, apt's
# lists and caches are removed, and the image's config holds no date of ours, so the same
# Debian packages give the same tarball and the same image digest.
#
# Usage: scripts/images/base.sh [python-base|python-java-base]...   (default: both)
# Prints, per base: name, the manifest digest of its OCI archive, size. Cached in
# $DFP_CACHE/images/base/: the root file system (<name>.rootfs.<key>.tar) and the image
# (<name>.<key>.tar), each rebuilt only when what makes it changes.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JKS_WRITER="$ROOT/scripts/images/jks-cacerts.py"
DFP_CACHE="${DFP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dfp}"
OUT="$DFP_CACHE/images/base"
mkdir -p "$OUT"
# shellcheck source=tools.sh
source "$ROOT/scripts/images/tools.sh"

UV_VERSION=0.9.30
# Debian's own release and snapshot: the packages are bookworm's as the mirror serves them;
# the archive file below records their exact versions (/usr/share/dfp/packages.txt).
SUITE=bookworm
MIRROR="${DFP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DFP_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# A fixed time, so that nothing in the tarball depends on when it was made.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}" # 2025-01-01T00:00:00Z
PY_PACKAGES=python3,python3-venv,ca-certificates
JAVA_PACKAGES=openjdk-17-jre-headless

bases=("$@")
[[ ${#bases[@]} -gt 0 ]] || bases=(python-base python-java-base)

# The uv wheel from PyPI, checked against the hash PyPI lists for it.
uv_binary() {
  local dir="$DFP_CACHE/images/uv-$UV_VERSION"
  if [[ ! -x "$dir/uv" ]]; then
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux_2_17_x86_64 --python-version 3.11 -d "$dir.tmp" "uv==$UV_VERSION" >&2
    python3 - "$dir.tmp" <<'PY'
import sys, zipfile, pathlib, os
d = pathlib.Path(sys.argv[1])
whl = next(d.glob('uv-*.whl'))
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith('/scripts/uv'))
    (d / 'uv').write_bytes(z.read(name))
os.chmod(d / 'uv', 0o755)
PY
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/uv"
}

build_base() {
  local name="$1" packages="$PY_PACKAGES"
  [[ "$name" == python-java-base ]] && packages="$PY_PACKAGES,$JAVA_PACKAGES"
  local uv; uv="$(uv_binary)"
  # minbase: essential + apt only. The customize hooks add uv and a non-root user (uid 1000,
  # the pods' runAsUser), record the package versions, and drop what changes from run to
  # run (apt lists, caches, logs, machine id, byte code).
  local recipe=(--variant=minbase --include="$packages"
    --aptopt='Acquire::Check-Valid-Until "false"'
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --customize-hook='install -m 0755 "$DFP_UV_BINARY" "$1/usr/local/bin/uv"'
    --customize-hook='chroot "$1" useradd --uid 1000 --user-group --create-home --home-dir /home/dfp --shell /bin/sh dfp'
    --customize-hook='mkdir -p "$1/usr/share/dfp" && chroot "$1" dpkg-query -W -f "\${Package}=\${Version}\n" | LC_ALL=C sort > "$1/usr/share/dfp/packages.txt"'
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/cache/ldconfig/aux-cache "$1"/var/log/* "$1"/etc/machine-id "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old'
    --customize-hook='find "$1/usr/lib" -name __pycache__ -type d -prune -exec rm -rf {} +'
    "$SUITE")
  # openjdk's postinst links its man page into /usr/share/man/man1, which the path-exclude
  # above leaves absent: give it the folder (the page itself is still excluded).
  [[ "$name" == python-java-base ]] && recipe=(--essential-hook='mkdir -p "$1/usr/share/man/man1"' "${recipe[@]}")
  # ca-certificates-java writes the JVM's trust store with the time of the build in each entry,
  # so no two builds of this base were the same: write it again from the same certificates,
  # dated SOURCE_DATE_EPOCH (scripts/images/jks-cacerts.py).
  [[ "$name" == python-java-base ]] &&
    recipe=(--customize-hook='python3 "$DFP_JKS_WRITER" "$1" "$SOURCE_DATE_EPOCH"' "${recipe[@]}")
  local sources=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main")
  # Import: FROM scratch + the tarball. --timestamp fixes the layer's and the config's
  # times; the environment puts Python in UTF-8 mode, keeps uv from downloading Pythons, and
  # has uv (and Python's ssl) trust the system's CA bundle, so a build behind a TLS proxy can
  # mount its own bundle there (scripts/images/build.sh mounts the host's).
  local containerfile='FROM scratch
ADD rootfs.tar /
ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy UV_COMPILE_BYTECODE=0 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
CMD ["/usr/bin/python3"]'
  # Two keys: the root file system's (everything that decides its content; not the mirror,
  # which serves the same suite) and the image's (that plus how it is imported). Both are
  # cached, so a change of the import alone does not run mmdebstrap again.
  local rootfs_key key
  rootfs_key="$( { printf '%s\n' "${recipe[@]}" "$SOURCE_DATE_EPOCH"; sha256sum < "$uv"; [[ "$name" != python-java-base ]] || sha256sum < "$JKS_WRITER"; } | sha256sum | cut -c1-16)"
  key="$( { echo "$rootfs_key"; printf '%s\n' "$containerfile"; } | sha256sum | cut -c1-16)"
  local rootfs="$OUT/$name.rootfs.$rootfs_key.tar" archive="$OUT/$name.$key.tar"
  if [[ ! -f "$rootfs" ]]; then
    local t0=$SECONDS log="$OUT/$name.mmdebstrap.log"
    # mmdebstrap picks the output format by the name's extension: keep .tar.
    local tmp="$OUT/.tmp.$name.rootfs.tar"
    rm -rf "$tmp"
    if ! DFP_UV_BINARY="$uv" DFP_JKS_WRITER="$JKS_WRITER" mmdebstrap "${recipe[@]}" "$tmp" "${sources[@]}" >"$log" 2>&1; then
      echo "base: mmdebstrap failed for $name; the last lines of $log:" >&2
      tail -n 25 "$log" >&2
      rm -rf "$tmp"
      exit 1
    fi
    mv "$tmp" "$rootfs"
    echo "base: $name root file system in $((SECONDS - t0)) s" >&2
  fi
  if [[ ! -f "$archive" ]]; then
    local t0=$SECONDS work; work="$(mktemp -d "$OUT/.work.XXXXXX")"
    ln "$rootfs" "$work/rootfs.tar" 2>/dev/null || cp "$rootfs" "$work/rootfs.tar"
    printf '%s\n' "$containerfile" > "$work/Containerfile"
    buildah bud --quiet --layers=false --identity-label=false --timestamp "$SOURCE_DATE_EPOCH" \
      -f "$work/Containerfile" -t "localhost/dfp/$name:bookworm" "$work" >/dev/null
    rm -f "$archive.tmp"
    buildah push --quiet "localhost/dfp/$name:bookworm" "oci-archive:$archive.tmp:localhost/dfp/$name:bookworm" >/dev/null
    mv "$archive.tmp" "$archive"
    rm -rf "$work"
    echo "base: $name image in $((SECONDS - t0)) s" >&2
  fi
  # A fresh machine (or a store left by another key) gets the base back from the archive,
  # so the tag always names the image of this archive.
  local digest size
  digest="$("$ROOT/scripts/images/oci-digest.sh" "$archive")"
  if [[ "sha256:$(buildah inspect --type image --format '{{.FromImageID}}' "localhost/dfp/$name:bookworm" 2>/dev/null)" != "$("$ROOT/scripts/images/oci-digest.sh" --config "$archive")" ]]; then
    buildah pull --quiet "oci-archive:$archive" >/dev/null
    buildah tag "$("$ROOT/scripts/images/oci-digest.sh" --config "$archive" | cut -d: -f2)" "localhost/dfp/$name:bookworm"
  fi
  # Older keys of this base are of no further use.
  for old in "$OUT/$name".*.tar; do [[ "$old" == "$archive" || "$old" == "$rootfs" ]] || rm -f "$old"; done
  size="$(du -m "$archive" | cut -f1)"
  printf '%s\t%s\t%s MB\t%s\n' "$name" "$digest" "$size" "$archive"
}

# (errexit holds inside build_base only when it is not called as part of a condition.)
for b in "${bases[@]}"; do build_base "$b"; done
