/**
 * The git side of the Argo CD e2e suite: the repository Argo CD reads (a bare repository
 * served by scripts/argocd/git-server.mjs as https://git.example.com/ml-platform/dfp.git),
 * dist/ trees rendered from the definitions with one pipeline edited or removed, and what
 * Argo CD must apply from a tree: each environment's Applications and the objects each
 * one syncs.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Environment, Pipeline } from '../../../constructs/index.ts';
import { buildApp } from '../../../main.ts';
import { synthesize } from '../../../synth/synth.ts';
import { ROOT } from '../../support/process.ts';
import { keyOf } from './argocd-kube.ts';

type Json = Record<string, any>;

/** The branch each environment's Applications follow (spec.source.targetRevision). */
export function environmentBranches(dist: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const env of readdirSync(dist).sort()) {
    const root = join(dist, env, 'argocd', 'root.yaml');
    if (!existsSync(root)) continue;
    const app = parseYaml(readFileSync(root, 'utf8'))[0]!;
    out.set(env, app.spec.source.targetRevision as string);
  }
  return out;
}

function parseYaml(text: string): Json[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as Json)
    .filter((o) => o && typeof o === 'object');
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=dfp e2e', '-c', 'user.email=e2e@dfp.invalid', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/**
 * The repository Argo CD reads: a work clone in a temporary folder, pushed to the bare
 * repository under the git server's root. It holds dist/ only (all Argo CD reads), and
 * every environment's branch points at the same commit to start with.
 */
export class ServedRepo {
  readonly work = mkdtempSync(join(tmpdir(), 'dfp-argocd-repo-'));
  readonly bare: string;

  constructor(
    gitRoot: string,
    dist: string,
    readonly branches: readonly string[],
  ) {
    this.bare = join(gitRoot, 'ml-platform', 'dfp.git');
    rmSync(this.bare, { recursive: true, force: true });
    mkdirSync(this.bare, { recursive: true });
    git(this.bare, 'init', '-q', '--bare', '--initial-branch', branches[0]!);
    git(this.work, 'init', '-q', '--initial-branch', branches[0]!);
    git(this.work, 'remote', 'add', 'origin', this.bare);
    this.commit(dist, 'dist/ as rendered by make synth');
    for (const b of branches) git(this.work, 'push', '-q', '--force', 'origin', `HEAD:refs/heads/${b}`);
  }

  /** Replaces dist/ with `dist` and commits; returns the commit. Nothing is pushed yet. */
  commit(dist: string, message: string): string {
    rmSync(join(this.work, 'dist'), { recursive: true, force: true });
    cpSync(dist, join(this.work, 'dist'), { recursive: true });
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '--allow-empty', '-m', message);
    return git(this.work, 'rev-parse', 'HEAD').trim();
  }

  /** Points `branch` at `commit` on the served repository. */
  push(commit: string, branch: string): void {
    git(this.work, 'push', '-q', '--force', 'origin', `${commit}:refs/heads/${branch}`);
  }

  remove(): void {
    rmSync(this.work, { recursive: true, force: true });
    rmSync(this.bare, { recursive: true, force: true });
  }
}

/**
 * dist/ rendered from the definitions (main.ts buildApp()) with `change` applied to the
 * construct tree first: the way a user's commit to pipelines/*.ts changes dist/.
 */
export function renderDist(change: (app: ReturnType<typeof buildApp>) => void): string {
  const dist = join(mkdtempSync(join(tmpdir(), 'dfp-argocd-dist-')), 'dist');
  const app = buildApp({ distDir: dist });
  change(app);
  synthesize(app, { distDir: dist });
  return dist;
}

/** One pipeline's definition edited: its description, which its rendered objects carry. */
export const editPipeline = (name: string) => (app: ReturnType<typeof buildApp>) => {
  const p = app.node.tryFindChild(name);
  if (!(p instanceof Pipeline)) throw new Error(`main.ts defines no pipeline '${name}'`);
  (p.props as { description?: string }).description =
    `${p.props.description ?? name} (edited by the Argo CD e2e suite)`;
};
/**
 * Every environment's namespace with `suffix` added (`ml-staging` → `ml-staging-argocd`):
 * the same rendering in a namespace of its own, apart from the other e2e suites, which run
 * in the environments' namespaces themselves (Argo's in ml-staging, Airflow's in ml-prod).
 */
