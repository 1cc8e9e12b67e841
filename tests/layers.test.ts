/**
 * The layers of dfp, held by its import graph (a simple parser of `import … from`,
 * `export … from` and `import(…)` with relative paths). A folder may import its own
 * layer and the ones below, never one above; targets read only the model (no construct
 * class, no builder, no rule); and no module imports itself through others (0 cycles).
 *
 *   emit/            printers, one per output language
 *   constructs/      the constructs users write and the model they become (constructs/model/)
 *   android/         a construct library (Android benchmarks)
 *   targets/         model -> files, one folder per output format
 *   synth/           render every target, check, write dist/ atomically, the synth CLI
 *   app/             DfpApp, the cdk8s App whose synth() is synth/
 *   the rest         user definitions (pipelines/, features/, argocd/, main.ts), tools
 *                    (dfp.ts, lakefs/, mlflow/, trace/, bench/)
 */
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './support/process.ts';
import { ROOT } from './support/process.ts';

const LAYERS: readonly (readonly string[])[] = [
  ['emit/'],
  ['constructs/'],
  ['android/'],
  ['targets/'],
  ['synth/'],
  ['app/'],
];
/** Files in no listed folder are the top layer. */
const TOP = LAYERS.length;

const layerOf = (file: string): number => {
  const i = LAYERS.findIndex((folders) => folders.some((f) => file.startsWith(f)));
  return i === -1 ? TOP : i;
};

/** Every TypeScript source of the project but the tests, relative to the root. */
function sources(): string[] {
  const r = run('git', ['ls-files', '-co', '--exclude-standard', '*.ts'], { cwd: ROOT });
  return r.stdout
    .split('\n')
    .filter((f) => f && !f.startsWith('tests/') && !f.includes('node_modules/') && !f.endsWith('.d.ts'));
}

const IMPORT = new RegExp(
  [
    /(?:^|[\s;])(?:import|export)\s[^'"]*?\sfrom\s*['"](\.[^'"]+)['"]/, // import … from './x'
    /import\(\s*['"](\.[^'"]+)['"]\s*\)/, // import('./x')
    /^import\s+['"](\.[^'"]+)['"]/, // import './x'
  ]
    .map((r) => r.source)
    .join('|'),
  'gm',
);

/** The project files a source imports (relative specifiers only; packages are not ours). */
export function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    out.push(relative(ROOT, normalize(join(ROOT, dirname(file), spec))));
  }
  return out;
}

function graph(): Map<string, string[]> {
  const files = sources();
  const known = new Set(files);
  return new Map(files.map((f) => [f, importsOf(f, readFileSync(join(ROOT, f), 'utf8')).filter((t) => known.has(t))]));
}

/** Strongly connected components of more than one file (or a file importing itself): the cycles. */
export function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

describe('layers', () => {
  const g = graph();

  it('reads the graph (the parser finds imports of every kind)', () => {
    expect(g.size).toBeGreaterThan(100);
    expect(
      importsOf(
        'a/b.ts',
        "import type { X } from '../c/d.ts';\nexport { y } from './e.ts';\nconst z = await import('./f.ts');",
      ),
    ).toEqual(['c/d.ts', 'a/e.ts', 'a/f.ts']);
  });

  it('no folder imports a folder of a higher layer', () => {
    const upward = [...g].flatMap(([file, imports]) =>
      imports.filter((t) => layerOf(t) > layerOf(file)).map((t) => `${file} -> ${t}`),
    );
    expect(upward).toEqual([]);
  });

  it('targets read only the model: no construct class, builder or rule', () => {
    const reach = [...g]
      .filter(([f]) => f.startsWith('targets/'))
      .flatMap(([file, imports]) =>
        imports
          .filter(
            (t) =>
              t.startsWith('constructs/') &&
              (!t.startsWith('constructs/model/') || /\/(build[^/]*|rules-[^/]*)\.ts$/.test(t)),
          )
          .map((t) => `${file} -> ${t}`),
      );
    expect(reach).toEqual([]);
  });

  it('no target imports another target', () => {
    const folder = (f: string) => f.split('/').slice(0, 2).join('/');
    const across = [...g]
      .filter(([f]) => f.split('/').length > 2 && f.startsWith('targets/'))
      .flatMap(([file, imports]) =>
        imports
          .filter((t) => t.startsWith('targets/') && t.split('/').length > 2 && folder(t) !== folder(file))
          .map((t) => `${file} -> ${t}`),
      );
    expect(across).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('the checks can fail: an upward import and a cycle are found', () => {
    const bad = new Map([
      ['emit/a.ts', ['synth/b.ts']],
      ['synth/b.ts', ['emit/a.ts']],
    ]);
    expect(layerOf('synth/b.ts')).toBeGreaterThan(layerOf('emit/a.ts'));
    expect(cycles(bad)).toEqual([['emit/a.ts', 'synth/b.ts']]);
  });
});
