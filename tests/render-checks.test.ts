/**
 * Checks before rendering (synth/render.ts): every target's `check` runs for every
 * environment before any file is rendered, and all problems are reported together, each
 * at its construct path. The data plane is guarded construct by construct.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Entity, FeatureView, IcebergTable } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { LONG_TAG, renderProblemsApp } from './fixtures/render-problems.ts';
import { FIXTURE_LOCK, modelOrError, testApp } from './support/fixtures.ts';
import { ROOT, runTsx } from './support/process.ts';

const AIRFLOW = "cannot render for airflow in environment 'on-airflow': ";
const KUBEFLOW = "cannot render for kubeflow in environment 'on-kubeflow': ";
const ARGO = "cannot render for argo in environment 'on-argo': ";
const CHRONON = "cannot render for chronon in environment 'on-argo': ";
const ARGO_BRACES =
  "contains '{{', which Argo Workflows would evaluate as a template and cannot escape; pass the text through a " +
  "pipeline parameter's run-time value or drop the braces";

/** The problem catalogue of tests/fixtures/render-problems.ts: four targets, three environments. */
const EXPECTED = [
  {
    path: 'two-targets',
    message:
      `${AIRFLOW}tag '${LONG_TAG.slice(0, 20)}…' is 101 characters long; Airflow allows at most 100, so shorten ` +
      'it',
  },
  {
    path: 'two-targets/measure',
    message:
      `${AIRFLOW}has output parameters (value) but no command; Airflow collects outputs after the command ends, ` +
      `so set 'command' (the image's entrypoint) explicitly`,
  },
  {
    path: 'two-targets/report',
    message:
      `${KUBEFLOW}serviceAccount 'reporter': Kubeflow runs every step of a run under the run's service account; ` +
      `drop it from the step (the environment's serviceAccount applies)`,
  },
  {
    path: 'two-targets/emit',
    message:
      `${KUBEFLOW}args[0] contains '{{$', which the Kubeflow Pipelines driver would replace as a placeholder and ` +
      'cannot escape; pass the text as a pipeline parameter or drop the braces',
  },
  { path: 'two-targets', message: `${ARGO}parameter 'greeting' default ${ARGO_BRACES}` },
  { path: 'two-targets/emit', message: `${ARGO}args[0] ${ARGO_BRACES}` },
  {
    path: 'two-targets/when-quoted',
    message:
      `${ARGO}condition text 'it's' holds characters Argo's condition language cannot quote; use letters, digits, ` +
      'spaces and _ . : / @ + -',
  },
  {
    path: 'spend',
    message:
      `${CHRONON}ttl of 5400 s is not a whole number of hours, and Chronon windows are in hours or days; use ` +
      'Duration.hours(...) or Duration.days(...)',
  },
  {
    path: 'spend',
    message:
      `${CHRONON}column 'ds' is reserved by Chronon (ts, ds: event time and partition); rename it in the table, ` +
      "e.g. 'ds_value'",
  },
  {
    path: 'both',
    message:
      `${CHRONON}Chronon joins a service's views onto one table, shop.orders (the first view's source), which has ` +
      "no column 'visitor_id'; serve views whose keys that table holds, or split the service",
  },
];

const byPathAndMessage = (a: { path: string; message: string }, b: { path: string; message: string }) =>
  a.path.localeCompare(b.path) || a.message.localeCompare(b.message);

describe('checks before rendering', () => {
  it('reports the problems of four targets in three environments at once, each at its construct path', () => {
    const app = new DfpApp({ distDir: join(tmpdir(), 'dfp-never-written'), lockFile: FIXTURE_LOCK });
    renderProblemsApp(app);
    let error: unknown;
    try {
      renderAll(buildModel(app), TARGETS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DfpError);
    const problems = (error as DfpError).problems.map((p) => ({ path: p.path, message: p.message }));
    // Exactly the catalogue: each problem once, none missing, nothing else.
    expect(problems.sort(byPathAndMessage)).toEqual([...EXPECTED].sort(byPathAndMessage));
  });

  it('through the CLI: exit 1, every problem on stderr with its path, nothing written', () => {
    const dist = join(mkdtempSync(join(tmpdir(), 'dfp-render-checks-')), 'dist');
    const r = runTsx(join(ROOT, 'tests/fixtures/render-problems.ts'), {
      env: { DFP_RENDER_PROBLEMS_MAIN: '1', DFP_DIST: dist },
    });
    expect(r.status).toBe(1);
    for (const p of EXPECTED) expect(r.stderr).toContain(`  ${p.path}: ${p.message}\n`);
    expect(r.stderr).toContain(`rendering failed (${EXPECTED.length} problems)`);
    expect(existsSync(dist)).toBe(false);
  });
});

describe('the data plane is guarded construct by construct', () => {
  it('a feature view with a bad source is reported at its own path; the other constructs are still checked', () => {
    const app = testApp();
    const table = new IcebergTable(app, 'orders', {
      namespace: 'shop',
      lakefsRepository: 'shop',
      ref: { branch: 'main' },
      timestampField: 'ts',
      fields: { id: 'string', ts: 'timestamp', total: 'float64' },
    });
    const user = new Entity(app, 'user', { joinKey: 'id' });
    new FeatureView(app, 'broken', {
      source: { node: { path: 'nowhere' } } as never,
      entities: [user],
      features: ['total'],
    });
    // A problem in another construct of the data plane is still found in the same run.
    new FeatureView(app, 'unknown-column', { source: table, entities: [user], features: ['missing'] });
    const result = modelOrError(app);
    expect(result).toBeInstanceOf(DfpError);
    const problems = (result as DfpError).problems;
    expect(problems).toContainEqual({
      path: 'broken',
      message: 'source is not an IcebergTable of this app; pass the table construct',
    });
    expect(problems).toContainEqual({
      path: 'unknown-column',
      message: "feature 'missing' is not a column of shop.orders; add it to the table's fields or drop it",
    });
    expect(problems.some((p) => p.path === '')).toBe(false);
  });
});
