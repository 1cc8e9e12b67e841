/**
 * The commands as users run them, on a copy of the project: check mode catches a stale
 * dist/ after a pipeline edit, and `cdk8s synth` renders exactly what `make synth` does.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { editIris, projectCopy, ROOT, run, runTsx } from './support/process.ts';

describe('check mode', () => {
  it('exits 0 when dist/ is current and non-zero after a change to a pipeline file', () => {
    const dir = projectCopy();
    const current = runTsx('main.ts', { cwd: dir, args: ['--check'] });
    expect(current.status, current.stderr).toBe(0);
    expect(current.stdout).toContain('dist/ is up to date');

    editIris(dir);
    const stale = runTsx('main.ts', { cwd: dir, args: ['--check'] });
    expect(stale.status).toBe(3);
    expect(stale.stderr).toContain('dist/ is out of date');
    // Every environment's iris output changes, whatever its orchestrator, and nothing else.
    const changed = stale.stderr
      .split('\n')
      .filter((l) => l.includes('changed:  '))
      .map((l) => l.trim().slice('changed:  '.length));
    expect(changed.some((f) => f.startsWith('dev/'))).toBe(true);
    expect(changed.some((f) => f.startsWith('prod/'))).toBe(true);
    expect(changed.every((f) => f.includes('/iris.'))).toBe(true);
    expect(stale.stderr).not.toContain('kronodroid');
    expect(readTree(join(dir, 'dist'))).toEqual(readTree(join(ROOT, 'dist')));

    const rerender = runTsx('main.ts', { cwd: dir });
    expect(rerender.status, rerender.stderr).toBe(0);
    expect(rerender.stdout).toContain(`${changed.length} changed`);
  });
});

describe('cdk8s synth', () => {
  it('renders the same dist/ as make synth, and hands the CLI only Kubernetes objects', () => {
    const dir = projectCopy();
    rmSync(join(dir, 'dist'), { recursive: true });
    const r = run(join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth'], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(readTree(join(dir, 'dist'))).toEqual(readTree(join(ROOT, 'dist')));
    const mirrored = readdirSync(join(dir, '.cdk8s.out')).sort();
    const kubernetesFiles = renderAll(buildModel(buildApp()), TARGETS)
      .filter((f) => f.kubernetes)
      .map((f) => f.path.replaceAll('/', '--'));
    expect(mirrored).toEqual(kubernetesFiles.sort());
    expect(mirrored.length).toBeGreaterThan(0);
  });
});
