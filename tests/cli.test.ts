/**
 * The commands as users run them, on a copy of the project: check mode catches a stale
 * dist/ after a pipeline edit, and `cdk8s synth` renders exactly what `make synth` does.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { projectCopy, ROOT, run, runTsx } from './support/process.ts';

describe('check mode', () => {
  it('exits 0 when dist/ is current and non-zero after a change to a pipeline file', () => {
    const dir = projectCopy();
    const current = runTsx('main.ts', { cwd: dir, args: ['--check'] });
    expect(current.status, current.stderr).toBe(0);
    expect(current.stdout).toContain('dist/ is up to date');

    const file = join(dir, 'pipelines', 'iris.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("max_depth: { type: 'int', default: 4 }", "max_depth: { type: 'int', default: 5 }"));
    const stale = runTsx('main.ts', { cwd: dir, args: ['--check'] });
    expect(stale.status).toBe(3);
    expect(stale.stderr).toContain('dist/ is out of date');
    expect(stale.stderr).toContain('changed:  dev/argo/workflow-templates/iris.yaml');
    expect(stale.stderr).toContain('changed:  prod/airflow/dags/iris.py');
    expect(stale.stderr).not.toContain('kronodroid');
    expect(readTree(join(dir, 'dist'))).toEqual(readTree(join(ROOT, 'dist')));

    const rerender = runTsx('main.ts', { cwd: dir });
    expect(rerender.status, rerender.stderr).toBe(0);
    expect(rerender.stdout).toContain('2 changed');
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
    expect(mirrored).toContain('dev--argo--workflow-templates--kronodroid-autoencoder.yaml');
    expect(mirrored.every((f) => f.endsWith('.yaml'))).toBe(true);
  });
});
