/**
 * Built images run their entry points for real: each archive `make images` wrote is
 * unpacked and the program dist/ calls runs inside it with runc (tests/support/oci-run.ts),
 * read-only, as uid 1000, with no network — as the restricted pods dfp renders would.
 *
 * Needs the archives, so it is behind `make images-test` (DFP_IMAGES_RUN=1), run after
 * `make images`; there a missing archive fails. Under `make test` it is skipped (the
 * builds take minutes: docs/images.md). Prints what each run took.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { archiveExists, canRunImages, imageArchive, runInImage, unpackImage, type OciImage } from './support/oci-run.ts';

const ROOT = join(import.meta.dirname, '..');
const enabled = process.env.DFP_IMAGES_RUN === '1';
const timings: string[] = [];
/** Unpacking a large image and starting Feast take minutes on 2 shared cores. */
const TIMEOUT = 900_000;

/** The image, unpacked once per test file. */
const unpacked = new Map<string, OciImage>();
function image(name: string): OciImage {
  expect(archiveExists(name), `${imageArchive(name)} is missing: run 'make images' first`).toBe(true);
  if (!unpacked.has(name)) {
    const t0 = Date.now();
    unpacked.set(name, unpackImage(imageArchive(name)));
    timings.push(`${name}: unpacked in ${Date.now() - t0} ms`);
  }
  return unpacked.get(name)!;
}

function run(name: string, args: string[], options: Parameters<typeof runInImage>[1] extends infer O ? Omit<O & object, 'args'> : never = {}) {
  const t0 = Date.now();
  const r = runInImage(image(name), { ...options, args });
  timings.push(`${name}: ${args.slice(0, 4).join(' ')}… exit ${r.status} in ${Date.now() - t0} ms`);
  return r;
}

/** A folder of `files` that the image's uid 1000 can read, as a ConfigMap volume is. */
function configMapFolder(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text, { mode: 0o644 });
  return dir;
}

afterAll(() => {
  if (timings.length) console.log(`images-run:\n  ${timings.join('\n  ')}`);
});

