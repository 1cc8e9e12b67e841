/**
 * The reference pages cannot drift from what dfp does (issue 27, class 7): their code blocks
 * are executed here, as docs/worked-example.md's are by tests/worked-example.test.ts.
 *
 * - docs/step-options.md: its pipeline is rendered for Argo, Kubeflow and Airflow, and
 *   every `code` in the table's orchestrator columns must be in that orchestrator's file;
 * - docs/environments.md: its Environment is added to this repository's app, and what
 *   the page says it renders is what renders;
 * - docs/one-pipeline.md: its shell block runs against a local git repository of this
 *   project (sparse clone, npm ci, synth --pipeline);
 * - docs/cli.md: its example outputs are what the CLI prints.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerStep, Environment, Pipeline } from '../constructs/index.ts';
import { DfpApp } from '../app/dfp-app.ts';
import { buildModel } from '../constructs/model/build.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildApp } from '../main.ts';
import { renderAll } from '../synth/render.ts';
import { TARGETS } from '../targets/index.ts';
import { envProps, FIXTURE_LOCK } from './support/fixtures.ts';
import { ROOT, run, runTsx, runTsxAsync } from './support/process.ts';

const page = (name: string) => readFileSync(join(ROOT, 'docs', name), 'utf8');

/** The fenced block of `lang` whose first line is `first` (exactly one). */
function block(text: string, lang: string, first: string): string {
  const found = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter(
    ([, l, body]) => l === lang && body!.startsWith(first),
  );
  expect(found, `one ${lang} block starting '${first}'`).toHaveLength(1);
  return found[0]![2]!;
}

// Modules written at the depth of pipelines/, so the pages' `../constructs/index.ts` resolves.
let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(ROOT, '.docs-pages-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('docs/step-options.md', () => {
  const text = page('step-options.md');
  const orchestrators = ['argo', 'kubeflow', 'airflow'] as const;
  const fileOf = {
    argo: 'argo/workflow-templates/step-options.yaml',
    kubeflow: 'kubeflow/pipelines/step-options.yaml',
    airflow: 'airflow/dags/step-options.py',
  };
  let files: Map<string, string>;
  let define: (app: DfpApp) => Pipeline;

  beforeAll(async () => {
    const file = join(scratch, 'step-options.ts');
    writeFileSync(file, block(text, 'ts', '// pipelines/step-options.ts'));
    define = ((await import(file)) as { stepOptions: (app: DfpApp) => Pipeline }).stepOptions;
    const app = new DfpApp({ lockFile: FIXTURE_LOCK });
    for (const o of orchestrators) new Environment(app, `on-${o}`, envProps({ namespace: 'ml-docs', orchestrator: o }));
    define(app);
    files = new Map(renderAll(buildModel(app), TARGETS).map((f) => [f.path, f.content]));
  });

  it("every claim of the table is in that orchestrator's file", () => {
    const rows = text.split('\n').filter((l) => l.startsWith('| `') || l.startsWith('| a GPU'));
    expect(rows.length).toBe(9);
    let checked = 0;
    for (const row of rows) {
      const cells = row.split(' | ').slice(1);
      orchestrators.forEach((o, i) => {
        const rendered = files.get(`on-${o}/${fileOf[o]}`)!;
        expect(rendered, `${o} file`).toBeDefined();
        for (const [, code] of cells[i]!.matchAll(/`([^`]+)`/g)) {
          expect(rendered.includes(code!), `${o}: '${code}' (row ${row.slice(0, 40)}…)`).toBe(true);
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThanOrEqual(35);
  });

  it('the serviceAccount row: a step service account renders on Argo and Airflow and is refused on Kubeflow', () => {
    for (const o of orchestrators) {
      const app = new DfpApp({ lockFile: FIXTURE_LOCK });
      new Environment(app, 'e', envProps({ namespace: 'ml-docs', orchestrator: o }));
      new ContainerStep(new Pipeline(app, 'p'), 's', {
        image: 'registry.dfp.internal/dfp/trainer:2.0.0',
        serviceAccount: 'trainer',
      });
      const render = () => renderAll(buildModel(app), TARGETS);
      if (o === 'kubeflow') expect(render).toThrow(DfpError);
      else
        expect(render().find((f) => f.path.includes('/p.'))!.content).toMatch(
          o === 'argo' ? /serviceAccountName: trainer/ : /service_account_name="trainer"/,
        );
    }
  });
});

describe('docs/environments.md', () => {
  it("the Environment on the page renders what the page says, next to the repository's own", async () => {
    const text = page('environments.md');
    const code = block(text, 'ts', '// argocd/environments.ts');
    const file = join(scratch, 'qa-environment.ts');
    writeFileSync(
      file,
      `import type { Construct } from 'constructs';\nimport { Environment } from ` +
        `'../constructs/index.ts';\nexport function add(app: Construct): void {\n${code}}\n`,
    );
    const { add } = (await import(file)) as { add: (app: DfpApp) => void };
    const app = buildApp({ distDir: join(scratch, 'dist') });
    add(app);
    const paths = renderAll(buildModel(app), TARGETS)
      .map((f) => f.path)
      .filter((p) => p.startsWith('qa/'));
    expect(paths.filter((p) => p.startsWith('qa/airflow/dags/'))).toEqual([
      'qa/airflow/dags/iris.py',
      'qa/airflow/dags/kronodroid-features.py',
    ]);
    for (const folder of ['datafusion', 'chronon', 'argocd'])
      expect(
        paths.some((p) => p.startsWith(`qa/${folder}/`)),
        folder,
      ).toBe(true);
    expect(paths).toContain('qa/argocd/root.yaml');
    expect(paths.filter((p) => p.startsWith('qa/android/'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('qa/datahub/sync/'))).toEqual([]);
    expect(paths.some((p) => p.startsWith('qa/datahub/metadata/'))).toBe(true);
    for (const said of [
      '`airflow/dags/iris.py`',
      '`airflow/dags/kronodroid-features.py`',
      '`datafusion/`',
      '`chronon/`',
      '`argocd/root.yaml`',
      'no `android/`',
      '`datahub/metadata/`',
      'no `datahub/sync/`',
    ])
      expect(text).toContain(said);
  });
});

describe('docs/one-pipeline.md', () => {
  it(
    'the sparse clone renders one pipeline without the images but the dbt project, tests/ or docs/, and synth ' +
      '--pipeline changes only its files',
    () => {
      // (A clone of the committed branch: uncommitted edits of this checkout are not in it.)
      const text = page('one-pipeline.md');
      const checkout = block(text, 'sh', 'git clone --sparse');
      const render = block(text, 'sh', 'npm ci\n');
      // This repository, as committed (the page's "$DFP_REPO"): a local clone of the branch under test.
      const git = (args: string[], cwd: string) => execFileSync('git', args, { cwd, encoding: 'utf8' });
      const repo = git(['rev-parse', '--show-toplevel'], ROOT).trim();
      const work = mkdtempSync(join(tmpdir(), 'dfp-sparse-'));
      const cloned = run('bash', ['-euo', 'pipefail', '-c', checkout], {
        cwd: work,
        env: { DFP_REPO: `file://${repo}` },
        timeoutMs: 600_000,
      });
      expect(cloned.status, cloned.stderr).toBe(0);
      const clone = join(work, 'dfp');
      // `npm ci` would install the lock file's ~360 MB again; the packages are this checkout's.
      expect(render.split('\n')[0]).toBe('npm ci');
      symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
      const r = run('bash', ['-euo', 'pipefail', '-c', render.split('\n').slice(1).join('\n')], {
        cwd: clone,
        timeoutMs: 600_000,
      });
      expect(r.status, r.stderr).toBe(0);
      for (const absent of ['tests', 'docs', 'bench']) expect(existsSync(join(clone, absent)), absent).toBe(false);
      // Of images/, only the dbt project's folder (synth reads the project), no other image.
      expect(
        readdirSync(join(clone, 'images'), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name),
      ).toEqual(['dbt-kronodroid']);
      expect(r.stdout).toContain('dfp: rendered');
      expect(r.stdout.trim().split('\n').pop()).toMatch(/dist\/ unchanged$/); // git status printed nothing after it
      // The edit the page leaves to the reader: only iris's files change.
      const iris = join(clone, 'pipelines', 'iris.ts');
      writeFileSync(
        iris,
        readFileSync(iris, 'utf8').replace(
          "max_depth: { type: 'int', default: 4 }",
          "max_depth: { type: 'int', default: 5 }",
        ),
      );
      const again = run('npm', ['run', '--silent', 'dfp', '--', 'synth', '--pipeline', 'iris'], { cwd: clone });
      expect(again.status, again.stderr).toBe(0);
      const changed = git(['status', '--short', 'dist'], clone)
        .trim()
        .split('\n')
        .map((l) => l.slice(3));
      expect(changed.length).toBeGreaterThan(0);
      expect(
        changed.every((p) => /\/iris\.[a-z]+$/.test(p)),
        changed.join(', '),
      ).toBe(true);
      rmSync(work, { recursive: true, force: true });
    },
    900_000,
  );
});

