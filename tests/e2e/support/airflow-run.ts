/**
 * Real Airflow (the conformance harness's locked venv: apache-airflow 3.1.8 with
 * apache-airflow-providers-cncf-kubernetes 10.25.0, tests/conformance/airflow) running DAG
 * files with `airflow dags test`: the scheduler's own run loop in one process, tasks through
 * the in-process execution API, so no Airflow process listens anywhere. The metadata DB is
 * SQLite in a temporary AIRFLOW_HOME. KubernetesPodOperator reaches the cluster through the
 * `kubernetes_default` connection, set from the kubeconfig.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './airflow-variant.ts';

export const AIRFLOW_HARNESS = join(ROOT, 'tests', 'conformance', 'airflow');
const VENV_BIN = join(AIRFLOW_HARNESS, '.venv', 'bin');

export interface AirflowHome {
  readonly home: string;
  readonly env: Record<string, string>;
}

/**
 * A fresh AIRFLOW_HOME over `dagsFolder`, its SQLite DB migrated. `xcomSidecarImage`: the
 * image of the XCom sidecar KubernetesPodOperator adds to a pod that pushes XCom (a task
 * with step outputs). It is a setting of Airflow's Kubernetes connection, not of a task:
 * the provider's default, `alpine:3.24.2` from Docker Hub, cannot be pulled where there is
 * no Docker Hub (here; an air-gapped cluster), so the platform names one of its own images
 * with `sh` (docs/airflow.md).
 */
export function airflowHome(dagsFolder: string, kubeconfig: string, xcomSidecarImage: string): AirflowHome {
  const home = mkdtempSync(join(tmpdir(), 'dfp-e2e-airflow-'));
  mkdirSync(join(home, 'logs'), { recursive: true });
  const env: Record<string, string> = {
    PATH: `${VENV_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: dagsFolder,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__UNIT_TEST_MODE: 'False',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${join(home, 'airflow.db')}`,
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(home, 'logs'),
    AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT: '120',
    // KubernetesPodOperator's connection: the cluster's kubeconfig, never in-cluster config.
    AIRFLOW_CONN_KUBERNETES_DEFAULT: JSON.stringify({
      conn_type: 'kubernetes',
      extra: { kube_config_path: kubeconfig, in_cluster: false, xcom_sidecar_container_image: xcomSidecarImage },
    }),
    NO_PROXY: '*',
    PYTHONUNBUFFERED: '1',
    // Nothing written into the DAG folder (the variant's dist/, which a test compares).
    PYTHONDONTWRITEBYTECODE: '1',
  };
  execFileSync(join(VENV_BIN, 'airflow'), ['db', 'migrate'], {
    env,
    cwd: home,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  return { home, env };
}

export interface DagRun {
  readonly dagId: string;
  readonly exitCode: number;
  readonly seconds: number;
  /** The DagRun's state in the metadata DB (`success`, `failed`). */
  readonly state: string;
  readonly runId: string;
  /** Every task instance's final state, by task id (mapped tasks: `id[index]`). */
  readonly tasks: Readonly<Record<string, string>>;
  /** What `airflow dags test` printed (task logs included). */
  readonly log: string;
  readonly logFile: string;
}

/** `airflow dags test DAG DATE -c CONF`, then the run's and its tasks' states from the DB. */
export async function dagsTest(
  airflow: AirflowHome,
  dagId: string,
  logicalDate: string,
  conf: Record<string, unknown>,
): Promise<DagRun> {
  const logFile = join(airflow.home, `${dagId}.log`);
  const out = openSync(logFile, 'w');
  const start = Date.now();
  const child = spawn(join(VENV_BIN, 'airflow'), ['dags', 'test', dagId, logicalDate, '-c', JSON.stringify(conf)], {
    env: airflow.env,
    cwd: airflow.home,
    stdio: ['ignore', out, out],
  });
  const exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  const seconds = (Date.now() - start) / 1000;
  const states = JSON.parse(
    execFileSync(join(VENV_BIN, 'python'), ['-c', STATES_PY, join(airflow.home, 'airflow.db'), dagId], {
      encoding: 'utf8',
    }),
  ) as {
    run_id: string;
    state: string;
    tasks: Record<string, string>;
  };
  return {
    dagId,
    exitCode,
    seconds,
    state: states.state,
    runId: states.run_id,
    tasks: states.tasks,
    log: readFileSync(logFile, 'utf8'),
    logFile,
  };
}

const STATES_PY = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute(
    "select run_id, state from dag_run where dag_id = ? order by id desc limit 1", (sys.argv[2],)
).fetchone()
if row is None:
    print(json.dumps({"run_id": "", "state": "none", "tasks": {}}))
    sys.exit(0)
tasks = {}
for task_id, map_index, state in db.execute(
    "select task_id, map_index, state from task_instance where dag_id = ? and run_id = ?", (sys.argv[2], row[0])
):
    tasks[task_id if map_index < 0 else "%s[%d]" % (task_id, map_index)] = state
print(json.dumps({"run_id": row[0], "state": row[1], "tasks": tasks}))
`;
