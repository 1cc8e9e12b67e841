/**
 * The reviewer's commands, run as users run them on a copy of the project:
 * `dfp diff` (summary + unified diffs, exit 3 when dist/ is stale, as `synth --check`; writes nothing),
 * `dfp synth --pipeline` (renders one pipeline, leaves every other file alone) and
 * `dfp graph`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { isPipelineFile } from '../synth/synth.ts';
import { editIris, projectCopy, ROOT, runTsx } from './support/process.ts';

describe('dfp diff', () => {
  const dir = projectCopy();
  const clean = runTsx('dfp.ts', { cwd: dir, args: ['diff'] });
  editIris(dir);
  const stale = runTsx('dfp.ts', { cwd: dir, args: ['diff'] });
  const prodOnly = runTsx('dfp.ts', { cwd: dir, args: ['diff', '--env', 'prod'] });
  const unknown = runTsx('dfp.ts', { cwd: dir, args: ['diff', '--env', 'qa'] });

  it('exits 0 and says so when dist/ is current', () => {
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.stdout).toBe('dfp: dist/ is up to date\n');
  });

  it('exits 3 (as synth --check does) with a per-file summary, then unified diffs, and writes nothing', () => {
    expect(stale.status).toBe(3);
    const [summary, ...patches] = stale.stdout.split('\n===');
    expect(summary).toMatch(/^0 added, 0 removed, \d+ changed:/);
    expect(summary).toContain('changed:  dev/kubeflow/pipelines/iris.yaml');
    expect(summary).not.toContain('kronodroid');
    expect(patches.length).toBeGreaterThanOrEqual(2);
    expect(stale.stdout).toContain('--- a/dist/dev/kubeflow/pipelines/iris.yaml');
    expect(stale.stdout).toMatch(/^-\s+defaultValue: 4$/m);
    expect(stale.stdout).toMatch(/^\+\s+defaultValue: 5$/m);
    expect(readTree(join(dir, 'dist'))).toEqual(readTree(join(ROOT, 'dist')));
  });

  it('--env limits the review to one environment', () => {
    expect(prodOnly.status).toBe(3);
    expect(prodOnly.stdout).toContain('prod/');
    expect(prodOnly.stdout).not.toContain('dev/');
  });

  it('an unknown environment is a usage error naming the choices, with no stack trace', () => {
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("no environment is named 'qa'; use one of dev, prod, staging");
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('dfp synth --pipeline', () => {
  it("renders only the named pipeline's files and leaves the others' as they were", () => {
    const dir = projectCopy();
    editIris(dir);
    const before = readTree(join(dir, 'dist'));
    const other = runTsx('dfp.ts', { cwd: dir, args: ['synth', '--pipeline', 'kronodroid-autoencoder'] });
    expect(other.status, other.stderr).toBe(0);
    expect(readTree(join(dir, 'dist'))).toEqual(before);

    const own = runTsx('dfp.ts', { cwd: dir, args: ['synth', '--pipeline', 'iris'] });
    expect(own.status, own.stderr).toBe(0);
    const after = readTree(join(dir, 'dist'));
    const changed = [...after].filter(([p, c]) => before.get(p) !== c).map(([p]) => p);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((p) => isPipelineFile(p, 'iris'))).toBe(true);
    expect([...after.keys()]).toEqual([...before.keys()]);
  });

  it('an unknown pipeline is a usage error (exit 2, as graph) with the choices, and leaves dist/ alone', () => {
    const dir = projectCopy();
    const r = runTsx('dfp.ts', { cwd: dir, args: ['synth', '--pipeline', 'nope'] });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no pipeline is named 'nope'; use one of iris, kronodroid-autoencoder");
    expect(readTree(join(dir, 'dist'))).toEqual(readTree(join(ROOT, 'dist')));
  });
});

describe('dfp graph', () => {
  it('prints the Mermaid graph of one pipeline', () => {
    const r = runTsx('dfp.ts', { args: ['graph', '--pipeline', 'iris'] });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^%% iris\nflowchart TD\n/);
    expect(r.stdout).toContain('s0 --> s1');
  });
});
