#!/usr/bin/env bash
# bench/compare-commits.sh BASE HEAD [N] [ROUNDS] [PATH]: dfp's synth CPU time at two commits, in the same run.
#
# Both commits are exported (git archive) into a temporary folder that shares this checkout's
# node_modules; each renders the same N generated pipelines (specs from HEAD's generator) with its own
# bench/dfp/inprocess.ts, one fresh process per measurement, in ABBA order (base, head, head, base, …) so
# that a change in the machine's load falls on both alike. CPU time (user + system) of the synth phases
# (build the constructs, build and validate the model, render, write dist/) is what is compared: the
# machine is shared, and CPU time is what contention distorts least. Prints each measurement, the
# medians and the ratio HEAD / BASE. Defaults: N=100, ROUNDS=10 (20 measurements per commit), PATH=all
# (every target, both environments; kubeflow, argo and airflow measure one target). The YAML floor
# inprocess.ts can add is not measured (DFP_BENCH_NO_FLOOR=1): it is not part of a synth.
set -euo pipefail
export DFP_BENCH_NO_FLOOR=1

base=${1:?usage: bench/compare-commits.sh BASE HEAD [N] [ROUNDS] [PATH]}
head=${2:?usage: bench/compare-commits.sh BASE HEAD [N] [ROUNDS] [PATH]}
n=${3:-100}
rounds=${4:-10}
path=${5:-all}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dfp-compare-XXXXXX")
trap 'rm -rf "$work"' EXIT

for side in base head; do
  rev=$([[ $side == base ]] && echo "$base" || echo "$head")
  mkdir -p "$work/$side"
  git -C "$root" archive "$rev" | tar -x -C "$work/$side"
  ln -s "$root/node_modules" "$work/$side/node_modules"
  echo "$side: $(git -C "$root" log -1 --format='%h %s' "$rev" | cut -c1-100)"
done

(cd "$work/head" && node scripts/run.mjs bench/generator/cli.ts "$n" "$work/specs.json")

# One measurement: the synth's CPU and wall milliseconds, from the last JSON line inprocess.ts prints.
measure() {
  (cd "$work/$1" && rm -rf "$work/dist-$1" && node scripts/run.mjs bench/dfp/inprocess.ts "$work/specs.json" "$path" \
    "$work/dist-$1/dist") | tail -n 1 | node -e '
      const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
      process.stdout.write(`${r.totalCpuMs.toFixed(1)} ${r.totalMs.toFixed(1)}\n`);'
}

# Warm-up: each side bundles once and writes V8's code cache (scripts/run.mjs); not counted.
for side in base head; do measure $side >/dev/null; measure $side >/dev/null; done

: >"$work/base.txt"
: >"$work/head.txt"
for ((i = 1; i <= rounds; i++)); do
  for side in base head head base; do
    m=$(measure $side)
    echo "$m" >>"$work/$side.txt"
    echo "round $i $side: CPU ${m% *} ms, wall ${m#* } ms"
  done
done

node - "$work/base.txt" "$work/head.txt" "$n" "$path" <<'EOF'
const fs = require('fs');
const [baseFile, headFile, n, path] = process.argv.slice(2);
const read = (f) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = read(baseFile);
const head = read(headFile);
const cpu = (rows) => median(rows.map((r) => r[0]));
const wall = (rows) => median(rows.map((r) => r[1]));
const range = (rows) => `${Math.min(...rows.map((r) => r[0])).toFixed(0)}-${Math.max(...rows.map((r) => r[0])).toFixed(0)}`;
console.log(`N=${n}, path ${path}, ${base.length} measurements each, median (CPU range):`);
console.log(`  base: CPU ${cpu(base).toFixed(1)} ms (${range(base)}), wall ${wall(base).toFixed(1)} ms`);
console.log(`  head: CPU ${cpu(head).toFixed(1)} ms (${range(head)}), wall ${wall(head).toFixed(1)} ms`);
console.log(`  head / base: CPU ${(cpu(head) / cpu(base)).toFixed(3)}, wall ${(wall(head) / wall(base)).toFixed(3)}`);
EOF
