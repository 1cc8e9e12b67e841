/**
 * The command line is strict (issue 27, class 1): every verb refuses an unknown flag or an
 * extra argument with its usage and, for a near miss, what was meant; an unknown verb gets
 * a suggestion; `graph --pipeline` and `synth --pipeline` answer a wrong name alike; a
 * secret is refused as a flag and read from the environment or a file; an endpoint without
 * a scheme is a usage error; `--json` errors are JSON; a server that is not lakeFS or not
 * MLflow is called what it is; one table of exit codes, in `--help` and docs/cli.md, and
 * `diff` and `synth --check` exit alike on a stale dist/.
 *
 * Most cases call the CLI's `main` in this process (output captured); the ones about
 * dist/ run it as users do, `node scripts/run.mjs dfp.ts …` on a copy of the project.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readTree } from '../synth/writer.ts';
import { checkEndpoint, distance, nearest, UsageError } from '../synth/args.ts';
import { EXIT_CODES, exitCodeMarkdown } from '../synth/exit-codes.ts';
import { editIris, freePort, projectCopy, ROOT, run } from './support/process.ts';

// dfp.ts reads these when it is loaded: nothing a test runs here may touch the repository's files.
const scratch = mkdtempSync(join(tmpdir(), 'dfp-cli-args-'));
process.env.DFP_DIST = join(scratch, 'dist');
process.env.DFP_LOCK = join(scratch, 'dfp.lock.json');
copyFileSync(join(ROOT, 'dfp.lock.json'), process.env.DFP_LOCK);
const { main } = await import('../dfp.ts');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `dfp <args>` in this process with `env` set, capturing what it writes. */
async function dfp(args: string[], env: Record<string, string | undefined> = {}): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

const NO_LAKEFS = { LAKEFS_ENDPOINT: undefined, LAKEFS_ACCESS_KEY_ID: 'id', LAKEFS_SECRET_ACCESS_KEY: 'secret' };

describe('every verb refuses an unknown flag, with its usage and what was meant', () => {
  const NEAR: [string[], string, string][] = [
    [['synth', '--chek'], '--chek', '--check'],
    [['synth', '--pipline', 'iris'], '--pipline', '--pipeline'],
    [['diff', '--evn', 'qa'], '--evn', '--env'],
    [['graph', '--pipelin', 'iris'], '--pipelin', '--pipeline'],
    [['lock', '--updat', 'kronodroid@main'], '--updat', '--update'],
    [['lock', '--endpiont', 'http://x:1'], '--endpiont', '--endpoint'],
    [['trace', 'r1', '--jsno'], '--jsno', '--json'],
    [['trace', 'r1', '--mlfow', 'http://x:1'], '--mlfow', '--mlflow'],
  ];
  for (const [args, given, meant] of NEAR) {
    it(`dfp ${args.join(' ')}: exit 2, did you mean '${meant}'?`, async () => {
      const r = await dfp(args);
      expect(r.code, r.stderr).toBe(2);
      const text = args[0] === 'trace' ? r.stderr.replace(/^dfp trace: /, 'dfp: ') : r.stderr;
      expect(text.split('\n')[0]).toBe(`dfp: ${args[0]} has no option '${given}'; did you mean '${meant}'?`);
      expect(r.stderr).toMatch(new RegExp(`usage: dfp ${args[0]} `));
      expect(r.stdout).toBe('');
    });
  }

  it('a flag far from any: the verb lists its options', async () => {
    const r = await dfp(['synth', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dfp: synth has no option '--frobnicate'; the options are --check, --pipeline, --help\n/);
  });

  for (const args of [
    ['synth', 'dist'],
    ['diff', 'prod'],
    ['graph', 'iris'],
    ['lock', 'kronodroid@main'],
  ]) {
    it(`dfp ${args.join(' ')}: an extra argument is refused`, async () => {
      const r = await dfp(args, NO_LAKEFS);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`dfp: ${args[0]} takes no arguments, not '${args[1]}'`);
    });
  }

  it('trace takes one run id, not two', async () => {
    const r = await dfp(['trace', 'r1', 'r2']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      "dfp trace: trace takes only <run-id> | models:/<name>/<version>, not also 'r2'",
    );
  });

  it('a missing value, a value for a switch, a flag given twice', async () => {
    expect((await dfp(['synth', '--pipeline'])).stderr).toMatch(/^dfp: --pipeline needs a value \(--pipeline NAME\)\n/);
    expect((await dfp(['synth', '--pipeline', '--check'])).stderr).toMatch(/^dfp: --pipeline needs a value/);
    expect((await dfp(['synth', '--check=yes'])).stderr).toMatch(/^dfp: --check takes no value; write --check alone\n/);
    expect((await dfp(['graph', '--pipeline', 'iris', '--pipeline', 'iris'])).stderr).toMatch(
      /^dfp: --pipeline is given twice; give it once\n/,
    );
    for (const a of [
      ['synth', '--pipeline'],
      ['synth', '--check=yes'],
      ['graph', '--pipeline', 'a', '--pipeline', 'b'],
    ])
      expect((await dfp(a)).code).toBe(2);
  });

  it('an unknown verb: a suggestion for a near miss, the usage of every verb', async () => {
    const near = await dfp(['sinth']);
    expect(near.code).toBe(2);
    expect(near.stderr.split('\n')[0]).toBe("dfp: 'sinth' is not a dfp verb; did you mean 'synth'?");
    for (const verb of ['synth', 'diff', 'graph', 'lock', 'trace']) expect(near.stderr).toContain(`dfp ${verb} `);
    expect((await dfp(['grpah'])).stderr.split('\n')[0]).toBe("dfp: 'grpah' is not a dfp verb; did you mean 'graph'?");
    expect((await dfp(['deploy'])).stderr.split('\n')[0]).toBe(
      "dfp: 'deploy' is not a dfp verb; the verbs are synth, diff, graph, lock, trace",
    );
    expect((await dfp([])).code).toBe(2);
  });

  it('the suggestion is the nearest spelling, or none', () => {
    expect(distance('evn', 'env')).toBe(1);
    expect(nearest('--chek', ['--check', '--pipeline'])).toBe('--check');
    expect(nearest('--pipe', ['--check', '--pipeline'])).toBe('--pipeline');
    expect(nearest('qa', ['dev', 'prod', 'staging'])).toBeUndefined();
  });
});

