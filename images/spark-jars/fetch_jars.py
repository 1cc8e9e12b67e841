"""Fetches the jars jars.txt lists from Maven Central into a folder, each checked by sha256
(run once while the image is built: `python3 fetch_jars.py jars.txt /opt/dfp/jars`)."""
import hashlib
import sys
import urllib.request

MAVEN = "https://repo1.maven.org/maven2/"


def main(listing, folder):
    for line in open(listing):
        if not line.strip() or line.startswith("#"):
            continue
        sha, path = line.split()
        data = urllib.request.urlopen(MAVEN + path, timeout=600).read()
        got = hashlib.sha256(data).hexdigest()
        if got != sha:
            sys.exit(f"{path}: sha256 {got}, expected {sha}")
        with open(f"{folder}/{path.rsplit('/', 1)[1]}", "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
