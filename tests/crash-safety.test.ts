/**
 * Crash safety: the synth CLI is SIGKILLed at random points (seeded) while it writes a
 * new dist/ over an old one (~90 files that differ in changed, added and removed files).
 * Right after each kill, dist/ is exactly the complete old tree or the complete new tree;
 * or, in the instant between the writer's two renames, missing with the complete old tree
 * beside it as `.dist.old`. After the crash recovery the next run does first
 * (synth/writer.ts recoverInterruptedWrite), dist/ is exactly old or new and nothing
 * temporary is left; and the next real synth then writes the whole new tree.
 *
 * Most kills are aimed: the process SIGKILLs itself just before its k-th file-system
 * change (tests/fixtures/crash-main.ts), k drawn uniformly over the whole write plus every
 * rename and removal of the swap; every fifth comes from outside at a random time.
 * Each killed process is the CLI bundled once with esbuild (0.3 s to start instead of
 * tsx's 1.5 s, so 50 kills fit in make test); an unkilled tsx run of the same entry makes
 * the same file operations, which shows the bundle is the same program.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { prng } from '../bench/generator/generate.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../constructs/model/build.ts';
import { renderAll } from '../synth/render.ts';
import { diffTrees, readTree, recoverInterruptedWrite, writeTree } from '../synth/writer.ts';
import { TARGETS } from '../targets/index.ts';
import { crashApp } from './fixtures/crash-app.ts';
import { inParallel, ROOT } from './support/process.ts';

const KILLS = Number(process.env.DFP_CRASH_KILLS ?? 50);
const SEED = Number(process.env.DFP_CRASH_SEED ?? 20261202);
const ENTRY = join(ROOT, 'tests/fixtures/crash-main.ts');

type Tree = Map<string, string>;
const render = (variant: string): Tree =>
  new Map(
    renderAll(buildModel(crashApp(variant, join(tmpdir(), 'dfp-never-written'))), TARGETS).map((f) => [
      f.path,
      f.content,
    ]),
  );
const same = (a: Tree, b: Tree) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

let OLD: Tree;
let NEW: Tree;
let template: string;
let bundle: string;

interface Kill {
  /** Before the k-th file-system change, or from outside `ms` after the synth starts. */
  readonly op?: number;
  readonly ms?: number;
}

interface Trial {
  readonly killed: boolean;
  /** Right after the process ended. */
  readonly state: 'old' | 'new' | 'between-renames';
  /** A temporary tree (.dist.tmp or .dist.old) was left behind. */
  readonly leftovers: boolean;
  /** The file-system changes of an unkilled run, in order. */
  readonly ops: string[];
  readonly ms: number;
  readonly dist: string;
}

/** One synth of the new variant over a copy of the old tree, perhaps killed. */
function trial(kill: Kill = {}, runner: 'bundle' | 'tsx' = 'bundle', dist?: string): Promise<Trial> {
  if (!dist) {
    dist = join(mkdtempSync(join(tmpdir(), 'dfp-crash-')), 'dist');
    cpSync(template, dist, { recursive: true });
  }
  const dir = join(dist, '..');
  const args = runner === 'bundle' ? [bundle] : ['--import', 'tsx', ENTRY];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, DFP_DIST: dist, DFP_VARIANT: 'new', DFP_KILL_AT_OP: String(kill.op ?? 0) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let go = 0;
    child.stdout.on('data', (d: Buffer) => {
      if (go || !d.toString().includes('ready')) return;
      go = performance.now();
      child.stdin.write('go\n');
      if (kill.ms !== undefined) setTimeout(() => child.kill('SIGKILL'), kill.ms);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - go;
      const killed = signal === 'SIGKILL';
      if (!killed && code !== 0) return reject(new Error(`synth failed (${code}): ${stderr}`));
      let state: Trial['state'];
      if (existsSync(dist!)) {
        const now = readTree(dist!);
        // The property: never a partial tree, never a mixture.
        if (!same(now, OLD) && !same(now, NEW))
          return reject(
            new Error(`dist/ is neither tree after a kill: ${JSON.stringify(diffTrees(OLD, now)).slice(0, 300)}`),
          );
        state = same(now, OLD) ? 'old' : 'new';
      } else {
        if (!same(readTree(join(dir, '.dist.old')), OLD))
          return reject(new Error('dist/ is missing and .dist.old is not the complete old tree'));
        state = 'between-renames';
      }
      const ops = /^@@ops (.*)$/m.exec(stderr)?.[1]?.split(',') ?? [];
      resolve({
        killed,
        state,
        leftovers: existsSync(join(dir, '.dist.tmp')) || existsSync(join(dir, '.dist.old')),
        ops,
        ms,
        dist: dist!,
      });
    });
  });
}