describe.skipIf(!enabled)('built images run their entry points (runc, read-only, uid 1000, no network)', () => {
  it('this machine can run them', () => {
    expect(canRunImages(), 'runc (Debian) and root are needed').toBe(true);
  }, TIMEOUT);

  it('transform-launcher: python -m dfp_tools.run_transform, with the pinned Kubernetes client', () => {
    const help = run('transform-launcher', ['python', '-m', 'dfp_tools.run_transform', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: run_transform \[-h\] --transform TRANSFORM/);
    // A real run goes as far as a pod's would without its cluster: the client is imported
    // and looks for the service account it would be given.
    const outside = run('transform-launcher', ['python', '-m', 'dfp_tools.run_transform', '--transform', 'kronodroid-iceberg']);
    expect(outside.status).not.toBe(0);
    expect(outside.stderr).toMatch(/kubernetes\.config\.config_exception\.ConfigException: Service host\/port is not set/);
    const version = run('transform-launcher', ['python', '-c', 'import kubernetes, os; print(kubernetes.__version__, os.getuid())']);
    expect(version.stdout).toBe('34.1.0 1000\n');
  }, TIMEOUT);

  it('feast: loads the feature_store.yaml dfp renders (redis online store, spark offline store) and plans the repo', () => {
    // The sync hook's own steps: the rendered repo copied out of its ConfigMap mount, then
    // Feast on it. Only the registry, an S3 object this sandbox cannot reach, is pointed at
    // a local file; the online and offline stores are as rendered.
    const hook = parse(readFileSync(join(ROOT, 'dist/dev/feast/sync/feast-apply.yaml'), 'utf8').split('\n---\n')[0]!) as { data: Record<string, string> };
    const repo = configMapFolder('dfp-feast-repo-', hook.data);
    const rendered = parse(hook.data['feature_store.yaml']!) as Record<string, any>;
    expect(rendered.online_store.type).toBe('redis');
    expect(rendered.offline_store.type).toBe('spark');
    const script = [
      'set -eu',
      'cp -L /feast/repo/* /work/',
      // The registry only: a local file instead of s3://… (no network here).
      `sed -i 's#^  path: s3://.*#  path: /work/registry.db#' /work/feature_store.yaml`,
      'grep -q "type: redis" /work/feature_store.yaml',
      'exec feast --chdir /work plan --skip-source-validation',
    ].join('\n');
    const plan = run('feast', ['/bin/sh', '-c', script], { mounts: { '/feast/repo': repo }, scratch: ['/tmp', '/home/dfp', '/work'], env: { FEAST_USAGE: 'False' } });
    expect(plan.status, `${plan.stdout}\n${plan.stderr}`).toBe(0);
    expect(plan.stdout).toMatch(/Created entity .*sample/);
    expect(plan.stdout).toMatch(/Created feature view .*kronodroid_autoencoder_features/);
    expect(plan.stdout).toMatch(/Created feature service .*kronodroid_autoencoder/);
    const stores = run('feast', ['python', '-c', [
      'from pathlib import Path',
      'from feast.repo_config import load_repo_config',
      "c = load_repo_config(Path('/feast/repo'), Path('/feast/repo/feature_store.yaml'))",
      'print(type(c.online_store).__name__, type(c.offline_store).__name__)',
      'import redis, pyspark, boto3',
    ].join('\n')], { mounts: { '/feast/repo': repo } });
    expect(stores.status, stores.stderr).toBe(0);
    expect(stores.stdout).toBe('RedisOnlineStoreConfig SparkOfflineStoreConfig\n');
  }, TIMEOUT);

  it('datahub-ingestion: the datahub CLI the ingest hook calls, with the file source and the datahub-rest sink', () => {
    const version = run('datahub-ingestion', ['datahub', 'version']);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/DataHub CLI version: 1\.7\.0\.17/);
    // The recipe's source and sink are installed (the ingest itself needs the GMS server).
    const plugins = run('datahub-ingestion', ['python', '-c', [
      'from datahub.ingestion.source.source_registry import source_registry',
      'from datahub.ingestion.sink.sink_registry import sink_registry',
      "print(source_registry.get('file').__name__, sink_registry.get('datahub-rest').__name__)",
    ].join('\n')]);
    expect(plugins.status, plugins.stderr).toBe(0);
    expect(plugins.stdout).toBe('GenericFileSource DatahubRestSink\n');
  }, TIMEOUT);

  it('chronon: compile.py compiles the group-by dfp renders', () => {
    // The hook's own layout: group_bys.<team>.<name> keys into group_bys/<team>/<name>.
    const hook = parse(readFileSync(join(ROOT, 'dist/staging/chronon/sync/chronon-apply.yaml'), 'utf8').split('\n---\n')[0]!) as { data: Record<string, string> };
    const repo = configMapFolder('dfp-chronon-repo-', hook.data);
    const script = [
      'set -eu',
      'cd /work',
      'for f in /chronon/repo/*; do key=$(basename "$f"); case "$key" in group_bys.*|joins.*) folder=${key%%.*}; rest=${key#*.}; team=${rest%%.*}; mkdir -p "$folder/$team"; cp -L "$f" "$folder/$team/${rest#*.}" ;; *) cp -L "$f" "./$key" ;; esac; done',
      'export PYTHONPATH=/work',
      'for f in group_bys/dfp/*.py; do compile.py --chronon_root /work --conf "$f" --force-overwrite -y; done',
      'ls production/group_bys/dfp',
    ].join('\n');
    const compiled = run('chronon', ['/bin/sh', '-c', script], { mounts: { '/chronon/repo': repo }, scratch: ['/tmp', '/home/dfp', '/work'] });
    expect(compiled.status, `${compiled.stdout}\n${compiled.stderr}`).toBe(0);
    const groupBys = Object.keys(hook.data).filter((k) => k.startsWith('group_bys.')).length;
    expect(groupBys).toBeGreaterThan(0);
    expect(compiled.stdout.trim().split('\n').filter((l) => l && !l.includes(' ')).length).toBeGreaterThanOrEqual(groupBys);
  }, TIMEOUT);

  it('dbt-kronodroid: dbt with the spark adapter and Java, and the project where the step points --project-dir', () => {
    const version = run('dbt-kronodroid', ['dbt', '--version']);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/installed: 1\.11\.16/);
    expect(version.stdout).toMatch(/spark: 1\.11\.0/);
    const java = run('dbt-kronodroid', ['java', '-version']);
    expect(java.status, java.stderr).toBe(0);
    expect(java.stderr).toMatch(/openjdk version "17\./);
    const project = run('dbt-kronodroid', ['ls', '/opt/dfp/dbt/project', '/opt/dfp/dbt/project/models/marts']);
    expect(project.stdout).toContain('dbt_project.yml');
    expect(project.stdout).toContain('fct_sample_features.sql');
    const ours = readdirSync(join(ROOT, 'images/dbt-kronodroid/project/models/marts')).sort();
    for (const f of ours) expect(project.stdout).toContain(f);
  }, TIMEOUT);
});
