/**
 * FeatureService: a view served whole or as a selection of its features. Real Feast
 * (the harness's feast[spark] 0.67.0) applies a rendered repo with both kinds, and
 * mistakes are reported at the service's construct path.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Entity, FeatureService, FeatureView, IcebergTable } from '../constructs/index.ts';
import { type DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { tableProps } from './fixtures/transforms.ts';
import { modelOrError, testApp } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

const PYTHON = join(ROOT, 'tests', 'conformance', 'feast', '.venv', 'bin', 'python');

function shop(app: DfpApp) {
  const table = new IcebergTable(
    app,
    'orders',
    tableProps({ customer_id: 'string', amount: 'float64', items: 'int32', region: 'string' }),
  );
  const customer = new Entity(app, 'customer', { joinKey: 'customer_id' });
  const orders = new FeatureView(app, 'order_stats', {
    source: table,
    entities: [customer],
    features: ['amount', 'items', 'region'],
  });
  return { table, orders };
}

const problems = (define: (app: DfpApp) => void): string[] => {
  const app = testApp();
  define(app);
  const r = modelOrError(app);
  return r instanceof DfpError ? r.problems.map((p) => `${p.path}: ${p.message}`) : [];
};

describe('FeatureService', () => {
  it('real Feast applies a service of a whole view and one of a selection', () => {
    const app = testApp();
    const { orders } = shop(app);
    new FeatureService(app, 'order_model', { features: [orders], owner: 'team:shop', tags: { model: 'orders' } });
    new FeatureService(app, 'amount_only', {
      features: [{ view: orders, features: ['amount'] }],
      description: 'Just the amount.',
    });
    const files = renderAll(buildModel(app), TARGETS).filter((f) => f.path.startsWith('test/feast/dfp_test/'));
    const repo = join(mkdtempSync(join(tmpdir(), 'dfp-feature-service-')), 'repo');
    for (const f of files) {
      mkdirSync(dirname(join(repo, f.path.slice('test/feast/dfp_test/'.length))), { recursive: true });
      writeFileSync(join(repo, f.path.slice('test/feast/dfp_test/'.length)), f.content);
    }
    expect(files.find((f) => f.path.endsWith('features.py'))!.content).toContain('view_order_stats[["amount"]]');
    const r = run(PYTHON, [join(ROOT, 'tests', 'conformance', 'feast', 'plan_apply.py'), repo], { timeoutMs: 600_000 });
    if (r.status !== 0) throw new Error(`plan_apply.py failed (${r.status}):\n${r.stderr}`);
    const [result] = (JSON.parse(r.stdout) as { results: { ok: boolean; steps: { output: string }[] }[] }).results;
    expect(result!.ok, result!.steps.map((s) => s.output).join('\n')).toBe(true);
    expect(result!.steps[1]!.output).toMatch(/Created feature service (amount_only|order_model)/);
  }, 600_000);

  it(
    'mistakes name the service: not a view, an unknown feature, an empty selection, a view twice, no views, a ' +
      'bad name',
    () => {
      expect(
        problems((app) => {
          const { table, orders } = shop(app);
          new FeatureService(app, 'not_a_view', { features: [table as unknown as FeatureView] });
          new FeatureService(app, 'unknown_feature', { features: [{ view: orders, features: ['amount', 'tax'] }] });
          new FeatureService(app, 'empty_selection', { features: [{ view: orders, features: [] }] });
          new FeatureService(app, 'twice', { features: [orders, { view: orders, features: ['items'] }] });
          new FeatureService(app, 'nothing', { features: [] });
          new FeatureService(app, 'Bad-Name', { features: [orders] });
        }),
      ).toEqual([
        'not_a_view: features[0] is not a FeatureView of this app; pass the view (or { view, features })',
        "unknown_feature: feature 'tax' is not a feature of view order_stats; it has amount, items, region",
        'empty_selection: features[0]: select at least one feature of order_stats, or pass the view itself to ' +
          'serve all',
        'twice: view order_stats is served twice; list it once',
        'nothing: features: serve at least one feature view',
        expect.stringMatching(/^Bad-Name: feature service 'Bad-Name' must be snake_case/),
      ]);
    },
  );
});