describe('a wrong pipeline or environment name is answered alike by every verb', () => {
  it('graph --pipeline and synth --pipeline: the same line, exit 2, dist/ not touched', async () => {
    const g = await dfp(['graph', '--pipeline', 'iriss']);
    const s = await dfp(['synth', '--pipeline', 'iriss']);
    const line =
      "dfp: no pipeline is named 'iriss' (did you mean 'iris'?); use one of iris, kronodroid-autoencoder, " +
      'kronodroid-features';
    expect([g.code, s.code]).toEqual([2, 2]);
    expect(g.stderr.split('\n')[0]).toBe(line);
    expect(s.stderr.split('\n')[0]).toBe(line);
    expect(readTree(process.env.DFP_DIST!).size).toBe(0);
  });

  it('diff --env: the same form', async () => {
    const r = await dfp(['diff', '--env', 'prdo']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      "dfp: no environment is named 'prdo' (did you mean 'prod'?); use one of dev, prod, staging",
    );
  });
});

describe('secrets are never flags', () => {
  for (const args of [
    ['lock', '--secret-access-key', 'hunter2-value'],
    ['lock', '--secret-access-key=hunter2-value'],
    ['trace', 'r1', '--password', 'hunter2-value'],
  ]) {
    it(`dfp ${args.join(' ')}: refused, pointing at the environment or a file, the value not echoed`, async () => {
      const r = await dfp(args);
      expect(r.code).toBe(2);
      expect(r.stderr + r.stdout).toMatch(
        new RegExp(
          /takes no secret as a flag \('--(secret-access-key|password)' /.source +
            /would show in the process list and the shell /.source +
            /history\); set /.source,
        ),
      );
      if (args[0] === 'lock') expect(r.stderr).toContain('pass --secret-access-key-file FILE');
      expect(r.stderr + r.stdout).not.toContain('hunter2-value');
    });
  }

  it('--secret-access-key-file is read (a missing file is a usage error naming it)', async () => {
    const missing = await dfp(
      ['lock', '--endpoint', 'http://127.0.0.1:1', '--secret-access-key-file', join(scratch, 'nope')],
      { ...NO_LAKEFS, LAKEFS_SECRET_ACCESS_KEY: undefined },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^dfp: cannot read --secret-access-key-file '.*nope' \(ENOENT\)\n/);
    // Read, and used: the request reaches the (closed) port and fails as unreachable, exit 4.
    const file = join(scratch, 'secret');
    writeFileSync(file, 'from-a-file\n');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await dfp(['lock', '--endpoint', closed, '--secret-access-key-file', file, '--timeout', '2'], {
      ...NO_LAKEFS,
      LAKEFS_SECRET_ACCESS_KEY: undefined,
    });
    expect(r.stderr).toMatch(/^dfp lock: cannot reach lakeFS at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
    expect(r.code).toBe(4);
  });
});

describe('an endpoint without a scheme is a usage error saying how to write it', () => {
  it('flags and environment variables of lock and trace', async () => {
    const lock = await dfp(['lock', '--endpoint', 'lakefs:8000'], NO_LAKEFS);
    expect(lock.code).toBe(2);
    expect(lock.stderr.split('\n')[0]).toBe(
      "dfp: --endpoint 'lakefs:8000' has no scheme; write it as 'http://lakefs:8000' (or https://)",
    );
    const env = await dfp(['lock'], { ...NO_LAKEFS, LAKEFS_ENDPOINT: 'localhost:8000' });
    expect(env.stderr.split('\n')[0]).toBe(
      "dfp: LAKEFS_ENDPOINT 'localhost:8000' has no scheme; write it as 'http://localhost:8000' (or https://)",
    );
    const trace = await dfp(['trace', 'r1', '--mlflow', 'mlflow.example.com'], {
      ...NO_LAKEFS,
      LAKEFS_ENDPOINT: 'http://l:1',
    });
    expect(trace.code).toBe(2);
    expect(trace.stderr.split('\n')[0]).toBe(
      "dfp trace: --mlflow 'mlflow.example.com' has no scheme; write it as 'http://mlflow.example.com' (or https://)",
    );
    expect(() => checkEndpoint('--x', 'ftp://host/')).toThrow(UsageError);
    expect(checkEndpoint('--x', 'https://lakefs.example.com/')).toBe('https://lakefs.example.com/');
  });
});

describe('a server that is not lakeFS or not MLflow is called what it is', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // Any web server answers like this: an HTML 404 for paths it does not have.
    server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(
        '<!doctype html><html><head><title>Welcome to nginx</title></head><body><h1>404 Not Found</h1></body></html>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('lock: exit 4, "is it a lakeFS server?", no HTML printed, no "has no repository"', async () => {
    const r = await dfp(['lock', '--endpoint', url], NO_LAKEFS);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(
        `answered GET /repositories/kronodroid/(branches|refs)/main with 404 and an HTML page titled 'Welcome ` +
          `to nginx', not lakeFS's JSON error; is ${url} a lakeFS server \\(e\\.g\\. http://lakefs:8000\\)\\?`,
      ),
    );
    expect(r.stderr).not.toContain('<');
    expect(r.stderr).not.toContain('has no repository');
  });

  it('trace --json: the error is one JSON document, exit 4, "is it an MLflow tracking server?"', async () => {
    const r = await dfp(['trace', 'r1', '--json', '--mlflow', url], { ...NO_LAKEFS, LAKEFS_ENDPOINT: url });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { error: { exit: number; kind: string; message: string } };
    expect(doc.error.exit).toBe(4);
    expect(doc.error.kind).toBe('service');
    expect(doc.error.message).toMatch(
      new RegExp(
        /with 404 and an HTML page titled 'Welcome to nginx', /.source +
          /not MLflow's JSON error; is http:\/\/127\.0\.0\.1:\d+ /.source +
          /an MLflow tracking server/.source,
      ),
    );
  });
});