describe('docs/cli.md', () => {
  const text = page('cli.md');
  it('the exit-code table and the wrong-name answer are what the CLI prints', () => {
    const shown = block(text, '', "dfp: no pipeline is named 'iriss'").trim();
    const r = runTsx('dfp.ts', { args: ['graph', '--pipeline', 'iriss'] });
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(shown);
  });

  it('the --json error is JSON of the form the CLI prints', () => {
    const doc = JSON.parse(block(text, 'json', '{ "error"')) as {
      error: { exit: number; kind: string; message: string };
    };
    expect(Object.keys(doc.error)).toEqual(['exit', 'kind', 'message']);
    expect(doc.error).toMatchObject({ exit: 4, kind: 'service' });
  });

  describe('the answer of a server that is not lakeFS', () => {
    let server: Server;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<html><head><title>Welcome to nginx</title></head><body>404</body></html>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it("is the line on the page, with the page's address replaced by the server's", async () => {
      const shown = block(text, '', 'dfp lock: http://127.0.0.1:8080').trim();
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      // Not spawnSync: the server answers from this process's event loop.
      const lockFile = join(scratch, 'dfp.lock.json');
      writeFileSync(lockFile, readFileSync(join(ROOT, 'dfp.lock.json')));
      const r = await runTsxAsync('dfp.ts', {
        args: ['lock'],
        env: {
          DFP_LOCK: lockFile,
          LAKEFS_ENDPOINT: url,
          LAKEFS_ACCESS_KEY_ID: 'id',
          LAKEFS_SECRET_ACCESS_KEY: 'secret',
        },
      });
      expect(r.status).toBe(4);
      expect(r.stderr.split('\n')[0]).toBe(shown.replaceAll('http://127.0.0.1:8080', url));
    });
  });
});
