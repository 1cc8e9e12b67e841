/**
 * Reads a rendered step's literal env back out of each orchestrator's own format: the
 * Airflow DAG with Python's parser, Argo and Kubeflow YAML with a YAML parser. Shared by
 * the lineage and lock tests, which check the same stamps from two directions.
 */
import { spawnSync } from 'node:child_process';
import { parse, parseAllDocuments } from 'yaml';

export type Env = Record<string, string>;

/** A DAG file's `task_id` task env (literal name/value pairs), read with Python's own parser. */
const AIRFLOW_ENV = `
import ast, json, sys
task = sys.argv[1]
tree = ast.parse(sys.stdin.read())
# Env entries shared by several tasks are module-level names (one V1EnvVar each).
shared = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and any(
        k.arg == "task_id" and isinstance(k.value, ast.Constant) and k.value.value == task for k in node.keywords
    ):
        env = next(k.value for k in node.keywords if k.arg == "env_vars")
        pairs = {}
        for item in env.elts:
            item = shared[item.id] if isinstance(item, ast.Name) else item
            kw = {k.arg: k.value for k in item.keywords}
            if isinstance(kw.get("value"), ast.Constant):
                pairs[kw["name"].value] = kw["value"].value
        print(json.dumps(pairs))
`;

/** Per orchestrator: a step's env, from the pipeline's rendered file (relative to the target's folder). */
export const ENV_READERS: Record<string, (files: ReadonlyMap<string, string>, pipeline: string, step: string) => Env> =
  {
    airflow(files, pipeline, step) {
      const r = spawnSync('python3', ['-c', AIRFLOW_ENV, step], {
        input: files.get(`dags/${pipeline}.py`)!,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(r.stderr);
      const env = JSON.parse(r.stdout) as Env;
      return Object.fromEntries(
        Object.entries(env).map(([k, v]) => [
          k,
          v.replace(
            /^\{\{ ti\.xcom_pull\(task_ids='([a-z0-9-]+)'\)\['([a-z0-9_]+)'\] \| dfp_text \}\}$/,
            'output:$1.$2',
          ),
        ]),
      );
    },
    argo(files, pipeline, step) {
      const wt = parse(files.get(`workflow-templates/${pipeline}.yaml`)!);
      const t = wt.spec.templates.find((x: { name: string }) => x.name === step);
      return Object.fromEntries(
        (t.container.env as { name: string; value?: string }[])
          .filter((e) => e.value !== undefined)
          .map((e) => [e.name, e.value!.replace(/^\{\{inputs\.parameters\.([a-z0-9_]+)\}\}$/, 'input:$1')]),
      );
    },
    kubeflow(files, pipeline, step) {
      const [spec] = parseAllDocuments(files.get(`pipelines/${pipeline}.yaml`)!).map((d) => d.toJS());
      const c = spec.deploymentSpec.executors[`exec-${step}`].container;
      const env: Env = Object.fromEntries((c.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
      const command: string[] = c.command;
      if (command[0] === 'env') {
        for (const a of command.slice(1)) {
          const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(a);
          if (!m) break;
          env[m[1]!] = m[2]!.replace(/^\{\{\$\.inputs\.parameters\['([a-z0-9_]+)'\]\}\}$/, 'input:$1');
        }
      }
      return env;
    },
  };
