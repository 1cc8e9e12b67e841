/**
 * The fast block printer writes exactly what the `yaml` package writes: on random
 * nested data with hostile strings (YAML 1.1 words, number look-alikes, indicators,
 * `{{ }}`, blank and whitespace-only lines, leading spaces, control and non-ASCII
 * characters), in maps and lists at every depth. Where it declines, the package prints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrintOnce, blockYaml, isPlainSafe } from '../emit/yaml-block.ts';
import { libraryYaml } from '../emit/yaml-style.ts';
import { toYaml } from '../emit/yaml.ts';

const TRICKY = [
  '',
  ' ',
  'e5',
  'E-3',
  'y',
  'n',
  'on',
  'Off',
  'yes',
  'NO',
  '~',
  'null',
  'true',
  '0755',
  '1:20',
  '.5',
  '1e3',
  '-',
  '- x',
  '? q',
  'a: b',
  'a #b',
  '#c',
  '{{inputs.parameters.x}}',
  "'q'",
  '"d"',
  '|',
  '>',
  '&a',
  '*b',
  '!t',
  '%p',
  '@',
  '`',
  ',',
  '[x]',
  '{y: 1}',
  'line1\nline2',
  'a\n\nb\n',
  'x\n\n',
  ' lead\nx',
  'x \n y',
  'a\n \nb',
  ' \n',
  '\t\nz',
  'tab\there',
  'é\u0001',
  '\u2028',
  'a\r\nb',
  '0x1F',
  '+1',
  '-0',
  'NaN',
  '.inf',
  '2026-12-02',
  '=',
  '<<',
];
const text = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ maxLength: 20 }),
);
const key = fc.oneof(
  fc.constantFrom('apiVersion', 'kind', 'metadata', 'name', 'namespace', 'spec', 'a b', 'k:', '- x', 'on', '0755'),
  text,
);
const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
}));

/** What toYaml printed before the block printer: the package alone (undefined prints as ''). */
const reference = (doc: unknown): string => [libraryYaml(doc)].join('---\n');

describe('yaml block printer', () => {
  it('prints random documents byte for byte like the yaml package, or declines', () => {
    fc.assert(
      fc.property(value, (doc) => {
        const fast = blockYaml(doc);
        if (fast !== undefined) expect(fast).toBe(reference(doc));
        expect(toYaml(doc)).toBe(reference(doc));
      }),
      { numRuns: 3000 },
    );
  });

  it(
    'writes the strings it takes as plain (skipping the package) exactly as the package does, as keys, values ' +
      'and items',
    () => {
      // The fast path's whole alphabet, and every casing of the YAML 1.1 words it must leave to the package.
      const alphabet = 'aAzZyYnNoOtTfFlLeEsSuU019_./-'.split('');
      const word = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 8 }).map((cs) => cs.join(''));
      const casings = (w: string): string[] =>
        [...w].reduce<string[]>((acc, c) => acc.flatMap((p) => [p + c.toLowerCase(), p + c.toUpperCase()]), ['']);
      const words = ['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null']
        .flatMap(casings)
        .concat(['e5', 'E0', 'e-3', 'E+12']);
      let plain = 0;
      fc.assert(
        fc.property(fc.oneof(word, fc.constantFrom(...words)), (w) => {
          if (isPlainSafe(w)) plain += 1;
          for (const doc of [{ [w]: w }, [w], { k: [w, { [w]: [w] }] }]) {
            const fast = blockYaml(doc); // declines integer-like keys only
            if (fast !== undefined || !/^(0|[1-9][0-9]*)$/.test(w)) expect(fast).toBe(reference(doc));
          }
        }),
        { numRuns: 3000 },
      );
      for (const w of words) expect(isPlainSafe(w), w).toBe(false);
      expect(plain).toBeGreaterThan(1000); // the comparison exercised the fast path, not just the package
    },
  );

  it('leaves a key that starts like a document marker to the package, which quotes it only outside a list', () => {
    // Found by the random test above: the fast path quoted `---a` inside a list item, where the package does not.
    for (const doc of [[{ '---a': 1 }], { '---a': 1 }, { k: [{ '...b': [{ '---': 2 }] }] }, [[{ '---a': 1 }]]]) {
      expect(blockYaml(doc)).toBeUndefined();
      expect(toYaml(doc)).toBe(reference(doc));
    }
    expect(toYaml([{ '---a': 1 }])).toBe('- ---a: 1\n');
  });

  it('embeds a map printed once (PrintOnce) as printing it again would, at any depth', () => {
    const map = fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 });
    let embedded = 0;
    fc.assert(
      fc.property(map, fc.array(key, { minLength: 1, maxLength: 4 }), fc.boolean(), (inner, keys, inList) => {
        // The shared map sits under `keys` (and in a list item when `inList`), beside other data.
        const wrap = (v: unknown) =>
          keys.reduceRight<unknown>((acc, k) => ({ [k]: acc, zz: 1 }), inList ? [v, 'x'] : v);
        const once = new PrintOnce(inner);
        const first = toYaml(once);
        expect(first).toBe(toYaml(inner));
        const reused = toYaml(wrap(once));
        expect(reused).toBe(toYaml(wrap(inner)));
        expect(reused).toBe(reference(wrap(inner)));
        if (once.text() !== undefined && !inList) embedded += 1;
      }),
      { numRuns: 2000, seed: 20261203 },
    );
    expect(embedded).toBeGreaterThan(300); // the reuse path ran, not only the package's fallback
  });

  it(
    'reuses the lines of a map toYaml printed as a document when the same map is nested later, exactly as ' +
      'printing it again would',
    () => {
      const map = fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 });
      fc.assert(
        fc.property(
          map,
          fc.array(key, { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          fc.boolean(),
          (inner, keys, inList, after) => {
            const wrap = (v: unknown) =>
              keys.reduceRight<unknown>((acc, k) => ({ [k]: acc, zz: 1 }), inList ? [v, 'x'] : v);
            const fresh = toYaml(wrap(structuredClone(inner))); // never printed as a document
            // Printed as a document, first in its file or after another: its lines are remembered.
            if (after) toYaml({ before: [1, 'x'] }, inner);
            else toYaml(inner);
            const reused = toYaml(wrap(inner));
            expect(reused).toBe(fresh);
            expect(reused).toBe(reference(wrap(inner)));
            // Reused in the same file, in a later document.
            const again = structuredClone(inner);
            expect(toYaml(again, wrap(again))).toBe(`${toYaml(inner)}---\n${fresh}`);
          },
        ),
        { numRuns: 1000, seed: 20261207 },
      );
    },
  );

  it('handles the shapes dfp renders without declining', () => {
    const doc = {
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'n' },
      spec: { list: [{ a: 'l1\nl2', b: [] }, ['x', {}]], empty: {}, n: 0.5 },
    };
    expect(blockYaml(doc)).toBe(libraryYaml(doc));
  });
});
