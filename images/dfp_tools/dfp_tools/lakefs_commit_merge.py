"""Commits a lakeFS branch and merges it, or resolves its head: the `lakefs-commit-merge` step.

  python -m dfp_tools.lakefs_commit_merge --repository R --branch B --into main
      --commit=true|false --commit-id-file PATH

With `--commit=true`: commits what is uncommitted on B (nothing to commit is fine), merges B
into `--into` (nothing to merge is fine, and B == `--into` merges nothing), and writes the
commit id `--into` then points at. With `--commit=false`: commits and merges nothing, and
writes the commit id B's head points at. Either way the output is an immutable commit id,
which `dfp lock --update` pins for training.

The step's environment holds the lakeFS key pair (LAKEFS_ACCESS_KEY_ID,
LAKEFS_SECRET_ACCESS_KEY, from Secret references) and the server (LAKEFS_ENDPOINT). It
talks to lakeFS with the official `lakefs` Python SDK (installed in the lakefs-tools image;
imported lazily so that dfp_tools stays standard-library only).

A failure is one line on stderr naming the input at fault, exit status 1 (2 for bad
arguments), and no commit-id file: a later step never reads a half result. A merge that
fails after the commit leaves the branch committed and `--into` unchanged; the step's retry
commits nothing new and merges again.
"""

import argparse
import os
import sys


class StepError(Exception):
    pass


def parse_bool(value):
    v = value.strip().lower()
    if v in ("true", "false"):
        return v == "true"
    raise argparse.ArgumentTypeError(f"must be true or false, got {value!r}")


def _client(environ):
    missing = [n for n in ("LAKEFS_ENDPOINT", "LAKEFS_ACCESS_KEY_ID", "LAKEFS_SECRET_ACCESS_KEY") if not environ.get(n)]
    if missing:
        raise StepError(f"{', '.join(missing)} not set; the step needs the lakeFS server and key pair in its environment")
    from lakefs.client import Client

    return Client(host=environ["LAKEFS_ENDPOINT"].rstrip("/"), username=environ["LAKEFS_ACCESS_KEY_ID"], password=environ["LAKEFS_SECRET_ACCESS_KEY"])


def _explain(e, what, endpoint):
    """One line for an SDK or transport error, naming what was asked for."""
    from lakefs import exceptions as x

    if isinstance(e, x.NotFoundException):
        return f"{what} does not exist"
    if isinstance(e, (x.NotAuthorizedException, x.ForbiddenException)):
        return f"lakeFS at {endpoint} refused the key pair for {what}; check LAKEFS_ACCESS_KEY_ID and LAKEFS_SECRET_ACCESS_KEY"
    if isinstance(e, x.ConflictException):
        return f"{what}: conflict ({_reason(e)})"
    if isinstance(e, x.LakeFSException) and getattr(e, "status_code", None):
        return f"{what}: lakeFS answered {e.status_code} ({_reason(e)})"
    return f"cannot reach lakeFS at {endpoint} for {what} ({type(e).__name__}: {_reason(e)}); is LAKEFS_ENDPOINT right?"


def _reason(e):
    body = getattr(e, "body", None)
    text = (body.get("message") if isinstance(body, dict) else None) or getattr(e, "reason", None) or str(e) or type(e).__name__
    return " ".join(str(text).split())[:300]


def _no_changes(e):
    """lakeFS's answer to a merge with nothing to merge (ErrNoChanges, 400 "no changes")."""
    from lakefs import exceptions as x

    return isinstance(e, x.ServerException) and e.status_code == 400 and "no changes" in _reason(e).lower()


def run(args, environ):
    import lakefs

    endpoint = environ.get("LAKEFS_ENDPOINT", "")
    client = _client(environ)
    repo = lakefs.Repository(args.repository, client=client)
    source = repo.branch(args.branch)
    where = f"lakeFS repository {args.repository!r}"

    def call(what, fn):
        try:
            return fn()
        except Exception as e:  # the SDK's exceptions and urllib3's, reported as one line
            if isinstance(e, StepError):
                raise
            raise StepError(_explain(e, what, endpoint)) from None

    call(where, lambda: repo.properties)
    head = call(f"branch {args.branch!r} of {where} (--branch)", lambda: source.get_commit().id)
    if not args.commit:
        return head, "resolved"

    target = repo.branch(args.into)
    call(f"branch {args.into!r} of {where} (--into)", lambda: target.get_commit().id)

    def commit():
        # Nothing uncommitted (a retry after the commit, or a transform that wrote nothing) is not an error.
        if not any(True for _ in source.uncommitted(max_amount=1)):
            return head
        return source.commit(message=f"dfp: {args.branch} for merge into {args.into}", metadata={"dfp.step": "lakefs-commit-merge"}).get_commit().id

    committed = call(f"commit of branch {args.branch!r} of {where}", commit)
    if args.branch == args.into:
        return committed, "committed"

    def merge():
        try:
            source.merge_into(target, message=f"dfp: merge {args.branch} into {args.into}", metadata={"dfp.step": "lakefs-commit-merge"})
        except Exception as e:
            if not _no_changes(e):
                raise
        return target.get_commit().id

    merged = call(f"merge of branch {args.branch!r} into {args.into!r} of {where}", merge)
    return merged, "merged"


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class Parser(argparse.ArgumentParser):
    """Errors on one line (`lakefs_commit_merge: error: …`, exit 2), no usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv=None, environ=None):
    ap = Parser(prog="lakefs_commit_merge", description="Commit a lakeFS branch and merge it, or resolve its head.")
    ap.add_argument("--repository", required=True)
    ap.add_argument("--branch", required=True)
    ap.add_argument("--into", required=True)
    ap.add_argument("--commit", type=parse_bool, required=True, metavar="true|false")
    ap.add_argument("--commit-id-file", required=True)
    args = ap.parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        commit_id, what = run(args, environ)
    except StepError as e:
        print(f"lakefs_commit_merge: {e}", file=sys.stderr)
        return 1
    write_atomically(args.commit_id_file, commit_id)
    print(f"lakefs_commit_merge: {what} {args.repository}/{args.into if what == 'merged' else args.branch} at {commit_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
