/**
 * Prod, re-rendered to run here. prod's endpoints (`https://s3.platform.example.com`, …) are
 * external and cannot be reached from the embedded cluster, and its engine is Spark, whose
 * operator cannot be built here. So the e2e renders a *variant* of prod: a copy of the
 * project's definitions in a temporary folder in which only prod's endpoint values (and, for
 * the second run, prod's one engine line) are changed, rendered with the project's own CLI
 * (`dfp synth`). `endpointOnlyDiff` proves that the variant's dist/prod differs from the
 * committed dist/prod by exactly the endpoint values, so a run of the variant is a run of
 * dist/prod up to its URLs.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The file where the platform's environments are defined (the line users change). */
export const ENVIRONMENTS_FILE = 'argocd/environments.ts';

/** prod's endpoints as the definitions give them; the variant replaces exactly these values. */
export interface ProdEndpoints {
  readonly lakefs: string;
  readonly mlflow: string;
  readonly s3: string;
}

export const PROD_ENDPOINTS: ProdEndpoints = {
  lakefs: 'https://lakefs.platform.example.com',
  mlflow: 'https://mlflow.platform.example.com',
  s3: 'https://s3.platform.example.com',
};

export interface VariantOptions {
  /** The endpoints pods of the embedded cluster reach, replacing prod's. */
  readonly endpoints: ProdEndpoints;
  /** The engine line swapped (the one-line change users make), or prod's own (`spark`). */
  readonly engine: 'spark' | 'datafusion';
}

export interface Variant {
  /** The temporary copy of the project. */
  readonly dir: string;
  /** Its rendered dist/ (every environment; the e2e uses dist/prod). */
  readonly dist: string;
  /** The copy's environments file, and the original's, as text. */
  readonly environments: string;
  readonly originalEnvironments: string;
}

/** The files of the project a render reads: every tracked or new file but dist/, tests/, docs/, bench/. */
function projectFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return out.split('\0').filter((f) => f && !/^(dist|tests|docs|bench|\.ci)\//.test(f));
}

/** prod's block of the environments file: from `new Environment(app, 'prod'` to the next `new Environment(`. */
function prodBlock(text: string): { start: number; end: number } {
  const start = text.indexOf("new Environment(app, 'prod'");
  if (start < 0) throw new Error(`${ENVIRONMENTS_FILE}: no prod environment found`);
  const next = text.indexOf('new Environment(', start + 1);
  return { start, end: next < 0 ? text.length : next };
}

/** The environments file with prod's endpoint values (and engine line) replaced, each exactly once. */
export function variantEnvironments(original: string, options: VariantOptions): string {
  const { start, end } = prodBlock(original);
  let block = original.slice(start, end);
  const swap = (from: string, to: string) => {
    const n = block.split(from).length - 1;
    if (n !== 1) throw new Error(`${ENVIRONMENTS_FILE}: prod has ${n} occurrences of ${from}, expected 1`);
    block = block.replace(from, to);
  };
  for (const key of ['lakefs', 'mlflow', 's3'] as const)
    swap(`'${PROD_ENDPOINTS[key]}'`, `'${options.endpoints[key]}'`);
  if (options.engine !== 'spark') swap("engine: 'spark'", `engine: '${options.engine}'`);
  return original.slice(0, start) + block + original.slice(end);
}

/** Copies the project's definitions to a temporary folder, changes prod's endpoints (and engine), renders. */
export function renderVariant(options: VariantOptions): Variant {
  const dir = mkdtempSync(join(tmpdir(), `dfp-e2e-prod-${options.engine}-`));
  for (const f of projectFiles()) {
    const to = join(dir, f);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(ROOT, f), to, { dereference: false });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const originalEnvironments = readFileSync(join(ROOT, ENVIRONMENTS_FILE), 'utf8');
  const environments = variantEnvironments(originalEnvironments, options);
  writeFileSync(join(dir, ENVIRONMENTS_FILE), environments);
  const dist = join(dir, 'dist');
  execFileSync(process.execPath, ['scripts/run.mjs', 'dfp.ts', 'synth'], {
    cwd: dir,
    env: { ...process.env, DFP_DIST: dist },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { dir, dist, environments, originalEnvironments };
}

/** Every file below `dir`, relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** The lines that differ between two texts, as `-old`/`+new` pairs by line number (same line count required). */
export function changedLines(
  a: string,
  b: string,
): { line: number; from: string; to: string }[] | 'line counts differ' {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length !== y.length) return 'line counts differ';
  const out: { line: number; from: string; to: string }[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push({ line: i + 1, from: x[i]!, to: y[i]! });
  return out;
}

/**
 * The one derived value: the s3a connector's `ssl.enabled` follows the S3 endpoint's scheme
 * (dfp renders `"true"` for `https://`, `"false"` for `http://`).
 */
function sslFollowsScheme(from: string, to: string, endpoints: ProdEndpoints): boolean {
  const m = /^(\s*(?:spark\.hadoop\.)?fs\.s3a\.connection\.ssl\.enabled: )"(true|false)"$/.exec(from);
  if (!m) return false;
  const ssl = endpoints.s3.startsWith('https://') ? 'true' : 'false';
  return to === `${m[1]}"${ssl}"` && PROD_ENDPOINTS.s3.startsWith('https://') && m[2] === 'true';
}

/**
 * Compares the variant's dist/prod with the committed one. Returns the problems: a file
 * only one side has, a differing line count, or a changed line that is not the committed
 * line with prod's endpoint values replaced by the variant's. Also returns how many lines
 * changed, so a test can require that some did.
 */
export function endpointOnlyDiff(
  variantProd: string,
  committedProd: string,
  endpoints: ProdEndpoints,
): { problems: string[]; changed: number } {
  const problems: string[] = [];
  let changed = 0;
  const ours = filesUnder(variantProd);
  const theirs = filesUnder(committedProd);
  for (const f of theirs.filter((x) => !ours.includes(x))) problems.push(`${f}: missing from the variant`);
  for (const f of ours.filter((x) => !theirs.includes(x))) problems.push(`${f}: only in the variant`);
  const swap = (line: string) => {
    let s = line;
    for (const key of ['lakefs', 'mlflow', 's3'] as const) s = s.split(PROD_ENDPOINTS[key]).join(endpoints[key]);
    return s;
  };
  for (const f of ours.filter((x) => theirs.includes(x))) {
    const diff = changedLines(readFileSync(join(committedProd, f), 'utf8'), readFileSync(join(variantProd, f), 'utf8'));
    if (diff === 'line counts differ') {
      // A longer value can make the Python printer wrap a call differently (dfp prints a call
      // on one line when it fits): such a file must be the committed one with the endpoints
      // replaced, up to whitespace and the trailing comma a wrapped call gets.
      const squash = (t: string) => t.replace(/\s+/g, '').replace(/,([)\]}])/g, '$1');
      const committed = readFileSync(join(committedProd, f), 'utf8');
      const ours = readFileSync(join(variantProd, f), 'utf8');
      if (!f.endsWith('.py') || squash(swap(committed)) !== squash(ours))
        problems.push(`${f}: line counts differ, and not by endpoint values and line wrapping only`);
      else changed += committed.split('\n').filter((l) => swap(l) !== l).length;
      continue;
    }
    for (const d of diff) {
      changed++;
      if (swap(d.from) !== d.to && !sslFollowsScheme(d.from, d.to, endpoints))
        problems.push(`${f}:${d.line}: not an endpoint change:\n  - ${d.from}\n  + ${d.to}`);
    }
  }
  return { problems, changed };
}
