/**
 * Real Airflow (tests/conformance/airflow, pinned in its uv.lock) run on a folder of DAG
 * files: what its DagBag imports and what its templates render to. Each call gets a
 * fresh AIRFLOW_HOME, so nothing outside a temporary folder is read or written.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './process.ts';

export const AIRFLOW_HARNESS = join(ROOT, 'tests', 'conformance', 'airflow');
export const AIRFLOW_PYTHON = join(AIRFLOW_HARNESS, '.venv', 'bin', 'python');
export const AIRFLOW_CLI = join(AIRFLOW_HARNESS, '.venv', 'bin', 'airflow');

export interface AirflowTask {
  task_id: string;
  operator: string;
  mapped: boolean;
  upstream: string[];
  trigger_rule: string;
  retries: number;
  retry_delay: number | null;
  doc_md: string | null;
  written: Record<string, unknown>;
  rendered: {
    image?: string;
    cmds?: string[];
    arguments?: string[];
    env?: { name: string; value?: string; secret?: { name: string; key: string } }[];
    namespace?: string;
    service_account?: string;
    node_selector?: Record<string, string>;
    resources?: { requests: Record<string, string> | null; limits: Record<string, string> | null } | null;
    volumes?: Record<string, unknown>[];
    volume_mounts?: Record<string, unknown>[];
    do_xcom_push?: boolean;
    execution_timeout?: number | null;
    op_kwargs?: Record<string, unknown>;
    /** The Kubernetes Pod the operator would submit, as the provider builds it. */
    pod?: Record<string, unknown>;
    /** A control task's function called as Airflow calls it (when it needs no earlier task's XCom). */
    evaluated?: { result: unknown; pushed: Record<string, unknown> } | null;
  };
}

export interface AirflowDag {
  dag_id: string;
  fileloc: string;
  description: string | null;
  schedule: string | null;
  timezone: string | null;
  catchup: boolean;
  tags: string[];
  params: Record<string, { default: unknown; description: string | null; schema: Record<string, unknown> }>;
  tasks: Record<string, AirflowTask>;
}

export interface DagBagReport {
  airflow_version: string;
  import_errors: Record<string, string>;
  /** Per file: every string constant Python's `ast` parser reads from it. */
  constants: Record<string, string[]>;
  dags: Record<string, AirflowDag>;
}

/** Imports every DAG file in `folder` with Airflow's DagBag (inspect_dags.py); `pods`: also build each task's Pod. */
export function inspectDags(folder: string, options: { pods?: boolean } = {}): DagBagReport {
  const out = join(mkdtempSync(join(tmpdir(), 'dfp-airflow-out-')), 'report.json');
  // Airflow logs a lot (a traceback per template that fails to render): keep only the tail.
  const r = spawnSync(
    AIRFLOW_PYTHON,
    [join(AIRFLOW_HARNESS, 'inspect_dags.py'), folder, out, ...(options.pods ? ['--pods'] : [])],
    {
      env: { ...process.env, ...airflowEnv(folder) },
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
      timeout: 540_000,
    },
  );
  if (r.status !== 0)
    throw new Error(
      `inspect_dags.py failed (${r.status ?? r.signal}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`,
    );
  return JSON.parse(readFileSync(out, 'utf8')) as DagBagReport;
}

/** Environment for an Airflow process with its own home, SQLite database and DAG folder. */
export function airflowEnv(dagFolder: string): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'dfp-airflow-home-'));
  // KubernetesPodOperator reads a kube config to build its pod; nothing ever connects to it.
  writeFileSync(
    join(home, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: none',
      'clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: none, user: {token: none}}]',
      'contexts: [{name: none, context: {cluster: none, user: none}}]',
      '',
    ].join('\n'),
  );
  return {
    KUBECONFIG: join(home, 'kubeconfig'),
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: dagFolder,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(home, 'airflow.db')}`,
    AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}