describe('--json: errors are JSON too', () => {
  it('a usage mistake, and an unreachable server', async () => {
    const usage = await dfp(['trace', '--json', '--bogus']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toEqual({
      error: {
        exit: 2,
        kind: 'usage',
        message:
          "trace has no option '--bogus'; the options are --json, --fetch, --mlflow, --lakefs, --timeout, --help",
      },
    });
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await dfp(['trace', 'r1', '--json', '--mlflow', closed], { ...NO_LAKEFS, LAKEFS_ENDPOINT: closed });
    expect(down.code).toBe(4);
    expect(JSON.parse(down.stdout).error.message).toMatch(
      /^cannot reach MLflow at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/,
    );
  });
});

describe('one table of exit codes', () => {
  it('--help of dfp and of every verb prints it; docs/cli.md holds the same table', async () => {
    for (const args of [
      ['--help'],
      ['synth', '--help'],
      ['diff', '--help'],
      ['graph', '--help'],
      ['lock', '--help'],
      ['trace', '--help'],
    ]) {
      const r = await dfp(args);
      expect(r.code).toBe(0);
      for (const [code, what] of EXIT_CODES)
        expect(r.stdout, args.join(' ')).toContain(`${String(code).padStart(2)}  ${what}`);
    }
    expect(readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8')).toContain(exitCodeMarkdown());
  });

  it(
    'as users run it: a misspelt --check writes nothing (exit 2); synth --check and diff exit 3 alike on a stale ' +
      'dist/',
    () => {
      const dir = projectCopy();
      editIris(dir);
      const dfpRun = (...args: string[]) =>
        run('node', ['scripts/run.mjs', 'dfp.ts', ...args], {
          cwd: dir,
          env: { DFP_DIST: 'dist', DFP_LOCK: 'dfp.lock.json' },
        });
      const typo = dfpRun('synth', '--chek');
      expect(typo.status, typo.stderr).toBe(2);
      expect(typo.stderr).toContain("did you mean '--check'?");
      expect(readTree(join(dir, 'dist'))).toEqual(readTree(join(ROOT, 'dist')));
      const make = run('node', ['scripts/run.mjs', 'main.ts', '--chek'], {
        cwd: dir,
        env: { DFP_DIST: 'dist', DFP_LOCK: 'dfp.lock.json' },
      });
      expect(make.status).toBe(2);
      expect(readTree(join(dir, 'dist'))).toEqual(readTree(join(ROOT, 'dist')));
      const check = dfpRun('synth', '--check');
      const diff = dfpRun('diff');
      expect(check.status, check.stderr).toBe(3);
      expect(diff.status, diff.stderr).toBe(3);
    },
  );
});
