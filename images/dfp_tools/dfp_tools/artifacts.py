"""Moves a step's artifacts between the environment's S3 artifact store and the local
paths every orchestrator hands a step (`/tmp/dfp/inputs/artifacts/<name>`,
`/tmp/dfp/outputs/artifacts/<name>`), for orchestrators that do not move them themselves
(Airflow: targets/airflow/artifacts.ts renders the containers that call this).

    python -m dfp_tools.artifacts download --endpoint URL --region R --bucket B \
        [--make-dir DIR]... [--item KEY_ENV PATH]...
    python -m dfp_tools.artifacts upload --endpoint URL --region R --bucket B \
        [--wait-for DIR --stay] [--item KEY_ENV PATH]...

Each item names an environment variable holding the object key (the pod sets it from one
of its annotations, which the orchestrator filled in for this run) and the local path, so
no run-time text is ever part of a command line or a shell script. A file is one object
at the key; a directory is one object per file below `<key>/`. Credentials come from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Secret references in the pod).

`upload --wait-for DIR` runs beside the step's container: it waits for `DIR/main.exit`
(the step's exit code, written by the step's wrapper), uploads the outputs if that is 0,
writes its own exit code to `DIR/upload.exit` (which the wrapper waits for and exits
with), and then waits to be stopped, as a sidecar must.

Needs the `minio` client (imported lazily; the rest of dfp_tools is standard library).
"""
import argparse
import os
import signal
import sys
import time
from urllib.parse import urlsplit

MAIN_EXIT = "main.exit"
UPLOAD_EXIT = "upload.exit"


def check_items(parser, items):
    for env, path in items:
        if not env or not path.startswith("/"):
            parser.error(f"--item {env!r} {path!r}: expected an environment variable name and an absolute path")


def client(endpoint, region):
    from minio import Minio

    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ValueError(f"{endpoint!r}: expected http(s)://host[:port]")
    return Minio(
        url.netloc,
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region=region,
        secure=url.scheme == "https",
    )


def key_of(env):
    key = os.environ.get(env, "")
    if not key or key.startswith("/") or "//" in key:
        raise ValueError(f"${env} is {key!r}: expected the artifact's object key")
    return key


def upload(s3, bucket, key, path):
    """Uploads a file to `key`, or each file of a directory below `key/`; returns the count."""
    if os.path.isfile(path):
        s3.fput_object(bucket, key, path)
        return 1
    if not os.path.isdir(path):
        raise FileNotFoundError(f"the step wrote no artifact at {path}")
    count = 0
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            local = os.path.join(root, name)
            s3.fput_object(bucket, f"{key}/{os.path.relpath(local, path)}", local)
            count += 1
    return count


def download(s3, bucket, key, path):
    """Downloads the object at `key` to `path`, or the objects below `key/` into directory `path`."""
    from minio.error import S3Error

    try:
        s3.stat_object(bucket, key)
    except S3Error as e:
        if e.code not in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
            raise
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.fget_object(bucket, key, path)
        return 1
    count = 0
    for obj in s3.list_objects(bucket, prefix=f"{key}/", recursive=True):
        rel = obj.object_name[len(key) + 1:]
        if rel.startswith("/") or ".." in rel.split("/"):
            raise ValueError(f"refusing object {obj.object_name!r}: it would land outside {path}")
        s3.fget_object(bucket, obj.object_name, os.path.join(path, rel))
        count += 1
    if count == 0:
        raise FileNotFoundError(f"no artifact at s3://{bucket}/{key}")
    return count


def make_dir(path):
    """A folder any user of the pod may write (the step and the sidecar may run as different users)."""
    os.makedirs(path, exist_ok=True)
    try:
        os.chmod(path, 0o777)
    except PermissionError:  # made by another user, who made it writable
        pass


def make_dirs(items):
    for _, path in items:
        make_dir(os.path.dirname(path))


def write_exit(directory, name, code):
    tmp = os.path.join(directory, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(f"{code}\n")
    os.replace(tmp, os.path.join(directory, name))


def wait_for(path, poll):
    while not os.path.exists(path):
        time.sleep(poll)
    with open(path) as f:
        return int(f.read().strip() or "1")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dfp_tools.artifacts")
    parser.add_argument("direction", choices=("download", "upload"))
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--wait-for", help="upload only: the folder of the step's exit marker")
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--stay", action="store_true", help="upload only: after uploading, wait for SIGTERM (a sidecar)")
    parser.add_argument("--make-dir", action="append", default=[], help="download only: a folder to create, writable by every user of the pod")
    parser.add_argument("--item", dest="items", nargs=2, action="append", default=[], metavar=("KEY_ENV", "PATH"),
                        help="the variable holding an artifact's object key, and its local path")
    args = parser.parse_args(argv)
    check_items(parser, args.items)

    if args.direction == "download":
        for d in args.make_dir:
            make_dir(d)
        make_dirs(args.items)
        s3 = client(args.endpoint, args.region)
        for env, path in args.items:
            key = key_of(env)
            n = download(s3, args.bucket, key, path)
            print(f"dfp: {path} <- s3://{args.bucket}/{key} ({n} object{'s' if n != 1 else ''})", flush=True)
        return 0

    code = 0
    if args.wait_for:
        make_dir(args.wait_for)
        make_dirs(args.items)
        done = os.path.join(args.wait_for, UPLOAD_EXIT)
        if not os.path.exists(done):
            code = run_upload(args) if wait_for(os.path.join(args.wait_for, MAIN_EXIT), args.poll_seconds) == 0 else 0
            write_exit(args.wait_for, UPLOAD_EXIT, code)
        if args.stay:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while True:
                signal.pause()
        return 0
    return run_upload(args)


def run_upload(args):
    try:
        s3 = client(args.endpoint, args.region)
        for env, path in args.items:
            key = key_of(env)
            n = upload(s3, args.bucket, key, path)
            print(f"dfp: {path} -> s3://{args.bucket}/{key} ({n} object{'s' if n != 1 else ''})", flush=True)
        return 0
    except Exception as e:  # reported, and the step fails through the marker
        print(f"dfp: uploading the step's artifacts failed: {e}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
