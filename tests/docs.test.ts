/**
 * The review pages in dist/<env>/docs/: each Mermaid graph is parsed by the real Mermaid
 * parser (mermaid in jsdom), matches the model's steps and dependencies, and stays
 * parseable whatever text users put in conditions and names (fast-check).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../constructs/model/schema.ts';
import { buildModel } from '../constructs/model/build.ts';
import { buildApp } from '../main.ts';
import { readTree } from '../synth/writer.ts';
import { label, mermaid } from '../targets/docs/mermaid.ts';
import { ROOT } from './support/process.ts';

type Mermaid = { parse(text: string): Promise<unknown> };
let parser: Mermaid;
beforeAll(async () => {
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  parser = ((await import('mermaid')) as unknown as { default: Mermaid }).default;
});

const model = buildModel(buildApp());
const pages = [...readTree(join(ROOT, 'dist'))].filter(([p]) => p.split('/')[1] === 'docs');
const graphOf = (page: string) => /```mermaid\n([\s\S]*?)\n```/.exec(page)![1]!;

describe('docs: every pipeline has a review page whose graph Mermaid parses', () => {
  it('one page per pipeline and environment', () => {
    expect(pages.length).toBe(model.pipelines.length * model.environments.length);
  });

  for (const [path, page] of pages) {
    it(`${path}: parses, with one node per step and one edge per dependency`, async () => {
      await expect(parser.parse(graphOf(page))).resolves.toBeTruthy();
      const p = model.pipelines.find((x) => path.endsWith(`/${x.name}.md`))!;
      const graph = graphOf(page);
      expect(graph.match(/^\s+s\d+\[/gm)!.length).toBe(p.steps.length + (p.exitHandler ? 1 : 0));
      expect(graph.match(/ --> /g)?.length ?? 0).toBe(p.steps.reduce((n, s) => n + s.dependsOn.length, 0));
    });
  }

  it('the parser rejects a broken graph (the check can fail)', async () => {
    await expect(parser.parse('flowchart TD\n  a["x"y"]')).rejects.toThrow();
  });
});

describe('docs: no user text breaks the graph', () => {
  const base = model.pipelines.find((p) => p.groups.length === 0)!;
  it('random condition literals and descriptions keep the graph parseable, the label intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), async (text) => {
        const first = base.steps[0]!;
        const p: Pipeline = {
          ...base,
          steps: [
            {
              ...first,
              when: { left: { kind: 'pipelineParam', name: 'x' }, op: '==', right: { kind: 'literal', value: text } },
            },
            ...base.steps.slice(1),
          ],
        };
        const graph = mermaid(p);
        await parser.parse(graph);
        expect(
          graph.split('\n').filter((l) => l.includes(label(`${first.name}, when params.x == ${JSON.stringify(text)}`))),
        ).toHaveLength(1);
      }),
      { numRuns: 300 },
    );
  });
});
