"""The inputs of one image build, hashed: what scripts/images/build.sh keys its cache on.

    python3 scripts/images/inputs.py <images dir> <name> <extra text>...

Prints the sha256 of: every file the build context gives the Containerfile from the
image's folder and from dfp_tools (path, mode and content; the same exclusions as
images/.dockerignore), the Containerfile, .dockerignore, and the extra texts (the base
image's digest, the tags, the build flags). A base built from images/bases/<name>
(`bases/<name>` as the name) copies nothing of dfp_tools, so dfp_tools is not hashed. What
the Containerfile copies from elsewhere in images/ (images/spark-jars, shared by the images
that run Spark) is hashed too, the files it names or under the folders it names; an image
that copies nothing from elsewhere keeps the key it had. A file that changes the image changes the key;
a local .venv, byte code or the image's tests do not.
"""
import hashlib
import os
import sys

SKIP_DIRS = {".venv", "__pycache__", ".pytest_cache"}


def files(root, folder, top_tests):
    base = os.path.join(root, folder)
    for dirpath, dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, root)
        keep = []
        for d in dirnames:
            if d in SKIP_DIRS or d.endswith(".egg-info"):
                continue
            if top_tests and dirpath == base and d == "tests":
                continue
            if folder == "dfp_tools" and dirpath == base and d == "build":
                continue
            keep.append(d)
        dirnames[:] = sorted(keep)
        for f in sorted(filenames):
            if f.endswith(".pyc"):
                continue
            yield os.path.join(rel, f)


def copied_elsewhere(root, name):
    """The files the Containerfile COPYs from outside its folder and dfp_tools."""
    found = set()
    containerfile = os.path.join(root, name, "Containerfile")
    if not os.path.isfile(containerfile):
        return found
    for line in open(containerfile):
        words = line.split()
        if not words or words[0].upper() != "COPY":
            continue
        for src in [w for w in words[1:-1] if not w.startswith("--")]:
            src = os.path.normpath(src)
            top = src.split(os.sep)[0]
            if src.startswith(name + os.sep) or src == name or top == "dfp_tools":
                continue
            full = os.path.join(root, src)
            if os.path.isdir(full):
                found |= set(files(root, src, False))
            elif os.path.isfile(full):
                found.add(src)
    return found


def main(argv):
    root, name, extra = argv[1], argv[2], argv[3:]
    h = hashlib.sha256()
    shared = set() if name.startswith("bases/") else set(files(root, "dfp_tools", True))
    paths = sorted(set(files(root, name, True)) | shared | copied_elsewhere(root, name) | {".dockerignore"})
    for rel in paths:
        full = os.path.join(root, rel)
        if not os.path.isfile(full):
            continue
        mode = os.stat(full).st_mode & 0o111
        with open(full, "rb") as f:
            h.update(f"{rel}\0{mode:o}\0".encode() + hashlib.sha256(f.read()).digest())
    for e in extra:
        h.update(b"\1" + e.encode())
    print(h.hexdigest())


if __name__ == "__main__":
    main(sys.argv)
