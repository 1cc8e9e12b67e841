/**
 * Fixed Python and shell code that every DAG file carries. It is written here, in
 * dfp's source, and never built from user data: user values reach it only as literal
 * arguments (`op_kwargs`) or as positional shell arguments.
 */

/** Names the helpers bind at module level; task variables must not take them. */
export const HELPER_NAMES = [
  '_dfp_text',
  '_dfp_value',
  '_dfp_condition',
  '_dfp_loop_items',
  '_dfp_fail_if_any_failed',
  'DFP_OUTPUTS_SCRIPT',
  'DFP_ARTIFACTS_SCRIPT',
];

/**
 * Where a step writes output parameters. The same place the Argo target uses, so a
 * step's program does not depend on the orchestrator.
 */
export const OUTPUT_DIR = '/tmp/dfp/outputs/parameters';

/** The folder all of a step's local paths are under; an emptyDir when the step has artifacts. */
export const DFP_DIR = '/tmp/dfp';
/** Where a step reads an input artifact and writes an output one: Argo's and Kubeflow's paths. */
export const inputArtifactPath = (name: string) => `${DFP_DIR}/inputs/artifacts/${name}`;
export const outputArtifactPath = (name: string) => `${DFP_DIR}/outputs/artifacts/${name}`;
/** Where the step's wrapper and the upload sidecar leave their exit codes for each other. */
export const SYNC_DIR = `${DFP_DIR}/sync`;

/**
 * Runs the step's command, leaves its exit code for the upload sidecar, waits for the
 * sidecar's, and exits with the command's (if it failed) or the upload's. Called as
 * `sh -c SCRIPT dfp-artifacts command args…`: the command arrives as arguments, never as
 * script text. DFP_SYNC_DIR moves the marker folder (tests only).
 */
export const ARTIFACTS_SCRIPT = [
  'set -u',
  `d=\${DFP_SYNC_DIR:-${SYNC_DIR}}`,
  '"$@"; rc=$?',
  `printf '%s\\n' "$rc" > "$d/main.exit.tmp" && mv "$d/main.exit.tmp" "$d/main.exit"`,
  'while [ ! -f "$d/upload.exit" ]; do sleep 1; done',
  '[ "$rc" -eq 0 ] || exit "$rc"',
  'exit "$(cat "$d/upload.exit")"',
].join('\n');

/**
 * Runs the step's command, then writes its output parameter files into the XCom file
 * KubernetesPodOperator reads (`/airflow/xcom/return.json`) as one JSON object of
 * strings. Called as `sh -c SCRIPT dfp-outputs N name1 … nameN command args…`: the
 * output names and the user's command arrive as arguments, never as script text.
 * JSON escaping is done character by character in awk (no gsub, whose replacement
 * escapes differ between awks); a final newline is dropped, as Argo trims it. An
 * output file the command did not write fails the step, as it does in Argo.
 */
export const OUTPUTS_SCRIPT = [
  'set -u',
  'n=$1; shift',
  'outs=',
  'while [ "$n" -gt 0 ]; do outs="$outs $1"; shift; n=$((n - 1)); done',
  `mkdir -p ${OUTPUT_DIR}`,
  '"$@" || exit $?',
  'for o in $outs; do',
  `  [ -f "${OUTPUT_DIR}/$o" ] || { echo "dfp: the command wrote no output parameter $o (${OUTPUT_DIR}/$o)" ` +
    '>&2; exit 1; }',
  'done',
  'x=${DFP_XCOM_DIR:-/airflow/xcom}',
  'mkdir -p "$x"',
  '{',
  "  printf '{'",
  '  sep=',
  '  for o in $outs; do',
  `    printf '%s"%s":"' "$sep" "$o"`,
  String.raw`    awk 'function esc(s,  r, i, c) { r = ""; for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); ` +
    String.raw`if (c == "\\") r = r "\\\\"; else if (c == "\"") r = r "\\\""; else if (c == "\t") r = r "\\t"; ` +
    String.raw`else if (c == "\r") r = r "\\r"; else r = r c } return r } ` +
    String.raw`{ if (NR > 1) printf "%s", "\\n"; printf "%s", esc($0) }' "${OUTPUT_DIR}/$o"`,
  `    printf '"'`,
  '    sep=,',
  '  done',
  "  printf '}'",
  '} > "$x/return.json.tmp" && mv "$x/return.json.tmp" "$x/return.json"',
].join('\n');

/** Module-level helper functions, called by the gate, loop and watcher tasks. */
export const HELPERS_PY = `def _dfp_text(value):
    """A value as the text a container argument gets: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _dfp_value(source, context):
    """The run-time value a dfp source names: a literal, a DAG param, a step output or a loop item."""
    kind = source["kind"]
    if kind == "literal":
        return source["value"]
    if kind == "param":
        return context["params"][source["name"]]
    if kind == "output":
        text = context["ti"].xcom_pull(task_ids=source["task"])[source["output"]]
        return text if source["type"] == "string" else json.loads(text)
    raise ValueError("unknown dfp source kind: " + kind)


def _dfp_condition(left, op, right, **context):
    """A \`when\`: True lets the guarded tasks run, False skips them."""
    a, b = _dfp_value(left, context), _dfp_value(right, context)
    return {
        "==": lambda: a == b,
        "!=": lambda: a != b,
        "<": lambda: a < b,
        "<=": lambda: a <= b,
        ">": lambda: a > b,
        ">=": lambda: a >= b,
    }[op]()


def _dfp_loop_items(items, **context):
    """A ParallelFor's items: pushed as XCom 'items'; returns one pod label set per item to map over."""
    values = _dfp_value(items, context)
    if isinstance(values, str):
        values = json.loads(values)
    context["ti"].xcom_push(key="items", value=values)
    return [{"dfp.dev/loop-index": str(i)} for i in range(len(values))]


def _dfp_fail_if_any_failed():
    """Runs only when a step failed, so the run fails even though the exit handler succeeded."""
    raise AirflowException("a step of this pipeline failed; the exit handler ran")
`;
