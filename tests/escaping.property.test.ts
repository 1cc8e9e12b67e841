/**
 * Any string a user writes comes back unchanged from the rendered YAML, or is refused
 * with its construct path when Argo would evaluate it. Random strings, thousands a run.
 */
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ContainerStep, Pipeline } from '../constructs/index.ts';
import { DfpError } from '../constructs/model/errors.ts';
import { buildModel } from '../constructs/model/build.ts';
import { renderAll } from '../synth/render.ts';
import { toYaml } from '../emit/yaml.ts';
import { TARGETS } from '../targets/index.ts';
import { IMAGE, testApp } from './support/fixtures.ts';

const RUNS = Number(process.env.DFP_PROPERTY_RUNS ?? 2000);

/** Strings built from the pieces that break naive quoting, plus arbitrary Unicode. */
const nasty = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '"',
        "'",
        '\\',
        '\n',
        '\r\n',
        '\t',
        ' ',
        ': ',
        '#',
        '- ',
        '{{',
        '}}',
        '${x}',
        '{{=',
        '|',
        '>',
        '&a',
        '*a',
        '!tag',
        '%',
        '@',
        '`',
        'yes',
        'no',
        'on',
        'off',
        'null',
        '~',
        '0x1F',
        '0755',
        '1e3',
        '.inf',
        'true',
        '2026-11-24',
        '---',
        '...',
        '\u2028',
        '\u00a0',
        'é',
        '🚀',
        '\u0000',
        '\ufeff',
      ),
      { maxLength: 12 },
    )
    .map((xs) => xs.join('')),
);

describe('YAML printer', () => {
  it(`round-trips ${RUNS} random strings as values and keys, under YAML 1.1 and 1.2`, () => {
    fc.assert(
      fc.property(nasty, (s) => {
        const text = toYaml({ value: s, list: [s], nested: { [s === '' ? 'empty' : s]: s } });
        for (const version of ['1.1', '1.2'] as const) {
          const back = parse(text, { version });
          expect(back.value).toBe(s);
          expect(back.list).toEqual([s]);
          expect(Object.values(back.nested)).toEqual([s]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never wraps long lines', () => {
    const long = `{{workflow.parameters.${'x'.repeat(300)}}} ${'word '.repeat(100)}`;
    expect(toYaml({ long }).trimEnd().split('\n')).toHaveLength(1);
  });
});

function renderWith(s: string) {
  const app = testApp();
  const p = new Pipeline(app, 'p', { description: s, parameters: { x: { type: 'string', default: s } } });
  new ContainerStep(p, 'step', { image: IMAGE, args: [s, p.param('x')], env: { VALUE: s } });
  const files = renderAll(buildModel(app), TARGETS);
  return parse(files.find((f) => f.path === 'test/argo/workflow-templates/p.yaml')!.content);
}

describe('Argo target with user strings', () => {
  it(`${RUNS} random strings in args, env, defaults, descriptions: unchanged, or '{{' refused by path`, () => {
    fc.assert(
      fc.property(nasty, (s) => {
        if (s.includes('{{')) {
          let error: unknown;
          try {
            renderWith(s);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(DfpError);
          expect((error as DfpError).problems[0]?.path).toMatch(/^p(\/step)?$/);
          expect((error as DfpError).message).toContain("contains '{{'");
          return;
        }
        const wt = renderWith(s);
        const step = wt.spec.templates.find((t: { name: string }) => t.name === 'step');
        expect(step.container.args[0]).toBe(s);
        expect(step.container.env.find((e: { name: string }) => e.name === 'VALUE').value).toBe(s);
        expect(wt.spec.arguments.parameters[0].value).toBe(s);
        expect(wt.metadata.annotations['workflows.argoproj.io/description'] ?? '').toBe(s);
      }),
      { numRuns: RUNS },
    );
  });
});
