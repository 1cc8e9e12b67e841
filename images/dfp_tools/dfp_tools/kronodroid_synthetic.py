"""A seeded generator of a small SYNTHETIC KronoDroid raw data set (standard library only).

The real KronoDroid data set (Guerra-Manzanares et al., emulator and real-device captures
of Android apps) cannot be downloaded from this machine, so tests and demos run on rows
made here: the CSV exports the dlt load ingests (`raw_kronodroid.samples`, features/
kronodroid.ts), one file per capture, with the raw table's columns:

  sample_id, event_timestamp, capture, is_malware, malware_family, api_level,
  permission_count, syscall_counts, detection_ratio, first_seen

`syscall_counts` holds one count per syscall of dfp_tools.kronodroid.SYSCALLS, joined by
';'. Malware samples call the network and process syscalls more often, so a model has
something to learn, but nothing here is measured data. The same seed and sizes give the
same bytes.

  python -m dfp_tools.kronodroid_synthetic --out DIR [--samples 2000] [--seed 7]
      [--duplicates 0.05] [--bad-rows 0]

A fraction of the samples is captured on both an emulator and a real device, and
`--duplicates` of the rows are loaded twice (an older event), as re-exports are;
`--bad-rows` appends rows without a sample id, which the transform must drop.
"""

import argparse
import csv
import hashlib
import json
import os
import random
import sys
from datetime import date, datetime, timedelta, timezone

from dfp_tools.kronodroid import SYSCALLS

HEADER = ("sample_id", "event_timestamp", "capture", "is_malware", "malware_family", "api_level",
          "permission_count", "syscall_counts", "detection_ratio", "first_seen")
FAMILIES = ("joker", "hiddad", "airpush", "dowgin", "smsreg", "fakeapp", "triada")
MALWARE_HEAVY = {"connect", "sendto", "recvfrom", "clone", "execve", "prctl", "getuid"}
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _row(rng, sample_id, capture, malware, when):
    counts = []
    for name in SYSCALLS:
        base = rng.randint(5, 400)
        if malware and name in MALWARE_HEAVY:
            base = int(base * rng.uniform(1.5, 4.0))
        counts.append(str(base if rng.random() > 0.03 else 0))
    return {
        "sample_id": sample_id,
        "event_timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "capture": capture,
        "is_malware": "1" if malware else "0",
        "malware_family": rng.choice(FAMILIES) if malware else "",
        "api_level": str(rng.randint(21, 34)),
        "permission_count": str(rng.randint(12, 60) if malware else rng.randint(0, 25)),
        "syscall_counts": ";".join(counts),
        "detection_ratio": f"{rng.uniform(0.3, 0.95) if malware else rng.uniform(0.0, 0.05):.6f}",
        "first_seen": (date(2019, 1, 1) + timedelta(days=rng.randint(0, 2000))).isoformat(),
    }


def generate(samples, seed, duplicates=0.05, bad_rows=0):
    """{capture: [row dict]} for `samples` APK samples, deterministic in `seed`."""
    if samples < 1:
        raise ValueError("--samples must be at least 1")
    rng = random.Random(seed)
    files = {"emulator": [], "real_device": []}
    for i in range(samples):
        sample_id = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()  # like an APK's sha256
        malware = rng.random() < 0.45
        captures = rng.choice((["emulator"], ["real_device"], ["emulator", "real_device"]))
        for capture in captures:
            when = START + timedelta(minutes=rng.randint(0, 500_000))
            files[capture].append(_row(rng, sample_id, capture, malware, when))
            if rng.random() < duplicates:
                files[capture].append(_row(rng, sample_id, capture, malware, when - timedelta(days=rng.randint(1, 30))))
    for k in range(bad_rows):
        bad = _row(rng, "", "emulator", False, START + timedelta(minutes=k))
        files["emulator"].append(bad)
    return files


def write(out, samples, seed, duplicates=0.05, bad_rows=0):
    os.makedirs(out, exist_ok=True)
    counts = {}
    for capture, rows in generate(samples, seed, duplicates, bad_rows).items():
        path = os.path.join(out, f"kronodroid_{capture}.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        counts[os.path.basename(path)] = len(rows)
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m dfp_tools.kronodroid_synthetic", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--duplicates", type=float, default=0.05)
    ap.add_argument("--bad-rows", type=int, default=0)
    a = ap.parse_args(argv)
    try:
        counts = write(a.out, a.samples, a.seed, a.duplicates, a.bad_rows)
    except ValueError as e:
        print(f"kronodroid_synthetic: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"synthetic": True, "seed": a.seed, "samples": a.samples, "files": counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
