/**
 * The review pages' graphs, drawn (issue 27, class 6): nested condition and loop groups
 * must be readable, i.e. no group's box covers a sibling's, each nested box lies inside
 * its parent's, and each step is drawn inside its group. Mermaid itself lays each graph
 * out and renders it to SVG (its dagre layout, in jsdom); jsdom has no fonts, so text is
 * measured at 8 px per character and 16 px per line, which is what the browser's
 * measurement would provide. A control draws the old form (the condition as the
 * subgraph's title), whose boxes overlapped, to show the check can fail.
 */
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../constructs/model/build.ts';
import { mermaid } from '../targets/docs/mermaid.ts';
import { readTree } from '../synth/writer.ts';
import { controlFlowApp } from './fixtures/control-flow.ts';
import { kubeflowFlowApp } from './fixtures/kubeflow-flow.ts';
import { testApp } from './support/fixtures.ts';
import { ROOT } from './support/process.ts';

type Renderer = { initialize(c: object): void; render(id: string, text: string): Promise<{ svg: string }> };
let renderer: Renderer;

beforeAll(async () => {
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  const w = dom.window as unknown as Record<string, any>;
  Object.assign(globalThis, {
    window: w,
    document: w.document,
    CSSStyleSheet: w.CSSStyleSheet,
    DOMParser: w.DOMParser,
    Element: w.Element,
    HTMLElement: w.HTMLElement,
    SVGElement: w.SVGElement,
  });
  // Text measurement, which jsdom lacks: 8 px per character, 16 px high.
  w.SVGElement.prototype.getBBox = function (this: Element) {
    return { x: 0, y: 0, width: Math.max(1, (this.textContent ?? '').length * 8), height: 16 };
  };
  w.SVGElement.prototype.getComputedTextLength = function (this: Element) {
    return (this.textContent ?? '').length * 8;
  };
  renderer = ((await import('mermaid')) as unknown as { default: Renderer }).default;
  renderer.initialize({ startOnLoad: false, htmlLabels: false, flowchart: { htmlLabels: false } });
});

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const inside = (a: Box, b: Box) => a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w && a.y + a.h <= b.y + b.h;

/** Each subgraph's parent (undefined at the top) and each node's group, read from the text. */
function structure(text: string): { parent: Map<string, string | undefined>; groupOf: Map<string, string> } {
  const parent = new Map<string, string | undefined>();
  const groupOf = new Map<string, string>();
  const stack: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    const sub = /^subgraph (\w+)\[/.exec(line);
    if (sub) {
      parent.set(sub[1]!, stack.at(-1));
      stack.push(sub[1]!);
      continue;
    }
    if (line === 'end') {
      stack.pop();
      continue;
    }
    const node = /^(s\d+)\[/.exec(line);
    if (node && stack.length) groupOf.set(node[1]!, stack.at(-1)!);
  }
  return { parent, groupOf };
}

/** Draws `text`; returns what overlaps or sticks out, as sentences. */
async function problems(text: string, id: string): Promise<string[]> {
  const { svg } = await renderer.render(id, text);
  const doc = new JSDOM(svg).window.document;
  const boxes = new Map<string, Box>();
  for (const c of doc.querySelectorAll('g.cluster')) {
    const r = c.querySelector('rect')!;
    boxes.set(c.id.slice(id.length + 1), {
      x: Number(r.getAttribute('x')),
      y: Number(r.getAttribute('y')),
      w: Number(r.getAttribute('width')),
      h: Number(r.getAttribute('height')),
    });
  }
  const { parent, groupOf } = structure(text);
  const out: string[] = [];
  expect([...boxes.keys()].sort()).toEqual([...parent.keys()].sort());
  const groups = [...parent.keys()];
  for (const [i, a] of groups.entries()) {
    for (const b of groups.slice(i + 1)) {
      if (parent.get(a) === parent.get(b) && overlap(boxes.get(a)!, boxes.get(b)!))
        out.push(`sibling groups ${a} and ${b} overlap`);
    }
    const p = parent.get(a);
    if (p !== undefined && !inside(boxes.get(a)!, boxes.get(p)!)) out.push(`group ${a} sticks out of ${p}`);
  }
  let checked = 0;
  for (const n of doc.querySelectorAll('g.node')) {
    const step = /-(s\d+)-\d+$/.exec(n.id)?.[1];
    const group = step && groupOf.get(step);
    const at = /translate\(([-\d.]+),\s*([-\d.]+)\)/.exec(n.getAttribute('transform') ?? '');
    if (!group || !at) continue;
    checked++;
    if (!inside({ x: Number(at[1]), y: Number(at[2]), w: 0, h: 0 }, boxes.get(group)!))
      out.push(`step ${step} is drawn outside its group ${group}`);
  }
  // Every step drawn in a group was found and checked (the node ids are as expected).
  expect(checked).toBe(groupOf.size);
  return out;
}

const graphs = new Map<string, string>();
for (const [path, page] of readTree(join(ROOT, 'dist'))) {
  if (path.split('/')[1] !== 'docs') continue;
  const graph = /```mermaid\n([\s\S]*?)\n```/.exec(page)![1]!;
  if (graph.includes('subgraph') && ![...graphs.values()].includes(graph)) graphs.set(path, graph);
}
for (const [name, define] of [
  ['control-flow fixture', controlFlowApp],
  ['kubeflow-flow fixture', kubeflowFlowApp],
] as const) {
  const app = testApp();
  define(app);
  graphs.set(name, mermaid(buildModel(app).pipelines[0]!));
}

describe('nested groups are readable when drawn', () => {
  it('there are graphs with nested groups to draw', () => {
    expect([...graphs.values()].some((g) => /subgraph[\s\S]*\n\s+subgraph/.test(g))).toBe(true);
  });

  let n = 0;
  for (const [name, graph] of graphs) {
    it(`${name}: no group covers a sibling, nested groups and steps are inside their group`, async () => {
      expect(await problems(graph, `d${n++}`)).toEqual([]);
    }, 60_000);
  }

  it('control: the old form, the condition as the group title, overlaps when drawn', async () => {
    const old = graphs
      .get('control-flow fixture')!
      .replace(/subgraph (g\d+)\["[^"]*"\]\n(\s+)\1h\(("[^"]*")\)/g, 'subgraph $1[$3]');
    expect(old).not.toContain('h(');
    expect((await problems(old, 'control')).length).toBeGreaterThan(0);
  }, 60_000);
});
