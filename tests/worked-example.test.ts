/**
 * docs/worked-example.md cannot rot: its pipeline code block is written to a file and
 * imported as it stands, rendered for an Argo, a Kubeflow and an Airflow environment and
 * compared byte for byte with tests/golden/worked-example/ (`UPDATE_GOLDEN=1` rewrites
 * them; review the diff); its graph is asserted from the model and from what Airflow's
 * DagBag imports (the kfp SDK loads the IR), the Mermaid block of the page must be what dfp prints, and the
 * registration snippet must match main.ts. The goldens are in tests/golden/, so the API
 * server, pod security and secret scans check them too.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import type { Model } from '../constructs/model/schema.ts';
import { renderAll, type OutputFile } from '../synth/render.ts';
import { isPipelineFile } from '../synth/synth.ts';
import { readTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { mermaid } from '../targets/docs/mermaid.ts';
import { inspectDags } from './support/airflow.ts';
import { envProps, FIXTURE_LOCK } from './support/fixtures.ts';
import { ROOT, run } from './support/process.ts';

const PAGE = readFileSync(join(ROOT, 'docs/worked-example.md'), 'utf8');
const GOLDEN = join(ROOT, 'tests/golden/worked-example');
const NAME = 'nightly-scores';

/** The fenced block of `lang` whose first line is `first`. */
function block(lang: string, first: string): string {
  const found = [...PAGE.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter(
    ([, l, body]) => l === lang && body!.startsWith(`${first}\n`),
  );
  expect(found, `docs/worked-example.md has one ${lang} block starting '${first}'`).toHaveLength(1);
  return found[0]![2]!;
}

let dir: string;
let model: Model;
let files: OutputFile[];

beforeAll(async () => {
  // At the depth of pipelines/, so that the page's `../constructs/index.ts` resolves as it would there.
  dir = mkdtempSync(join(ROOT, '.worked-example-'));
  const file = join(dir, `${NAME}.ts`);
  writeFileSync(file, block('ts', `// pipelines/${NAME}.ts`));
  const { nightlyScores } = (await import(file)) as { nightlyScores: (app: DfpApp) => unknown };
  const app = new DfpApp({ lockFile: FIXTURE_LOCK });
  for (const orchestrator of ['argo', 'kubeflow', 'airflow'] as const) {
    // One namespace, the golden fixtures' own (tests/kube-apiserver.test.ts applies the goldens there).
    new Environment(app, `on-${orchestrator}`, envProps({ namespace: 'ml-golden', orchestrator }));
  }
  nightlyScores(app);
  model = buildModel(app);
  files = renderAll(model, TARGETS).filter((f) => isPipelineFile(f.path, NAME));
  if (process.env.UPDATE_GOLDEN === '1') {
    rmSync(GOLDEN, { recursive: true, force: true });
    for (const f of files) {
      mkdirSync(dirname(join(GOLDEN, f.path)), { recursive: true });
      writeFileSync(join(GOLDEN, f.path), f.content);
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/worked-example.md: the code on the page is the code that renders', () => {
  it('builds the graph the page describes: a loop, a fan-in after it, a condition, an exit handler', () => {
    const p = model.pipelines.find((x) => x.name === NAME)!;
    const steps = Object.fromEntries(p.steps.map((s) => [s.name, { dependsOn: s.dependsOn, group: s.group }]));
    expect(steps).toEqual({
      extract: { dependsOn: [], group: undefined },
      score: { dependsOn: ['extract'], group: 'per-region' },
      summarise: { dependsOn: ['score'], group: undefined },
      publish: { dependsOn: ['summarise'], group: 'if-good' },
    });
    expect(p.groups.map((g) => [g.kind, g.name])).toEqual([
      ['loop', 'per-region'],
      ['condition', 'if-good'],
    ]);
    const loop = p.groups.find((g) => g.kind === 'loop')!;
    expect(loop.kind === 'loop' && [loop.items, loop.parallelism]).toEqual([
      { kind: 'pipelineParam', name: 'regions' },
      2,
    ]);
    const score = p.steps.find((s) => s.name === 'score')!;
    expect(score.inputs.parameters.map((i) => i.source.kind)).toEqual(['loopItem', 'taskOutput']);
    expect(p.exitHandler?.name).toBe('cleanup');
  });

  it('renders the WorkflowTemplate, CronWorkflow, IR, PipelineVersion, DAG and review pages', () => {
    expect(files.map((f) => f.path)).toEqual([
      'on-airflow/airflow/dags/nightly-scores.py',
      'on-airflow/docs/nightly-scores.md',
      'on-argo/argo/cron-workflows/nightly-scores.yaml',
      'on-argo/argo/workflow-templates/nightly-scores.yaml',
      'on-argo/docs/nightly-scores.md',
      'on-kubeflow/docs/nightly-scores.md',
      'on-kubeflow/kubeflow/manifests/nightly-scores.yaml',
      'on-kubeflow/kubeflow/pipelines/nightly-scores.yaml',
    ]);
    expect([...readTree(GOLDEN).keys()].sort()).toEqual(files.map((f) => f.path));
  });

  it('each rendered file is byte-identical to its golden file', () => {
    for (const f of files) {
      const golden = join(GOLDEN, f.path);
      expect(
        existsSync(golden),
        `missing ${golden}; run UPDATE_GOLDEN=1 npx vitest run tests/worked-example.test.ts and review it`,
      ).toBe(true);
      expect(f.content, f.path).toBe(readFileSync(golden, 'utf8'));
    }
  });

  it("Airflow's DagBag imports the rendered DAG with no error, with the page's tasks and edges", () => {
    const folder = mkdtempSync(join(dir, 'dags-'));
    writeFileSync(join(folder, `${NAME}.py`), files.find((f) => f.path.endsWith('.py'))!.content);
    const report = inspectDags(folder);
    expect(report.import_errors).toEqual({});
    const steps = ['extract', 'score', 'summarise', 'publish'];
    const tasks = Object.fromEntries(
      Object.values(report.dags[NAME]!.tasks).map((t) => [
        t.task_id,
        t.upstream.filter((u) => steps.includes(u)).sort(),
      ]),
    );
    expect(tasks).toMatchObject({
      extract: [],
      score: ['extract'],
      summarise: ['score'],
      publish: ['summarise'],
      cleanup: ['extract', 'publish', 'score', 'summarise'],
    });
  }, 120_000);

  it("the kfp SDK loads, strictly parses and recompiles the IR and the PipelineVersion's spec", () => {
    const harness = join(ROOT, 'tests/conformance/kfp');
    const paths = files
      .filter((f) => f.path.includes('/kubeflow/'))
      .map((f) => {
        const path = join(dir, f.path.replaceAll('/', '-'));
        writeFileSync(path, f.content);
        return path;
      });
    const r = run(join(harness, '.venv/bin/python'), [join(harness, 'check.py'), ...paths]);
    expect(r.status, r.stderr).toBe(0);
    const results = (JSON.parse(r.stdout) as { results: { file: string; ok: boolean; errors: string[] }[] }).results;
    expect(results.map((x) => [x.file, x.ok, x.errors])).toEqual(paths.map((x) => [x, true, []]));
  }, 120_000);

  it("the page's graph is what `dfp graph` prints", () => {
    expect(block('mermaid', 'flowchart TD')).toBe(`${mermaid(model.pipelines.find((x) => x.name === NAME)!)}\n`);
  });

  it("the page's registration snippet is main.ts's buildApp(), plus the one line it adds", () => {
    const main = readFileSync(join(ROOT, 'main.ts'), 'utf8').split('\n');
    const snippet = block('ts', '// main.ts')
      .split('\n')
      .slice(1)
      .filter((l) => l !== '' && !l.includes('nightlyScores(app)'));
    for (const line of snippet) expect(main, `main.ts has no line '${line}'`).toContain(line);
  });

  it('the control: a changed page fails the comparison', () => {
    const p = model.pipelines.find((x) => x.name === NAME)!;
    expect(`${mermaid({ ...p, steps: p.steps.slice(1) })}\n`).not.toBe(block('mermaid', 'flowchart TD'));
  });
});
