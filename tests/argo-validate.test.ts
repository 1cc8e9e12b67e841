/**
 * Argo Workflows' own validator accepts every Argo file dfp renders. The validator is
 * `workflow/validate` of the release the embedded cluster runs (what `argo lint`, the Argo
 * server and the controllers run), through our harness scripts/argo-validate/, with the
 * files of one environment given together (as `argo lint --offline` takes them), so a
 * CronWorkflow's workflowTemplateRef resolves to the WorkflowTemplate beside it.
 *
 * Validated: dist/ as committed (staging is on Argo); every environment of the platform,
 * and every test fixture's environments (control-flow, portable-flow, kubeflow-flow,
 * transforms, features), rendered with the orchestrator swapped to Argo the way
 * tests/environments.test.ts swaps an axis (not airflow-control-flow: it holds text with
 * `{{`, which dfp refuses for Argo at synth), and the injection fixture with a hostile
 * string in every free-text field, a `when` literal and loop items; and every Argo golden file under
 * tests/golden/ (the worked example's included). Hand-written bad objects are the controls:
 * each must be refused, for the reason it was written for, so a harness that accepted
 * everything would fail here.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Construct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment, type EnvironmentProps } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';
import { featuresApp } from './fixtures/features.ts';
import { conditionsApp, exceptionsApp, plainApp, valuesOf } from './fixtures/injection-app.ts';
import { kubeflowFlowApp } from './fixtures/kubeflow-flow.ts';
import { portableFlowApp } from './fixtures/portable-flow.ts';
import { transformsApp } from './fixtures/transforms.ts';
import { defineEnvironments } from '../argocd/environments.ts';
import { argoValidate, argoValidator, type ArgoValidation } from './support/argo-validate.ts';
import { FIXTURE_LOCK } from './support/fixtures.ts';
import { ROOT } from './support/process.ts';

/** The files of one environment's argo/ folder, validated together. */
interface Group {
  readonly label: string;
  readonly files: readonly string[];
}

const SCRATCH = mkdtempSync(join(tmpdir(), 'dfp-argo-validate-'));
afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