export const inOwnNamespaces = (suffix: string) => (app: ReturnType<typeof buildApp>) => {
  for (const c of app.node.children)
    if (c instanceof Environment) (c.props as { namespace: string }).namespace = `${c.props.namespace}${suffix}`;
};
/**
 * The services of the embedded cluster in place of an environment's external endpoints
 * (prod's `https://*.platform.example.com`, which pods here cannot reach), as the Airflow
 * suite's variant does (support/airflow-variant.ts): a Sync hook such as Feast's apply then
 * talks to the cluster's MinIO instead of failing on a name that resolves to nothing.
 * DataHub's GMS stays: it does not run here.
 */
export const inClusterEndpoints = (app: ReturnType<typeof buildApp>) => {
  for (const c of app.node.children) {
    if (!(c instanceof Environment)) continue;
    const props = c.props as unknown as { endpoints?: Record<string, string> };
    const ep = props.endpoints;
    if (!ep || !Object.values(ep).some((u) => u.startsWith('https://'))) continue;
    props.endpoints = {
      ...ep,
      lakefs: 'http://lakefs.lakefs.svc.cluster.local:8000',
      mlflow: 'http://mlflow.mlflow.svc.cluster.local:5000',
      s3: 'http://minio.minio.svc.cluster.local:9000',
    };
  }
};
/** Several changes, in order. */
export const changes =
  (...all: ((app: ReturnType<typeof buildApp>) => void)[]) =>
  (app: ReturnType<typeof buildApp>) => {
    for (const change of all) change(app);
  };
/** One pipeline removed from the definitions. */
export const removePipeline = (name: string) => (app: ReturnType<typeof buildApp>) => {
  if (!app.node.tryRemoveChild(name)) throw new Error(`main.ts defines no pipeline '${name}'`);
};

/** A child Application of an environment's app of apps, as dist/ renders it. */
export interface ChildApp {
  readonly name: string;
  readonly wave: number;
  readonly path: string;
  readonly namespace: string;
  readonly automated: { prune: boolean; selfHeal: boolean } | null;
}

export function childApps(dist: string, env: string): ChildApp[] {
  const dir = join(dist, env, 'argocd', 'apps');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const a = parseYaml(readFileSync(join(dir, f), 'utf8'))[0]!;
      const auto = a.spec.syncPolicy?.automated;
      return {
        name: a.metadata.name,
        wave: Number(a.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0),
        path: a.spec.source.path,
        namespace: a.spec.destination.namespace,
        automated: auto ? { prune: !!auto.prune, selfHeal: !!auto.selfHeal } : null,
      };
    });
}

/** An object Argo CD is to apply (hooks apart), with the Application that owns it. */
export interface DesiredObject {
  readonly key: string;
  readonly app: string;
  readonly object: Json;
  readonly hook: string | null;
}

/** Every object the environment's child Applications sync from `dist` (directory sources, recursive). */
export function desiredObjects(dist: string, env: string): DesiredObject[] {
  const out: DesiredObject[] = [];
  for (const app of childApps(dist, env)) {
    const dir = join(dist, '..', app.path);
    for (const file of walk(dir).filter((f) => /\.(ya?ml|json)$/.test(f))) {
      const text = readFileSync(file, 'utf8');
      const objs = file.endsWith('.json') ? [JSON.parse(text) as Json].flat() : parseYaml(text);
      for (const o of objs) {
        if (!o.apiVersion || !o.kind) throw new Error(`${relative(ROOT, file)}: not a Kubernetes object`);
        const group = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : '';
        const key = keyOf(group, o.kind, o.metadata.namespace ?? app.namespace, o.metadata.name);
        out.push({ key, app: app.name, object: o, hook: o.metadata.annotations?.['argocd.argoproj.io/hook'] ?? null });
      }
    }
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** The kubectl resource names (`kind.group`) of the objects. */
export function resourceNames(objs: readonly DesiredObject[]): string[] {
  return [
    ...new Set(
      objs.map((o) => {
        const [group] = o.key.split('/');
        return group === 'core' ? o.object.kind.toLowerCase() : `${o.object.kind.toLowerCase()}.${group}`;
      }),
    ),
  ].sort();
}

/** What a commit from `before` to `after` asks of the cluster: objects added, removed, changed. */
export function desiredDiff(before: readonly DesiredObject[], after: readonly DesiredObject[]) {
  const b = new Map(before.filter((o) => !o.hook).map((o) => [o.key, o]));
  const a = new Map(after.filter((o) => !o.hook).map((o) => [o.key, o]));
  const same = (x: Json, y: Json) => JSON.stringify(x) === JSON.stringify(y);
  return {
    added: [...a.keys()].filter((k) => !b.has(k)).sort(),
    removed: [...b.keys()].filter((k) => !a.has(k)).sort(),
    changed: [...a.keys()].filter((k) => b.has(k) && !same(a.get(k)!.object, b.get(k)!.object)).sort(),
  };
}
