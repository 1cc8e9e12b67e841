/**
 * kfp's own local runner (`kfp.local` with `DockerRunner`, kfp 2.17.0 from the kfp
 * conformance harness's lock) over podman's Docker-compatible API service, for the
 * Kubeflow part of `make e2e` (docs/kubeflow.md, "Running locally").
 *
 * Nothing here executes IR: tests/e2e/support/kfp-local-run.py hands the IR file to
 * `kfp.components.load_component_from_file` and calls it under `kfp.local.init`; kfp walks
 * the DAG and starts each step's container. What this module adds is what a Kubernetes
 * cluster would give the pods and kfp.local does not: kfp.local ignores the IR's
 * Kubernetes platform spec (it reads only `pipeline_spec`, kfp/local/pipeline_orchestrator.py),
 * so the Secret and ConfigMap references dfp renders there are turned into the
 * DockerRunner's `environment` and bind `mounts` (values from the services the test
 * started), its securityContext into `user`, and the cluster's service names into
 * `extra_hosts` on the host network. Each is derived from the rendered files, never typed
 * here, and anything kfp.local cannot express (two tasks wanting different values for one
 * variable; DockerRunner's settings hold for every task) is reported, not papered over.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const KFP_PYTHON = join(ROOT, 'tests', 'conformance', 'kfp', '.venv', 'bin', 'python');
const DRIVER = join(import.meta.dirname, 'kfp-local-run.py');

type Json = any;

/** Starts podman's API service (installing podman from Debian when missing); its DOCKER_HOST. */
/** Whether podman's API service for kfp.local runs (scripts/kfp-local/podman-service's pid file). */
export function podmanServiceRuns(): boolean {
  const dir =
    process.env.DFP_KFP_LOCAL_DIR ?? join(process.env.DFP_CACHE ?? join(homedir(), '.cache', 'dfp'), 'kfp-local');
  try {
    process.kill(Number(readFileSync(join(dir, 'podman-service.pid'), 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops podman's API service (the e2e stops what it started, as it does the cluster). */
export function stopPodmanService(): void {
  execFileSync(join(ROOT, 'scripts', 'kfp-local', 'podman-service'), ['stop'], { stdio: 'inherit' });
}

export function podmanDockerHost(): string {
  const out = execFileSync(join(ROOT, 'scripts', 'kfp-local', 'podman-service'), [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1)!;
}

/**
 * Makes podman resolve each image reference, loading the archive holding its digest (scripts/images/archive-for) where
 * needed (scripts/kfp-local/load-images); ref -> `present`, `loaded`, `missing`,
 * `stale <digest>`, `nospace <MB>` or `failed`.
 */
export function loadImages(refs: readonly string[]): Map<string, string> {
  const r = spawnSync(join(ROOT, 'scripts', 'kfp-local', 'load-images'), [...refs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`scripts/kfp-local/load-images failed (exit ${r.status})`);
  return new Map(
    r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [ref, ...what] = l.split(' ');
        return [ref!, what.join(' ')];
      }),
  );
}

/** The image references the executors run, as dist/ names them. */
export function imageRefs(ir: IrFile): string[] {
  return [
    ...new Set(
      Object.values(ir.spec.deploymentSpec.executors as Record<string, Json>).map((e) => e.container.image as string),
    ),
  ].sort();
}

/**
 * Where a task reads an output artifact of another task: kfp.local 2.17 registers output
 * artifacts only from the executor output file kfp's Python executor writes, so with
 * container steps the first such reader stops the run (docs/kubeflow.md).
 */
export function artifactHandOffs(ir: IrFile): { task: string; input: string; producer: string; output: string }[] {
  const out: { task: string; input: string; producer: string; output: string }[] = [];
  for (const [task, spec] of Object.entries(ir.spec.root.dag.tasks as Record<string, Json>)) {
    for (const [input, a] of Object.entries((spec.inputs?.artifacts ?? {}) as Record<string, Json>)) {
      if (a.taskOutputArtifact)
        out.push({
          task,
          input,
          producer: a.taskOutputArtifact.producerTask,
          output: a.taskOutputArtifact.outputArtifactKey,
        });
    }
  }
  // In the order kfp.local runs the tasks: a task after everything it depends on.
  const tasks = ir.spec.root.dag.tasks as Record<string, Json>;
  const depth = (t: string): number =>
    Math.max(0, ...((tasks[t]?.dependentTasks ?? []) as string[]).map((d) => depth(d) + 1));
  return out.sort(
    (x, y) => depth(x.task) - depth(y.task) || x.task.localeCompare(y.task) || x.input.localeCompare(y.input),
  );
}

/** kfp.local's output split by task: the lines between "Executing task 'x'" and its verdict. */
export function taskLogs(log: string): Map<string, string> {
  const logs = new Map<string, string>();
  let current: string | undefined;
  for (const line of log.split('\n')) {
    const start = /Executing task '([\w.-]+)'/.exec(line);
    if (start) current = start[1];
    if (current) logs.set(current, `${logs.get(current) ?? ''}${line}\n`);
    if (/finished with status/.test(line)) current = undefined;
  }
  return logs;
}

/** One rendered IR file: the PipelineSpec and the Kubernetes platform spec (if any). */
export interface IrFile {
  readonly path: string;
  readonly spec: Json;
  readonly platform: Json;
}

export function readIr(path: string): IrFile {
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJSON());
  return { path, spec: docs[0], platform: docs[1]?.platforms?.kubernetes?.deploymentSpec?.executors ?? {} };
}

/** The step (task) names of the root DAG, sorted. */
export function tasksOf(ir: IrFile): string[] {
  return Object.keys(ir.spec.root.dag.tasks).sort();
}

/** The image archive names (`registry.dfp.internal/dfp/<name>:…`) the executors run. */
export function imageNames(ir: IrFile): string[] {
  const names = Object.values(ir.spec.deploymentSpec.executors as Record<string, Json>).map(
    (e) => /\/dfp\/([^:@/]+)[:@]/.exec(e.container.image as string)?.[1] ?? e.container.image,
  );
  return [...new Set(names as string[])].sort();
}

/**
 * Whether a task of the pipeline runs a transform: its container runs the launcher's module
 * (`dfp_tools.run_transform`). The launcher's image alone does not say so: a skipped step's
 * stand-in runs in it too (targets/kubeflow/skip.ts).
 */
export function runsTransform(ir: IrFile): boolean {
  return Object.values(ir.spec.deploymentSpec.executors as Record<string, Json>).some((e) =>
    [...(e.container.command ?? []), ...(e.container.args ?? [])].includes('dfp_tools.run_transform'),
  );
}

/** Every ConfigMap among the Kubernetes objects rendered for one environment (dist/<env>). */
export function configMapsIn(envDir: string): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry)) {
        let docs: Json[];
        try {
          docs = parseAllDocuments(readFileSync(p, 'utf8')).map((d) => d.toJSON());
        } catch {
          continue;
        }
        for (const d of docs) if (d?.kind === 'ConfigMap' && d.metadata?.name) found.set(d.metadata.name, d.data ?? {});
      }
    }
  };
  walk(envDir);
  return found;
}