/** Every `<…>/argo/` folder below `root`, as one group each. */
function argoFolders(root: string, label: string): Group[] {
  const groups = new Map<string, string[]>();
  for (const file of walk(root)) {
    const parts = relative(root, file).split('/');
    const at = parts.indexOf('argo');
    if (at < 0 || !file.endsWith('.yaml')) continue;
    const key = parts.slice(0, at).join('/');
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return [...groups].map(([key, files]) => ({ label: `${label}/${key}`, files }));
}

/** A fixture's app: its definitions, read with the fixtures' lock. */
const fixture = (define: (app: DfpApp) => void) => () => {
  const app = new DfpApp({ lockFile: FIXTURE_LOCK });
  define(app);
  return app;
};

/** The app with every environment's orchestrator swapped to Argo, its Argo files written to disk. */
function renderedOnArgo(label: string, make: () => DfpApp): Group[] {
  const app = make();
  for (const e of app.node.findAll().filter((c): c is Environment => c instanceof Environment)) {
    (e as { props: EnvironmentProps }).props = { ...e.props, orchestrator: 'argo' };
  }
  const dir = join(SCRATCH, label);
  for (const f of renderAll(buildModel(app), TARGETS)) {
    if (!f.path.split('/').includes('argo')) continue;
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return argoFolders(dir, label);
}

/**
 * A string with what YAML, JSON, govaluate and shells treat specially (not `{{`, which dfp
 * refuses for Argo at synth), in every free-text field of the injection fixture.
 */
const HOSTILE = `it's "q" #1: {a} [b] & | > \\ ü $x, 'c' == "d" || !e`;
/** What a `when` literal may hold on Argo (dfp refuses the rest at synth), every character of it. */
const CONDITION_TEXT = 'Run 2: a_b.c/d@e+f-g';

const withPlatformEnvironments = (define: (app: Construct) => void) => (app: DfpApp) => {
  defineEnvironments(app);
  define(app);
};

function groups(): Group[] {
  return [
    ...argoFolders(join(ROOT, 'dist'), 'dist'),
    ...renderedOnArgo('examples', () => buildApp()),
    ...renderedOnArgo('control-flow', fixture(controlFlowApp)),
    ...renderedOnArgo('portable-flow', fixture(withPlatformEnvironments(portableFlowApp))),
    ...renderedOnArgo('kubeflow-flow', fixture(kubeflowFlowApp)),
    ...renderedOnArgo('transforms', fixture(transformsApp)),
    ...renderedOnArgo('features', fixture(featuresApp)),
    ...renderedOnArgo('injection-plain', () => plainApp(valuesOf(HOSTILE))),
    ...renderedOnArgo('injection-conditions', () => conditionsApp(valuesOf(CONDITION_TEXT))),
    ...renderedOnArgo('injection-exceptions', () => exceptionsApp(valuesOf(HOSTILE))),
    ...argoFolders(join(ROOT, 'tests', 'golden'), 'golden'),
  ];
}

/**
 * Groups with at least one WorkflowTemplate or CronWorkflow (an environment with no pipeline has only its artifact
 * repository).
 */
const workflowFiles = (g: Group) => g.files.filter((f) => /\/(workflow-templates|cron-workflows)\//.test(f));

const refusalsOf = (v: ArgoValidation) =>
  v.verdicts.filter((x) => x.refusals.length > 0).map((x) => `${x.file} ${x.kind} ${x.name}: ${x.refusals.join('; ')}`);

describe("Argo's own validator accepts every Argo file dfp renders", () => {
  const all = groups().filter((g) => workflowFiles(g).length > 0);
  const results = new Map<string, ArgoValidation>();

  beforeAll(() => {
    argoValidator(); // built once (Go's build cache makes a fresh clone's build a link step)
    for (const g of all) results.set(g.label, argoValidate(g.files));
    const objects = [...results.values()].reduce((n, r) => n + r.verdicts.length, 0);
    const refused = [...results.values()].reduce((n, r) => n + refusalsOf(r).length, 0);
    console.log(
      `argo-validate: ${all.reduce((n, g) => n + workflowFiles(g).length, 0)} files, ${objects} objects in ` +
        `${all.length} groups, ${refused} refused`,
    );
  }, 30 * 60_000);

  it('finds every source: dist/, every environment and fixture on Argo, every Argo golden', () => {
    const labels = all.map((g) => g.label);
    expect(labels).toContain('dist/staging');
    for (const env of ['dev', 'prod', 'staging']) {
      expect(labels).toContain(`examples/${env}`);
      expect(labels).toContain(`portable-flow/${env}`);
    }
    for (const fixture of [
      'control-flow/golden',
      'kubeflow-flow/golden',
      'transforms/on-spark',
      'transforms/on-datafusion',
    ]) {
      expect(labels).toContain(fixture);
    }
    for (const env of ['env-argo', 'env-kubeflow', 'env-airflow']) {
      expect(labels).toContain(`injection-plain/${env}`);
      expect(labels).toContain(`injection-conditions/${env}`);
    }
    expect(labels).toContain('injection-exceptions/env-argo');
    for (const golden of [
      'control-flow/golden',
      'transforms/on-spark',
      'transforms/on-datafusion',
      'worked-example/on-argo',
    ]) {
      expect(labels).toContain(`golden/${golden}`);
    }
  });

  for (const g of all) {
    it(`${g.label}: one verdict per WorkflowTemplate and CronWorkflow file, 0 refusals, exit 0`, () => {
      const r = results.get(g.label)!;
      expect(refusalsOf(r)).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
      expect(new Set(r.verdicts.map((v) => v.file))).toEqual(new Set(workflowFiles(g)));
      for (const v of r.verdicts) expect(['WorkflowTemplate', 'CronWorkflow'], v.file).toContain(v.kind);
    });
  }
});

/** A WorkflowTemplate in namespace ml-control, with `spec` as YAML lines (2 spaces in). */
const template = (name: string, spec: string) =>
  `apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: ${name}\n  namespace: ` +
  `ml-control\nspec:\n${spec}`;
const IMAGE = 'registry.dfp.internal/test/step:1.0.0';
const container = (args = '[]') => `{ name: main, image: "${IMAGE}", args: ${args} }`;

const CONTROLS: Record<string, string> = {
  'unknown-template.yaml': template(
    'unknown-template',
    `  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: a
            template: nowhere
`,
  ),
  'exit-input.yaml': template(
    'exit-input',
    `  entrypoint: main
  onExit: cleanup
  templates:
    - name: main
      container: ${container()}
    - name: cleanup
      inputs:
        parameters:
          - name: run
      container: ${container('["{{inputs.parameters.run}}"]')}
`,
  ),
  'cron-required.yaml': `${template(
    'needs-run',
    `  entrypoint: main
  arguments:
    parameters:
      - name: run_name
  templates:
    - name: main
      container: ${container('["{{workflow.parameters.run_name}}"]')}
`,
  )}---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: needs-run
  namespace: ml-control
spec:
  schedules: ["0 6 * * *"]
  workflowSpec:
    workflowTemplateRef:
      name: needs-run
`,
  'unknown-field.yaml': template(
    'unknown-field',
    `  entrypoint: main
  templates:
    - name: main
      container: { name: main, image: "${IMAGE}", imagePullPolicyy: Always }
`,
  ),
  'caller.yaml': template(
    'caller',
    `  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
          - name: a
            templateRef: { name: callee, template: work }
`,
  ),
  'callee.yaml': template(
    'callee',
    `  templates:
    - name: work
      container: ${container()}
`,
  ),
  'not-argo.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-argo\n',
};

describe('controls: the validator refuses bad objects, each for its reason', () => {
  const dir = join(SCRATCH, 'controls');
  const at = (name: string) => join(dir, name);
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(CONTROLS)) writeFileSync(at(name), text);
    argoValidator();
  }, 30 * 60_000);

  const refused = (files: string[], kind: string, name: string, says: RegExp) => {
    const r = argoValidate(files.map(at));
    expect(r.status, r.stderr).toBe(1);
    const v = r.verdicts.find((x) => x.kind === kind && x.name === name);
    expect(v?.refusals.join('\n'), JSON.stringify(r.verdicts)).toMatch(says);
  };

  it('a DAG task naming a template that does not exist', () => {
    refused(
      ['unknown-template.yaml'],
      'WorkflowTemplate',
      'unknown-template',
      /templates\.main\.tasks\.a template name 'nowhere' undefined/,
    );
  });

  it('an exit handler whose input parameter is never supplied', () => {
    refused(
      ['exit-input.yaml'],
      'WorkflowTemplate',
      'exit-input',
      /templates\.cleanup inputs\.parameters\.run was not supplied/,
    );
  });

  it(
    'a CronWorkflow of a WorkflowTemplate with a required parameter and no value (the WorkflowTemplate alone is ' +
      'accepted)',
    () => {
      const r = argoValidate([at('cron-required.yaml')]);
      expect(r.verdicts.map((v) => [v.kind, v.refusals.length > 0])).toEqual([
        ['WorkflowTemplate', false],
        ['CronWorkflow', true],
      ]);
      refused(
        ['cron-required.yaml'],
        'CronWorkflow',
        'needs-run',
        /spec\.arguments\.run_name\.value or spec\.arguments\.run_name\.valueFrom is required/,
      );
    },
  );

  it('an unknown field (strict parse, as argo lint --strict)', () => {
    refused(
      ['unknown-field.yaml'],
      'WorkflowTemplate',
      'unknown-field',
      /unknown field "spec\.templates\[0\]\.container\.imagePullPolicyy"/,
    );
  });

  it('a templateRef to a WorkflowTemplate not among the files; given together, it resolves', () => {
    refused(
      ['caller.yaml'],
      'WorkflowTemplate',
      'caller',
      /couldn't find workflow template "callee" in namespace "ml-control"/,
    );
    const together = argoValidate([at('caller.yaml'), at('callee.yaml')]);
    expect(refusalsOf(together)).toEqual([]);
    expect(together.status).toBe(0);
    expect(together.verdicts.map((v) => v.name)).toEqual(['caller', 'callee']);
  });

  it('files with no Argo object at all are not passed as accepted', () => {
    const r = argoValidate([at('not-argo.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('hold no Argo Workflows object');
  });
});
