"""Checks that an image's uv.lock installs every package of its base's lock exactly as the base did.

    python3 scripts/images/base-lock-check.py <base folder> <image folder>

A base made of a Python environment (images/bases/torch-base: torch and the CUDA libraries
it links) is shared only if the image's `uv sync` keeps it: every package of the base's
lock must be in the image's lock with the same version, source and files (hashes), or uv
installs it again in the image's own layer (a second torch, gigabytes) or removes it.
Prints one line per difference and exits 1; prints nothing and exits 0 when they agree.
"""
import sys
import tomllib


def packages(folder):
    with open(f"{folder}/uv.lock", "rb") as f:
        lock = tomllib.load(f)
    return lock, {p["name"]: p for p in lock["package"] if "virtual" not in p.get("source", {})
                  and "editable" not in p.get("source", {}) and "directory" not in p.get("source", {})}


def files(p):
    return sorted(w["hash"] for w in p.get("wheels", [])) + ([p["sdist"]["hash"]] if "sdist" in p else [])


def main(base_dir, image_dir):
    base_lock, base = packages(base_dir)
    image_lock, image = packages(image_dir)
    problems = []
    for name, p in sorted(base.items()):
        q = image.get(name)
        if q is None:
            problems.append(f"{image_dir}/uv.lock does not install {name} (the base {base_dir} has {name}=={p['version']}): uv sync would remove it")
        elif (q["version"], q.get("source")) != (p["version"], p.get("source")):
            problems.append(f"{image_dir}/uv.lock has {name}=={q['version']}, the base {base_dir} {name}=={p['version']}: pin {p['version']} in {image_dir}/pyproject.toml")
        elif files(q) != files(p):
            problems.append(f"{image_dir}/uv.lock and {base_dir}/uv.lock list other files for {name}=={p['version']}: lock both again")
    excluded = base_lock.get("manifest", {}).get("excludes", [])
    if sorted(image_lock.get("manifest", {}).get("excludes", [])) != sorted(excluded):
        problems.append(f"{image_dir}/pyproject.toml must exclude exactly what {base_dir} excludes ({', '.join(excluded)})")
    for line in problems:
        print(f"images: {line}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