export interface RunnerInputs {
  /** Secret name -> key -> value: what the cluster's Secrets would hold. */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** ConfigMap name -> data, from the environment's rendered objects. */
  readonly configMaps: ReadonlyMap<string, Record<string, string>>;
  /** Where ConfigMap files are written for the bind mounts. */
  readonly workDir: string;
  /** Service host name -> address, the cluster DNS's answer (`lakefs.lakefs.svc.cluster.local`). */
  readonly hosts: Readonly<Record<string, string>>;
}

/** DockerRunner arguments for one pipeline, from its platform spec; `problems` lists what kfp.local cannot express. */
export function runnerFor(ir: IrFile, inputs: RunnerInputs): { runner: Json; problems: string[] } {
  const env = new Map<string, { value: string; from: string }>();
  const mounts = new Map<string, { source: string; from: string }>();
  const users = new Set<string>();
  const problems: string[] = [];
  for (const [executor, cfg] of Object.entries(ir.platform as Record<string, Json>).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    for (const s of cfg.secretAsEnv ?? []) {
      const secret = inputs.secrets[s.secretName];
      for (const k of s.keyToEnv ?? []) {
        const value = secret?.[k.secretKey];
        if (value === undefined) {
          problems.push(`${executor}: Secret ${s.secretName} key ${k.secretKey} is not provided by the test`);
          continue;
        }
        const prior = env.get(k.envVar);
        if (prior && prior.value !== value) {
          problems.push(
            `${executor}: ${k.envVar} comes from Secret ${s.secretName}, ${prior.from} sets it from another; ` +
              `kfp.local's DockerRunner has one environment for every task`,
          );
        }
        env.set(k.envVar, { value, from: `${executor} (${s.secretName})` });
      }
    }
    for (const c of cfg.configMapAsVolume ?? []) {
      const data = inputs.configMaps.get(c.configMapName);
      if (!data) {
        problems.push(`${executor}: ConfigMap ${c.configMapName} is not among the environment's rendered objects`);
        continue;
      }
      const dir = join(inputs.workDir, 'configmaps', c.configMapName);
      mkdirSync(dir, { recursive: true });
      for (const [file, content] of Object.entries(data)) writeFileSync(join(dir, file), content);
      const prior = mounts.get(c.mountPath);
      if (prior && prior.source !== dir)
        problems.push(`${executor}: ${c.mountPath} mounts ${c.configMapName}, ${prior.from} mounts another there`);
      mounts.set(c.mountPath, { source: dir, from: executor });
    }
    const sc = cfg.securityContext;
    if (sc?.runAsUser !== undefined) users.add(`${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  }
  if (users.size > 1)
    problems.push(
      `the executors run as different users (${[...users].join(', ')}); DockerRunner has one user for every task`,
    );
  const runner: Json = {
    // Host networking: the services run on the host's loopback (tests/support), and the
    // cluster's names resolve to it through extra_hosts.
    network_mode: 'host',
    extra_hosts: { ...inputs.hosts },
    environment: Object.fromEntries([...env].map(([k, v]) => [k, v.value])),
    mounts: [...mounts].map(([target, m]) => ({ target, source: m.source, read_only: true })),
  };
  if (users.size === 1) runner.user = [...users][0];
  return { runner, problems };
}

/** What one kfp.local run did, as kfp and the container runtime reported it. */
export interface KfpLocalResult {
  /** kfp.local's verdict on the pipeline: SUCCESS or FAILURE. */
  readonly status: string;
  /** Task -> status as kfp.local logged it ("finished with status …"). */
  readonly tasks: Record<string, string>;
  /** Task -> exit codes of its containers, from the Docker API's `die` events. */
  readonly exits: Record<string, number[]>;
  readonly outputs: Record<string, unknown>;
  /** kfp's exception, verbatim (ANSI colours removed), when the run failed. */
  readonly error: string | null;
  /** Everything the driver printed (kfp.local's log and the steps' streamed output). */
  readonly log: string;
  readonly seconds: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Runs one IR file with kfp.local; `dockerHost` is podman's service. */
export function runKfpLocal(
  request: { pipeline: string; pipelineRoot: string; arguments: Json; runner: Json },
  dockerHost: string,
  workDir: string,
): KfpLocalResult {
  const file = join(workDir, 'request.json');
  writeFileSync(file, JSON.stringify(request, null, 2));
  const started = Date.now();
  const r = spawnSync(KFP_PYTHON, [DRIVER, file], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_HOST: dockerHost, PYTHONUNBUFFERED: '1' },
    maxBuffer: 256 * 1024 * 1024,
    timeout: 45 * 60_000,
  });
  const seconds = (Date.now() - started) / 1000;
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(ANSI, '');
  const last = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  let parsed: Json;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`kfp-local-run.py printed no result (exit ${r.status}, signal ${r.signal}):\n${log.slice(-4000)}`);
  }
  return { ...parsed, error: parsed.error?.replace(ANSI, '') ?? null, log, seconds };
}

/** Steps that succeeded: kfp.local says SUCCESS and every container of the step exited 0. */
export function succeededSteps(result: KfpLocalResult): string[] {
  return Object.entries(result.tasks)
    .filter(
      ([task, s]) =>
        s === 'SUCCESS' && (result.exits[task] ?? []).length > 0 && result.exits[task]!.every((c) => c === 0),
    )
    .map(([task]) => task)
    .sort();
}

/** Steps kfp.local called SUCCESS although a container of theirs exited non-zero (kfp 2.17 with podman). */
export function misreportedSteps(result: KfpLocalResult): string[] {
  return Object.entries(result.tasks)
    .filter(([task, s]) => s === 'SUCCESS' && (result.exits[task] ?? []).some((c) => c !== 0))
    .map(([task]) => task)
    .sort();
}