describe(`crash safety: ${KILLS} SIGKILLs while synth writes dist/ (seed ${SEED})`, () => {
  let calibration: Trial;

  beforeAll(async () => {
    OLD = render('old');
    NEW = render('new');
    template = join(mkdtempSync(join(tmpdir(), 'dfp-crash-template-')), 'dist');
    writeTree(template, OLD);
    bundle = join(mkdtempSync(join(tmpdir(), 'dfp-crash-bundle-')), 'crash-main.cjs');
    buildSync({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: bundle,
      logLevel: 'error',
    });
    calibration = await trial();
  }, 120_000);

  it(
    'the trees differ by changed, added and removed files; an unkilled run writes the new one; tsx and the ' +
      'bundle do the same',
    async () => {
      const d = diffTrees(OLD, NEW);
      expect(d.changed.length).toBeGreaterThan(10);
      expect(d.added.length).toBeGreaterThan(10);
      expect(d.removed.length).toBeGreaterThan(10);
      expect(calibration.killed).toBe(false);
      expect(calibration.state).toBe('new');
      expect(calibration.leftovers).toBe(false);
      expect(calibration.ops.filter((o) => o === 'writeFileSync')).toHaveLength(NEW.size);
      const viaTsx = await trial({}, 'tsx');
      expect(viaTsx.state).toBe('new');
      expect(viaTsx.ops).toEqual(calibration.ops);
    },
    120_000,
  );

  it(
    'after every kill dist/ is the whole old or the whole new tree, and so after recovery',
    async () => {
      const rng = prng(SEED); // seeded, so a failing run can be replayed
      const ops = calibration.ops;
      // Every rename and removal of the swap, and the change right after each, always; then uniform.
      const swap = ops
        .flatMap((o, i) => (o === 'renameSync' || (o === 'rmSync' && i > 2) ? [i + 1, i + 2] : []))
        .filter((k) => k <= ops.length);
      const plan: Kill[] = Array.from({ length: KILLS }, (_, i) =>
        i < swap.length
          ? { op: swap[i]! }
          : i % 5 === 4
            ? { ms: rng() * calibration.ms }
            : { op: 1 + Math.floor(rng() * ops.length) },
      );
      const started = Date.now();
      const trials = await inParallel(plan.map((k) => () => trial(k)));

      const after = { old: 0, new: 0 };
      for (const t of trials) {
        recoverInterruptedWrite(t.dist); // what the next synth does first
        const tree = readTree(t.dist);
        expect(same(tree, OLD) || same(tree, NEW)).toBe(true);
        after[same(tree, NEW) ? 'new' : 'old']++;
        expect(existsSync(join(t.dist, '..', '.dist.tmp')) || existsSync(join(t.dist, '..', '.dist.old'))).toBe(false);
      }
      const count = (f: (t: Trial) => boolean) => trials.filter(f).length;
      const killed = count((t) => t.killed);
      console.log(
        `crash safety: ${trials.length} runs (seed ${SEED}; ${plan.filter((k) => k.op).length} aimed at 1 of ` +
          `${ops.length} file operations, ${plan.filter((k) => k.ms !== undefined).length} timed), ` +
          (`${killed} killed; right after the kill: ${count((t) => t.killed && t.state === 'old')} old (` +
            `${count((t) => t.killed && t.state === 'old' && t.leftovers)} beside a partial new tree), `) +
          (`${count((t) => t.state === 'between-renames')} between the renames, ` +
            `${count((t) => t.killed && t.state === 'new')} new; `) +
          `after recovery: ${after.old} old, ${after.new} new; ${Date.now() - started} ms`,
      );
      expect(trials).toHaveLength(KILLS);
      // Aimed kills always land; the stages of the swap are all reached.
      expect(killed).toBeGreaterThanOrEqual(plan.filter((k) => k.op).length);
      expect(count((t) => t.killed && t.state === 'old' && t.leftovers)).toBeGreaterThan(0);
      expect(count((t) => t.state === 'between-renames')).toBeGreaterThan(0);
      expect(count((t) => t.killed && t.state === 'new')).toBeGreaterThan(0);
    },
    Math.max(600_000, KILLS * 4000),
  );

  it('the next synth after a kill mid-write recovers and writes the whole new tree', async () => {
    const ops = calibration.ops;
    // Killed mid-write, then between the renames; the first next run through tsx, as users run it.
    for (const [op, runner] of [
      [Math.floor(ops.length / 2), 'tsx'],
      [ops.indexOf('renameSync') + 2, 'bundle'],
    ] as const) {
      const t = await trial({ op });
      expect(t.killed && t.leftovers).toBe(true);
      const next = await trial({}, runner, t.dist);
      expect(next.state).toBe('new');
      expect(next.leftovers).toBe(false);
    }
  }, 120_000);
});
